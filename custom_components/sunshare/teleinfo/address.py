"""Meter address (ADCO / ADSC, EURIDIS "ADS"): manufacturer, year, meter type, serial."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MANUFACTURERS: Final[dict[str, str]] = {
    "01": "Crouzet / Monetel",
    "02": "Sagem / Sagemcom",
    "03": "Schlumberger / Actaris / Itron",
    "04": "Landis+Gyr / Siemens Metering",
    "05": "Sauter / Stepper Energie France / Zellweger",
    "06": "Itron",
    "07": "MAEC",
    "08": "Matra-Chauvin Arnoux / Enerdis",
    "09": "Faure-Herman",
    "10": "Sevme / SIS",
    "11": "Magnol / Elster / Honeywell",
    "12": "Gaz Thermique",
    "14": "Ghielmetti / Dialog E.S. / Micronique",
    "15": "Mecelec",
    "16": "Legrand / Baco",
    "17": "SERD-Schlumberger",
    "18": "Schneider / Merlin Gerin / Gardy",
    "19": "General Electric / Power Control",
    "20": "Nuovo Pignone / Dresser",
    "21": "SCLE",
    "22": "EDF",
    "23": "GDF / GDF-Suez",
    "24": "Hager / General Electric",
    "25": "Delta Dore",
    "26": "RIZ",
    "27": "Iskraemeco",
    "28": "GMT",
    "29": "Analog Devices",
    "30": "Michaud",
    "31": "Hexing Electrical",
    "32": "Siame",
    "33": "Larsen & Toubro",
    "34": "Elster / Honeywell",
    "35": "Electronic Afzar Azma",
    "36": "Advanced Electronic Company",
    "37": "AEM",
    "38": "Zhejiang Chint Instrument & Meter",
    "39": "ZIV",
    "70": "Landis+Gyr (export)",
    "71": "Stepper Energie France (export)",
    "81": "Sagem / Sagemcom",
    "82": "Landis+Gyr / Siemens Metering",
    "83": "Elster / Honeywell",
    "84": "Sagem / Sagemcom",
    "85": "Itron",
}
"""EURIDIS manufacturer codes (list CCTT V3.04A)."""

METER_TYPES: Final[dict[str, str]] = {
    "25": "Single-phase 90 A electronic meter, single rate",
    "28": "Single-phase 90 A electronic meter, 175 Hz",
    "29": "Single-phase 90 A electronic meter, 175 Hz",
    "61": "Linky single-phase 60 A G3 (high-power supply)",
    "62": "Linky single-phase 90 A G1",
    "63": "Linky three-phase 60 A G1",
    "64": "Linky single-phase 60 A G3",
    "67": "Linky single-phase G1 pilot meter",
    "68": "Linky three-phase G1 pilot meter",
    "70": "Linky single-phase 60 A G3 (development)",
    "71": "Linky three-phase 60 A G3 (development)",
    "75": "Linky single-phase 90 A G3",
    "76": "Linky three-phase 60 A G3",
}
"""Meter type codes (Enedis-NOI-CPT_54E and manufacturers' notices)."""

_LINKY: Final = range(61, 77)
_PILOT: Final = frozenset({"67", "68"})
_THREE_PHASE: Final = frozenset({"63", "68", "71", "76"})


@dataclass(frozen=True, slots=True)
class MeterAddress:
    """A decoded 12-digit meter address."""

    address: str
    """The 12 digits as sent."""
    manufacturer_code: str
    manufacturer: str | None
    """Manufacturer name, None for an unassigned code."""
    year: int
    """Year of manufacture (4 digits)."""
    type_code: str
    model: str | None
    """Meter type, None for an unknown code."""
    serial: str
    """Serial number (6 digits)."""

    @property
    def is_linky(self) -> bool:
        """Return whether the meter type is a Linky (codes 61 to 76)."""
        return int(self.type_code) in _LINKY

    @property
    def is_g1_pilot(self) -> bool:
        """Return whether the meter is a G1 pilot (sends SINST1, SMAXN, SMAXN-1)."""
        return self.type_code in _PILOT

    @property
    def three_phase(self) -> bool | None:
        """Return whether the meter type is three-phase (None when unknown)."""
        if self.type_code in _THREE_PHASE:
            return True
        return False if self.type_code in METER_TYPES else None

    @property
    def display_model(self) -> str:
        """Return a model name for a device registry, never empty."""
        return self.model or f"Meter type {self.type_code}"


def parse_address(value: str) -> MeterAddress | None:
    """Decode ADCO/ADSC (manufacturer 2, year 2, type 2, serial 6); None if invalid."""
    value = value.strip()
    if len(value) != 12 or not value.isdigit():
        return None
    maker, year, kind, serial = value[:2], value[2:4], value[4:6], value[6:]
    return MeterAddress(
        address=value,
        manufacturer_code=maker,
        manufacturer=MANUFACTURERS.get(maker),
        year=2000 + int(year),
        type_code=kind,
        model=METER_TYPES.get(kind),
        serial=serial,
    )
