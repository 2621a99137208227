"""Scoring rules of the Sunshare serious game (pure library: no web, no storage imports).

Inputs are a household's profile, its daily (and optional half-hourly) data, its shedding
events and actions, the season settings and the few aggregates of other participants the
rules need (median solar yield, segment medians, team temperatures). Outputs are points per
challenge per month, each with a score card a player can recompute by hand. The formulas are
those of the rules specification (``game-rules.md``); where it leaves a value open, the
default is a season setting in :class:`SeasonSettings`.
"""

from .engine import HouseholdInput, score_household
from .models import (
    ActionDefinition,
    ActionRecord,
    Challenge,
    DayData,
    EquipmentChange,
    HouseholdProfile,
    PeakEvent,
    PeerAggregates,
    ScoreCard,
    SeasonSettings,
    SheddingEvent,
    Verification,
)
from .teams import TeamMember, TeamScore, rank_teams, team_score

__all__ = [
    "ActionDefinition",
    "ActionRecord",
    "Challenge",
    "DayData",
    "EquipmentChange",
    "HouseholdInput",
    "HouseholdProfile",
    "PeakEvent",
    "PeerAggregates",
    "ScoreCard",
    "SeasonSettings",
    "SheddingEvent",
    "TeamMember",
    "TeamScore",
    "Verification",
    "rank_teams",
    "score_household",
    "team_score",
]
