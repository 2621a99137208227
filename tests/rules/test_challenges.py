"""Hand-computed examples of the piggy bank, self-consumption and sobriety challenges."""

from __future__ import annotations

from datetime import date, timedelta
import random

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
from game_server.rules.models import Equipment, EquipmentChange

SEASON = SeasonSettings(
    start=date(2027, 1, 1),
    end=date(2027, 3, 31),
    challenges=frozenset(
        {Challenge.PIGGY_BANK, Challenge.SELF_CONSUMPTION, Challenge.SOBRIETY}
    ),
)
END_OF_JANUARY = date(2027, 1, 31)
SOLAR_FAMILY = HouseholdProfile(adults=2, children=1, solar_kwc=3)  # UC = 1.8


def _days(first: date, count: int, **values: float) -> dict[date, DayData]:
    return {
        d: DayData(day=d, **values)  # type: ignore[arg-type]
        for n in range(count)
        if (d := first + timedelta(n))
    }


def _solar_household(**season: float) -> dict[date, DayData]:
    """Last year: import 8, export 2, production 4 (C = 10) every day; then the season."""
    days = _days(date(2026, 1, 1), 90, import_kwh=8, export_kwh=2, production_kwh=4)
    days |= _days(SEASON.start, 31, **season)
    return days


def _card(result, challenge: Challenge, month: str = "2027-01"):
    return next(
        c for c in result.cards if c.challenge is challenge and c.month == month
    )


def test_solar_household_hand_computed() -> None:
    """January: import 7.9, export 2, production 4 a day against last year's 8/2/4.

    Ĉ = 10 × 31 = 310 (no temperatures: mean method); C = 9.9 × 31 = 306.9.
    Piggy bank: PB = 0.25·62 − 244.9 = −229.4; PB_ref* = 0.25·62·1 − 248·(310/310) = −232.5;
    points = 10·3.1/1.8 = 17.2222.
    Sobriety: S = 100·3.1/310 = 1 % → 2 points.
    Self-consumption: R = 244.9/306.9, R̂ = 248/310 = 0.8 → ΔR% = 100·(0.8 − R)/0.8 → 2·ΔR%.
    """
    household = HouseholdInput(
        profile=SOLAR_FAMILY,
        days=_solar_household(import_kwh=7.9, export_kwh=2, production_kwh=4),
    )
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)

    piggy = _card(result, Challenge.PIGGY_BANK)
    assert piggy.points == pytest.approx(31 / 1.8)
    assert piggy.factors["pb"] == pytest.approx(-229.4)
    assert piggy.factors["pb_ref"] == pytest.approx(-232.5)
    assert piggy.reference["kind"] == "previous_year"
    assert piggy.reference["days_used"] == 31
    assert piggy.weather["method"] == "mean"

    assert _card(result, Challenge.SOBRIETY).points == pytest.approx(2.0)

    ratio = 244.9 / 306.9
    expected = 2 * 100 * (0.8 - ratio) / 0.8
    assert _card(result, Challenge.SELF_CONSUMPTION).points == pytest.approx(expected)

    assert result.total == pytest.approx(31 / 1.8 + 2.0 + expected)
    assert result.piggy_bank["2027-01"]["credit"] == pytest.approx(62)
    assert result.piggy_bank["2027-01"]["debit"] == pytest.approx(244.9)
    assert result.kwh_saved == pytest.approx(3.1)
    assert result.provisional  # January ended less than 7 days ago


def test_solar_yield_ratio_corrects_the_piggy_bank() -> None:
    """A sunnier month (Y/Y_ref = 1.2) raises the expected credit: 0.25·62·1.2 = 18.6."""
    household = HouseholdInput(
        profile=SOLAR_FAMILY,
        days=_solar_household(import_kwh=7.9, export_kwh=2, production_kwh=4),
    )
    peers = PeerAggregates(
        solar_yield={"2027-01": 1.2}, reference_solar_yield={"2027-01": 1.0}
    )
    result = score_household(household, SEASON, peers, as_of=END_OF_JANUARY)
    # PB − PB_ref* = (15.5 − 244.9) − (18.6 − 248) = 0 → 0 points.
    assert _card(result, Challenge.PIGGY_BANK).points == pytest.approx(0)
    # Self-consumption: R̂ = 0.8·(1/1.2)^0.5.
    expected_ratio = 0.8 * (1 / 1.2) ** 0.5
    ratio = 244.9 / 306.9
    assert _card(result, Challenge.SELF_CONSUMPTION).points == pytest.approx(
        2 * 100 * (expected_ratio - ratio) / expected_ratio
    )


def test_piggy_bank_is_clamped_and_scaled_by_consumption_units() -> None:
    """A big gain is clamped to +50 and the card says so."""
    household = HouseholdInput(
        profile=SOLAR_FAMILY,
        days=_solar_household(import_kwh=4, export_kwh=2, production_kwh=4),
    )
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    card = _card(result, Challenge.PIGGY_BANK)
    assert card.points == 50
    assert card.caps


