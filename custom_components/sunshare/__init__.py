"""The Sunshare Boxénergie integration: Linky TIC, GPIO devices, Enedis data and the game link."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import handlers  # noqa: F401  # registers every kind's handler
from .const import DOMAIN
from .game_link.card import async_register_card
from .game_link.websocket import async_register_websocket
from .kinds import HANDLERS, handler_for

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the service actions of every kind, the game card and its command."""
    for handler in HANDLERS.values():
        if handler.register_services is not None:
            handler.register_services(hass)
    async_register_websocket(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Set up one Sunshare config entry according to its kind."""
    handler = handler_for(entry)
    await handler.setup_entry(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, list(handler.platforms))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload one Sunshare config entry and release what it holds."""
    handler = handler_for(entry)
    if unloaded := await hass.config_entries.async_unload_platforms(
        entry, list(handler.platforms)
    ):
        await handler.unload_entry(hass, entry)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Delete what a removed entry kept on disk (e.g. the relay's shedding store)."""
    handler = handler_for(entry)
    if handler.remove_entry is not None:
        await handler.remove_entry(hass, entry)
