"""Aggregates of the other participants that the rules use (spec §3, §4.1, §4.2).

A household's score depends on other households only through these medians: the season's
median solar yield (and the same over the reference), the median consumption per unit in
its segment, and its team's median temperature.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from statistics import median

from .baseline import is_valid_day, select_reference
from .engine import HouseholdInput
from .models import DayData, PeerAggregates, SeasonSettings, month_key

MIN_SOLAR_HOUSEHOLDS = 3


def _season_days_by_month(
    household: HouseholdInput, settings: SeasonSettings, as_of: date
) -> dict[str, list[DayData]]:
    """Return the household's valid season days up to ``as_of``, by month."""
    months: dict[str, list[DayData]] = defaultdict(list)
    last = min(settings.end, as_of)
    for day, data in household.days.items():
        if settings.start <= day <= last and is_valid_day(data, settings, slots=False):
            months[month_key(day)].append(data)
    return months


def _daily_yield(days: Sequence[DayData], kwc: float) -> float | None:
    """Return the mean daily production per kWc over some days."""
    if not days or kwc <= 0:
        return None
    return sum(day.production_kwh for day in days) / len(days) / kwc


def peer_aggregates(
    households: Iterable[HouseholdInput],
    settings: SeasonSettings,
    *,
    as_of: date,
    team_temperature: Mapping[date, float] | None = None,
) -> PeerAggregates:
    """Return the season's medians computed over every participating household."""
    yields: dict[str, list[float]] = defaultdict(list)
    reference_yields: dict[str, list[float]] = defaultdict(list)
    per_unit: dict[str, list[float]] = defaultdict(list)
    for household in households:
        profile = household.profile
        months = _season_days_by_month(household, settings, as_of)
        reference = None
        if profile.has_solar:
            reference = select_reference(household.days, settings)
        for key, days in months.items():
            consumption = sum(day.consumption_kwh or 0.0 for day in days)
            per_unit[f"{key}|{profile.segment}"].append(
                consumption / len(days) / profile.consumption_units
            )
            if reference is None:
                continue
            season_yield = _daily_yield(days, profile.solar_kwc)
            ref_yield = _daily_yield(
                reference.days_for(day.day for day in days), profile.solar_kwc
            )
            if season_yield is not None and ref_yield is not None:
                yields[key].append(season_yield)
                reference_yields[key].append(ref_yield)
    return PeerAggregates(
        solar_yield={
            k: median(v) for k, v in yields.items() if len(v) >= MIN_SOLAR_HOUSEHOLDS
        },
        reference_solar_yield={
            k: median(v)
            for k, v in reference_yields.items()
            if len(v) >= MIN_SOLAR_HOUSEHOLDS
        },
        segment_consumption={k: median(v) for k, v in per_unit.items()},
        team_temperature=dict(team_temperature or {}),
    )


def team_temperatures(members: Iterable[Mapping[date, DayData]]) -> dict[date, float]:
    """Return the median of a team's members' daily mean temperatures, per day."""
    readings: dict[date, list[float]] = defaultdict(list)
    for days in members:
        for day, data in days.items():
            if data.t_mean_c is not None:
                readings[day].append(data.t_mean_c)
    return {day: median(values) for day, values in readings.items()}
