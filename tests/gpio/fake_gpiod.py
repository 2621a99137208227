"""A fake of the ``gpiod`` (libgpiod v2) Python module, for machines without GPIO chips.

It follows the library's API and the kernel's behaviour that the backend relies on:
chips opened by path (``FileNotFoundError`` / ``PermissionError``), ``get_info().label``,
``get_line_info(offset).used``, ``request_lines`` refusing used lines with ``EBUSY``,
line requests with a real file descriptor (a pipe, readable when edge events are
pending, so ``loop.add_reader`` genuinely fires), edge events with line and global
sequence numbers, a kernel event buffer that drops the oldest events when full, and
released requests freeing their lines (outputs revert to an undriven input).

Tests drive the "hardware" through :class:`FakeGpio` (:meth:`FakeGpio.add_chip`, then
:meth:`FakeChipDevice.emit`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
import enum
import errno
import os
import sys
import types
from typing import Any

import pytest

KERNEL_EVENTS_PER_LINE = 16  # the kernel's default buffer: 16 events per line


class Direction(enum.Enum):
    """gpiod.line.Direction."""

    AS_IS = 1
    INPUT = 2
    OUTPUT = 3


class Bias(enum.Enum):
    """gpiod.line.Bias."""

    AS_IS = 1
    UNKNOWN = 2
    DISABLED = 3
    PULL_UP = 4
    PULL_DOWN = 5


class Drive(enum.Enum):
    """gpiod.line.Drive."""

    PUSH_PULL = 1
    OPEN_DRAIN = 2
    OPEN_SOURCE = 3


class Edge(enum.Enum):
    """gpiod.line.Edge."""

    NONE = 1
    RISING = 2
    FALLING = 3
    BOTH = 4


class Clock(enum.Enum):
    """gpiod.line.Clock."""

    MONOTONIC = 1
    REALTIME = 2
    HTE = 3


class Value(enum.Enum):
    """gpiod.line.Value."""

    INACTIVE = 0
    ACTIVE = 1

    def __bool__(self) -> bool:
        """Return True for ACTIVE, like the library."""
        return self is Value.ACTIVE


@dataclass
class LineSettings:
    """gpiod.LineSettings."""

    direction: Direction = Direction.AS_IS
    edge_detection: Edge = Edge.NONE
    bias: Bias = Bias.AS_IS
    drive: Drive = Drive.PUSH_PULL
    active_low: bool = False
    debounce_period: timedelta = field(default_factory=timedelta)
    event_clock: Clock = Clock.MONOTONIC
    output_value: Value = Value.INACTIVE


@dataclass(frozen=True)
class ChipInfo:
    """gpiod.ChipInfo."""

    name: str
    label: str
    num_lines: int


@dataclass(frozen=True)
class LineInfo:
    """gpiod.LineInfo (the fields the backend reads)."""

    offset: int
    name: str
    used: bool
    consumer: str
    direction: Direction
    active_low: bool
    debounce_period: timedelta


@dataclass(frozen=True)
class EdgeEvent:
    """gpiod.EdgeEvent."""

    class Type(enum.Enum):
        """gpiod.EdgeEvent.Type."""

        RISING_EDGE = 1
        FALLING_EDGE = 2

    event_type: Type
    timestamp_ns: int
    line_offset: int
    global_seqno: int
    line_seqno: int


class RequestReleasedError(Exception):
    """gpiod.RequestReleasedError."""


class ChipClosedError(Exception):
    """gpiod.ChipClosedError."""


@dataclass
class FakeLine:
    """One line of a fake chip, as the kernel sees it."""

    high: bool = False
    request: LineRequest | None = None
    settings: LineSettings | None = None
    line_seqno: int = 0


class FakeChipDevice:
    """The 'hardware' behind a fake chip path."""

    def __init__(self, path: str, label: str, num_lines: int) -> None:
        """Create a chip with free, low lines."""
        self.path = path
        self.label = label
        self.num_lines = num_lines
        self.denied = False
        self.lines = [FakeLine() for _ in range(num_lines)]
        self.requests: list[LineRequest] = []
        self.consumers: dict[int, str] = {}

    def hold(self, offset: int, consumer: str) -> None:
        """Make another program hold a line."""
        self.consumers[offset] = consumer

    def emit(self, offset: int, rising: bool, timestamp_ns: int) -> None:
        """Change a line's physical level; queue an event if the request wants it."""
        line = self.lines[offset]
        line.high = rising
        request, settings = line.request, line.settings
        if request is None or settings is None:
            return
        logical_rising = rising != settings.active_low
        wanted = {
            Edge.NONE: (),
            Edge.RISING: (True,),
            Edge.FALLING: (False,),
            Edge.BOTH: (True, False),
        }[settings.edge_detection]
        if logical_rising not in wanted:
            return
        line.line_seqno += 1
        request.queue_event(
            offset,
            EdgeEvent.Type.RISING_EDGE
            if logical_rising
            else EdgeEvent.Type.FALLING_EDGE,
            timestamp_ns,
            line.line_seqno,
        )