def test_heavy_use_malus() -> None:
    """M = 20·max(0, (C/UC)/K − 1): 9.9/1.8 = 5.5 kWh/UC/day against K = 4 → M = 7.5."""
    household = HouseholdInput(
        profile=SOLAR_FAMILY,
        days=_solar_household(import_kwh=7.9, export_kwh=2, production_kwh=4),
    )
    peers = PeerAggregates(segment_consumption={"2027-01|no_heating/no_hot_water": 4.0})
    result = score_household(household, SEASON, peers, as_of=END_OF_JANUARY)
    ratio = 244.9 / 306.9
    delta = 100 * (0.8 - ratio) / 0.8
    card = _card(result, Challenge.SELF_CONSUMPTION)
    assert card.factors["malus"] == pytest.approx(7.5)
    assert card.points == pytest.approx(2 * (delta - 7.5))


def test_more_load_than_expected_scales_the_self_consumption_gain() -> None:
    """If C > 1.05·Ĉ, ΔR% is multiplied by Ĉ/C."""
    household = HouseholdInput(
        profile=HouseholdProfile(solar_kwc=3),
        days=_solar_household(import_kwh=8, export_kwh=0, production_kwh=6),
    )
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    # C = 14/day vs Ĉ = 10/day; R = 8/14; R̂ = 0.8.
    delta = 100 * (0.8 - 8 / 14) / 0.8 * (10 / 14)
    card = _card(result, Challenge.SELF_CONSUMPTION)
    assert card.points == pytest.approx(2 * delta)
    assert any("105" in cap for cap in card.caps)
    # And sobriety: S = 100·(310 − 434)/310 = −40 % → clamped −30 → −60.
    assert _card(result, Challenge.SOBRIETY).points == pytest.approx(-60)


def _slots(green: float, other: float) -> tuple[float, ...]:
    """Half-hours with ``green`` kWh in 22:00–06:00 and ``other`` elsewhere (January)."""
    return tuple(green if (index < 12 or index >= 44) else other for index in range(48))


def test_green_hours_share_for_households_without_solar() -> None:
    """Reference G = 16·0.5/24 = 1/3; season G = 16·0.75/24 = 0.5 → +50 % → 30 → 60."""
    days = {
        d: DayData(day=d, import_kwh=24, import_slots=_slots(0.5, 0.5))
        for n in range(90)
        if (d := date(2026, 1, 1) + timedelta(n))
    }
    days |= {
        d: DayData(day=d, import_kwh=24, import_slots=_slots(0.75, 0.375))
        for n in range(31)
        if (d := SEASON.start + timedelta(n))
    }
    household = HouseholdInput(profile=HouseholdProfile(), days=days)
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    card = _card(result, Challenge.SELF_CONSUMPTION)
    assert card.factors["green_share"] == pytest.approx(0.5)
    assert card.factors["green_share_ref"] == pytest.approx(1 / 3, abs=1e-4)
    assert card.points == pytest.approx(60)
    piggy = _card(result, Challenge.PIGGY_BANK)
    assert (piggy.eligible, piggy.reason) == (False, "no_solar")


def test_green_hours_need_half_hour_data() -> None:
    """Without slots a household without solar has no self-consumption points."""
    household = HouseholdInput(
        profile=HouseholdProfile(), days=_solar_household(import_kwh=9)
    )
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    card = _card(result, Challenge.SELF_CONSUMPTION)
    assert (card.eligible, card.reason) == (False, "no_half_hour_data")


def test_summer_green_window_counts_midday() -> None:
    """From April to October, 11:00–17:00 is green too."""
    from game_server.rules.energy import green_share

    day = DayData(day=date(2027, 6, 1), import_kwh=48, import_slots=tuple([1.0] * 48))
    winter = DayData(
        day=date(2027, 1, 4), import_kwh=48, import_slots=tuple([1.0] * 48)
    )
    assert green_share([day], SEASON.green_windows, SEASON) == pytest.approx(28 / 48)
    assert green_share([winter], SEASON.green_windows, SEASON) == pytest.approx(16 / 48)
    missing = DayData(
        day=date(2027, 1, 4), import_kwh=0, import_slots=tuple([None] * 48)
    )
    assert green_share([missing], SEASON.green_windows, SEASON) is None


def test_weekly_indexes_get_the_trust_factor() -> None:
    """Sobriety from weekly meter indexes counts × 0.5 (simplified mode)."""
    days = _days(date(2026, 1, 1), 90, import_kwh=10)
    days |= {
        d: DayData(day=d, import_kwh=9, source="index")
        for n in range(31)
        if (d := SEASON.start + timedelta(n))
    }
    household = HouseholdInput(profile=HouseholdProfile(simplified=True), days=days)
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    # S = 10 % → 20 points × 0.5.
    assert _card(result, Challenge.SOBRIETY).points == pytest.approx(10)
    assert _card(result, Challenge.SELF_CONSUMPTION).reason == "no_solar"


