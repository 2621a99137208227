"""TIC transport through a real pseudo-terminal and a real TCP socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
import io
import json
from pathlib import Path

import pytest

from custom_components.sunshare.teleinfo.cli import (
    build_parser,
    frame_line,
    summary_line,
)
from custom_components.sunshare.teleinfo.models import Frame, Mode
from custom_components.sunshare.teleinfo.monitor import monitor
from custom_components.sunshare.teleinfo.receiver import TeleinfoReceiver
from custom_components.sunshare.teleinfo.transport import (
    LinkProblem,
    TeleinfoLinkError,
    TeleinfoReader,
    read_first_frame,
)

from .tic_bytes import (
    HISTORIC_ADDRESS,
    STANDARD_ADDRESS,
    historic_frame,
    standard_frame,
)
from .tic_line import Pty, until


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[Pty]:
    """Return a pseudo-terminal behind a symlink in the test's temporary folder."""
    terminal = Pty(tmp_path / "ttyTIC")
    yield terminal
    terminal.close()


class Events:
    """Record the reader's callbacks."""

    def __init__(self) -> None:
        """Start with nothing recorded."""
        self.frames: list[Frame] = []
        self.lost: list[LinkProblem] = []
        self.restored = 0
        self.changed = asyncio.Event()

    def frame(self, frame: Frame) -> None:
        """Record a frame."""
        self.frames.append(frame)
        self.changed.set()

    def link_lost(self, problem: LinkProblem) -> None:
        """Record a loss."""
        self.lost.append(problem)
        self.changed.set()

    def link_restored(self) -> None:
        """Record a restoration."""
        self.restored += 1
        self.changed.set()

    async def wait_for(self, condition: Callable[[], bool], limit: float = 5) -> None:
        """Wait until ``condition`` holds."""
        async with asyncio.timeout(limit):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


def make_reader(
    url: str, mode: Mode | None, events: Events, **kwargs
) -> TeleinfoReader:
    """Return a reader with short delays, recording into ``events``."""
    return TeleinfoReader(
        url,
        mode,
        on_frame=events.frame,
        on_link_lost=events.link_lost,
        on_link_restored=events.link_restored,
        backoff_initial=0.02,
        backoff_max=0.1,
        tick_interval=0.05,
        **kwargs,
    )


@contextlib.asynccontextmanager
async def running(reader: TeleinfoReader) -> AsyncIterator[TeleinfoReader]:
    """Run a reader for the duration of a block."""
    reader.start()
    try:
        yield reader
    finally:
        await reader.stop()
        assert not reader.running


async def keep_sending(
    send: Callable[[], object], condition: Callable[[], bool]
) -> None:
    """Send a frame every 50 ms, as a meter does, until ``condition`` holds."""
    for _ in range(100):
        if condition():
            return
        result = send()
        if asyncio.iscoroutine(result):
            await result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def wait_open(reader: TeleinfoReader, opens: int = 1) -> None:
    """Wait until the reader has opened the line ``opens`` times."""
    await until(lambda: reader.stats.opens >= opens)


async def test_frames_arrive_through_a_pty(pty: Pty) -> None:
    """Frames written on the terminal reach the callback, decoded, in auto mode."""
    events = Events()
    async with running(make_reader(str(pty.link), None, events)) as reader:
        await wait_open(reader)
        pty.write(b"\x00garbage" + historic_frame(papp=180) + historic_frame(papp=190))
        await events.wait_for(lambda: len(events.frames) >= 2)
        assert reader.connected
        assert reader.detected_mode is Mode.HISTORIC
        assert events.restored == 1
        assert events.lost == []
    first, second = events.frames[:2]
    assert first.address == HISTORIC_ADDRESS
    assert first.value("PAPP") == "00180"
    assert second.value("PAPP") == "00190"
    assert not reader.connected


async def test_standard_frames_in_fixed_mode(pty: Pty) -> None:
    """A fixed standard mode decodes standard frames read in small pieces."""
    events = Events()
    async with running(make_reader(str(pty.link), Mode.STANDARD, events)) as reader:
        await wait_open(reader)
        assert reader.receiver.baudrate == 9600
        data = standard_frame()
        for start in range(0, len(data), 100):
            pty.write(data[start : start + 100])
            await asyncio.sleep(0.001)
        await events.wait_for(lambda: len(events.frames) >= 1)
    assert events.frames[0].address == STANDARD_ADDRESS
    assert events.frames[0].groups["SMAXSN"].timestamp is not None


