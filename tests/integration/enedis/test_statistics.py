"""Statistics written to the recorder from the fake gateway's data."""

from __future__ import annotations

from datetime import date, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.enedis.hourly import HourRow
from custom_components.sunshare.enedis.models import local_midnight_utc
from custom_components.sunshare.enedis_data import statistics
from custom_components.sunshare.enedis_data.const import Direction
from custom_components.sunshare.enedis_data.statistics import (
    SUPPORTS_UNIT_CLASS,
    statistic_metadata,
)
from tests.fakes.enedis_gateway import DEFAULT_PRM, PARIS, FakeEnedisGateway

from .conftest import assert_continuous, expected_wh, rows, rows_of_day, setup_entry

TODAY = date(2026, 11, 23)


async def test_first_update_imports_the_last_week(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """Hourly rows from the load curve, sums continuous, both directions."""
    await setup_entry(hass, entry)
    start = TODAY - timedelta(days=7)
    consumption = await rows(hass)
    assert len(consumption) == 7 * 24
    assert consumption[0]["start"] == local_midnight_utc(start)
    assert_continuous(consumption)
    assert consumption[-1]["sum"] == pytest.approx(expected_wh(gateway, start, TODAY))
    production = await rows(hass, Direction.PRODUCTION)
    assert_continuous(production)
    assert production[-1]["sum"] == pytest.approx(
        expected_wh(gateway, start, TODAY, production=True)
    )
    # The load curve covered every day: no daily request was needed.
    paths = [r.path.rsplit("/", 1)[1] for r in gateway.requests]
    assert paths == ["consumption_load_curve", "production_load_curve"]


async def test_metadata_fits_the_running_home_assistant() -> None:
    """mean_type is set; unit_class only where Home Assistant knows it."""
    meta = statistic_metadata(DEFAULT_PRM, Direction.PRODUCTION)
    assert meta["statistic_id"] == f"sunshare:{DEFAULT_PRM}_production"
    assert meta["source"] == "sunshare"
    assert meta["has_sum"] is True
    assert meta["unit_of_measurement"] == "Wh"
    assert int(meta["mean_type"]) == 0
    assert ("unit_class" in meta) is SUPPORTS_UNIT_CLASS


async def test_late_day_rewrites_following_rows(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """A day missing at first and imported later leaves no spike and no dip."""
    late = TODAY - timedelta(days=4)
    gateway.meters[DEFAULT_PRM].missing_days = {late}
    await setup_entry(hass, entry)
    before = await rows(hass)
    assert rows_of_day(before, late) == []
    assert_continuous(before)
    gateway.meters[DEFAULT_PRM].missing_days = set()
    await entry.runtime_data.coordinator.async_sync_period(late, late + timedelta(1))
    after = await rows(hass)
    assert len(after) == 7 * 24
    assert_continuous(after)
    start = TODAY - timedelta(days=7)
    assert after[-1]["sum"] == pytest.approx(expected_wh(gateway, start, TODAY))
    # Re-importing the same period writes nothing and changes nothing.
    writer = entry.runtime_data.coordinator.writer
    written = writer.rows_written
    await entry.runtime_data.coordinator.async_sync_period(start, TODAY)
    assert writer.rows_written == written
    assert await rows(hass) == after


async def test_null_curve_falls_back_to_the_daily_value(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """A day whose curve has a null value is one daily row at local midnight."""
    day = TODAY - timedelta(days=2)
    meter = gateway.meters[DEFAULT_PRM]
    meter.null_labels = {
        local_midnight_utc(day).astimezone(PARIS).replace(tzinfo=None)
        + timedelta(hours=3)
    }
    await setup_entry(hass, entry)
    day_rows = rows_of_day(await rows(hass), day)
    assert [r["start"] for r in day_rows] == [local_midnight_utc(day)]
    assert day_rows[0]["state"] == gateway.daily_wh(DEFAULT_PRM, False, day)
    daily = [r for r in gateway.requests if "daily" in r.path]
    assert [(r.start, r.end) for r in daily if "consumption" in r.path] == [
        (day, day + timedelta(days=1))
    ]


async def test_dst_days_have_23_and_25_rows(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """The spring and autumn DST days give 23 and 25 hourly rows."""
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    await coordinator.async_sync_period(spring, spring + timedelta(days=1))
    await coordinator.async_sync_period(autumn, autumn + timedelta(days=1))
    all_rows = await rows(hass)
    assert len(rows_of_day(all_rows, spring)) == 23
    assert len(rows_of_day(all_rows, autumn)) == 25
    assert_continuous(all_rows)
    assert sum(r["state"] for r in rows_of_day(all_rows, autumn)) == pytest.approx(
        gateway.daily_wh(DEFAULT_PRM, False, autumn)
    )


async def test_an_import_returns_once_its_rows_are_readable(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """Right after an import, without waiting for the recorder, its rows are read back.

    The next import reads the stored rows to continue the sums: this is what keeps two
    imports from racing (the old way waited on a private recorder task).
    """
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    late = TODAY - timedelta(days=10)
    written = await coordinator.async_sync_period(late, late + timedelta(days=1))
    assert written > 0
    stat_id = statistics.statistic_id(DEFAULT_PRM, Direction.CONSUMPTION)
    stored = await get_instance(hass).async_add_executor_job(
        statistics.read_rows_from,
        hass,
        stat_id,
        local_midnight_utc(late),
    )
    assert stored[0][0].start == local_midnight_utc(late)
    assert len(stored[0]) == 8 * 24  # the late day and the week after it


async def test_a_recorder_that_never_stores_cannot_hang_setup(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first refresh fails after the timeout; the entry retries later."""
    monkeypatch.setattr(statistics, "STORE_TIMEOUT", 0.3)
    monkeypatch.setattr(statistics, "rows_stored", lambda *args: False)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "did not store the imported statistics" in caplog.text


async def test_waiting_stops_when_home_assistant_stops(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No statistics query once Home Assistant is stopping.

    The recorder closes its database then; a query from another thread at that moment
    crashed SQLite (a segmentation fault on Home Assistant 2025.4).
    """
    queries: list[str] = []

    def never_stored(_hass: HomeAssistant, stat_id: str, _rows: object) -> bool:
        queries.append(stat_id)
        if len(queries) == 2:
            hass.set_state(CoreState.stopping)
        return False

    monkeypatch.setattr(statistics, "rows_stored", never_stored)
    monkeypatch.setattr(statistics, "_MAX_POLL", 0.01)
    row = HourRow(start=local_midnight_utc(TODAY), energy_wh=1.0, sum_wh=1.0)
    try:
        stored = await hass.async_add_executor_job(
            statistics.wait_rows_stored, hass, "sunshare:x", [row], 3600.0
        )
    finally:
        hass.set_state(CoreState.running)
    assert stored is False
    assert queries == ["sunshare:x", "sunshare:x"]
