"""Catalogue of every TIC label, historic and standard (Enedis-NOI-CPT_54E §6)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .models import Mode


class Kind(StrEnum):
    """What a label's value is; maps onto Home Assistant sensor device classes."""

    ENERGY = "energy"
    """Active energy index in Wh (total_increasing)."""
    REACTIVE_ENERGY = "reactive_energy"
    """Reactive energy index in varh (total_increasing)."""
    APPARENT_POWER = "apparent_power"
    """Apparent power in VA."""
    POWER = "power"
    """Active power in W (load-curve points)."""
    CURRENT = "current"
    """RMS current in A."""
    VOLTAGE = "voltage"
    """RMS voltage in V."""
    SUBSCRIBED_POWER = "subscribed_power"
    """Reference or cut-off power in kVA (convert to VA for Home Assistant)."""
    SUBSCRIBED_CURRENT = "subscribed_current"
    """Subscribed current in A (historic ISOUSC)."""
    TIMESTAMP = "timestamp"
    """The value is empty or meaningless; the group's timestamp is the information."""
    DURATION = "duration"
    """Duration in minutes (PEJP)."""
    ADDRESS = "address"
    """Meter address (ADCO/ADSC), decode with :func:`parse_address`."""
    IDENTIFIER = "identifier"
    """Other identifier (PRM, VTIC)."""
    TEXT = "text"
    """Free text (messages, calendar names)."""
    TARIFF_OPTION = "tariff_option"
    """Historic tariff option (OPTARIF)."""
    TARIFF_PERIOD = "tariff_period"
    """Current tariff period (PTEC, LTARF)."""
    TEMPO_COLOR = "tempo_color"
    """Tempo colour (DEMAIN)."""
    INDEX_NUMBER = "index_number"
    """A small number naming an index or a day profile (NTARF, NJOURF)."""
    STATUS = "status"
    """Status register STGE, decode with :func:`decode_status`."""
    RELAYS = "relays"
    """RELAIS bitmap, decode with :func:`closed_relays`."""
    SCHEDULE = "schedule"
    """Day profile PJOURF+1/PPOINTE, decode with :func:`parse_schedule`."""
    PEAK_PERIOD = "peak_period"
    """Mobile-peak start/end (DPMx/FPMx): the timestamp is the information."""
    PHASE_MASK = "phase_mask"
    """PPOT: bit n set means phase n is absent."""
    ALERT = "alert"
    """Present only while something is wrong (ADPS, ADIR1-3): value in A."""
    CONSTANT = "constant"
    """Fixed value of no interest (HHPHC, MOTDETAT)."""


HISTORIC: Final = frozenset({Mode.HISTORIC})
STANDARD: Final = frozenset({Mode.STANDARD})


@dataclass(frozen=True, slots=True)
class LabelInfo:
    """What one label means."""

    label: str
    modes: frozenset[Mode]
    unit: str | None
    """Unit of the raw value (Wh, varh, VA, W, A, V, kVA, min), None if none."""
    kind: Kind
    description: str
    """English description."""
    timestamped: bool = False
    """The group carries a timestamp (standard mode)."""
    phase: int | None = None
    """Phase 1-3 for per-phase values."""
    three_phase: bool = False
    """Sent by three-phase meters only."""
    producer: bool = False
    """Sent in producer mode only."""
    short_frame: bool = False
    """Part of the historic three-phase short frames."""
    pilot: bool = False
    """Sent by G1 pilot meters (types 67/68) instead of the usual label."""
    diagnostic: bool = False
    """Of little interest day to day (identifiers, constants, registers)."""
    width: int | None = None
    """Data width in characters, when fixed."""

    @property
    def numeric(self) -> bool:
        """Return whether the value is a decimal number (zero-padded)."""
        return self.kind in _NUMERIC_KINDS


_NUMERIC_KINDS: Final = frozenset(
    {
        Kind.ENERGY,
        Kind.REACTIVE_ENERGY,
        Kind.APPARENT_POWER,
        Kind.POWER,
        Kind.CURRENT,
        Kind.VOLTAGE,
        Kind.SUBSCRIBED_POWER,
        Kind.SUBSCRIBED_CURRENT,
        Kind.DURATION,
        Kind.ALERT,
        Kind.INDEX_NUMBER,
    }
)


