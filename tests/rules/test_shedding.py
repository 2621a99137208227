"""Hand-computed examples of load-shedding points (spec §4.5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from game_server.rules.models import (
    PARIS,
    DayData,
    PeakEvent,
    SeasonSettings,
    SheddingEvent,
)
from game_server.rules.shedding import merge_events, score_events, shed_power_kw

SEASON = SeasonSettings(start=date(2027, 1, 1), end=date(2027, 3, 31))


def _at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    """Return a Paris local time in 2027."""
    return datetime(2027, month, day, hour, minute, tzinfo=PARIS)


def _event(
    start: datetime,
    end: datetime,
    declared: float,
    measured: float | None = None,
    event_id: str = "e",
) -> SheddingEvent:
    return SheddingEvent(
        id=event_id, start=start, end=end, declared_w=declared, measured_w=measured
    )


def test_spec_example_is_eighty_points() -> None:
    """2 kW heaters shed 19:00–20:30 on a January weekday, measured drop 2.1 kW.

    19:00–20:00 → 2 kWh × 3 (peak window) = 6; 20:00–20:30 → 1 kWh × 2 (after 60 min) = 2.
    """
    event = _event(_at(12, 19), _at(12, 20, 30), declared=2000, measured=2100)
    [score] = score_events([event], {}, SEASON)
    assert score.shed_kw == pytest.approx(2)
    assert score.raw_kwh == pytest.approx(3)
    assert score.weighted_kwh == pytest.approx(8)
    assert score.points == pytest.approx(80)


def test_unmeasured_power_counts_half() -> None:
    """Without a measurement, P_shed = 0.5 × declared: 1 kW → 3 + 1 = 4 kWh → 40 points."""
    assert shed_power_kw(_event(_at(12, 19), _at(12, 20), 2000)) == 1
    assert shed_power_kw(_event(_at(12, 19), _at(12, 20), 2000, 1500)) == 1.5
    [score] = score_events([_event(_at(12, 19), _at(12, 20, 30), 2000)], {}, SEASON)
    assert score.points == pytest.approx(40)


def test_short_or_small_events_are_ignored() -> None:
    """Under 15 minutes or under 0.1 kWh gives nothing."""
    short = _event(_at(12, 19), _at(12, 19, 10), 2000, 2000, event_id="short")
    small = _event(_at(13, 19), _at(13, 19, 30), 100, 100, event_id="small")
    scores = score_events([short, small], {}, SEASON)
    assert [s.points for s in scores] == [0, 0]
    assert all(s.ignored for s in scores)


def test_overlapping_events_merge() -> None:
    """Two 1 kW relays 10:00–10:30 and 10:15–10:45: one 45-minute event of 1 kWh."""
    first = _event(_at(13, 10), _at(13, 10, 30), 1000, 1000, event_id="a")
    second = _event(_at(13, 10, 15), _at(13, 10, 45), 1000, 1000, event_id="b")
    assert len(merge_events([second, first])) == 1
    [score] = score_events([first, second], {}, SEASON)
    assert score.event_ids == ["a", "b"]
    assert score.raw_kwh == pytest.approx(1)
    assert score.points == pytest.approx(10)


def test_at_most_four_hours_a_day_count() -> None:
    """10:00–15:00 at 1 kW: only 240 minutes count: 1 kWh × 1 + 3 kWh × 2 = 7 → 70."""
    [score] = score_events([_event(_at(13, 10), _at(13, 15), 1000, 1000)], {}, SEASON)
    assert score.weighted_kwh == pytest.approx(7)
    assert score.points == pytest.approx(70)
    assert "daily 4 h limit reached" in score.notes


def test_announced_peak_event_multiplier() -> None:
    """A Saturday peak event announced by the admins: 0.5 kWh × 3 = 1.5 → 15 points."""
    peak = PeakEvent(start=_at(16, 12), end=_at(16, 13), multiplier=3)
    event = _event(_at(16, 12), _at(16, 12, 30), 1000, 1000)
    [score] = score_events([event], {}, SEASON, [peak])
    assert score.points == pytest.approx(15)
    [no_peak] = score_events([event], {}, SEASON)
    assert no_peak.points == pytest.approx(5)


def test_peak_window_only_in_winter_weekdays() -> None:
    """The default window is weekdays 18:00–20:00 from November to March."""
    april = _event(_at(13, 18, month=4), _at(13, 19, month=4), 1000, 1000)
    saturday = _event(_at(16, 18), _at(16, 19), 1000, 1000)
    assert [s.points for s in score_events([april], {}, SEASON)] == [pytest.approx(10)]
    assert [s.points for s in score_events([saturday], {}, SEASON)] == [
        pytest.approx(10)
    ]


def _slot_days(event_day: date, event_slots: dict[int, float]) -> dict[date, DayData]:
    """30 days of 0.8 kWh per half-hour, then the event day with some slots changed."""
    days = {
        d: DayData(day=d, import_kwh=38.4, import_slots=tuple([0.8] * 48))
        for n in range(1, 31)
        if (d := event_day - timedelta(n))
    }
    slots = [0.8] * 48
    for index, value in event_slots.items():
        slots[index] = value
    days[event_day] = DayData(
        day=event_day, import_kwh=sum(slots), import_slots=tuple(slots)
    )
    return days


def test_half_hour_cap_and_rebound() -> None:
    """2 kW shed 10:00–11:00; baseline 0.8 per slot, actual 0.3 → each slot capped at 0.5.

    Weighted = 1.0 kWh → 10; rebound: 11:00 slot at 1.0 vs 0.8 → 0.2 kWh → −2 → 8 points.
    """
    day = date(2027, 1, 14)
    days = _slot_days(day, {20: 0.3, 21: 0.3, 22: 1.0})
    [score] = score_events([_event(_at(14, 10), _at(14, 11), 2000, 2000)], days, SEASON)
    assert score.weighted_kwh == pytest.approx(1.0)
    assert score.rebound_kwh == pytest.approx(0.2)
    assert score.points == pytest.approx(8)
    assert len([n for n in score.notes if "capped" in n]) == 2


def test_points_never_negative() -> None:
    """A big rebound cannot make an event cost points."""
    day = date(2027, 1, 14)
    days = _slot_days(day, {20: 0.7, 21: 0.7, 22: 3.0, 23: 3.0})
    [score] = score_events([_event(_at(14, 10), _at(14, 11), 2000, 2000)], days, SEASON)
    assert score.rebound_kwh > 1
    assert score.points == 0


def test_baseline_skips_event_days_and_other_day_types() -> None:
    """B_s uses same-type days (weekday/weekend) without events."""
    from game_server.rules.shedding import slot_baseline

    day = date(2027, 1, 14)  # Thursday
    days = _slot_days(day, {})
    days[date(2027, 1, 13)] = DayData(
        day=date(2027, 1, 13), import_kwh=96, import_slots=tuple([2.0] * 48)
    )
    days[date(2027, 1, 9)] = DayData(  # a Saturday: ignored for a weekday
        day=date(2027, 1, 9), import_kwh=96, import_slots=tuple([2.0] * 48)
    )
    assert slot_baseline(day, 20, days, {date(2027, 1, 13)}, SEASON) == pytest.approx(
        0.8
    )
    with_13th = slot_baseline(day, 20, days, set(), SEASON)
    assert with_13th == pytest.approx((2.0 + 9 * 0.8) / 10)
    assert slot_baseline(day, 20, {}, set(), SEASON) is None


def test_engine_sums_events_per_month_including_a_dst_day() -> None:
    """Season cards: the spec example in January (80) and a DST-day event in March.

    28 March 2027 (spring DST, a Sunday): 1 kW 18:00–19:00 local, no window → 10 points.
    """
    from game_server.rules import HouseholdInput, HouseholdProfile, PeerAggregates
    from game_server.rules.engine import score_household
    from game_server.rules.models import Challenge

    season = SeasonSettings(
        start=date(2027, 1, 1),
        end=date(2027, 3, 31),
        challenges=frozenset({Challenge.SHEDDING}),
    )
    events = [
        _event(_at(12, 19), _at(12, 20, 30), 2000, 2100, event_id="jan"),
        _event(_at(28, 18, month=3), _at(28, 19, month=3), 1000, 1000, event_id="dst"),
        _event(
            _at(12, 19, month=4), _at(12, 20, month=4), 1000, 1000, event_id="after"
        ),
    ]
    household = HouseholdInput(
        profile=HouseholdProfile(), days={}, shedding_events=events
    )
    result = score_household(
        household, season, PeerAggregates(), as_of=date(2027, 4, 30)
    )
    by_month = {c.month: c.points for c in result.cards}
    assert by_month == {
        "2027-01": pytest.approx(80),
        "2027-02": 0,
        "2027-03": pytest.approx(10),
    }
    assert result.total == pytest.approx(90)
    march = next(c for c in result.cards if c.month == "2027-03")
    assert march.factors["events"][0]["event_ids"] == ["dst"]
