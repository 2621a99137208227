"""The energy KPIs of the admin page (rules §8), read from the stored score cards.

Every figure is what the players' own cards show, added up over a season's households:

- **kWh saved against expectation** ``Σ(Ĉ − C)``: ``expected_kwh − consumption_kwh`` of
  the sobriety cards that count (eligible), as the rules' ``HouseholdScore.kwh_saved``;
- **kWh shed**: ``raw_kwh`` of the shedding cards' events that count (not ``ignored``),
  and **at peak** their ``peak_kwh`` (the minutes with a peak multiplier above 1) — the
  rules' shed energy, never declared power × time;
- **data quality**: each household's share of valid days over the season so far
  (valid days / season days of its metered cards), in four groups: ``good`` (at least the
  season's valid period share, 80 % by default: it counts for its team), ``partial`` (at
  least ``PARTIAL_SHARE``), ``poor`` (some valid days) and ``none`` (no valid day, or no
  card yet); and the days scored with the certified Enedis value (``flagged_days``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from game_server.models import ScoreEntry

METERED = ("piggy_bank", "self_consumption", "sobriety")
"""Challenges whose cards carry the month's data quality."""
PARTIAL_SHARE = 0.5
"""Valid-day share from which a household's data is ``partial`` rather than ``poor``."""
QUALITY_GROUPS = ("good", "partial", "poor", "none")


@dataclass(kw_only=True, slots=True)
class EnergyKpis:
    """The energy KPIs of a season's households."""

    households: int = 0
    kwh_saved: float = 0.0
    shed_kwh: float = 0.0
    shed_peak_kwh: float = 0.0
    quality: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(QUALITY_GROUPS, 0)
    )
    flagged_days: int = 0


def _number(value: object) -> float | None:
    """Return a card value as a float, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _mapping(value: object) -> Mapping[str, Any]:
    """Return a card part as a mapping (empty when absent or malformed)."""
    return value if isinstance(value, Mapping) else {}


def quality_group(share: float, good_share: float) -> str:
    """Return the data-quality group of a household's valid-day share."""
    if share >= good_share:
        return "good"
    if share >= PARTIAL_SHARE:
        return "partial"
    return "poor" if share > 0 else "none"


def energy_kpis(
    entries: Iterable[ScoreEntry],
    households: Collection[str],
    *,
    good_share: float = 0.8,
) -> EnergyKpis:
    """Return the energy KPIs of some households from their stored cards.

    Cards of other households (not in ``households``) are left out.
    """
    result = EnergyKpis(households=len(households))
    # (user, month) → (valid days, period days, flagged days) of the month's metered
    # cards: the one with the longest period (an equipment change inside the season
    # shortens the period of the challenges it affects only).
    months: dict[tuple[str, str], tuple[int, int, int]] = {}
    for entry in entries:
        if entry.user_id not in households:
            continue
        card = _mapping(entry.card)
        factors = _mapping(card.get("factors"))
        if entry.challenge == "sobriety" and card.get("eligible") is True:
            expected = _number(factors.get("expected_kwh"))
            consumption = _number(factors.get("consumption_kwh"))
            if expected is not None and consumption is not None:
                result.kwh_saved += expected - consumption
        elif entry.challenge == "shedding":
            events = factors.get("events")
            for item in events if isinstance(events, list) else []:
                event = _mapping(item)
                if event.get("ignored"):
                    continue
                result.shed_kwh += _number(event.get("raw_kwh")) or 0.0
                result.shed_peak_kwh += _number(event.get("peak_kwh")) or 0.0
        if entry.challenge in METERED:
            quality = _mapping(card.get("data_quality"))
            valid = _number(quality.get("valid_days"))
            period = _number(quality.get("period_days"))
            if valid is None or period is None:
                continue
            flagged = quality.get("flagged_days")
            found = (
                int(valid),
                int(period),
                len(flagged) if isinstance(flagged, list) else 0,
            )
            key = (entry.user_id, entry.month)
            if key not in months or found[1] > months[key][1]:
                months[key] = found
    totals: dict[str, list[int]] = {}
    for (user_id, _month), (valid, period, flagged) in months.items():
        total = totals.setdefault(user_id, [0, 0])
        total[0] += valid
        total[1] += period
        result.flagged_days += flagged
    for user_id in households:
        valid, period = totals.get(user_id, (0, 0))
        share = valid / period if period else 0.0
        result.quality[quality_group(share, good_share)] += 1
    return result
