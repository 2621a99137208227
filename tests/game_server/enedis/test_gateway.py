"""Tests of the Enedis gateway: API token, ownership, shape, cache and errors."""

from __future__ import annotations

from datetime import date, timedelta

import aiohttp
import pytest

from custom_components.sunshare.enedis import (
    EnedisAuthError,
    EnedisClient,
    Gateway,
    gateway_base_url,
)
from custom_components.sunshare.enedis.models import EndpointNaming
from tests.fakes.enedis_dataconnect import FakeDataConnect
from tests.fakes.enedis_gateway import DEFAULT_PRM, day_points

from .conftest import Server

DAY = date(2026, 11, 20)
OTHER_PRM = "22516914714270"


def _query(prm: str = DEFAULT_PRM, days: int = 2) -> dict[str, str]:
    """Return a gateway query for ``days`` days from DAY."""
    return {
        "prm": prm,
        "start": DAY.isoformat(),
        "end": (DAY + timedelta(days)).isoformat(),
    }


async def test_token_required(server: Server) -> None:
    """No token or a wrong token gets a JSON 401."""
    response = await server.client.get("/api/enedis/daily_consumption", params=_query())
    assert response.status == 401
    assert (await response.json())["error"] == "missing_token"
    response = await server.client.get(
        "/api/enedis/daily_consumption",
        params=_query(),
        headers={"Authorization": "Bearer ssg_wrong"},
    )
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_token"


async def test_only_own_verified_prm(server: Server, enedis: FakeDataConnect) -> None:
    """A player reads only their own PRM, and only once it is verified."""
    enedis.give_consent(DEFAULT_PRM)
    _user, token = await server.player("alice", DEFAULT_PRM)
    headers = {"Authorization": f"Bearer {token}"}
    response = await server.client.get(
        "/api/enedis/daily_consumption", params=_query(), headers=headers
    )
    assert response.status == 403
    assert (await response.json())["error"] == "prm_not_verified"
    _bob, bob_token = await server.player("bob", OTHER_PRM, verified=True)
    response = await server.client.get(
        "/api/enedis/daily_consumption",
        params=_query(),
        headers={"Authorization": f"Bearer {bob_token}"},
    )
    assert response.status == 403
    body = await response.json()
    assert body["error"] == "not_your_prm" and body["field"] == "prm"
    assert not enedis.calls_to("consommation_quotidienne")


async def test_integration_client_reads_through_gateway(
    server: Server, enedis: FakeDataConnect, session: aiohttp.ClientSession
) -> None:
    """The integration's Enedis client (gateway "Sunshare") works unchanged."""
    enedis.give_consent(DEFAULT_PRM)
    _user, token = await server.player("alice", DEFAULT_PRM, verified=True)
    base = gateway_base_url(Gateway.SUNSHARE, str(server.client.make_url("/")))
    client = EnedisClient(
        session, base, token, naming=EndpointNaming.LEGACY, now=enedis.now
    )
    days = await client.daily_consumption(DEFAULT_PRM, DAY, DAY + timedelta(3))
    assert [(d.day, d.energy_wh) for d in days] == [
        (DAY + timedelta(i), enedis.daily_wh(DEFAULT_PRM, False, DAY + timedelta(i)))
        for i in range(3)
    ]
    curve = await client.consumption_load_curve(DEFAULT_PRM, DAY, DAY + timedelta(1))
    assert [i.start for i in curve] == [s for s, _ in day_points(DAY)]
    assert sum(i.energy_wh or 0 for i in curve) == enedis.daily_wh(
        DEFAULT_PRM, False, DAY
    )
    peaks = await client.consumption_max_power(DEFAULT_PRM, DAY, DAY + timedelta(1))
    assert peaks[0].unit == "VA" and peaks[0].power
    # Data Connect was called with the DC2026 names and parameters.
    call = enedis.calls_to("consommation_quotidienne")[0]
    assert call.query == {
        "pointId": DEFAULT_PRM,
        "dateDebut": DAY.isoformat(),
        "dateFin": (DAY + timedelta(3)).isoformat(),
    }


async def test_conso_api_shape_and_raw_format(
    server: Server, enedis: FakeDataConnect
) -> None:
    """The answer is Conso API's meter_reading; format=dc2026 gives Enedis' body."""
    enedis.give_consent(DEFAULT_PRM)
    _user, token = await server.player("alice", DEFAULT_PRM, verified=True)
    headers = {"Authorization": f"Bearer {token}"}
    response = await server.client.get(
        "/api/enedis/consumption_load_curve", params=_query(days=1), headers=headers
    )
    assert response.status == 200
    body = await response.json()
    assert body["usage_point_id"] == DEFAULT_PRM
    assert body["reading_type"] == {
        "measurement_kind": "power",
        "unit": "W",
        "aggregate": "average",
    }
    first = body["interval_reading"][0]
    assert first["date"] == "2026-11-20 00:30:00"
    assert first["interval_length"] == "PT30M"
    assert isinstance(first["value"], str)
    response = await server.client.get(
        "/api/enedis/daily_consumption",
        params={**_query(days=1), "format": "dc2026"},
        headers=headers,
    )
    raw = await response.json()
    assert raw["idPrm"] == DEFAULT_PRM and raw["grandeur"][0]["points"][0]["d"] == (
        DAY.isoformat()
    )


