"""Tests for reading a day's energy from the recorder's statistics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.db_schema import StatisticsShortTerm
from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sunshare.game_link.energy import (
    EnergySources,
    async_daily_reading,
    async_sources_from_energy_dashboard,
    day_bounds,
    grid_statistics,
)
from tests.integration.energy_prefs import (
    STORE_KEY,
    UNIFIED_GRID,
    preferences,
    stored_preferences,
)
from tests.integration.statistics import metadata

IMPORT = "sensor.grid_import"
EXPORT = "sensor.grid_export"
SOLAR = "sensor.solar"
BATTERY_IN = "sensor.battery_in"
BATTERY_OUT = "sensor.battery_out"
TEMPERATURE = "sensor.outdoor_temperature"
DASHBOARD_SOURCES = EnergySources(
    grid_import=(IMPORT, "sensor.grid_import_offpeak"),
    grid_export=(EXPORT,),
    solar=(SOLAR,),
    battery_charge=(BATTERY_IN,),
    battery_discharge=(BATTERY_OUT,),
)
"""What the dashboard preferences of the tests below hold (two grid imports)."""
SOURCES = EnergySources(
    grid_import=(IMPORT,),
    grid_export=(EXPORT,),
    solar=(SOLAR,),
    battery_charge=(BATTERY_IN,),
    battery_discharge=(BATTERY_OUT,),
)


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant) -> None:
    """Run Home Assistant in the Europe/Paris time zone."""
    await hass.config.async_set_time_zone("Europe/Paris")


def _sums(
    start: datetime, step: timedelta, changes: Iterable[float]
) -> list[StatisticData]:
    """Return cumulative rows: a zero row one step before ``start``, then each change."""
    rows: list[StatisticData] = [{"start": start - step, "state": 0.0, "sum": 0.0}]
    total = 0.0
    for index, change in enumerate(changes):
        total += change
        rows.append({"start": start + index * step, "state": total, "sum": total})
    return rows


def _hourly(hass: HomeAssistant, statistic_id: str, day: date, per_hour: float) -> None:
    """Import hourly rows of a constant energy per hour over a local day."""
    start, end = day_bounds(day)
    hours = int((end - start) / timedelta(hours=1))
    async_import_statistics(
        hass,
        metadata(statistic_id),
        _sums(start, timedelta(hours=1), [per_hour] * hours),
    )


def _five_minutes(
    hass: HomeAssistant, statistic_id: str, day: date, value: Any
) -> None:
    """Import 5-minute rows over a local day; ``value(i)`` is row i's energy."""
    start, end = day_bounds(day)
    count = int((end - start) / timedelta(minutes=5))
    get_instance(hass).async_import_statistics(
        metadata(statistic_id),
        _sums(start, timedelta(minutes=5), [value(i) for i in range(count)]),
        StatisticsShortTerm,
    )


