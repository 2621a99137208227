"""End to end: TIC meter and relay in Home Assistant → game server → score entities.

One Home Assistant test instance runs three Sunshare entries: a Linky meter reading a
real pseudo-terminal fed by the TIC simulator, a load-shedding relay on the simulated
GPIO chip, and a game link entry signed in to the real game server (``create_app`` with
SQLite, served on 127.0.0.1). The game link pushes the day of energy and the relay's
shedding event, the server's scoring job scores them, and the game entry's score
sensors show the points after a coordinator refresh.

The day's energy reaches the game link through the recorder's statistics, as in
production (the Energy dashboard's grid consumption). Compiling a whole day of
statistics from live TIC frames would take a simulated day of frames, so the test
imports the day's hourly statistics under the statistic id of the Linky EAST index
sensor (its entity id, in Wh as the meter counts), ending at the index the simulated meter
sends, and points the Energy dashboard's grid consumption at that statistic. The
shedding event is the real relay entity's: switched on, 45 frozen minutes, switched off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.game_link.energy import day_bounds
from custom_components.sunshare.gpio import reset_simulated_chips
from custom_components.sunshare.linky.runtime import LinkyRuntime
from custom_components.sunshare.teleinfo.models import Mode
from custom_components.sunshare.teleinfo.simulator import Simulator
from game_server.scoring_job import job_for
from tests.game.server import RunningServer, running_game_server
from tests.integration.energy_prefs import preferences
from tests.integration.game_link.conftest import signed_in_entry
from tests.integration.linky.conftest import entity_id, linky_entry, send
from tests.integration.statistics import metadata
from tests.teleinfo.tic_bytes import STANDARD_ADDRESS
from tests.teleinfo.tic_line import Pty, until

SHED_AT = datetime.fromisoformat("2026-11-23T18:00:00+01:00")
"""A Monday of November at 18:00: inside the season's default 18:00-20:00 peak window."""
DAY = date(2026, 11, 22)
"""The complete day of energy the game link pushes."""
WH_PER_HOUR = 500.0
SWITCH = "switch.water_heater_load_shedding"


@pytest.fixture(autouse=True)
def simulated_chip() -> Iterator[None]:
    """Give the relay a fresh simulated GPIO chip."""
    reset_simulated_chips()
    yield
    reset_simulated_chips()


