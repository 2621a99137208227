"""Seed Home Assistant's restore-state store as a restart would find it.

The test plugin's ``mock_restore_cache*`` helpers fill ``RestoreStateData.last_states``,
which Home Assistant 2026.11 replaced (states are now kept per entity registry id). Tests
write the stored states where Home Assistant keeps them, the ``core.restore_state``
store, and load it through the public ``RestoreStateData.async_load``: the path a real
restart takes, on every release.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import restore_state
from homeassistant.util import dt as dt_util


async def async_restore_states(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    items: list[tuple[State, dict[str, Any] | None]],
) -> None:
    """Store ``(state, extra data)`` pairs and load them as saved before a restart."""
    hass_storage[restore_state.STORAGE_KEY] = {
        "version": restore_state.STORAGE_VERSION,
        "key": restore_state.STORAGE_KEY,
        "data": [
            {
                "state": state.as_dict(),
                "extra_data": extra,
                "last_seen": dt_util.utcnow().isoformat(),
            }
            for state, extra in items
        ],
    }
    await restore_state.async_get(hass).async_load()
