"""A weather entity as the game link's outdoor temperature: the day's mean from history.

Weather entities have no long-term statistics; their temperature is an attribute. These
tests write real states over frozen time, let the real recorder store them, and check
the time-weighted daily mean, the °F conversion, the coverage rule and the upload.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.db_schema import RecorderRuns
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.recorder import get_instance, session_scope
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_purge_done,
    async_wait_recording_done,
)

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.game_link.const import STORE_VERSION
from custom_components.sunshare.game_link.energy import (
    EnergySources,
    async_daily_reading,
    async_daily_readings,
    day_bounds,
    time_weighted_mean,
)
from game_server.models import User
from tests.game.server import RunningServer
from tests.integration.statistics import metadata

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
IMPORT = "sensor.grid_import"
WEATHER = "weather.home"
SOURCES = EnergySources(grid_import=(IMPORT,), temperature=WEATHER)
HOUR = 3600.0


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant) -> None:
    """Run Home Assistant in the Europe/Paris time zone."""
    await hass.config.async_set_time_zone("Europe/Paris")


def _grid(hass: HomeAssistant, *days: date) -> None:
    """Import a complete grid import (0.5 kWh an hour) for some local days."""
    rows: list[Any] = []
    total = 0.0
    for day in days:
        start, end = day_bounds(day)
        if not rows:
            rows.append({"start": start - timedelta(hours=1), "state": 0.0, "sum": 0.0})
        hour = start
        while hour < end:
            total += 0.5
            rows.append({"start": hour, "state": total, "sum": total})
            hour += timedelta(hours=1)
    async_import_statistics(
        hass,
        metadata(IMPORT, name="Grid import"),
        rows,
    )


def _weather(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    when: str,
    temperature: Any,
    *,
    unit: str = "°C",
    condition: str = "cloudy",
) -> None:
    """Set the weather entity's state at a local time (None: unavailable)."""
    freezer.move_to(datetime.fromisoformat(when))
    if temperature is None:
        hass.states.async_set(WEATHER, STATE_UNAVAILABLE, {"friendly_name": "Home"})
        return
    hass.states.async_set(
        WEATHER,
        condition,
        {
            "temperature": temperature,
            "temperature_unit": unit,
            "humidity": 80,
            "friendly_name": "Home",
        },
    )


