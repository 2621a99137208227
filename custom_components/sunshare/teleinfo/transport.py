"""Asynchronous TIC reader over a serial port, ``socket://`` or ``rfc2217://`` (serialx).

The reader opens the line in 7E1 at the baud rate the :class:`TeleinfoReceiver` asks for,
feeds it every byte received, hands complete frames to a callback and reopens the line at
the other baud rate when the receiver re-detects the mode. When the dongle is unplugged,
the socket drops or the meter stops sending, the link is declared lost (one log line, one
callback), and the reader retries with exponential backoff until frames decode again (one
log line, one callback). Nothing raises out of the reader's task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from enum import StrEnum
import logging
import time
from typing import Any, Final
from urllib.parse import unquote_plus

import serialx

from .models import Frame, Mode
from .receiver import TeleinfoReceiver

_LOGGER = logging.getLogger(__name__)

READ_SIZE = 4096
"""Largest chunk read at once (a standard frame is under 1 KiB)."""
TICK_INTERVAL = 0.5
"""Seconds between two calls of the receiver's ``tick`` when no byte arrives."""
SILENCE_TIMEOUT = 30.0
"""Seconds without a decoded frame after which an open line is declared lost."""
BACKOFF_INITIAL = 1.0
"""First delay before reopening a line that failed."""
BACKOFF_MAX = 60.0
"""Longest delay between two attempts to reopen a line."""

type Clock = Callable[[], float]
type LineWriter = serialx.SerialStreamWriter[serialx.BaseSerialTransport]


class LinkProblem(StrEnum):
    """Why the link to the meter is down (also the config flow's error keys)."""

    CANNOT_OPEN = "cannot_open"
    """The port or socket could not be opened."""
    DISCONNECTED = "disconnected"
    """The port or socket closed or failed while reading."""
    NO_SIGNAL = "no_signal"
    """The line is open but nothing arrives."""
    NO_FRAME = "no_frame"
    """Bytes arrive but no frame decodes (wrong mode or baud rate, wrong port, noise)."""


class TeleinfoLinkError(Exception):
    """The TIC line could not deliver a frame (see ``problem``)."""

    def __init__(self, problem: LinkProblem, detail: str = "") -> None:
        """Store why the line failed and a human-readable detail."""
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


def serial_settings(baudrate: int) -> dict[str, Any]:
    """Return the serialx settings of a TIC line: 7 data bits, even parity, 1 stop bit."""
    return {
        "baudrate": baudrate,
        "byte_size": 7,
        "parity": serialx.Parity.EVEN,
        "stopbits": serialx.StopBits.ONE,
    }


async def open_line(url: str, baudrate: int) -> tuple[asyncio.StreamReader, LineWriter]:
    """Open a TIC line (device path or URL) at a baud rate, raising TeleinfoLinkError."""
    try:
        reader, writer = await serialx.open_serial_connection(
            url=url, **serial_settings(baudrate)
        )
    except (serialx.SerialException, OSError, ValueError, TimeoutError) as err:
        raise TeleinfoLinkError(LinkProblem.CANNOT_OPEN, str(err) or repr(err)) from err
    return reader, writer


async def close_line(writer: LineWriter | None) -> None:
    """Close a line, ignoring the errors of a port that is already gone."""
    if writer is None:
        return
    with contextlib.suppress(Exception):
        writer.close()
        # Shielded: a cancelled caller must not cancel the transport's close future.
        await asyncio.wait_for(asyncio.shield(writer.wait_closed()), 2)


@dataclass(slots=True)
class LinkStats:
    """What happened on the line since the reader started (for diagnostics)."""

    bytes_received: int = 0
    frames: int = 0
    opens: int = 0
    open_failures: int = 0
    disconnections: int = 0
    baudrate_switches: int = 0
    last_error: str | None = None


