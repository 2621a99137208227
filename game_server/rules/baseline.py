"""Data quality gates, the frozen reference period and weather normalisation (spec §2–3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .models import DayData, SeasonSettings
from .slots import slot_count


def is_valid_day(day: DayData | None, settings: SeasonSettings, *, slots: bool) -> bool:
    """Return whether a day counts: totals present, and ≥ 90 % of slots when slots are used."""
    if day is None or day.import_kwh is None:
        return False
    if not slots:
        return True
    if day.import_slots is None or not day.import_slots:
        return False
    present = sum(1 for value in day.import_slots if value is not None)
    return present >= settings.valid_slot_share * slot_count(day.day)


def shift_year(day: date, years: int = -1) -> date:
    """Return the same calendar date ``years`` away (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True, slots=True)
class Reference:
    """The frozen reference of a household for a season."""

    kind: str
    """``previous_year`` (same dates one year earlier), ``short`` (28 days before) or
    ``post_change`` (28 days from an equipment change inside the season)."""
    days: tuple[DayData, ...]
    """Valid reference days (totals present, after any equipment change)."""

    def days_for(self, season_days: Iterable[date]) -> tuple[DayData, ...]:
        """Return the reference days that stand for some season days.

        With a previous-year reference, the same dates one year earlier; with a short
        reference, all its days (they stand for every day of the season).
        """
        if self.kind != "previous_year":
            return self.days
        wanted = {shift_year(day) for day in season_days}
        return tuple(day for day in self.days if day.day in wanted)

    def describe(self) -> dict[str, object]:
        """Return the score-card description of this reference."""
        return {
            "kind": self.kind,
            "days": len(self.days),
            "first": self.days[0].day.isoformat() if self.days else None,
            "last": self.days[-1].day.isoformat() if self.days else None,
        }


def select_reference(
    history: Mapping[date, DayData],
    settings: SeasonSettings,
    *,
    not_before: date | None = None,
) -> Reference:
    """Freeze the reference: last year's season dates if ≥ 80 % valid, else 28 days before.

    ``not_before`` drops days before an equipment change (re-baselining from the change).
    """

    def usable(day: date) -> DayData | None:
        data = history.get(day)
        if not_before is not None and day < not_before:
            return None
        return data if is_valid_day(data, settings, slots=False) else None

    season_length = (settings.end - settings.start).days + 1
    last_year = [
        shift_year(settings.start + timedelta(n)) for n in range(season_length)
    ]
    valid = [data for day in last_year if (data := usable(day)) is not None]
    if last_year and len(valid) >= settings.valid_period_share * len(last_year):
        return Reference("previous_year", tuple(valid))
    short = [
        settings.start - timedelta(days=n)
        for n in range(settings.short_reference_days, 0, -1)
    ]
    return Reference(
        "short", tuple(data for d in short if (data := usable(d)) is not None)
    )


def post_change_reference(
    history: Mapping[date, DayData], settings: SeasonSettings, change: date
) -> Reference:
    """Return the new reference after an equipment change inside the season.

    The ``short_reference_days`` days from the change day (its valid ones); like a short
    reference, they stand for every later day. It exists once ≥ 80 % of them are valid.
    """
    window = (change + timedelta(days=n) for n in range(settings.short_reference_days))
    return Reference(
        "post_change",
        tuple(
            data
            for day in window
            if is_valid_day(data := history.get(day), settings, slots=False)
            and data is not None
        ),
    )


def degree_days(t_mean_c: float, base_c: float = 18.0) -> float:
    """Return the heating degree-days of a day: max(0, 18 − t_mean)."""
    return max(0.0, base_c - t_mean_c)


@dataclass(frozen=True, slots=True)
class WeatherModel:
    """Expected consumption model: ``a + b·DJU`` per day, or the reference mean."""

    method: str
    """``regression`` or ``mean``."""
    a: float
    b: float = 0.0
    r2: float | None = None
    days: int = 0
    mean_daily: float = 0.0

    def expected(self, degree_days_per_day: Sequence[float | None]) -> float:
        """Return Ĉ over some valid days, given each day's degree-days (None if unknown)."""
        if self.method == "regression" and all(
            d is not None for d in degree_days_per_day
        ):
            return self.a * len(degree_days_per_day) + self.b * sum(
                d for d in degree_days_per_day if d is not None
            )
        return self.mean_daily * len(degree_days_per_day)

    def describe(self) -> dict[str, object]:
        """Return the score-card description of the model."""
        return {
            "method": self.method,
            "a": round(self.a, 4),
            "b": round(self.b, 4),
            "r2": None if self.r2 is None else round(self.r2, 4),
            "days": self.days,
            "mean_daily_kwh": round(self.mean_daily, 4),
        }


def fit_weather_model(
    reference: Sequence[DayData],
    settings: SeasonSettings,
    temperature: Mapping[date, float] | None = None,
) -> WeatherModel:
    """Fit ``C = a + b·DJU`` (least squares, b ≥ 0) on reference days with a temperature.

    Falls back to the mean daily reference consumption when fewer than 14 days carry a
    temperature or when R² < 0.5. ``temperature`` fills days without the household's own
    (the team's median).
    """
    consumption = [c for day in reference if (c := day.consumption_kwh) is not None]
    mean_daily = sum(consumption) / len(consumption) if consumption else 0.0
    points: list[tuple[float, float]] = []
    for day in reference:
        t = day.t_mean_c
        if t is None and temperature is not None:
            t = temperature.get(day.day)
        if t is not None and (c := day.consumption_kwh) is not None:
            points.append((degree_days(t, settings.degree_day_base_c), c))
    fallback = WeatherModel(
        "mean", a=mean_daily, mean_daily=mean_daily, days=len(points)
    )
    if len(points) < settings.min_weather_days:
        return fallback
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    syy = sum((y - mean_y) ** 2 for _, y in points)
    if sxx == 0 or syy == 0:
        return fallback
    b = max(0.0, sxy / sxx)
    a = mean_y - b * mean_x
    residual = sum((y - a - b * x) ** 2 for x, y in points)
    r2 = 1 - residual / syy
    if r2 < settings.min_r2:
        return WeatherModel("mean", a=mean_daily, r2=r2, days=n, mean_daily=mean_daily)
    return WeatherModel("regression", a=a, b=b, r2=r2, days=n, mean_daily=mean_daily)