async def test_unplug_and_replug_the_dongle(pty: Pty) -> None:
    """Closing the pty reports the loss once; a new pty brings the link back."""
    events = Events()
    async with running(make_reader(str(pty.link), Mode.HISTORIC, events)) as reader:
        await wait_open(reader)
        pty.write(historic_frame())
        await events.wait_for(lambda: events.restored == 1)

        pty.close()
        await events.wait_for(lambda: len(events.lost) == 1)
        assert events.lost == [LinkProblem.DISCONNECTED]
        assert not reader.connected
        # Several reconnection attempts fail while the dongle is away: no new report.
        await until(lambda: reader.stats.open_failures >= 3)
        assert len(events.lost) == 1

        pty.open()
        await keep_sending(
            lambda: pty.write(historic_frame(papp=500)), lambda: events.restored == 2
        )
        assert reader.connected
        assert events.frames[-1].value("PAPP") == "00500"
        assert len(events.lost) == 1
        assert reader.running


async def test_silent_line_is_declared_lost(pty: Pty) -> None:
    """An open line where frames stop arriving is declared lost once, then restored."""
    events = Events()
    reader = make_reader(str(pty.link), Mode.HISTORIC, events, silence_timeout=0.3)
    async with running(reader):
        await wait_open(reader)
        pty.write(historic_frame())
        await events.wait_for(lambda: events.restored == 1)
        await events.wait_for(lambda: len(events.lost) == 1)
        assert events.lost == [LinkProblem.NO_SIGNAL]
        pty.replug()
        await keep_sending(
            lambda: pty.write(historic_frame()), lambda: events.restored == 2
        )


