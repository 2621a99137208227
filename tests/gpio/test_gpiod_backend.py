"""Tests of the gpiod backend against the fake gpiod module (no GPIO chip here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import errno

import pytest

from custom_components.sunshare.gpio import (
    BackendKind,
    Bias,
    ChipNotFoundError,
    Drive,
    Edge,
    EdgeEvent,
    EventClock,
    GpioError,
    GpioPermissionError,
    InputConfig,
    LineBusyError,
    LineNotFoundError,
    OutputConfig,
    open_backend,
)
from custom_components.sunshare.gpio.gpiod_backend import GpiodBackend, find_chip

from .fake_gpiod import Bias as FakeBias, Clock, Direction, Edge as FakeEdge, FakeGpio

MS = 1_000_000


async def _until(condition: Callable[[], bool]) -> None:
    """Run the event loop until a condition holds (the fd reader has fired)."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")


def _pi5(world: FakeGpio) -> None:
    """Lay out the chips of a Raspberry Pi 5 on a 6.6 kernel before 6.6.45."""
    world.add_chip(0, "gpio-brcmstb@107d508500", 32)
    world.add_chip(1, "gpio-brcmstb@107d508500", 4)
    world.add_chip(4, "pinctrl-rp1", 54)
    world.add_chip(10, "pinctrl-bcm2712", 22)


def test_header_chip_found_by_label(fake_gpiod: FakeGpio) -> None:
    """The header chip is the one labelled pinctrl-rp1, whatever its number."""
    _pi5(fake_gpiod)
    backend = open_backend(BackendKind.GPIOD)
    assert backend.chip.endswith("/gpiochip4")
    assert backend.describe() == {
        "chip": backend.chip,
        "label": "pinctrl-rp1",
        "lines": 54,
    }
    backend.close()
    assert fake_gpiod.opened == 0


def test_pi4_and_explicit_chips(fake_gpiod: FakeGpio) -> None:
    """Pi 4 label; a chip given by name, path or label; numeric order of names."""
    fake_gpiod.add_chip(1, "raspberrypi-exp-gpio", 8)
    fake_gpiod.add_chip(0, "pinctrl-bcm2711", 58)
    fake_gpiod.add_chip(12, "pinctrl-bcm2835", 54)
    assert find_chip(None).endswith("/gpiochip0")
    assert find_chip("auto").endswith("/gpiochip0")
    assert find_chip("gpiochip12") == f"{fake_gpiod.dev_dir}/gpiochip12"
    assert find_chip("/dev/gpiochip9") == "/dev/gpiochip9"
    assert find_chip("raspberrypi-exp-gpio").endswith("/gpiochip1")


def test_no_header_chip(fake_gpiod: FakeGpio) -> None:
    """Without a Raspberry Pi label the error lists the chips found."""
    fake_gpiod.add_chip(0, "gpio-mockup-A", 8)
    with pytest.raises(ChipNotFoundError, match="gpio-mockup-A"):
        open_backend(BackendKind.GPIOD)
    with pytest.raises(ChipNotFoundError, match="does not exist"):
        open_backend(BackendKind.GPIOD, f"{fake_gpiod.dev_dir}/gpiochip7")


def test_permission_denied_has_container_hint(fake_gpiod: FakeGpio) -> None:
    """Chips that cannot be opened give a permission error with the container hint."""
    fake_gpiod.add_chip(0, "pinctrl-rp1").denied = True
    with pytest.raises(GpioPermissionError, match="--device /dev/gpiochipN"):
        open_backend(BackendKind.GPIOD)
    with pytest.raises(GpioPermissionError, match="privileged"):
        open_backend(BackendKind.GPIOD, "gpiochip0")


async def test_input_settings_and_events(fake_gpiod: FakeGpio) -> None:
    """Settings reach the request; edge events arrive through the fd reader."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1")
    backend = open_backend(BackendKind.GPIOD)
    events: list[EdgeEvent] = []
    line = backend.request_input(
        InputConfig(
            line=17,
            edge=Edge.FALLING,
            bias=Bias.PULL_UP,
            debounce=timedelta(milliseconds=20),
            clock=EventClock.REALTIME,
        ),
        events.append,
    )
    settings = device.lines[17].settings
    assert settings is not None
    assert settings.direction is Direction.INPUT
    assert settings.edge_detection is FakeEdge.FALLING
    assert settings.bias is FakeBias.PULL_UP
    assert settings.debounce_period == timedelta(milliseconds=20)
    assert settings.event_clock is Clock.REALTIME
    assert device.requests[0].consumer == "sunshare"

    device.emit(17, True, 1 * MS)
    assert line.read_active() is True
    for index in range(3):
        device.emit(17, False, (10 + index * 1000) * MS)
        device.emit(17, True, (60 + index * 1000) * MS)
    await _until(lambda: len(events) == 3)
    assert [(e.rising, e.timestamp_ns, e.line_seqno) for e in events] == [
        (False, 10 * MS, 1),
        (False, 1010 * MS, 2),
        (False, 2010 * MS, 3),
    ]
    assert events[-1].global_seqno == 3
    backend.close()


async def test_active_low_both_edges(fake_gpiod: FakeGpio) -> None:
    """With active_low, a physical falling edge is a logical rising one."""
    device = fake_gpiod.add_chip(0, "pinctrl-bcm2711")
    backend = open_backend(BackendKind.GPIOD)
    events: list[EdgeEvent] = []
    line = backend.request_input(
        InputConfig(line=4, edge=Edge.BOTH, active_low=True), events.append
    )
    assert device.lines[4].settings.active_low is True
    device.emit(4, False, 5)
    await _until(lambda: len(events) == 1)
    assert events[0].rising is True
    assert line.read_active() is True
    backend.close()


async def test_overflow_shows_as_sequence_gap(fake_gpiod: FakeGpio) -> None:
    """When the kernel buffer overflows, the line sequence numbers jump."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1")
    backend = open_backend(BackendKind.GPIOD)
    events: list[EdgeEvent] = []
    backend.request_input(InputConfig(line=27, edge=Edge.FALLING), events.append)
    for index in range(20):  # faster than the loop reads: 16 fit in the buffer
        device.emit(27, False, index * 2 * MS)
        device.emit(27, True, (index * 2 + 1) * MS)
    await _until(lambda: len(events) == 16)
    assert events[0].line_seqno == 5
    assert events[-1].line_seqno == 20
    backend.close()


