"""Hand-computed examples of equipment changes: re-baselining before and in the season."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from game_server.rules import (
    Challenge,
    DayData,
    HouseholdInput,
    HouseholdProfile,
    PeerAggregates,
    SeasonSettings,
    score_household,
)
from game_server.rules.engine import HouseholdScore
from game_server.rules.models import Equipment, EquipmentChange, ScoreCard

SEASON = SeasonSettings(
    start=date(2027, 1, 1),
    end=date(2027, 3, 31),
    challenges=frozenset({Challenge.SOBRIETY}),
)
HEAT_PUMP_DAY = date(2027, 1, 20)
"""In the season: the new reference is 20 January – 16 February (28 days)."""


def _days(first: date, last: date, import_kwh: float) -> dict[date, DayData]:
    """Return one day of data per date, all with the same import (no solar)."""
    count = (last - first).days + 1
    return {
        d: DayData(day=d, import_kwh=import_kwh)
        for d in (first + timedelta(n) for n in range(count))
    }


def _sobriety(result: HouseholdScore, month: str) -> ScoreCard:
    """Return the sobriety card of a month."""
    return next(
        c
        for c in result.cards
        if c.challenge is Challenge.SOBRIETY and c.month == month
    )


def _heat_pump_household(new_reference_kwh: float = 15.0) -> HouseholdInput:
    """Last year 10 kWh a day; a heat pump on 20 January: 15 kWh a day, then 14.25."""
    days = _days(date(2026, 1, 1), date(2026, 3, 31), 10.0)
    days |= _days(SEASON.start, HEAT_PUMP_DAY - timedelta(1), 10.0)
    days |= _days(HEAT_PUMP_DAY, date(2027, 2, 16), new_reference_kwh)
    days |= _days(date(2027, 2, 17), SEASON.end, 14.25)
    profile = HouseholdProfile(
        equipment_changes=(
            EquipmentChange(equipment=Equipment.HEAT_PUMP, day=HEAT_PUMP_DAY),
        )
    )
    return HouseholdInput(profile=profile, days=days)


def test_heat_pump_in_the_season_gets_a_new_reference() -> None:
    """The 28 days from the change become the reference; the days after them count.

    January holds the change and the start of the new reference: no points.
    February: only 17–28 February count (12 days). Ĉ = 15 × 12 = 180 (mean method),
    C = 14.25 × 12 = 171, S = 100 × 9 / 180 = 5 % → 2 × 5 = 10 points.
    March: Ĉ = 15 × 31 = 465, C = 14.25 × 31 = 441.75, S = 5 % → 10 points.
    """
    result = score_household(
        _heat_pump_household(), SEASON, PeerAggregates(), as_of=SEASON.end
    )
    january = _sobriety(result, "2027-01")
    assert (january.eligible, january.reason) == (False, "equipment_change")
    assert january.reference["equipment_change"] == {
        "kind": "heat_pump",
        "day": "2027-01-20",
        "effect": "excluded",
    }

    february = _sobriety(result, "2027-02")
    assert february.eligible
    assert february.factors["expected_kwh"] == pytest.approx(180)
    assert february.points == pytest.approx(10)
    assert february.data_quality["valid_days"] == 12
    assert february.data_quality["period_days"] == 12
    assert february.reference == {
        "kind": "post_change",
        "days": 28,
        "first": "2027-01-20",
        "last": "2027-02-16",
        "days_used": 28,
        "equipment_change": {
            "kind": "heat_pump",
            "day": "2027-01-20",
            "effect": "rebased_in_season",
        },
    }

    march = _sobriety(result, "2027-03")
    assert march.factors["expected_kwh"] == pytest.approx(465)
    assert march.points == pytest.approx(10)


def test_no_new_reference_until_its_28_days_have_passed() -> None:
    """On 10 February the new reference is not complete yet: February has no points."""
    result = score_household(
        _heat_pump_household(), SEASON, PeerAggregates(), as_of=date(2027, 2, 10)
    )
    february = _sobriety(result, "2027-02")
    assert (february.eligible, february.reason) == (False, "equipment_change")
    assert february.reference["equipment_change"]["effect"] == "excluded"


def test_new_reference_needs_80_percent_valid_days() -> None:
    """With 7 of its 28 days missing (75 % < 80 %), the household stays excluded."""
    household = _heat_pump_household()
    missing = {HEAT_PUMP_DAY + timedelta(n) for n in range(7)}
    days = {d: v for d, v in household.days.items() if d not in missing}
    result = score_household(
        HouseholdInput(profile=household.profile, days=days),
        SEASON,
        PeerAggregates(),
        as_of=SEASON.end,
    )
    march = _sobriety(result, "2027-03")
    assert (march.eligible, march.reason) == (False, "equipment_change")


def test_change_before_the_season_still_applies_before_a_later_one() -> None:
    """An EV on 1 December re-baselines January–February; a heat pump on 5 March.

    Reference: the 28 days before the season (4–31 December, 12 kWh a day, all after the
    EV). January: C = 10.8 × 31, Ĉ = 12 × 31, S = 10 % → 20 points. March holds the
    heat pump and its new reference's start: no points.
    """
    days = _days(date(2026, 12, 1), date(2026, 12, 31), 12.0)
    days |= _days(SEASON.start, SEASON.end, 10.8)
    profile = HouseholdProfile(
        equipment_changes=(
            EquipmentChange(equipment=Equipment.EV, day=date(2026, 12, 1)),
            EquipmentChange(equipment=Equipment.HEAT_PUMP, day=date(2027, 3, 5)),
        )
    )
    result = score_household(
        HouseholdInput(profile=profile, days=days),
        SEASON,
        PeerAggregates(),
        as_of=SEASON.end,
    )
    for month in ("2027-01", "2027-02"):
        card = _sobriety(result, month)
        assert card.points == pytest.approx(20)
        assert card.reference["kind"] == "short"
        assert card.reference["equipment_change"] == {
            "kind": "ev",
            "day": "2026-12-01",
            "effect": "rebased",
        }
    march = _sobriety(result, "2027-03")
    assert (march.eligible, march.reason) == (False, "equipment_change")
    assert march.reference["equipment_change"]["kind"] == "heat_pump"
