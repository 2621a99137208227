"""Home Assistant adapter of the Linky meter kind: setup, unload, diagnostics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.sunshare import kinds
from custom_components.sunshare.config_flow import OPTIONS_FLOWS
from custom_components.sunshare.const import EntryKind
from custom_components.sunshare.entry_updates import async_reload_on_change

from .binary_sensor import async_setup_binary_sensors
from .flow import options_flow
from .issues import async_clear_no_frame_issue
from .runtime import LinkyConfigEntry, LinkyRuntime, rate_policy
from .sensor import DERIVED_SENSORS, async_setup_sensors

REDACTED_LABELS = {"ADCO", "ADSC", "PRM"}
TO_REDACT = {*REDACTED_LABELS, "unique_id", "serial_number", "address", "title"}
_DERIVED_KEYS = {description.key for description in DERIVED_SENSORS}


def registered_labels(hass: HomeAssistant, entry: LinkyConfigEntry) -> set[str]:
    """Return the labels whose sensors were registered before (to show them at once)."""
    prefix = f"{entry.unique_id}_"
    labels = set()
    for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if item.domain == Platform.SENSOR and item.unique_id.startswith(prefix):
            key = item.unique_id.removeprefix(prefix)
            if key not in _DERIVED_KEYS:
                labels.add(key)
    return labels


async def async_setup_entry(hass: HomeAssistant, entry: LinkyConfigEntry) -> None:
    """Start reading the meter; the reader reconnects by itself if the line fails."""
    runtime = LinkyRuntime(hass, entry, str(entry.unique_id))
    runtime.known_labels |= registered_labels(hass, entry)
    entry.runtime_data = runtime
    async_reload_on_change(hass, entry, async_options_updated)

    async def stop_reading(event: Event) -> None:
        """Close the line when Home Assistant stops."""
        await runtime.stop()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop_reading)
    )
    runtime.start()


async def async_options_updated(hass: HomeAssistant, entry: LinkyConfigEntry) -> None:
    """Apply a new write-rate policy without reopening the line."""
    entry.runtime_data.policy = rate_policy(dict(entry.options))


async def async_unload_entry(hass: HomeAssistant, entry: LinkyConfigEntry) -> None:
    """Stop the reader, close the line and drop the no-frame repair issue.

    The issue is raised again after the next setup if frames are still missing;
    dropping it here means a removed entry leaves no issue behind.
    """
    await entry.runtime_data.stop()
    async_clear_no_frame_issue(hass, entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: LinkyConfigEntry) -> None:
    """Drop the no-frame repair issue of a removed entry (also if it was not loaded)."""
    async_clear_no_frame_issue(hass, entry.entry_id)


async def async_diagnostics(
    hass: HomeAssistant, entry: LinkyConfigEntry
) -> dict[str, Any]:
    """Return the link state, counters and last values, meter identifiers redacted."""
    runtime = entry.runtime_data
    reader = runtime.reader
    values = {
        label: {
            "value": item.value,
            "timestamp": item.timestamp.isoformat() if item.timestamp else None,
        }
        for label, item in sorted(runtime.values.items())
    }
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "link": {
                "connected": runtime.connected,
                "link_up": runtime.link_up,
                "no_frame_issue": runtime.no_frame_issue,
                "configured_mode": entry.data.get("mode"),
                "detected_mode": runtime.mode.value if runtime.mode else None,
                "baudrate": reader.receiver.baudrate,
                "last_problem": runtime.last_problem,
                "link_quality": round(runtime.link_quality, 1),
                "frames": runtime.frames,
                "short_frames": runtime.short_frames,
                "stats": asdict(reader.stats),
            },
            "counters": runtime.counters(),
            "policy": asdict(runtime.policy),
            "values": values,
        },
        TO_REDACT,
    )


OPTIONS_FLOWS[EntryKind.LINKY] = options_flow
kinds.register(
    EntryKind.LINKY,
    kinds.KindHandler(
        setup_entry=async_setup_entry,
        platforms={
            Platform.SENSOR: async_setup_sensors,
            Platform.BINARY_SENSOR: async_setup_binary_sensors,
        },
        unload_entry=async_unload_entry,
        remove_entry=async_remove_entry,
        diagnostics=async_diagnostics,
    ),
)
