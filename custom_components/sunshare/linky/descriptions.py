"""How each TIC label becomes a Home Assistant sensor: class, unit, rate, conversion.

Every historic and standard label has a description; a label that is not known (a future
one) still gets a plain text sensor so that nothing received is hidden.

Energy indexes keep the meter's Wh as their native unit (what the recorder's statistics
and the Energy dashboard were built on) and suggest kWh with three decimals for display,
the unit of a bill. Raw registers (STGE, RELAIS, PJOURF+1, PPOINTE, PPOT, NJOURF…) are
diagnostic entities disabled by default: their state is the register as sent, their
attributes its decoded meaning; the household reads the binary sensors and the Tempo
sensors built from them. Numbered indexes keep the meter's two digits in their names
("Supplier index 02" … "Supplier index 10") so that sorting by name, as Home Assistant's
pages do, gives the meter's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import re
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTime,
)

from custom_components.sunshare.teleinfo.stge import decode_status
from custom_components.sunshare.teleinfo.tariff import closed_relays, parse_schedule

from .const import CURRENT_DEADBAND
from .policy import Rate

type Converter = Callable[[str], str | int | None]
type AttributesDecoder = Callable[[str], dict[str, Any]]


class IndexFamily(StrEnum):
    """Numbered energy indexes a contract counts into only in part."""

    SUPPLIER = "supplier"
    """EASF01-10: the supplier's tariff periods (what the bill counts)."""
    DISTRIBUTOR = "distributor"
    """EASD01-04: the distributor's (grid fee) calendar."""


def as_int(value: str) -> int | None:
    """Return a decimal field as an integer, None if it is not a number."""
    try:
        return int(value.strip())
    except ValueError:
        return None


def as_kva_in_va(value: str) -> int | None:
    """Return a power given in kVA as VA."""
    number = as_int(value)
    return None if number is None else number * 1000


def as_text(value: str) -> str | None:
    """Return a text field without its padding, None when empty."""
    return value.strip() or None


@dataclass(frozen=True, kw_only=True)
class LabelDescription(SensorEntityDescription):
    """A sensor showing one TIC label."""

    convert: Converter = as_text
    rate: Rate = Rate.STATE
    deadband: float | None = None
    """Deadband of a measurement; None means the configured power deadband."""
    value_is_timestamp: bool = False
    """The state is the group's timestamp (DATE, DPM/FPM), not its data."""
    timestamp_attribute: bool = False
    """The group's timestamp is shown as the ``timestamp`` attribute."""
    transient: bool = False
    """The label is only sent during an event: it reads 0 when a long frame lacks it."""
    attributes: AttributesDecoder | None = None
    """Decoder of the raw data into the entity's attributes (its meaning)."""
    index_family: IndexFamily | None = None
    """For EASFnn/EASDnn: the family, whose use by the contract enables the entity."""
    index_number: int = 0
    """For EASFnn/EASDnn: the index number."""


def _energy(
    key: str,
    tkey: str,
    *,
    family: IndexFamily | None = None,
    number: int = 0,
    **placeholders: str,
) -> LabelDescription:
    """Describe an active energy index: Wh sent and stored, shown in kWh."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        convert=as_int,
        rate=Rate.INDEX,
        index_family=family,
        index_number=number,
    )


def _numbered_index(key: str, number: str, family: IndexFamily) -> LabelDescription:
    """Describe EASFnn/EASDnn, named with the meter's two digits (natural order)."""
    return _energy(
        key,
        f"index_{family.value}",
        family=family,
        number=int(number),
        index=f"{int(number):02d}",
    )


def status_attributes(value: str) -> dict[str, Any]:
    """Return the decoded fields of STGE (empty when the register is invalid)."""
    try:
        status = decode_status(value)
    except ValueError:
        return {}
    return {
        "dry_contact": "open" if status.dry_contact_open else "closed",
        "cut_off": status.cut_off.value,
        "cover_open": status.cover_open,
        "overvoltage": status.overvoltage,
        "over_power": status.over_power,
        "producer": status.producer,
        "negative_energy": status.negative_energy,
        "supplier_index": status.supplier_index,
        "distributor_index": status.distributor_index,
        "clock_degraded": status.clock_degraded,
        "standard_tic": status.standard_tic,
        "euridis": status.euridis.value,
        "cpl": status.cpl.value,
        "cpl_synchronised": status.cpl_synchronised,
        "tempo_today": status.tempo_today.value,
        "tempo_tomorrow": status.tempo_tomorrow.value,
        "mobile_peak_notice": status.mobile_peak_notice,
        "mobile_peak": status.mobile_peak,
    }


