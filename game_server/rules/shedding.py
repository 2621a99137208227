"""Load-shedding points (spec §4.5): shed power, duration and peak multipliers, caps, rebound.

Choices where the spec is silent (documented in the game docs):
- Overlapping events (several relays) merge into one interval; each minute's shed power is
  the sum of the events covering it, and the duration multiplier counts from the merged start.
- The slot baseline ``B_s`` needs at least one same-type day without events; without any,
  no slot cap and no rebound apply and the card says so.
- The rebound window is the 4 half-hours starting at the first slot boundary at or after the
  event's end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from .models import PARIS, DayData, PeakEvent, PeakWindow, SeasonSettings, SheddingEvent
from .slots import SLOT, day_start, local_half_hours, local_value, slot_at

MINUTE = timedelta(minutes=1)


def shed_power_kw(event: SheddingEvent) -> float:
    """Return P_shed: min(declared, measured) when measured, else half the declared power."""
    if event.measured_w is not None:
        return max(0.0, min(event.declared_w, event.measured_w)) / 1000
    return 0.5 * max(0.0, event.declared_w) / 1000


@dataclass(kw_only=True, slots=True)
class MergedEvent:
    """Overlapping shedding events merged into one interval."""

    start: datetime
    end: datetime
    events: list[SheddingEvent] = field(default_factory=list)

    def power_at(self, minute: datetime) -> float:
        """Return the shed power (kW) during one minute: sum of the events covering it."""
        return sum(
            shed_power_kw(event)
            for event in self.events
            if event.start <= minute < event.end
        )


def merge_events(events: Sequence[SheddingEvent]) -> list[MergedEvent]:
    """Merge overlapping events (by time), ignoring empty or reversed intervals."""
    merged: list[MergedEvent] = []
    # In UTC: Python adds to and subtracts Paris times by wall clock, wrong across the
    # fall-back hour.
    for event in sorted(events, key=lambda e: (e.start, e.end)):
        start, end = event.start.astimezone(UTC), event.end.astimezone(UTC)
        if end <= start:
            continue
        if merged and start < merged[-1].end:
            merged[-1].end = max(merged[-1].end, end)
            merged[-1].events.append(event)
        else:
            merged.append(MergedEvent(start=start, end=end, events=[event]))
    return merged


def peak_multiplier(
    minute: datetime, windows: Sequence[PeakWindow], events: Sequence[PeakEvent]
) -> float:
    """Return m_peak for a minute: an announced/meter peak's multiplier, 3 in a window, or 1."""
    multiplier = 1.0
    for event in events:
        if event.start <= minute < event.end:
            multiplier = max(multiplier, event.multiplier)
    local = minute.astimezone(PARIS)
    for window in windows:
        if (
            local.month in window.months
            and local.weekday() in window.weekdays
            and window.start <= local.time() < window.end
        ):
            multiplier = max(multiplier, 3.0)
    return multiplier


def slot_baseline(
    day: date,
    slot: int,
    days: Mapping[date, DayData],
    event_days: set[date],
    settings: SeasonSettings,
) -> float | None:
    """Return B_s: mean of the slot over the last 10 same-type days without events.

    ``slot`` is the slot's index in ``day`` (real time order); the baseline averages the
    same local half-hour of the earlier days (see ``slots.local_value``), so clock-change
    days on either side compare like with like.
    """
    if not 0 <= slot < len(local_half_hours(day)):
        return None
    half_hour = local_half_hours(day)[slot]
    weekend = day.weekday() >= 5
    values: list[float] = []
    candidate = day - timedelta(days=1)
    # Look back at most ten weeks: enough to find ten same-type days.
    for _ in range(70):
        if len(values) >= settings.baseline_days:
            break
        data = days.get(candidate)
        if (
            (candidate.weekday() >= 5) == weekend
            and candidate not in event_days
            and data is not None
            and data.import_slots is not None
            and (value := local_value(data.import_slots, candidate, half_hour))
            is not None
        ):
            values.append(value)
        candidate -= timedelta(days=1)
    return sum(values) / len(values) if values else None


