"""Tests of load shedding: switch, services, automatic end, restart and fail-safe."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip
from custom_components.sunshare.relay.const import EVENT_SHEDDING_ENDED

from .conftest import ENTRY_ID, LINE, STORE_KEY

SWITCH = "switch.water_heater_load_shedding"
ACTIVE = "binary_sensor.water_heater_shedding_active"
ENERGY = "sensor.water_heater_shed_energy"
END = "sensor.water_heater_shedding_end"
LAST = "sensor.water_heater_last_shedding_event"


def changes(chip: SimulatedChip) -> list[tuple[datetime, bool]]:
    """Return the recorded output changes of the relay line."""
    return [(change.at, change.active) for change in chip.history(LINE)]


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move the frozen clock forward and run what became due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_switch_cuts_and_restores_the_load(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Turning the switch on cuts the load until it is turned off; the event is recorded."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert hass.states.get(ACTIVE).state == STATE_OFF
    assert hass.states.get(LAST).state == STATE_UNKNOWN
    assert chip.output_active(LINE) is False
    assert not chip.level(LINE)

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert hass.states.get(SWITCH).state == STATE_ON
    assert hass.states.get(ACTIVE).state == STATE_ON
    assert chip.level(LINE)  # active high
    # Without a duration the shedding is planned for the maximum time (2 h).
    assert hass.states.get(END).state == (start + timedelta(hours=2)).isoformat()

    await advance(hass, freezer, timedelta(minutes=30))
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert hass.states.get(ACTIVE).state == STATE_OFF
    assert hass.states.get(END).state == STATE_UNKNOWN
    assert changes(chip) == [
        (start, False),
        (start, True),
        (start + timedelta(minutes=30), False),
    ]

    assert len(events) == 1
    data = events[0].data
    assert data == {
        "id": data["id"],
        "entry_id": ENTRY_ID,
        "load": "Water heater",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "duration_s": 1800.0,
        "declared_w": 2000.0,
        "measured_w": None,
        "energy_wh": 1000.0,
        "reason": "requested",
    }
    assert len(data["id"]) == 36  # a UUID
    assert float(hass.states.get(ENERGY).state) == pytest.approx(1.0)
    last = hass.states.get(LAST)
    assert last.state == (start + timedelta(minutes=30)).isoformat()
    assert last.attributes["id"] == data["id"]
    assert last.attributes["energy_wh"] == 1000.0
    assert last.attributes["reason"] == "requested"


async def test_shedding_ends_after_the_requested_duration(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """``shed_load`` with a duration ends by itself at the end of that duration."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await hass.services.async_call(
        DOMAIN,
        "shed_load",
        {"config_entry_id": ENTRY_ID, "duration": {"minutes": 10}},
        blocking=True,
    )
    assert hass.states.get(SWITCH).state == STATE_ON
    await advance(hass, freezer, timedelta(minutes=9, seconds=59))
    assert hass.states.get(SWITCH).state == STATE_ON
    await advance(hass, freezer, timedelta(seconds=1))
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert changes(chip)[-1] == (start + timedelta(minutes=10), False)
    assert [event.data["reason"] for event in events] == ["duration"]
    assert events[0].data["end"] == (start + timedelta(minutes=10)).isoformat()
    assert events[0].data["energy_wh"] == pytest.approx(333.333)


@pytest.mark.parametrize("options", [{"max_duration": 30}])
async def test_shedding_ends_at_the_maximum_time(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A longer request, or a later one moving the end, stops at the maximum time."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await hass.services.async_call(
        DOMAIN,
        "shed_load",
        {"entity_id": SWITCH, "duration": "02:00:00"},
        blocking=True,
    )
    assert hass.states.get(END).state == (start + timedelta(minutes=30)).isoformat()
    await advance(hass, freezer, timedelta(minutes=20))
    # A new request moves the planned end, but never past start + maximum time.
    await hass.services.async_call(
        DOMAIN,
        "shed_load",
        {"entity_id": SWITCH, "duration": {"minutes": 5}},
        blocking=True,
    )
    assert hass.states.get(END).state == (start + timedelta(minutes=25)).isoformat()
    await hass.services.async_call(
        DOMAIN,
        "shed_load",
        {"entity_id": [SWITCH], "duration": {"hours": 1}},
        blocking=True,
    )
    assert hass.states.get(END).state == (start + timedelta(minutes=30)).isoformat()
    await advance(hass, freezer, timedelta(minutes=10))
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert changes(chip) == [
        (start, False),
        (start, True),
        (start + timedelta(minutes=30), False),
    ]
    assert len(events) == 1
    assert events[0].data["reason"] == "max_duration"
    assert events[0].data["duration_s"] == 1800.0


async def test_stop_shedding_service(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
) -> None:
    """``stop_shedding`` restores the load at once; without shedding it does nothing."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await hass.services.async_call(
        DOMAIN, "stop_shedding", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    assert events == []
    await hass.services.async_call(
        DOMAIN, "shed_load", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    await advance(hass, freezer, timedelta(minutes=1))
    await hass.services.async_call(
        DOMAIN, "stop_shedding", {"entity_id": SWITCH}, blocking=True
    )
    assert chip.output_active(LINE) is False
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert [event.data["reason"] for event in events] == ["requested"]
    # The planned end no longer fires.
    await advance(hass, freezer, timedelta(hours=3))
    assert len(events) == 1


async def test_unload_restores_the_load(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Unloading the entry ends the shedding, leaves the line inactive and frees it."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await hass.services.async_call(
        DOMAIN, "shed_load", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    assert chip.consumer(LINE) is not None
    await advance(hass, freezer, timedelta(minutes=6))
    assert await hass.config_entries.async_unload(ENTRY_ID)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert changes(chip)[-1] == (start + timedelta(minutes=6), False)
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None
    assert [event.data["reason"] for event in events] == ["unload"]
    assert events[0].data["energy_wh"] == pytest.approx(200.0)
    assert hass_storage[STORE_KEY]["data"]["active"] is None
    # Nothing fires after the unload.
    await advance(hass, freezer, timedelta(hours=3))
    assert len(events) == 1


@pytest.mark.parametrize(
    "options", [{"max_duration": 120, "startup_state": "powered"}, {}]
)
async def test_active_low_relay(
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
) -> None:
    """An active-low relay board is driven low to cut the load, high to power it."""
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry, data={**mock_entry.data, "active_level": "low"}
    )
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert chip.level(LINE)  # inactive = high
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert not chip.level(LINE)
    assert chip.output_active(LINE) is True
