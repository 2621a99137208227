"""The simulator through a real pseudo-terminal and a real TCP socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import os

import pytest

from custom_components.sunshare.teleinfo import (
    BAUDRATES,
    PARIS,
    Frame,
    FrameDecoder,
    Mode,
    TeleinfoReceiver,
    decode_status,
)
from custom_components.sunshare.teleinfo.simulator import (
    PROFILE_NAMES,
    Faults,
    Profile,
    PtyServer,
    Simulator,
    TcpServer,
    serve,
)

from .helpers import chk


async def read_pty(server: PtyServer, feed: Callable[[bytes], None]) -> None:
    """Read the pty slave with the event loop's selector until the server is done."""
    loop = asyncio.get_running_loop()
    fd = os.open(server.path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)

    def readable() -> None:
        """Hand what arrived to the decoder."""
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        feed(data)

    loop.add_reader(fd, readable)
    try:
        async with asyncio.timeout(10):
            await server.done.wait()
            await asyncio.sleep(0.05)  # let the last bytes through
    finally:
        loop.remove_reader(fd)
        os.close(fd)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("profile", list(Profile))
def test_every_profile_has_valid_checksums(mode: Mode, profile: Profile) -> None:
    simulator = Simulator(mode, profile, seed=2)
    for _ in range(5):
        data = simulator.next_frame()
        assert data[0] == 0x02 and data[-1] == 0x03
        for line in data[1:-1].split(b"\r")[:-1]:
            group = line.lstrip(b"\n")
            zone = group[:-2] if mode is Mode.HISTORIC else group[:-1]
            assert chk(zone) == group[-1:], group
    # The real cadence: the frame's bytes on the line plus the silence.
    assert simulator.interval == pytest.approx(len(data) * 10 / BAUDRATES[mode] + 0.025)


def test_unknown_profile_or_mode_names_the_valid_ones() -> None:
    """A misspelt profile or mode fails at once, listing what is accepted."""
    with pytest.raises(ValueError, match="unknown profile 'tempo-bleu'") as err:
        Simulator(Mode.STANDARD, "tempo-bleu")
    assert all(name in str(err.value) for name in PROFILE_NAMES)
    with pytest.raises(ValueError, match="unknown mode 'legacy'") as err:
        Simulator("legacy", Profile.BASE)
    assert "historic, standard" in str(err.value)
    assert Simulator("historic", "three-phase").mode is Mode.HISTORIC


def test_indexes_and_power_evolve() -> None:
    simulator = Simulator(
        Mode.STANDARD,
        "producer",
        seed=3,
        start=datetime(2026, 6, 21, 13, 0, tzinfo=PARIS),
    )
    decoder = FrameDecoder(Mode.STANDARD)
    frames = decoder.feed(b"".join(simulator.next_frame() for _ in range(300)))
    first, last = frames[0], frames[-1]
    assert int(last.value("EAST") or 0) >= int(first.value("EAST") or 0)
    assert int(last.value("EAIT") or 0) > int(first.value("EAIT") or 0)
    assert len({f.value("SINSTI") for f in frames}) > 10
    status = decode_status(last.value("STGE") or "")
    assert status.producer and status.standard_tic
    last_date = last.groups["DATE"].timestamp
    first_date = first.groups["DATE"].timestamp
    assert last_date is not None and first_date is not None
    assert last_date > first_date


def test_three_phase_overload_short_frames() -> None:
    simulator = Simulator(
        Mode.HISTORIC, "three-phase", seed=1, faults=Faults(overload=True)
    )
    frames = FrameDecoder(Mode.HISTORIC).feed(
        b"".join(simulator.next_frame() for _ in range(42))
    )
    assert [f.short for f in frames] == ([False] + [True] * 20) * 2
    assert simulator.injected.short_frames == 40
    assert "ADIR1" in frames[1].groups


