"""A day's half-hour slots: real time order, mapped to Paris local time (DST-aware).

A day's half-hours are sent and stored in real time order from local midnight: 48 on an
ordinary day, 46 on the spring-forward day (02:00–03:00 does not exist) and 50 on the
fall-back day (02:00–03:00 happens twice). Every rule that reads slots goes through this
module, so that slot *index* (position in the list, real time) and *local half-hour*
(the spec's slot *s*: the same wall-clock half-hour of the day, 0 = 00:00, 47 = 23:30)
are never confused.

- ``slot_count(day)``: the day's real number of slots (46/48/50).
- ``slot_bounds(day, index)``: local start and end of a slot (aware, Europe/Paris).
- ``slot_at(moment)``: the local day and slot index a moment falls in.
- ``local_half_hours(day)``: the local half-hour of each slot of the day.
- ``local_value(slots, day, half_hour)``: a day's value for a local half-hour (the mean
  of its two slots on the fall-back day; None where it does not exist or is missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from .models import PARIS

SLOT = timedelta(minutes=30)
LOCAL_HALF_HOURS = 48
"""Wall-clock half-hours of a day (00:00 … 23:30)."""


@lru_cache(maxsize=4096)
def day_start(day: date) -> datetime:
    """Return the UTC instant of a day's local (Europe/Paris) midnight."""
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


@lru_cache(maxsize=4096)
def slot_count(day: date) -> int:
    """Return the day's real number of half-hours: 48, or 46/50 on clock-change days."""
    return int((day_start(day + timedelta(days=1)) - day_start(day)) / SLOT)


def slot_bounds(day: date, index: int) -> tuple[datetime, datetime]:
    """Return the local start and end of slot ``index`` of ``day`` (real time order).

    Raises IndexError for an index outside the day.
    """
    if not 0 <= index < slot_count(day):
        msg = f"{day} has {slot_count(day)} half-hours, no slot {index}"
        raise IndexError(msg)
    start = day_start(day) + index * SLOT
    return start.astimezone(PARIS), (start + SLOT).astimezone(PARIS)


def slot_at(moment: datetime) -> tuple[date, int]:
    """Return the local day and the slot index (real time order) of an aware moment."""
    day = moment.astimezone(PARIS).date()
    return day, int((moment - day_start(day)) // SLOT)


def half_hour_of(local: datetime | time) -> int:
    """Return the local half-hour (0–47) of a wall-clock time."""
    return local.hour * 2 + local.minute // 30


@lru_cache(maxsize=4096)
def local_half_hours(day: date) -> tuple[int, ...]:
    """Return the local half-hour (0–47) where each of the day's slots starts."""
    start = day_start(day)
    return tuple(
        half_hour_of((start + n * SLOT).astimezone(PARIS))
        for n in range(slot_count(day))
    )


@lru_cache(maxsize=4096)
def _indexes_by_half_hour(day: date) -> tuple[tuple[int, ...], ...]:
    """Return, for each local half-hour, the indexes of the day's slots that start then."""
    found: list[list[int]] = [[] for _ in range(LOCAL_HALF_HOURS)]
    for index, half_hour in enumerate(local_half_hours(day)):
        found[half_hour].append(index)
    return tuple(tuple(indexes) for indexes in found)


def slot_indexes(day: date, half_hour: int) -> tuple[int, ...]:
    """Return the indexes of the day's slots starting at a local half-hour.

    One on ordinary days; none for 02:00 and 02:30 on the spring-forward day; two for
    them on the fall-back day.
    """
    return _indexes_by_half_hour(day)[half_hour]


def local_value(
    slots: Sequence[float | None], day: date, half_hour: int
) -> float | None:
    """Return a day's value for a local half-hour (the spec's slot *s*).

    The mean of the present slots starting then (two on the fall-back day); None when the
    half-hour does not exist that day or its slots are missing.
    """
    values = [
        value
        for index in slot_indexes(day, half_hour)
        if index < len(slots) and (value := slots[index]) is not None
    ]
    return sum(values) / len(values) if values else None
