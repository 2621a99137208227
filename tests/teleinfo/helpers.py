"""Test helpers: build groups and frames with checksums computed here, independently."""

from __future__ import annotations


def chk(zone: bytes) -> bytes:
    """Return the checksum character of a zone, computed as the spec states."""
    total = 0
    for byte in zone:
        total += byte
    return bytes([(total & 0x3F) + 0x20])


def hgroup(label: str, value: str) -> bytes:
    """Return a historic group: LF label SP data SP chk CR (sum excludes the last SP)."""
    zone = f"{label} {value}".encode()
    return b"\n" + zone + b" " + chk(zone) + b"\r"


def sgroup(label: str, value: str, stamp: str | None = None) -> bytes:
    """Return a standard group: LF label HT [stamp HT] data HT chk CR (HT included)."""
    zone = (f"{label}\t{stamp}\t{value}\t" if stamp else f"{label}\t{value}\t").encode()
    return b"\n" + zone + chk(zone) + b"\r"


def frame(*groups: bytes) -> bytes:
    """Wrap groups in STX ... ETX."""
    return b"\x02" + b"".join(groups) + b"\x03"


HISTORIC_CAPTURE = (
    b"\x02"
    b"\nADCO 021528603314 :\r"
    b"\nOPTARIF HC.. <\r"
    b"\nISOUSC 15 <\r"
    b"\nHCHC 000723392  \r"
    b"\nPTEC HP..  \r"
    b"\nPAPP 00180 *\r"
    b"\nHHPHC A ,\r"
    b"\nMOTDETAT 000000 B\r"
    b"\x03"
)
"""Real historic capture (hallard/teleinfo-test), checksums as published."""
