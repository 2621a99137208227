"""The shedding cards' shed energy, in total and at peak (the admin KPIs read them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings, strategies as st
import pytest

from game_server.rules import HouseholdInput, HouseholdProfile, PeerAggregates
from game_server.rules.engine import score_household
from game_server.rules.models import (
    PARIS,
    Challenge,
    PeakEvent,
    PeakWindow,
    SeasonSettings,
    SheddingEvent,
)
from game_server.rules.shedding import (
    MergedEvent,
    merge_events,
    peak_multiplier,
    score_events,
)

SEASON = SeasonSettings(
    start=date(2027, 1, 1),
    end=date(2027, 3, 31),
    challenges=frozenset({Challenge.SHEDDING}),
)


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Return a Paris local time in 2027."""
    return datetime(2027, month, day, hour, minute, tzinfo=PARIS)


def _event(
    event_id: str,
    start: datetime,
    end: datetime,
    declared: float,
    measured: float | None = None,
) -> SheddingEvent:
    return SheddingEvent(
        id=event_id, start=start, end=end, declared_w=declared, measured_w=measured
    )


def test_cards_carry_the_shed_energy_in_total_and_at_peak() -> None:
    """Hand-computed (season peak window: weekdays 18:00–20:00, November to March).

    January:
    - Tue 12 Jan 19:00–20:30, 2 kW declared, 2.1 kW measured: P = 2 kW, raw 3 kWh;
      19:00–20:00 is in the peak window: peak 2 kWh (the spec's example, 80 points).
    - Sat 16 Jan 19:00–20:00, 1 kW: raw 1 kWh; a weekend is outside the window: peak 0.
    - Wed 13 Jan 18:00–18:10, 2 kW: 10 minutes, ignored (raw 0.333, peak 0 on its own
      line) and left out of the card's totals.
    → shed_kwh = 3 + 1 = 4, peak_kwh = 2.
    February: an announced peak Wed 3 Feb 10:00–11:00 (× 2); Wed 3 Feb 10:30–11:30 at
    1 kW: raw 1 kWh, of which 10:30–11:00 at peak: 0.5 kWh
    (points 10 × (0.5 × 2 + 0.5) = 15). → shed_kwh = 1, peak_kwh = 0.5.
    March: no event → 0 and 0.
    """
    events = [
        _event("a", _at(1, 12, 19), _at(1, 12, 20, 30), 2000, 2100),
        _event("b", _at(1, 16, 19), _at(1, 16, 20), 1000, 1000),
        _event("c", _at(1, 13, 18), _at(1, 13, 18, 10), 2000, 2000),
        _event("d", _at(2, 3, 10, 30), _at(2, 3, 11, 30), 1000, 1000),
    ]
    announced = PeakEvent(start=_at(2, 3, 10), end=_at(2, 3, 11), multiplier=2.0)
    household = HouseholdInput(
        profile=HouseholdProfile(), days={}, shedding_events=events
    )
    result = score_household(
        household,
        SEASON,
        PeerAggregates(),
        as_of=date(2027, 4, 30),
        peak_events=[announced],
    )
    cards = {card.month: card for card in result.cards}
    january = cards["2027-01"].factors
    assert january["shed_kwh"] == pytest.approx(4)
    assert january["peak_kwh"] == pytest.approx(2)
    by_id = {tuple(row["event_ids"]): row for row in january["events"]}
    assert by_id[("a",)]["raw_kwh"] == pytest.approx(3)
    assert by_id[("a",)]["peak_kwh"] == pytest.approx(2)
    assert by_id[("a",)]["points"] == pytest.approx(80)
    assert by_id[("b",)]["peak_kwh"] == 0
    assert by_id[("c",)]["ignored"]
    assert by_id[("c",)]["peak_kwh"] == 0  # an ignored event counts nothing
    february = cards["2027-02"]
    assert february.factors["shed_kwh"] == pytest.approx(1)
    assert february.factors["peak_kwh"] == pytest.approx(0.5)
    assert february.points == pytest.approx(15)
    assert cards["2027-03"].factors == {"events": [], "shed_kwh": 0, "peak_kwh": 0}