async def test_busy_and_missing_lines(fake_gpiod: FakeGpio) -> None:
    """Lines held elsewhere are busy (with the holder's name); others do not exist."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1", 54)
    device.hold(5, "pigpiod")
    first = open_backend(BackendKind.GPIOD)
    second = open_backend(BackendKind.GPIOD)
    with pytest.raises(LineBusyError, match="pigpiod"):
        first.check_line(5)
    first.request_output(OutputConfig(line=6))
    with pytest.raises(LineBusyError, match="sunshare"):
        second.request_input(InputConfig(line=6), lambda event: None)
    with pytest.raises(LineNotFoundError):
        second.check_line(54)
    with pytest.raises(LineNotFoundError):
        second.request_output(OutputConfig(line=-1))
    first.close()
    second.check_line(6)
    second.close()
    with pytest.raises(GpioError, match="closed"):
        second.check_line(6)


async def test_kernel_errors_are_mapped(
    fake_gpiod: FakeGpio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EBUSY from a racing request, EACCES and other errors become typed errors."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1")
    backend = open_backend(BackendKind.GPIOD)
    assert isinstance(backend, GpiodBackend)
    monkeypatch.setattr(backend, "check_line", lambda line: None)
    device.hold(3, "racer")
    with pytest.raises(LineBusyError):
        backend.request_output(OutputConfig(line=3))
    with pytest.raises(LineNotFoundError):
        backend.request_output(OutputConfig(line=99))

    def fail(code: int) -> Callable[..., None]:
        def raise_it(*args: object, **kwargs: object) -> None:
            raise OSError(code, "failed")

        return raise_it

    request = device.requests
    out = backend.request_output(OutputConfig(line=8))
    monkeypatch.setattr(request[-1], "set_value", fail(errno.EACCES))
    with pytest.raises(GpioPermissionError):
        out.set_active(True)
    monkeypatch.setattr(request[-1], "set_value", fail(errno.EIO))
    with pytest.raises(GpioError, match="failed"):
        out.set_active(True)
    assert out.is_active is False
    out.release()  # cannot set inactive: logged, still released
    assert device.lines[8].request is None
    backend.close()


async def test_outputs(fake_gpiod: FakeGpio) -> None:
    """Initial value, drive and active-low reach the request; release sets inactive."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1")
    backend = open_backend(BackendKind.GPIOD)
    out = backend.request_output(
        OutputConfig(
            line=22, active_low=True, initial_active=True, drive=Drive.OPEN_DRAIN
        )
    )
    settings = device.lines[22].settings
    assert settings.direction is Direction.OUTPUT
    assert settings.output_value.name == "ACTIVE"
    assert settings.drive.name == "OPEN_DRAIN"
    assert device.lines[22].high is False  # active-low and active
    out.set_active(False)
    assert device.lines[22].high is True
    assert out.is_active is False
    out.set_active(True)
    request = device.requests[-1]
    out.release()
    assert request.values[22].name == "INACTIVE"  # set inactive before release
    assert request.released
    out.release()  # idempotent
    with pytest.raises(GpioError, match="released"):
        out.set_active(True)
    backend.close()


async def test_release_stops_events_and_close_releases_all(
    fake_gpiod: FakeGpio,
) -> None:
    """A released input gets no events; closing releases lines and the chip."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1")
    backend = open_backend(BackendKind.GPIOD)
    events: list[EdgeEvent] = []
    line = backend.request_input(InputConfig(line=17), events.append)
    backend.request_input(InputConfig(line=18), events.append)
    backend.request_output(OutputConfig(line=19, initial_active=True))
    line.release()
    line.release()
    with pytest.raises(GpioError, match="released"):
        line.read_active()
    assert device.lines[17].request is None
    backend.close()
    backend.close()
    assert all(request.released for request in device.requests)
    assert device.lines[19].high is False
    assert fake_gpiod.opened == 0
    await asyncio.sleep(0)
    assert events == []


async def test_read_failure_stops_watching_and_logs_once(
    fake_gpiod: FakeGpio,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing chip is reported once and no longer spins the event loop."""
    device = fake_gpiod.add_chip(0, "pinctrl-rp1")
    backend = open_backend(BackendKind.GPIOD)
    events: list[EdgeEvent] = []
    line = backend.request_input(InputConfig(line=17), events.append)
    request = device.requests[-1]
    calls: list[int] = []

    def broken(max_events: int | None = None) -> list[object]:
        calls.append(1)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(request, "read_edge_events", broken)
    device.emit(17, True, 1)
    await _until(lambda: bool(calls))
    for _ in range(5):
        await asyncio.sleep(0)
    assert calls == [1]
    assert events == []
    assert line.error == "Input/output error"
    assert caplog.text.count("Stopped watching GPIO line 17") == 1
    monkeypatch.setattr(
        request,
        "get_value",
        lambda offset: (_ for _ in ()).throw(OSError(errno.EIO, "x")),
    )
    with pytest.raises(GpioError):
        line.read_active()
    backend.close()
    assert request.released
