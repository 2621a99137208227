"""Reconfigure retries a relay whose setup failed, on its new line."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.gpio import SimulatedChip
from tests.integration.reloads import ReloadCounter


async def test_relay_reconfigure_retries_a_failed_setup(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    reloads: ReloadCounter,
) -> None:
    """A relay whose line was busy (setup retrying) is set up on its new line."""
    mock_entry.add_to_hass(hass)
    chip.claim_external(mock_entry.data["line"])
    assert not await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.SETUP_RETRY
    reloads.setups.clear()

    result = await mock_entry.start_reconfigure_flow(hass)
    new_line = mock_entry.data["line"] + 1
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_form(mock_entry), "line": new_line}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert reloads.setups == [mock_entry.entry_id]
    assert mock_entry.state is ConfigEntryState.LOADED
    assert chip.consumer(new_line) == "sunshare"
    await hass.config_entries.async_unload(mock_entry.entry_id)


def _form(entry: MockConfigEntry) -> dict[str, Any]:
    """Return the entry's settings as the reconfigure form has them."""
    return {key: value for key, value in entry.data.items() if key != "kind"}
