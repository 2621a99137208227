"""Fixtures for the pulse meter tests: a simulated chip and a pulse meter entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.gpio import (
    SimulatedChip,
    get_simulated_chip,
    reset_simulated_chips,
)

LINE = 17
ENTRY_DATA: dict[str, Any] = {
    CONF_KIND: EntryKind.PULSE_METER.value,
    "backend": "simulated",
    "chip": "sim0",
    "line": LINE,
    "energy_per_pulse": 1.0,
    "edge": "falling",
    "debounce": 20,
    "name": "Main meter",
}


@pytest.fixture(autouse=True)
def chip() -> Iterator[SimulatedChip]:
    """Return a fresh simulated chip ``sim0`` (forgotten after the test)."""
    reset_simulated_chips()
    yield get_simulated_chip("sim0")
    reset_simulated_chips()


@pytest.fixture
def mock_entry() -> MockConfigEntry:
    """Return a pulse meter entry on the simulated chip."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Main meter",
        data=dict(ENTRY_DATA),
        unique_id=f"gpio:simulated:sim0:{LINE}",
        entry_id="pulse01",
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set the pulse meter entry up."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    return mock_entry
