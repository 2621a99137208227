"""Legacy GPIO backend through RPi.GPIO (Raspberry Pi 4 and older; not the Pi 5).

RPi.GPIO addresses the header with BCM numbers (GPIO 0-27), debounces in software
(``bouncetime`` in milliseconds) and calls edge callbacks from its own thread; they are
handed to the event loop with ``call_soon_threadsafe``. It gives no kernel timestamps or
sequence numbers, so events are stamped on arrival and lost events cannot be detected.
RPi.GPIO keeps process-wide state, so the lines held by every backend are tracked here
and only a backend's own lines are cleaned up.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

from .models import (
    BackendKind,
    Bias,
    ChipNotFoundError,
    Drive,
    Edge,
    EdgeCallback,
    EdgeEvent,
    EventClock,
    GpioBackend,
    GpioError,
    GpioPermissionError,
    InputConfig,
    InputLine,
    LineBusyError,
    LineNotFoundError,
    OutputConfig,
    OutputLine,
)

NUM_LINES = 28  # BCM GPIO 0-27 on the 40-pin header
_CLAIMED: set[int] = set()
_CLAIMED_LOCK = threading.RLock()


def _import_rpi_gpio() -> Any:
    """Import RPi.GPIO, mapping its import-time errors to typed GPIO errors."""
    try:
        from RPi import GPIO
    except ImportError as err:
        raise ChipNotFoundError(
            "RPi.GPIO is not installed; use the gpiod backend instead"
        ) from err
    except RuntimeError as err:
        raise _map_runtime_error(err) from err
    return GPIO


def _map_runtime_error(err: RuntimeError) -> GpioError:
    """Return the typed error for an RPi.GPIO RuntimeError."""
    text = str(err)
    if "access" in text.lower() or "root" in text.lower():
        return GpioPermissionError(f"RPi.GPIO: {text}")
    if "SOC peripheral base address" in text or "Raspberry Pi" in text:
        return ChipNotFoundError(
            f"RPi.GPIO: {text} (RPi.GPIO does not work on a Raspberry Pi 5; "
            "use the gpiod backend)"
        )
    return GpioError(f"RPi.GPIO: {text}")


class RpiGpioInputLine(InputLine):
    """An input line with RPi.GPIO edge detection."""

    def __init__(
        self,
        backend: RpiGpioBackend,
        config: InputConfig,
        on_event: EdgeCallback,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Remember where events go; detection is started by the backend."""
        self._backend = backend
        self.config = config
        self._on_event = on_event
        self._loop = loop
        self._seqno = itertools.count(1)
        self.released = False

    def on_gpio_edge(self, channel: int) -> None:
        """Handle an edge in RPi.GPIO's thread: stamp it and pass it to the loop."""
        timestamp_ns = (
            time.time_ns()
            if self.config.clock is EventClock.REALTIME
            else time.monotonic_ns()
        )
        if self.config.edge is Edge.BOTH:
            rising = self.read_active()
        else:
            rising = self.config.edge is Edge.RISING
        seqno = next(self._seqno)
        event = EdgeEvent(
            line=channel,
            rising=rising,
            timestamp_ns=timestamp_ns,
            line_seqno=seqno,
            global_seqno=seqno,
        )
        self._loop.call_soon_threadsafe(self._dispatch, event)

    def _dispatch(self, event: EdgeEvent) -> None:
        """Call the callback on the loop unless the line was released."""
        if not self.released:
            self._on_event(event)

    def read_active(self) -> bool:
        """Return whether the line is logically active."""
        return (
            bool(self._backend.gpio.input(self.config.line)) != self.config.active_low
        )

    def release(self) -> None:
        """Stop edge detection and give the line back."""
        if self.released:
            return
        self.released = True
        gpio = self._backend.gpio
        gpio.remove_event_detect(self.config.line)
        gpio.cleanup(self.config.line)
        self._backend.forget(self)


class RpiGpioOutputLine(OutputLine):
    """An output line driven with RPi.GPIO."""

    def __init__(self, backend: RpiGpioBackend, config: OutputConfig) -> None:
        """Remember the backend; the line is set up by the backend."""
        self._backend = backend
        self.config = config
        self._active = config.initial_active
        self.released = False

    @property
    def is_active(self) -> bool:
        """Return whether the line is driven logically active."""
        return self._active

    def set_active(self, active: bool) -> None:
        """Drive the line logically active or inactive."""
        if self.released:
            raise GpioError(f"GPIO line {self.config.line} was released")
        gpio = self._backend.gpio
        high = active != self.config.active_low
        try:
            gpio.output(self.config.line, gpio.HIGH if high else gpio.LOW)
        except RuntimeError as err:
            raise _map_runtime_error(err) from err
        self._active = active

    def release(self) -> None:
        """Set the line inactive, then give it back."""
        if self.released:
            return
        self.set_active(False)
        self.released = True
        if not self.config.active_low:
            # cleanup() makes the line an input; an active-low load would switch on.
            self._backend.gpio.cleanup(self.config.line)
        self._backend.forget(self)


