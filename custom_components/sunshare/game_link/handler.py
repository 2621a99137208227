"""Home Assistant adapter of the game link kind: setup, unload, diagnostics, services."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.json import JsonValueType

from custom_components.sunshare import kinds
from custom_components.sunshare.config_flow import OPTIONS_FLOWS
from custom_components.sunshare.const import DOMAIN, EntryKind
from custom_components.sunshare.entry_updates import async_reload_on_change
from custom_components.sunshare.game import GameClient
from custom_components.sunshare.service_target import target_entries, with_target
from custom_components.sunshare.validation import vol

from .actions import async_declare_action, async_setup_button, async_setup_select
from .calendar import async_setup_calendar
from .const import (
    ATTR_ACTION_ID,
    ATTR_DATE,
    ATTR_EVIDENCE,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    SERVICE_DECLARE_ACTION,
)
from .coordinator import GameCoordinator
from .event import async_setup_event
from .flow import GameOptionsFlow
from .runtime import GameConfigEntry, GameRuntimeData
from .sensor import async_setup_sensors
from .uploader import Uploader, async_energy_sources

TO_REDACT = {
    CONF_TOKEN,
    CONF_USERNAME,
    "title",
    "unique_id",
    "prm",
    "display_name",
    "city",
    "postcode",
}


async def async_setup_entry(hass: HomeAssistant, entry: GameConfigEntry) -> None:
    """Poll the game server and start the uploads (even while the server is down)."""
    client = GameClient(
        async_get_clientsession(hass), entry.data[CONF_URL], entry.data[CONF_TOKEN]
    )
    coordinator = GameCoordinator(hass, entry, client)
    uploader = Uploader(
        hass,
        entry,
        client,
        lambda: coordinator.data.me if coordinator.data else None,
    )
    await uploader.async_load()
    entry.runtime_data = GameRuntimeData(
        client=client, coordinator=coordinator, uploader=uploader
    )
    # A server that is down must not keep the entry from loading: the uploads queue up
    # and the game entities stay unavailable until a poll succeeds. A refused token
    # starts the reauth flow.
    await coordinator.async_refresh()
    coordinator.online_listeners.append(uploader.async_server_back)
    uploader.async_start()
    entry.async_on_unload(uploader.async_stop)
    # Other energy sources (options) or a new token (reauth) reload the entry.
    async_reload_on_change(hass, entry)


async def async_diagnostics(
    hass: HomeAssistant, entry: GameConfigEntry
) -> dict[str, Any]:
    """Return the settings (token redacted), the last poll and the outbox."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    sources = await async_energy_sources(hass, dict(entry.options))
    return async_redact_data(
        {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "options": dict(entry.options),
            "energy_sources": {
                "grid_import": list(sources.grid_import),
                "grid_export": list(sources.grid_export),
                "solar": list(sources.solar),
                "battery_charge": list(sources.battery_charge),
                "battery_discharge": list(sources.battery_discharge),
                "temperature": sources.temperature,
            },
            "last_update_success": coordinator.last_update_success,
            "last_exception": repr(coordinator.last_exception)
            if coordinator.last_exception
            else None,
            "me": data.me if data else None,
            "score": data.score if data else None,
            "peak_events": [
                {"id": p.id, "start": p.start.isoformat(), "end": p.end.isoformat()}
                for p in (data.peak_events if data else [])
            ],
            "uploads": runtime.uploader.as_diagnostics(),
        },
        TO_REDACT,
    )


DECLARE_ACTION_SCHEMA = with_target(
    {
        vol.Required(ATTR_ACTION_ID): cv.string,
        vol.Required(ATTR_DATE): cv.date,
        vol.Optional(ATTR_EVIDENCE): cv.string,
    }
)


def register_services(hass: HomeAssistant) -> None:
    """Register ``sunshare.declare_action``."""

    async def declare_action(call: ServiceCall) -> ServiceResponse:
        """Declare an energy-saving action to the targeted game entries."""
        entries: list[GameConfigEntry] = target_entries(
            hass, dict(call.data), EntryKind.GAME
        )
        results: list[JsonValueType] = []
        for entry in entries:
            delivered = await async_declare_action(
                hass,
                entry,
                call.data[ATTR_ACTION_ID],
                call.data[ATTR_DATE],
                call.data.get(ATTR_EVIDENCE),
            )
            results.append(
                {
                    "config_entry_id": entry.entry_id,
                    "status": "sent" if delivered else "queued",
                }
            )
        return {"results": results}

    hass.services.async_register(
        DOMAIN,
        SERVICE_DECLARE_ACTION,
        declare_action,
        schema=DECLARE_ACTION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


kinds.register(
    EntryKind.GAME,
    kinds.KindHandler(
        setup_entry=async_setup_entry,
        platforms={
            Platform.SENSOR: async_setup_sensors,
            Platform.CALENDAR: async_setup_calendar,
            Platform.EVENT: async_setup_event,
            Platform.SELECT: async_setup_select,
            Platform.BUTTON: async_setup_button,
        },
        diagnostics=async_diagnostics,
        register_services=register_services,
    ),
)
OPTIONS_FLOWS[EntryKind.GAME] = lambda entry: GameOptionsFlow()
