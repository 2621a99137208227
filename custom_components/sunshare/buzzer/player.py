"""Play on/off patterns on a buzzer's output line with Home Assistant's scheduler.

A pattern is a list of durations in seconds, alternately on and off (``[2, 1, 2, 1, 2]``
is three 2 s sounds with 1 s gaps). :func:`build_steps` turns a pattern, a number of
repetitions and a maximum total time into timed line changes; :class:`AlarmPlayer` plays
them with ``async_track_point_in_utc_time`` at absolute times (no drift, and tests drive
it with a frozen clock). A new alarm replaces the running one; stopping leaves the line
inactive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import LOGGER
from custom_components.sunshare.gpio import GpioError, OutputLine


@dataclass(frozen=True, kw_only=True, slots=True)
class Steps:
    """Timed changes of the line: ``(offset in seconds, active)``, then the end."""

    changes: tuple[tuple[float, bool], ...]
    end: float
    """Offset at which the alarm is over (the line is inactive from then on)."""


def build_steps(
    pattern: Sequence[float], repeats: int, pause: float, max_duration: float
) -> Steps:
    """Return the line changes of ``repeats`` patterns, cut at ``max_duration``."""
    if not pattern or repeats < 1 or max_duration <= 0:
        return Steps(changes=(), end=0.0)
    changes: list[tuple[float, bool]] = []
    offset = 0.0
    for repeat in range(repeats):
        if repeat:
            offset += pause
        for index, length in enumerate(pattern):
            active = index % 2 == 0
            if not changes or changes[-1][1] != active:
                changes.append((offset, active))
            offset += length
        if changes[-1][1]:
            changes.append((offset, False))
        if offset >= max_duration:
            break
    end = min(offset, max_duration)
    kept = [change for change in changes if change[0] < end]
    if kept and kept[-1][1]:
        kept.append((end, False))
    return Steps(changes=tuple(kept), end=end)


DEADLINE_MARGIN = timedelta(seconds=1)
"""How long after its computed end an alarm is stopped whatever happens."""


class AlarmPlayer:
    """Play alarms on an output line, one at a time."""

    def __init__(self, hass: HomeAssistant, line: OutputLine) -> None:
        """Bind the player to its line (requested inactive)."""
        self.hass = hass
        self._line: OutputLine | None = line
        self._steps: Steps | None = None
        self._started: datetime | None = None
        self._next = 0
        self._unsub: CALLBACK_TYPE | None = None
        self._deadline: CALLBACK_TYPE | None = None
        self._listeners: list[CALLBACK_TYPE] = []

    @property
    def playing(self) -> bool:
        """Return whether an alarm is playing."""
        return self._steps is not None

    @property
    def line_active(self) -> bool | None:
        """Return whether the line is driven active, None once released."""
        return None if self._line is None else self._line.is_active

    @callback
    def play(self, steps: Steps) -> None:
        """Play an alarm, replacing the one playing."""
        self._cancel()
        if not steps.changes:
            self.stop()
            return
        self._steps = steps
        self._started = dt_util.utcnow()
        self._next = 0
        # The hard deadline: whatever the step machine does, the line goes off here.
        self._deadline = async_track_point_in_utc_time(
            self.hass,
            self._hard_stop,
            self._started + timedelta(seconds=steps.end) + DEADLINE_MARGIN,
        )
        self._advance(self._started)
        self._notify()

    @callback
    def stop(self) -> None:
        """Stop the alarm at once; the line is left inactive."""
        self._cancel()
        was_playing = self._steps is not None
        self._steps = None
        self._started = None
        self._drive(False)
        if was_playing:
            self._notify()

    @callback
    def release(self) -> None:
        """Stop, then give the line back (it stays inactive)."""
        self.stop()
        if self._line is not None:
            try:
                self._line.release()
            except GpioError as err:
                LOGGER.error("Cannot release the buzzer line: %s", err)
            self._line = None

    def _cancel(self) -> None:
        """Cancel the next scheduled change and the hard deadline."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        if self._deadline is not None:
            self._deadline()
            self._deadline = None

    @callback
    def _hard_stop(self, now: datetime) -> None:
        """End the alarm at its deadline, even if a step is late or stuck."""
        self._deadline = None
        if self._steps is not None:
            LOGGER.warning("Alarm stopped by its hard deadline")
            self.stop()

    @callback
    def _advance(self, now: datetime) -> None:
        """Apply the changes that are due and schedule the next one (or the end).

        Due times are compared as datetimes, the very values the timers are set for:
        a float offset such as 0.2 + 0.2 + 0.2 = 0.6000000000000001 s, compared with
        an elapsed time rounded to the microsecond, made a step never due and
        rescheduled forever. A step is scheduled only strictly after ``now``, taken
        as the later of the time the timer was set for (what Home Assistant passes)
        and the clock: a timer that fires late applies every change due by then,
        instead of scheduling the next ones in the past.
        """
        self._unsub = None
        now = max(now, dt_util.utcnow())
        steps, started = self._steps, self._started
        if steps is None or started is None:  # pragma: no cover - cancelled
            return
        while self._next < len(steps.changes):
            offset, active = steps.changes[self._next]
            if (due := started + timedelta(seconds=offset)) > now:
                self._unsub = async_track_point_in_utc_time(
                    self.hass, self._advance, due
                )
                return
            self._drive(active)
            self._next += 1
        if (end := started + timedelta(seconds=steps.end)) > now:
            self._unsub = async_track_point_in_utc_time(self.hass, self._advance, end)
            return
        self.stop()

    def _drive(self, active: bool) -> None:
        """Drive the line; log a failure instead of raising."""
        if self._line is None:
            return
        try:
            self._line.set_active(active)
        except GpioError as err:
            LOGGER.error("Cannot drive the buzzer line: %s", err)

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` when an alarm starts or ends; return the remover."""
        self._listeners.append(update)

        @callback
        def remove() -> None:
            """Stop calling ``update``."""
            self._listeners.remove(update)

        return remove

    def _notify(self) -> None:
        """Tell the entities that the state changed."""
        for update in list(self._listeners):
            update()

    def diagnostics(self) -> dict[str, Any]:
        """Return the player's state for diagnostics."""
        return {
            "playing": self.playing,
            "line_active": self.line_active,
            "started": self._started.isoformat() if self._started else None,
            "changes": len(self._steps.changes) if self._steps else 0,
            "end_s": self._steps.end if self._steps else None,
        }
