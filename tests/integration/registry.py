"""Registry look-ups that work on every Home Assistant release the suite tests.

``DeviceRegistry.async_get_device`` is deprecated from Home Assistant 2026.10 (device
identifiers are no longer unique across config entries) and its replacements do not
exist in 2025.4, so tests search the devices of Sunshare's entries.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.sunshare.const import DOMAIN


def device_by_identifier(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry:
    """Return the one Sunshare device with this identifier."""
    registry = dr.async_get(hass)
    found = [
        device
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, identifier) in device.identifiers
    ]
    assert len(found) == 1, found
    return found[0]
