"""Tests of load shedding across a Home Assistant restart and of the start-up state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip
from custom_components.sunshare.relay.const import EVENT_SHEDDING_ENDED

from .conftest import ENTRY_ID, LINE, STORE_KEY
from .test_shedding import ENERGY, LAST, SWITCH, advance, changes


def stored(active: dict[str, Any] | None, total_wh: float = 0.0) -> dict[str, Any]:
    """Return the store file of a relay entry."""
    return {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {"active": active, "total_energy_wh": total_wh, "last_event": None},
    }


def active_event(
    start: datetime,
    planned_end: datetime,
    interrupted_at: datetime | None,
    *,
    max_minutes: int = 120,
) -> dict[str, Any]:
    """Return a stored shedding event in progress."""
    return {
        "id": "7b0c1f2e-0d1c-4e55-9a77-0a7a4f3f1a01",
        "start": start.isoformat(),
        "planned_end": planned_end.isoformat(),
        "max_end": (start + timedelta(minutes=max_minutes)).isoformat(),
        "declared_w": 2000.0,
        "power_before_w": None,
        "measured_w": None,
        "measured": False,
        "paused_s": 0.0,
        "interrupted_at": None
        if interrupted_at is None
        else interrupted_at.isoformat(),
    }


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set an entry up (Home Assistant starting)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_shedding_resumes_after_a_restart(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A shedding event whose planned end is still ahead resumes, then ends on time."""
    began = start - timedelta(minutes=10)
    planned_end = start + timedelta(minutes=20)
    hass_storage[STORE_KEY] = stored(
        active_event(began, planned_end, start - timedelta(minutes=1)), total_wh=500.0
    )
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await setup(hass, mock_entry)
    # The line is requested directly active: no glitch of the load.
    assert changes(chip) == [(start, True)]
    assert hass.states.get(SWITCH).state == STATE_ON
    assert float(hass.states.get(ENERGY).state) == pytest.approx(0.5)
    assert hass_storage[STORE_KEY]["data"]["active"]["interrupted_at"] is None

    await advance(hass, freezer, timedelta(minutes=20))
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert changes(chip) == [(start, True), (planned_end, False)]
    assert len(events) == 1
    data = events[0].data
    assert data["id"] == "7b0c1f2e-0d1c-4e55-9a77-0a7a4f3f1a01"
    assert data["start"] == began.isoformat()
    assert data["end"] == planned_end.isoformat()
    assert data["reason"] == "duration"
    # 30 min from start to end, minus the minute Home Assistant was stopped.
    assert data["duration_s"] == 29 * 60
    assert data["energy_wh"] == pytest.approx(2000 * 29 / 60, abs=0.001)
    assert float(hass.states.get(ENERGY).state) == pytest.approx(0.5 + 2 * 29 / 60)


async def test_shedding_past_its_end_is_closed_on_start(
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_storage: dict[str, Any],
) -> None:
    """If the planned end passed while stopped, the load stays powered; event recorded."""
    began = start - timedelta(hours=3)
    stopped = start - timedelta(hours=2, minutes=30)
    hass_storage[STORE_KEY] = stored(
        active_event(began, began + timedelta(hours=2), stopped)
    )
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await setup(hass, mock_entry)
    assert changes(chip) == [(start, False)]
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert len(events) == 1
    # The relay was released when Home Assistant stopped: that is the real end.
    assert events[0].data["end"] == stopped.isoformat()
    assert events[0].data["reason"] == "max_duration"
    assert events[0].data["duration_s"] == 30 * 60
    assert hass.states.get(LAST).attributes["id"] == events[0].data["id"]
    assert hass_storage[STORE_KEY]["data"]["active"] is None


async def test_stop_and_start_again_round_trip(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Stopping Home Assistant releases the relay and keeps the event to resume."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await hass.services.async_call(
        DOMAIN,
        "shed_load",
        {"config_entry_id": ENTRY_ID, "duration": {"minutes": 45}},
        blocking=True,
    )
    await advance(hass, freezer, timedelta(minutes=15))
    # What the EVENT_HOMEASSISTANT_STOP listener does.
    await loaded_entry.runtime_data.shedder.async_stop_for_shutdown()
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None
    # The entry being unloaded afterwards does not end the open event.
    assert await hass.config_entries.async_unload(ENTRY_ID)
    assert events == []

    await advance(hass, freezer, timedelta(minutes=5))  # Home Assistant is down
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH).state == STATE_ON
    assert chip.level(LINE)
    await advance(hass, freezer, timedelta(minutes=25))
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert changes(chip) == [
        (start, False),
        (start, True),
        (start + timedelta(minutes=15), False),
        (start + timedelta(minutes=20), True),
        (start + timedelta(minutes=45), False),
    ]
    assert len(events) == 1
    assert events[0].data["duration_s"] == 40 * 60
    assert events[0].data["reason"] == "duration"


async def test_stop_listener_releases_the_relay(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_storage: dict[str, Any],
) -> None:
    """The Home Assistant stop event releases the relay (load powered)."""
    await hass.services.async_call(
        DOMAIN, "shed_load", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    assert chip.level(LINE)
    await hass.async_stop()
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None
    assert hass_storage[STORE_KEY]["data"]["active"]["interrupted_at"] is not None


@pytest.mark.parametrize("options", [{"max_duration": 60, "startup_state": "shedding"}])
async def test_startup_state_shedding(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With "load cut" on start-up, a shedding starts and ends at the maximum time."""
    assert changes(chip) == [(start, True)]
    assert hass.states.get(SWITCH).state == STATE_ON
    await advance(hass, freezer, timedelta(hours=1))
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert changes(chip) == [(start, True), (start + timedelta(hours=1), False)]


async def test_corrupt_record_is_ignored(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stored event that cannot be read never keeps the load cut."""
    hass_storage[STORE_KEY] = stored({"id": "x", "start": "not a date"})
    await setup(hass, mock_entry)
    assert changes(chip) == [(start, False)]
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert "corrupt shedding record" in caplog.text


@pytest.mark.parametrize("options", [{"max_duration": 30}])
async def test_lowered_maximum_applies_to_a_restored_event(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A restored event ends at its start plus the current maximum shedding time."""
    began = start - timedelta(minutes=10)
    hass_storage[STORE_KEY] = stored(
        active_event(began, start + timedelta(minutes=50), None)
    )
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await setup(hass, mock_entry)
    assert hass.states.get(SWITCH).state == STATE_ON
    await advance(hass, freezer, timedelta(minutes=20))
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert events[0].data["end"] == (began + timedelta(minutes=30)).isoformat()
    assert events[0].data["reason"] == "max_duration"
    assert changes(chip) == [(start, True), (start + timedelta(minutes=20), False)]


async def test_removing_the_entry_deletes_its_store(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    chip: SimulatedChip,
) -> None:
    """Removing a relay entry restores the loads and deletes its shedding store."""
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": "switch.water_heater_load_shedding"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert STORE_KEY in hass_storage
    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert STORE_KEY not in hass_storage
    assert chip.history(LINE)[-1].active is False
