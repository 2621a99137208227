"""GPIO backend on the GPIO character device, through the libgpiod v2 Python bindings.

The Raspberry Pi header chip is found by its label (``pinctrl-rp1`` on the Pi 5,
``pinctrl-bcm2711`` on the Pi 4, ``pinctrl-bcm2835`` before), never by its number: the
Pi 5 header moved from ``gpiochip4`` to ``gpiochip0`` with kernel 6.6.45. Each line is its
own request; an input request's file descriptor is watched with ``loop.add_reader`` and
its edge events are read in that callback (no thread, no polling). Closing a request
reverts the line, so requests stay open for the life of the line.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
from typing import TYPE_CHECKING, Any, NoReturn

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

if TYPE_CHECKING:
    import gpiod

_LOGGER = logging.getLogger(__name__)

HEADER_LABELS = ("pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835")
"""Labels of the chip driving the 40-pin header, in order of preference."""
CONSUMER = "sunshare"
DEV_DIR = "/dev"
"""Where the GPIO chip devices are looked for."""
_CHIP_NAME = re.compile(r"gpiochip(\d+)$")


def _gpiod() -> Any:
    """Import the gpiod bindings (only when this backend is used)."""
    try:
        import gpiod
    except ImportError as err:  # pragma: no cover - gpiod is a requirement
        raise GpioError("The gpiod Python bindings are not installed") from err
    return gpiod


def _raise_os_error(err: OSError, what: str) -> NoReturn:
    """Raise the typed GPIO error matching an OSError."""
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM):
        raise GpioPermissionError(f"Permission denied on {what}") from err
    if isinstance(err, FileNotFoundError) or err.errno in (errno.ENOENT, errno.ENODEV):
        raise ChipNotFoundError(f"{what} does not exist") from err
    if err.errno == errno.EBUSY:
        raise LineBusyError(f"{what} is used by another program") from err
    raise GpioError(f"{what}: {err.strerror or err}") from err


def list_chips(dev_dir: str | None = None) -> list[str]:
    """Return the paths of the GPIO chip devices, in numeric order."""
    gpiod = _gpiod()
    dev_dir = dev_dir or DEV_DIR
    try:
        names = os.listdir(dev_dir)
    except OSError:
        return []
    numbered = sorted(
        (int(match.group(1)), name)
        for name in names
        if (match := _CHIP_NAME.match(name))
    )
    paths = [os.path.join(dev_dir, name) for _, name in numbered]
    return [path for path in paths if gpiod.is_gpiochip_device(path)]


def find_chip(chip: str | None, dev_dir: str | None = None) -> str:
    """Return the device path of a chip given as None/"auto", path, name or label."""
    dev_dir = dev_dir or DEV_DIR
    if chip and chip != "auto":
        if chip.startswith("/"):
            return chip
        if _CHIP_NAME.match(chip):
            return os.path.join(dev_dir, chip)
    gpiod = _gpiod()
    wanted = HEADER_LABELS if chip in (None, "", "auto") else (chip,)
    found: dict[str, str] = {}
    denied: list[str] = []
    for path in list_chips(dev_dir):
        try:
            with gpiod.Chip(path) as opened:
                label = opened.get_info().label
        except PermissionError:
            denied.append(path)
            continue
        except OSError as err:
            _LOGGER.debug("Skipping GPIO chip %s: %s", path, err)
            continue
        found.setdefault(label, path)
    for label in wanted:
        if label in found:
            return found[label]
    if denied:
        raise GpioPermissionError(f"Permission denied opening {', '.join(denied)}")
    raise ChipNotFoundError(
        f"No GPIO chip labelled {' or '.join(wanted)} "
        f"(found: {', '.join(sorted(found)) or 'no GPIO chip'})"
    )


class GpiodInputLine(InputLine):
    """An input line: one gpiod request whose fd is watched by the event loop."""

    def __init__(
        self,
        request: gpiod.LineRequest,
        config: InputConfig,
        on_event: EdgeCallback,
        loop: asyncio.AbstractEventLoop,
        backend: GpiodBackend,
    ) -> None:
        """Start watching the request's file descriptor."""
        self._request: gpiod.LineRequest | None = request
        self.config = config
        self._on_event = on_event
        self._loop = loop
        self._backend = backend
        self._fd = request.fd
        loop.add_reader(self._fd, self._read_events)

    def _read_events(self) -> None:
        """Read the pending edge events and pass them to the callback."""
        if self._request is None:
            return
        rising_type = _gpiod().EdgeEvent.Type.RISING_EDGE
        try:
            events = self._request.read_edge_events()
        except OSError as err:
            # The chip is gone or broken: stop watching (a readable fd would spin the
            # loop) and say so once. Reloading the entry requests the line again.
            self._loop.remove_reader(self._fd)
            self.error = f"{err.strerror or err}"
            _LOGGER.error(
                "Stopped watching GPIO line %s of %s: reading its events failed: %s",
                self.config.line,
                self._backend.chip,
                self.error,
            )
            return
        for event in events:
            self._on_event(
                EdgeEvent(
                    line=event.line_offset,
                    rising=event.event_type == rising_type,
                    timestamp_ns=event.timestamp_ns,
                    line_seqno=event.line_seqno,
                    global_seqno=event.global_seqno,
                )
            )

    def read_active(self) -> bool:
        """Return whether the line is logically active."""
        if self._request is None:
            raise GpioError(f"GPIO line {self.config.line} was released")
        try:
            return bool(self._request.get_value(self.config.line))
        except OSError as err:
            _raise_os_error(err, f"GPIO line {self.config.line}")

    def release(self) -> None:
        """Stop watching the line and release the request."""
        if (request := self._request) is None:
            return
        self._request = None
        self._loop.remove_reader(self._fd)
        request.release()
        self._backend.forget(self)


