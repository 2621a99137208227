"""Every rule that reads half-hours, on an ordinary day and on both clock-change days.

A day's half-hours are in real time order from local midnight: 48 on an ordinary day, 46
on the spring-forward day (02:00–03:00 does not exist), 50 on the fall-back day
(02:00–03:00 happens twice). The spec's slot *s* is the same local half-hour of the day.
The expected points are worked out by hand in each test's docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings, strategies as st
import pytest

from game_server.rules.baseline import is_valid_day
from game_server.rules.energy import MonthEnergy, green_share, self_consumption
from game_server.rules.models import (
    PARIS,
    Challenge,
    DayData,
    HouseholdProfile,
    ScoreCard,
    SeasonSettings,
    SheddingEvent,
)
from game_server.rules.shedding import score_events, slot_baseline
from game_server.rules.slots import (
    local_half_hours,
    local_value,
    slot_at,
    slot_bounds,
    slot_count,
    slot_indexes,
)

SEASON = SeasonSettings(start=date(2026, 10, 1), end=date(2027, 4, 30))
FALL_BACK = date(2026, 10, 25)  # Sunday: 03:00 CEST → 02:00 CET
SPRING_FORWARD = date(2027, 3, 28)  # Sunday: 02:00 CET → 03:00 CEST
ORDINARY_SUNDAY = date(2026, 11, 1)
# Sundays: a Sunday's shedding baseline comes from earlier weekend days, and no default
# peak window applies (weekdays only), so the hand computations stay short.
DAYS = {"ordinary": ORDINARY_SUNDAY, "fall back": FALL_BACK, "spring": SPRING_FORWARD}
Profile = Callable[[int], float]
"""A household's import (kWh) in each local half-hour 0–47 of a day."""


def _day(day: date, profile: Profile, **local: float) -> DayData:
    """Return a day's data from a local-time profile, some local half-hours overridden.

    ``local`` keys are ``"HHMM"`` local start times (both passes on the fall-back day).
    """
    overrides = {
        int(key[:2]) * 2 + int(key[2:]) // 30: value for key, value in local.items()
    }
    slots = tuple(
        overrides.get(half_hour, profile(half_hour))
        for half_hour in local_half_hours(day)
    )
    return DayData(day=day, import_kwh=sum(slots), import_slots=slots)


def _history(day: date, profile: Profile, weeks: int = 10) -> dict[date, DayData]:
    """Return ``weeks`` weeks of days before ``day`` following ``profile``."""
    return {
        d: _day(d, profile)
        for n in range(1, 7 * weeks + 1)
        if (d := day - timedelta(days=n))
    }


def _flat(value: float) -> Profile:
    return lambda _half_hour: value


def _event(day: date, start: time, minutes: int, watts: float = 2000) -> SheddingEvent:
    begin = datetime.combine(day, start, PARIS)
    return SheddingEvent(
        id="e",
        start=begin,
        end=begin + timedelta(minutes=minutes),
        declared_w=watts,
        measured_w=watts,
    )


# --- the slot helper --------------------------------------------------------------


def test_slot_helper_on_the_three_kinds_of_days() -> None:
    """Counts, local times and indexes of the 19:00 slot on each kind of day."""
    assert [slot_count(d) for d in DAYS.values()] == [48, 50, 46]
    # 19:00 local is slot 38 on an ordinary day, 40 after the repeated hour, 36 after
    # the skipped one.
    assert slot_indexes(ORDINARY_SUNDAY, 38) == (38,)
    assert slot_indexes(FALL_BACK, 38) == (40,)
    assert slot_indexes(SPRING_FORWARD, 38) == (36,)
    assert slot_bounds(FALL_BACK, 40)[0] == datetime(2026, 10, 25, 19, tzinfo=PARIS)
    assert slot_bounds(SPRING_FORWARD, 36)[0] == datetime(2027, 3, 28, 19, tzinfo=PARIS)
    # 02:00 happens twice on the fall-back day (slots 4 and 6), never in spring.
    assert slot_indexes(FALL_BACK, 4) == (4, 6)
    assert slot_indexes(SPRING_FORWARD, 4) == ()
    first, second = slot_bounds(FALL_BACK, 4)[0], slot_bounds(FALL_BACK, 6)[0]
    assert (first.utcoffset(), second.utcoffset()) == (
        timedelta(hours=2),
        timedelta(hours=1),
    )
    # (Python subtracts two datetimes of one zone by wall clock: compare in UTC.)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    with pytest.raises(IndexError, match="46 half-hours"):
        slot_bounds(SPRING_FORWARD, 46)
    # The fall-back day's value of 02:00 is the mean of both passes.
    slots = [0.0] * 50
    slots[4], slots[6] = 1.0, 3.0
    assert local_value(slots, FALL_BACK, 4) == 2.0
    assert local_value([0.0] * 46, SPRING_FORWARD, 4) is None


