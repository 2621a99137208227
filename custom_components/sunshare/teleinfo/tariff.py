"""Tariff helpers: current period (PTEC, LTARF, NTARF), RELAIS, PJOURF+1/PPOINTE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Final

from .models import Frame, Mode, TempoColor
from .stge import decode_status


class Period(StrEnum):
    """Normalised tariff period (the enum sensor's options)."""

    BASE = "base"
    """All hours (single rate, or any contract seen through historic ``TH..``)."""
    OFF_PEAK = "off_peak"
    PEAK = "peak"
    NORMAL = "normal"
    """EJP normal hours."""
    MOBILE_PEAK = "mobile_peak"
    """EJP mobile peak hours."""
    OFF_PEAK_BLUE = "off_peak_blue"
    PEAK_BLUE = "peak_blue"
    OFF_PEAK_WHITE = "off_peak_white"
    PEAK_WHITE = "peak_white"
    OFF_PEAK_RED = "off_peak_red"
    PEAK_RED = "peak_red"
    OTHER = "other"
    """A supplier label this library does not know (see the raw text)."""


PTEC_PERIODS: Final[dict[str, Period]] = {
    "TH..": Period.BASE,
    "HC..": Period.OFF_PEAK,
    "HP..": Period.PEAK,
    "HN..": Period.NORMAL,
    "PM..": Period.MOBILE_PEAK,
    "HCJB": Period.OFF_PEAK_BLUE,
    "HPJB": Period.PEAK_BLUE,
    "HCJW": Period.OFF_PEAK_WHITE,
    "HPJW": Period.PEAK_WHITE,
    "HCJR": Period.OFF_PEAK_RED,
    "HPJR": Period.PEAK_RED,
}
"""Historic PTEC values."""

_COLOR_OF: Final[dict[Period, TempoColor]] = {
    Period.OFF_PEAK_BLUE: TempoColor.BLUE,
    Period.PEAK_BLUE: TempoColor.BLUE,
    Period.OFF_PEAK_WHITE: TempoColor.WHITE,
    Period.PEAK_WHITE: TempoColor.WHITE,
    Period.OFF_PEAK_RED: TempoColor.RED,
    Period.PEAK_RED: TempoColor.RED,
}
_DEMAIN: Final[dict[str, TempoColor]] = {
    "----": TempoColor.NONE,
    "BLEU": TempoColor.BLUE,
    "BLAN": TempoColor.WHITE,
    "ROUG": TempoColor.RED,
}
_COLOR_WORDS: Final[dict[str, TempoColor]] = {
    "BLEU": TempoColor.BLUE,
    "BLUE": TempoColor.BLUE,
    "JB": TempoColor.BLUE,
    "BLANC": TempoColor.WHITE,
    "BLAN": TempoColor.WHITE,
    "WHITE": TempoColor.WHITE,
    "JW": TempoColor.WHITE,
    "ROUGE": TempoColor.RED,
    "ROUG": TempoColor.RED,
    "RED": TempoColor.RED,
    "JR": TempoColor.RED,
}
_BY_COLOR: Final[dict[tuple[bool, TempoColor], Period]] = {
    (False, TempoColor.BLUE): Period.OFF_PEAK_BLUE,
    (True, TempoColor.BLUE): Period.PEAK_BLUE,
    (False, TempoColor.WHITE): Period.OFF_PEAK_WHITE,
    (True, TempoColor.WHITE): Period.PEAK_WHITE,
    (False, TempoColor.RED): Period.OFF_PEAK_RED,
    (True, TempoColor.RED): Period.PEAK_RED,
}


def period_from_ptec(value: str) -> Period | None:
    """Return the period of a historic PTEC value (None when unknown)."""
    return PTEC_PERIODS.get(value.strip())


def period_from_ltarf(value: str) -> Period:
    """Return the period of a standard-mode LTARF label (supplier free text)."""
    words = value.upper().replace("_", " ").replace(".", " ").split()
    if not words:
        return Period.OTHER
    text = " ".join(words)
    color = next((_COLOR_WORDS[w] for w in words if w in _COLOR_WORDS), None)
    off_peak = (
        words[0] in {"HC", "HCH", "CREUSE", "CREUSES"}
        or "CREUSE" in text
        or text.startswith("HEURE CREUSE")
    )
    peak = (
        words[0] in {"HP", "HPH", "PLEINE", "PLEINES"}
        or "PLEINE" in text
        or text.startswith("HEURE PLEINE")
    )
    if color is not None and (off_peak or peak):
        return _BY_COLOR[(peak, color)]
    if off_peak:
        return Period.OFF_PEAK
    if peak:
        return Period.PEAK
    if "POINTE" in text or words[0] == "PM":
        return Period.MOBILE_PEAK
    if "NORMAL" in text or words[0] == "HN":
        return Period.NORMAL
    if words[0] in {"BASE", "TH", "TOUTES"}:
        return Period.BASE
    return Period.OTHER


def current_period(frame: Frame) -> Period | None:
    """Return the current tariff period of a frame (PTEC, or LTARF), None if absent."""
    if frame.mode is Mode.HISTORIC:
        ptec = frame.value("PTEC")
        return period_from_ptec(ptec) if ptec is not None else None
    ltarf = frame.value("LTARF")
    return period_from_ltarf(ltarf) if ltarf is not None else None


def tempo_colors(frame: Frame) -> tuple[TempoColor | None, TempoColor | None]:
    """Return (today, tomorrow) Tempo colours from PTEC/DEMAIN or STGE (None: unknown)."""
    if frame.mode is Mode.HISTORIC:
        ptec = frame.value("PTEC")
        demain = frame.value("DEMAIN")
        period = period_from_ptec(ptec) if ptec is not None else None
        today = _COLOR_OF.get(period) if period is not None else None
        tomorrow = _DEMAIN.get(demain) if demain is not None else None
        return today, tomorrow
    stge = frame.value("STGE")
    if stge is None:
        return None, None
    try:
        status = decode_status(stge)
    except ValueError:
        return None, None
    return status.tempo_today, status.tempo_tomorrow


SUPPLIER_INDEX_COUNT: Final = 10
"""Supplier indexes a standard-mode meter sends (EASF01-10), used or not."""


def supplier_indexes(calendar: str) -> frozenset[int] | None:
    """Return the supplier indexes (EASFnn numbers) a supplier calendar counts into.

    ``calendar`` is NGTF, the supplier calendar name (free text of 16 characters). A
    standard-mode meter sends all ten supplier indexes, the unused ones reading 0:
    a base contract counts into index 1, peak/off-peak into 1-2 (off-peak, peak),
    EJP into 1-2 (normal, mobile peak) and Tempo into 1-6 (off-peak and peak of blue,
    white and red days). Return None for a calendar this library does not know.
    """
    words = calendar.upper().replace("_", " ").replace("/", " ").replace(".", " ")
    text = " ".join(words.split())
    if not text:
        return None
    if "TEMPO" in text or text.startswith("BBR"):
        return frozenset(range(1, 7))
    if "EJP" in text:
        return frozenset({1, 2})
    if (
        "CREUSE" in text
        or "PLEINE" in text
        or text.split()[0] in {"HC", "HP", "HCHP", "HPHC"}
    ):
        return frozenset({1, 2})
    if text.split()[0] in {"BASE", "TH"}:
        return frozenset({1})
    return None


def closed_relays(value: str | int) -> frozenset[int]:
    """Return the numbers (1-8) of the closed relays in a RELAIS bitmap.

    Bit 0 is relay 1 (the real dry contact), bits 1-7 are virtual relays 2-8.
    Raise ValueError when the value is not a number in 0-255.
    """
    bitmap = int(value.strip()) if isinstance(value, str) else value
    if not 0 <= bitmap <= 255:
        raise ValueError(f"RELAIS out of range: {value!r}")
    return frozenset(n + 1 for n in range(8) if bitmap >> n & 1)


@dataclass(frozen=True, slots=True)
class ScheduleSlot:
    """One switch point of a day profile (PJOURF+1 / PPOINTE)."""

    start: time
    """Local time the slot starts."""
    dry_contact: int
    """Bits 15-14 of SSSS: dry-contact command."""
    virtual_contacts: frozenset[int]
    """Virtual contacts (2-8) commanded closed (bits 4-10 of SSSS)."""
    supplier_index: int
    """Bits 3-0: supplier index from this time on, 0 means unchanged."""
    raw: str
    """The 8-character block as sent."""


def parse_schedule(value: str) -> list[ScheduleSlot]:
    """Parse PJOURF+1/PPOINTE: blocks ``HHMMSSSS`` separated by spaces.

    ``NONUTILE`` blocks are skipped. Raise ValueError on a malformed block.
    """
    slots: list[ScheduleSlot] = []
    for block in value.split():
        if block == "NONUTILE":
            continue
        if len(block) != 8 or not block[:4].isdigit():
            raise ValueError(f"bad schedule block {block!r}")
        hour, minute = int(block[:2]), int(block[2:4])
        word = int(block[4:], 16)
        if hour == 24 and minute == 0:
            hour = 0
        start = time(hour, minute)
        slots.append(
            ScheduleSlot(
                start=start,
                dry_contact=word >> 14 & 0x3,
                virtual_contacts=frozenset(
                    n + 2 for n in range(7) if word >> (4 + n) & 1
                ),
                supplier_index=word & 0xF,
                raw=block,
            )
        )
    return slots
