"""Base entity of a Linky meter: device, availability and the write-rate gate."""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN

from .policy import Rate, Value, WriteGate
from .runtime import LinkyRuntime, device_model


def device_info(runtime: LinkyRuntime) -> DeviceInfo:
    """Return the device of a Linky meter (model decoded from its address)."""
    manufacturer, model = device_model(runtime.address)
    return DeviceInfo(
        identifiers={(DOMAIN, runtime.address)},
        manufacturer=manufacturer,
        model=model,
        serial_number=runtime.address,
        translation_key="linky",
    )


class LinkyEntity(Entity):
    """An entity fed by a Linky meter's frames, written under the rate policy."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_available = False

    def __init__(
        self,
        runtime: LinkyRuntime,
        key: str,
        rate: Rate,
        deadband: float | None = None,
    ) -> None:
        """Attach the entity to a meter under a unique key."""
        self.runtime = runtime
        self._attr_unique_id = f"{runtime.address}_{key}"
        self._attr_device_info = device_info(runtime)
        self._gate = WriteGate(rate, deadband)

    async def async_added_to_hass(self) -> None:
        """Follow the meter's frames and show the values already known."""
        self.async_on_remove(self.runtime.async_add_listener(self._handle_update))
        self._refresh(force=True)

    def _has_value(self) -> bool:
        """Return whether the entity has something to show."""
        return True

    def _value(self) -> Value:
        """Return the value the entity would show now."""
        raise NotImplementedError

    def _apply(self, value: Value) -> None:
        """Store ``value`` as the entity's state before it is written."""
        raise NotImplementedError

    def _link_required(self) -> bool:
        """Return whether the entity is unavailable while the link is lost."""
        return True

    @callback
    def _handle_update(self) -> None:
        """Write the state when availability changes or the policy lets a value out."""
        self._refresh(force=False)

    def _refresh(self, *, force: bool) -> None:
        """Decide whether to write, and write."""
        available = (
            self.runtime.connected or not self._link_required()
        ) and self._has_value()
        if not available:
            if self._attr_available:
                self._attr_available = False
                self._gate.reset()
                if not force:
                    self.async_write_ha_state()
            return
        value = self._value()
        now = dt_util.utcnow().timestamp()
        if not self._attr_available or force:
            self._gate.mark(value, now)
        elif not self._gate.should_write(value, now, self.runtime.policy):
            return
        self._attr_available = True
        self._apply(value)
        if not force:
            # When the entity is being added, Home Assistant writes it right after.
            self.async_write_ha_state()
