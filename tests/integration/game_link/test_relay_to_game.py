"""A shedding event of a real (simulated-chip) relay entry reaches the game server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.gpio import reset_simulated_chips
from game_server.models import Season
from tests.game.server import RunningServer

NOW = datetime.fromisoformat("2026-11-23T18:00:00+01:00")
SWITCH = "switch.water_heater_load_shedding"


@pytest.fixture(autouse=True)
def simulated_chip() -> Iterator[None]:
    """Give the relay a fresh simulated GPIO chip."""
    reset_simulated_chips()
    yield
    reset_simulated_chips()


def _relay(hass: HomeAssistant) -> MockConfigEntry:
    """Add a load-shedding relay entry on the simulated chip."""
    relay = MockConfigEntry(
        domain=DOMAIN,
        title="Water heater",
        data={
            CONF_KIND: EntryKind.RELAY.value,
            "backend": "simulated",
            "chip": "sim0",
            "line": 22,
            "active_level": "high",
            "name": "Water heater",
            "declared_power": 2000.0,
        },
        options={"max_duration": 120, "startup_state": "powered"},
        unique_id="gpio:simulated:sim0:22",
    )
    relay.add_to_hass(hass)
    return relay


async def _shed(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Shed the water heater for 45 minutes."""
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    freezer.tick(timedelta(minutes=45))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_relay_shedding_event_is_sent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
) -> None:
    """The relay's ``sunshare_shedding_ended`` event is sent as a shedding event."""
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to(NOW)
    season: Season = await game_server.add_season(
        NOW.date() - timedelta(days=10), NOW.date() + timedelta(days=100)
    )
    assert season.id
    relay = _relay(hass)
    # Setting up the integration sets up both entries.
    assert await hass.config_entries.async_setup(relay.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert game_entry.state is ConfigEntryState.LOADED

    await _shed(hass, freezer)

    events = await game_server.service.storage.list_shedding_events()
    assert [(e.start, e.end, e.declared_w) for e in events] == [
        (NOW, NOW + timedelta(minutes=45), 2000.0)
    ]
    assert game_entry.runtime_data.uploader.as_diagnostics()["pending"] == []


async def test_relay_works_while_the_game_server_is_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
) -> None:
    """The relay is untouched by a game server that is down; its event waits."""
    freezer.move_to(NOW)
    await game_server.server.close()
    relay = _relay(hass)
    assert await hass.config_entries.async_setup(relay.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert relay.state is ConfigEntryState.LOADED
    assert game_entry.state is ConfigEntryState.LOADED

    await _shed(hass, freezer)

    last = hass.states.get("sensor.water_heater_last_shedding_event")
    assert last is not None and last.state != "unknown"
    pending = game_entry.runtime_data.uploader.as_diagnostics()["pending"]
    assert [item["key"].split(":")[0] for item in pending] == ["shedding_event"]