class TeleinfoReader:
    """Read a TIC line forever: decode frames, re-detect the mode, reconnect."""

    def __init__(
        self,
        url: str,
        mode: Mode | None,
        *,
        on_frame: Callable[[Frame], None],
        on_link_lost: Callable[[LinkProblem], None] | None = None,
        on_link_restored: Callable[[], None] | None = None,
        clock: Clock = time.monotonic,
        silence_timeout: float = SILENCE_TIMEOUT,
        backoff_initial: float = BACKOFF_INITIAL,
        backoff_max: float = BACKOFF_MAX,
        tick_interval: float = TICK_INTERVAL,
        receiver: TeleinfoReceiver | None = None,
    ) -> None:
        """Prepare a reader of ``url`` in a fixed mode, or detecting it when None."""
        self.url = url
        self.mode = mode
        self.receiver = receiver if receiver is not None else TeleinfoReceiver(mode)
        self.stats = LinkStats()
        self._on_frame = on_frame
        self._on_link_lost = on_link_lost
        self._on_link_restored = on_link_restored
        self._clock = clock
        self._silence_timeout = silence_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._tick_interval = tick_interval
        self._task: asyncio.Task[None] | None = None
        self._writer: LineWriter | None = None
        self._connected = False
        """Whether the link is up (a frame decoded since the last loss)."""
        self._lost_reported = False
        """Whether the current loss has been logged and reported."""
        self._last_frame_at: float | None = None
        self._bytes_since_frame = 0

    @property
    def connected(self) -> bool:
        """Return whether frames are currently decoded from the line."""
        return self._connected

    @property
    def detected_mode(self) -> Mode | None:
        """Return the TIC mode of the frames received (None before the first frame)."""
        return self.receiver.detected_mode

    @property
    def running(self) -> bool:
        """Return whether the reader's task is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start reading in a background task (call from the event loop)."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"teleinfo reader {redact(self.url)}"
        )

    async def stop(self) -> None:
        """Stop reading and close the line."""
        if self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        writer, self._writer = self._writer, None
        await close_line(writer)
        self._connected = False

    async def _run(self) -> None:
        """Open, read and reopen the line until cancelled."""
        delay = self._backoff_initial
        while True:
            frames_before = self.stats.frames
            try:
                await self._session()
            except TeleinfoLinkError as err:
                self.stats.last_error = str(err)
                self._link_lost(err.problem, err.detail)
            except Exception as err:  # the task must never die
                self.stats.last_error = repr(err)
                _LOGGER.debug("Unexpected error reading %s", self.url, exc_info=True)
                self._link_lost(LinkProblem.DISCONNECTED, repr(err))
            finally:
                writer, self._writer = self._writer, None
                await close_line(writer)
            if self.stats.frames > frames_before:
                delay = self._backoff_initial
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_max)

    async def _session(self) -> None:
        """Read the line until it fails (baud rate changes reopen it in place)."""
        reader, self._writer = await self._open()
        while True:
            try:
                async with asyncio.timeout(self._tick_interval):
                    data = await reader.read(READ_SIZE)
            except TimeoutError:
                data = None
            except (serialx.SerialException, OSError) as err:
                self.stats.disconnections += 1
                raise TeleinfoLinkError(LinkProblem.DISCONNECTED, str(err)) from err
            if data == b"":
                self.stats.disconnections += 1
                raise TeleinfoLinkError(LinkProblem.DISCONNECTED, "end of stream")
            now = self._clock()
            if data:
                self.stats.bytes_received += len(data)
                self._bytes_since_frame += len(data)
                for frame in self.receiver.feed(data, now):
                    self._frame(frame, now)
            if self.receiver.tick(now):
                self.stats.baudrate_switches += 1
                reader, self._writer = await switch_baudrate(
                    self.url, reader, self._writer, self.receiver.baudrate
                )
                continue
            if self._silent(now):
                raise TeleinfoLinkError(
                    LinkProblem.NO_FRAME
                    if self._bytes_since_frame
                    else LinkProblem.NO_SIGNAL,
                    f"no frame for {self._silence_timeout:g} s",
                )

    async def _open(self) -> tuple[asyncio.StreamReader, LineWriter]:
        """Open the line at the receiver's baud rate and count the attempt."""
        try:
            opened = await open_line(self.url, self.receiver.baudrate)
        except TeleinfoLinkError:
            self.stats.open_failures += 1
            raise
        self.stats.opens += 1
        if not self._connected:
            # Silence is measured from the opening while no frame has decoded.
            self._last_frame_at = self._clock()
            self._bytes_since_frame = 0
        return opened

    def _silent(self, now: float) -> bool:
        """Return whether no frame decoded for longer than the silence timeout."""
        return (
            self._last_frame_at is not None
            and now - self._last_frame_at > self._silence_timeout
        )

    def _frame(self, frame: Frame, now: float) -> None:
        """Hand a decoded frame on and restore the link if it was lost."""
        self.stats.frames += 1
        self._last_frame_at = now
        self._bytes_since_frame = 0
        if not self._connected:
            self._connected = True
            if self._lost_reported:
                self._lost_reported = False
                _LOGGER.info("TIC link %s is back", redact(self.url))
            self._call(self._on_link_restored)
        try:
            self._on_frame(frame)
        except Exception:
            _LOGGER.exception("Error handling a TIC frame")

    def _link_lost(self, problem: LinkProblem, detail: str) -> None:
        """Declare the link lost once (one log line, one callback) until it is back."""
        self._connected = False
        if self._lost_reported:
            _LOGGER.debug("TIC link %s still down: %s", self.url, detail)
            return
        self._lost_reported = True
        _LOGGER.warning(
            "TIC link %s lost (%s: %s); retrying in the background",
            redact(self.url),
            problem.value,
            detail,
        )
        self._call(self._on_link_lost, problem)

    def _call(self, callback: Callable[..., None] | None, *args: Any) -> None:
        """Call a user callback, logging (not raising) what it raises."""
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception("Error in a TIC link callback")


