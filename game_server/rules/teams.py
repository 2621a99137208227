"""Team scores and rankings (spec §5)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class TeamMember:
    """A member's season result as the team score needs it."""

    user_id: str
    points: float
    valid_day_share: float
    kwh_saved: float = 0.0
    simplified: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class TeamScore:
    """A team's score: mean of its counted members' points."""

    team_id: str
    score: float
    counted_members: int
    members: int
    kwh_saved: float


def team_score(
    team_id: str, members: Sequence[TeamMember], valid_share: float = 0.8
) -> TeamScore:
    """Return the mean season points over members with ≥ 80 % valid days.

    Simplified-mode members count with the points they have.
    """
    counted = [m for m in members if m.simplified or m.valid_day_share >= valid_share]
    score = sum(m.points for m in counted) / len(counted) if counted else 0.0
    return TeamScore(
        team_id=team_id,
        score=score,
        counted_members=len(counted),
        members=len(members),
        kwh_saved=sum(m.kwh_saved for m in counted),
    )


def rank_teams(scores: Iterable[TeamScore]) -> list[TeamScore]:
    """Rank teams by score; ties go to the team that saved more kWh."""
    return sorted(scores, key=lambda t: (-round(t.score, 6), -t.kwh_saved, t.team_id))
