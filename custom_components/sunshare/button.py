"""Sunshare button platform: adds the button entities of each entry's kind."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .kinds import async_setup_kind_platform

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the button entities of a Sunshare config entry."""
    await async_setup_kind_platform(Platform.BUTTON, hass, entry, async_add_entities)
