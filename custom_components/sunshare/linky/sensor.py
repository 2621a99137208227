"""Sensors of a Linky meter: one per label received, derived values and diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfApparentPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from custom_components.sunshare.teleinfo.models import Mode

from . import derived
from .descriptions import IndexFamily, LabelDescription, describe
from .entity import LinkyEntity
from .policy import Rate, Value
from .runtime import LinkyConfigEntry, LinkyRuntime


class LabelSensor(LinkyEntity, SensorEntity):
    """The value of one TIC label."""

    entity_description: LabelDescription

    def __init__(self, runtime: LinkyRuntime, label: str) -> None:
        """Show ``label`` of the meter."""
        description = describe(label)
        super().__init__(runtime, label, description.rate, description.deadband)
        self.entity_description = description
        self.label = label
        if description.index_family is not None and not _index_used(
            runtime, description.index_family, description.index_number
        ):
            # Decided when the entity is first registered, from the frame that
            # brought the label: the user's choice prevails afterwards.
            self._attr_entity_registry_enabled_default = False

    def _has_value(self) -> bool:
        """Return whether the label was received."""
        return self.label in self.runtime.values

    def _value(self) -> Value:
        """Return the label's converted data, or its timestamp."""
        item = self.runtime.values[self.label]
        if self.entity_description.value_is_timestamp:
            return item.timestamp
        return self.entity_description.convert(item.value)

    def _apply(self, value: Value) -> None:
        """Store the value, the group's timestamp and the decoded attributes."""
        self._attr_native_value = value
        description = self.entity_description
        if description.timestamp_attribute:
            stamp = self.runtime.values[self.label].timestamp
            self._attr_extra_state_attributes = {
                "timestamp": stamp.isoformat() if stamp is not None else None
            }
        elif description.attributes is not None:
            raw = self.runtime.values[self.label].value
            self._attr_extra_state_attributes = description.attributes(raw)


def _index_used(runtime: LinkyRuntime, family: IndexFamily, number: int) -> bool:
    """Return whether the contract counts into a numbered index (EASFnn/EASDnn)."""
    if family is IndexFamily.SUPPLIER:
        return derived.supplier_index_used(runtime, number)
    return derived.distributor_index_used(runtime, number)


@dataclass(frozen=True, kw_only=True)
class DerivedSensorDescription(SensorEntityDescription):
    """A sensor computed from several labels or from the link."""

    value_fn: Callable[[LinkyRuntime], Value]
    exists_fn: Callable[[LinkyRuntime], bool]
    rate: Rate = Rate.STATE
    deadband: float | None = None
    link_required: bool = True


def _always(runtime: LinkyRuntime) -> bool:
    """Return True: the entity exists for every meter."""
    return True


def _counter(name: str) -> Callable[[LinkyRuntime], Value]:
    """Return a reader of one decoder counter."""
    return lambda runtime: runtime.counters().get(name, 0)


TEMPO_OPTIONS = [color.value for color in derived.TempoColor]

