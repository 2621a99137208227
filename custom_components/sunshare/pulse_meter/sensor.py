"""Sensors of a pulse meter: energy, power, pulse count and missed pulses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN, MANUFACTURER
from custom_components.sunshare.gpio_entry import CONF_LINE

from .const import POWER_UPDATE_INTERVAL
from .meter import PulseMeter
from .runtime import PulseMeterConfigEntry


def _now() -> float:
    """Return the current time in seconds (follows Home Assistant's clock)."""
    return dt_util.utcnow().timestamp()


@dataclass(frozen=True, kw_only=True)
class PulseSensorDescription(SensorEntityDescription):
    """A pulse meter sensor and how its value is read from the meter."""

    value_fn: Callable[[PulseMeter], float | int | None]


ENERGY = PulseSensorDescription(
    key="energy",
    translation_key="pulse_energy",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
    suggested_display_precision=0,
    value_fn=lambda meter: round(meter.energy_wh, 3),
)
POWER = PulseSensorDescription(
    key="power",
    translation_key="pulse_power",
    device_class=SensorDeviceClass.POWER,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfPower.WATT,
    suggested_display_precision=0,
    value_fn=lambda meter: _rounded(meter.power_w(_now())),
)
PULSES = PulseSensorDescription(
    key="pulses",
    translation_key="pulse_count",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda meter: meter.pulses,
)
MISSED = PulseSensorDescription(
    key="missed_events",
    translation_key="pulse_missed_events",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda meter: meter.missed,
)


def _rounded(value: float | None) -> float | None:
    """Round a power to 0.1 W (finer changes are noise)."""
    return None if value is None else round(value, 1)


@dataclass(frozen=True, slots=True)
class PulseMeterStoredData(ExtraStoredData):
    """Totals of a pulse meter saved across restarts."""

    energy_wh: float
    pulses: int
    missed: int

    def as_dict(self) -> dict[str, Any]:
        """Return the data to store."""
        return {
            "energy_wh": self.energy_wh,
            "pulses": self.pulses,
            "missed": self.missed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self | None:
        """Return the stored data, or None if it is not ours or is damaged."""
        try:
            return cls(
                energy_wh=float(data["energy_wh"]),
                pulses=int(data["pulses"]),
                missed=int(data["missed"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class PulseMeterSensor(SensorEntity):
    """A sensor reading the state of a pulse meter."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: PulseSensorDescription

    def __init__(
        self,
        entry: ConfigEntry[Any],
        meter: PulseMeter,
        description: PulseSensorDescription,
    ) -> None:
        """Describe the sensor and its device."""
        self.entity_description = description
        self.meter = meter
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=MANUFACTURER,
            model="Pulse meter",
            model_id=f"GPIO {entry.data[CONF_LINE]}",
        )

    @property
    def native_value(self) -> float | int | None:
        """Return the value read from the meter."""
        return self.entity_description.value_fn(self.meter)

    async def async_added_to_hass(self) -> None:
        """Write the state after every pulse."""
        await super().async_added_to_hass()
        self.async_on_remove(self.meter.add_listener(self._meter_changed))

    @callback
    def _meter_changed(self) -> None:
        """Write the new state."""
        self.async_write_ha_state()


class PulseEnergySensor(PulseMeterSensor, RestoreEntity):
    """The energy counted; its totals are restored after a restart."""

    async def async_added_to_hass(self) -> None:
        """Add the totals saved before the restart to the pulses counted since."""
        await super().async_added_to_hass()
        if (extra := await self.async_get_last_extra_data()) is not None and (
            stored := PulseMeterStoredData.from_dict(extra.as_dict())
        ) is not None:
            self.meter.restore(stored.energy_wh, stored.pulses, stored.missed)
        elif (state := await self.async_get_last_state()) is not None:
            try:
                energy = float(state.state)
            except ValueError:
                energy = 0.0
            self.meter.restore(energy, 0, 0)
        else:
            self.meter.restore(0.0, 0, 0)

    @property
    def extra_restore_state_data(self) -> PulseMeterStoredData:
        """Return the totals to save."""
        return PulseMeterStoredData(
            energy_wh=self.meter.energy_wh,
            pulses=self.meter.pulses,
            missed=self.meter.missed,
        )


class PulsePowerSensor(PulseMeterSensor):
    """The power from the pulse interval, decaying while pulses are missing."""

    _value: float | int | None = None

    @property
    def native_value(self) -> float | int | None:
        """Return the power computed at the last pulse or decay check."""
        return self._value

    async def async_added_to_hass(self) -> None:
        """Re-evaluate the decay regularly."""
        self._value = self.entity_description.value_fn(self.meter)
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_time_interval(self.hass, self._tick, POWER_UPDATE_INTERVAL)
        )

    @callback
    def _meter_changed(self) -> None:
        """Compute the power after a pulse and write it."""
        self._value = self.entity_description.value_fn(self.meter)
        self.async_write_ha_state()

    @callback
    def _tick(self, now: datetime) -> None:
        """Write the state if the decayed power changed."""
        value = self.entity_description.value_fn(self.meter)
        if value != self._value:
            self._value = value
            self.async_write_ha_state()


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the sensors of a pulse meter entry."""
    runtime_entry: PulseMeterConfigEntry = entry
    meter = runtime_entry.runtime_data.meter
    async_add_entities(
        [
            PulseEnergySensor(entry, meter, ENERGY),
            PulsePowerSensor(entry, meter, POWER),
            PulseMeterSensor(entry, meter, PULSES),
            PulseMeterSensor(entry, meter, MISSED),
        ]
    )