class GpiodOutputLine(OutputLine):
    """An output line: one gpiod request driven with set_value."""

    def __init__(
        self, request: gpiod.LineRequest, config: OutputConfig, backend: GpiodBackend
    ) -> None:
        """Keep the request (closing it would revert the line)."""
        self._request: gpiod.LineRequest | None = request
        self.config = config
        self._backend = backend
        self._active = config.initial_active

    @property
    def is_active(self) -> bool:
        """Return whether the line is driven logically active."""
        return self._active

    def set_active(self, active: bool) -> None:
        """Drive the line logically active or inactive."""
        if self._request is None:
            raise GpioError(f"GPIO line {self.config.line} was released")
        value = _gpiod().line.Value
        try:
            self._request.set_value(
                self.config.line, value.ACTIVE if active else value.INACTIVE
            )
        except OSError as err:
            _raise_os_error(err, f"GPIO line {self.config.line}")
        self._active = active

    def release(self) -> None:
        """Set the line inactive, then release the request."""
        if self._request is None:
            return
        try:
            self.set_active(False)
        except GpioError as err:
            _LOGGER.warning(
                "Could not set GPIO line %s inactive: %s", self.config.line, err
            )
        request, self._request = self._request, None
        request.release()
        self._backend.forget(self)


class GpiodBackend(GpioBackend):
    """Lines of one GPIO chip through libgpiod v2."""

    kind = BackendKind.GPIOD

    def __init__(self, chip: str | None = None, dev_dir: str | None = None) -> None:
        """Find and open the chip (blocking; see :func:`find_chip`)."""
        self._gpiod = _gpiod()
        self.chip = find_chip(chip, dev_dir)
        try:
            self._chip: gpiod.Chip | None = self._gpiod.Chip(self.chip)
            info = self._chip.get_info()
        except OSError as err:
            _raise_os_error(err, f"GPIO chip {self.chip}")
        self.label: str = info.label
        self.num_lines: int = info.num_lines
        self._lines: list[GpiodInputLine | GpiodOutputLine] = []

    def _opened(self) -> gpiod.Chip:
        """Return the open chip or raise if the backend was closed."""
        if self._chip is None:
            raise GpioError(f"GPIO chip {self.chip} is closed")
        return self._chip

    def describe(self) -> dict[str, str | int]:
        """Return the chip's path, label and number of lines."""
        return {"chip": self.chip, "label": self.label, "lines": self.num_lines}

    def check_line(self, line: int) -> None:
        """Raise unless the line exists and no one uses it."""
        if not 0 <= line < self.num_lines:
            raise LineNotFoundError(
                f"GPIO chip {self.chip} ({self.label}) has no line {line} "
                f"(lines 0-{self.num_lines - 1})"
            )
        try:
            info = self._opened().get_line_info(line)
        except OSError as err:
            _raise_os_error(err, f"GPIO line {line} of {self.chip}")
        if info.used:
            raise LineBusyError(
                f"GPIO line {line} of {self.chip} is used by "
                f"{info.consumer or 'another program'}"
            )

    def _request(self, line: int, settings: gpiod.LineSettings) -> gpiod.LineRequest:
        """Request one line with the given settings, mapping errors."""
        self.check_line(line)
        try:
            return self._opened().request_lines(
                config={line: settings}, consumer=CONSUMER
            )
        except ValueError as err:
            raise LineNotFoundError(
                f"GPIO chip {self.chip} has no line {line}"
            ) from err
        except OSError as err:
            _raise_os_error(err, f"GPIO line {line} of {self.chip}")

    def request_input(self, config: InputConfig, on_event: EdgeCallback) -> InputLine:
        """Request an input line with edge detection, bias and kernel debounce."""
        loop = asyncio.get_running_loop()
        line_mod = self._gpiod.line
        settings = self._gpiod.LineSettings(
            direction=line_mod.Direction.INPUT,
            edge_detection={
                Edge.RISING: line_mod.Edge.RISING,
                Edge.FALLING: line_mod.Edge.FALLING,
                Edge.BOTH: line_mod.Edge.BOTH,
            }[config.edge],
            bias={
                Bias.AS_IS: line_mod.Bias.AS_IS,
                Bias.PULL_UP: line_mod.Bias.PULL_UP,
                Bias.PULL_DOWN: line_mod.Bias.PULL_DOWN,
                Bias.DISABLED: line_mod.Bias.DISABLED,
            }[config.bias],
            active_low=config.active_low,
            debounce_period=config.debounce,
            event_clock=line_mod.Clock.REALTIME
            if config.clock is EventClock.REALTIME
            else line_mod.Clock.MONOTONIC,
        )
        request = self._request(config.line, settings)
        try:
            line = GpiodInputLine(request, config, on_event, loop, self)
        except BaseException:
            request.release()
            raise
        self._lines.append(line)
        return line

    def request_output(self, config: OutputConfig) -> OutputLine:
        """Request an output line driven to its initial value at once."""
        line_mod = self._gpiod.line
        settings = self._gpiod.LineSettings(
            direction=line_mod.Direction.OUTPUT,
            drive=line_mod.Drive.OPEN_DRAIN
            if config.drive is Drive.OPEN_DRAIN
            else line_mod.Drive.PUSH_PULL,
            active_low=config.active_low,
            output_value=line_mod.Value.ACTIVE
            if config.initial_active
            else line_mod.Value.INACTIVE,
        )
        line = GpiodOutputLine(self._request(config.line, settings), config, self)
        self._lines.append(line)
        return line

    def forget(self, line: GpiodInputLine | GpiodOutputLine) -> None:
        """Drop a released line from the backend's list."""
        if line in self._lines:
            self._lines.remove(line)

    def close(self) -> None:
        """Release every line still requested and close the chip."""
        for line in list(self._lines):
            line.release()
        if self._chip is not None:
            self._chip.close()
            self._chip = None
