"""Home Assistant adapter of the Enedis data kind: setup, unload, diagnostics, services."""

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
from homeassistant.helpers import config_validation as cv, issue_registry as ir

from custom_components.sunshare import kinds
from custom_components.sunshare.const import DOMAIN, EntryKind
from custom_components.sunshare.service_target import target_entries, with_target
from custom_components.sunshare.validation import vol

from .api import base_url, create_client
from .backfill import Backfill
from .const import (
    ATTR_PATH,
    ATTR_START,
    CONF_PRM,
    CONF_TOKEN,
    SERVICE_IMPORT_FILE,
    SERVICE_IMPORT_HISTORY,
    Direction,
)
from .coordinator import EnedisCoordinator, stale_issue_id
from .file_import import async_import_file
from .runtime import EnedisConfigEntry, EnedisRuntimeData
from .sensor import async_setup_sensors
from .statistics import SUPPORTS_UNIT_CLASS, StatisticsWriter, statistic_id
from .store import EnedisStore

TO_REDACT = {CONF_TOKEN, CONF_PRM, "title", "unique_id", "statistic_ids"}


async def async_setup_entry(hass: HomeAssistant, entry: EnedisConfigEntry) -> None:
    """Load the saved state, fetch the newest days and resume any history import."""
    store = EnedisStore(hass, entry.entry_id)
    state = await store.async_load()
    # Probe both directions and the load curve again at every start-up.
    state.available = dict.fromkeys(Direction, True)
    state.load_curve = dict.fromkeys(Direction, True)
    coordinator = EnedisCoordinator(
        hass,
        entry,
        client=create_client(hass, entry.data),
        writer=StatisticsWriter(hass, entry.data[CONF_PRM]),
        store=store,
        state=state,
    )
    await coordinator.async_config_entry_first_refresh()
    backfill = Backfill(hass, entry, coordinator)
    entry.runtime_data = EnedisRuntimeData(coordinator=coordinator, backfill=backfill)
    backfill.async_resume()


async def async_unload_entry(hass: HomeAssistant, entry: EnedisConfigEntry) -> None:
    """Stop a planned history-import retry and drop the freshness repair issue.

    The issue is raised again at the next setup if the data is still stale; dropping
    it here means a removed entry leaves no issue behind.
    """
    entry.runtime_data.backfill.async_unload()
    ir.async_delete_issue(hass, DOMAIN, stale_issue_id(entry.entry_id))


async def async_diagnostics(
    hass: HomeAssistant, entry: EnedisConfigEntry
) -> dict[str, Any]:
    """Return the settings (token and PRM redacted), the state and the import."""
    coordinator = entry.runtime_data.coordinator
    state = coordinator.state
    backfill = entry.runtime_data.backfill
    return async_redact_data(
        {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "gateway_url": base_url(entry.data),
            "statistic_ids": [
                statistic_id(coordinator.prm, direction) for direction in Direction
            ],
            "unit_class_supported": SUPPORTS_UNIT_CLASS,
            "state": state.as_dict(),
            "last_attempt": coordinator.last_attempt,
            "next_planned": coordinator.next_planned,
            "last_error": coordinator.last_error,
            "requests": coordinator.client.request_count,
            "rows_written": coordinator.writer.rows_written,
            "import_running": backfill.running,
        },
        TO_REDACT,
    )


IMPORT_HISTORY_SCHEMA = with_target({vol.Optional(ATTR_START): cv.date})
IMPORT_FILE_SCHEMA = with_target({vol.Required(ATTR_PATH): cv.string})


def register_services(hass: HomeAssistant) -> None:
    """Register ``sunshare.import_history`` and ``sunshare.import_file``."""

    async def import_history(call: ServiceCall) -> None:
        """Start (or resume) the history import of the targeted entries."""
        entries: list[EnedisConfigEntry] = target_entries(
            hass, dict(call.data), EntryKind.ENEDIS
        )
        for entry in entries:
            await entry.runtime_data.backfill.async_start(call.data.get(ATTR_START))

    async def import_file(call: ServiceCall) -> ServiceResponse:
        """Import an Enedis CSV export into the targeted entry's statistics."""
        entries: list[EnedisConfigEntry] = target_entries(
            hass, dict(call.data), EntryKind.ENEDIS
        )
        results = {
            entry.entry_id: await async_import_file(hass, entry, call.data[ATTR_PATH])
            for entry in entries
        }
        return {"imports": list(results.values())}

    hass.services.async_register(
        DOMAIN, SERVICE_IMPORT_HISTORY, import_history, schema=IMPORT_HISTORY_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_FILE,
        import_file,
        schema=IMPORT_FILE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def async_remove_entry(hass: HomeAssistant, entry: EnedisConfigEntry) -> None:
    """Delete the saved state (newest days, import progress) of a removed entry."""
    await EnedisStore(hass, entry.entry_id).async_remove()


kinds.register(
    EntryKind.ENEDIS,
    kinds.KindHandler(
        setup_entry=async_setup_entry,
        platforms={Platform.SENSOR: async_setup_sensors},
        unload_entry=async_unload_entry,
        remove_entry=async_remove_entry,
        diagnostics=async_diagnostics,
        register_services=register_services,
    ),
)