class RpiGpioBackend(GpioBackend):
    """The Raspberry Pi header through RPi.GPIO (BCM numbering)."""

    kind = BackendKind.RPI_GPIO
    chip = "header"

    def __init__(self) -> None:
        """Import and initialise RPi.GPIO in BCM mode."""
        self.gpio = _import_rpi_gpio()
        try:
            self.gpio.setwarnings(False)
            self.gpio.setmode(self.gpio.BCM)
        except RuntimeError as err:
            raise _map_runtime_error(err) from err
        except ValueError as err:  # another user chose BOARD numbering
            raise GpioError(f"RPi.GPIO: {err}") from err
        self._lines: list[RpiGpioInputLine | RpiGpioOutputLine] = []

    def describe(self) -> dict[str, str | int]:
        """Return what RPi.GPIO drives."""
        return {
            "chip": self.chip,
            "label": f"RPi.GPIO {getattr(self.gpio, 'VERSION', '?')}",
            "lines": NUM_LINES,
        }

    def check_line(self, line: int) -> None:
        """Raise unless the BCM line exists and no Sunshare entry holds it."""
        if not 0 <= line < NUM_LINES:
            raise LineNotFoundError(
                f"The Raspberry Pi header has no GPIO {line} (GPIO 0-{NUM_LINES - 1})"
            )
        with _CLAIMED_LOCK:
            if line in _CLAIMED:
                raise LineBusyError(f"GPIO {line} is already used")

    def _claim(self, line: int) -> None:
        """Mark a line as held."""
        with _CLAIMED_LOCK:
            self.check_line(line)
            _CLAIMED.add(line)

    def request_input(self, config: InputConfig, on_event: EdgeCallback) -> InputLine:
        """Set up an input with pull and software-debounced edge detection."""
        loop = asyncio.get_running_loop()
        gpio = self.gpio
        self._claim(config.line)
        line = RpiGpioInputLine(self, config, on_event, loop)
        pull = {
            Bias.PULL_UP: gpio.PUD_UP,
            Bias.PULL_DOWN: gpio.PUD_DOWN,
        }.get(config.bias, gpio.PUD_OFF)
        # Edges are logical: with active_low, a logical rising edge is a falling one.
        edge = config.edge
        if config.active_low and edge is not Edge.BOTH:
            edge = Edge.FALLING if edge is Edge.RISING else Edge.RISING
        bouncetime = round(config.debounce.total_seconds() * 1000)
        try:
            gpio.setup(config.line, gpio.IN, pull_up_down=pull)
            kwargs: dict[str, Any] = {"callback": line.on_gpio_edge}
            if bouncetime > 0:
                kwargs["bouncetime"] = bouncetime
            gpio.add_event_detect(
                config.line,
                {
                    Edge.RISING: gpio.RISING,
                    Edge.FALLING: gpio.FALLING,
                    Edge.BOTH: gpio.BOTH,
                }[edge],
                **kwargs,
            )
        except RuntimeError as err:
            self._unclaim(config.line)
            raise _map_runtime_error(err) from err
        self._lines.append(line)
        return line

    def request_output(self, config: OutputConfig) -> OutputLine:
        """Set up an output driven to its initial value at once."""
        if config.drive is Drive.OPEN_DRAIN:
            raise GpioError("RPi.GPIO cannot drive a line open-drain; use gpiod")
        gpio = self.gpio
        self._claim(config.line)
        high = config.initial_active != config.active_low
        try:
            gpio.setup(config.line, gpio.OUT, initial=gpio.HIGH if high else gpio.LOW)
        except RuntimeError as err:
            self._unclaim(config.line)
            raise _map_runtime_error(err) from err
        line = RpiGpioOutputLine(self, config)
        self._lines.append(line)
        return line

    @staticmethod
    def _unclaim(line: int) -> None:
        """Mark a line free."""
        with _CLAIMED_LOCK:
            _CLAIMED.discard(line)

    def forget(self, line: RpiGpioInputLine | RpiGpioOutputLine) -> None:
        """Drop a released line and free it."""
        self._unclaim(line.config.line)
        if line in self._lines:
            self._lines.remove(line)

    def close(self) -> None:
        """Release every line of this backend (other backends keep theirs)."""
        for line in list(self._lines):
            line.release()