async def test_fault_injection_through_a_pty() -> None:
    simulator = Simulator(
        Mode.STANDARD,
        "tempo",
        seed=11,
        faults=Faults(bad_checksum=0.01, truncated=0.1, interrupted=0.1, garbage=0.2),
    )
    server = PtyServer(simulator, speed=100.0, frames=60)
    await server.start()
    decoder = FrameDecoder(Mode.STANDARD)
    frames: list[Frame] = []
    await read_pty(server, lambda data: frames.extend(decoder.feed(data)))
    await server.stop()
    injected = simulator.injected
    counters = decoder.counters
    assert server.dropped_bytes == 0
    assert injected.truncated and injected.interrupted and injected.bad_checksums
    assert injected.garbage_frames
    assert counters.checksum_errors == injected.bad_checksums
    assert counters.interrupted == injected.interrupted
    # A truncated frame is abandoned at the next STX; the last one may end the run.
    assert counters.resyncs == injected.truncated
    assert counters.frames == 60 - injected.truncated - injected.interrupted
    assert len(frames) == counters.frames
    assert counters.oversize_frames == 0


async def test_mode_switch_through_a_pty_is_redetected() -> None:
    simulator = Simulator(Mode.HISTORIC, "base", seed=4, faults=Faults(switch_after=15))
    server = PtyServer(simulator, speed=200.0, frames=45)
    await server.start()
    receiver = TeleinfoReceiver(None)
    frames: list[Frame] = []
    line_time = 0.0

    def feed(data: bytes) -> None:
        """Advance the line clock by the bytes' duration and feed the receiver."""
        nonlocal line_time
        line_time += len(data) * 10 / receiver.baudrate
        frames.extend(receiver.feed(data, line_time))
        receiver.tick(line_time)

    await read_pty(server, feed)
    await server.stop()
    modes = [f.mode for f in frames]
    assert modes[0] is Mode.HISTORIC
    assert modes[-1] is Mode.STANDARD
    assert receiver.detected_mode is Mode.STANDARD
    assert receiver.baudrate == 9600
    assert receiver.counters.redetections == 1
    assert modes.count(Mode.HISTORIC) == 15


async def test_tcp_server(real_sockets: None) -> None:
    simulator = Simulator(Mode.STANDARD, "hchp", seed=6)
    server = TcpServer(simulator, speed=100.0)
    port = await server.start(0)
    assert server.url == f"socket://127.0.0.1:{port}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    decoder = FrameDecoder(Mode.STANDARD)
    frames: list[Frame] = []
    async with asyncio.timeout(10):
        while len(frames) < 3:
            frames += decoder.feed(await reader.read(4096))
    assert server.clients == 1
    assert frames[-1].value("NGTF") == "H PLEINE/CREUSE"
    await server.disconnect_clients()
    async with asyncio.timeout(10):
        while await reader.read(4096):
            pass
    writer.close()
    await server.stop()
    assert server.clients == 0


async def test_serve_on_tcp_announces_and_stops(real_sockets: None) -> None:
    lines: list[str] = []
    announced = asyncio.Event()

    def announce(line: str) -> None:
        """Keep the announced line."""
        lines.append(line)
        announced.set()

    simulator = Simulator(Mode.HISTORIC, "tempo", seed=8)
    task = asyncio.create_task(
        serve(simulator, tcp_port=0, speed=50.0, frames=10_000, announce=announce)
    )
    async with asyncio.timeout(10):
        await announced.wait()
    kind, port, url = lines[0].split()
    assert kind == "tcp" and url == f"socket://127.0.0.1:{port}"
    reader, writer = await asyncio.open_connection("127.0.0.1", int(port))
    decoder = FrameDecoder(Mode.HISTORIC)
    frames: list[Frame] = []
    async with asyncio.timeout(10):
        while len(frames) < 2:
            frames += decoder.feed(await reader.read(4096))
    assert frames[-1].value("OPTARIF") == "BBR("
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    writer.close()


async def test_serve_on_a_pty_until_done() -> None:
    lines: list[str] = []
    simulator = Simulator(Mode.STANDARD, "base", seed=9)
    async with asyncio.timeout(10):
        await serve(simulator, speed=1000.0, frames=5, announce=lines.append)
    assert lines[0].startswith("pty /dev/")
    assert simulator.frames_sent == 5