async def switch_baudrate(
    url: str,
    reader: asyncio.StreamReader,
    writer: LineWriter | None,
    baudrate: int,
) -> tuple[asyncio.StreamReader, LineWriter]:
    """Change an open line's speed, or reopen it if the port cannot change in place."""
    if writer is not None:
        try:
            await writer.transport.reconfigure_port(baudrate=baudrate)
        except Exception:  # any backend failure means reopen
            _LOGGER.debug("Reopening %s to change speed", redact(url), exc_info=True)
        else:
            return reader, writer
    await close_line(writer)
    return await open_line(url, baudrate)


SECRET_URL_PARAMETERS: Final = frozenset({"key", "password", "noise_psk"})
"""Query parameters of serial URLs that carry secrets (serialx's network backends)."""
_URL_IGNORED: Final = str.maketrans("", "", "\t\r\n")
"""Characters ``urlsplit`` deletes before parsing a URL."""


def redact(url: str) -> str:
    """Return a serial URL with its password and secret parameters hidden, for logs.

    Device paths come back unchanged; in ``socket://user:secret@host:port?key=…`` the
    password and each secret parameter become ``REDACTED``, the rest stays as typed.
    """
    rest, hash_sign, fragment = url.partition("#")
    base, question, query = rest.partition("?")
    scheme, sep, location = base.partition("://")
    if sep and "@" in location.split("/", 1)[0]:
        userinfo, _, host = location.partition("@")
        user, colon, _password = userinfo.partition(":")
        base = f"{scheme}://{user}{colon and ':REDACTED'}@{host}"
    if query:
        pairs = []
        for pair in query.split("&"):
            name = unquote_plus(pair.partition("=")[0].translate(_URL_IGNORED))
            pairs.append(
                f"{pair.partition('=')[0]}=REDACTED"
                if name in SECRET_URL_PARAMETERS
                else pair
            )
        query = "&".join(pairs)
    return f"{base}{question}{query}{hash_sign}{fragment}"


async def read_first_frame(
    url: str,
    mode: Mode | None,
    timeout: float,  # noqa: ASYNC109  # the config flow's wait, part of the API
    *,
    require: Callable[[Frame], bool] | None = None,
) -> Frame:
    """Open a line, return its first complete frame, or raise TeleinfoLinkError."""
    receiver = TeleinfoReceiver(mode)
    reader, writer = await open_line(url, receiver.baudrate)
    received = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    async with asyncio.timeout(TICK_INTERVAL):
                        data = await reader.read(READ_SIZE)
                except TimeoutError:
                    data = None
                except (serialx.SerialException, OSError) as err:
                    raise TeleinfoLinkError(LinkProblem.DISCONNECTED, str(err)) from err
                if data == b"":
                    raise TeleinfoLinkError(LinkProblem.DISCONNECTED, "end of stream")
                now = time.monotonic()
                if data:
                    received += len(data)
                    for frame in receiver.feed(data, now):
                        if require is None or require(frame):
                            return frame
                if receiver.tick(now):
                    reader, writer = await switch_baudrate(
                        url, reader, writer, receiver.baudrate
                    )
    except TimeoutError as err:
        problem = LinkProblem.NO_FRAME if received else LinkProblem.NO_SIGNAL
        raise TeleinfoLinkError(
            problem, f"{received} bytes received in {timeout:.0f} s"
        ) from err
    finally:
        await close_line(writer)