def _historic() -> Iterator[LabelInfo]:
    """Yield the historic-mode labels."""
    h = HISTORIC
    yield LabelInfo("ADCO", h, None, Kind.ADDRESS, "Meter address", width=12)
    yield LabelInfo("OPTARIF", h, None, Kind.TARIFF_OPTION, "Tariff option", width=4)
    yield LabelInfo("ISOUSC", h, "A", Kind.SUBSCRIBED_CURRENT, "Subscribed current")
    indexes = {
        "BASE": "Index, base option",
        "HCHC": "Index, off-peak hours",
        "HCHP": "Index, peak hours",
        "EJPHN": "Index, EJP normal hours",
        "EJPHPM": "Index, EJP mobile peak hours",
        "BBRHCJB": "Index, Tempo off-peak blue days",
        "BBRHPJB": "Index, Tempo peak blue days",
        "BBRHCJW": "Index, Tempo off-peak white days",
        "BBRHPJW": "Index, Tempo peak white days",
        "BBRHCJR": "Index, Tempo off-peak red days",
        "BBRHPJR": "Index, Tempo peak red days",
        "GAZ": "Index, gas meter",
        "AUTRE": "Index, other meter",
    }
    for label, text in indexes.items():
        yield LabelInfo(label, h, "Wh", Kind.ENERGY, text, width=9)
    yield LabelInfo("PEJP", h, "min", Kind.DURATION, "EJP advance notice", width=2)
    yield LabelInfo("PTEC", h, None, Kind.TARIFF_PERIOD, "Current tariff period")
    yield LabelInfo("DEMAIN", h, None, Kind.TEMPO_COLOR, "Tempo colour tomorrow")
    yield LabelInfo("IINST", h, "A", Kind.CURRENT, "Current")
    yield LabelInfo("ADPS", h, "A", Kind.ALERT, "Subscribed power exceeded (current)")
    yield LabelInfo("IMAX", h, "A", Kind.CURRENT, "Maximum current", diagnostic=True)
    yield LabelInfo("PAPP", h, "VA", Kind.APPARENT_POWER, "Apparent power")
    yield LabelInfo(
        "HHPHC", h, None, Kind.CONSTANT, "Peak/off-peak schedule", diagnostic=True
    )
    yield LabelInfo(
        "MOTDETAT", h, None, Kind.CONSTANT, "Meter status word", diagnostic=True
    )
    for n in (1, 2, 3):
        yield LabelInfo(
            f"IINST{n}",
            h,
            "A",
            Kind.CURRENT,
            f"Current, phase {n}",
            phase=n,
            three_phase=True,
            short_frame=True,
        )
        yield LabelInfo(
            f"IMAX{n}",
            h,
            "A",
            Kind.CURRENT,
            f"Maximum current, phase {n}",
            phase=n,
            three_phase=True,
            diagnostic=True,
        )
        yield LabelInfo(
            f"ADIR{n}",
            h,
            "A",
            Kind.ALERT,
            f"Current over its setting, phase {n}",
            phase=n,
            three_phase=True,
            short_frame=True,
        )
    yield LabelInfo(
        "PMAX",
        h,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power, previous day",
        three_phase=True,
    )
    yield LabelInfo(
        "PPOT",
        h,
        None,
        Kind.PHASE_MASK,
        "Phases present",
        three_phase=True,
        diagnostic=True,
    )


