"""The demo's Enedis stand-in (``scripts/demo_enedis.py``).

Read as the game server reads Enedis: through :class:`game_server.enedis.
DataConnectClient` over real local HTTP, then through the gateway's conversion (Conso
API's shape).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from types import ModuleType

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.sunshare.enedis import PARIS, EnedisAuthError, Measure
from game_server.enedis import DataConnectClient, DataConnectConfig
from game_server.enedis.gateway import GatewayQuery, to_conso_api
from tests.scripts import load_script

PRM = "30000000000000"
TODAY = date(2026, 12, 8)


@pytest.fixture(scope="module")
def stand_in() -> ModuleType:
    """Return ``scripts/demo_enedis.py`` as a module."""
    return load_script("demo_enedis")


@pytest.fixture
async def client(
    stand_in: ModuleType, real_sockets: None
) -> AsyncIterator[DataConnectClient]:
    """Return the game server's Data Connect client on a running stand-in."""
    server = TestServer(stand_in.create_app(PRM, today=TODAY), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        config = DataConnectConfig(
            client_id=stand_in.CLIENT_ID,
            client_secret=stand_in.CLIENT_SECRET,
            api_url=str(server.make_url("")).rstrip("/"),
        )
        yield DataConnectClient(
            session, config, now=lambda: datetime(2026, 12, 8, 9, tzinfo=UTC)
        )
    await server.close()


async def test_a_year_of_daily_data_with_the_seasons(client: DataConnectClient) -> None:
    """A year of days: consumption every day, more injection in summer than winter."""
    start = TODAY - timedelta(days=365)
    consumption = await client.daily(Measure.DAILY_CONSUMPTION, PRM, start, TODAY)
    production = await client.daily(Measure.DAILY_PRODUCTION, PRM, start, TODAY)
    assert [v.day for v in consumption] == [
        start + timedelta(days=n) for n in range(365)
    ]
    assert all((v.energy_wh or 0) > 2000 for v in consumption)
    june = sum(v.energy_wh or 0 for v in production if v.day.month == 6)
    december = sum(v.energy_wh or 0 for v in production if v.day.month == 12)
    assert june > 3 * december
    # The same numbers each run (the demo's story does not change).
    again = await client.daily(Measure.DAILY_CONSUMPTION, PRM, start, TODAY)
    assert again == consumption


async def test_load_curve_matches_the_days_and_the_sun(
    client: DataConnectClient,
) -> None:
    """Half-hours add up to the day; no injection at night, none at 19:00 in December."""
    start = date(2026, 12, 1)
    curve = await client.load_curve(
        Measure.PRODUCTION_LOAD_CURVE, PRM, start, start + timedelta(days=7)
    )
    days = await client.daily(
        Measure.DAILY_PRODUCTION, PRM, start, start + timedelta(days=7)
    )
    assert len(curve) == 7 * 48
    for day in days:
        total = sum(
            i.energy_wh or 0
            for i in curve
            if i.start.astimezone(PARIS).date() == day.day
        )
        assert total == pytest.approx(day.energy_wh or 0, abs=1)
    for interval in curve:
        local = interval.start.astimezone(PARIS)
        if local.hour < 8 or local.hour >= 18:
            assert interval.energy_wh == 0, local
    assert any((i.energy_wh or 0) > 0 for i in curve)
    consumption = await client.load_curve(
        Measure.CONSUMPTION_LOAD_CURVE, PRM, start, start + timedelta(days=7)
    )
    evening = [
        i.energy_wh or 0 for i in consumption if i.start.astimezone(PARIS).hour == 19
    ]
    assert min(evening) > 0


async def test_clock_change_days(client: DataConnectClient) -> None:
    """46 half-hours on the spring day, 50 on the autumn one."""
    spring = await client.load_curve(
        Measure.CONSUMPTION_LOAD_CURVE, PRM, date(2026, 3, 29), date(2026, 3, 30)
    )
    autumn = await client.load_curve(
        Measure.CONSUMPTION_LOAD_CURVE, PRM, date(2026, 10, 25), date(2026, 10, 26)
    )
    assert (len(spring), len(autumn)) == (46, 50)


async def test_the_gateway_shape_and_refusals(
    client: DataConnectClient,
) -> None:
    """The gateway converts the body to Conso API's shape; other PRMs are refused."""
    start, end = date(2026, 6, 1), date(2026, 6, 8)
    body = await client.fetch_raw(Measure.DAILY_PRODUCTION, PRM, start, end)
    query = GatewayQuery(Measure.DAILY_PRODUCTION, PRM, start, end, "conso_api")
    answer = to_conso_api(query, body)
    assert answer["usage_point_id"] == PRM
    assert len(answer["interval_reading"]) == 7
    assert answer["reading_type"]["unit"] == "Wh"
    with pytest.raises(EnedisAuthError):
        await client.daily(Measure.DAILY_CONSUMPTION, "30000000000001", start, end)