async def test_day_with_half_hours(hass: HomeAssistant) -> None:
    """Daily totals come from hourly rows and 48 half-hours from 5-minute rows."""
    day = date(2026, 11, 20)
    _hourly(hass, IMPORT, day, 0.5)
    _hourly(hass, EXPORT, day, 0.25)
    _hourly(hass, SOLAR, day, 0.125)
    _hourly(hass, BATTERY_IN, day, 0.0625)
    _hourly(hass, BATTERY_OUT, day, 0.03125)
    # Import rows grow with the half-hour they fall in; export is flat.
    _five_minutes(hass, IMPORT, day, lambda i: (i // 6) * 0.01)
    _five_minutes(hass, EXPORT, day, lambda i: 0.002)
    await async_wait_recording_done(hass)

    reading = await async_daily_reading(hass, SOURCES, day)

    assert reading is not None
    assert reading.day == day
    assert reading.import_kwh == pytest.approx(12.0)
    assert reading.export_kwh == pytest.approx(6.0)
    assert reading.production_kwh == pytest.approx(3.0)
    assert reading.battery_charge_kwh == pytest.approx(1.5)
    assert reading.battery_discharge_kwh == pytest.approx(0.75)
    assert reading.import_slots is not None and reading.export_slots is not None
    assert len(reading.import_slots) == 48
    assert reading.import_slots == pytest.approx([slot * 0.06 for slot in range(48)])
    assert reading.export_slots == pytest.approx([0.012] * 48)
    assert reading.t_mean_c is None


async def test_dst_day_has_46_half_hours(hass: HomeAssistant) -> None:
    """The spring-forward day is 23 hours long: 46 half-hours from local midnight."""
    day = date(2026, 3, 29)
    start, end = day_bounds(day)
    assert end - start == timedelta(hours=23)
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    _hourly(hass, IMPORT, day, 1.0)
    _five_minutes(hass, IMPORT, day, lambda i: 0.1 if i // 6 == 40 else 0.05)
    await async_wait_recording_done(hass)

    reading = await async_daily_reading(hass, EnergySources(grid_import=(IMPORT,)), day)

    assert reading is not None
    assert reading.import_kwh == pytest.approx(23.0)
    assert reading.export_kwh == 0.0
    assert reading.battery_charge_kwh is None
    assert reading.import_slots is not None
    assert len(reading.import_slots) == 46
    # Slot 40 starts 20 hours after local midnight: 21:00 local (summer time).
    assert reading.import_slots[40] == pytest.approx(0.6)
    assert reading.import_slots[39] == pytest.approx(0.3)
    assert reading.export_slots is None


@pytest.mark.parametrize(
    ("day", "count", "local_midnight"),
    [
        (date(2026, 11, 20), 48, datetime(2026, 11, 19, 23, tzinfo=UTC)),
        (date(2026, 3, 29), 46, datetime(2026, 3, 28, 23, tzinfo=UTC)),
        (date(2026, 10, 25), 50, datetime(2026, 10, 24, 22, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("time_zone", ["Europe/Paris", "America/New_York", "UTC"])
async def test_game_days_are_paris_days_whatever_the_time_zone(
    hass: HomeAssistant,
    *,
    day: date,
    count: int,
    local_midnight: datetime,
    time_zone: str,
) -> None:
    """The game's days are Europe/Paris days, with their real number of half-hours.

    Home Assistant's own time zone does not move a day's bounds: the server refuses any
    other count (422 ``slot_count``).
    """
    await hass.config.async_set_time_zone(time_zone)
    start, end = day_bounds(day)
    assert start == local_midnight
    assert end - start == timedelta(minutes=30 * count)
    _hourly(hass, IMPORT, day, 1.0)
    # The n-th half-hour after Paris midnight carries n × 10 Wh.
    _five_minutes(hass, IMPORT, day, lambda i: (i // 6) * 0.01 / 6)
    await async_wait_recording_done(hass)

    reading = await async_daily_reading(hass, EnergySources(grid_import=(IMPORT,)), day)

    assert reading is not None
    assert reading.import_kwh == pytest.approx(count / 2)
    assert reading.import_slots == pytest.approx([n * 0.01 for n in range(count)])


async def test_day_without_five_minute_rows_has_no_slots(hass: HomeAssistant) -> None:
    """Older days (5-minute rows purged) carry daily totals only."""
    day = date(2026, 11, 1)
    _hourly(hass, IMPORT, day, 0.5)
    _hourly(hass, EXPORT, day, 0.1)
    await async_wait_recording_done(hass)

    reading = await async_daily_reading(hass, SOURCES, day)

    assert reading is not None
    assert reading.import_kwh == pytest.approx(12.0)
    assert reading.export_kwh == pytest.approx(2.4)
    assert reading.import_slots is None
    assert reading.export_slots is None
    assert "slots" not in reading.as_json()


async def test_partial_five_minute_rows_do_not_make_slots(hass: HomeAssistant) -> None:
    """A day with under 90 % of its 5-minute rows sends no half-hours (no gaps)."""
    day = date(2026, 11, 21)
    start, _ = day_bounds(day)
    _hourly(hass, IMPORT, day, 0.5)
    get_instance(hass).async_import_statistics(
        metadata(IMPORT),
        _sums(start, timedelta(minutes=5), [0.01] * 200),
        StatisticsShortTerm,
    )
    await async_wait_recording_done(hass)

    reading = await async_daily_reading(hass, EnergySources(grid_import=(IMPORT,)), day)

    assert reading is not None
    assert reading.import_slots is None


async def test_day_without_statistics_is_none(hass: HomeAssistant) -> None:
    """No grid import rows that day (or no grid import source): nothing to send."""
    _hourly(hass, IMPORT, date(2026, 11, 20), 0.5)
    await async_wait_recording_done(hass)

    assert await async_daily_reading(hass, SOURCES, date(2026, 11, 10)) is None
    assert await async_daily_reading(hass, EnergySources(), date(2026, 11, 20)) is None


async def test_outdoor_temperature_mean(hass: HomeAssistant) -> None:
    """The day's mean outdoor temperature comes from the sensor's hourly means."""
    day = date(2026, 11, 20)
    start, _ = day_bounds(day)
    _hourly(hass, IMPORT, day, 0.5)
    async_import_statistics(
        hass,
        metadata(TEMPERATURE, "°C", sum_=False),
        [
            {"start": start + timedelta(hours=hour), "mean": float(hour % 4)}
            for hour in range(24)
        ],
    )
    await async_wait_recording_done(hass)

    reading = await async_daily_reading(
        hass, EnergySources(grid_import=(IMPORT,), temperature=TEMPERATURE), day
    )

    assert reading is not None
    assert reading.t_mean_c == pytest.approx(1.5)
    assert reading.as_json()["t_mean_c"] == pytest.approx(1.5)


@pytest.mark.parametrize("unified", [False, True], ids=["legacy", "unified"])
async def test_sources_from_stored_preferences(
    hass: HomeAssistant, hass_storage: dict[str, Any], unified: bool
) -> None:
    """Preferences stored in either format (an upgrading user's) are read.

    Home Assistant 2026.10+ migrates a stored legacy grid source to one source per
    connection when it loads the store; older releases read either as it is.
    """
    prefs = preferences(
        [IMPORT, "sensor.grid_import_offpeak"],
        [EXPORT],
        solar=[SOLAR],
        battery=[(BATTERY_IN, BATTERY_OUT)],
        unified=unified,
    )
    hass_storage[STORE_KEY] = stored_preferences(prefs, unified=unified)

    sources = await async_sources_from_energy_dashboard(hass)

    assert sources == DASHBOARD_SOURCES
    manager = await async_get_manager(hass)
    assert manager.data is not None
    grids = [s for s in manager.data["energy_sources"] if s["type"] == "grid"]
    # 2026.10+ migrates a legacy store to one source per connection; older
    # releases keep what is stored.
    assert len(grids) == (2 if UNIFIED_GRID or unified else 1)


@pytest.mark.parametrize(
    ("source", "imports", "exports"),
    [
        ({"type": "grid", "stat_energy_from": None, "stat_energy_to": "e"}, [], ["e"]),
        ({"type": "grid", "stat_energy_from": "i", "stat_energy_to": None}, ["i"], []),
        ({"type": "grid", "stat_energy_from": None, "stat_energy_to": None}, [], []),
        ({"type": "grid", "flow_from": [], "flow_to": []}, [], []),
        (
            {"type": "grid", "flow_from": [{"stat_energy_from": "i"}], "flow_to": []},
            ["i"],
            [],
        ),
    ],
)
def test_grid_statistics_of_each_format(
    source: dict[str, Any], imports: list[str], exports: list[str]
) -> None:
    """Export-only, import-only and power-only connections (2026.10+) are read."""
    assert grid_statistics(source) == (imports, exports)


async def test_sources_from_energy_dashboard(hass: HomeAssistant) -> None:
    """Grid, solar and battery flows are read from the Energy dashboard settings."""
    assert await async_sources_from_energy_dashboard(hass) == EnergySources()
    manager = await async_get_manager(hass)
    await manager.async_update(
        preferences(
            [IMPORT, "sensor.grid_import_offpeak"],
            [EXPORT],
            solar=[SOLAR],
            battery=[(BATTERY_IN, BATTERY_OUT)],
        )
    )

    sources = await async_sources_from_energy_dashboard(hass)

    assert sources == DASHBOARD_SOURCES