def relay_attributes(value: str) -> dict[str, Any]:
    """Return the closed relays of RELAIS (1 is the dry contact, 2-8 are virtual)."""
    try:
        closed = closed_relays(value)
    except ValueError:
        return {}
    return {
        "closed_relays": sorted(closed),
        "dry_contact": "closed" if 1 in closed else "open",
    }


def schedule_attributes(value: str) -> dict[str, Any]:
    """Return the switch points of PJOURF+1/PPOINTE."""
    try:
        slots = parse_schedule(value)
    except ValueError:
        return {}
    return {
        "slots": [
            {
                "start": slot.start.strftime("%H:%M"),
                "supplier_index": slot.supplier_index or None,
                "dry_contact": slot.dry_contact,
                "virtual_contacts": sorted(slot.virtual_contacts),
            }
            for slot in slots
        ]
    }


def phase_attributes(value: str) -> dict[str, Any]:
    """Return the absent phases of PPOT (bit n set: phase n absent)."""
    try:
        mask = int(value.strip(), 16)
    except ValueError:
        return {}
    return {"absent_phases": [phase for phase in (1, 2, 3) if mask >> phase & 1]}


def _raw(
    key: str,
    tkey: str,
    *,
    convert: Converter = as_text,
    attributes: AttributesDecoder | None = None,
) -> LabelDescription:
    """Describe a raw register: diagnostic, disabled by default, decoded attributes."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        convert=convert,
        attributes=attributes,
    )


def _current(
    key: str, tkey: str, *, diagnostic: bool = False, **placeholders: str
) -> LabelDescription:
    """Describe a current in A."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        device_class=SensorDeviceClass.CURRENT,
        state_class=None if diagnostic else SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        convert=as_int,
        rate=Rate.STATE if diagnostic else Rate.MEASUREMENT,
        deadband=CURRENT_DEADBAND,
    )


def _voltage(
    key: str, tkey: str, *, timestamp: bool = False, **placeholders: str
) -> LabelDescription:
    """Describe a voltage in V."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        convert=as_int,
        # Voltage wanders by a few volts all the time: written like an index (at most
        # once a minute) so that it never floods the recorder.
        rate=Rate.INDEX,
        timestamp_attribute=timestamp,
    )


def _apparent_rate(*, measurement: bool, timestamp: bool) -> Rate:
    """Return the rate of an apparent power: maxima (timestamped) change slowly."""
    if timestamp:
        return Rate.INDEX
    return Rate.MEASUREMENT if measurement else Rate.STATE


def _apparent(
    key: str,
    tkey: str,
    *,
    measurement: bool = True,
    timestamp: bool = False,
    convert: Converter = as_int,
    **placeholders: str,
) -> LabelDescription:
    """Describe an apparent power in VA."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        device_class=SensorDeviceClass.APPARENT_POWER,
        state_class=SensorStateClass.MEASUREMENT if measurement else None,
        native_unit_of_measurement=UnitOfApparentPower.VOLT_AMPERE,
        convert=convert,
        rate=_apparent_rate(measurement=measurement, timestamp=timestamp),
        timestamp_attribute=timestamp,
    )


def _text(
    key: str,
    tkey: str,
    *,
    diagnostic: bool = False,
    enabled: bool = True,
    **placeholders: str,
) -> LabelDescription:
    """Describe a text label."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        entity_registry_enabled_default=enabled,
    )


def _number(
    key: str, tkey: str, *, diagnostic: bool = False, **placeholders: str
) -> LabelDescription:
    """Describe a unitless number (tariff index, day profile)."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        convert=as_int,
    )


def _counter(key: str, tkey: str) -> LabelDescription:
    """Describe the index of another meter wired to an old meter (pulse count)."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        state_class=SensorStateClass.TOTAL_INCREASING,
        convert=as_int,
        rate=Rate.INDEX,
    )


def _timestamp(
    key: str, tkey: str, *, diagnostic: bool = False, **placeholders: str
) -> LabelDescription:
    """Describe a label whose meaning is its timestamp."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        entity_registry_enabled_default=not diagnostic,
        value_is_timestamp=True,
        rate=Rate.INDEX if diagnostic else Rate.STATE,
    )