@given(st.integers(min_value=0, max_value=60 * 60 * 24 * 365 * 80))
def test_every_instant_has_one_slot(seconds: int) -> None:
    """Any instant falls in the slot whose bounds contain it, on its own local day."""
    moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    day, index = slot_at(moment)
    start, end = slot_bounds(day, index)
    assert start <= moment < end
    assert end - start == timedelta(minutes=30)
    assert local_half_hours(day)[index] == start.hour * 2 + start.minute // 30


# --- load shedding ------------------------------------------------------------------


@pytest.mark.parametrize("day", DAYS.values(), ids=DAYS.keys())
def test_evening_shedding_scores_the_same_on_every_kind_of_day(day: date) -> None:
    """A 2 kW shedding 19:00–20:00 local, a drop to 0.6 then 0 kWh, a 20:00 rebound.

    Baseline B_s = 1 kWh in every slot (ten earlier weekend days of 1 kWh). Shed energy
    1 kWh per half-hour, capped by (B − A)+: 19:00 → min(1, 1 − 0.6) = 0.4; 19:30 →
    min(1, 1 − 0) = 1. Sunday, no peak, under 60 min: weighted 1.4 kWh → 14. Rebound:
    20:00 at 1.5 kWh → 0.5 kWh above baseline → −5. Points 9 on all three days (before
    the fix the fall-back day read 18:00 instead of 19:00 and scored 0).
    """
    days = _history(day, _flat(1.0)) | {
        day: _day(day, _flat(1.0), **{"1900": 0.6, "1930": 0.0, "2000": 1.5})
    }
    [score] = score_events([_event(day, time(19), 60)], days, SEASON)
    assert score.raw_kwh == pytest.approx(2.0)
    assert score.weighted_kwh == pytest.approx(1.4)
    assert score.rebound_kwh == pytest.approx(0.5)
    assert score.points == pytest.approx(9)


def test_shedding_in_the_repeated_hour() -> None:
    """Fall-back day, 2 kW shed 02:00–03:00 CET (the second 02:00, 01:00–02:00 UTC).

    Slots 6 and 7 (second pass) drop to 0; the first pass (slots 4, 5) stays at 1 kWh.
    Each slot: shed 1 kWh, cap (1 − 0) = 1 → 2 kWh → 20 points, no rebound (03:00–05:00 at
    baseline). Reading the first pass instead would cap to 0.
    """
    profile = _flat(1.0)
    slots = [1.0] * slot_count(FALL_BACK)
    slots[6] = slots[7] = 0.0
    days = _history(FALL_BACK, profile) | {
        FALL_BACK: DayData(
            day=FALL_BACK, import_kwh=sum(slots), import_slots=tuple(slots)
        )
    }
    start = datetime(2026, 10, 25, 1, tzinfo=UTC)  # 02:00 CET
    event = SheddingEvent(
        id="e",
        start=start,
        end=start + timedelta(hours=1),
        declared_w=2000,
        measured_w=2000,
    )
    [score] = score_events([event], days, SEASON)
    assert score.weighted_kwh == pytest.approx(2.0)
    assert score.rebound_kwh == 0
    assert score.points == pytest.approx(20)