async def test_answers_are_cached(server: Server, enedis: FakeDataConnect) -> None:
    """The same question within the TTL does not reach Enedis again."""
    enedis.give_consent(DEFAULT_PRM)
    _user, token = await server.player("alice", DEFAULT_PRM, verified=True)
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/enedis/daily_production"
    first = await server.client.get(url, params=_query(), headers=headers)
    second = await server.client.get(url, params=_query(), headers=headers)
    assert first.status == second.status == 200
    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert await first.json() == await second.json()
    assert len(enedis.calls_to("production_quotidienne")) == 1
    server.runtime.cache.ttl = 0
    await server.client.get(url, params=_query(days=1), headers=headers)
    third = await server.client.get(url, params=_query(days=1), headers=headers)
    assert third.headers["X-Cache"] == "miss"
    assert len(enedis.calls_to("production_quotidienne")) == 3


async def test_revoked_consent_reaches_the_integration(
    server: Server, enedis: FakeDataConnect, session: aiohttp.ClientSession
) -> None:
    """ADAM-DC-0008 is a JSON 403 that the integration reads as a consent error."""
    _user, token = await server.player("alice", DEFAULT_PRM, verified=True)
    headers = {"Authorization": f"Bearer {token}"}
    response = await server.client.get(
        "/api/enedis/daily_consumption", params=_query(), headers=headers
    )
    assert response.status == 403
    body = await response.json()
    assert body["error"] == "consent_revoked"
    assert body["enedis_code"] == "ADAM-DC-0008"
    base = gateway_base_url(Gateway.SUNSHARE, str(server.client.make_url("/")))
    client = EnedisClient(session, base, token, now=enedis.now)
    with pytest.raises(EnedisAuthError, match="consent") as err:
        await client.daily_consumption(DEFAULT_PRM, DAY, DAY + timedelta(1))
    assert err.value.code == "ADAM-DC-0008"


async def test_quota_and_no_data_errors(
    server: Server, enedis: FakeDataConnect
) -> None:
    """Enedis' quota is a 429 with Retry-After; no data is a 404."""
    enedis.give_consent(DEFAULT_PRM)
    enedis.max_per_hour_per_api = 1
    _user, token = await server.player("alice", DEFAULT_PRM, verified=True)
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/enedis/daily_consumption"
    assert (
        await server.client.get(url, params=_query(), headers=headers)
    ).status == 200
    response = await server.client.get(url, params=_query(days=1), headers=headers)
    assert response.status == 429
    assert (await response.json())["error"] == "quota_exceeded"
    assert int(response.headers["Retry-After"]) > 3000
    enedis.meters[DEFAULT_PRM].missing_days.add(DAY)
    response = await server.client.get(
        "/api/enedis/consumption_load_curve", params=_query(days=1), headers=headers
    )
    assert response.status == 404
    assert (await response.json())["enedis_code"] == "no_data_found"


async def test_bad_queries(server: Server) -> None:
    """Wrong dates, spans or measures get a clear JSON error before Enedis."""
    _user, token = await server.player("alice", DEFAULT_PRM, verified=True)
    headers = {"Authorization": f"Bearer {token}"}
    cases = {
        ("daily_consumption", "2026-11-20", "2026-11-20"): "end",
        ("daily_consumption", "2026-13-01", "2026-11-20"): "start",
        ("daily_consumption", "2026-11-20", "2026-11-30"): "end",
        ("consumption_load_curve", "2026-11-01", "2026-11-10"): "end",
    }
    for (measure, start, end), field in cases.items():
        response = await server.client.get(
            f"/api/enedis/{measure}",
            params={"prm": DEFAULT_PRM, "start": start, "end": end},
            headers=headers,
        )
        assert response.status == 422, (measure, start, end)
        assert (await response.json())["field"] == field
    response = await server.client.get(
        "/api/enedis/daily_consumption",
        params={"prm": "123", "start": "2026-11-01", "end": "2026-11-02"},
        headers=headers,
    )
    assert (await response.json())["field"] == "prm"
    response = await server.client.get(
        "/api/enedis/index_consommation", params=_query(), headers=headers
    )
    assert response.status == 404
