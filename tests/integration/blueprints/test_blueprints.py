"""Load each blueprint in Home Assistant, create an automation from it, drive its triggers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.const import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.blueprint import models as blueprint_models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)
import yaml

ROOT = Path(__file__).resolve().parents[3]
BLUEPRINTS = ROOT / "blueprints" / "automation" / "sunshare"


@pytest.fixture(autouse=True)
async def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[None]:
    """Give Home Assistant a config folder holding our blueprints; stop automations after."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "sunshare"
    shutil.copytree(BLUEPRINTS, target)
    yield
    if hass.services.has_service(AUTOMATION_DOMAIN, "turn_off"):
        await hass.services.async_call(
            AUTOMATION_DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
        )


async def _automation(
    hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]
) -> None:
    """Create an automation from one of our blueprints."""
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "id": blueprint,
                "alias": f"sunshare_{blueprint}",
                "use_blueprint": {
                    "path": f"sunshare/{blueprint}.yaml",
                    "input": inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.sunshare_{blueprint}")
    assert state is not None, hass.states.async_entity_ids(AUTOMATION_DOMAIN)
    assert state.state == "on"


@pytest.mark.parametrize(
    "path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.stem
)
def test_blueprint_metadata(path: Path) -> None:
    """Every blueprint validates, uses the modern syntax and points back to its source."""

    class Loader(yaml.SafeLoader):
        """YAML loader that accepts the !input tag."""

    Loader.add_constructor("!input", lambda loader, node: {"input": node.value})
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    blueprint_models.Blueprint(
        data, expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    meta = data["blueprint"]
    assert meta["source_url"].endswith(f"blueprints/automation/sunshare/{path.name}")
    assert meta["homeassistant"]["min_version"] == "2025.4.0"
    for key in ("triggers", "actions"):
        assert key in data, key
    for old in ("trigger", "action", "condition"):
        assert old not in data, old


async def test_peak_shedding_on_game_peak(hass: HomeAssistant) -> None:
    """A game peak (calendar on) sheds the relay for the chosen duration and notifies."""
    shed = async_mock_service(hass, "sunshare", "shed_load")
    notify = async_mock_service(hass, "notify", "phone")
    hass.states.async_set("switch.heaters_load_shedding", "off")
    hass.states.async_set("calendar.game_peaks", "off")
    hass.states.async_set("sensor.living_room", "20.5")
    await _automation(
        hass,
        "peak_shedding",
        {
            "relay": "switch.heaters_load_shedding",
            "duration": 90,
            "game_calendar": ["calendar.game_peaks"],
            "indoor_temperature": "sensor.living_room",
            "minimum_temperature": 19,
            "notify_action": "notify.phone",
        },
    )
    hass.states.async_set("calendar.game_peaks", "on")
    await hass.async_block_till_done()
    assert len(shed) == 1
    assert shed[0].data["entity_id"] == ["switch.heaters_load_shedding"]
    assert shed[0].data["duration"] == {"minutes": 90}
    assert len(notify) == 1
    assert "90 minutes" in notify[0].data["message"]


async def test_peak_shedding_respects_comfort_and_meter_signal(
    hass: HomeAssistant,
) -> None:
    """Too cold inside: no shedding; warm enough: the meter's peak signal sheds."""
    shed: list[ServiceCall] = async_mock_service(hass, "sunshare", "shed_load")
    hass.states.async_set("switch.relay", "off")
    hass.states.async_set("binary_sensor.mobile_peak", "off")
    hass.states.async_set("sensor.living_room", "17.0")
    await _automation(
        hass,
        "peak_shedding",
        {
            "relay": "switch.relay",
            "peak_signal": ["binary_sensor.mobile_peak"],
            "indoor_temperature": "sensor.living_room",
            "minimum_temperature": 18,
        },
    )
    hass.states.async_set("binary_sensor.mobile_peak", "on")
    await hass.async_block_till_done()
    assert shed == []
    hass.states.async_set("binary_sensor.mobile_peak", "off")
    hass.states.async_set("sensor.living_room", "19.0")
    hass.states.async_set("binary_sensor.mobile_peak", "on")
    await hass.async_block_till_done()
    assert len(shed) == 1
    assert shed[0].data["duration"] == {"minutes": 120}  # the default


async def test_peak_shedding_on_tempo_red_evening(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """At the chosen time, shed only when today is a Tempo red day."""
    shed = async_mock_service(hass, "sunshare", "shed_load")
    hass.states.async_set("switch.relay", "off")
    hass.states.async_set("sensor.tempo_today", "white")
    freezer.move_to(
        dt_util.as_utc(
            datetime(2027, 1, 12, 17, 0, tzinfo=dt_util.get_default_time_zone())
        )
    )
    await _automation(
        hass,
        "peak_shedding",
        {
            "relay": "switch.relay",
            "tempo_today": "sensor.tempo_today",
            "tempo_time": "18:00:00",
        },
    )
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shed == []  # white day
    hass.states.async_set("sensor.tempo_today", "red")
    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(shed) == 1


async def test_overconsumption_alarm(hass: HomeAssistant) -> None:
    """Power above 90 % of 6 kVA sounds the buzzer and notifies; ADPS does too."""
    siren = async_mock_service(hass, "siren", "turn_on")
    notify = async_mock_service(hass, "notify", "phone")
    hass.states.async_set("sensor.linky_apparent_power", "3000")
    hass.states.async_set("binary_sensor.over_power", "off")
    await _automation(
        hass,
        "overconsumption_alarm",
        {
            "power_sensor": "sensor.linky_apparent_power",
            "subscribed_power": 6,
            "threshold": 90,
            "over_power": ["binary_sensor.over_power"],
            "buzzer": "siren.buzzer",
            "alarm_duration": 5,
            "notify_action": "notify.phone",
        },
    )
    hass.states.async_set("sensor.linky_apparent_power", "5300")  # < 5400
    await hass.async_block_till_done()
    assert siren == []
    hass.states.async_set("sensor.linky_apparent_power", "5500")
    await hass.async_block_till_done()
    assert len(siren) == 1
    assert siren[0].data == {
        "entity_id": ["siren.buzzer"],
        "tone": "alarm",
        "duration": 5,
    }
    assert "6 kVA" in notify[0].data["message"]
    hass.states.async_set("binary_sensor.over_power", "on")
    await hass.async_block_till_done()
    assert len(siren) == 2
    assert "over-power" in notify[1].data["message"]


async def test_solar_surplus_switches_a_load(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Injection above 1 kW for 5 minutes turns the load on; below for 5 minutes, off."""
    turn_on = async_mock_service(hass, "switch", "turn_on")
    turn_off = async_mock_service(hass, "switch", "turn_off")
    notify = async_mock_service(hass, "notify", "phone")
    hass.states.async_set("sensor.injected_power", "200")
    await _automation(
        hass,
        "solar_surplus",
        {
            "injection_sensor": "sensor.injected_power",
            "threshold": 1000,
            "delay": 5,
            "load": "switch.water_heater",
            "notify_action": "notify.phone",
        },
    )
    hass.states.async_set("sensor.injected_power", "1500")
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=4))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert turn_on == []
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in turn_on] == [["switch.water_heater"]]
    assert len(notify) == 1
    hass.states.async_set("sensor.injected_power", "100")
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(turn_off) == 1
    assert len(notify) == 1


async def test_tempo_red_warning(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """At 20:00, warn only when tomorrow is red."""
    notify = async_mock_service(hass, "notify", "phone")
    hass.states.async_set("sensor.tempo_tomorrow", "blue")
    freezer.move_to(
        dt_util.as_utc(
            datetime(2027, 1, 12, 19, 0, tzinfo=dt_util.get_default_time_zone())
        )
    )
    await _automation(
        hass,
        "tempo_red_warning",
        {"tempo_tomorrow": "sensor.tempo_tomorrow", "notify_action": "notify.phone"},
    )
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert notify == []
    hass.states.async_set("sensor.tempo_tomorrow", "red")
    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(notify) == 1
    assert "red day" in notify[0].data["message"]


async def test_peak_reminder_before_each_game_peak(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The reminder comes once, the lead time before each peak of the game calendar."""
    notify = async_mock_service(hass, "notify", "phone")
    zone = dt_util.get_default_time_zone()
    freezer.move_to(dt_util.as_utc(datetime(2027, 1, 12, 16, 0, tzinfo=zone)))

    def next_peak(day: int) -> None:
        """Show the next peak window as the calendar does (off, next event)."""
        hass.states.async_set(
            "calendar.game_peaks",
            "off",
            {
                "message": "Peak window",
                "start_time": f"2027-01-{day} 18:00:00",
                "end_time": f"2027-01-{day} 20:00:00",
            },
        )

    async def advance(delta: timedelta) -> None:
        """Move the clock forward and let the minute's template render run."""
        freezer.tick(delta)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    next_peak(12)
    await _automation(
        hass,
        "peak_reminder",
        {
            "game_calendar": "calendar.game_peaks",
            "lead_time": 45,
            "notify_action": "notify.phone",
        },
    )
    await advance(timedelta(hours=1, minutes=14))  # 17:14, 46 minutes before
    assert notify == []
    await advance(timedelta(minutes=2))  # 17:16, 44 minutes before
    assert len(notify) == 1
    message = notify[0].data["message"]
    assert message.startswith("Peak window starts at 18:00")
    assert "in 44 minutes" in message
    await advance(timedelta(minutes=20))  # still before the peak: no second reminder
    assert len(notify) == 1

    # The peak runs (calendar on), then the calendar shows tomorrow's.
    await advance(timedelta(minutes=30))
    hass.states.async_set(
        "calendar.game_peaks",
        "on",
        {"message": "Peak window", "start_time": "2027-01-12 18:00:00"},
    )
    await hass.async_block_till_done()
    assert len(notify) == 1
    await advance(timedelta(hours=2))
    next_peak(13)
    await hass.async_block_till_done()
    assert len(notify) == 1
    await advance(timedelta(hours=21))  # 17:06 the next day, 54 minutes before
    assert len(notify) == 1
    await advance(timedelta(minutes=10))  # 17:16
    assert len(notify) == 2
    assert "in 44 minutes" in notify[1].data["message"]
