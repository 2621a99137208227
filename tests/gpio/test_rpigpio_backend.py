"""Tests of the RPi.GPIO backend against a small fake of the RPi.GPIO module."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Iterator
from datetime import timedelta
import sys
import threading
import types
from typing import Any

import pytest

from custom_components.sunshare.gpio import (
    BackendKind,
    Bias,
    ChipNotFoundError,
    Drive,
    Edge,
    EdgeEvent,
    GpioError,
    GpioPermissionError,
    InputConfig,
    LineBusyError,
    LineNotFoundError,
    OutputConfig,
    open_backend,
)


class FakeRpiGpio(types.ModuleType):
    """The parts of RPi.GPIO the backend uses, recording every call."""

    BCM, BOARD = 11, 10
    IN, OUT = 1, 0
    HIGH, LOW = 1, 0
    PUD_OFF, PUD_DOWN, PUD_UP = 20, 21, 22
    RISING, FALLING, BOTH = 31, 32, 33
    VERSION = "0.7.1-fake"

    def __init__(self) -> None:
        """Start with no channel set up."""
        super().__init__("RPi.GPIO")
        self.mode: int | None = None
        self.levels: dict[int, int] = {}
        self.setups: dict[int, dict[str, Any]] = {}
        self.detects: dict[int, tuple[int, Callable[[int], None], int | None]] = {}
        self.cleaned: list[int] = []
        self.fail_detect = False

    def setwarnings(self, flag: bool) -> None:
        """Record nothing (warnings are irrelevant here)."""

    def setmode(self, mode: int) -> None:
        """Set the numbering, refusing a change like the library."""
        if self.mode not in (None, mode):
            raise ValueError("A different mode has already been set!")
        self.mode = mode

    def setup(self, channel: int, direction: int, **kwargs: Any) -> None:
        """Set a channel up."""
        self.setups[channel] = {"direction": direction, **kwargs}
        if direction == self.OUT:
            self.levels[channel] = kwargs.get("initial", self.LOW)

    def output(self, channel: int, value: int) -> None:
        """Drive an output."""
        if self.setups.get(channel, {}).get("direction") != self.OUT:
            raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
        self.levels[channel] = value

    def input(self, channel: int) -> int:
        """Read a channel."""
        return self.levels.get(channel, self.LOW)

    def add_event_detect(
        self,
        channel: int,
        edge: int,
        callback: Callable[[int], None],
        bouncetime: int | None = None,
    ) -> None:
        """Start edge detection."""
        if self.fail_detect:
            raise RuntimeError("Failed to add edge detection")
        self.detects[channel] = (edge, callback, bouncetime)

    def remove_event_detect(self, channel: int) -> None:
        """Stop edge detection."""
        del self.detects[channel]

    def cleanup(self, channel: int) -> None:
        """Give a channel back (it becomes an input)."""
        self.cleaned.append(channel)
        self.setups.pop(channel, None)

    def edge_from_thread(self, channel: int, level: int) -> None:
        """Change a level and call the callback from another thread, like RPi.GPIO."""
        self.levels[channel] = level
        callback = self.detects[channel][1]
        thread = threading.Thread(target=callback, args=(channel,))
        thread.start()
        thread.join()


@pytest.fixture
def rpi(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRpiGpio]:
    """Install the fake RPi.GPIO module."""
    fake = FakeRpiGpio()
    package = types.ModuleType("RPi")
    package.GPIO = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "RPi", package)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", fake)
    return fake


async def _until(condition: Callable[[], bool]) -> None:
    """Run the loop until the thread-safe callbacks have run."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")


async def test_inputs_deliver_on_the_loop(rpi: FakeRpiGpio) -> None:
    """Pull, edge and bouncetime are set; callbacks from RPi.GPIO's thread reach the loop."""
    backend = open_backend(BackendKind.RPI_GPIO)
    assert rpi.mode == rpi.BCM
    loop_thread = threading.get_ident()
    events: list[tuple[EdgeEvent, int]] = []
    line = backend.request_input(
        InputConfig(
            line=17,
            edge=Edge.FALLING,
            bias=Bias.PULL_UP,
            debounce=timedelta(milliseconds=20),
        ),
        lambda event: events.append((event, threading.get_ident())),
    )
    assert rpi.setups[17] == {"direction": rpi.IN, "pull_up_down": rpi.PUD_UP}
    assert rpi.detects[17][0] == rpi.FALLING
    assert rpi.detects[17][2] == 20
    rpi.edge_from_thread(17, rpi.LOW)
    rpi.edge_from_thread(17, rpi.LOW)
    await _until(lambda: len(events) == 2)
    assert [(e.rising, e.line_seqno) for e, _ in events] == [(False, 1), (False, 2)]
    assert {thread for _, thread in events} == {loop_thread}
    assert line.read_active() is False
    line.release()
    assert 17 not in rpi.detects
    assert rpi.cleaned == [17]
    backend.close()