def test_missing_data_is_excluded_not_zero() -> None:
    """A month under 80 % valid days gives no points; missing days never count as 0 kWh."""
    days = _days(date(2026, 1, 1), 90, import_kwh=10)
    days |= {
        d: DayData(day=d, import_kwh=None if n % 4 == 0 else 10)
        for n in range(31)
        if (d := SEASON.start + timedelta(n))
    }
    household = HouseholdInput(profile=HouseholdProfile(), days=days)
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    card = _card(result, Challenge.SOBRIETY)
    assert (card.eligible, card.reason) == (False, "insufficient_data")
    assert card.data_quality == {
        "valid_days": 23,
        "period_days": 31,
        "valid_share": 0.7419,
    }


def test_no_reference_data() -> None:
    """A household without any history has no reference and no metered points."""
    household = HouseholdInput(
        profile=HouseholdProfile(), days=_days(SEASON.start, 31, import_kwh=10)
    )
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    card = _card(result, Challenge.SOBRIETY)
    assert (card.eligible, card.reason) == (False, "no_reference")
    assert result.total == 0


def test_weather_normalised_sobriety() -> None:
    """Reference C = 5 + 0.5·DJU; a January at 8 °C expects 10/day; using 9 → S = 10 %."""
    days = {
        d: DayData(day=d, import_kwh=5 + 0.5 * (18 - t), t_mean_c=t)
        for n in range(90)
        if (d := date(2026, 1, 1) + timedelta(n)) and (t := float(n % 12))
    }
    days |= _days(SEASON.start, 31, import_kwh=9, t_mean_c=8)
    household = HouseholdInput(profile=HouseholdProfile(), days=days)
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    card = _card(result, Challenge.SOBRIETY)
    assert card.weather["method"] == "regression"
    assert card.factors["expected_kwh"] == pytest.approx(310)
    assert card.points == pytest.approx(20)


def test_solar_installed_mid_season_is_excluded_from_solar_challenges() -> None:
    """PV installed on 10 February: piggy bank and self-consumption stop from February."""
    days = _days(date(2026, 1, 1), 90, import_kwh=8, export_kwh=2, production_kwh=4)
    days |= _days(SEASON.start, 59, import_kwh=7.9, export_kwh=2, production_kwh=4)
    profile = HouseholdProfile(
        solar_kwc=3,
        equipment_changes=(
            EquipmentChange(equipment=Equipment.PV, day=date(2027, 2, 10)),
        ),
    )
    household = HouseholdInput(profile=profile, days=days)
    result = score_household(
        household, SEASON, PeerAggregates(), as_of=date(2027, 2, 28)
    )
    assert _card(result, Challenge.PIGGY_BANK, "2027-01").eligible
    february = _card(result, Challenge.PIGGY_BANK, "2027-02")
    assert (february.eligible, february.reason) == (False, "equipment_change")
    assert _card(result, Challenge.SOBRIETY, "2027-02").eligible


def test_scores_do_not_depend_on_arrival_order_or_resending() -> None:
    """Shuffled or re-sent data gives exactly the same cards."""
    days = _solar_household(import_kwh=7.9, export_kwh=2, production_kwh=4)
    household = HouseholdInput(profile=SOLAR_FAMILY, days=days)
    reference = score_household(
        household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY
    )
    items = list(days.items())
    random.Random(4).shuffle(items)
    shuffled = HouseholdInput(profile=SOLAR_FAMILY, days=dict(items))
    again = score_household(shuffled, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    assert [c.as_dict() for c in again.cards] == [c.as_dict() for c in reference.cards]


def test_scores_become_final_after_seven_days() -> None:
    """A month is provisional until 7 days after its end."""
    household = HouseholdInput(
        profile=SOLAR_FAMILY,
        days=_solar_household(import_kwh=7.9, export_kwh=2, production_kwh=4)
        | _days(date(2027, 2, 1), 7, import_kwh=8),
    )
    result = score_household(
        household, SEASON, PeerAggregates(), as_of=date(2027, 2, 7)
    )
    assert not _card(result, Challenge.SOBRIETY, "2027-01").provisional
    assert _card(result, Challenge.SOBRIETY, "2027-02").provisional


def test_piggy_bank_tally_for_households_without_solar() -> None:
    """No points without solar, but the month's tally: debit 9 × 31 = 279 kWh."""
    days = _days(date(2026, 1, 1), 90, import_kwh=10)
    days |= _days(SEASON.start, 31, import_kwh=9)
    household = HouseholdInput(profile=HouseholdProfile(), days=days)
    result = score_household(household, SEASON, PeerAggregates(), as_of=END_OF_JANUARY)
    piggy = _card(result, Challenge.PIGGY_BANK)
    assert (piggy.eligible, piggy.reason) == (False, "no_solar")
    assert piggy.factors == {"credit_kwh": 0, "debit_kwh": 279, "balance_kwh": -279}
    assert result.piggy_bank["2027-01"]["balance"] == pytest.approx(-279)
