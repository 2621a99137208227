"""Energy-saving actions (spec §4.4): verification factors, weekly streaks, levels.

Choices where the spec is silent: a malus action always counts at full value whatever its
verification (declaring a malus must not pay); a one-off action counts once (its first
declaration); a recurring action counts once per ISO week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from .models import (
    VERIFICATION_FACTORS,
    ActionDefinition,
    ActionRecord,
    Verification,
    month_key,
)

LEVEL_BONUS_PER_LEVEL = 50
STREAK_STEP = 0.10
STREAK_MAX = 0.50


@dataclass(kw_only=True, slots=True)
class ActionPoints:
    """Points of a household's actions per month, with the details for its score cards."""

    by_month: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    lines: list[dict[str, object]] = field(default_factory=list)
    levels: dict[int, date] = field(default_factory=dict)
    """Level reached → day it was reached."""

    @property
    def level(self) -> int:
        """Return the highest level reached (0 = none)."""
        return max(self.levels, default=0)


def _iso_week(day: date) -> tuple[int, int]:
    """Return (ISO year, ISO week) of a day."""
    year, week, _ = day.isocalendar()
    return year, week


def _consecutive(previous: tuple[int, int], current: tuple[int, int]) -> bool:
    """Return whether two ISO weeks follow each other."""
    monday = date.fromisocalendar(previous[0], previous[1], 1)
    following = date.fromordinal(monday.toordinal() + 7)
    return _iso_week(following) == current


def verification_factor(
    verification: Verification, *, malus: bool, simplified: bool = False
) -> float:
    """Return what a declaration's base points are multiplied by.

    ``VERIFICATION_FACTORS`` (at most 1 in simplified mode); always 1 for a malus, so
    that declaring it honestly costs the same as having it confirmed.
    """
    if malus:
        return 1.0
    factor = VERIFICATION_FACTORS[verification]
    return min(factor, 1.0) if simplified else factor


def self_declared_factor(*, malus: bool) -> float:
    """Return the factor of an action declared by the household, not yet confirmed."""
    return verification_factor(Verification.SELF, malus=malus)


def score_actions(
    records: Sequence[ActionRecord],
    catalogue: Mapping[str, ActionDefinition],
    *,
    simplified: bool = False,
) -> ActionPoints:
    """Return the points of a household's declared actions, month by month."""
    result = ActionPoints()
    seen_once: set[str] = set()
    weeks: dict[str, tuple[int, int]] = {}
    streaks: dict[str, int] = {}
    counted_weeks: set[tuple[str, tuple[int, int]]] = set()
    completed: dict[str, date] = {}
    for record in sorted(records, key=lambda r: (r.day, r.action_id)):
        action = catalogue.get(record.action_id)
        if action is None:
            continue
        factor = verification_factor(
            record.verification, malus=action.malus, simplified=simplified
        )
        bonus = 0.0
        if action.recurring:
            week = _iso_week(record.day)
            if (action.id, week) in counted_weeks:
                continue
            counted_weeks.add((action.id, week))
            previous = weeks.get(action.id)
            streak = (
                streaks.get(action.id, 0) + 1
                if previous and _consecutive(previous, week)
                else 0
            )
            streaks[action.id] = streak
            weeks[action.id] = week
            bonus = min(STREAK_MAX, STREAK_STEP * streak)
        else:
            if action.id in seen_once:
                continue
            seen_once.add(action.id)
        points = action.base_points * factor * (1 + bonus)
        result.by_month[month_key(record.day)] += points
        result.lines.append(
            {
                "action_id": action.id,
                "day": record.day.isoformat(),
                "verification": record.verification.value,
                "factor": factor,
                "streak_bonus": round(bonus, 2),
                "points": round(points, 2),
            }
        )
        if not action.malus:
            completed.setdefault(action.id, record.day)
            _update_levels(result, completed, catalogue, record.day)
    return result


def _update_levels(
    result: ActionPoints,
    completed: Mapping[str, date],
    catalogue: Mapping[str, ActionDefinition],
    today: date,
) -> None:
    """Award every level newly reached today (level N needs level N − 1)."""
    by_level: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for action in catalogue.values():
        if not action.malus:
            by_level[action.level][action.domain].append(action.id)
    level = result.level + 1
    while level in by_level:
        for domain_actions in by_level[level].values():
            needed = min(2, len(domain_actions))
            if sum(1 for a in domain_actions if a in completed) < needed:
                return
        result.levels[level] = today
        bonus = LEVEL_BONUS_PER_LEVEL * level
        result.by_month[month_key(today)] += bonus
        result.lines.append(
            {"level": level, "day": today.isoformat(), "points": float(bonus)}
        )
        level += 1


def cap_actions(action_total: float, other_total: float, share: float) -> float:
    """Return action points capped so they are at most ``share`` of the season total.

    With A the action points and O the other challenges' points, the cap keeps
    A ≤ share·(O + A), i.e. A ≤ share/(1 − share)·O (0 when O ≤ 0).
    """
    if action_total <= 0:
        return action_total
    limit = share / (1 - share) * max(0.0, other_total)
    return min(action_total, limit)