def _actual(days: Mapping[date, DayData], day: date, slot: int) -> float | None:
    """Return A_s, a slot's actual import, when known."""
    data = days.get(day)
    if data is None or data.import_slots is None or slot >= len(data.import_slots):
        return None
    return data.import_slots[slot]


@dataclass(kw_only=True, slots=True)
class EventScore:
    """Points of one merged shedding event, with its score-card details."""

    start: datetime
    end: datetime
    event_ids: list[str]
    shed_kw: float
    raw_kwh: float = 0.0
    peak_kwh: float = 0.0
    """The part of ``raw_kwh`` shed in minutes whose peak multiplier is above 1."""
    weighted_kwh: float = 0.0
    rebound_kwh: float = 0.0
    points: float = 0.0
    ignored: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the event's card entry."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "event_ids": self.event_ids,
            "shed_kw": round(self.shed_kw, 3),
            "raw_kwh": round(self.raw_kwh, 3),
            "peak_kwh": round(self.peak_kwh, 3),
            "weighted_kwh": round(self.weighted_kwh, 3),
            "rebound_kwh": round(self.rebound_kwh, 3),
            "points": round(self.points, 2),
            "ignored": self.ignored,
            "notes": self.notes,
        }


def _local_minutes(start: datetime, minutes: int) -> list[datetime]:
    """Return each minute of an interval in Paris time.

    Without a clock change inside the interval, Paris wall time advances like UTC, so one
    conversion is enough; otherwise every minute is converted.
    """
    first = start.astimezone(PARIS)
    last = (start + minutes * MINUTE).astimezone(PARIS)
    if first.utcoffset() == last.utcoffset():
        return [first + n * MINUTE for n in range(minutes)]
    return [(start + n * MINUTE).astimezone(PARIS) for n in range(minutes)]


class _Baselines:
    """The slot baselines ``B_s`` of one household, computed once per day and slot."""

    def __init__(
        self,
        days: Mapping[date, DayData],
        event_days: set[date],
        settings: SeasonSettings,
    ) -> None:
        """Look up ``days``, skipping ``event_days``."""
        self._days = days
        self._event_days = event_days
        self._settings = settings
        self._candidates: dict[date, list[tuple[date, Sequence[float | None]]]] = {}
        self._values: dict[tuple[date, int], float | None] = {}

    def _candidates_of(self, day: date) -> list[tuple[date, Sequence[float | None]]]:
        """Return the slots of the same-type days without events, latest first.

        Only the 70 days before ``day`` are looked at (ten weeks, as ``slot_baseline``).
        """
        found = self._candidates.get(day)
        if found is None:
            weekend = day.weekday() >= 5
            found = []
            candidate = day
            for _ in range(70):
                candidate -= timedelta(days=1)
                data = self._days.get(candidate)
                if (
                    data is not None
                    and data.import_slots is not None
                    and (candidate.weekday() >= 5) == weekend
                    and candidate not in self._event_days
                ):
                    found.append((candidate, data.import_slots))
            self._candidates[day] = found
        return found

    def get(self, day: date, slot: int) -> float | None:
        """Return B_s like ``slot_baseline``, from the cached same-type days."""
        key = (day, slot)
        if key in self._values:
            return self._values[key]
        wanted = self._settings.baseline_days
        values: list[float] = []
        half_hours = local_half_hours(day)
        if 0 <= slot < len(half_hours):
            half_hour = half_hours[slot]
            for candidate, slots in self._candidates_of(day):
                if len(values) >= wanted:
                    break
                if (value := local_value(slots, candidate, half_hour)) is not None:
                    values.append(value)
        result = sum(values) / len(values) if values else None
        self._values[key] = result
        return result


def _window_multiplier(local: datetime, windows: Sequence[PeakWindow]) -> bool:
    """Return whether a Paris-time minute falls in one of the season's peak windows."""
    return any(
        local.month in window.months
        and local.weekday() in window.weekdays
        and window.start <= local.time() < window.end
        for window in windows
    )


