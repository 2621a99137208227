"""Tests of the fake gateway's own guards, so other tests can rely on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import aiohttp
import pytest

from custom_components.sunshare.enedis import EnedisClient, EnedisError, Measure
from tests.fakes.enedis_gateway import (
    DEFAULT_PRM,
    FakeEnedisGateway,
    day_points,
    running_gateway,
)

type ClientFactory = Callable[..., EnedisClient]


@pytest.mark.parametrize(
    "case",
    [
        (
            Measure.CONSUMPTION_LOAD_CURVE,
            date(2026, 11, 1),
            date(2026, 11, 9),
            "ADAM-DC-0015",
        ),
        (
            Measure.DAILY_CONSUMPTION,
            date(2026, 11, 20),
            date(2026, 11, 24),
            "ADAM-DC-0002",
        ),
        (
            Measure.DAILY_CONSUMPTION,
            date(2026, 11, 2),
            date(2026, 11, 2),
            "ADAM-DC-0001",
        ),
        (
            Measure.CONSUMPTION_LOAD_CURVE,
            date(2024, 11, 1),
            date(2024, 11, 2),
            "ADAM-DC-0016",
        ),
        (
            Measure.DAILY_PRODUCTION,
            date(2023, 10, 1),
            date(2023, 10, 2),
            "ADAM-DC-0016",
        ),
    ],
)
async def test_fake_enforces_enedis_query_rules(
    gateway: FakeEnedisGateway,
    make_client: ClientFactory,
    case: tuple[Measure, date, date, str],
) -> None:
    """Unclamped requests that break Enedis' rules get Enedis' 400 errors."""
    measure, start, end, code = case
    with pytest.raises(EnedisError) as err:
        await make_client().fetch_raw(measure, DEFAULT_PRM, start, end)
    assert err.value.code == code
    assert err.value.status == 400


async def test_fake_accepts_the_limits_themselves(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """Exactly 7 days of curve up to today, and the oldest available day, are served."""
    client = make_client()
    body = await client.fetch_raw(
        Measure.CONSUMPTION_LOAD_CURVE,
        DEFAULT_PRM,
        date(2026, 11, 16),
        date(2026, 11, 23),
    )
    assert len(body["meter_reading"]["interval_reading"]) == 7 * 48
    first, _ = client.available_range(Measure.CONSUMPTION_LOAD_CURVE)
    await client.fetch_raw(
        Measure.CONSUMPTION_LOAD_CURVE,
        DEFAULT_PRM,
        first,
        first.replace(day=first.day + 1),
    )


async def test_fake_unknown_endpoint_and_bad_parameters(
    gateway: FakeEnedisGateway, session: aiohttp.ClientSession
) -> None:
    """Unknown endpoints are 404, missing parameters 400; both are recorded."""
    headers = {"Authorization": f"Bearer {gateway.token}"}
    async with session.get(
        f"{gateway.base_url}/index_consommation", headers=headers
    ) as resp:
        assert resp.status == 404
    async with session.get(
        f"{gateway.base_url}/daily_consumption",
        params={"prm": DEFAULT_PRM},
        headers=headers,
    ) as resp:
        assert resp.status == 400
    assert [(r.measure, r.status) for r in gateway.requests] == [
        (None, 404),
        (Measure.DAILY_CONSUMPTION, 400),
    ]
    assert gateway.requests_for(Measure.DAILY_CONSUMPTION)[0].params == {
        "prm": DEFAULT_PRM
    }


async def test_scripted_failure_only_hits_its_measure(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A failure scripted for one measure leaves the others alone."""
    gateway.fail_next(500, measure=Measure.PRODUCTION_LOAD_CURVE, times=2)
    client = make_client(max_retries=0)
    days = await client.daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
    )
    assert len(days) == 1
    assert len(gateway.scripted) == 2


def test_dst_day_points() -> None:
    """The fake's own calendar has 46 and 50 half-hours on the DST days."""
    assert len(day_points(date(2026, 3, 29))) == 46
    assert len(day_points(date(2026, 10, 25))) == 50
    assert len(day_points(date(2026, 11, 2))) == 48


async def test_fixture_from_the_module(enedis_gateway: FakeEnedisGateway) -> None:
    """The importable fixture serves a default gateway on 127.0.0.1."""
    assert enedis_gateway.base_url.startswith("http://127.0.0.1:")
    assert enedis_gateway.base_url.endswith("/api")
    assert DEFAULT_PRM in enedis_gateway.meters


async def test_fake_time_can_follow_a_callable(real_sockets: None) -> None:
    """A callable ``now`` moves the fake's today with the caller's clock."""
    moments = [datetime(2026, 3, 29, 12, tzinfo=UTC)]
    async with running_gateway(now=lambda: moments[-1]) as fake:
        assert fake.today == date(2026, 3, 29)
        moments.append(datetime(2026, 3, 29, 22, 30, tzinfo=UTC))
        assert fake.today == date(2026, 3, 30)
