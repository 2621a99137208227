"""The one reload path of the kinds whose entries have an update listener.

Home Assistant reloads an entry either from its update listener or from the flow that
changed it (``async_update_reload_and_abort``), never both: from 2026.12 a flow may no
longer reload an entry that has an update listener. The Linky meter, the relay and the
game link react to option changes through a listener, so their flows (reconfigure,
reauth, USB rediscovery) only update the entry (``async_update_and_abort``) and the
listener installed here reloads it.

A kind without a listener reloads from its flows (``async_update_reload_and_abort``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant

type OptionsCallback = Callable[[HomeAssistant, ConfigEntry[Any]], Awaitable[None]]


def async_reload_on_change(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    apply_options: OptionsCallback | None = None,
) -> None:
    """Reload ``entry`` when its data or options change, until it is unloaded.

    With ``apply_options``, a change of the options alone is applied by that callback
    instead of a reload (the Linky meter's write-rate policy). Title-only changes and
    updates that change nothing do not reload.
    """
    seen: dict[str, dict[str, Any]] = {
        "data": dict(entry.data),
        "options": dict(entry.options),
    }

    async def on_update(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Reload, or apply new options, after the entry changed."""
        data, options = dict(entry.data), dict(entry.options)
        if data != seen["data"] or (
            options != seen["options"] and apply_options is None
        ):
            hass.config_entries.async_schedule_reload(entry.entry_id)
        elif options != seen["options"] and apply_options is not None:
            seen["options"] = options
            await apply_options(hass, entry)

    entry.async_on_unload(entry.add_update_listener(on_update))


def async_update_and_abort(
    flow: ConfigFlow,
    entry: ConfigEntry[Any],
    *,
    reason: str,
    data: Mapping[str, Any] | None = None,
    data_updates: Mapping[str, Any] | None = None,
    **changes: Any,
) -> ConfigFlowResult:
    """Update an entry whose listener reloads it, and end the flow with ``reason``.

    ``ConfigFlow.async_update_and_abort`` does the same from Home Assistant 2025.5 on;
    this keeps the minimum supported release (2025.4) working. ``changes`` are the other
    keyword arguments of ``ConfigEntries.async_update_entry`` (``title``, ``unique_id``).
    """
    new_data = {**entry.data, **(data_updates or {})} if data is None else dict(data)
    flow.hass.config_entries.async_update_entry(entry, data=new_data, **changes)
    if entry.state in (ConfigEntryState.SETUP_ERROR, ConfigEntryState.SETUP_RETRY):
        # A failed setup left no listener behind: retry it with the new settings.
        flow.hass.config_entries.async_schedule_reload(entry.entry_id)
    return flow.async_abort(reason=reason)
