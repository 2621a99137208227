"""Home Assistant adapter of the relay kind: setup, unload, diagnostics, services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from custom_components.sunshare import kinds
from custom_components.sunshare.config_flow import OPTIONS_FLOWS
from custom_components.sunshare.const import DOMAIN, EntryKind
from custom_components.sunshare.entry_updates import async_reload_on_change
from custom_components.sunshare.gpio import BackendKind, GpioError, OutputConfig
from custom_components.sunshare.gpio_entry import (
    CONF_BACKEND,
    CONF_CHIP,
    CONF_LINE,
    async_open_backend,
    raise_setup_error,
)
from custom_components.sunshare.service_target import target_entries, with_target
from custom_components.sunshare.validation import vol

from .const import (
    ATTR_DURATION,
    CONF_ACTIVE_LEVEL,
    CONF_DECLARED_POWER,
    CONF_MAX_DURATION,
    CONF_NAME,
    CONF_POWER_ENTITY,
    CONF_STARTUP_STATE,
    DEFAULT_MAX_DURATION_MIN,
    SERVICE_SHED_LOAD,
    SERVICE_STOP_SHEDDING,
    ActiveLevel,
    StartupState,
)
from .entity import (
    async_setup_binary_sensors,
    async_setup_sensors,
    async_setup_switches,
)
from .flow import RelayOptionsFlow
from .runtime import RelayConfigEntry, RelayRuntimeData
from .shedder import LoadShedder, SheddingSettings, shedding_store


def shedding_settings(entry: RelayConfigEntry) -> SheddingSettings:
    """Return the shedding settings of a relay entry (data, overridden by options)."""
    options = entry.options
    return SheddingSettings(
        entry_id=entry.entry_id,
        load=str(entry.data.get(CONF_NAME) or entry.title),
        declared_w=float(entry.data[CONF_DECLARED_POWER]),
        max_duration=timedelta(
            minutes=float(options.get(CONF_MAX_DURATION, DEFAULT_MAX_DURATION_MIN))
        ),
        power_entity=options.get(CONF_POWER_ENTITY) or None,
    )


async def async_setup_entry(hass: HomeAssistant, entry: RelayConfigEntry) -> None:
    """Request the relay's line in the right state and resume any shedding."""
    data = entry.data
    shedder = LoadShedder(
        hass, shedding_settings(entry), shedding_store(hass, entry.entry_id)
    )
    await shedder.async_load()
    startup = StartupState(entry.options.get(CONF_STARTUP_STATE, StartupState.POWERED))
    shed_on_start = startup is StartupState.SHEDDING
    # Request the line directly in its final state: no glitch of the loads.
    config = OutputConfig(
        line=int(data[CONF_LINE]),
        active_low=data.get(CONF_ACTIVE_LEVEL) == ActiveLevel.LOW,
        initial_active=shedder.should_start_active(dt_util.utcnow())
        or (shedder.active is None and shed_on_start),
    )
    try:
        backend = await async_open_backend(
            hass, BackendKind(data[CONF_BACKEND]), data.get(CONF_CHIP)
        )
    except GpioError as err:
        raise_setup_error(err, config.line)
    try:
        line = backend.request_output(config)
    except GpioError as err:
        backend.close()
        raise_setup_error(err, config.line)
    entry.runtime_data = RelayRuntimeData(backend=backend, shedder=shedder)
    try:
        await shedder.async_start(line, shed_on_start=shed_on_start)
    except Exception:
        # A failed setup is never unloaded: give the line back (loads powered) now.
        shedder.abort_start()
        backend.close()
        raise

    async def on_stop(event: Event) -> None:
        """Release the relay (loads powered) when Home Assistant stops."""
        await shedder.async_stop_for_shutdown()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, on_stop))
    # New options or a reconfigured line reload the entry (ending a shedding).
    async_reload_on_change(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: RelayConfigEntry) -> None:
    """End any shedding (loads powered), release the line and close the chip."""
    try:
        await entry.runtime_data.shedder.async_unload()
    finally:
        entry.runtime_data.backend.close()


async def async_diagnostics(
    hass: HomeAssistant, entry: RelayConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, the chip and the shedder's state."""
    return {
        "title": entry.title,
        "data": dict(entry.data),
        "options": dict(entry.options),
        "chip": entry.runtime_data.backend.describe(),
        "shedder": entry.runtime_data.shedder.diagnostics(),
    }


def _positive(value: timedelta) -> timedelta:
    """Reject a zero duration."""
    if value <= timedelta():
        raise vol.Invalid("the duration must be positive")
    return value


SHED_LOAD_SCHEMA = with_target(
    {vol.Optional(ATTR_DURATION): vol.All(cv.time_period, _positive)}
)
STOP_SHEDDING_SCHEMA = with_target({})


def register_services(hass: HomeAssistant) -> None:
    """Register ``sunshare.shed_load`` and ``sunshare.stop_shedding``."""

    async def shed_load(call: ServiceCall) -> None:
        """Cut the targeted loads for a duration (default: the maximum time)."""
        entries = target_entries(hass, dict(call.data), EntryKind.RELAY)
        for entry in entries:
            await entry.runtime_data.shedder.async_shed(call.data.get(ATTR_DURATION))

    async def stop_shedding(call: ServiceCall) -> None:
        """Restore the targeted loads at once."""
        entries = target_entries(hass, dict(call.data), EntryKind.RELAY)
        for entry in entries:
            await entry.runtime_data.shedder.async_stop()

    hass.services.async_register(
        DOMAIN, SERVICE_SHED_LOAD, shed_load, schema=SHED_LOAD_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_STOP_SHEDDING, stop_shedding, schema=STOP_SHEDDING_SCHEMA
    )


async def async_remove_entry(hass: HomeAssistant, entry: RelayConfigEntry) -> None:
    """Delete the stored shedding state of a removed relay entry."""
    await shedding_store(hass, entry.entry_id).async_remove()


kinds.register(
    EntryKind.RELAY,
    kinds.KindHandler(
        setup_entry=async_setup_entry,
        platforms={
            Platform.SWITCH: async_setup_switches,
            Platform.BINARY_SENSOR: async_setup_binary_sensors,
            Platform.SENSOR: async_setup_sensors,
        },
        unload_entry=async_unload_entry,
        remove_entry=async_remove_entry,
        diagnostics=async_diagnostics,
        register_services=register_services,
    ),
)
OPTIONS_FLOWS[EntryKind.RELAY] = lambda entry: RelayOptionsFlow()