@pytest.mark.parametrize(
    ("baseline_day", "event_day"),
    [
        (FALL_BACK, date(2026, 10, 31)),  # Saturday after the fall-back Sunday
        (SPRING_FORWARD, date(2027, 4, 3)),  # Saturday after the spring Sunday
    ],
    ids=["fall back", "spring"],
)
def test_baseline_from_a_clock_change_day(baseline_day: date, event_day: date) -> None:
    """The slot baseline reads the clock-change day's same local half-hour.

    One baseline day (the clock-change Sunday): 0.8 kWh at 19:00 and 19:30 local, 0.1 at
    18:00 (the slot a wall-clock index would read), 1 elsewhere. Event day: 0 at 19:00 and
    19:30. Cap per slot (0.8 − 0) = 0.8 → weighted 1.6 kWh → 16 points (a Saturday: no
    peak; rebound 20:00–22:00 at 1 kWh vs baseline 1 → 0).
    """
    season = SeasonSettings(start=SEASON.start, end=SEASON.end, baseline_days=1)
    days = {
        baseline_day: _day(
            baseline_day, _flat(1.0), **{"1800": 0.1, "1900": 0.8, "1930": 0.8}
        ),
        event_day: _day(event_day, _flat(1.0), **{"1900": 0.0, "1930": 0.0}),
    }
    [score] = score_events([_event(event_day, time(19), 60)], days, season)
    assert score.weighted_kwh == pytest.approx(1.6)
    assert score.rebound_kwh == 0
    assert score.points == pytest.approx(16)
    index = slot_indexes(event_day, 38)[0]
    assert slot_baseline(event_day, index, days, set(), season) == pytest.approx(0.8)


def test_a_missing_local_half_hour_looks_further_back() -> None:
    """02:00 does not exist on the spring-forward day: the baseline skips that day.

    Event Saturday 3 April 2027 02:00–03:00, one baseline day wanted: 28 March has no
    02:00, so Saturday 27 March (0.7 kWh at 02:00 and 02:30) is used: cap 0.7 per slot →
    1.4 kWh → 14 points (rebound 03:00–05:00 at 1 kWh, baseline 1 from 28 March → 0).
    """
    season = SeasonSettings(start=SEASON.start, end=SEASON.end, baseline_days=1)
    event_day = date(2027, 4, 3)
    days = {
        date(2027, 3, 27): _day(
            date(2027, 3, 27), _flat(1.0), **{"0200": 0.7, "0230": 0.7}
        ),
        SPRING_FORWARD: _day(SPRING_FORWARD, _flat(1.0)),
        event_day: _day(event_day, _flat(1.0), **{"0200": 0.0, "0230": 0.0}),
    }
    [score] = score_events([_event(event_day, time(2), 60)], days, season)
    assert score.weighted_kwh == pytest.approx(1.4)
    assert score.points == pytest.approx(14)


# --- green hours (self-consumption without solar) ------------------------------------


def _green_points(day: DayData, reference: DayData) -> ScoreCard:
    """Return the self-consumption card of a household without solar, one day each."""
    consumption = day.consumption_kwh or 0.0
    data = MonthEnergy(
        month=f"{day.day:%Y-%m}",
        days=(day,),
        reference=(reference,),
        expected_kwh=consumption,
        solar_yield_ratio=1.0,
        segment_median=None,
    )
    card = ScoreCard(challenge=Challenge.SELF_CONSUMPTION, month=data.month, points=0)
    return self_consumption(
        card, data, HouseholdProfile(), SEASON.green_windows, SEASON
    )


def _night_heavy(half_hour: int) -> float:
    """2 kWh per half-hour in 22:00–06:00 local, 1 kWh otherwise."""
    return 2.0 if half_hour < 12 or half_hour >= 44 else 1.0


@pytest.mark.parametrize(
    ("day", "reference", "share", "share_ref", "points"),
    [
        # March (no midday window): 16 green half-hours × 2 = 32 of 32 + 32 × 1 = 64.
        (date(2027, 3, 24), date(2027, 3, 17), 32 / 64, 32 / 64, 0.0),
        # Spring: 02:00–03:00 is missing: 14 × 2 = 28 green of 28 + 32 = 60.
        # Δ = 100·(28/60 − 1/2)/(1/2) = −6.667 % → −13.333 points.
        (
            SPRING_FORWARD,
            date(2027, 3, 21),
            28 / 60,
            1 / 2,
            2 * 100 * (28 / 60 - 0.5) / 0.5,
        ),
        # October (11:00–17:00 green too): ordinary 16 × 2 + 12 × 1 = 44 of 64.
        (date(2026, 10, 18), date(2026, 10, 11), 44 / 64, 44 / 64, 0.0),
        # Fall back: 02:00–03:00 twice: 18 × 2 + 12 × 1 = 48 green of 18 × 2 + 32 = 68.
        # Δ = 100·(48/68 − 44/64)/(44/64) = +2.674 % → +5.348 points.
        (
            FALL_BACK,
            date(2026, 10, 18),
            48 / 68,
            44 / 64,
            2 * 100 * (48 / 68 - 44 / 64) / (44 / 64),
        ),
    ],
    ids=["ordinary March", "spring forward", "ordinary October", "fall back"],
)
def test_green_hours_share_classifies_each_slot_by_its_local_time(
    *, day: date, reference: date, share: float, share_ref: float, points: float
) -> None:
    """Every slot of a 46- or 50-slot day counts, classified by the local time it starts."""
    card = _green_points(_day(day, _night_heavy), _day(reference, _night_heavy))
    assert card.factors["green_share"] == pytest.approx(share, abs=1e-4)
    assert card.factors["green_share_ref"] == pytest.approx(share_ref, abs=1e-4)
    assert card.points == pytest.approx(points, abs=1e-2)


