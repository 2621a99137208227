"""Decode the standard-mode status register STGE (Enedis-NOI-CPT_54E §6.2.3.14)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .models import TempoColor


class CutOffState(StrEnum):
    """State of the cut-off device (STGE bits 1-3)."""

    CLOSED = "closed"
    OVERPOWER = "overpower"
    OVERVOLTAGE = "overvoltage"
    LOAD_SHEDDING = "load_shedding"
    ORDER = "order"
    """Opened on a CPL or Euridis order."""
    OVERHEAT_ABOVE_IMAX = "overheat_above_imax"
    OVERHEAT_BELOW_IMAX = "overheat_below_imax"
    UNKNOWN = "unknown"
    """Code 7, not defined."""


class EuridisState(StrEnum):
    """Euridis output state (STGE bits 19-20)."""

    OFF = "off"
    ON = "on"
    """Activated without security."""
    SECURED = "secured"
    """Activated with security."""
    UNKNOWN = "unknown"


class CplState(StrEnum):
    """CPL (power-line carrier) state (STGE bits 21-22)."""

    NEW_UNLOCKED = "new_unlocked"
    NEW_LOCKED = "new_locked"
    REGISTERED = "registered"
    UNKNOWN = "unknown"


_CUT_OFF: Final = tuple(CutOffState)
_TEMPO: Final = (TempoColor.NONE, TempoColor.BLUE, TempoColor.WHITE, TempoColor.RED)
_EURIDIS: Final = (
    EuridisState.OFF,
    EuridisState.ON,
    EuridisState.UNKNOWN,
    EuridisState.SECURED,
)
_CPL: Final = (
    CplState.NEW_UNLOCKED,
    CplState.NEW_LOCKED,
    CplState.REGISTERED,
    CplState.UNKNOWN,
)


@dataclass(frozen=True, slots=True)
class Status:
    """Every field of STGE."""

    raw: int
    dry_contact_open: bool
    """Bit 0: the dry contact is open."""
    cut_off: CutOffState
    """Bits 1-3."""
    cover_open: bool
    """Bit 4: distributor terminal cover open."""
    overvoltage: bool
    """Bit 6: overvoltage on a phase."""
    over_power: bool
    """Bit 7: exceeding the reference power (the standard-mode ADPS)."""
    producer: bool
    """Bit 8: the meter is in producer mode."""
    negative_energy: bool
    """Bit 9: active energy flows back (injection)."""
    supplier_index: int
    """Bits 10-13 plus one: current supplier index (1-16, matches NTARF)."""
    distributor_index: int
    """Bits 14-15 plus one: current distributor index (1-4)."""
    clock_degraded: bool
    """Bit 16."""
    standard_tic: bool
    """Bit 17: the TIC is in standard mode."""
    euridis: EuridisState
    """Bits 19-20."""
    cpl: CplState
    """Bits 21-22."""
    cpl_synchronised: bool
    """Bit 23."""
    tempo_today: TempoColor
    """Bits 24-25."""
    tempo_tomorrow: TempoColor
    """Bits 26-27."""
    mobile_peak_notice: int
    """Bits 28-29: announced mobile peak PM1-3, 0 when none."""
    mobile_peak: int
    """Bits 30-31: mobile peak PM1-3 in progress, 0 when none."""

    @property
    def cut_off_open(self) -> bool:
        """Return whether the cut-off device is open (any reason)."""
        return self.cut_off is not CutOffState.CLOSED


def decode_status(value: str | int) -> Status:
    """Decode STGE (8 hex characters, or an integer); raise ValueError if invalid."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) != 8:
            raise ValueError(f"STGE must be 8 hex characters, got {value!r}")
        raw = int(text, 16)
    else:
        raw = value
    if not 0 <= raw <= 0xFFFFFFFF:
        raise ValueError(f"STGE out of range: {value!r}")

    def bit(number: int) -> bool:
        """Return one bit of the register."""
        return bool(raw >> number & 1)

    def bits(first: int, count: int) -> int:
        """Return a field of the register."""
        return raw >> first & ((1 << count) - 1)

    return Status(
        raw=raw,
        dry_contact_open=bit(0),
        cut_off=_CUT_OFF[bits(1, 3)],
        cover_open=bit(4),
        overvoltage=bit(6),
        over_power=bit(7),
        producer=bit(8),
        negative_energy=bit(9),
        supplier_index=bits(10, 4) + 1,
        distributor_index=bits(14, 2) + 1,
        clock_degraded=bit(16),
        standard_tic=bit(17),
        euridis=_EURIDIS[bits(19, 2)],
        cpl=_CPL[bits(21, 2)],
        cpl_synchronised=bit(23),
        tempo_today=_TEMPO[bits(24, 2)],
        tempo_tomorrow=_TEMPO[bits(26, 2)],
        mobile_peak_notice=bits(28, 2),
        mobile_peak=bits(30, 2),
    )