FIXED: dict[str, LabelDescription] = {
    description.key: description
    for description in (
        # Historic mode.
        _text("ADCO", "meter_address", diagnostic=True, enabled=False),
        _text("OPTARIF", "tariff_option"),
        _current("ISOUSC", "subscribed_current", diagnostic=True),
        _energy("BASE", "index_base"),
        _energy("HCHC", "index_hchc"),
        _energy("HCHP", "index_hchp"),
        _energy("EJPHN", "index_ejphn"),
        _energy("EJPHPM", "index_ejphpm"),
        _energy("BBRHCJB", "index_bbrhcjb"),
        _energy("BBRHPJB", "index_bbrhpjb"),
        _energy("BBRHCJW", "index_bbrhcjw"),
        _energy("BBRHPJW", "index_bbrhpjw"),
        _energy("BBRHCJR", "index_bbrhcjr"),
        _energy("BBRHPJR", "index_bbrhpjr"),
        LabelDescription(
            key="PEJP",
            translation_key="linky_ejp_notice",
            device_class=SensorDeviceClass.DURATION,
            native_unit_of_measurement=UnitOfTime.MINUTES,
            convert=as_int,
            rate=Rate.ALERT,
            transient=True,
        ),
        _text("PTEC", "tariff_period"),
        _text("DEMAIN", "tomorrow_colour_raw", diagnostic=True, enabled=False),
        _current("IINST", "current"),
        LabelDescription(
            key="ADPS",
            translation_key="linky_overcurrent",
            device_class=SensorDeviceClass.CURRENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            convert=as_int,
            rate=Rate.ALERT,
            transient=True,
        ),
        _current("IMAX", "max_current", diagnostic=True),
        _apparent("PAPP", "apparent_power"),
        _apparent("PMAX", "max_power_yesterday", measurement=False),
        _counter("GAZ", "gas_index"),
        _counter("AUTRE", "other_index"),
        _text("HHPHC", "peak_offpeak_schedule", diagnostic=True, enabled=False),
        _text("MOTDETAT", "status_word", diagnostic=True, enabled=False),
        _raw("PPOT", "phase_presence", attributes=phase_attributes),
        # Standard mode.
        _text("ADSC", "meter_address", diagnostic=True, enabled=False),
        _text("VTIC", "tic_version", diagnostic=True, enabled=False),
        _timestamp("DATE", "meter_clock", diagnostic=True),
        _text("NGTF", "supplier_calendar"),
        _text("LTARF", "tariff_period"),
        _energy("EAST", "index_total"),
        _energy("EAIT", "index_injected"),
        _apparent("PREF", "reference_power", measurement=False, convert=as_kva_in_va),
        _apparent("PCOUP", "cutoff_power", measurement=False, convert=as_kva_in_va),
        _apparent("SINSTS", "apparent_power"),
        _apparent("SINST1", "apparent_power"),
        _apparent("SINSTI", "injected_power"),
        _apparent("SMAXSN", "max_power_today", timestamp=True),
        _apparent("SMAXN", "max_power_today", timestamp=True),
        _apparent("SMAXSN-1", "max_power_yesterday", timestamp=True),
        _apparent("SMAXN-1", "max_power_yesterday", timestamp=True),
        _apparent("SMAXIN", "max_injected_today", timestamp=True),
        _apparent("SMAXIN-1", "max_injected_yesterday", timestamp=True),
        LabelDescription(
            key="CCASN",
            translation_key="linky_load_curve_drawn",
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.WATT,
            convert=as_int,
            timestamp_attribute=True,
            rate=Rate.INDEX,
        ),
        LabelDescription(
            key="CCASN-1",
            translation_key="linky_load_curve_drawn_previous",
            device_class=SensorDeviceClass.POWER,
            native_unit_of_measurement=UnitOfPower.WATT,
            convert=as_int,
            timestamp_attribute=True,
            entity_registry_enabled_default=False,
        ),
        LabelDescription(
            key="CCAIN",
            translation_key="linky_load_curve_injected",
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.WATT,
            convert=as_int,
            timestamp_attribute=True,
            rate=Rate.INDEX,
        ),
        LabelDescription(
            key="CCAIN-1",
            translation_key="linky_load_curve_injected_previous",
            device_class=SensorDeviceClass.POWER,
            native_unit_of_measurement=UnitOfPower.WATT,
            convert=as_int,
            timestamp_attribute=True,
            entity_registry_enabled_default=False,
        ),
        _raw("STGE", "status_register", attributes=status_attributes),
        _text("MSG1", "message"),
        _text("MSG2", "short_message"),
        _text("PRM", "prm", diagnostic=True, enabled=False),
        _raw("RELAIS", "relays", convert=as_int, attributes=relay_attributes),
        _number("NTARF", "supplier_index_number"),
        _raw("NJOURF", "day_profile_today", convert=as_int),
        _raw("NJOURF+1", "day_profile_tomorrow", convert=as_int),
        _raw("PJOURF+1", "schedule_tomorrow", attributes=schedule_attributes),
        _raw("PPOINTE", "schedule_peak", attributes=schedule_attributes),
    )
}