@pytest.mark.parametrize(
    "day", [FALL_BACK, SPRING_FORWARD], ids=["fall back", "spring"]
)
def test_a_clock_change_day_is_valid_on_its_own_slot_count(day: date) -> None:
    """≥ 90 % of the day's real half-hours: 45 of 50, 42 of 46 (41.4 needed)."""
    needed = {50: 45, 46: 42}[slot_count(day)]
    present = (1.0,) * needed + (None,) * (slot_count(day) - needed)
    assert is_valid_day(
        DayData(day=day, import_kwh=1, import_slots=present), SEASON, slots=True
    )
    short = (1.0,) * (needed - 1) + (None,) * (slot_count(day) - needed + 1)
    assert not is_valid_day(
        DayData(day=day, import_kwh=1, import_slots=short), SEASON, slots=True
    )


# --- shifting a day's data across a clock change --------------------------------------

PROFILES = st.lists(
    st.floats(min_value=0.0, max_value=3.0, allow_nan=False), min_size=48, max_size=48
)


@settings(max_examples=60, deadline=None)
@given(
    profile=PROFILES,
    start=st.integers(min_value=4 * 60, max_value=19 * 60),
    minutes=st.integers(min_value=15, max_value=180),
    watts=st.floats(min_value=200, max_value=9000),
    kept=st.floats(min_value=0.0, max_value=1.0),
    pair=st.sampled_from(
        [
            (date(2026, 10, 18), FALL_BACK),
            (date(2027, 3, 21), SPRING_FORWARD),
        ]
    ),
)
def test_shifting_across_a_clock_change_keeps_the_points(
    *,
    profile: Sequence[float],
    start: int,
    minutes: int,
    watts: float,
    kept: float,
    pair: tuple[date, date],
) -> None:
    """The same local-time behaviour scores the same on a clock-change day.

    A household follows a local-time profile every day; on the event day the half-hours
    the event covers keep a share ``kept`` of the profile. An event after 04:00 local
    (whose rebound ends before midnight) reads the same local half-hours on an ordinary
    Sunday and on the clock-change Sunday one week later: same points.
    """
    minutes = min(minutes, 22 * 60 - start)
    begin = time(start // 60, start % 60)
    covered = range(start // 30, (start + minutes - 1) // 30 + 1)
    scores = []
    for day in pair:
        event_day = _day(
            day,
            lambda h: profile[h] * kept if h in covered else profile[h],
        )
        days = _history(day, lambda h: profile[h]) | {day: event_day}
        [score] = score_events([_event(day, begin, minutes, watts)], days, SEASON)
        scores.append(score)
    ordinary, changed = scores
    assert changed.points == pytest.approx(ordinary.points, abs=1e-6)
    assert changed.weighted_kwh == pytest.approx(ordinary.weighted_kwh, abs=1e-9)
    assert changed.rebound_kwh == pytest.approx(ordinary.rebound_kwh, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    profile=PROFILES,
    pair=st.sampled_from(
        [
            (date(2026, 10, 18), FALL_BACK),
            (date(2027, 3, 21), SPRING_FORWARD),
        ]
    ),
)
def test_green_share_outside_the_changed_hour_does_not_move(
    profile: Sequence[float], pair: tuple[date, date]
) -> None:
    """Nothing drawn in 02:00–03:00 local: a clock-change day keeps the green share.

    It equals an ordinary day's of the same month: no energy moves to another hour.
    """
    quiet = [0.0 if h in {4, 5} else value for h, value in enumerate(profile)]
    ordinary, changed = (
        green_share([_day(day, lambda h: quiet[h])], SEASON.green_windows, SEASON)
        for day in pair
    )
    if ordinary is None:
        assert changed is None
    else:
        assert changed == pytest.approx(ordinary, abs=1e-9)
