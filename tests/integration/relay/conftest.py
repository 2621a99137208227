"""Fixtures for the relay tests: a simulated chip and a load-shedding relay entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.gpio import (
    SimulatedChip,
    get_simulated_chip,
    reset_simulated_chips,
)

LINE = 22
ENTRY_ID = "relay01"
STORE_KEY = f"{DOMAIN}.relay.{ENTRY_ID}"
START = dt_util.parse_datetime("2026-11-23T17:00:00+00:00")
ENTRY_DATA: dict[str, Any] = {
    CONF_KIND: EntryKind.RELAY.value,
    "backend": "simulated",
    "chip": "sim0",
    "line": LINE,
    "active_level": "high",
    "name": "Water heater",
    "declared_power": 2000.0,
}


@pytest.fixture(autouse=True)
def chip() -> Iterator[SimulatedChip]:
    """Return a fresh simulated chip ``sim0`` (forgotten after the test)."""
    reset_simulated_chips()
    yield get_simulated_chip("sim0")
    reset_simulated_chips()


@pytest.fixture
def start(freezer: FrozenDateTimeFactory) -> datetime:
    """Freeze the time at a known instant (an evening peak) and return it."""
    assert START is not None
    freezer.move_to(START)
    return START


@pytest.fixture
def options() -> dict[str, Any]:
    """Return the options of the relay entry (tests override it)."""
    return {"max_duration": 120, "startup_state": "powered"}


@pytest.fixture
def mock_entry(options: dict[str, Any]) -> MockConfigEntry:
    """Return a relay entry on the simulated chip."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Water heater",
        data=dict(ENTRY_DATA),
        options=dict(options),
        unique_id=f"gpio:simulated:sim0:{LINE}",
        entry_id=ENTRY_ID,
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, start: datetime, mock_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set the relay entry up at the frozen start time."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    return mock_entry
