"""Tests of the hourly statistics builder (pure, no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import itertools

from custom_components.sunshare.enedis.hourly import (
    DayEnergy,
    HourRow,
    Quality,
    build_rows,
    daily_hours,
    day_length,
    day_totals,
    first_hour,
    hour_floor,
    hourly_energy,
    recompute_days,
    recompute_rows,
)
from custom_components.sunshare.enedis.models import (
    DailyValue,
    Interval,
    local_midnight_utc,
)

STEP = timedelta(minutes=30)


def curve(day: date, wh: float = 100.0, nulls: int = 0) -> list[Interval]:
    """Return the half-hours of a local day, each ``wh``; the first ``nulls`` missing."""
    start, end = local_midnight_utc(day), local_midnight_utc(day + timedelta(days=1))
    steps = []
    index = 0
    while start < end:
        steps.append(Interval(start, start + STEP, None if index < nulls else wh))
        start += STEP
        index += 1
    return steps


def test_complete_curve_makes_one_row_per_utc_hour() -> None:
    day = date(2026, 11, 20)
    hours = hourly_energy(curve(day))
    assert len(hours) == 24
    assert min(hours) == datetime(2026, 11, 19, 23, tzinfo=UTC)
    assert set(hours.values()) == {200.0}
    assert daily_hours(curve(day))[day].quality is Quality.CURVE


def test_dst_days_have_23_and_25_hours() -> None:
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert len(curve(spring)) == 46
    assert len(curve(autumn)) == 50
    assert day_length(spring) == timedelta(hours=23)
    assert len(hourly_energy(curve(spring))) == 23
    assert len(hourly_energy(curve(autumn))) == 25
    assert day_totals(curve(autumn)) == {autumn: 5000.0}
    assert day_totals(curve(spring)) == {spring: 4600.0}


def test_incomplete_curve_uses_the_daily_value_at_local_midnight() -> None:
    day = date(2026, 11, 20)
    days = daily_hours(curve(day, nulls=3), [DailyValue(day, 9999.0)])
    assert days[day] == DayEnergy({local_midnight_utc(day): 9999.0}, Quality.DAILY)
    # A complete curve wins over the daily value (which may differ slightly).
    assert daily_hours(curve(day), [DailyValue(day, 9999.0)])[day].quality is (
        Quality.CURVE
    )
    # Daily values alone, and missing (None) ones skipped.
    other = date(2026, 11, 21)
    only = hourly_energy([], [DailyValue(day, 10.0), DailyValue(other, None)])
    assert only == {local_midnight_utc(day): 10.0}


def test_partial_curve_without_daily_value_keeps_known_steps() -> None:
    day = date(2026, 11, 20)
    days = daily_hours(curve(day, nulls=2))
    assert days[day].quality is Quality.PARTIAL
    assert len(days[day].hours) == 23
    assert day_totals(curve(day, nulls=2)) == {}
    assert daily_hours(curve(day, nulls=48)) == {}


def test_build_rows_runs_the_sum_from_a_base() -> None:
    base = datetime(2026, 11, 20, tzinfo=UTC)
    rows = build_rows({base + timedelta(hours=i): 10.0 for i in range(3)}, 100.0)
    assert [r.sum_wh for r in rows] == [110.0, 120.0, 130.0]
    assert hour_floor(base + timedelta(minutes=59)) == base


def test_late_day_rewrites_following_rows_and_reimport_is_idempotent() -> None:
    d1, d2, d3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
    stored = build_rows(hourly_energy(curve(d1) + curve(d3)))
    assert stored[-1].sum_wh == 9600.0
    # Day 2 arrives late: rows from its first hour on are rewritten, shifted by 4800.
    new = daily_hours(curve(d2))
    first = first_hour(new)
    assert first == local_midnight_utc(d2)
    base = next(r.sum_wh for r in reversed(stored) if r.start < first)
    after = [r for r in stored if r.start >= first]
    rows = recompute_days(new, after, base)
    assert rows[0].start == first
    assert len(rows) == 48
    assert rows[-1].sum_wh == 14400.0
    merged = {r.start: r for r in stored} | {r.start: r for r in rows}
    ordered = sorted(merged.values(), key=lambda r: r.start)
    deltas = [b.sum_wh - a.sum_wh for a, b in itertools.pairwise(ordered)]
    assert set(deltas) == {200.0}  # no spike, no dip
    # Importing the same data again changes nothing.
    after = [r for r in ordered if r.start >= first]
    assert recompute_days(new, after, base) == []
    assert recompute_rows(hourly_energy(curve(d2)), after, base) == []


def test_only_the_changed_suffix_is_rewritten() -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    stored = build_rows({start + timedelta(hours=i): 1.0 for i in range(5)})
    rows = recompute_rows({start + timedelta(hours=3): 2.0}, stored, 0.0)
    assert [(r.start.hour, r.energy_wh, r.sum_wh) for r in rows] == [
        (3, 2.0, 5.0),
        (4, 1.0, 6.0),
    ]
    # A stored sum that is wrong (e.g. an old import from 0) is healed from there on.
    broken = [*stored[:2], HourRow(stored[2].start, 1.0, 99.0), *stored[3:]]
    healed = recompute_rows({}, broken, 0.0)
    assert [r.sum_wh for r in healed] == [3.0, 4.0, 5.0]


def test_daily_value_never_replaces_a_detailed_day() -> None:
    day = date(2026, 11, 20)
    stored = build_rows(hourly_energy(curve(day)))
    coarse = daily_hours([], [DailyValue(day, 5000.0)])
    assert recompute_days(coarse, stored, 0.0) == []
    # Partial data does not fill a day that has rows either.
    assert recompute_days(daily_hours(curve(day, nulls=4)), stored, 0.0) == []


def test_curve_replaces_a_daily_row_and_a_daily_value_replaces_a_daily_row() -> None:
    day = date(2026, 11, 20)
    stored = build_rows(hourly_energy([], [DailyValue(day, 4000.0)]), 50.0)
    rows = recompute_days(daily_hours(curve(day)), stored, 50.0)
    assert len(rows) == 24
    assert rows[0].energy_wh == 200.0
    assert rows[-1].sum_wh == 50.0 + 4800.0
    corrected = recompute_days(daily_hours([], [DailyValue(day, 4100.0)]), stored, 50.0)
    assert [(r.energy_wh, r.sum_wh) for r in corrected] == [(4100.0, 4150.0)]


def test_replacing_a_day_zeroes_stored_hours_the_new_data_lacks() -> None:
    day = date(2026, 11, 20)
    noon = local_midnight_utc(day) + timedelta(hours=12)
    stored = build_rows({noon: 300.0}, 10.0)
    rows = recompute_days(daily_hours([], [DailyValue(day, 500.0)]), stored, 10.0)
    assert [(r.start, r.energy_wh, r.sum_wh) for r in rows] == [
        (local_midnight_utc(day), 500.0, 510.0),
        (noon, 0.0, 510.0),
    ]


def test_partial_data_fills_an_empty_day_only() -> None:
    day = date(2026, 11, 20)
    partial = daily_hours(curve(day, nulls=4))
    rows = recompute_days(partial, [], 5.0)
    assert len(rows) == 22
    assert rows[-1].sum_wh == 5.0 + 44 * 100.0
