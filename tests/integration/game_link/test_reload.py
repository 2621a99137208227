"""Reauth reloads a loaded game link once, with the new token."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from game_server.models import User
from tests.game.server import PASSWORD, RunningServer
from tests.integration.reloads import ReloadCounter, load

from .conftest import signed_in_entry


async def test_game_reauth_of_a_loaded_entry(
    hass: HomeAssistant,
    game_server: RunningServer,
    player: User,
    reloads: ReloadCounter,
) -> None:
    """A new token reloads the loaded game link once, and it uses the new token."""
    entry = await signed_in_entry(hass, game_server, player, {})
    before = await load(hass, entry)
    await game_server.revoke_tokens(player)
    reloads.setups.clear()

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": PASSWORD}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert reloads.setups == [entry.entry_id]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    assert entry.runtime_data.client.token == entry.data["token"]
    await hass.config_entries.async_unload(entry.entry_id)
