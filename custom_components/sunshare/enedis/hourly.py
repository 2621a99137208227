"""Hourly energy rows with continuous running sums, built from Enedis data (pure).

Home Assistant's long-term statistics are hourly rows ``(start, state, sum)``; the Energy
dashboard shows ``Δsum`` between rows. This module turns Enedis data into such rows:

* :func:`daily_hours` / :func:`hourly_energy` — Wh per UTC hour. A local day whose
  load curve is complete (every step known) uses the load curve; otherwise the day's
  daily value is put as **one row at local midnight** (not spread: spreading would
  invent a profile the meter never measured); a day with neither keeps the curve
  steps that are known. Steps of 10/15/30/60 minutes fall into the UTC hour of their
  start (Europe/Paris is offset by whole hours, so local and UTC hours align).
* :func:`recompute_days` — merge new days into the stored rows (a complete load curve
  replaces a stored day, a daily value never replaces a detailed day, partial data
  only fills empty days; see :func:`merge_days`). Every row from the first changed
  hour on is rewritten with a running sum continued from the row before, so a late or
  missing day imported later shifts the following sums (no spike, no dip), and
  re-importing the same data changes nothing (idempotent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from typing import Final

from .models import PARIS, DailyValue, Interval, local_midnight_utc

HOUR: Final = timedelta(hours=1)
EPSILON: Final = 1e-6
"""Two energies or sums closer than this (Wh) are equal."""


@dataclass(frozen=True, slots=True)
class HourRow:
    """One hourly statistics row: energy of the hour and running sum, in Wh."""

    start: datetime
    """Aware UTC start of the hour."""
    energy_wh: float
    sum_wh: float


def hour_floor(moment: datetime) -> datetime:
    """Return the start of the UTC hour containing an aware ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_day(moment: datetime) -> date:
    """Return the Europe/Paris calendar day of an aware ``moment``."""
    return moment.astimezone(PARIS).date()


def day_length(day: date) -> timedelta:
    """Return the length of a local day (23, 24 or 25 hours)."""
    return local_midnight_utc(day + timedelta(days=1)) - local_midnight_utc(day)


def _curve_by_day(intervals: Iterable[Interval]) -> dict[date, list[Interval]]:
    """Group load-curve intervals by the local day of their start."""
    by_day: dict[date, list[Interval]] = defaultdict(list)
    for interval in intervals:
        by_day[local_day(interval.start)].append(interval)
    return by_day


def _curve_complete(day: date, intervals: Sequence[Interval]) -> bool:
    """Return whether known steps cover the whole local day."""
    covered = sum(
        (i.duration for i in intervals if i.energy_wh is not None), timedelta()
    )
    return covered >= day_length(day)


class Quality(IntEnum):
    """How well new data describes a local day (higher replaces lower)."""

    PARTIAL = 0
    """Some load-curve steps known, no daily value."""
    DAILY = 1
    """The daily value only, as one row at local midnight."""
    CURVE = 2
    """A complete load curve."""


@dataclass(frozen=True, slots=True)
class DayEnergy:
    """The hourly energy of one local day and how complete it is."""

    hours: dict[datetime, float]
    quality: Quality


def daily_hours(
    intervals: Iterable[Interval], days: Iterable[DailyValue] = ()
) -> dict[date, DayEnergy]:
    """Return each local day's Wh per UTC hour (see the module docstring for rules)."""
    curve = _curve_by_day(intervals)
    daily = {value.day: value.energy_wh for value in days}
    result: dict[date, DayEnergy] = {}
    for day in sorted(set(curve) | set(daily)):
        steps = curve.get(day, [])
        hours: dict[datetime, float] = defaultdict(float)
        if steps and _curve_complete(day, steps):
            quality = Quality.CURVE
        elif (energy := daily.get(day)) is not None:
            result[day] = DayEnergy({local_midnight_utc(day): energy}, Quality.DAILY)
            continue
        else:
            quality = Quality.PARTIAL
        for step in steps:
            if step.energy_wh is not None:
                hours[hour_floor(step.start)] += step.energy_wh
        if hours:
            result[day] = DayEnergy(
                {hour: round(wh, 3) for hour, wh in sorted(hours.items())}, quality
            )
    return result


