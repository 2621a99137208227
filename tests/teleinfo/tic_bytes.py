"""Build TIC bytes exactly as a meter sends them (for transport and integration tests)."""

from __future__ import annotations

from collections.abc import Iterable

from custom_components.sunshare.teleinfo.decoder import checksum
from custom_components.sunshare.teleinfo.models import Mode

STX = b"\x02"
ETX = b"\x03"

type GroupSpec = tuple[str, str] | tuple[str, str, str]
"""(label, data) or (label, timestamp, data)."""


def group(mode: Mode, label: str, value: str, timestamp: str | None = None) -> bytes:
    """Return one group, LF to CR, with its valid checksum."""
    if mode is Mode.HISTORIC:
        zone = f"{label} {value}".encode("ascii")
        return b"\n" + zone + b" " + bytes([checksum(zone)]) + b"\r"
    parts = [label] + ([timestamp] if timestamp is not None else []) + [value]
    zone = ("\t".join(parts) + "\t").encode("ascii")
    return b"\n" + zone + bytes([checksum(zone)]) + b"\r"


def frame(mode: Mode, groups: Iterable[GroupSpec]) -> bytes:
    """Return a frame (STX ... ETX) of the given groups."""
    body = b""
    for spec in groups:
        if len(spec) == 3:
            label, stamp, value = spec
            body += group(mode, label, value, stamp)
        else:
            label, value = spec
            body += group(mode, label, value)
    return STX + body + ETX


HISTORIC_ADDRESS = "021528603314"
STANDARD_ADDRESS = "021861348497"


def historic_frame(papp: int = 180, hchc: int = 723392, **extra: str) -> bytes:
    """Return a historic HC/HP single-phase frame."""
    groups: list[GroupSpec] = [
        ("ADCO", HISTORIC_ADDRESS),
        ("OPTARIF", "HC.."),
        ("ISOUSC", "45"),
        ("HCHC", f"{hchc:09d}"),
        ("HCHP", "001065757"),
        ("PTEC", "HP.."),
        ("IINST", f"{max(1, papp // 230):03d}"),
        ("IMAX", "090"),
        ("PAPP", f"{papp:05d}"),
        ("HHPHC", "A"),
        ("MOTDETAT", "000000"),
    ]
    groups += list(extra.items())
    return frame(Mode.HISTORIC, groups)


def standard_frame(
    sinsts: int = 1200,
    east: int = 12345678,
    stge: str = "003A4301",
    extra: Iterable[GroupSpec] = (),
    *,
    urms: int = 231,
) -> bytes:
    """Return a standard single-phase frame (Tempo, as sent by a real Linky)."""
    groups: list[GroupSpec] = [
        ("ADSC", STANDARD_ADDRESS),
        ("VTIC", "02"),
        ("DATE", "H241123201500", ""),
        ("NGTF", "      TEMPO     "),
        ("LTARF", "    HP  BLEU    "),
        ("EAST", f"{east:09d}"),
        ("EASF01", f"{east // 2:09d}"),
        ("EASF02", f"{east - east // 2:09d}"),
        ("EASF03", "000000000"),
        ("EASD01", f"{east:09d}"),
        ("EASD02", "000000000"),
        ("IRMS1", f"{max(1, sinsts // 230):03d}"),
        ("URMS1", f"{urms:03d}"),
        ("PREF", "09"),
        ("PCOUP", "09"),
        ("SINSTS", f"{sinsts:05d}"),
        ("SMAXSN", "H241123063000", "03215"),
        ("SMAXSN-1", "H241122190000", "04120"),
        ("UMOY1", "H241123201000", "229"),
        ("STGE", stge),
        ("MSG1", "PAS DE          MESSAGE         "),
        ("PRM", "21448757318452"),
        ("RELAIS", "000"),
        ("NTARF", "02"),
        ("NJOURF", "00"),
        ("NJOURF+1", "00"),
        ("PJOURF+1", "00004001 06004002 22004001 NONUTILE NONUTILE NONUTILE"),
    ]
    groups += list(extra)
    return frame(Mode.STANDARD, groups)
