"""Count the setups of config entries, to see how often a flow reloads an entry.

Home Assistant 2026.12 refuses ``async_update_reload_and_abort`` on an entry with an
update listener. The Linky meter, the relay and the game link have one (options), so
their reconfigure, reauth and USB-rediscovery flows only update the entry and the
listener reloads it. Their ``test_reload.py`` load the entry first, as a user has it,
and check it is reloaded exactly once, on the new settings (the deprecation watch fails
them if Home Assistant reports the flow).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest


class ReloadCounter:
    """Count the setups of entries (each reload is one more)."""

    def __init__(self, hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap the config entries' setup."""
        self.setups: list[str] = []
        original = hass.config_entries.async_setup

        async def counted(entry_id: str, *args: Any, **kwargs: Any) -> bool:
            """Count, then set up."""
            self.setups.append(entry_id)
            return await original(entry_id, *args, **kwargs)

        monkeypatch.setattr(hass.config_entries, "async_setup", counted)


async def load(hass: HomeAssistant, entry: ConfigEntry[Any]) -> Any:
    """Set up an entry; return its runtime data."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry.runtime_data