def _standard() -> Iterator[LabelInfo]:
    """Yield the standard-mode labels."""
    s = STANDARD
    yield LabelInfo("ADSC", s, None, Kind.ADDRESS, "Meter address", width=12)
    yield LabelInfo("VTIC", s, None, Kind.IDENTIFIER, "TIC version", diagnostic=True)
    yield LabelInfo(
        "DATE", s, None, Kind.TIMESTAMP, "Meter date and time", timestamped=True
    )
    yield LabelInfo("NGTF", s, None, Kind.TEXT, "Supplier calendar name")
    yield LabelInfo("LTARF", s, None, Kind.TARIFF_PERIOD, "Current tariff label")
    yield LabelInfo("EAST", s, "Wh", Kind.ENERGY, "Energy drawn, total")
    for n in range(1, 11):
        yield LabelInfo(
            f"EASF{n:02d}", s, "Wh", Kind.ENERGY, f"Energy drawn, supplier index {n}"
        )
    for n in range(1, 5):
        yield LabelInfo(
            f"EASD{n:02d}", s, "Wh", Kind.ENERGY, f"Energy drawn, distributor index {n}"
        )
    yield LabelInfo(
        "EAIT", s, "Wh", Kind.ENERGY, "Energy injected, total", producer=True
    )
    for n in range(1, 5):
        yield LabelInfo(
            f"ERQ{n}",
            s,
            "varh",
            Kind.REACTIVE_ENERGY,
            f"Reactive energy, quadrant {n}",
            producer=True,
        )
    for n in (1, 2, 3):
        three = n > 1
        yield LabelInfo(
            f"IRMS{n}",
            s,
            "A",
            Kind.CURRENT,
            f"RMS current, phase {n}",
            phase=n,
            three_phase=three,
        )
        yield LabelInfo(
            f"URMS{n}",
            s,
            "V",
            Kind.VOLTAGE,
            f"RMS voltage, phase {n}",
            phase=n,
            three_phase=three,
        )
        yield LabelInfo(
            f"UMOY{n}",
            s,
            "V",
            Kind.VOLTAGE,
            f"Mean voltage over 10 min, phase {n}",
            phase=n,
            three_phase=three,
            timestamped=True,
        )
    yield LabelInfo("PREF", s, "kVA", Kind.SUBSCRIBED_POWER, "Reference power")
    yield LabelInfo("PCOUP", s, "kVA", Kind.SUBSCRIBED_POWER, "Cut-off power")
    yield LabelInfo("SINSTS", s, "VA", Kind.APPARENT_POWER, "Apparent power drawn")
    yield LabelInfo(
        "SMAXSN",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power drawn today",
        timestamped=True,
    )
    yield LabelInfo(
        "SMAXSN-1",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power drawn yesterday",
        timestamped=True,
    )
    for n in (1, 2, 3):
        yield LabelInfo(
            f"SINSTS{n}",
            s,
            "VA",
            Kind.APPARENT_POWER,
            f"Apparent power drawn, phase {n}",
            phase=n,
            three_phase=True,
        )
        yield LabelInfo(
            f"SMAXSN{n}",
            s,
            "VA",
            Kind.APPARENT_POWER,
            f"Maximum apparent power drawn today, phase {n}",
            phase=n,
            three_phase=True,
            timestamped=True,
        )
        yield LabelInfo(
            f"SMAXSN{n}-1",
            s,
            "VA",
            Kind.APPARENT_POWER,
            f"Maximum apparent power drawn yesterday, phase {n}",
            phase=n,
            three_phase=True,
            timestamped=True,
        )
    yield LabelInfo(
        "SINST1",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Apparent power drawn (G1 pilot)",
        pilot=True,
    )
    yield LabelInfo(
        "SMAXN",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power drawn today (G1 pilot)",
        timestamped=True,
        pilot=True,
    )
    yield LabelInfo(
        "SMAXN-1",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power drawn yesterday (G1 pilot)",
        timestamped=True,
        pilot=True,
    )
    yield LabelInfo(
        "SINSTI",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Apparent power injected",
        producer=True,
    )
    yield LabelInfo(
        "SMAXIN",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power injected today",
        timestamped=True,
        producer=True,
    )
    yield LabelInfo(
        "SMAXIN-1",
        s,
        "VA",
        Kind.APPARENT_POWER,
        "Maximum apparent power injected yesterday",
        timestamped=True,
        producer=True,
    )
    yield LabelInfo(
        "CCASN",
        s,
        "W",
        Kind.POWER,
        "Active power drawn, load-curve point",
        timestamped=True,
    )
    yield LabelInfo(
        "CCASN-1",
        s,
        "W",
        Kind.POWER,
        "Active power drawn, previous load-curve point",
        timestamped=True,
    )
    yield LabelInfo(
        "CCAIN",
        s,
        "W",
        Kind.POWER,
        "Active power injected, load-curve point",
        timestamped=True,
        producer=True,
    )
    yield LabelInfo(
        "CCAIN-1",
        s,
        "W",
        Kind.POWER,
        "Active power injected, previous load-curve point",
        timestamped=True,
        producer=True,
    )
    yield LabelInfo("MSG1", s, None, Kind.TEXT, "Short message")
    yield LabelInfo("MSG2", s, None, Kind.TEXT, "Ultra-short message")
    yield LabelInfo(
        "PRM", s, None, Kind.IDENTIFIER, "Delivery point (PRM)", diagnostic=True
    )
    yield LabelInfo("RELAIS", s, None, Kind.RELAYS, "Relays")
    yield LabelInfo("NTARF", s, None, Kind.INDEX_NUMBER, "Current supplier index")
    yield LabelInfo("NJOURF", s, None, Kind.INDEX_NUMBER, "Supplier day profile, today")
    yield LabelInfo(
        "NJOURF+1", s, None, Kind.INDEX_NUMBER, "Supplier day profile, tomorrow"
    )
    yield LabelInfo(
        "PJOURF+1", s, None, Kind.SCHEDULE, "Supplier day profile, tomorrow"
    )
    yield LabelInfo("PPOINTE", s, None, Kind.SCHEDULE, "Next peak day profile")
    yield LabelInfo("STGE", s, None, Kind.STATUS, "Status register", width=8)
    for n in (1, 2, 3):
        yield LabelInfo(
            f"DPM{n}",
            s,
            None,
            Kind.PEAK_PERIOD,
            f"Mobile peak {n} start",
            timestamped=True,
        )
        yield LabelInfo(
            f"FPM{n}",
            s,
            None,
            Kind.PEAK_PERIOD,
            f"Mobile peak {n} end",
            timestamped=True,
        )


LABELS: Final[dict[str, LabelInfo]] = {
    info.label: info for info in (*_historic(), *_standard())
}
"""Every known label, by label (historic and standard names never collide)."""

TIMESTAMPED: Final = frozenset(i.label for i in LABELS.values() if i.timestamped)
"""Labels that carry a timestamp in standard mode."""
SHORT_FRAME_LABELS: Final = frozenset(
    {"ADCO", *(i.label for i in LABELS.values() if i.short_frame)}
)
"""Labels of a historic three-phase short frame."""


def label_info(label: str) -> LabelInfo | None:
    """Return what a label means, or None for a label this catalogue does not know."""
    return LABELS.get(label)


def labels_for(mode: Mode) -> list[LabelInfo]:
    """Return the labels of one mode, in catalogue order."""
    return [info for info in LABELS.values() if mode in info.modes]
