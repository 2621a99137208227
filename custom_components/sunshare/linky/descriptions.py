"""How each TIC label becomes a Home Assistant sensor: class, unit, rate, conversion.

Every historic and standard label has a description; a label that is not known (a future
one) still gets a plain text sensor so that nothing received is hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import re

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

from .const import CURRENT_DEADBAND
from .policy import Rate

type Converter = Callable[[str], str | int | None]


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


def _energy(key: str, tkey: str, **placeholders: str) -> LabelDescription:
    """Describe an active energy index in Wh (Energy dashboard compatible)."""
    return LabelDescription(
        key=key,
        translation_key=f"linky_{tkey}",
        translation_placeholders=placeholders or None,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_display_precision=0,
        convert=as_int,
        rate=Rate.INDEX,
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
        _text("PPOT", "phase_presence", diagnostic=True),
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
        _text("STGE", "status_register", diagnostic=True),
        _text("MSG1", "message"),
        _text("MSG2", "short_message"),
        _text("PRM", "prm", diagnostic=True, enabled=False),
        _number("RELAIS", "relays", diagnostic=True),
        _number("NTARF", "supplier_index_number"),
        _number("NJOURF", "day_profile_today", diagnostic=True),
        _number("NJOURF+1", "day_profile_tomorrow", diagnostic=True),
        _text("PJOURF+1", "schedule_tomorrow", diagnostic=True),
        _text("PPOINTE", "schedule_peak", diagnostic=True),
    )
}

# Numbered families: (pattern, factory taking the label and its number).
FAMILIES: tuple[tuple[re.Pattern[str], Callable[[str, str], LabelDescription]], ...] = (
    (
        re.compile(r"EASF(\d\d)"),
        lambda k, n: _energy(k, "index_supplier", index=n),
    ),
    (
        re.compile(r"EASD(\d\d)"),
        lambda k, n: _energy(k, "index_distributor", index=n),
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