DERIVED_SENSORS: tuple[DerivedSensorDescription, ...] = (
    DerivedSensorDescription(
        key="net_power",
        translation_key="linky_net_power",
        device_class=SensorDeviceClass.APPARENT_POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfApparentPower.VOLT_AMPERE,
        value_fn=derived.net_power,
        exists_fn=derived.has_injection,
        rate=Rate.MEASUREMENT,
    ),
    DerivedSensorDescription(
        key="tempo_today",
        translation_key="linky_tempo_today",
        device_class=SensorDeviceClass.ENUM,
        options=TEMPO_OPTIONS,
        value_fn=derived.tempo_today,
        exists_fn=derived.is_tempo,
    ),
    DerivedSensorDescription(
        key="tempo_tomorrow",
        translation_key="linky_tempo_tomorrow",
        device_class=SensorDeviceClass.ENUM,
        options=TEMPO_OPTIONS,
        value_fn=derived.tempo_tomorrow,
        exists_fn=derived.is_tempo,
    ),
    DerivedSensorDescription(
        key="mode",
        translation_key="linky_tic_mode",
        device_class=SensorDeviceClass.ENUM,
        options=[mode.value for mode in Mode],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.mode.value if runtime.mode else None,
        exists_fn=_always,
        link_required=False,
    ),
    DerivedSensorDescription(
        key="link_quality",
        translation_key="linky_link_quality",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: round(runtime.link_quality),
        exists_fn=_always,
        rate=Rate.MEASUREMENT,
        deadband=5,
    ),
    DerivedSensorDescription(
        key="checksum_errors",
        translation_key="linky_checksum_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_counter("checksum_errors"),
        exists_fn=_always,
        rate=Rate.INDEX,
        link_required=False,
    ),
    DerivedSensorDescription(
        key="interrupted_frames",
        translation_key="linky_interrupted_frames",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_counter("interrupted"),
        exists_fn=_always,
        rate=Rate.INDEX,
        link_required=False,
    ),
    DerivedSensorDescription(
        key="resyncs",
        translation_key="linky_resyncs",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_counter("resyncs"),
        exists_fn=_always,
        rate=Rate.INDEX,
        link_required=False,
    ),
    DerivedSensorDescription(
        key="frames",
        translation_key="linky_frames",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_counter("frames"),
        exists_fn=_always,
        rate=Rate.INDEX,
        link_required=False,
    ),
)


class DerivedSensor(LinkyEntity, SensorEntity):
    """A value computed from the meter's labels or from the link."""

    entity_description: DerivedSensorDescription

    def __init__(
        self, runtime: LinkyRuntime, description: DerivedSensorDescription
    ) -> None:
        """Compute ``description`` from the meter."""
        super().__init__(
            runtime, description.key, description.rate, description.deadband
        )
        self.entity_description = description

    def _link_required(self) -> bool:
        """Return whether the entity follows the link's availability."""
        return self.entity_description.link_required

    def _has_value(self) -> bool:
        """Return whether the computed value is known."""
        return self.entity_description.value_fn(self.runtime) is not None or (
            not self.entity_description.link_required
        )

    def _value(self) -> Value:
        """Return the computed value."""
        return self.entity_description.value_fn(self.runtime)

    def _apply(self, value: Value) -> None:
        """Store the computed value."""
        self._attr_native_value = value


def add_entities_as_labels_appear(
    runtime: LinkyRuntime,
    *,
    entry: ConfigEntry[Any],
    async_add_entities: AddEntitiesCallback,
    label_factory: Callable[[str], Entity | None],
    derived_descriptions: tuple[Any, ...],
    derived_factory: Callable[[Any], Entity],
) -> None:
    """Add entities for the labels and derived values known now and as they appear."""
    created_labels: set[str] = set()
    created_derived: set[str] = set()

    @callback
    def add_labels(labels: set[str]) -> None:
        """Add an entity for each label not shown yet."""
        entities: list[Entity] = []
        for label in sorted(labels - created_labels):
            created_labels.add(label)
            if (entity := label_factory(label)) is not None:
                entities.append(entity)
        if entities:
            async_add_entities(entities)

    @callback
    def add_derived() -> None:
        """Add the derived entities whose inputs are now present."""
        entities: list[Entity] = []
        for description in derived_descriptions:
            if description.key not in created_derived and description.exists_fn(
                runtime
            ):
                created_derived.add(description.key)
                entities.append(derived_factory(description))
        if entities:
            async_add_entities(entities)

    add_labels(set(runtime.known_labels))
    add_derived()
    entry.async_on_unload(runtime.async_add_label_listener(add_labels))
    entry.async_on_unload(runtime.async_add_listener(add_derived))


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: LinkyConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the sensors of a Linky meter, and more as new labels appear."""
    runtime = entry.runtime_data
    add_entities_as_labels_appear(
        runtime,
        entry=entry,
        async_add_entities=async_add_entities,
        label_factory=lambda label: LabelSensor(runtime, label),
        derived_descriptions=DERIVED_SENSORS,
        derived_factory=lambda description: DerivedSensor(runtime, description),
    )
