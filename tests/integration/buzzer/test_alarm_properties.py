"""Property tests: every alarm ends on time, whatever its decimal timings, line off.

The step machine is driven directly (:class:`AlarmPlayer` on a simulated line) by a
fake of Home Assistant's point-in-time timers: a timer runs at the first tick of the
clock at or after its time and is passed the time it was set for, as Home Assistant
does, so each alarm plays in about a millisecond. A few examples then run
through Home Assistant itself (frozen clock, ``sunshare.sound_alarm``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.buzzer import player as player_module
from custom_components.sunshare.buzzer.const import DEFAULT_MAX_DURATION_S
from custom_components.sunshare.buzzer.player import (
    DEADLINE_MARGIN,
    AlarmPlayer,
    build_steps,
)
from custom_components.sunshare.gpio import (
    OutputConfig,
    SimulatedBackend,
    SimulatedChip,
)

from .conftest import LINE
from .test_alarm import SIREN, run_for, sound

ORIGIN = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
STEP = st.decimals(min_value=Decimal("0.05"), max_value=Decimal(3), places=2)
PATTERN = st.lists(STEP, min_size=1, max_size=6)
REPEATS = st.integers(min_value=1, max_value=5)
PAUSE = st.decimals(min_value=Decimal(0), max_value=Decimal(2), places=2)
MAX_DURATION = st.none() | st.decimals(
    min_value=Decimal(1), max_value=Decimal(30), places=2
)
TICK = st.sampled_from(
    [Decimal("0.001"), Decimal("0.01"), Decimal("0.05"), Decimal("0.25")]
)
# The autouse fixtures of the integration tests (Home Assistant, the simulated chip)
# are not used by the pure tests: sharing them between examples is harmless.
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

type Sound = tuple[timedelta, timedelta]


def exact(value: Decimal) -> timedelta:
    """Return a decimal number of seconds as an exact duration."""
    return timedelta(microseconds=int(value * 1_000_000))


@dataclass(frozen=True, kw_only=True, slots=True)
class Alarm:
    """An alarm as ``sunshare.sound_alarm`` takes it, in exact decimals."""

    pattern: list[Decimal]
    repeats: int
    pause: Decimal
    max_duration: Decimal | None

    @property
    def limit(self) -> Decimal:
        """Return the maximum total time (the action's default when not given)."""
        if self.max_duration is None:
            return Decimal(DEFAULT_MAX_DURATION_S)
        return self.max_duration

    @property
    def end(self) -> timedelta:
        """Return when the alarm is over: its whole length, or the maximum time."""
        length = self.repeats * sum(self.pattern) + (self.repeats - 1) * self.pause
        return exact(min(length, self.limit))

    def sounds(self) -> list[Sound]:
        """Return the sounding intervals, cut at the maximum time, joined if adjacent."""
        sounds: list[Sound] = []
        offset = Decimal(0)
        for repeat in range(self.repeats):
            if repeat:
                offset += self.pause
            for index, length in enumerate(self.pattern):
                if index % 2 == 0 and offset < self.limit:
                    begin, end = exact(offset), exact(min(offset + length, self.limit))
                    if sounds and sounds[-1][1] == begin:
                        sounds[-1] = (sounds[-1][0], end)
                    else:
                        sounds.append((begin, end))
                offset += length
        return sounds

    def steps_args(self) -> tuple[list[float], int, float, float]:
        """Return the arguments of build_steps, as floats (what the action passes)."""
        return (
            [float(length) for length in self.pattern],
            self.repeats,
            float(self.pause),
            float(self.limit),
        )


ALARMS = st.builds(
    Alarm,
    pattern=PATTERN,
    repeats=REPEATS,
    pause=PAUSE,
    max_duration=MAX_DURATION,
)


@dataclass(slots=True)
class _Timer:
    """A point-in-time timer of the fake scheduler."""

    at: datetime
    order: int
    action: Callable[[datetime], None]
    cancelled: bool = False


@dataclass(slots=True)
class FakeTimers:
    """Home Assistant's point-in-time timers on a clock that moves by ticks.

    A timer runs at the first tick at or after its time (at once if that is past)
    and is passed the time it was set for. An action that raises is logged and
    forgotten, as Home Assistant does.
    """

    origin: datetime
    tick: timedelta = timedelta()
    now: datetime = ORIGIN
    timers: list[_Timer] = field(default_factory=list)
    scheduled: list[tuple[datetime, datetime]] = field(default_factory=list)
    """Every timer set: (the clock when it was set, the time it was set for)."""
    errors: list[Exception] = field(default_factory=list)

    def utcnow(self) -> datetime:
        """Return the clock."""
        return self.now

    def track(
        self, hass: object, action: Callable[[datetime], None], point: datetime
    ) -> Callable[[], None]:
        """Set a timer, as ``async_track_point_in_utc_time``; return its canceller."""
        self.scheduled.append((self.now, point))
        timer = _Timer(point, len(self.scheduled), action)
        self.timers.append(timer)

        def cancel() -> None:
            timer.cancelled = True

        return cancel

    def _fire_time(self, point: datetime) -> datetime:
        """Return the first tick at or after ``point``, never before the clock."""
        if not self.tick:
            return max(point, self.now)
        ticks = -(-(point - self.origin) // self.tick)
        return max(self.origin + ticks * self.tick, self.now)

    def run(self, limit: int = 10_000) -> None:
        """Run the timers in order until none is left."""
        for _ in range(limit):
            self.timers = [timer for timer in self.timers if not timer.cancelled]
            if not self.timers:
                return
            timer = min(
                self.timers, key=lambda timer: (self._fire_time(timer.at), timer.order)
            )
            self.timers.remove(timer)
            self.now = self._fire_time(timer.at)
            try:
                timer.action(timer.at)
            except Exception as err:  # noqa: BLE001 - Home Assistant logs it
                self.errors.append(err)
        pytest.fail("the alarm's timers never stop")


@dataclass(kw_only=True, slots=True)
class Played:
    """What happened while an alarm played."""

    sounds: list[Sound]
    """When the line was active, from the start of the alarm."""
    stopped: list[timedelta]
    """When the player reported the alarm over, from its start."""
    line_active: bool | None
    scheduled: list[tuple[datetime, datetime]]
    timers_left: int


def play(
    alarm: Alarm,
    tick: Decimal = Decimal(0),
    wrap_advance: Callable[[Any], Any] | None = None,
) -> Played:
    """Play an alarm on a fresh simulated line with the fake timers; report it."""
    timers = FakeTimers(origin=ORIGIN, tick=exact(tick), now=ORIGIN)
    chip = SimulatedChip("properties")
    chip.now = timers.utcnow
    line = SimulatedBackend(chip).request_output(OutputConfig(line=LINE))
    with ExitStack() as stack:
        stack.enter_context(
            patch.object(player_module, "async_track_point_in_utc_time", timers.track)
        )
        stack.enter_context(
            patch.object(
                player_module, "dt_util", SimpleNamespace(utcnow=timers.utcnow)
            )
        )
        if wrap_advance is not None:
            stack.enter_context(
                patch.object(
                    AlarmPlayer, "_advance", wrap_advance(AlarmPlayer._advance)
                )
            )
        player = AlarmPlayer(cast("HomeAssistant", object()), line)
        stopped: list[timedelta] = []

        def on_change() -> None:
            if not player.playing:
                stopped.append(timers.now - ORIGIN)

        player.async_add_listener(on_change)
        player.play(build_steps(*alarm.steps_args()))
        timers.run()
        return Played(
            sounds=sounds_of(chip),
            stopped=stopped,
            line_active=player.line_active,
            scheduled=timers.scheduled,
            timers_left=len(timers.timers),
        )


def sounds_of(chip: SimulatedChip) -> list[Sound]:
    """Return the line's active intervals; a gap of no length joins two sounds."""
    sounds: list[Sound] = []
    began: timedelta | None = None
    for change in chip.history(LINE):
        at = change.at - ORIGIN
        if change.active:
            began = sounds.pop()[0] if sounds and sounds[-1][1] == at else at
        elif began is not None:
            if at > began:
                sounds.append((began, at))
            began = None
    assert began is None, "the line is left active"
    return sounds


def joined(intervals: list[Sound]) -> list[Sound]:
    """Return sorted intervals with the overlapping or touching ones joined."""
    result: list[Sound] = []
    for begin, end in sorted(intervals):
        if result and begin <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((begin, end))
    return result


def assert_never_in_the_past(scheduled: Sequence[tuple[datetime, datetime]]) -> None:
    """No timer was ever set for the clock's time or before."""
    assert all(point > clock for clock, point in scheduled), [
        (str(clock - ORIGIN), str(point - ORIGIN))
        for clock, point in scheduled
        if point <= clock
    ]


@PROPERTY_SETTINGS
@given(alarm=ALARMS)
def test_every_alarm_plays_its_pattern_and_ends_on_time(alarm: Alarm) -> None:
    """With timers on time, the line follows the pattern to the microsecond.

    The alarm ends at its computed end (its whole length, or ``max_duration`` if
    that comes first), the line is inactive afterwards, no timer is left (the hard
    deadline is cancelled) and no step is ever scheduled at or before the clock.
    """
    played = play(alarm)
    assert played.stopped == [alarm.end]
    assert played.sounds == alarm.sounds()
    assert played.line_active is False
    assert played.timers_left == 0
    assert_never_in_the_past(played.scheduled)


@PROPERTY_SETTINGS
@given(alarm=ALARMS, tick=TICK)
def test_every_alarm_ends_within_a_tick_with_late_timers(
    alarm: Alarm, tick: Decimal
) -> None:
    """Timers that run on a coarse clock (up to 0.25 s late) still end the alarm.

    It ends within one tick after its computed end, the line is never active outside
    the pattern's sounds (each delayed by one tick at most) and is inactive afterwards,
    and no step is scheduled at or before the clock, however late a timer ran.
    """
    played = play(alarm, tick)
    late = exact(tick)
    assert len(played.stopped) == 1
    assert alarm.end <= played.stopped[0] <= alarm.end + late
    # A late "off" and the next "on" may run at the same tick: a gap shorter than a
    # tick can vanish, so the sounds are compared with the union of the late windows.
    allowed = joined([(begin, end + late) for begin, end in alarm.sounds()])
    for begin, end in played.sounds:
        assert any(low <= begin and end <= high for low, high in allowed), (
            begin,
            end,
            allowed,
        )
    assert played.line_active is False
    assert played.timers_left == 0
    assert_never_in_the_past(played.scheduled)


@PROPERTY_SETTINGS
@given(
    alarm=ALARMS,
    stuck_after=st.integers(min_value=1, max_value=40),
    failure=st.sampled_from(["nothing", "raise"]),
)
def test_the_hard_deadline_ends_a_stuck_step_machine(
    *, alarm: Alarm, stuck_after: int, failure: str
) -> None:
    """Whenever the step machine stops working, the line still goes off in time.

    After ``stuck_after`` steps, each step does nothing or raises: the alarm ends
    at its computed end plus the deadline margin at the latest, line inactive.
    """
    calls = 0

    def wrap_advance(advance: Callable[[AlarmPlayer, datetime], None]) -> Any:
        def stuck(self: AlarmPlayer, now: datetime) -> None:
            nonlocal calls
            calls += 1
            if calls <= stuck_after:
                advance(self, now)
            elif failure == "raise":
                raise RuntimeError("step machine broken")

        return stuck

    played = play(alarm, wrap_advance=wrap_advance)
    assert len(played.stopped) == 1
    assert alarm.end <= played.stopped[0] <= alarm.end + DEADLINE_MARGIN
    assert all(end <= alarm.end + DEADLINE_MARGIN for _, end in played.sounds)
    assert played.line_active is False
    assert played.timers_left == 0


TICK_S = 0.05
"""The frozen clock's step in the Home Assistant examples."""


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("pattern", "repeats", "pause", "max_duration"),
    [
        ([0.35, 0.15, 0.35], 3, 0.25, 2.3),  # cut during a sound
        ([0.05, 0.05, 0.05, 0.05, 0.05], 2, 0.0, None),  # no pause: sounds join
        ([1.13, 0.07], 2, 0.33, 1.75),  # cut during the pause
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 2, 0.01, None),  # ends on a gap
        ([0.07, 0.13], 5, 0.29, 1.01),  # cut during a gap
        ([2.99], 1, 0.0, 1.0),  # cut at the minimum maximum time
    ],
)
async def test_decimal_alarms_end_through_home_assistant(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    pattern: list[float],
    repeats: int,
    pause: float,
    max_duration: float | None,
) -> None:
    """Through ``sunshare.sound_alarm``, decimal alarms end within a tick of their end.

    Every timer the player sets is after the (frozen) clock; the siren turns off
    within one clock tick after the computed end and the line stays inactive.
    """
    scheduled: list[tuple[datetime, datetime]] = []

    def track(
        hass: HomeAssistant, action: Callable[[datetime], None], point: datetime
    ) -> Callable[[], None]:
        scheduled.append((dt_util.utcnow(), point))
        return async_track_point_in_utc_time(hass, action, point)

    monkeypatch.setattr(player_module, "async_track_point_in_utc_time", track)
    alarm = Alarm(
        pattern=[Decimal(str(length)) for length in pattern],
        repeats=repeats,
        pause=Decimal(str(pause)),
        max_duration=None if max_duration is None else Decimal(str(max_duration)),
    )
    data: dict[str, Any] = {"pattern": pattern, "repeats": repeats, "pause": pause}
    if max_duration is not None:
        data["max_duration"] = max_duration
    await sound(hass, **data)
    player = loaded_entry.runtime_data.player
    ended: timedelta | None = None
    while ended is None and dt_util.utcnow() - start < alarm.end + timedelta(seconds=2):
        await run_for(hass, freezer, TICK_S, step=TICK_S)
        if not player.playing:
            ended = dt_util.utcnow() - start
    assert ended is not None
    assert alarm.end <= ended <= alarm.end + timedelta(seconds=TICK_S)
    assert hass.states.get(SIREN).state == STATE_OFF
    assert chip.output_active(LINE) is False
    assert chip.history(LINE)[-1].at - start <= alarm.end + timedelta(seconds=TICK_S)
    await run_for(hass, freezer, 1, step=0.25)
    assert chip.output_active(LINE) is False
    assert_never_in_the_past(scheduled)
