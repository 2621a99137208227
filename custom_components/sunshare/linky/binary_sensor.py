"""Binary sensors of a Linky meter: link, over-power, mobile peaks, producer, clock, contact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from . import derived
from .entity import LinkyEntity
from .policy import Rate, Value
from .runtime import LinkyConfigEntry, LinkyRuntime
from .sensor import add_entities_as_labels_appear


@dataclass(frozen=True, kw_only=True)
class LinkyBinaryDescription(BinarySensorEntityDescription):
    """A binary sensor computed from the meter's labels (pushed at once: alerts)."""

    value_fn: Callable[[LinkyRuntime], bool | None]
    exists_fn: Callable[[LinkyRuntime], bool]
    link_required: bool = True
    """Whether the entity is unavailable while the link is lost (if not, it shows the
    link itself and also follows the watchdog that turns it off when frames stop)."""


def _always(runtime: LinkyRuntime) -> bool:
    """Return True: the entity exists for every meter."""
    return True


BINARY_SENSORS: tuple[LinkyBinaryDescription, ...] = (
    LinkyBinaryDescription(
        key="link",
        translation_key="linky_link",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.link_up,
        exists_fn=_always,
        link_required=False,
    ),
    LinkyBinaryDescription(
        key="over_power",
        translation_key="linky_over_power",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=derived.over_power,
        exists_fn=derived.has_current,
    ),
    LinkyBinaryDescription(
        key="peak_notice",
        translation_key="linky_peak_notice",
        value_fn=derived.peak_notice,
        exists_fn=derived.has_peaks,
    ),
    LinkyBinaryDescription(
        key="peak_active",
        translation_key="linky_peak_active",
        value_fn=derived.peak_active,
        exists_fn=derived.has_peaks,
    ),
    LinkyBinaryDescription(
        key="producer",
        translation_key="linky_producer",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=derived.producer,
        exists_fn=derived.has_status,
    ),
    LinkyBinaryDescription(
        key="clock_degraded",
        translation_key="linky_clock_degraded",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=derived.clock_degraded,
        exists_fn=derived.has_status,
    ),
    LinkyBinaryDescription(
        key="dry_contact",
        translation_key="linky_dry_contact",
        value_fn=derived.dry_contact_closed,
        exists_fn=derived.has_status,
    ),
)


class LinkyBinarySensor(LinkyEntity, BinarySensorEntity):
    """An alert or status of the meter."""

    entity_description: LinkyBinaryDescription

    def __init__(
        self, runtime: LinkyRuntime, description: LinkyBinaryDescription
    ) -> None:
        """Compute ``description`` from the meter."""
        super().__init__(runtime, description.key, Rate.ALERT)
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        """Follow the frames, and the link watchdog for the link sensor."""
        await super().async_added_to_hass()
        if not self.entity_description.link_required:
            self.async_on_remove(
                self.runtime.async_add_link_listener(self._handle_update)
            )

    def _link_required(self) -> bool:
        """Return whether the entity follows the link's availability."""
        return self.entity_description.link_required

    def _has_value(self) -> bool:
        """Return whether the status is known."""
        return self.entity_description.value_fn(self.runtime) is not None

    def _value(self) -> Value:
        """Return the status."""
        return self.entity_description.value_fn(self.runtime)

    def _apply(self, value: Value) -> None:
        """Store the status."""
        self._attr_is_on = bool(value)


async def async_setup_binary_sensors(
    hass: HomeAssistant,
    entry: LinkyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the binary sensors of a Linky meter as their inputs appear."""
    runtime = entry.runtime_data
    add_entities_as_labels_appear(
        runtime,
        entry=entry,
        async_add_entities=async_add_entities,
        label_factory=lambda label: None,
        derived_descriptions=BINARY_SENSORS,
        derived_factory=lambda description: LinkyBinarySensor(runtime, description),
    )
