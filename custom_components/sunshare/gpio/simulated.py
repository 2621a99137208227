"""A simulated GPIO chip, for tests and the demo.

Simulated chips live in a process-wide registry (:func:`get_simulated_chip`), so a config
entry using the ``simulated`` backend and a test or the demo reach the same chip by name.
A chip behaves like a kernel GPIO chip: a line is held by one request at a time (others
get :class:`LineBusyError`), lines beyond ``num_lines`` do not exist, released output lines
are left inactive. Edges injected on an input line go through the same path as real ones:
kernel-like debounce, edge filtering, sequence numbers, then the callback, called on the
event loop that requested the line.

The chip named ``demo`` also plays a household: every input line requested on it
receives the pulses of a 1000 imp/kWh meter whose power follows :func:`demo_power_w`.
The chip named ``demo-solar`` plays its solar panels: a 1000 imp/kWh meter on the
inverter whose power follows the sun (:func:`demo_solar_power_w`, the simulated Linky
producer's panels): no pulse at night.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
import threading
import time

from custom_components.sunshare.teleinfo.simulator import solar_production_w

from .models import (
    BackendKind,
    Bias,
    ChipNotFoundError,
    Edge,
    EdgeCallback,
    EdgeEvent,
    EventClock,
    GpioBackend,
    GpioPermissionError,
    InputConfig,
    InputLine,
    LineBusyError,
    LineNotFoundError,
    OutputConfig,
    OutputLine,
)

DEFAULT_CHIP = "sim0"
DEFAULT_NUM_LINES = 28  # GPIO 0-27, like a Raspberry Pi header
DEMO_CHIP = "demo"
"""A simulated chip whose input lines receive the pulses of a 1000 imp/kWh meter."""
DEMO_SOLAR_CHIP = "demo-solar"
"""A simulated chip whose input lines receive the pulses of a solar inverter's meter."""
DEMO_PULSE_WIDTH_NS = 50_000_000
DEMO_IDLE_RECHECK_S = 60.0
"""Seconds between two looks at the sun while the demo panels produce nothing."""


def demo_power_w(elapsed_s: float) -> float:
    """Return the power drawn by the demo household, in W (a 10-minute cycle)."""
    return 900.0 + 600.0 * math.sin(2 * math.pi * elapsed_s / 600.0)


def demo_solar_power_w(moment: datetime) -> float:
    """Return the demo panels' output at ``moment``, in W (0 at night)."""
    return solar_production_w(moment)


def _now_ns(clock: EventClock) -> int:
    """Return the current time in nanoseconds on an event clock."""
    return time.monotonic_ns() if clock is EventClock.MONOTONIC else time.time_ns()


@dataclass(frozen=True, slots=True)
class OutputChange:
    """A change of a simulated output line."""

    at: datetime
    """When the change happened (UTC, follows frozen time in tests)."""
    active: bool
    """The logical state of the line after the change."""


@dataclass(slots=True)
class _LineState:
    """What the simulated chip knows about one line."""

    high: bool = False
    """Physical level."""
    consumer: str | None = None
    input: SimulatedInputLine | None = None
    output: SimulatedOutputLine | None = None
    line_seqno: int = 0
    touched: bool = False
    """The level was set by a test or an injected edge (bias no longer applies)."""
    pending: tuple[bool, int] | None = None
    """Level and time of the last raw edge, not yet stable for the debounce period."""
    history: list[OutputChange] = field(default_factory=list)


