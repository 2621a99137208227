"""Sensors of the Enedis data kind: yesterday's energy, newest day, history import."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN

from .const import Direction
from .coordinator import EnedisCoordinator, paris_today
from .runtime import EnedisConfigEntry
from .store import EnedisState


def _yesterday() -> date:
    """Return yesterday's Europe/Paris day."""
    return paris_today(dt_util.utcnow()) - timedelta(days=1)


def _yesterday_kwh(direction: Direction) -> Callable[[EnedisState], float | None]:
    """Return the function reading yesterday's energy of one direction in kWh."""

    def value(state: EnedisState) -> float | None:
        """Return yesterday's energy in kWh, or None before it arrives."""
        wh = state.totals[direction].get(_yesterday())
        return None if wh is None else round(wh / 1000, 3)

    return value


@dataclass(frozen=True, kw_only=True)
class EnedisSensorDescription(SensorEntityDescription):
    """How one Enedis sensor reads the entry's state."""

    value_fn: Callable[[EnedisState], float | date | None]
    direction: Direction | None = None


SENSORS: tuple[EnedisSensorDescription, ...] = (
    EnedisSensorDescription(
        key="yesterday_consumption",
        translation_key="enedis_yesterday_consumption",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_yesterday_kwh(Direction.CONSUMPTION),
        direction=Direction.CONSUMPTION,
    ),
    EnedisSensorDescription(
        key="yesterday_production",
        translation_key="enedis_yesterday_production",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_yesterday_kwh(Direction.PRODUCTION),
        direction=Direction.PRODUCTION,
    ),
    EnedisSensorDescription(
        key="last_day",
        translation_key="enedis_last_day",
        device_class=SensorDeviceClass.DATE,
        value_fn=lambda state: state.last_day,
    ),
)


class EnedisEntity(CoordinatorEntity[EnedisCoordinator]):
    """An entity of an Enedis data entry (one service device per PRM)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: EnedisCoordinator, key: str) -> None:
        """Attach the entity to the entry's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.unique_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"enedis_{coordinator.prm}")},
            name=entry.title,
            manufacturer="Enedis",
            model="Linky metering data",
            entry_type=DeviceEntryType.SERVICE,
        )


class EnedisSensor(EnedisEntity, SensorEntity):
    """A value read from the entry's state."""

    entity_description: EnedisSensorDescription

    def __init__(
        self, coordinator: EnedisCoordinator, description: EnedisSensorDescription
    ) -> None:
        """Create the sensor of one description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        """Refresh "yesterday" sensors on the hour (Paris midnight is on a UTC hour)."""
        await super().async_added_to_hass()
        if self.entity_description.direction is not None:
            self.async_on_remove(
                async_track_time_change(
                    self.hass, self._async_new_hour, minute=0, second=1
                )
            )

    @callback
    def _async_new_hour(self, _now: datetime) -> None:
        """Write the state again: "yesterday" may have changed."""
        self.async_write_ha_state()

    @property
    def native_value(self) -> float | date | None:
        """Return the value from the state."""
        return self.entity_description.value_fn(self.coordinator.state)


class HistoryImportSensor(EnedisEntity, SensorEntity):
    """Progress of the history import (percent of days imported)."""

    _attr_translation_key = "enedis_history_import"
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(
        self, coordinator: EnedisCoordinator, entry: EnedisConfigEntry
    ) -> None:
        """Follow the entry's history import."""
        super().__init__(coordinator, "history_import")
        self._backfill = entry.runtime_data.backfill

    async def async_added_to_hass(self) -> None:
        """Write the state on every progress change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._backfill.async_add_listener(self.async_write_ha_state)
        )

    @property
    def native_value(self) -> float | None:
        """Return the share of days imported, or None before any import."""
        progress = self._backfill.progress
        return None if progress is None else progress.percent

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the period, the next day, the status and the last error."""
        if (progress := self._backfill.progress) is None:
            return None
        return {
            "status": progress.status,
            "start": progress.start.isoformat(),
            "end": progress.end.isoformat(),
            "next_day": progress.cursor.isoformat(),
            "requests": progress.requests,
            "error": progress.error,
        }


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: EnedisConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the sensors of an Enedis data entry."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [
            *(
                EnedisSensor(coordinator, description)
                for description in SENSORS
                if description.direction is None
                or coordinator.state.available[description.direction]
            ),
            HistoryImportSensor(coordinator, entry),
        ]
    )
