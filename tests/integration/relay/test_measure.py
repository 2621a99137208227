"""Tests of the measured power drop of shedding events, from a power entity."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.relay.const import EVENT_SHEDDING_ENDED
from custom_components.sunshare.relay.power import PowerSeries

from .conftest import ENTRY_ID
from .test_shedding import ENERGY, LAST, advance

POWER = "sensor.power"
WITH_POWER = {"max_duration": 120, "power_entity": POWER}


async def set_power(hass: HomeAssistant, value: str, unit: str = "W") -> None:
    """Report a new state of the household power entity (and let it be handled)."""
    hass.states.async_set(POWER, value, {"unit_of_measurement": unit})
    await hass.async_block_till_done()


async def shed(hass: HomeAssistant, minutes: float) -> None:
    """Call ``sunshare.shed_load`` for some minutes."""
    await hass.services.async_call(
        DOMAIN,
        "shed_load",
        {"config_entry_id": ENTRY_ID, "duration": {"minutes": minutes}},
        blocking=True,
    )


@pytest.fixture
async def power_before_setup(hass: HomeAssistant, start: datetime) -> None:
    """Give the power entity a state before the relay entry starts."""
    await set_power(hass, "3000")


@pytest.mark.usefixtures("power_before_setup")
@pytest.mark.parametrize("options", [WITH_POWER])
async def test_measured_power_drop(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The drop is the time-weighted mean over 60 s before minus 60 s after."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await advance(hass, freezer, timedelta(seconds=30))
    # 30 s at 3000 W, then 30 s at 3.6 kVA (taken as W): mean 3300 W
    await set_power(hass, "3.6", "kVA")
    await advance(hass, freezer, timedelta(seconds=30))
    await shed(hass, 30)
    await advance(hass, freezer, timedelta(seconds=10))
    # 10 s at 3600 W, then 50 s at 1.2 kW: mean 1600 W
    await set_power(hass, "1.2", "kW")
    await advance(hass, freezer, timedelta(seconds=50))
    shedder = loaded_entry.runtime_data.shedder
    assert shedder.active is not None
    assert shedder.active.power_before_w == 3300.0
    assert shedder.active.measured_w == 1700.0
    # Later changes do not alter the measurement.
    await set_power(hass, "500")
    await advance(hass, freezer, timedelta(minutes=29))
    assert len(events) == 1
    data = events[0].data
    assert data["declared_w"] == 2000.0
    assert data["measured_w"] == 1700.0
    # The shed energy uses the measured power when there is one.
    assert data["energy_wh"] == pytest.approx(850.0)
    assert float(hass.states.get(ENERGY).state) == pytest.approx(0.85)
    assert hass.states.get(LAST).attributes["measured_w"] == 1700.0


@pytest.mark.usefixtures("power_before_setup")
@pytest.mark.parametrize("options", [WITH_POWER])
async def test_short_shedding_measures_until_its_end(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A shedding shorter than the window measures over its own length."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await advance(hass, freezer, timedelta(minutes=1))
    await shed(hass, 0.5)
    await set_power(hass, "1000")
    await advance(hass, freezer, timedelta(seconds=30))
    assert events[0].data["measured_w"] == 2000.0
    assert events[0].data["duration_s"] == 30.0
    assert events[0].data["energy_wh"] == pytest.approx(2000 * 30 / 3600, abs=0.001)


@pytest.mark.parametrize("options", [WITH_POWER])
async def test_no_usable_power_gives_no_measurement(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unknown, unavailable or non-power states leave the measurement empty."""
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await set_power(hass, "unavailable")
    await advance(hass, freezer, timedelta(minutes=1))
    await shed(hass, 5)
    await set_power(hass, "12", "kWh")  # not a power unit
    await advance(hass, freezer, timedelta(seconds=20))
    await set_power(hass, "not a number")
    await advance(hass, freezer, timedelta(seconds=20))
    hass.states.async_remove(POWER)
    await hass.async_block_till_done()
    await advance(hass, freezer, timedelta(minutes=5))
    assert events[0].data["measured_w"] is None
    # Without a measurement the declared power counts.
    assert events[0].data["energy_wh"] == pytest.approx(2000 * 5 / 60, abs=0.001)


async def test_without_power_entity_declared_power_counts(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """With no power source chosen, nothing is measured even if a sensor exists."""
    await set_power(hass, "3000")
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await shed(hass, 6)
    await advance(hass, freezer, timedelta(minutes=6))
    assert events[0].data["measured_w"] is None
    assert events[0].data["energy_wh"] == pytest.approx(200.0)


def test_power_series_time_weighted_mean() -> None:
    """Each value weighs by how long it held inside the window; gaps do not count."""
    series = PowerSeries(retention=100)
    assert series.mean(0, 10) is None
    series.add(0, 100.0)
    series.add(10, None)
    series.add(20, 300.0)
    assert series.mean(0, 10) == 100.0
    assert series.mean(5, 25) == pytest.approx((5 * 100 + 5 * 300) / 10)
    assert series.mean(10, 20) is None
    assert series.mean(30, 30) is None
    assert series.mean(40, 50) == 300.0
    series.add(15, 200.0)  # out of order: taken as happening at the last time
    assert series.values[-1] == 200.0
    series.add(200, 50.0)  # prunes all but the value holding at 100
    assert series.times == [20, 200]
    assert series.mean(150, 250) == pytest.approx((50 * 200 + 50 * 50) / 100)
