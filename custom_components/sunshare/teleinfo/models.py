"""Data model of the Linky TIC protocol library: modes, groups, frames, counters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

PARIS: Final = ZoneInfo("Europe/Paris")
"""Time zone of every TIC timestamp."""


class Mode(StrEnum):
    """TIC transmission mode."""

    HISTORIC = "historic"
    """1200 Bd, SP separator, checksum "mode 1"."""
    STANDARD = "standard"
    """9600 Bd, HT separator, checksum "mode 2"."""


BAUDRATES: Final[dict[Mode, int]] = {Mode.HISTORIC: 1200, Mode.STANDARD: 9600}
"""Line speed of each mode (7 data bits, even parity, 1 stop bit)."""

MAX_GROUP_BYTES: Final = 128
"""Longest group accepted, LF and CR excluded; longer ones are dropped."""
MAX_FRAME_BYTES: Final = 2048
"""Longest frame accepted, STX to ETX; longer ones are dropped."""


class TempoColor(StrEnum):
    """Tempo day colour (STGE bits 24-27, historic PTEC/DEMAIN)."""

    NONE = "none"
    """No colour announced (yet), or not a Tempo contract."""
    BLUE = "blue"
    WHITE = "white"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Group:
    """One information group whose checksum is valid."""

    label: str
    """Label, e.g. ``PAPP`` or ``EAST``."""
    value: str
    """Data with its pad spaces stripped (``""`` for DATE)."""
    timestamp: datetime | None = None
    """Standard-mode timestamp, aware in Europe/Paris; ``None`` when absent."""
    raw: str = ""
    """Data exactly as received, pad spaces included (they count in the checksum)."""
    raw_timestamp: str | None = None
    """The 13-character ``SAAMMJJhhmmss`` field as received, if any."""
    clock_degraded: bool = False
    """The timestamp's season letter is lowercase: the meter's clock is degraded."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete frame (STX ... ETX) with its valid groups only."""

    mode: Mode
    groups: dict[str, Group]
    """Valid groups by label, in the order received."""
    short: bool = False
    """Historic three-phase short frame (ADIR1-3, ADCO, IINST1-3 only): it carries
    no other value, so labels it lacks must not be considered gone."""
    errors: int = 0
    """Groups of this frame dropped (bad checksum, malformed, oversize, invalid byte)."""

    @property
    def address(self) -> str | None:
        """Return the meter address (ADCO in historic mode, ADSC in standard mode)."""
        group = self.groups.get("ADSC") or self.groups.get("ADCO")
        return group.value if group is not None else None

    def value(self, label: str) -> str | None:
        """Return a group's value, or None when the frame does not carry it."""
        group = self.groups.get(label)
        return group.value if group is not None else None

    def as_json_dict(self) -> dict[str, object]:
        """Return the CLI representation: mode and ``{label: {value, timestamp}}``."""
        return {
            "mode": self.mode.value,
            "groups": {
                label: {
                    "value": group.value,
                    "timestamp": (
                        group.timestamp.isoformat()
                        if group.timestamp is not None
                        else None
                    ),
                }
                for label, group in self.groups.items()
            },
        }


@dataclass(slots=True)
class Counters:
    """Decoding statistics, for diagnostics and link quality (all monotonic)."""

    bytes: int = 0
    """Bytes received."""
    frames: int = 0
    """Complete frames delivered (STX ... ETX with at least one valid group)."""
    groups: int = 0
    """Valid groups in the frames delivered."""
    checksum_errors: int = 0
    """Well-formed groups whose checksum is wrong."""
    malformed_groups: int = 0
    """Groups without the expected separators, or cut by LF, STX or ETX."""
    invalid_bytes: int = 0
    """Groups dropped because they held a non-printable byte."""
    oversize_groups: int = 0
    """Groups dropped because they exceeded 128 bytes."""
    oversize_frames: int = 0
    """Frames dropped because they exceeded 2 KiB without ETX."""
    interrupted: int = 0
    """Frames interrupted by EOT."""
    resyncs: int = 0
    """Frames abandoned because a new STX arrived before their ETX."""
    empty_frames: int = 0
    """Frames that ended without a single valid group."""
    skipped_bytes: int = 0
    """Bytes received outside a frame (before STX), e.g. garbage at start."""
    mode_changes: int = 0
    """Times the receiver detected a mode (first detection included)."""
    redetections: int = 0
    """Times the receiver lost the mode and started detecting again."""

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dictionary."""
        return asdict(self)

    def add(self, other: Counters) -> None:
        """Add another set of counters to this one."""
        for item in fields(self):
            setattr(
                self, item.name, getattr(self, item.name) + getattr(other, item.name)
            )

    def copy(self) -> Counters:
        """Return an independent copy."""
        return Counters(**asdict(self))
