"""Tests of the pulse meter sensors: counting, debounce, power, missed pulses, restore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    restore_state,
)
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_restore_state_shutdown_restart,
)

from custom_components.sunshare.gpio import SimulatedChip
from tests.integration.registry import device_by_identifier
from tests.integration.restore import async_restore_states

from .conftest import LINE

ENERGY = "sensor.main_meter_energy"
POWER = "sensor.main_meter_power"
PULSES = "sensor.main_meter_pulses"
MISSED = "sensor.main_meter_missed_pulses"
S = 1_000_000_000


def _value(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state of an entity."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_entities_and_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The entry adds energy, power and two diagnostic sensors on one device."""
    energy = hass.states.get(ENERGY)
    assert energy is not None
    assert energy.state == "0.0"
    assert energy.attributes["unit_of_measurement"] == "Wh"
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["device_class"] == "energy"
    assert _value(hass, POWER) == STATE_UNKNOWN
    assert hass.states.get(POWER).attributes["unit_of_measurement"] == "W"
    for entity_id in (PULSES, MISSED):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.entity_category == "diagnostic"
    assert entity_registry.async_get(ENERGY).unique_id == "pulse01_energy"
    device = device_by_identifier(hass, "pulse01")
    assert device.name == "Main meter"
    assert device.model == "Pulse meter"


async def test_pulses_are_counted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Every pulse on the line adds the energy of one pulse."""
    chip.inject_pulses(LINE, 5, start_ns=10 * S)
    await hass.async_block_till_done()
    assert _value(hass, ENERGY) == "5.0"
    assert _value(hass, PULSES) == "5"
    assert _value(hass, MISSED) == "0"


async def test_contact_bounce_is_debounced(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Bounces shorter than the 20 ms debounce period do not add pulses."""
    ms = 1_000_000
    # Two pulses, each bouncing twice on its falling edge, then a 5 ms glitch.
    for start in (0, 1000):
        for offset, high in ((0, False), (2, True), (3, False), (4, True), (5, False)):
            chip.inject_edge(LINE, high, (start + offset) * ms)
        chip.inject_edge(LINE, True, (start + 60) * ms)
    chip.inject_edge(LINE, False, 3000 * ms)
    chip.inject_edge(LINE, True, 3005 * ms)
    chip.settle(LINE)
    await hass.async_block_till_done()
    assert _value(hass, PULSES) == "2"
    assert _value(hass, ENERGY) == "2.0"


async def test_power_from_interval_and_decay(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power comes from the pulse interval and decays once pulses stop."""
    # 1 Wh every 3.6 s is 1000 W.
    chip.inject_pulses(LINE, 2, start_ns=100 * S, period=timedelta(seconds=3.6))
    await hass.async_block_till_done()
    assert float(_value(hass, POWER)) == 1000.0

    # Within the last interval the power holds.
    freezer.tick(timedelta(seconds=3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert float(_value(hass, POWER)) == 1000.0

    # 10 s without a pulse: at most 1 Wh / 10 s = 360 W.
    freezer.tick(timedelta(seconds=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert float(_value(hass, POWER)) == 360.0

    # It keeps decaying towards 0.
    freezer.tick(timedelta(seconds=3590))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert float(_value(hass, POWER)) == 1.0

    # A new pulse measures the (long) interval: 1 Wh over 3610 s.
    chip.inject_pulses(LINE, 1, start_ns=100 * S + int(3613.6 * S))
    await hass.async_block_till_done()
    assert float(_value(hass, POWER)) == round(3600 / 3610, 1)


async def test_missed_events_from_sequence_gaps(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Events the kernel dropped are counted as pulses and reported as missed."""
    chip.inject_pulses(LINE, 1, start_ns=0)
    chip.lose_events(LINE, 2)
    chip.inject_pulses(LINE, 1, start_ns=3 * 3600 * S // 1000)
    await hass.async_block_till_done()
    assert _value(hass, MISSED) == "2"
    assert _value(hass, PULSES) == "4"
    assert _value(hass, ENERGY) == "4.0"
    # 3 pulses over 10.8 s: 1000 W.
    assert float(_value(hass, POWER)) == 1000.0


async def test_energy_restored_after_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
) -> None:
    """The totals saved before a restart are added to the pulses counted since."""
    await async_restore_states(
        hass,
        hass_storage,
        [
            (
                State(ENERGY, "1234.0"),
                {"energy_wh": 1234.0, "pulses": 1200, "missed": 3},
            )
        ],
    )
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, ENERGY) == "1234.0"
    assert _value(hass, PULSES) == "1200"
    assert _value(hass, MISSED) == "3"
    chip.inject_pulses(LINE, 2, start_ns=0)
    await hass.async_block_till_done()
    assert _value(hass, ENERGY) == "1236.0"
    assert _value(hass, PULSES) == "1202"


async def test_restore_without_extra_data_uses_the_state(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_entry: MockConfigEntry
) -> None:
    """An energy state saved without our extra data is still restored."""
    await async_restore_states(hass, hass_storage, [(State(ENERGY, "77.5"), {"x": 1})])
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, ENERGY) == "77.5"


async def test_unknown_energy_state_restores_zero(
    hass: HomeAssistant, hass_storage: dict[str, Any], mock_entry: MockConfigEntry
) -> None:
    """A saved state that is not a number restores nothing."""
    await async_restore_states(hass, hass_storage, [(State(ENERGY, STATE_UNKNOWN), {})])
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, ENERGY) == "0.0"


async def test_totals_saved_at_shutdown(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
) -> None:
    """Shutting down saves the exact totals, so no pulse is lost or counted twice."""
    chip.inject_pulses(LINE, 3, start_ns=0)
    chip.lose_events(LINE, 1)
    chip.inject_pulses(LINE, 1, start_ns=10 * S)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)

    # What Home Assistant wrote to its restore-state store.
    stored = {
        item["state"]["entity_id"]: item
        for item in hass_storage[restore_state.STORAGE_KEY]["data"]
    }
    assert stored[ENERGY]["state"]["state"] == "5.0"
    assert stored[ENERGY]["extra_data"] == {"energy_wh": 5.0, "pulses": 5, "missed": 1}


async def test_totals_survive_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Reloading the entry keeps the energy counted (no reset, no double count)."""
    chip.inject_pulses(LINE, 3, start_ns=0)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert _value(hass, ENERGY) == "3.0"
    chip.inject_pulses(LINE, 1, start_ns=100 * S)
    await hass.async_block_till_done()
    assert _value(hass, ENERGY) == "4.0"
    assert _value(hass, PULSES) == "4"
