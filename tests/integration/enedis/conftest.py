"""Fixtures of the Enedis data tests: a fake gateway on 127.0.0.1 and an entry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis.models import local_midnight_utc
from custom_components.sunshare.enedis_data import api, backfill
from custom_components.sunshare.enedis_data.const import Direction
from custom_components.sunshare.enedis_data.statistics import statistic_id
from tests.fakes.enedis_gateway import (
    DEFAULT_PRM,
    DEFAULT_TOKEN,
    FakeEnedisGateway,
    running_gateway,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
"""11:00 in Paris: yesterday's data is published."""


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """No retries, no waiting, limits high enough for frozen time."""
    monkeypatch.setitem(api.CLIENT_OPTIONS, "max_retries", 0)
    monkeypatch.setitem(api.CLIENT_OPTIONS, "backoff", 0.0)
    monkeypatch.setitem(api.LIMITER_OPTIONS, "per_second", 10_000)
    monkeypatch.setitem(api.LIMITER_OPTIONS, "per_hour", 1_000_000)
    # The loop's clock is frozen too: a pause between chunks would never end.
    monkeypatch.setattr(backfill, "BACKFILL_PAUSE", 0.0)


@pytest.fixture
async def gateway(
    real_sockets: None, freezer: FrozenDateTimeFactory
) -> AsyncIterator[FakeEnedisGateway]:
    """Run the fake gateway; Home Assistant's clock and the fake's agree."""
    freezer.move_to(NOW)
    async with running_gateway(now=NOW) as fake:
        yield fake


def entry_data(gateway: FakeEnedisGateway, **changes: Any) -> dict[str, Any]:
    """Return the data of an entry using the fake gateway as a custom gateway."""
    return {
        "kind": "enedis",
        "gateway": "custom",
        "url": gateway.base_url,
        "token": DEFAULT_TOKEN,
        "prm": DEFAULT_PRM,
        **changes,
    }


@pytest.fixture
def entry(gateway: FakeEnedisGateway) -> MockConfigEntry:
    """Return an Enedis data entry (not added)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Enedis {DEFAULT_PRM}",
        unique_id=DEFAULT_PRM,
        data=entry_data(gateway),
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up the entry, and wait for the statistics to be written."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)


async def rows(
    hass: HomeAssistant, direction: Direction = Direction.CONSUMPTION
) -> list[dict[str, Any]]:
    """Return the stored hourly rows of the default PRM, oldest first."""
    await async_wait_recording_done(hass)
    stat_id = statistic_id(DEFAULT_PRM, direction)
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2020, 1, 1, tzinfo=UTC),
        None,
        {stat_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return [
        {**row, "start": dt_util.utc_from_timestamp(row["start"])}
        for row in result.get(stat_id, [])
    ]


def expected_wh(
    gateway: FakeEnedisGateway, start: date, end: date, production: bool = False
) -> float:
    """Return the fake's energy over local days ``[start, end[``."""
    total = 0.0
    day = start
    while day < end:
        if day not in gateway.meters[DEFAULT_PRM].missing_days:
            total += gateway.daily_wh(DEFAULT_PRM, production, day) or 0
        day += timedelta(days=1)
    return total


def rows_of_day(all_rows: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """Return the rows of one local day."""
    start, end = local_midnight_utc(day), local_midnight_utc(day + timedelta(days=1))
    return [row for row in all_rows if start <= row["start"] < end]


def assert_continuous(all_rows: list[dict[str, Any]]) -> None:
    """Assert that every row's sum is the previous sum plus its state."""
    previous = 0.0
    for row in all_rows:
        assert row["state"] >= 0
        assert row["sum"] == pytest.approx(previous + row["state"])
        previous = row["sum"]