class SimulatedChip:
    """A simulated GPIO chip shared by every backend opened on it."""

    def __init__(self, name: str, num_lines: int = DEFAULT_NUM_LINES) -> None:
        """Create a chip with ``num_lines`` lines, all free and low."""
        self.name = name
        self.num_lines = num_lines
        self.present = True
        """Set False to make opening or using the chip fail with ChipNotFoundError."""
        self.permission_denied = False
        """Set True to make opening the chip fail with GpioPermissionError."""
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        """Clock used to timestamp output changes."""
        self.demo_pulses = name in (DEMO_CHIP, DEMO_SOLAR_CHIP)
        """Feed every input line with the pulses of the demo household's meter."""
        self.demo_speedup = 1.0
        """How much faster than real time the demo pulses come (tests speed it up)."""
        self._lock = threading.RLock()
        self._lines: dict[int, _LineState] = {}
        self._global_seqno = 0

    # --- helpers used by backends -------------------------------------------------

    def _state(self, line: int) -> _LineState:
        """Return the state of an existing line or raise LineNotFoundError."""
        if not self.present:
            raise ChipNotFoundError(f"Simulated GPIO chip {self.name} is gone")
        if not 0 <= line < self.num_lines:
            raise LineNotFoundError(
                f"GPIO chip {self.name} has no line {line} (lines 0-{self.num_lines - 1})"
            )
        return self._lines.setdefault(line, _LineState())

    def check_open(self) -> None:
        """Raise the error opening this chip would raise, if any."""
        if not self.present:
            raise ChipNotFoundError(f"No simulated GPIO chip {self.name}")
        if self.permission_denied:
            raise GpioPermissionError(
                f"Permission denied opening GPIO chip {self.name}"
            )

    def check_line(self, line: int) -> None:
        """Raise LineNotFoundError or LineBusyError unless the line is free."""
        with self._lock:
            state = self._state(line)
            if state.consumer is not None:
                raise LineBusyError(
                    f"GPIO line {line} of {self.name} is used by {state.consumer}"
                )

    def _claim(self, line: int, consumer: str) -> _LineState:
        """Mark a free line as used by ``consumer``."""
        self.check_line(line)
        state = self._lines[line]
        state.consumer = consumer
        return state

    def _free(self, line: int) -> None:
        """Mark a line free again."""
        with self._lock:
            if (state := self._lines.get(line)) is None:
                return
            state.consumer = None
            state.input = None
            state.output = None
            state.pending = None

    def _record(self, line: int, active: bool, high: bool) -> None:
        """Record an output change and the new physical level."""
        state = self._lines[line]
        state.high = high
        if not state.history or state.history[-1].active != active:
            state.history.append(OutputChange(self.now(), active))

    # --- test and demo controls ---------------------------------------------------

    def claim_external(self, line: int, consumer: str = "another program") -> None:
        """Hold a line as another program would, so that requests get LineBusyError."""
        with self._lock:
            self._claim(line, consumer)

    def release_external(self, line: int) -> None:
        """Free a line held with :meth:`claim_external`."""
        self._free(line)

    def consumer(self, line: int) -> str | None:
        """Return who holds a line, or None if it is free."""
        with self._lock:
            return self._state(line).consumer

    def set_level(self, line: int, high: bool) -> None:
        """Set the physical level of a line without producing an edge event."""
        with self._lock:
            state = self._state(line)
            state.high = high
            state.touched = True
            state.pending = None
            if state.input is not None:
                state.input.reported_active = high != state.input.config.active_low

    def level(self, line: int) -> bool:
        """Return the physical level of a line (True is high)."""
        with self._lock:
            return self._state(line).high

    def inject_edge(
        self, line: int, rising: bool, timestamp_ns: int | None = None
    ) -> bool:
        """Change the physical level of a line, as the wired device would.

        ``rising`` is the physical direction (True: the line goes high). If the line is
        requested as an input, the edge goes through debounce and edge filtering and
        the resulting event is delivered on the requester's event loop.

        Debounce works like the kernel's: a level is reported once it has been stable
        for the debounce period, so shorter glitches and contact bounce vanish. The
        simulator learns that a level was stable when the next edge comes later than
        the period, or when :meth:`settle` is called (``inject_pulses`` does). Events
        carry the timestamp of the edge that started the stable level. Return True if
        an event was queued for delivery.
        """
        with self._lock:
            state = self._state(line)
            state.touched = True
            if state.high == rising:
                return False  # no level change, no edge
            state.high = rising
            request = state.input
            if request is None:
                return False
            config = request.config
            if timestamp_ns is None:
                timestamp_ns = _now_ns(config.clock)
            debounce_ns = int(config.debounce.total_seconds() * 1e9)
            if not debounce_ns:
                return self._report(state, rising, timestamp_ns)
            delivered = False
            if state.pending is not None and (
                timestamp_ns - state.pending[1] >= debounce_ns
            ):
                delivered = self._report(state, *state.pending)
            state.pending = (rising, timestamp_ns)
            return delivered

    def settle(self, line: int) -> bool:
        """Report the level of a debounced line as stable; True if an event was queued."""
        with self._lock:
            state = self._state(line)
            if state.pending is None:
                return False
            return self._report(state, *state.pending)

    def _report(self, state: _LineState, high: bool, timestamp_ns: int) -> bool:
        """Report a stable level to the input request: filter the edge and deliver."""
        state.pending = None
        request = state.input
        if request is None:
            return False
        config = request.config
        logical_rising = high != config.active_low
        if logical_rising == request.reported_active:
            return False  # bounce ended on the level already reported
        request.reported_active = logical_rising
        if config.edge is not Edge.BOTH and (
            logical_rising != (config.edge is Edge.RISING)
        ):
            return False
        state.line_seqno += 1
        self._global_seqno += 1
        request.deliver(
            EdgeEvent(
                line=config.line,
                rising=logical_rising,
                timestamp_ns=timestamp_ns,
                line_seqno=state.line_seqno,
                global_seqno=self._global_seqno,
            )
        )
        return True

    def inject_pulses(
        self,
        line: int,
        count: int,
        *,
        period: timedelta = timedelta(seconds=1),
        width: timedelta = timedelta(milliseconds=50),
        start_ns: int | None = None,
        idle_high: bool = True,
    ) -> None:
        """Inject ``count`` pulses: the line leaves its idle level, then comes back.

        With ``idle_high`` (an S0 output with a pull-up) a pulse is a falling then a
        rising edge. Timestamps start at ``start_ns`` (default: now on the requested
        clock) and are spaced by ``period``.
        """
        if start_ns is None:
            with self._lock:
                request = self._state(line).input
            clock = request.config.clock if request else EventClock.MONOTONIC
            start_ns = _now_ns(clock)
        period_ns = int(period.total_seconds() * 1e9)
        width_ns = int(width.total_seconds() * 1e9)
        self.set_level(line, idle_high)
        for index in range(count):
            at = start_ns + index * period_ns
            self.inject_edge(line, not idle_high, at)
            self.inject_edge(line, idle_high, at + width_ns)
        self.settle(line)

    def lose_events(self, line: int, count: int) -> None:
        """Advance the line's sequence number as if the kernel had dropped events."""
        with self._lock:
            state = self._state(line)
            state.line_seqno += count
            self._global_seqno += count

    def history(self, line: int) -> list[OutputChange]:
        """Return the recorded changes of an output line (initial state included)."""
        with self._lock:
            return list(self._state(line).history)

    def output_active(self, line: int) -> bool | None:
        """Return the logical state of a requested output line, None if not an output."""
        with self._lock:
            output = self._state(line).output
            return None if output is None else output.is_active


