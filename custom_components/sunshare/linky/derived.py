"""Values computed from several labels: net power, Tempo colours, status alerts."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from custom_components.sunshare.teleinfo.models import TempoColor
from custom_components.sunshare.teleinfo.stge import Status, decode_status
from custom_components.sunshare.teleinfo.tariff import supplier_indexes

if TYPE_CHECKING:
    from .runtime import LinkyRuntime

__all__ = ["TempoColor"]

_PTEC_COLORS = {"B": TempoColor.BLUE, "W": TempoColor.WHITE, "R": TempoColor.RED}
_DEMAIN_COLORS = {
    "BLEU": TempoColor.BLUE,
    "BLAN": TempoColor.WHITE,
    "ROUG": TempoColor.RED,
    "----": TempoColor.NONE,
}


def _int(runtime: LinkyRuntime, label: str) -> int | None:
    """Return a label's data as an integer, None when absent or not a number."""
    item = runtime.values.get(label)
    if item is None:
        return None
    try:
        return int(item.value)
    except ValueError:
        return None


def _text(runtime: LinkyRuntime, label: str) -> str | None:
    """Return a label's data, None when absent."""
    item = runtime.values.get(label)
    return None if item is None else item.value


@lru_cache(maxsize=8)
def _decode(value: str) -> Status | None:
    """Decode an STGE value, None when it is invalid."""
    try:
        return decode_status(value)
    except ValueError:
        return None


def status(runtime: LinkyRuntime) -> Status | None:
    """Return the decoded STGE status register, None when absent or invalid."""
    value = _text(runtime, "STGE")
    return None if value is None else _decode(value)


def has_injection(runtime: LinkyRuntime) -> bool:
    """Return whether the meter sends drawn and injected power (net power differs).

    Without an injection label the net power would repeat SINSTS/PAPP: no entity.
    """
    return "SINSTI" in runtime.known_labels and bool(
        {"SINSTS", "SINST1"} & runtime.known_labels
    )


def net_power(runtime: LinkyRuntime) -> int | None:
    """Return drawn minus injected apparent power in VA (signed)."""
    drawn = _int(runtime, "SINSTS")
    if drawn is None:
        drawn = _int(runtime, "SINST1")
    if drawn is None:
        return _int(runtime, "PAPP")
    return drawn - (_int(runtime, "SINSTI") or 0)


def is_tempo(runtime: LinkyRuntime) -> bool:
    """Return whether the meter is on a Tempo contract."""
    option = _text(runtime, "OPTARIF") or ""
    calendar = (_text(runtime, "NGTF") or "").upper()
    register = status(runtime)
    colors = register is not None and (
        register.tempo_today is not TempoColor.NONE
        or register.tempo_tomorrow is not TempoColor.NONE
    )
    return option.startswith("BBR") or "TEMPO" in calendar or colors


def tempo_today(runtime: LinkyRuntime) -> str | None:
    """Return today's Tempo colour (STGE bits 24-25, or the historic PTEC)."""
    if (register := status(runtime)) is not None:
        return register.tempo_today.value
    period = _text(runtime, "PTEC")
    if period is None:
        return None
    if len(period) == 4 and period[2] == "J":
        return _PTEC_COLORS.get(period[3], TempoColor.NONE).value
    return TempoColor.NONE.value


def tempo_tomorrow(runtime: LinkyRuntime) -> str | None:
    """Return tomorrow's Tempo colour (STGE bits 26-27, or the historic DEMAIN)."""
    if (register := status(runtime)) is not None:
        return register.tempo_tomorrow.value
    demain = _text(runtime, "DEMAIN")
    if demain is None:
        return None
    return _DEMAIN_COLORS.get(demain, TempoColor.NONE).value


def supplier_index_used(runtime: LinkyRuntime, number: int) -> bool:
    """Return whether the contract counts into supplier index ``number`` (EASFnn).

    The index counting now (NTARF, or STGE bits 10-13) is used; otherwise the supplier
    calendar NGTF names the indexes (base 1, peak/off-peak 1-2, Tempo 1-6). Under a
    calendar this library does not know, an index is used once it has counted
    something: a standard meter sends all ten, the unused ones reading 0.
    """
    register = status(runtime)
    current = _int(runtime, "NTARF") or (register.supplier_index if register else None)
    if number == current:
        return True
    calendar = _text(runtime, "NGTF")
    named = supplier_indexes(calendar) if calendar is not None else None
    if named is not None:
        return number in named
    return _counted(runtime, f"EASF{number:02d}")


def distributor_index_used(runtime: LinkyRuntime, number: int) -> bool:
    """Return whether the distributor's calendar counts into index ``number`` (EASDnn).

    The TIC never names the distributor's calendar: the index counting now (STGE bits
    14-15) and those that have counted something are used.
    """
    register = status(runtime)
    if register is not None and register.distributor_index == number:
        return True
    return _counted(runtime, f"EASD{number:02d}")


def _counted(runtime: LinkyRuntime, label: str) -> bool:
    """Return whether an index is above 0 (True when its value is not known yet)."""
    if label not in runtime.values:
        return True
    return (_int(runtime, label) or 0) > 0


def has_status(runtime: LinkyRuntime) -> bool:
    """Return whether the meter sends the STGE status register."""
    return "STGE" in runtime.known_labels


def has_current(runtime: LinkyRuntime) -> bool:
    """Return whether over-power can be told (STGE or historic currents)."""
    return bool({"STGE", "IINST", "IINST1", "ADPS", "ADIR1"} & runtime.known_labels)


def has_peaks(runtime: LinkyRuntime) -> bool:
    """Return whether mobile peaks can be told (STGE, or a historic EJP contract)."""
    option = _text(runtime, "OPTARIF") or ""
    return has_status(runtime) or option.startswith("EJP")


def over_power(runtime: LinkyRuntime) -> bool | None:
    """Return whether the reference power is exceeded (ADPS, ADIR1-3, STGE bit 7)."""
    if (register := status(runtime)) is not None:
        return register.over_power
    labels = ("ADPS", "ADIR1", "ADIR2", "ADIR3")
    return any((_int(runtime, label) or 0) > 0 for label in labels)


def peak_notice(runtime: LinkyRuntime) -> bool | None:
    """Return whether a mobile peak is announced (STGE bits 28-29, historic PEJP)."""
    if (register := status(runtime)) is not None:
        return register.mobile_peak_notice != 0
    return (_int(runtime, "PEJP") or 0) > 0


def peak_active(runtime: LinkyRuntime) -> bool | None:
    """Return whether a mobile peak is in progress (STGE bits 30-31, PTEC ``PM..``)."""
    if (register := status(runtime)) is not None:
        return register.mobile_peak != 0
    period = _text(runtime, "PTEC")
    return None if period is None else period.startswith("PM")


def producer(runtime: LinkyRuntime) -> bool | None:
    """Return whether the meter is in producer mode (STGE bit 8)."""
    register = status(runtime)
    return None if register is None else register.producer


def clock_degraded(runtime: LinkyRuntime) -> bool | None:
    """Return whether the meter's clock is degraded (STGE bit 16)."""
    register = status(runtime)
    return None if register is None else register.clock_degraded


def dry_contact_closed(runtime: LinkyRuntime) -> bool | None:
    """Return whether the dry contact is closed (STGE bit 0 is 1 when open)."""
    register = status(runtime)
    return None if register is None else not register.dry_contact_open
