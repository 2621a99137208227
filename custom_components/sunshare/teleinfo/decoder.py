"""Streaming byte-level decoder of TIC frames, historic and standard mode.

The decoder is fed whatever the line delivers, in chunks of any size (a read timeout is
never a line end), and returns the frames completed by each chunk. It masks every byte to
7 bits, resynchronises on STX, drops a frame interrupted by EOT, splits groups on LF/CR,
rejects groups holding a non-printable byte, and bounds group (128 B) and frame (2 KiB)
sizes so that a wrong baud rate can never grow a buffer. Only groups whose checksum is
valid reach a :class:`Frame`; everything else is counted in :class:`Counters`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import IntEnum
from functools import lru_cache
import re
from typing import Final

from .models import (
    MAX_FRAME_BYTES,
    MAX_GROUP_BYTES,
    PARIS,
    Counters,
    Frame,
    Group,
    Mode,
)

STX: Final = 0x02
ETX: Final = 0x03
EOT: Final = 0x04
LF: Final = 0x0A
CR: Final = 0x0D
SP: Final = 0x20
HT: Final = 0x09

_MASK_7BIT: Final = bytes(i & 0x7F for i in range(256))
_CONTROL: Final = re.compile(rb"[\x02\x03\x04\n\r]")
_NON_PRINTABLE: Final = re.compile(rb"[^\x20-\x7e\t]")
_SHORT_FRAME_LABELS: Final = frozenset(
    {"ADCO", "ADIR1", "ADIR2", "ADIR3", "IINST1", "IINST2", "IINST3"}
)
_SEASON_OFFSETS: Final = {
    "E": timedelta(hours=2),
    "H": timedelta(hours=1),
}


def checksum(data: bytes) -> int:
    """Return the TIC checksum character of a byte zone: (sum & 0x3F) + 0x20."""
    return (sum(data) & 0x3F) + 0x20


@lru_cache(maxsize=128)
def parse_timestamp(field: str) -> tuple[datetime | None, bool]:
    """Parse a ``SAAMMJJhhmmss`` timestamp into (aware datetime, clock degraded).

    ``E``/``H`` give summer/winter time (UTC+2/UTC+1), which also settles the
    ambiguous hour of the autumn change; lowercase means the meter's clock is
    degraded; a space means the season is not applicable and the wall-clock time is
    read in Europe/Paris. Returns ``(None, False)`` when the field is blank or invalid.
    """
    if len(field) != 13 or not field[1:].isdigit():
        return None, False
    season = field[0]
    degraded = season in "eh"
    try:
        local = datetime(
            2000 + int(field[1:3]),
            int(field[3:5]),
            int(field[5:7]),
            int(field[7:9]),
            int(field[9:11]),
            int(field[11:13]),
            tzinfo=PARIS,
        )
    except ValueError:
        return None, False
    offset = _SEASON_OFFSETS.get(season.upper())
    if offset is None:
        if season != " ":
            return None, False
        return local, False
    return local.replace(tzinfo=timezone(offset)).astimezone(PARIS), degraded


class GroupStatus(IntEnum):
    """Outcome of parsing one group."""

    VALID = 0
    MALFORMED = 1
    CHECKSUM = 2


def parse_group(raw: bytes, mode: Mode) -> tuple[GroupStatus, Group | None]:
    """Parse the bytes between LF and CR of one group in the given mode."""
    if len(raw) < 4:
        return GroupStatus.MALFORMED, None
    if mode is Mode.HISTORIC:
        if raw[-2] != SP:
            return GroupStatus.MALFORMED, None
        body = raw[:-2]
        label, sep, data = body.partition(b" ")
        if not sep or not label or HT in body:
            return GroupStatus.MALFORMED, None
        # Mode 1 (final SP excluded) is the rule; like pyteleinfo, also accept the
        # mode 2 sum (final SP included) that a few SP-separated meters send.
        if checksum(body) != raw[-1] and checksum(raw[:-1]) != raw[-1]:
            return GroupStatus.CHECKSUM, None
        text = data.decode("ascii")
        return GroupStatus.VALID, Group(
            label.decode("ascii"), text.strip(" "), raw=text
        )
    if raw[-2] != HT:
        return GroupStatus.MALFORMED, None
    parts = raw[:-2].split(b"\t")
    if len(parts) == 2:
        label, data = parts
        stamp = None
    elif len(parts) == 3:
        label, stamp, data = parts
    else:
        return GroupStatus.MALFORMED, None
    if not label or SP in label:
        return GroupStatus.MALFORMED, None
    if checksum(raw[:-1]) != raw[-1]:
        return GroupStatus.CHECKSUM, None
    text = data.decode("ascii")
    if stamp is None:
        return GroupStatus.VALID, Group(
            label.decode("ascii"), text.strip(" "), raw=text
        )
    stamp_text = stamp.decode("ascii")
    when, degraded = parse_timestamp(stamp_text)
    return GroupStatus.VALID, Group(
        label.decode("ascii"),
        text.strip(" "),
        timestamp=when,
        raw=text,
        raw_timestamp=stamp_text,
        clock_degraded=degraded,
    )


class _State(IntEnum):
    """Where the decoder stands in the byte stream."""

    OUTSIDE = 0
    """Waiting for STX."""
    FRAME = 1
    """Inside a frame, between two groups (waiting for LF)."""
    GROUP = 2
    """Inside a group (waiting for CR)."""


class FrameDecoder:
    """Turn a raw TIC byte stream of one mode into frames of valid groups."""

    def __init__(self, mode: Mode, counters: Counters | None = None) -> None:
        """Start a decoder for one mode, outside any frame (waiting for STX)."""
        self.mode = mode
        self.counters = counters if counters is not None else Counters()
        self._state = _State.OUTSIDE
        self._frame_bytes = 0
        self._groups: dict[str, Group] = {}
        self._errors = 0
        self._valid = 0
        self._group = bytearray()
        self._group_bad = False
        self._stray = False

    def reset(self) -> None:
        """Forget any partial frame and wait for the next STX (counters are kept)."""
        self._state = _State.OUTSIDE
        self._group.clear()
        self._groups = {}

    def feed(self, data: bytes) -> list[Frame]:
        """Decode a chunk of bytes and return the frames it completes."""
        if not data:
            return []
        counters = self.counters
        counters.bytes += len(data)
        data = data.translate(_MASK_7BIT)
        frames: list[Frame] = []
        pos = 0
        for match in _CONTROL.finditer(data):
            start = match.start()
            if start > pos:
                self._text(data, pos, start)
            self._control(data[start], frames)
            pos = start + 1
        if pos < len(data):
            self._text(data, pos, len(data))
        return frames

    def _text(self, data: bytes, start: int, end: int) -> None:
        """Consume the non-control bytes ``data[start:end]``."""
        state = self._state
        size = end - start
        if state is _State.OUTSIDE:
            self.counters.skipped_bytes += size
            return
        self._frame_bytes += size
        if self._frame_bytes > MAX_FRAME_BYTES:
            self._drop_oversize_frame()
            return
        if state is _State.FRAME:
            self._stray = True
            return
        if self._group_bad:
            return
        if len(self._group) + size > MAX_GROUP_BYTES:
            self.counters.oversize_groups += 1
            self._bad_group()
            return
        chunk = data[start:end]
        if _NON_PRINTABLE.search(chunk) is not None:
            self.counters.invalid_bytes += 1
            self._bad_group()
            return
        self._group += chunk

    def _bad_group(self) -> None:
        """Mark the current group as dropped (already counted by the caller)."""
        self._group_bad = True
        self._errors += 1
        self._group.clear()

    def _drop_oversize_frame(self) -> None:
        """Drop a frame that grew past 2 KiB and wait for the next STX."""
        self.counters.oversize_frames += 1
        self.reset()

    def _control(self, byte: int, frames: list[Frame]) -> None:
        """Handle one control byte (STX, ETX, EOT, LF or CR)."""
        state = self._state
        counters = self.counters
        if byte == STX:
            if state is not _State.OUTSIDE:
                counters.resyncs += 1
            self._state = _State.FRAME
            self._frame_bytes = 1
            self._groups = {}
            self._errors = 0
            self._valid = 0
            self._stray = False
            return
        if state is _State.OUTSIDE:
            counters.skipped_bytes += 1
            return
        self._frame_bytes += 1
        if self._frame_bytes > MAX_FRAME_BYTES:
            self._drop_oversize_frame()
            return
        if byte == LF:
            self._cut_group()
            self._state = _State.GROUP
            self._group.clear()
            self._group_bad = False
            self._stray = False
        elif byte == CR:
            if state is _State.GROUP:
                if not self._group_bad:
                    self._finish_group()
            elif self._stray:
                counters.malformed_groups += 1
                self._errors += 1
            self._stray = False
            self._state = _State.FRAME
        elif byte == ETX:
            self._cut_group()
            self._finish_frame(frames)
        else:  # EOT
            counters.interrupted += 1
            self.reset()

    def _cut_group(self) -> None:
        """Count a group left open by LF or ETX (its CR was lost)."""
        open_group = (
            self._state is _State.GROUP and not self._group_bad and bool(self._group)
        )
        if open_group or self._stray:
            self.counters.malformed_groups += 1
            self._errors += 1

    def _finish_group(self) -> None:
        """Parse the group just closed by CR and keep it if valid."""
        status, group = parse_group(bytes(self._group), self.mode)
        if group is not None:
            self._valid += 1
            self._groups[group.label] = group
        else:
            self._errors += 1
            if status is GroupStatus.CHECKSUM:
                self.counters.checksum_errors += 1
            else:
                self.counters.malformed_groups += 1

    def _finish_frame(self, frames: list[Frame]) -> None:
        """Close the frame at ETX and deliver it if it holds a valid group."""
        groups = self._groups
        self._state = _State.OUTSIDE
        self._groups = {}
        if not groups:
            self.counters.empty_frames += 1
            return
        short = (
            self.mode is Mode.HISTORIC
            and any(label.startswith("ADIR") for label in groups)
            and groups.keys() <= _SHORT_FRAME_LABELS
        )
        self.counters.frames += 1
        self.counters.groups += self._valid
        frames.append(Frame(self.mode, groups, short=short, errors=self._errors))


def encode_group(
    label: str, value: str, mode: Mode, timestamp: str | None = None
) -> bytes:
    """Return one group, LF to CR, with its checksum (for simulators and tests)."""
    if mode is Mode.HISTORIC:
        body = f"{label} {value}".encode("ascii")
        return b"\n" + body + b" " + bytes([checksum(body)]) + b"\r"
    stamp = f"{timestamp}\t" if timestamp is not None else ""
    covered = f"{label}\t{stamp}{value}\t".encode("ascii")
    return b"\n" + covered + bytes([checksum(covered)]) + b"\r"