class SimulatedInputLine(InputLine):
    """An input line of a simulated chip."""

    def __init__(
        self,
        chip: SimulatedChip,
        config: InputConfig,
        on_event: EdgeCallback,
        loop: asyncio.AbstractEventLoop,
        on_release: Callable[[SimulatedInputLine], None],
    ) -> None:
        """Bind the line to its chip, callback and event loop."""
        self._chip = chip
        self.config = config
        self._on_event = on_event
        self._loop = loop
        self._on_release = on_release
        self.released = False
        self.reported_active = False
        self.demo: asyncio.TimerHandle | None = None

    def deliver(self, event: EdgeEvent) -> None:
        """Queue an event for the callback on the requester's event loop."""
        self._loop.call_soon_threadsafe(self._dispatch, event)

    def _dispatch(self, event: EdgeEvent) -> None:
        """Call the callback unless the line was released meanwhile."""
        if not self.released:
            self._on_event(event)

    def read_active(self) -> bool:
        """Return whether the line is logically active now."""
        return self._chip.level(self.config.line) != self.config.active_low

    def release(self) -> None:
        """Give the line back to the chip."""
        if self.released:
            return
        self.released = True
        if self.demo is not None:
            self.demo.cancel()
        self._chip._free(self.config.line)
        self._on_release(self)

    def start_demo_pulses(self) -> None:
        """Emit the pulses of a 1000 imp/kWh meter on the demo household's power."""
        start = self._loop.time()

        def pulse() -> None:
            """Inject one pulse and schedule the next one."""
            now = time.monotonic_ns()
            line = self.config.line
            self._chip.inject_edge(line, False, now)
            self._chip.inject_edge(line, True, now + DEMO_PULSE_WIDTH_NS)
            self._chip.settle(line)
            schedule()

        def schedule() -> None:
            """Schedule the next pulse: 1 Wh at the current power."""
            speedup = self._chip.demo_speedup
            if self._chip.name == DEMO_SOLAR_CHIP:
                power = demo_solar_power_w(self._chip.now())
            else:
                power = demo_power_w((self._loop.time() - start) * speedup)
            if power < 1.0:  # night: look at the sun again later
                self.demo = self._loop.call_later(
                    DEMO_IDLE_RECHECK_S / speedup, schedule
                )
                return
            self.demo = self._loop.call_later(3600.0 / power / speedup, pulse)

        self._chip.set_level(self.config.line, True)
        schedule()


