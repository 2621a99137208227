"""Sans-I/O mode detection and re-detection that TIC transports obey.

A transport opens the line at :attr:`TeleinfoReceiver.baudrate`, passes every chunk it
reads to :meth:`TeleinfoReceiver.feed` and calls :meth:`TeleinfoReceiver.tick` after each
chunk and at least once a second; when ``tick`` returns True it must reopen the line at
the (new) ``baudrate`` (and may then call :meth:`TeleinfoReceiver.line_reopened` so the
partial frame of the old line is not joined to the new one). The receiver never touches
a clock or a port itself.

Detection decides on content only: while the mode is unknown, the bytes go to a historic
and a standard decoder at once, and the mode is the one whose decoder yields a frame of
valid groups (SP separators and checksum "mode 1", or HT separators and "mode 2"). On a
real line a wrong baud rate gives garbage that never validates, so when bytes keep
arriving without decoding, the receiver asks for the other baud rate. Through a
pseudo-terminal, bytes arrive intact whatever the speed, and the content decides.

Once a mode is detected (auto mode), the receiver watches the stream: if bytes keep
arriving but nothing decodes for ``redetect_after`` seconds (Enedis switches meters from
historic to standard without warning), it forgets the mode and detects again. A silent
line (dongle unplugged, no signal) never triggers a baud-rate change: that is the
transport's business.
"""

from __future__ import annotations

from typing import Final

from .decoder import FrameDecoder
from .models import BAUDRATES, Counters, Frame, Mode

DETECT_WINDOW: Final = 6.0
"""Seconds of undecodable bytes at one baud rate before trying the other one."""
REDETECT_AFTER: Final = 15.0
"""Seconds of undecodable bytes after the last good frame before detecting again."""
MIN_VALID_GROUPS: Final = 2
"""Valid groups a frame needs to settle the mode (one could be a fluke of noise)."""


def _other(mode: Mode) -> Mode:
    """Return the other mode."""
    return Mode.STANDARD if mode is Mode.HISTORIC else Mode.HISTORIC


class TeleinfoReceiver:
    """Decode a TIC line and tell its transport which baud rate to use."""

    def __init__(
        self,
        mode: Mode | None,
        *,
        detect_window: float = DETECT_WINDOW,
        redetect_after: float = REDETECT_AFTER,
        first_guess: Mode = Mode.HISTORIC,
    ) -> None:
        """Start a receiver for a fixed mode, or in auto mode when ``mode`` is None.

        In auto mode the first baud rate tried is the one of ``first_guess``
        (historic by default: the factory setting).
        """
        self.configured_mode = mode
        self.detect_window = detect_window
        self.redetect_after = redetect_after
        self._base = Counters()
        self._mode: Mode | None = mode
        self._baud_mode: Mode = mode if mode is not None else first_guess
        self._reopen = False
        self._decoder: FrameDecoder | None = None
        self._probes: dict[Mode, FrameDecoder] = {}
        self._pending: dict[Mode, list[Frame]] = {}
        self._window_start: float | None = None
        self._last_good: float | None = None
        self._bytes_since_good = False
        if mode is None:
            self._start_probes()
        else:
            self._decoder = FrameDecoder(mode)

    @property
    def baudrate(self) -> int:
        """Return the baud rate the transport must use now."""
        return BAUDRATES[self._baud_mode]

    @property
    def detected_mode(self) -> Mode | None:
        """Return the mode of the stream (the configured one in a fixed mode)."""
        return self._mode

    @property
    def auto(self) -> bool:
        """Return whether the receiver detects the mode itself."""
        return self.configured_mode is None

    @property
    def counters(self) -> Counters:
        """Return a snapshot of the decoding counters since the receiver started."""
        total = self._base.copy()
        if self._decoder is not None:
            total.add(self._decoder.counters)
        elif self._probes:
            # While detecting, count the bytes once; group figures are not
            # meaningful until a mode wins (the winner's then count from the
            # start of the current detection window).
            total.bytes += self._probes[Mode.HISTORIC].counters.bytes
        return total

    def feed(self, data: bytes, now: float) -> list[Frame]:
        """Decode a chunk received at monotonic time ``now``; return complete frames."""
        if not data:
            return []
        if self._window_start is None:
            self._window_start = now
        if self._decoder is not None:
            frames = self._decoder.feed(data)
            if any(len(frame.groups) >= MIN_VALID_GROUPS for frame in frames):
                self._last_good = now
                self._bytes_since_good = False
            else:
                self._bytes_since_good = True
            return frames
        for mode, probe in self._probes.items():
            pending = self._pending[mode]
            pending.extend(probe.feed(data))
            if any(len(frame.groups) >= MIN_VALID_GROUPS for frame in pending):
                self._detected(mode, probe, now)
                return pending
        self._bytes_since_good = True
        return []

    def tick(self, now: float) -> bool:
        """Advance time; return True when the transport must reopen at ``baudrate``."""
        if self._reopen:
            self._reopen = False
            return True
        if not self.auto or not self._bytes_since_good:
            return False
        if self._decoder is not None:
            # A mode is known: detect again once it has stopped decoding for a while.
            since = self._last_good if self._last_good is not None else now
            if now - since >= self.redetect_after:
                self._base.add(self._decoder.counters)
                self._base.redetections += 1
                self._decoder = None
                self._mode = None
                self._start_probes()
                return self._switch_baud(now)
            return False
        start = self._window_start if self._window_start is not None else now
        if now - start >= self.detect_window:
            return self._switch_baud(now)
        return False

    def line_reopened(self) -> None:
        """Forget any partial frame: call after reopening the line (optional)."""
        if self._decoder is not None:
            self._decoder.reset()
        for probe in self._probes.values():
            probe.reset()

    def _start_probes(self) -> None:
        """Start decoding with both modes at once (dropping any previous probes)."""
        if self._probes:
            self._base.bytes += self._probes[Mode.HISTORIC].counters.bytes
        self._probes = {mode: FrameDecoder(mode) for mode in Mode}
        self._pending = {mode: [] for mode in Mode}
        self._bytes_since_good = False
        self._window_start = None

    def _switch_baud(self, now: float) -> bool:
        """Try the other baud rate; return True (the transport must reopen)."""
        self._baud_mode = _other(self._baud_mode)
        self._start_probes()
        self._window_start = now
        return True

    def _detected(self, mode: Mode, probe: FrameDecoder, now: float) -> None:
        """Settle on a mode whose decoder produced a good frame."""
        self._mode = mode
        self._decoder = probe
        self._probes = {}
        self._pending = {}
        self._base.mode_changes += 1
        self._last_good = now
        self._bytes_since_good = False
        if self._baud_mode is not mode:
            self._baud_mode = mode
            self._reopen = True
