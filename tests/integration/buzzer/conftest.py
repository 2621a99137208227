"""Fixtures for the buzzer tests: a simulated chip and a buzzer entry."""

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

LINE = 18
ENTRY_ID = "buzzer01"
START = dt_util.parse_datetime("2026-11-23T18:00:00+00:00")
ENTRY_DATA: dict[str, Any] = {
    CONF_KIND: EntryKind.BUZZER.value,
    "backend": "simulated",
    "chip": "sim0",
    "line": LINE,
    "active_level": "high",
    "name": "Hall buzzer",
}


@pytest.fixture(autouse=True)
def chip() -> Iterator[SimulatedChip]:
    """Return a fresh simulated chip ``sim0`` (forgotten after the test)."""
    reset_simulated_chips()
    yield get_simulated_chip("sim0")
    reset_simulated_chips()


@pytest.fixture
def start(freezer: FrozenDateTimeFactory) -> datetime:
    """Freeze the time at a known instant and return it."""
    assert START is not None
    freezer.move_to(START)
    return START


@pytest.fixture
def mock_entry() -> MockConfigEntry:
    """Return a buzzer entry on the simulated chip."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Hall buzzer",
        data=dict(ENTRY_DATA),
        unique_id=f"gpio:simulated:sim0:{LINE}",
        entry_id=ENTRY_ID,
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, start: datetime, mock_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set the buzzer entry up at the frozen start time."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    return mock_entry
