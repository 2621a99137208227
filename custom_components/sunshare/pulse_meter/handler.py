"""Home Assistant adapter of the pulse meter kind: setup, unload, diagnostics, services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.sunshare import kinds
from custom_components.sunshare.config_flow import OPTIONS_FLOWS
from custom_components.sunshare.const import DOMAIN, EntryKind
from custom_components.sunshare.gpio import (
    BackendKind,
    Bias,
    Edge,
    EdgeEvent,
    EventClock,
    GpioError,
    InputConfig,
)
from custom_components.sunshare.gpio_entry import (
    CONF_BACKEND,
    CONF_CHIP,
    CONF_LINE,
    async_open_backend,
    raise_setup_error,
)
from custom_components.sunshare.service_target import target_entries, with_target
from custom_components.sunshare.validation import vol

from .config_flow import PulseMeterOptionsFlow
from .const import (
    ATTR_TOTAL,
    CONF_DEBOUNCE,
    CONF_EDGE,
    CONF_ENERGY_PER_PULSE,
    DEFAULT_DEBOUNCE_MS,
    DEFAULT_EDGE,
    DEFAULT_ENERGY_PER_PULSE,
    SERVICE_SET_PULSE_TOTAL,
)
from .meter import PulseMeter
from .runtime import PulseMeterConfigEntry, PulseMeterRuntimeData
from .sensor import async_setup_sensors
from .watch import NoPulseWatch, no_pulse_issue_id


def input_config(data: dict[str, Any]) -> InputConfig:
    """Return the input line settings of a pulse meter entry."""
    return InputConfig(
        line=int(data[CONF_LINE]),
        edge=Edge(data.get(CONF_EDGE, DEFAULT_EDGE)),
        # S0 outputs are open collector: the pull-up gives the idle level.
        bias=Bias.PULL_UP,
        debounce=timedelta(milliseconds=data.get(CONF_DEBOUNCE, DEFAULT_DEBOUNCE_MS)),
        clock=EventClock.MONOTONIC,
    )


async def async_setup_entry(hass: HomeAssistant, entry: PulseMeterConfigEntry) -> None:
    """Request the pulse meter's line and start counting."""
    data = dict(entry.data)
    config = input_config(data)
    try:
        backend = await async_open_backend(
            hass, BackendKind(data[CONF_BACKEND]), data.get(CONF_CHIP)
        )
    except GpioError as err:
        raise_setup_error(err, config.line)

    meter = PulseMeter(
        energy_per_pulse_wh=float(
            data.get(CONF_ENERGY_PER_PULSE, DEFAULT_ENERGY_PER_PULSE)
        )
    )

    @callback
    def on_event(event: EdgeEvent) -> None:
        """Count a pulse (called on the event loop)."""
        meter.handle_event(event, dt_util.utcnow().timestamp())

    try:
        line = backend.request_input(config, on_event)
    except GpioError as err:
        backend.close()
        raise_setup_error(err, config.line)
    watch = NoPulseWatch(hass, entry, meter)
    watch.start()
    entry.runtime_data = PulseMeterRuntimeData(
        backend=backend, line=line, meter=meter, watch=watch
    )


async def async_unload_entry(hass: HomeAssistant, entry: PulseMeterConfigEntry) -> None:
    """Stop the no-pulse watch (dropping its issue), release the line, close the chip."""
    entry.runtime_data.watch.stop()
    entry.runtime_data.line.release()
    entry.runtime_data.backend.close()


async def async_remove_entry(hass: HomeAssistant, entry: PulseMeterConfigEntry) -> None:
    """Drop the no-pulse repair issue of a removed entry (also if it was not loaded)."""
    ir.async_delete_issue(hass, DOMAIN, no_pulse_issue_id(entry.entry_id))


async def async_diagnostics(
    hass: HomeAssistant, entry: PulseMeterConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, the chip, the line level and the meter state."""
    runtime = entry.runtime_data
    try:
        line_active: bool | str = runtime.line.read_active()
    except GpioError as err:
        line_active = f"error: {err}"
    return {
        "title": entry.title,
        "data": dict(entry.data),
        "chip": runtime.backend.describe(),
        "line_active": line_active,
        "line_error": runtime.line.error,
        "meter": runtime.meter.as_dict(dt_util.utcnow().timestamp()),
        "options": dict(entry.options),
        "no_pulse_issue": runtime.watch.raised,
    }


SET_PULSE_TOTAL_SCHEMA = with_target(
    {vol.Required(ATTR_TOTAL): vol.All(vol.Coerce(float), vol.Range(min=0))}
)


def register_services(hass: HomeAssistant) -> None:
    """Register ``sunshare.set_pulse_total``."""

    async def set_pulse_total(call: ServiceCall) -> None:
        """Set a pulse meter's energy to a meter reading given in kWh."""
        for entry in target_entries(hass, dict(call.data), EntryKind.PULSE_METER):
            runtime: PulseMeterRuntimeData = entry.runtime_data
            runtime.meter.set_total(call.data[ATTR_TOTAL] * 1000)

    hass.services.async_register(
        DOMAIN, SERVICE_SET_PULSE_TOTAL, set_pulse_total, schema=SET_PULSE_TOTAL_SCHEMA
    )


OPTIONS_FLOWS[EntryKind.PULSE_METER] = lambda entry: PulseMeterOptionsFlow()
kinds.register(
    EntryKind.PULSE_METER,
    kinds.KindHandler(
        setup_entry=async_setup_entry,
        platforms={Platform.SENSOR: async_setup_sensors},
        unload_entry=async_unload_entry,
        remove_entry=async_remove_entry,
        diagnostics=async_diagnostics,
        register_services=register_services,
    ),
)
