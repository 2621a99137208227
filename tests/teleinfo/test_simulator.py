"""The simulator through a real pseudo-terminal and a real TCP socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import datetime
import os
import signal

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
    solar_production_w,
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


async def until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (set by another task or the pty reader) until it holds."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - several sources, no single event
            await asyncio.sleep(0.01)


def test_solar_production_follows_the_sun_at_nantes() -> None:
    """Panels produce in daytime only: short winter days, long summer ones."""

    def watts(month: int, day: int, hour: int, minute: int = 0) -> float:
        """Return the output at a Paris time of 2026."""
        return solar_production_w(
            datetime(2026, month, day, hour, minute, tzinfo=PARIS)
        )

    # December: sunrise about 08:50, sunset about 17:20 (Paris time).
    assert watts(12, 8, 8, 30) == 0.0
    assert watts(12, 8, 13) > 800
    assert watts(12, 8, 17, 30) == 0.0
    assert watts(12, 8, 19) == 0.0
    # June: from about 06:10 to 22:00, and a higher noon.
    assert watts(6, 21, 7) > 0
    assert watts(6, 21, 21) > 0
    assert watts(6, 21, 23) == 0.0
    assert watts(6, 21, 14) > 2.5 * watts(12, 8, 13)
    assert max(watts(6, 21, h) for h in range(24)) <= 3000.0
    assert all(watts(12, 8, h) == 0.0 for h in (0, 3, 6, 20, 23))


def _producer_frames(start: datetime, count: int) -> list[Frame]:
    """Return ``count`` standard frames of a producer meter from ``start``."""
    simulator = Simulator(Mode.STANDARD, "producer", seed=5, start=start)
    simulator._load = 400.0  # a quiet household: the panels can cover it
    return FrameDecoder(Mode.STANDARD).feed(
        b"".join(simulator.next_frame() for _ in range(count))
    )


def test_producer_injects_in_daytime_not_at_19_in_december() -> None:
    """A December producer injects at noon, and never at 19:00 (night)."""
    noon = _producer_frames(datetime(2026, 12, 8, 12, 30, tzinfo=PARIS), 120)
    assert int(noon[-1].value("EAIT") or 0) > int(noon[0].value("EAIT") or 0)
    assert any(int(f.value("SINSTI") or 0) > 0 for f in noon)
    evening = _producer_frames(datetime(2026, 12, 8, 19, 0, tzinfo=PARIS), 120)
    assert {f.value("EAIT") for f in evening} == {evening[0].value("EAIT")}
    assert {int(f.value("SINSTI") or 0) for f in evening} == {0}
    assert all(int(f.value("SINSTS") or 0) > 0 for f in evening)


def test_prm_can_be_given() -> None:
    """The PRM is random unless given; the random stream stays the same."""
    given = Simulator(Mode.STANDARD, "producer", seed=1, prm="30000000000000")
    drawn = Simulator(Mode.STANDARD, "producer", seed=1)
    assert given.prm == "30000000000000" != drawn.prm
    assert given.address == drawn.address
    frames = FrameDecoder(Mode.STANDARD).feed(given.next_frame())
    assert frames[0].value("PRM") == "30000000000000"


async def test_pause_silences_a_pty_and_resume_brings_frames_back() -> None:
    """A paused line is silent (an unplugged meter); the meter keeps its clock."""
    simulator = Simulator(Mode.STANDARD, "base", seed=12)
    server = PtyServer(simulator, speed=50.0)
    await server.start()
    loop = asyncio.get_running_loop()
    fd = os.open(server.path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    decoder = FrameDecoder(Mode.STANDARD)
    frames: list[Frame] = []
    received = 0

    def readable() -> None:
        """Count the bytes and decode them."""
        nonlocal received
        with contextlib.suppress(BlockingIOError):
            data = os.read(fd, 65536)
            received += len(data)
            frames.extend(decoder.feed(data))

    loop.add_reader(fd, readable)
    try:
        await until(lambda: len(frames) >= 3)
        server.pause()
        assert server.paused
        await asyncio.sleep(0.1)  # the frame being sent arrives
        sent, before, last = server.sent, received, frames[-1]
        await until(lambda: server.silenced_frames >= 10)
        await asyncio.sleep(0.1)
        assert received == before
        assert server.sent == sent
        server.resume()
        await until(lambda: frames[-1] is not last)
    finally:
        loop.remove_reader(fd)
        os.close(fd)
        await server.stop()
    assert decoder.counters.checksum_errors == 0
    # The meter kept measuring while unplugged: its clock jumped the silenced frames.
    resumed, previous = (
        frames[-1].groups["DATE"].timestamp,
        last.groups["DATE"].timestamp,
    )
    assert resumed is not None and previous is not None
    assert (resumed - previous).total_seconds() >= 10 * 0.9


async def test_serve_pauses_on_sigusr1_and_resumes_on_sigusr2() -> None:
    """The command line's signals: SIGUSR1 pauses, SIGUSR2 resumes, both announced."""
    lines: list[str] = []
    simulator = Simulator(Mode.STANDARD, "base", seed=13)
    task = asyncio.create_task(
        serve(simulator, speed=50.0, announce=lines.append, pause_signals=True)
    )

    await until(lambda: bool(lines))
    await until(lambda: simulator.frames_sent >= 2)
    os.kill(os.getpid(), signal.SIGUSR1)
    await until(lambda: lines[-1] == "paused")
    os.kill(os.getpid(), signal.SIGUSR2)
    await until(lambda: lines[-1] == "resumed")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert lines[1:] == ["paused", "resumed"]
    # The handlers are removed with the server: the default action is back.
    assert signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None)