class LineRequest:
    """gpiod.LineRequest on a fake chip; its fd is the read end of a pipe."""

    def __init__(
        self,
        device: FakeChipDevice,
        settings: dict[int, LineSettings],
        consumer: str | None,
        event_buffer_size: int | None,
    ) -> None:
        """Claim the lines and open the event pipe."""
        self._device = device
        self.settings = settings
        self.consumer = consumer
        self.capacity = event_buffer_size or KERNEL_EVENTS_PER_LINE * len(settings)
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self._events: deque[EdgeEvent] = deque()
        self._global_seqno = 0
        self.released = False
        self.values: dict[int, Value] = {}
        for offset, line_settings in settings.items():
            line = device.lines[offset]
            line.request, line.settings, line.line_seqno = self, line_settings, 0
            if line_settings.direction is Direction.OUTPUT:
                self.values[offset] = line_settings.output_value
                line.high = bool(line_settings.output_value) != line_settings.active_low

    @property
    def fd(self) -> int:
        """Return the file descriptor to watch for edge events."""
        self._check()
        return self._read_fd

    def fileno(self) -> int:
        """Return the file descriptor."""
        return self.fd

    @property
    def offsets(self) -> list[int]:
        """Return the requested offsets."""
        return list(self.settings)

    def _check(self) -> None:
        """Raise like the library when the request was released."""
        if self.released:
            raise RequestReleasedError

    def queue_event(
        self, offset: int, kind: EdgeEvent.Type, timestamp_ns: int, line_seqno: int
    ) -> None:
        """Queue an event like the kernel: when the buffer is full, drop the oldest."""
        self._global_seqno += 1
        if len(self._events) >= self.capacity:
            self._events.popleft()
        self._events.append(
            EdgeEvent(kind, timestamp_ns, offset, self._global_seqno, line_seqno)
        )
        os.write(self._write_fd, b"!")

    def read_edge_events(self, max_events: int | None = None) -> list[EdgeEvent]:
        """Return the pending events (blocking is not emulated)."""
        self._check()
        count = len(self._events) if max_events is None else max_events
        events = [self._events.popleft() for _ in range(min(count, len(self._events)))]
        if not self._events:
            try:
                while os.read(self._read_fd, 4096):
                    pass
            except BlockingIOError:
                pass
        return events

    def get_value(self, line: int | str) -> Value:
        """Return the logical value of a line."""
        self._check()
        offset = int(line)
        settings = self.settings[offset]
        if settings.direction is Direction.OUTPUT:
            return self.values[offset]
        high = self._device.lines[offset].high
        return Value.ACTIVE if high != settings.active_low else Value.INACTIVE

    def set_value(self, line: int | str, value: Value) -> None:
        """Drive an output line."""
        self._check()
        offset = int(line)
        self.values[offset] = value
        self._device.lines[offset].high = (
            bool(value) != self.settings[offset].active_low
        )

    def release(self) -> None:
        """Free the lines (outputs stop being driven and fall low) and close the fd."""
        if self.released:
            return
        self.released = True
        for offset in self.settings:
            line = self._device.lines[offset]
            line.request = line.settings = None
            line.high = False
        os.close(self._read_fd)
        os.close(self._write_fd)