def hourly_energy(
    intervals: Iterable[Interval], days: Iterable[DailyValue] = ()
) -> dict[datetime, float]:
    """Return the energy in Wh of each UTC hour (see the module docstring for rules)."""
    return {
        hour: energy
        for day in daily_hours(intervals, days).values()
        for hour, energy in day.hours.items()
    }


def day_totals(
    intervals: Iterable[Interval], days: Iterable[DailyValue] = ()
) -> dict[date, float]:
    """Return the energy in Wh of each local day: daily value, else a complete curve."""
    totals = {
        value.day: value.energy_wh for value in days if value.energy_wh is not None
    }
    for day, steps in _curve_by_day(intervals).items():
        if day not in totals and _curve_complete(day, steps):
            totals[day] = round(sum(s.energy_wh or 0.0 for s in steps), 3)
    return dict(sorted(totals.items()))


def merge_days(
    new: Mapping[date, DayEnergy], existing: Iterable[HourRow]
) -> dict[datetime, float]:
    """Return the hourly energies after merging ``new`` days into ``existing`` rows.

    A complete load curve replaces a stored day (its stored hours absent from the new
    data become 0 Wh); a daily value replaces a stored day only when that day has at
    most one row (never a detailed day); partial data only fills a day with no row.
    """
    energies = {row.start: row.energy_wh for row in existing}
    stored_days: dict[date, list[datetime]] = defaultdict(list)
    for hour in energies:
        stored_days[local_day(hour)].append(hour)
    for day, data in new.items():
        stored = stored_days.get(day, [])
        if data.quality is Quality.CURVE or (
            data.quality is Quality.DAILY and len(stored) <= 1
        ):
            for hour in stored:
                energies[hour] = 0.0
            energies.update(data.hours)
        elif not stored:
            energies.update(data.hours)
    return energies


def first_hour(new: Mapping[date, DayEnergy]) -> datetime | None:
    """Return the first hour new data may change (the start of its first day)."""
    return local_midnight_utc(min(new)) if new else None


def recompute_rows(
    new: Mapping[datetime, float],
    existing: Sequence[HourRow],
    base_sum: float,
) -> list[HourRow]:
    """Return the rows to write to merge ``new`` hours into ``existing`` rows.

    ``existing`` holds the stored rows from the first new hour on (any order);
    ``base_sum`` is the sum of the last stored row before it (0 when there is none).
    New values replace stored ones; the returned rows start at the first hour whose
    energy or sum changes and include every later row, with sums recomputed; an empty
    list means nothing changes.
    """
    energies = {row.start: row.energy_wh for row in existing}
    energies.update({hour_floor(hour): energy for hour, energy in new.items()})
    return _changed_rows(energies, existing, base_sum)


def recompute_days(
    new: Mapping[date, DayEnergy],
    existing: Sequence[HourRow],
    base_sum: float,
) -> list[HourRow]:
    """Return the rows to write to merge ``new`` days (see :func:`merge_days`).

    ``existing`` holds the stored rows from :func:`first_hour` on, ``base_sum`` the
    sum of the last stored row before it; as :func:`recompute_rows` otherwise.
    """
    return _changed_rows(merge_days(new, existing), existing, base_sum)


def _changed_rows(
    energies: Mapping[datetime, float], existing: Sequence[HourRow], base_sum: float
) -> list[HourRow]:
    """Return the rows from the first changed energy or sum on, sums recomputed."""
    stored = {row.start: row for row in existing}
    rows: list[HourRow] = []
    running = base_sum
    changed = False
    for hour in sorted(energies):
        energy = energies[hour]
        running = round(running + energy, 3)
        old = stored.get(hour)
        if not changed and (
            old is None
            or abs(old.energy_wh - energy) > EPSILON
            or abs(old.sum_wh - running) > EPSILON
        ):
            changed = True
        if changed:
            rows.append(HourRow(hour, energy, running))
    return rows


def build_rows(hours: Mapping[datetime, float], base_sum: float = 0.0) -> list[HourRow]:
    """Return rows for ``hours`` with a running sum starting after ``base_sum``."""
    return recompute_rows(hours, (), base_sum)
