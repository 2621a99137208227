"""Types of the GPIO hardware layer: line settings, edge events, errors and the interface.

A backend (:class:`GpioBackend`) gives access to the lines of one GPIO chip. Input lines
deliver :class:`EdgeEvent` objects to a callback, always on the asyncio event loop that
requested the line; output lines are driven with :meth:`OutputLine.set_active`. Values
are *logical*: ``active`` already takes ``active_low`` into account.

Threading: :func:`~custom_components.sunshare.gpio.open_backend` may block (it scans and
opens ``/dev/gpiochip*``), so call it from an executor. Every other method is a short,
non-blocking kernel call and must be called from the event loop thread (requesting an
input registers its file descriptor with ``loop.add_reader``; releasing it, or closing
the backend, removes it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

CONTAINER_HINT = (
    "On Home Assistant OS the GPIO chips are available to Home Assistant; in a "
    "container, start it with --privileged or --device /dev/gpiochipN, and give an "
    "add-on `gpio: true` or the device in its configuration."
)


class Edge(StrEnum):
    """Which edges of an input line produce events."""

    RISING = "rising"
    FALLING = "falling"
    BOTH = "both"


class Bias(StrEnum):
    """Internal pull resistor of an input line."""

    AS_IS = "as_is"
    PULL_UP = "pull_up"
    PULL_DOWN = "pull_down"
    DISABLED = "disabled"


class Drive(StrEnum):
    """Output stage of an output line."""

    PUSH_PULL = "push_pull"
    OPEN_DRAIN = "open_drain"


class EventClock(StrEnum):
    """Clock used for the timestamps of edge events."""

    MONOTONIC = "monotonic"
    REALTIME = "realtime"


class BackendKind(StrEnum):
    """How GPIO lines are reached."""

    GPIOD = "gpiod"
    """The GPIO character device through libgpiod v2 (default, every Raspberry Pi)."""
    RPI_GPIO = "rpi_gpio"
    """The legacy RPi.GPIO library (Raspberry Pi 4 and older only)."""
    SIMULATED = "simulated"
    """An in-process simulated chip (tests and the demo)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class InputConfig:
    """Settings of an input line."""

    line: int
    """Line offset on the chip (the BCM GPIO number on a Raspberry Pi header)."""
    edge: Edge = Edge.BOTH
    bias: Bias = Bias.AS_IS
    active_low: bool = False
    debounce: timedelta = timedelta()
    """Kernel debounce period; zero disables debouncing."""
    clock: EventClock = EventClock.MONOTONIC
    """Clock of the event timestamps."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OutputConfig:
    """Settings of an output line."""

    line: int
    active_low: bool = False
    initial_active: bool = False
    drive: Drive = Drive.PUSH_PULL


@dataclass(frozen=True, kw_only=True, slots=True)
class EdgeEvent:
    """One edge seen on an input line."""

    line: int
    rising: bool
    """True for a logical rising edge (inactive to active)."""
    timestamp_ns: int
    """Kernel timestamp in nanoseconds, on the clock chosen in :class:`InputConfig`."""
    line_seqno: int
    """Sequence number of the event on its line (1, 2, …); a gap means lost events."""
    global_seqno: int
    """Sequence number of the event across the request."""


type EdgeCallback = Callable[[EdgeEvent], None]


class GpioError(Exception):
    """A GPIO operation failed."""


class ChipNotFoundError(GpioError):
    """No GPIO chip matches the requested one (or none with a Raspberry Pi label)."""


class LineNotFoundError(GpioError):
    """The chip has no line with this offset."""


class LineBusyError(GpioError):
    """The line is already used by another consumer (another entry or program)."""


class GpioPermissionError(GpioError):
    """The GPIO chip cannot be opened for lack of permission."""

    def __init__(self, message: str) -> None:
        """Store the message followed by a hint for containers and Home Assistant OS."""
        super().__init__(f"{message}. {CONTAINER_HINT}")


class InputLine(ABC):
    """A requested input line; its events go to the callback given on request."""

    config: InputConfig
    error: str | None = None
    """Why the line stopped delivering events (the chip failed), if it did."""

    @abstractmethod
    def read_active(self) -> bool:
        """Return whether the line is logically active now."""

    @abstractmethod
    def release(self) -> None:
        """Stop watching the line and give it back (idempotent)."""


class OutputLine(ABC):
    """A requested output line."""

    config: OutputConfig

    @property
    @abstractmethod
    def is_active(self) -> bool:
        """Return whether the line is driven logically active."""

    @abstractmethod
    def set_active(self, active: bool) -> None:
        """Drive the line logically active or inactive."""

    @abstractmethod
    def release(self) -> None:
        """Set the line inactive, then give it back (idempotent)."""


class GpioBackend(ABC):
    """Access to the lines of one GPIO chip.

    A backend is not shared: each user (e.g. each config entry) opens its own, and
    the chip itself arbitrates lines, so a line held by another backend (or another
    program) is reported busy. ``close`` releases every line still requested.
    """

    kind: BackendKind
    chip: str
    """What the backend is connected to (chip path, label or simulated chip name)."""

    @abstractmethod
    def describe(self) -> dict[str, str | int]:
        """Return a description of the chip for diagnostics (path, label, lines)."""

    @abstractmethod
    def check_line(self, line: int) -> None:
        """Raise LineNotFoundError or LineBusyError unless the line can be requested."""

    @abstractmethod
    def request_input(self, config: InputConfig, on_event: EdgeCallback) -> InputLine:
        """Request an input line; ``on_event`` is then called on the event loop."""

    @abstractmethod
    def request_output(self, config: OutputConfig) -> OutputLine:
        """Request an output line, driven to ``config.initial_active`` at once."""

    @abstractmethod
    def close(self) -> None:
        """Release every line still requested and close the chip (idempotent)."""