async def test_active_low_both_edges_and_no_debounce(rpi: FakeRpiGpio) -> None:
    """Edges are logical; with both edges the level tells the direction."""
    backend = open_backend(BackendKind.RPI_GPIO)
    events: list[EdgeEvent] = []
    backend.request_input(
        InputConfig(line=5, edge=Edge.BOTH, active_low=True), events.append
    )
    backend.request_input(
        InputConfig(line=6, edge=Edge.RISING, active_low=True, bias=Bias.DISABLED),
        events.append,
    )
    assert rpi.detects[5][2] is None  # no bouncetime without debounce
    assert rpi.detects[6][0] == rpi.FALLING  # logical rising on an active-low line
    assert rpi.setups[6]["pull_up_down"] == rpi.PUD_OFF
    rpi.edge_from_thread(5, rpi.LOW)
    rpi.edge_from_thread(6, rpi.LOW)
    await _until(lambda: len(events) == 2)
    assert [(e.line, e.rising) for e in events] == [(5, True), (6, True)]
    backend.close()


async def test_outputs_and_release(rpi: FakeRpiGpio) -> None:
    """Outputs start at their initial level and are left inactive on release."""
    backend = open_backend(BackendKind.RPI_GPIO)
    out = backend.request_output(OutputConfig(line=22, initial_active=True))
    assert rpi.setups[22] == {"direction": rpi.OUT, "initial": rpi.HIGH}
    out.set_active(False)
    assert rpi.levels[22] == rpi.LOW
    out.set_active(True)
    assert out.is_active
    low = backend.request_output(OutputConfig(line=23, active_low=True))
    assert rpi.levels[23] == rpi.HIGH  # inactive on an active-low line
    backend.close()
    assert rpi.levels[22] == rpi.LOW
    assert rpi.cleaned == [22]  # the active-low line stays driven inactive (high)
    assert rpi.levels[23] == rpi.HIGH
    with pytest.raises(GpioError, match="released"):
        low.set_active(True)
    with pytest.raises(GpioError, match="open-drain"):
        backend.request_output(OutputConfig(line=24, drive=Drive.OPEN_DRAIN))


async def test_lines_are_shared_process_wide(rpi: FakeRpiGpio) -> None:
    """A line held by one backend is busy for another; lines beyond 27 do not exist."""
    first = open_backend(BackendKind.RPI_GPIO)
    second = open_backend(BackendKind.RPI_GPIO)
    first.request_output(OutputConfig(line=4))
    with pytest.raises(LineBusyError):
        second.request_input(InputConfig(line=4), lambda event: None)
    with pytest.raises(LineNotFoundError):
        second.check_line(28)
    assert second.describe()["label"] == "RPi.GPIO 0.7.1-fake"
    second.close()
    first.check_line(5)
    with pytest.raises(LineBusyError):
        first.check_line(4)
    first.close()
    second.check_line(4)


async def test_library_errors(rpi: FakeRpiGpio) -> None:
    """Runtime errors of RPi.GPIO are mapped and leave the line free."""
    backend = open_backend(BackendKind.RPI_GPIO)
    rpi.fail_detect = True
    with pytest.raises(GpioError, match="edge detection"):
        backend.request_input(InputConfig(line=9), lambda event: None)
    backend.check_line(9)
    rpi.mode = rpi.BOARD
    with pytest.raises(GpioError, match="different mode"):
        open_backend(BackendKind.RPI_GPIO)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("Cannot determine SOC peripheral base address", ChipNotFoundError),
        ("This module can only be run on a Raspberry Pi!", ChipNotFoundError),
        ("No access to /dev/mem.  Try running as root!", GpioPermissionError),
        ("Something else", GpioError),
    ],
)
def test_import_errors(
    monkeypatch: pytest.MonkeyPatch, message: str, error: type[GpioError]
) -> None:
    """RPi.GPIO failing at import (e.g. on a Pi 5) gives a typed error."""
    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "RPi":
            raise RuntimeError(message)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(error):
        open_backend(BackendKind.RPI_GPIO)


def test_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RPi.GPIO the error points to gpiod."""
    monkeypatch.setitem(sys.modules, "RPi", None)
    with pytest.raises(ChipNotFoundError, match="gpiod"):
        open_backend(BackendKind.RPI_GPIO)