class Chip:
    """gpiod.Chip on a fake device."""

    def __init__(self, path: str) -> None:
        """Open a chip by path, failing like the C library."""
        world = FakeGpio.current
        device = world.chips.get(path) if world else None
        if device is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        if device.denied:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        self._device: FakeChipDevice | None = device
        world.opened += 1

    def __enter__(self) -> Chip:
        """Enter a with block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the chip at the end of a with block."""
        self.close()

    def _dev(self) -> FakeChipDevice:
        """Return the device or raise if closed."""
        if self._device is None:
            raise ChipClosedError
        return self._device

    def close(self) -> None:
        """Close the chip (requests stay alive, like the library)."""
        if self._device is not None and FakeGpio.current:
            FakeGpio.current.opened -= 1
        self._device = None

    def get_info(self) -> ChipInfo:
        """Return name, label and number of lines."""
        device = self._dev()
        return ChipInfo(os.path.basename(device.path), device.label, device.num_lines)

    def _offset(self, line: int | str) -> int:
        """Check an offset like line_offset_from_id."""
        offset = int(line)
        if offset >= self._dev().num_lines:
            raise ValueError("line offset of out range")
        return offset

    def get_line_info(self, line: int | str) -> LineInfo:
        """Return a snapshot of a line's use."""
        device = self._dev()
        offset = self._offset(line)
        state = device.lines[offset]
        consumer = device.consumers.get(offset) or (
            state.request.consumer if state.request else None
        )
        return LineInfo(
            offset=offset,
            name=f"GPIO{offset}",
            used=consumer is not None,
            consumer=consumer or "",
            direction=state.settings.direction if state.settings else Direction.INPUT,
            active_low=state.settings.active_low if state.settings else False,
            debounce_period=state.settings.debounce_period
            if state.settings
            else timedelta(),
        )

    def request_lines(
        self,
        config: dict[Any, LineSettings | None],
        consumer: str | None = None,
        event_buffer_size: int | None = None,
        output_values: dict[Any, Value] | None = None,
    ) -> LineRequest:
        """Request lines for exclusive use (EBUSY if any is used)."""
        device = self._dev()
        settings: dict[int, LineSettings] = {}
        for key, line_settings in config.items():
            offsets = key if isinstance(key, tuple | list) else (key,)
            for offset in offsets:
                settings[self._offset(offset)] = line_settings or LineSettings()
        for offset in settings:
            if device.lines[offset].request is not None or offset in device.consumers:
                raise OSError(errno.EBUSY, "Device or resource busy")
        request = LineRequest(device, settings, consumer, event_buffer_size)
        device.requests.append(request)
        return request


class FakeGpio:
    """The fake GPIO world: chips by path, and the fake module installed."""

    current: FakeGpio | None = None

    def __init__(self, dev_dir: str) -> None:
        """Create an empty world whose chips live in ``dev_dir``."""
        self.dev_dir = dev_dir
        self.chips: dict[str, FakeChipDevice] = {}
        self.opened = 0
        """Chips currently open (to check that nothing leaks)."""

    def add_chip(self, number: int, label: str, num_lines: int = 54) -> FakeChipDevice:
        """Add /dev/gpiochip<number> with a label (creates the device file)."""
        path = os.path.join(self.dev_dir, f"gpiochip{number}")
        with open(path, "w", encoding="ascii"):
            pass
        device = self.chips[path] = FakeChipDevice(path, label, num_lines)
        return device

    def is_gpiochip_device(self, path: str) -> bool:
        """Return whether a path is a (fake) GPIO chip."""
        return path in self.chips

    def module(self) -> tuple[types.ModuleType, types.ModuleType]:
        """Build the fake ``gpiod`` and ``gpiod.line`` modules."""
        line = types.ModuleType("gpiod.line")
        for enum_type in (Direction, Bias, Drive, Edge, Clock, Value):
            setattr(line, enum_type.__name__, enum_type)
        gpiod = types.ModuleType("gpiod")
        gpiod.line = line  # type: ignore[attr-defined]
        for name, value in {
            "Chip": Chip,
            "LineSettings": LineSettings,
            "LineRequest": LineRequest,
            "EdgeEvent": EdgeEvent,
            "ChipInfo": ChipInfo,
            "LineInfo": LineInfo,
            "RequestReleasedError": RequestReleasedError,
            "ChipClosedError": ChipClosedError,
            "is_gpiochip_device": self.is_gpiochip_device,
            "request_lines": _request_lines,
            "__version__": "2.5.0-fake",
        }.items():
            setattr(gpiod, name, value)
        return gpiod, line


def _request_lines(
    path: str, config: dict[Any, LineSettings | None], **kwargs: Any
) -> LineRequest:
    """gpiod.request_lines: open the chip, request, close the chip."""
    with Chip(path) as chip:
        return chip.request_lines(config, **kwargs)


def install(monkeypatch: pytest.MonkeyPatch, dev_dir: str) -> FakeGpio:
    """Install the fake gpiod module and point the backend at ``dev_dir``."""
    from custom_components.sunshare.gpio import gpiod_backend

    world = FakeGpio(dev_dir)
    gpiod, line = world.module()
    monkeypatch.setitem(sys.modules, "gpiod", gpiod)
    monkeypatch.setitem(sys.modules, "gpiod.line", line)
    monkeypatch.setattr(FakeGpio, "current", world)
    monkeypatch.setattr(gpiod_backend, "DEV_DIR", dev_dir)
    return world
