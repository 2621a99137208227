"""Tests of the simulated GPIO backend (the behaviour every backend shares)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from custom_components.sunshare.gpio import (
    BackendKind,
    Bias,
    ChipNotFoundError,
    Edge,
    EdgeEvent,
    GpioPermissionError,
    InputConfig,
    LineBusyError,
    LineNotFoundError,
    OutputConfig,
    SimulatedBackend,
    demo_power_w,
    get_simulated_chip,
    line_key,
    open_backend,
)
from custom_components.sunshare.gpio.simulated import (
    DEMO_SOLAR_CHIP,
    demo_solar_power_w,
)
from custom_components.sunshare.teleinfo.models import PARIS

MS = 1_000_000


async def _settle() -> None:
    """Let the event loop run the queued event deliveries."""
    for _ in range(3):
        await asyncio.sleep(0)


def _open(chip: str = "sim0") -> SimulatedBackend:
    """Open a simulated backend."""
    backend = open_backend(BackendKind.SIMULATED, chip)
    assert isinstance(backend, SimulatedBackend)
    return backend


async def test_pulses_deliver_counted_edge_with_sequence_numbers() -> None:
    """Each injected pulse gives one falling event, delivered on the event loop."""
    backend = _open()
    events: list[EdgeEvent] = []
    backend.request_input(
        InputConfig(line=17, edge=Edge.FALLING, bias=Bias.PULL_UP), events.append
    )
    backend.inject_pulses(17, 3, start_ns=1_000 * MS, period=timedelta(seconds=2))
    assert events == []  # delivered through the loop, not synchronously
    await _settle()
    assert [e.timestamp_ns for e in events] == [1_000 * MS, 3_000 * MS, 5_000 * MS]
    assert [e.line_seqno for e in events] == [1, 2, 3]
    assert all(not e.rising and e.line == 17 for e in events)


async def test_both_edges_and_active_low() -> None:
    """With active_low, a physical falling edge is a logical rising one."""
    backend = _open()
    events: list[EdgeEvent] = []
    line = backend.request_input(
        InputConfig(line=4, edge=Edge.BOTH, bias=Bias.PULL_UP, active_low=True),
        events.append,
    )
    assert line.read_active() is False  # pulled up = inactive when active-low
    backend.inject_edge(4, rising=False, timestamp_ns=10)
    assert line.read_active() is True
    backend.inject_edge(4, rising=True, timestamp_ns=20)
    backend.inject_edge(4, rising=True, timestamp_ns=30)  # no level change: no edge
    await _settle()
    assert [(e.rising, e.timestamp_ns) for e in events] == [(True, 10), (False, 20)]


async def test_debounce_drops_bounces() -> None:
    """Edges closer than the debounce period to the previous one are bounce."""
    backend = _open()
    events: list[EdgeEvent] = []
    backend.request_input(
        InputConfig(
            line=5,
            edge=Edge.FALLING,
            bias=Bias.PULL_UP,
            debounce=timedelta(milliseconds=20),
        ),
        events.append,
    )
    # A pulse with contact bounce: falls, bounces up and down within 2 ms.
    for at, rising in ((0, False), (1, True), (2, False), (40, True)):
        backend.inject_edge(5, rising, at * MS)
    # A glitch of 5 ms, shorter than the debounce period, later on.
    backend.inject_edge(5, False, 1000 * MS)
    backend.inject_edge(5, True, 1005 * MS)
    await _settle()
    assert [e.timestamp_ns for e in events] == [2 * MS]  # settled after the bounce

    # Without debounce, every falling edge counts.
    backend.close()
    undebounced: list[EdgeEvent] = []
    backend = _open()
    backend.request_input(
        InputConfig(line=5, edge=Edge.FALLING, bias=Bias.PULL_UP), undebounced.append
    )
    for at, rising in ((0, False), (1, True), (2, False), (40, True)):
        backend.inject_edge(5, rising, 2000 * MS + at * MS)
    await _settle()
    assert len(undebounced) == 2


async def test_lost_events_leave_sequence_gap() -> None:
    """Events dropped by the (simulated) kernel show up as a sequence number gap."""
    backend = _open()
    events: list[EdgeEvent] = []
    backend.request_input(InputConfig(line=6, edge=Edge.FALLING), events.append)
    backend.inject_pulses(6, 1, start_ns=0)
    get_simulated_chip().lose_events(6, 3)
    backend.inject_pulses(6, 1, start_ns=10 * MS * 100)
    await _settle()
    assert [e.line_seqno for e in events] == [1, 5]


async def test_busy_and_missing_lines() -> None:
    """A line is held by one request at a time; lines beyond the chip do not exist."""
    first, second = _open(), _open()
    first.request_output(OutputConfig(line=22))
    with pytest.raises(LineBusyError):
        second.check_line(22)
    with pytest.raises(LineBusyError):
        second.request_input(InputConfig(line=22), lambda event: None)
    with pytest.raises(LineNotFoundError):
        second.check_line(28)
    get_simulated_chip().claim_external(23, "pigpiod")
    with pytest.raises(LineBusyError, match="pigpiod"):
        first.request_output(OutputConfig(line=23))
    get_simulated_chip().release_external(23)
    second.check_line(23)
    first.close()
    second.check_line(22)  # closing the backend released its line


async def test_chip_errors_on_open() -> None:
    """A missing chip and a denied chip give typed errors, the latter with a hint."""
    chip = get_simulated_chip("sim1")
    chip.permission_denied = True
    with pytest.raises(GpioPermissionError, match="--device /dev/gpiochipN"):
        _open("sim1")
    chip.permission_denied = False
    chip.present = False
    with pytest.raises(ChipNotFoundError):
        _open("sim1")


async def test_outputs_record_history_and_release_inactive() -> None:
    """Output changes are recorded; release leaves the line inactive and free."""
    backend = _open()
    chip = get_simulated_chip()
    out = backend.request_output(
        OutputConfig(line=18, active_low=True, initial_active=True)
    )
    assert out.is_active
    assert chip.level(18) is False  # active-low: active is low
    assert chip.output_active(18) is True
    out.set_active(True)  # no change, not recorded again
    out.set_active(False)
    assert chip.level(18) is True
    out.set_active(True)
    out.release()
    out.release()  # idempotent
    assert [c.active for c in backend.history(18)] == [True, False, True, False]
    assert chip.output_active(18) is None
    assert chip.consumer(18) is None
    times = [c.at for c in backend.history(18)]
    assert times == sorted(times)


async def test_released_input_gets_no_more_events() -> None:
    """Events queued before release are not delivered after it."""
    backend = _open()
    events: list[EdgeEvent] = []
    line = backend.request_input(InputConfig(line=7, edge=Edge.BOTH), events.append)
    backend.inject_edge(7, True, 1)
    line.release()
    await _settle()
    assert events == []
    assert backend.inject_edge(7, False, 2) is False


def test_line_key_identifies_header_lines() -> None:
    """The automatic chip and RPi.GPIO both mean the header; simulated chips differ."""
    assert line_key(BackendKind.GPIOD, "auto", 17) == "gpio:header:17"
    assert line_key(BackendKind.GPIOD, None, 17) == "gpio:header:17"
    assert line_key(BackendKind.RPI_GPIO, None, 17) == "gpio:header:17"
    assert line_key(BackendKind.GPIOD, "/dev/gpiochip4", 3) == "gpio:gpiochip4:3"
    assert line_key(BackendKind.SIMULATED, None, 17) == "gpio:simulated:sim0:17"


async def test_demo_chip_feeds_meter_pulses() -> None:
    """Inputs on the demo chip get the pulses of the demo household until released."""
    chip = get_simulated_chip("demo")
    chip.demo_speedup = 2000.0  # about 2 ms between pulses instead of 4 s
    backend = _open("demo")
    events: list[EdgeEvent] = []
    line = backend.request_input(
        InputConfig(line=17, edge=Edge.FALLING, bias=Bias.PULL_UP), events.append
    )
    for _ in range(500):
        if len(events) >= 3:
            break
        await asyncio.sleep(0.001)
    assert [e.line_seqno for e in events[:3]] == [1, 2, 3]
    line.release()
    count = len(events)
    await asyncio.sleep(0.01)
    assert len(events) == count
    assert 300.0 <= demo_power_w(0) <= 1500.0
    assert demo_power_w(150) == pytest.approx(1500.0)
    backend.close()


@pytest.mark.parametrize(
    ("moment", "pulses"),
    [
        (datetime(2026, 12, 8, 12, 30, tzinfo=PARIS), True),
        (datetime(2026, 12, 8, 19, 0, tzinfo=PARIS), False),
        (datetime(2026, 6, 21, 2, 0, tzinfo=PARIS), False),
    ],
)
async def test_demo_solar_chip_pulses_in_daytime_only(
    moment: datetime, pulses: bool
) -> None:
    """The demo inverter's meter pulses with the sun: nothing at night."""
    chip = get_simulated_chip(DEMO_SOLAR_CHIP)
    chip.now = lambda: moment
    chip.demo_speedup = 2000.0
    backend = _open(DEMO_SOLAR_CHIP)
    events: list[EdgeEvent] = []
    line = backend.request_input(
        InputConfig(line=17, edge=Edge.FALLING, bias=Bias.PULL_UP), events.append
    )
    for _ in range(100):
        if len(events) >= 3:
            break
        await asyncio.sleep(0.001)
    line.release()
    backend.close()
    assert (len(events) >= 3) is pulses
    assert (demo_solar_power_w(moment) > 0) is pulses