@pytest.fixture
async def game_server(
    real_sockets: None, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    """Run the real game server on 127.0.0.1."""
    async with running_game_server(tmp_path / "server") as server:
        yield server


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[Pty]:
    """Return the pseudo-terminal standing for the TIC dongle."""
    terminal = Pty(tmp_path / "usb-Cartelectronic_TIC-if00")
    yield terminal
    terminal.close()


@pytest.fixture
async def linky(hass: HomeAssistant, pty: Pty) -> AsyncIterator[MockConfigEntry]:
    """Set up the Linky entry and wait until its line is open (before the freezer)."""
    await hass.config.async_set_time_zone("Europe/Paris")
    entry = linky_entry(str(pty.link), STANDARD_ADDRESS, "standard")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    runtime: LinkyRuntime = entry.runtime_data
    await until(lambda: runtime.reader.stats.opens >= 1)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _relay(hass: HomeAssistant) -> MockConfigEntry:
    """Add a 2000 W water-heater relay without a power meter (unmeasured shedding)."""
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


async def _import_day(hass: HomeAssistant, statistic_id: str, end_wh: float) -> None:
    """Import ``DAY``'s hourly statistics of the index, ending at ``end_wh``."""
    start, end = day_bounds(DAY)
    hours = int((end - start) / timedelta(hours=1))
    first = end_wh - hours * WH_PER_HOUR
    rows: list[Any] = [{"start": start - timedelta(hours=1), "sum": first}]
    rows += [
        {"start": start + timedelta(hours=n), "sum": first + (n + 1) * WH_PER_HOUR}
        for n in range(hours)
    ]
    async_import_statistics(
        hass, metadata(statistic_id, "Wh", name="Linky index"), rows
    )
    await async_wait_recording_done(hass)


async def _use_as_grid_import(hass: HomeAssistant, statistic_id: str) -> None:
    """Configure the Energy dashboard's grid consumption with a statistic."""
    manager = await async_get_manager(hass)
    await manager.async_update(preferences([statistic_id]))


async def test_meter_and_relay_data_are_scored_and_shown(
    hass: HomeAssistant,
    linky: MockConfigEntry,
    pty: Pty,
    game_server: RunningServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A day of meter energy and a shedding event end up as points in HA."""
    freezer.move_to(SHED_AT - timedelta(hours=1))
    # The simulated meter sends a frame; the index sensor shows its EAST register.
    meter = Simulator(
        Mode.STANDARD,
        seed=8,
        start=SHED_AT - timedelta(hours=1),
        address=STANDARD_ADDRESS,
    )
    await send(hass, linky, pty, meter.next_frame())
    east = entity_id(hass, "EAST")
    state = hass.states.get(east)
    # Shown in kWh with three decimals: the meter's Wh, exactly.
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "kWh"
    index_wh = float(round(float(state.state) * 1000))
    await _import_day(hass, east, index_wh)
    await _use_as_grid_import(hass, east)

    # The game server: a season from 1 November, Alice in a team.
    season = await game_server.add_season(date(2026, 11, 1), date(2027, 3, 31))
    alice = await game_server.add_player("alice", "Alice")
    await game_server.service.create_team(alice, "Les Watts")
    game = await signed_in_entry(hass, game_server, alice, {})
    relay = _relay(hass)
    assert await hass.config_entries.async_setup(relay.entry_id)
    assert await hass.config_entries.async_setup(game.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert game.state is ConfigEntryState.LOADED

    # The game link caught up with the complete day: 24 h × 0.5 kWh.
    readings = await game_server.service.storage.list_readings(alice.id)
    assert [(r.day, r.import_kwh) for r in readings] == [(DAY, pytest.approx(12.0))]

    # The relay sheds 18:00-18:45; its event goes through the outbox to the server.
    freezer.move_to(SHED_AT)
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
    events = await game_server.service.storage.list_shedding_events(alice.id)
    assert [(e.start, e.end, e.declared_w, e.measured_w) for e in events] == [
        (SHED_AT, SHED_AT + timedelta(minutes=45), 2000.0, None)
    ]
    assert game.runtime_data.uploader.as_diagnostics()["pending"] == []

    # The scoring job's pass of the next morning (as of 23 November).
    # Expected shedding points (docs/game-rules.md §4.5, rules/shedding.py):
    # unmeasured 2000 W declared → P_shed = 0.5 × 2 kW = 1 kW; 45 minutes, all under
    # 60 continuous minutes (m_dur = 1), all in the 18:00-20:00 weekday peak window
    # (m_peak = 3): Σ weighted kWh = 45 × 1/60 × 1 × 3 = 2.25 kWh. No half-hour data,
    # so no slot cap and no rebound: points = 10 × 2.25 = 22.5.
    (report,) = await job_for(game_server.service.storage).recompute_all(
        date(2026, 11, 24), season.id
    )
    assert alice.id in report.written
    stored = {
        (e.challenge, e.month): e.points
        for e in await game_server.service.storage.list_scores(season.id)
        if e.user_id == alice.id
    }
    assert stored[("shedding", "2026-11")] == pytest.approx(22.5)

    # The score sensor shows the stored points after a coordinator refresh.
    await game.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    shedding = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{game.entry_id}_score_shedding"
    )
    assert shedding is not None
    shown = hass.states.get(shedding)
    assert shown is not None
    assert float(shown.state) == pytest.approx(22.5)
    assert relay.state is ConfigEntryState.LOADED
