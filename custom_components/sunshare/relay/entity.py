"""Entities of a relay entry: the load-shedding switch, its state and its record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchDeviceClass, SwitchEntity
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN, MANUFACTURER
from custom_components.sunshare.gpio_entry import CONF_LINE

from .runtime import RelayConfigEntry
from .shedder import LoadShedder


class RelayEntity(Entity):
    """Base of the entities of a relay entry: device, unique id, updates."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: RelayConfigEntry, key: str) -> None:
        """Bind the entity to its entry's shedder."""
        self._shedder: LoadShedder = entry.runtime_data.shedder
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=MANUFACTURER,
            model="Load-shedding relay",
            model_id=f"GPIO {entry.data[CONF_LINE]}",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the shedder's changes."""
        self.async_on_remove(
            self._shedder.async_add_listener(self.async_write_ha_state)
        )


class LoadSheddingSwitch(RelayEntity, SwitchEntity):
    """On while the loads are cut."""

    _attr_device_class = SwitchDeviceClass.SWITCH

    @property
    def is_on(self) -> bool:
        """Return whether a shedding event is in progress."""
        return self._shedder.active is not None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Cut the loads for the maximum shedding time."""
        await self._shedder.async_shed(None)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Restore the loads."""
        await self._shedder.async_stop()


class SheddingActiveSensor(RelayEntity, BinarySensorEntity):
    """Whether a shedding event is in progress (read-only, for automations)."""

    @property
    def is_on(self) -> bool:
        """Return whether a shedding event is in progress."""
        return self._shedder.active is not None


class SheddingEndSensor(RelayEntity, SensorEntity):
    """When the shedding in progress is planned to end."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """Return the planned end, None when no shedding is in progress."""
        active = self._shedder.active
        return None if active is None else active.planned_end


class ShedEnergySensor(RelayEntity, SensorEntity):
    """Energy not consumed thanks to load shedding, over every event (restored)."""

    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 3

    @property
    def native_value(self) -> float:
        """Return the shed energy in kWh."""
        return round(self._shedder.total_energy_wh / 1000, 6)


class LastSheddingEventSensor(RelayEntity, SensorEntity):
    """The end of the last shedding event, with the event's record as attributes."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """Return when the last event ended."""
        event = self._shedder.last_event
        return None if event is None else dt_util.parse_datetime(event["end"])

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the last event's record."""
        event = self._shedder.last_event
        if event is None:
            return None
        return {key: value for key, value in event.items() if key != "entry_id"}


async def async_setup_switches(
    hass: HomeAssistant, entry: RelayConfigEntry, add: AddEntitiesCallback
) -> None:
    """Add the load-shedding switch."""
    add([LoadSheddingSwitch(entry, "load_shedding")])


async def async_setup_binary_sensors(
    hass: HomeAssistant, entry: RelayConfigEntry, add: AddEntitiesCallback
) -> None:
    """Add the shedding active binary sensor."""
    add([SheddingActiveSensor(entry, "shedding_active")])


async def async_setup_sensors(
    hass: HomeAssistant, entry: RelayConfigEntry, add: AddEntitiesCallback
) -> None:
    """Add the shed energy, planned end and last event sensors."""
    add(
        [
            ShedEnergySensor(entry, "shed_energy"),
            SheddingEndSensor(entry, "shedding_end"),
            LastSheddingEventSensor(entry, "last_shedding_event"),
        ]
    )
