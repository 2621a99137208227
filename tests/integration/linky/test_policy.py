"""Write-rate policy, Energy dashboard acceptance and diagnostics of a Linky meter."""

from __future__ import annotations

from functools import partial
import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data, validate
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    get_start_time,
)

from custom_components.sunshare.diagnostics import async_get_config_entry_diagnostics
from custom_components.sunshare.linky.policy import Rate, RatePolicy, WriteGate
from tests.integration.energy_prefs import grid_sources, preferences
from tests.teleinfo.tic_bytes import STANDARD_ADDRESS, standard_frame
from tests.teleinfo.tic_line import Pty

from .conftest import entity_id, send, wh


def test_gate_rules() -> None:
    """Each rate class lets a changed value out according to the policy."""
    policy = RatePolicy(
        power_interval=5, power_deadband=50, index_interval=60, max_interval=600
    )
    power = WriteGate(Rate.MEASUREMENT)
    assert power.should_write(1000, 0, policy)  # first value
    assert not power.should_write(1000, 100, policy)  # unchanged
    assert not power.should_write(1200, 2, policy)  # too soon
    assert power.should_write(1200, 6, policy)  # big move, interval passed
    assert not power.should_write(1210, 20, policy)  # inside the deadband
    assert power.should_write(1210, 606, policy)  # held until the max interval
    current = WriteGate(Rate.MEASUREMENT, deadband=1)
    assert current.should_write(5, 0, policy)
    assert current.should_write(6, 5, policy)
    index = WriteGate(Rate.INDEX)
    assert index.should_write(100, 0, policy)
    assert not index.should_write(101, 59, policy)
    assert index.should_write(102, 60, policy)
    alert = WriteGate(Rate.ALERT)
    assert alert.should_write(value=False, now=0, policy=policy)
    assert alert.should_write(value=True, now=0.1, policy=policy)
    text = WriteGate(Rate.MEASUREMENT)
    assert text.should_write("a", 0, policy)
    assert text.should_write("b", 5, policy)  # not numeric: any change counts


async def test_write_rate_policy(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    pty: Pty,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power waits for its interval and deadband, indexes for theirs; alerts at once."""
    await send(hass, loaded_entry, pty, standard_frame(sinsts=1000, east=5000))
    sinsts, east = entity_id(hass, "SINSTS"), entity_id(hass, "EAST")
    over_power = entity_id(hass, "over_power", "binary_sensor")
    assert hass.states.get(sinsts).state == "1000"
    assert wh(hass.states.get(east)) == 5000

    freezer.tick(2)
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2000, east=5001))
    assert hass.states.get(sinsts).state == "1000"  # within 5 s
    assert wh(hass.states.get(east)) == 5000

    freezer.tick(4)
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2000, east=5002))
    assert hass.states.get(sinsts).state == "2000"  # 6 s later, moved by 1000 VA
    assert wh(hass.states.get(east)) == 5000  # index waits 60 s

    freezer.tick(10)
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2020, east=5003))
    assert hass.states.get(sinsts).state == "2000"  # inside the 50 VA deadband

    # An alert is pushed at once, whatever the intervals.
    await send(
        hass, loaded_entry, pty, standard_frame(sinsts=2020, east=5003, stge="003A4381")
    )
    assert hass.states.get(over_power).state == STATE_ON
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2020, east=5003))
    assert hass.states.get(over_power).state == STATE_OFF

    freezer.tick(50)
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2020, east=5004))
    assert wh(hass.states.get(east)) == 5004  # 66 s after the last write
    assert hass.states.get(sinsts).state == "2000"

    freezer.tick(600)
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2020, east=5004))
    assert hass.states.get(sinsts).state == "2020"  # the maximum interval passed

    # New options apply at once, without reopening the line.
    hass.config_entries.async_update_entry(
        loaded_entry,
        options={
            "power_interval": 0,
            "power_deadband": 0,
            "index_interval": 0,
            "max_interval": 600,
        },
    )
    await hass.async_block_till_done()
    await send(hass, loaded_entry, pty, standard_frame(sinsts=2021, east=5005))
    assert hass.states.get(sinsts).state == "2021"
    assert wh(hass.states.get(east)) == 5005
    assert loaded_entry.runtime_data.reader.stats.opens == 1


async def test_energy_dashboard_accepts_the_indexes(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """The Energy dashboard validation finds no issue with the index sensors."""
    assert await async_setup_component(hass, "energy", {})
    await send(hass, loaded_entry, pty, standard_frame(east=12345678))
    east, peak = entity_id(hass, "EAST"), entity_id(hass, "EASF02")
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(preferences([east, peak]))
    await async_wait_recording_done(hass)
    # Compile the long-term statistics of the current 5-minute period.
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow()))
    await async_wait_recording_done(hass)
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={east})
    )
    # New entities show kWh (the suggested unit): their statistics follow it.
    assert metadata[east][1]["unit_of_measurement"] == "kWh"
    assert metadata[east][1]["has_sum"] is True
    result = await validate.async_validate(hass)
    found = result.as_dict()
    # One list of issues per grid source (one source per meter from 2026.10 on).
    assert found["energy_sources"] == [[]] * len(grid_sources([east, peak], []))
    assert found["device_consumption"] == []
    # Other categories (e.g. water devices, 2026.10) carry no issue either.
    assert not [
        issue for groups in found.values() for group in groups for issue in group
    ]


async def test_diagnostics_redact_the_meter_identity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Diagnostics show the link and values but never ADSC, PRM or the unique id."""
    await send(hass, loaded_entry, pty, standard_frame())
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    text = json.dumps(diagnostics, default=str)
    assert STANDARD_ADDRESS not in text
    assert "21448757318452" not in text
    assert diagnostics["kind"] == "linky"
    assert diagnostics["values"]["ADSC"] == "**REDACTED**"
    assert diagnostics["values"]["PRM"] == "**REDACTED**"
    assert diagnostics["values"]["EAST"]["value"] == "012345678"
    assert diagnostics["link"]["connected"] is True
    assert diagnostics["link"]["detected_mode"] == "standard"
    assert diagnostics["link"]["stats"]["frames"] == 1
    assert diagnostics["counters"]["checksum_errors"] == 0
    assert diagnostics["policy"]["power_interval"] == 5