# Numbered families: (pattern, factory taking the label and its number).
FAMILIES: tuple[tuple[re.Pattern[str], Callable[[str, str], LabelDescription]], ...] = (
    (
        re.compile(r"EASF(\d\d)"),
        lambda k, n: _numbered_index(k, n, IndexFamily.SUPPLIER),
    ),
    (
        re.compile(r"EASD(\d\d)"),
        lambda k, n: _numbered_index(k, n, IndexFamily.DISTRIBUTOR),
    ),
    (
        re.compile(r"ERQ([1-4])"),
        lambda k, n: LabelDescription(
            key=k,
            translation_key="linky_reactive_energy",
            translation_placeholders={"index": n},
            state_class=SensorStateClass.TOTAL_INCREASING,
            native_unit_of_measurement="varh",
            convert=as_int,
            rate=Rate.INDEX,
        ),
    ),
    (re.compile(r"IINST([1-3])"), lambda k, n: _current(k, "current_phase", phase=n)),
    (re.compile(r"IRMS([1-3])"), lambda k, n: _current(k, "current_phase", phase=n)),
    (
        re.compile(r"IMAX([1-3])"),
        lambda k, n: _current(k, "max_current_phase", diagnostic=True, phase=n),
    ),
    (
        re.compile(r"ADIR([1-3])"),
        lambda k, n: LabelDescription(
            key=k,
            translation_key="linky_overcurrent_phase",
            translation_placeholders={"phase": n},
            device_class=SensorDeviceClass.CURRENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            convert=as_int,
            rate=Rate.ALERT,
            transient=True,
        ),
    ),
    (re.compile(r"URMS([1-3])"), lambda k, n: _voltage(k, "voltage_phase", phase=n)),
    (
        re.compile(r"UMOY([1-3])"),
        lambda k, n: _voltage(k, "mean_voltage_phase", timestamp=True, phase=n),
    ),
    (
        re.compile(r"SINSTS([1-3])"),
        lambda k, n: _apparent(k, "apparent_power_phase", phase=n),
    ),
    (
        re.compile(r"SMAXSN([1-3])"),
        lambda k, n: _apparent(k, "max_power_today_phase", timestamp=True, phase=n),
    ),
    (
        re.compile(r"SMAXSN([1-3])-1"),
        lambda k, n: _apparent(k, "max_power_yesterday_phase", timestamp=True, phase=n),
    ),
    (re.compile(r"DPM([1-3])"), lambda k, n: _timestamp(k, "peak_start", index=n)),
    (re.compile(r"FPM([1-3])"), lambda k, n: _timestamp(k, "peak_end", index=n)),
)


def describe(label: str) -> LabelDescription:
    """Return the sensor description of a label (a plain text sensor if unknown)."""
    if (description := FIXED.get(label)) is not None:
        return description
    for pattern, factory in FAMILIES:
        if match := pattern.fullmatch(label):
            return factory(label, str(int(match.group(1))))
    return LabelDescription(
        key=label,
        translation_key="linky_other_label",
        translation_placeholders={"label": label},
        entity_category=EntityCategory.DIAGNOSTIC,
        # Nothing is known of its cadence: written at most like an index.
        rate=Rate.INDEX,
    )