async def _recorded(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Come back to the present and wait until the recorder stored everything."""
    freezer.move_to(NOW)
    await async_wait_recording_done(hass)


def test_time_weighted_mean_rules() -> None:
    """Each value holds until the next; gaps do not count; 12 h of data are needed."""
    start, end = 0.0, 24 * HOUR
    steps = [(-2 * HOUR, 4.0), (6 * HOUR, 10.0), (18 * HOUR, None)]
    # 4 °C for 6 h then 10 °C for 12 h: (24 + 120) / 18.
    assert time_weighted_mean(steps, start, end, 12 * HOUR) == pytest.approx(8.0)
    assert time_weighted_mean(steps, start, end, 18 * HOUR) == pytest.approx(8.0)
    assert time_weighted_mean(steps, start, end, 18 * HOUR + 1) is None
    assert time_weighted_mean([], start, end, 0) is None
    # Samples after the end, or only before a later one, add nothing.
    late = [(-HOUR, 1.0), (0.0, 3.0), (25 * HOUR, 50.0)]
    assert time_weighted_mean(late, start, end, 12 * HOUR) == pytest.approx(3.0)


async def test_daily_mean_is_time_weighted(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The mean weighs each temperature by how long it held over the local day."""
    day = date(2026, 11, 20)
    _grid(hass, day)
    # In effect at midnight (set the evening before), then three changes; the noon
    # one only changes the attribute (same condition), the last is after the day.
    _weather(hass, freezer, "2026-11-19T22:00:00+01:00", 4.0)
    _weather(hass, freezer, "2026-11-20T06:00:00+01:00", 10.0)
    _weather(hass, freezer, "2026-11-20T12:00:00+01:00", 16.0)
    _weather(hass, freezer, "2026-11-20T18:00:00+01:00", 8.0, condition="rainy")
    _weather(hass, freezer, "2026-11-21T00:00:00+01:00", -30.0)
    await _recorded(hass, freezer)

    reading = await async_daily_reading(hass, SOURCES, day)

    assert reading is not None
    # (4 × 6 h + 10 × 6 h + 16 × 6 h + 8 × 6 h) / 24 h
    assert reading.t_mean_c == pytest.approx(9.5)
    assert reading.import_kwh == pytest.approx(12.0)


async def test_fahrenheit_is_converted(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A weather entity in °F gives its mean in °C (its unit attribute is used)."""
    day = date(2026, 11, 20)
    _grid(hass, day)
    _weather(hass, freezer, "2026-11-19T20:00:00+01:00", 50.0, unit="°F")
    _weather(hass, freezer, "2026-11-20T18:00:00+01:00", 68.0, unit="°F")
    await _recorded(hass, freezer)

    reading = await async_daily_reading(hass, SOURCES, day)

    assert reading is not None
    # 10 °C for 18 h, 20 °C for 6 h.
    assert reading.t_mean_c == pytest.approx((10 * 18 + 20 * 6) / 24)


async def test_too_little_data_gives_no_temperature(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A day with under 12 h of known temperature has none; its energy still goes."""
    days = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    _grid(hass, *days)
    _weather(hass, freezer, "2026-11-20T08:00:00+01:00", 10.0)
    _weather(hass, freezer, "2026-11-20T12:00:00+01:00", None)
    # Unusable values count as gaps too: a unit no converter knows, text, a list.
    _weather(hass, freezer, "2026-11-20T13:00:00+01:00", 20.0, unit="bogus")
    _weather(hass, freezer, "2026-11-20T14:00:00+01:00", "n/a")
    _weather(hass, freezer, "2026-11-20T15:00:00+01:00", [20])
    _weather(hass, freezer, "2026-11-20T16:00:00+01:00", "inf")
    _weather(hass, freezer, "2026-11-20T20:00:00+01:00", 12.0)
    await _recorded(hass, freezer)

    readings = await async_daily_readings(hass, SOURCES, days[0], days[-1])

    assert [r.day for r in readings] == days
    # The 19th has no weather at all; the 20th only 4 h + 4 h of known temperature.
    assert readings[0].t_mean_c is None
    assert readings[1].t_mean_c is None
    assert readings[2].t_mean_c == pytest.approx(12.0)


async def test_thirteen_hours_are_enough(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """From 11:00 on the entity reports: 13 h of data give the mean of those hours."""
    day = date(2026, 11, 20)
    _grid(hass, day)
    _weather(hass, freezer, "2026-11-20T11:00:00+01:00", 6.0)
    _weather(hass, freezer, "2026-11-20T17:30:00+01:00", 2.0)
    await _recorded(hass, freezer)

    reading = await async_daily_reading(hass, SOURCES, day)

    assert reading is not None
    assert reading.t_mean_c == pytest.approx((6 * 6.5 + 2 * 6.5) / 13)


def _stopped(hass: HomeAssistant, start: str, end: str) -> None:
    """Store a past recorder run: Home Assistant ran from ``start`` to ``end``."""
    with session_scope(hass=hass) as session:
        session.add(
            RecorderRuns(
                start=datetime.fromisoformat(start).astimezone(UTC),
                end=datetime.fromisoformat(end).astimezone(UTC),
                closed_incorrect=False,
                created=datetime.fromisoformat(start).astimezone(UTC),
            )
        )


async def test_home_assistant_stopped_is_a_gap(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """While Home Assistant was stopped, the last temperature does not count."""
    day = date(2026, 11, 20)
    _grid(hass, day)
    _weather(hass, freezer, "2026-11-19T22:00:00+01:00", 4.0)
    # Stopped at 10:00, started again at 14:00 (its first state is recorded then).
    _weather(hass, freezer, "2026-11-20T14:00:00+01:00", 10.0)
    await _recorded(hass, freezer)
    await get_instance(hass).async_add_executor_job(
        _stopped, hass, "2026-11-19T21:00:00+01:00", "2026-11-20T10:00:00+01:00"
    )

    reading = await async_daily_reading(hass, SOURCES, day)

    assert reading is not None
    # 4 °C for 10 h, then 10 °C for 10 h; the 4 h stopped are not counted.
    assert reading.t_mean_c == pytest.approx((4 * 10 + 10 * 10) / 20)

    # Stopped again at 14:30 for the rest of the day: 10.5 h of data are too few.
    await get_instance(hass).async_add_executor_job(
        _stopped, hass, "2026-11-20T14:00:00+01:00", "2026-11-20T14:30:00+01:00"
    )
    reading = await async_daily_reading(hass, SOURCES, day)
    assert reading is not None and reading.t_mean_c is None


def _game_entry(options: dict[str, Any]) -> MockConfigEntry:
    """Return a game entry (never set up: only its options flow is used)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Sunshare game (Alice)",
        unique_id="http://127.0.0.1:9#alice-id",
        data={
            CONF_KIND: EntryKind.GAME.value,
            "url": "http://127.0.0.1:9",
            "username": "alice",
            "player_id": "alice-id",
            "token": "secret",
        },
        options=options,
    )


async def test_options_accept_a_weather_entity(hass: HomeAssistant) -> None:
    """The temperature selector offers weather entities; another domain is refused."""
    entry = _game_entry({"temperature": "sensor.outdoor"})
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    config = result["data_schema"].schema["temperature"].config
    assert {"domain": ["weather"]} in config["filter"]
    assert {"domain": ["sensor"], "device_class": ["temperature"]} in config["filter"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"energy_source": "energy_dashboard", "temperature": "light.kitchen"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"temperature": "game_temperature_invalid"}
    assert entry.options == {"temperature": "sensor.outdoor"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"energy_source": "energy_dashboard", "temperature": WEATHER},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "energy_source": "energy_dashboard",
        "temperature": WEATHER,
    }


@pytest.fixture
def options() -> dict[str, Any]:
    """Read the grid import by hand and the temperature from the weather entity."""
    return {"energy_source": "manual", "grid_import": [IMPORT], "temperature": WEATHER}


async def test_uploaded_day_carries_the_weather_mean(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    hass_storage: dict[str, Any],
) -> None:
    """The day sent carries the weather mean, kept once the history is purged."""
    await game_server.add_season(date(2026, 11, 1), date(2027, 3, 31))
    _grid(hass, date(2026, 11, 21), date(2026, 11, 22))
    _weather(hass, freezer, "2026-11-21T10:00:00+01:00", 3.0)
    _weather(hass, freezer, "2026-11-22T06:00:00+01:00", 5.0, unit="°C")
    _weather(hass, freezer, "2026-11-22T12:00:00+01:00", 41.0, unit="°F")
    await _recorded(hass, freezer)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    readings = {
        r.day.isoformat(): r
        for r in await game_server.service.storage.list_readings(player.id)
    }
    assert sorted(readings) == ["2026-11-21", "2026-11-22"]
    # The 21st: 14 h at 3 °C. The 22nd: 3 °C for 6 h, 5 °C for 6 h, 41 °F = 5 °C.
    assert readings["2026-11-21"].t_mean_c == pytest.approx(3.0)
    assert readings["2026-11-22"].t_mean_c == pytest.approx((3 * 6 + 5 * 18) / 24)
    assert readings["2026-11-22"].import_kwh == pytest.approx(12.0)
    sent_at = readings["2026-11-22"].updated_at
    saved = hass_storage["sunshare.game.game01"]["data"]["weather"]
    assert saved["entity"] == WEATHER
    assert saved["means"]["2026-11-21"] == pytest.approx(3.0)

    # The recorder purges the weather history; the next night reads no temperature
    # for those days, yet neither erases nor re-sends the means already delivered.
    await hass.services.async_call(
        "recorder", "purge", {"keep_days": 0, "repack": False}, blocking=True
    )
    await async_wait_purge_done(hass)
    purged = await async_daily_reading(hass, SOURCES, date(2026, 11, 22))
    assert purged is not None and purged.t_mean_c is None
    _grid(hass, date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23))
    await async_wait_recording_done(hass)
    freezer.move_to(datetime.fromisoformat("2026-11-24T00:30:00+01:00"))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    readings = {
        r.day.isoformat(): r
        for r in await game_server.service.storage.list_readings(player.id)
    }
    assert sorted(readings) == ["2026-11-21", "2026-11-22", "2026-11-23"]
    assert readings["2026-11-22"].t_mean_c == pytest.approx((3 * 6 + 5 * 18) / 24)
    assert readings["2026-11-22"].updated_at == sent_at
    assert readings["2026-11-21"].t_mean_c == pytest.approx(3.0)
    assert readings["2026-11-23"].t_mean_c is None


@pytest.mark.parametrize(
    ("saved_entity", "expected"), [(WEATHER, 7.0), ("weather.old_station", 3.0)]
)
async def test_kept_means_survive_a_restart(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    hass_storage: dict[str, Any],
    saved_entity: str,
    expected: float,
) -> None:
    """Saved means of the same entity win after a restart; another entity's do not."""
    hass_storage["sunshare.game.game01"] = {
        "version": STORE_VERSION,
        "minor_version": 1,
        "key": "sunshare.game.game01",
        "data": {
            "outbox": [],
            "sent": {},
            "rejected": [],
            "weather": {
                "entity": saved_entity,
                "means": {"2026-11-21": 7.0, "2025-10-01": 1.0},
            },
        },
    }
    await game_server.add_season(date(2026, 11, 1), date(2027, 3, 31))
    _grid(hass, date(2026, 11, 21))
    _weather(hass, freezer, "2026-11-21T00:00:00+01:00", 3.0)
    await _recorded(hass, freezer)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    readings = await game_server.service.storage.list_readings(player.id)
    assert [(r.day, r.t_mean_c) for r in readings] == [(date(2026, 11, 21), expected)]
    saved = hass_storage["sunshare.game.game01"]["data"]["weather"]
    # Days older than the season's reference window are forgotten.
    assert saved == {"entity": WEATHER, "means": {"2026-11-21": expected}}