async def test_callback_errors_never_stop_the_reader(
    pty: Pty, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in the frame callback is logged; the next frames still arrive."""
    seen: list[Frame] = []

    def explode(frame: Frame) -> None:
        """Fail on the first frame."""
        seen.append(frame)
        if len(seen) == 1:
            raise RuntimeError("boom")

    reader = TeleinfoReader(str(pty.link), Mode.HISTORIC, on_frame=explode)
    async with running(reader):
        await wait_open(reader)
        pty.write(historic_frame())
        await until(lambda: bool(seen))
        pty.write(historic_frame(papp=300))
        await until(lambda: len(seen) >= 2)
        assert reader.running
    assert "Error handling a TIC frame" in caplog.text


async def test_baud_rate_switch_reopens_the_line(pty: Pty) -> None:
    """In auto mode, undecodable bytes make the reader reopen at the other speed."""
    events = Events()
    reader = make_reader(
        str(pty.link),
        None,
        events,
        receiver=TeleinfoReceiver(None, detect_window=0.1),
    )
    async with running(reader):
        await wait_open(reader)
        assert reader.receiver.baudrate == 1200
        async with asyncio.timeout(5):
            while reader.receiver.baudrate == 1200:
                pty.write(b"\x7f~~\x02noise\r\n" * 4)
                await asyncio.sleep(0.02)
        pty.replug()
        # The standard stream now decodes at the new speed.
        await keep_sending(
            lambda: pty.write(standard_frame()), lambda: bool(events.frames)
        )
        assert reader.stats.baudrate_switches == 1
        assert reader.detected_mode is Mode.STANDARD


async def test_cannot_open_is_reported_once(tmp_path: Path) -> None:
    """A port that does not exist is reported lost once and retried quietly."""
    events = Events()
    reader = make_reader(str(tmp_path / "missing"), Mode.HISTORIC, events)
    async with running(reader):
        await until(lambda: reader.stats.open_failures >= 3)
        assert events.lost == [LinkProblem.CANNOT_OPEN]
    assert reader.stats.last_error is not None


class TicServer:
    """A ser2net-like TCP server sending TIC bytes to its clients."""

    def __init__(self) -> None:
        """Start with no client."""
        self.clients: list[asyncio.StreamWriter] = []
        self.connected = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on 127.0.0.1 on a free port; return the port."""

        async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
            """Keep the client."""
            self.clients.append(writer)
            self.connected.set()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def send(self, data: bytes) -> None:
        """Send bytes to the latest client."""
        writer = self.clients[-1]
        writer.write(data)
        await writer.drain()

    async def drop_clients(self) -> None:
        """Close every client connection (the remote dongle's link drops)."""
        for writer in self.clients:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self.connected.clear()

    async def close(self) -> None:
        """Stop listening."""
        await self.drop_clients()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def tic_server(real_sockets: None) -> AsyncIterator[TicServer]:
    """Return a running TIC TCP server."""
    server = TicServer()
    yield server
    await server.close()


async def test_frames_over_tcp_and_reconnect(tic_server: TicServer) -> None:
    """socket:// URLs work; a dropped connection is lost once, then reconnected."""
    port = await tic_server.start()
    events = Events()
    reader = make_reader(f"socket://127.0.0.1:{port}", None, events)
    async with running(reader):
        await asyncio.wait_for(tic_server.connected.wait(), 5)
        await tic_server.send(standard_frame(sinsts=1500))
        await events.wait_for(lambda: events.restored == 1)
        assert events.frames[0].value("SINSTS") == "01500"

        await tic_server.drop_clients()
        await events.wait_for(lambda: len(events.lost) == 1)
        assert events.lost == [LinkProblem.DISCONNECTED]

        await asyncio.wait_for(tic_server.connected.wait(), 5)
        await keep_sending(
            lambda: tic_server.send(standard_frame(sinsts=1600)),
            lambda: events.restored == 2,
        )
        assert events.frames[-1].value("SINSTS") == "01600"
        assert len(events.lost) == 1


async def test_read_first_frame_through_a_pty(pty: Pty) -> None:
    """The one-shot read returns the first frame carrying the address."""

    async def feed() -> None:
        """Send a short frame without address, then full frames."""
        await asyncio.sleep(0.05)
        pty.write(b"\x02\nPAPP 00180 *\r\x03")
        for _ in range(20):
            pty.write(historic_frame())
            await asyncio.sleep(0.05)

    task = asyncio.create_task(feed())
    frame = await read_first_frame(
        str(pty.link), None, 5, require=lambda frame: frame.address is not None
    )
    task.cancel()
    assert frame.address == HISTORIC_ADDRESS
    assert frame.mode is Mode.HISTORIC


async def test_read_first_frame_errors(pty: Pty, tmp_path: Path) -> None:
    """Each failure has its own problem: cannot open, no signal, no frame."""
    with pytest.raises(TeleinfoLinkError) as err:
        await read_first_frame(str(tmp_path / "missing"), None, 1)
    assert err.value.problem is LinkProblem.CANNOT_OPEN

    with pytest.raises(TeleinfoLinkError) as err:
        await read_first_frame(str(pty.link), Mode.HISTORIC, 0.3)
    assert err.value.problem is LinkProblem.NO_SIGNAL

    pty.replug()

    async def send_standard() -> None:
        """Send standard frames while historic is forced."""
        while True:
            pty.write(standard_frame())
            await asyncio.sleep(0.05)

    task = asyncio.create_task(send_standard())
    with pytest.raises(TeleinfoLinkError) as err:
        await read_first_frame(str(pty.link), Mode.HISTORIC, 0.3)
    task.cancel()
    assert err.value.problem is LinkProblem.NO_FRAME
    assert "bytes received" in str(err.value)


async def test_read_first_frame_socket_closed(tic_server: TicServer) -> None:
    """A server that closes the connection at once is a disconnection."""
    port = await tic_server.start()

    async def hang_up() -> None:
        """Close the client as soon as it connects."""
        await tic_server.connected.wait()
        await tic_server.drop_clients()

    task = asyncio.create_task(hang_up())
    with pytest.raises(TeleinfoLinkError) as err:
        await read_first_frame(f"socket://127.0.0.1:{port}", None, 5)
    await task
    assert err.value.problem is LinkProblem.DISCONNECTED


async def test_monitor_prints_frames_live(pty: Pty) -> None:
    """``monitor`` prints the same JSON lines as ``decode``, live from a port."""
    lines: list[str] = []
    log = io.StringIO()
    task = asyncio.create_task(
        monitor(
            str(pty.link),
            None,
            lambda frame: lines.append(frame_line(frame)),
            frames=2,
            log=log,
        )
    )
    await keep_sending(lambda: pty.write(historic_frame()), task.done)
    counters = await task
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["mode"] == "historic"
    assert first["groups"]["ADCO"] == {"value": HISTORIC_ADDRESS, "timestamp": None}
    assert counters.frames >= 2
    assert "receiving frames from" in log.getvalue()
    assert json.loads(summary_line(counters))["summary"]["frames"] == counters.frames


def test_monitor_command_line(tmp_path: Path) -> None:
    """The ``monitor`` subcommand exists and reads the line given."""
    args = build_parser().parse_args(["monitor", "--frames", "1", "socket://h:1"])
    assert args.port == "socket://h:1"
    assert args.frames == 1
    assert args.mode == "auto"
