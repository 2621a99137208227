"""Diagnostics for Sunshare config entries (each kind redacts its own secrets)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .kinds import entry_kind, handler_for


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    handler = handler_for(entry)
    data: dict[str, Any] = {"kind": entry_kind(entry).value}
    if handler.diagnostics is not None:
        data.update(await handler.diagnostics(hass, entry))
    return data