def test_overlapping_events_count_their_summed_power_at_peak() -> None:
    """Two relays merged: 1 kW Mon 18 Jan 19:30–20:30 and 2 kW 19:45–20:15.

    Peak 19:30–20:00: 30 min × 1 kW + 15 min × 2 kW = 0.5 + 0.5 = 1 kWh.
    Raw: 1 kWh (1 kW for an hour) + 1 kWh (2 kW for half an hour) = 2 kWh.
    """
    events = [
        _event("x", _at(1, 18, 19, 30), _at(1, 18, 20, 30), 1000, 1000),
        _event("y", _at(1, 18, 19, 45), _at(1, 18, 20, 15), 2000, 2000),
    ]
    result = score_household(
        HouseholdInput(profile=HouseholdProfile(), days={}, shedding_events=events),
        SEASON,
        PeerAggregates(),
        as_of=date(2027, 4, 30),
    )
    january = next(c for c in result.cards if c.month == "2027-01").factors
    [row] = january["events"]
    assert row["event_ids"] == ["x", "y"]
    assert row["raw_kwh"] == pytest.approx(2)
    assert row["peak_kwh"] == pytest.approx(1)
    assert (january["shed_kwh"], january["peak_kwh"]) == (pytest.approx(2), 1)


def _per_minute(
    item: MergedEvent, windows: tuple[PeakWindow, ...], peaks: list[PeakEvent]
) -> float:
    """The definition, minute by minute: P/60 for each minute with m_peak > 1."""
    minutes = int((item.end - item.start) / timedelta(minutes=1))
    energy = 0.0
    for n in range(minutes):
        minute = item.start + n * timedelta(minutes=1)
        if peak_multiplier(minute, windows, peaks) > 1:
            energy += item.power_at(minute) / 60
    return energy


WINDOWS = (
    SEASON.peak_windows[0],
    # A window up to midnight (``24:00``), on Saturdays and Sundays, all year.
    PeakWindow(
        start=time(22),
        end=time.max,
        months=frozenset(range(1, 13)),
        weekdays=frozenset({5, 6}),
    ),
)


@settings(max_examples=80, deadline=None)
@given(
    day=st.sampled_from(
        [
            date(2027, 1, 12),  # a Tuesday in the peak window's months
            date(2027, 3, 27),  # the Saturday before the spring clock change
            date(2027, 3, 28),  # spring forward (02:00 → 03:00)
            date(2026, 10, 24),  # the Saturday before the autumn clock change
            date(2026, 10, 25),  # fall back (03:00 → 02:00)
            date(2026, 11, 30),  # a Monday
        ]
    ),
    starts=st.lists(
        st.integers(min_value=0, max_value=40 * 3600), min_size=1, max_size=3
    ),
    lengths=st.lists(
        st.integers(min_value=60, max_value=6 * 3600), min_size=3, max_size=3
    ),
    watts=st.lists(st.integers(min_value=100, max_value=6000), min_size=3, max_size=3),
    announced=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=40 * 3600),
            st.integers(min_value=60, max_value=4 * 3600),
            st.sampled_from([1.0, 2.0, 3.0]),
        ),
        max_size=2,
    ),
)
def test_peak_energy_is_the_minute_by_minute_sum(
    *,
    day: date,
    starts: list[int],
    lengths: list[int],
    watts: list[int],
    announced: list[tuple[int, int, float]],
) -> None:
    """The scored peak energy is the definition's minute-by-minute sum.

    Events start at any second of a day and the next (clock-change days included),
    overlap or not; announced peaks (multiplier 1 does not count) and windows (one
    ending at 24:00) may cover them in part.
    """
    origin = datetime.combine(day, time(), PARIS).astimezone(UTC)
    events = [
        _event(
            f"e{n}",
            origin + timedelta(seconds=start),
            origin + timedelta(seconds=start + lengths[n]),
            watts[n],
            watts[n] if n % 2 else None,
        )
        for n, start in enumerate(starts)
    ]
    peaks = [
        PeakEvent(
            start=origin + timedelta(seconds=start),
            end=origin + timedelta(seconds=start + length),
            multiplier=multiplier,
        )
        for start, length, multiplier in announced
    ]
    season = SeasonSettings(start=SEASON.start, end=SEASON.end, peak_windows=WINDOWS)
    scores = score_events(events, {}, season, peaks)
    for item, score in zip(merge_events(events), scores, strict=True):
        expected = 0.0 if score.ignored else _per_minute(item, WINDOWS, peaks)
        assert score.peak_kwh == pytest.approx(expected, abs=1e-9)
        assert score.peak_kwh <= score.raw_kwh + 1e-9
