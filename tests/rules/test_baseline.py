"""Tests for data quality, the frozen reference and weather normalisation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from game_server.rules.baseline import (
    degree_days,
    fit_weather_model,
    is_valid_day,
    select_reference,
    shift_year,
)
from game_server.rules.models import DayData, HouseholdProfile, SeasonSettings

SEASON = SeasonSettings(start=date(2027, 1, 1), end=date(2027, 3, 31))


def _day(day: date, kwh: float | None = 10.0, t: float | None = None) -> DayData:
    return DayData(day=day, import_kwh=kwh, t_mean_c=t)


def test_consumption_units_follow_the_oecd_scale() -> None:
    """UC = 1 + 0.5 × (adults − 1) + 0.3 × children."""
    assert HouseholdProfile(adults=1).consumption_units == 1
    assert HouseholdProfile(adults=2, children=1).consumption_units == pytest.approx(
        1.8
    )
    assert HouseholdProfile(adults=4, children=2).consumption_units == pytest.approx(
        3.1
    )


def test_consumption_includes_solar_and_battery() -> None:
    """C = import + production − export + battery discharge − charge."""
    day = DayData(
        day=date(2027, 1, 1),
        import_kwh=6,
        export_kwh=3,
        production_kwh=5,
        battery_charge_kwh=1,
        battery_discharge_kwh=0.5,
    )
    assert day.consumption_kwh == pytest.approx(7.5)
    assert DayData(day=date(2027, 1, 1), import_kwh=None).consumption_kwh is None


def test_valid_day_needs_totals_and_ninety_percent_of_slots() -> None:
    """Missing totals invalidate a day; with slots, 90 % of them must be present."""
    assert not is_valid_day(_day(date(2027, 1, 1), None), SEASON, slots=False)
    slots = tuple([0.5] * 43 + [None] * 5)  # 43/48 = 89.6 %
    day = DayData(day=date(2027, 1, 1), import_kwh=21.5, import_slots=slots)
    assert is_valid_day(day, SEASON, slots=False)
    assert not is_valid_day(day, SEASON, slots=True)
    dst = DayData(day=date(2027, 3, 28), import_kwh=23, import_slots=tuple([0.5] * 46))
    assert is_valid_day(dst, SEASON, slots=True)  # 46 half-hours on the spring DST day


def test_shift_year_handles_29_february() -> None:
    """29 February maps to 28 February of the previous year."""
    assert shift_year(date(2028, 2, 29)) == date(2027, 2, 28)
    assert shift_year(date(2027, 1, 15)) == date(2026, 1, 15)


def test_previous_year_reference_when_eighty_percent_valid() -> None:
    """Last year's season dates are the reference when ≥ 80 % of them are valid."""
    history = {
        d: _day(d)
        for n in range(90)
        if (d := date(2026, 1, 1) + timedelta(n)).day != 1  # 87 of 90 valid
    }
    reference = select_reference(history, SEASON)
    assert reference.kind == "previous_year"
    assert len(reference.days) == 87
    january = reference.days_for(date(2027, 1, n) for n in range(1, 32))
    assert {d.day for d in january} == {date(2026, 1, n) for n in range(2, 32)}


def test_short_reference_when_last_year_is_missing() -> None:
    """Otherwise the 28 days before the season start, shown as a short reference."""
    history = {d: _day(d) for n in range(1, 40) if (d := SEASON.start - timedelta(n))}
    reference = select_reference(history, SEASON)
    assert reference.kind == "short"
    assert len(reference.days) == 28
    assert reference.days[0].day == date(2026, 12, 4)
    assert reference.days[-1].day == date(2026, 12, 31)
    # A short reference stands for every season day.
    assert reference.days_for([date(2027, 2, 1)]) == reference.days


def test_equipment_change_rebaselines_the_reference() -> None:
    """Days before an equipment change are dropped from the reference."""
    history = {d: _day(d) for n in range(1, 40) if (d := SEASON.start - timedelta(n))}
    reference = select_reference(history, SEASON, not_before=date(2026, 12, 20))
    assert reference.days[0].day == date(2026, 12, 20)
    assert len(reference.days) == 12


def test_degree_days_base_18() -> None:
    """DJU = max(0, 18 − t)."""
    assert degree_days(5.5) == 12.5
    assert degree_days(21) == 0


def test_regression_recovers_a_linear_household() -> None:
    """C = 5 + 0.5·DJU exactly gives a = 5, b = 0.5, R² = 1 and Ĉ = a·n + b·ΣDJU."""
    reference = [
        _day(date(2026, 1, n), 5 + 0.5 * (18 - t), t=t)
        for n, t in zip(
            range(1, 21), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18] * 2, strict=True
        )
    ]
    model = fit_weather_model(reference, SEASON)
    assert model.method == "regression"
    assert model.a == pytest.approx(5)
    assert model.b == pytest.approx(0.5)
    assert model.r2 == pytest.approx(1)
    # Three days at 18, 8 and −2 °C: 3·5 + 0.5·(0 + 10 + 20) = 30.
    assert model.expected([0, 10, 20]) == pytest.approx(30)


def test_weather_falls_back_to_the_mean() -> None:
    """Fewer than 14 days with a temperature, a poor fit, or missing DJU use the mean."""
    few = [_day(date(2026, 1, n), 10 + n, t=float(n)) for n in range(1, 10)]
    model = fit_weather_model(few, SEASON)
    assert model.method == "mean"
    assert model.mean_daily == pytest.approx(15)
    assert model.expected([None, 3.0]) == pytest.approx(30)

    noisy = [
        _day(date(2026, 1, n), [10, 30][n % 2], t=float(n % 7)) for n in range(1, 29)
    ]
    assert fit_weather_model(noisy, SEASON).method == "mean"

    regression = fit_weather_model(
        [_day(date(2026, 1, n), 5 + 0.5 * n, t=18.0 - n) for n in range(1, 20)], SEASON
    )
    assert regression.method == "regression"
    # A day without temperature makes the period fall back to the mean.
    assert regression.expected([1.0, None]) == pytest.approx(2 * regression.mean_daily)


def test_team_temperature_fills_missing_household_temperatures() -> None:
    """The team's median temperature stands in for a household without a sensor."""
    reference = [_day(date(2026, 1, n), 5 + 0.5 * (18 - n % 15)) for n in range(1, 29)]
    temps = {date(2026, 1, n): float(n % 15) for n in range(1, 29)}
    model = fit_weather_model(reference, SEASON, temps)
    assert model.method == "regression"
    assert model.b == pytest.approx(0.5)


def test_negative_slope_is_clamped_to_zero() -> None:
    """B ≥ 0: a household using more when warmer gets b = 0 (then the mean, R² low)."""
    reference = [
        _day(date(2026, 1, n), 20 - (18 - n), t=float(n)) for n in range(1, 18)
    ]
    model = fit_weather_model(reference, SEASON)
    assert model.method == "mean"
    assert model.r2 is not None
    assert model.r2 < 0.5