def score_events(
    events: Sequence[SheddingEvent],
    days: Mapping[date, DayData],
    settings: SeasonSettings,
    peak_events: Sequence[PeakEvent] = (),
) -> list[EventScore]:
    """Score every merged event: ``10·Σ weighted kWh − 10·rebound``, floor 0."""
    merged = merge_events(events)
    event_days = {
        day
        for item in merged
        for day in {
            item.start.astimezone(PARIS).date(),
            item.end.astimezone(PARIS).date(),
        }
    }
    baselines = _Baselines(days, event_days, settings)
    minutes_used: dict[date, int] = {}
    all_peaks = tuple(settings.peak_events) + tuple(peak_events)
    scores: list[EventScore] = []
    for item in merged:
        minutes = int((item.end - item.start) / MINUTE)
        moments = [item.start + n * MINUTE for n in range(minutes)]
        powers = [(e.start, e.end, shed_power_kw(e)) for e in item.events]
        energies = [
            sum(kw for start, end, kw in powers if start <= minute < end) / 60
            for minute in moments
        ]
        score = EventScore(
            start=item.start,
            end=item.end,
            event_ids=[event.id for event in item.events],
            shed_kw=max((e * 60 for e in energies), default=0.0),
            raw_kwh=sum(energies),
        )
        scores.append(score)
        if minutes < 15 or score.raw_kwh < 0.1:
            score.ignored = "under 15 minutes or 0.1 kWh"
            continue
        local_minutes = _local_minutes(item.start, minutes)
        shed = list(
            energies
        )  # before the caps: what ``raw_kwh`` and ``peak_kwh`` count
        # Cap each half-hour slot's shed energy by the drop below its baseline.
        per_slot: dict[tuple[date, int], list[int]] = {}
        for n, (minute, local) in enumerate(zip(moments, local_minutes, strict=True)):
            local_day = local.date()
            slot_key = (local_day, int((minute - day_start(local_day)) // SLOT))
            per_slot.setdefault(slot_key, []).append(n)
        for (day, slot), indexes in per_slot.items():
            baseline = baselines.get(day, slot)
            actual = _actual(days, day, slot)
            if baseline is None or actual is None:
                continue
            cap = max(0.0, baseline - actual)
            energy = sum(energies[n] for n in indexes)
            if energy > cap:
                factor = cap / energy if energy > 0 else 0.0
                for n in indexes:
                    energies[n] *= factor
                score.notes.append(
                    f"slot {day.isoformat()}#{slot} capped to baseline drop {cap:.3f} kWh"
                )
        weighted = 0.0
        limit = settings.max_shedding_minutes_per_day
        for n, (minute, local) in enumerate(zip(moments, local_minutes, strict=True)):
            peak = 1.0
            for event in all_peaks:
                if event.start <= minute < event.end:
                    peak = max(peak, event.multiplier)
            if _window_multiplier(local, settings.peak_windows):
                peak = max(peak, 3.0)
            if peak > 1:
                score.peak_kwh += shed[n]
            local_day = local.date()
            if minutes_used.get(local_day, 0) >= limit:
                if "daily 4 h limit reached" not in score.notes:
                    score.notes.append("daily 4 h limit reached")
                continue
            minutes_used[local_day] = minutes_used.get(local_day, 0) + 1
            duration_factor = 2.0 if n >= 60 else 1.0
            weighted += energies[n] * duration_factor * peak
        score.weighted_kwh = weighted
        score.rebound_kwh = _rebound(item.end, days, baselines)
        score.points = max(0.0, 10 * weighted - 10 * score.rebound_kwh)
    return scores


def _rebound(
    end: datetime, days: Mapping[date, DayData], baselines: _Baselines
) -> float:
    """Return the energy above baseline in the 2 hours (4 slots) after an event."""
    day, slot = slot_at(end)
    first = day_start(day) + slot * SLOT
    if first < end:
        first += SLOT
    rebound = 0.0
    for n in range(4):
        day, slot = slot_at(first + n * SLOT)
        baseline = baselines.get(day, slot)
        actual = _actual(days, day, slot)
        if baseline is not None and actual is not None:
            rebound += max(0.0, actual - baseline)
    return rebound