class SimulatedOutputLine(OutputLine):
    """An output line of a simulated chip; changes are recorded in its history."""

    def __init__(
        self,
        chip: SimulatedChip,
        config: OutputConfig,
        on_release: Callable[[SimulatedOutputLine], None],
    ) -> None:
        """Bind the line to its chip and drive its initial value."""
        self._chip = chip
        self.config = config
        self._on_release = on_release
        self._active = config.initial_active
        self.released = False

    @property
    def is_active(self) -> bool:
        """Return whether the line is driven logically active."""
        return self._active

    def set_active(self, active: bool) -> None:
        """Drive the line and record the change."""
        if self.released:
            raise LineNotFoundError(f"GPIO line {self.config.line} was released")
        self._active = active
        with self._chip._lock:
            self._chip._record(
                self.config.line, active, active != self.config.active_low
            )

    def release(self) -> None:
        """Set the line inactive and give it back to the chip."""
        if self.released:
            return
        self.set_active(False)
        self.released = True
        self._chip._free(self.config.line)
        self._on_release(self)


class SimulatedBackend(GpioBackend):
    """A backend on a :class:`SimulatedChip`."""

    kind = BackendKind.SIMULATED

    def __init__(self, chip: SimulatedChip) -> None:
        """Open the simulated chip (raises like opening a real chip would)."""
        chip.check_open()
        self.sim = chip
        self.chip = chip.name
        self._lines: list[InputLine | OutputLine] = []

    def describe(self) -> dict[str, str | int]:
        """Return the chip's name and number of lines."""
        return {
            "chip": self.sim.name,
            "label": "simulated",
            "lines": self.sim.num_lines,
        }

    def check_line(self, line: int) -> None:
        """Raise unless the line exists and is free."""
        self.sim.check_line(line)

    def request_input(self, config: InputConfig, on_event: EdgeCallback) -> InputLine:
        """Request an input line delivering its events on the running event loop."""
        loop = asyncio.get_running_loop()
        with self.sim._lock:
            state = self.sim._claim(config.line, "sunshare")
            if not state.history and not state.touched:
                if config.bias is Bias.PULL_UP:
                    state.high = True
                elif config.bias is Bias.PULL_DOWN:
                    state.high = False
            state.pending = None
            state.line_seqno = 0  # sequence numbers count per request, from 1
            line = SimulatedInputLine(
                self.sim, config, on_event, loop, self._lines.remove
            )
            line.reported_active = state.high != config.active_low
            state.input = line
        self._lines.append(line)
        if self.sim.demo_pulses:
            line.start_demo_pulses()
        return line

    def request_output(self, config: OutputConfig) -> OutputLine:
        """Request an output line and drive its initial value."""
        with self.sim._lock:
            state = self.sim._claim(config.line, "sunshare")
            line = SimulatedOutputLine(self.sim, config, self._lines.remove)
            state.output = line
            self.sim._record(
                config.line,
                config.initial_active,
                config.initial_active != config.active_low,
            )
        self._lines.append(line)
        return line

    def inject_edge(
        self, line: int, rising: bool, timestamp_ns: int | None = None
    ) -> bool:
        """Inject a physical edge on a line of the chip (see SimulatedChip)."""
        return self.sim.inject_edge(line, rising, timestamp_ns)

    def inject_pulses(
        self,
        line: int,
        count: int,
        *,
        period: timedelta = timedelta(seconds=1),
        width: timedelta = timedelta(milliseconds=50),
        start_ns: int | None = None,
        idle_high: bool = True,
    ) -> None:
        """Inject pulses on a line of the chip (see SimulatedChip.inject_pulses)."""
        self.sim.inject_pulses(
            line,
            count,
            period=period,
            width=width,
            start_ns=start_ns,
            idle_high=idle_high,
        )

    def history(self, line: int) -> list[OutputChange]:
        """Return the recorded changes of an output line."""
        return self.sim.history(line)

    def close(self) -> None:
        """Release every line still requested through this backend."""
        for line in list(self._lines):
            line.release()


_CHIPS: dict[str, SimulatedChip] = {}
_CHIPS_LOCK = threading.Lock()


def get_simulated_chip(
    name: str = DEFAULT_CHIP, num_lines: int = DEFAULT_NUM_LINES
) -> SimulatedChip:
    """Return the process-wide simulated chip of this name, creating it if needed."""
    with _CHIPS_LOCK:
        if (chip := _CHIPS.get(name)) is None:
            chip = _CHIPS[name] = SimulatedChip(name, num_lines)
        return chip


def reset_simulated_chips() -> None:
    """Forget every simulated chip (tests call this between tests)."""
    with _CHIPS_LOCK:
        _CHIPS.clear()
