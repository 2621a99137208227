"""Tests of the server's Data Connect client against the fake Enedis platform."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from custom_components.sunshare.enedis import (
    EnedisMalformedResponseError,
    EnedisTransientError,
    Measure,
)
from game_server.enedis.dataconnect import DataConnectClient
from game_server.enedis.errors import (
    ApplicationAuthError,
    ConsentNotPropagatedError,
    ConsentRevokedError,
    QuotaExceededError,
)
from game_server.enedis.ratelimit import DataConnectRateLimiter
from tests.fakes.clock import FakeClock
from tests.fakes.enedis_dataconnect import FakeDataConnect
from tests.fakes.enedis_gateway import DEFAULT_PRM, day_points

from .conftest import make_config

type MakeClient = Callable[..., DataConnectClient]
DAY = date(2026, 11, 20)


async def test_token_is_cached_until_it_expires(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """One token serves every call until a minute before it expires."""
    enedis.token_lifetime = 600
    client = make_client()
    first = await client.application_token()
    assert await client.application_token() == first
    assert client.token_requests == 1
    enedis.current_time += timedelta(seconds=539)
    assert await client.application_token() == first
    enedis.current_time += timedelta(seconds=2)
    second = await client.application_token()
    assert second != first
    assert client.token_requests == 2
    assert [c.status for c in enedis.calls_to("oauth2")] == [200, 200]


async def test_wrong_credentials_give_a_clear_error(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """A wrong client secret is reported as the operator's problem."""
    client = make_client(config=make_config(enedis, client_secret="wrong"))
    with pytest.raises(ApplicationAuthError, match="invalid_client") as err:
        await client.application_token()
    assert "client secret" in str(err.value)


async def test_a_token_refused_early_is_renewed_once(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """When Enedis drops the token before its expiry, the client gets a new one."""
    enedis.give_consent(DEFAULT_PRM)
    client = make_client()
    await client.application_token()
    enedis.tokens.clear()
    days = await client.daily(
        Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
    )
    assert [d.day for d in days] == [DAY]
    assert client.token_requests == 2


async def test_token_refused_twice_is_an_application_error(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """A freshly issued token that is refused points at the credentials."""
    enedis.give_consent(DEFAULT_PRM)
    enedis.token_lifetime = 0
    client = make_client()
    with pytest.raises(ApplicationAuthError, match="twice"):
        await client.daily(
            Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
        )


def test_consent_url_carries_exactly_the_enedis_parameters(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """The consent URL has client_id, duration, response_type and state only."""
    client = make_client()
    url = client.consent_url("abc.def")
    parts = urlsplit(url)
    assert url.startswith(enedis.authorize_url + "?")
    assert parse_qs(parts.query) == {
        "client_id": ["sunshare-test-client"],
        "duration": ["P1Y"],
        "response_type": ["code"],
        "state": ["abc.def"],
    }
    with pytest.raises(ValueError, match="100"):
        client.consent_url("x" * 101)


async def test_prm_resolved_after_propagation_delay(
    enedis: FakeDataConnect, make_client: MakeClient, clock: FakeClock
) -> None:
    """subscribed_services is retried while Enedis has not attached the meter."""
    autorisation_id = enedis.give_consent(DEFAULT_PRM, pending_calls=2)
    client = make_client()
    assert await client.resolve_prms(autorisation_id) == [DEFAULT_PRM]
    assert len(enedis.calls_to("subscribed_services")) == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_prm_never_propagated(
    enedis: FakeDataConnect, make_client: MakeClient, clock: FakeClock
) -> None:
    """After the bounded retries the player is told to try again shortly."""
    autorisation_id = enedis.give_consent(DEFAULT_PRM, pending_calls=50)
    client = make_client(propagation_delays=(1.0, 1.0))
    with pytest.raises(ConsentNotPropagatedError, match="try again"):
        await client.resolve_prms(autorisation_id)
    assert len(enedis.calls_to("subscribed_services")) == 3
    assert clock.sleeps == [1.0, 1.0]


async def test_daily_and_load_curve_of_a_consented_meter(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """Metering data is read with the E1 parser from the DC2026 endpoints."""
    enedis.give_consent(DEFAULT_PRM)
    client = make_client()
    days = await client.daily(
        Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(2)
    )
    assert [(d.day, d.energy_wh) for d in days] == [
        (DAY, enedis.daily_wh(DEFAULT_PRM, False, DAY)),
        (DAY + timedelta(1), enedis.daily_wh(DEFAULT_PRM, False, DAY + timedelta(1))),
    ]
    curve = await client.load_curve(
        Measure.CONSUMPTION_LOAD_CURVE, DEFAULT_PRM, DAY, DAY + timedelta(1)
    )
    assert [i.start for i in curve] == [start for start, _ in day_points(DAY)]
    assert sum(i.energy_wh or 0 for i in curve) == enedis.daily_wh(
        DEFAULT_PRM, False, DAY
    )
    peaks = await client.max_power(DEFAULT_PRM, DAY, DAY + timedelta(1))
    assert len(peaks) == 1 and peaks[0].power is not None
    paths = {c.path for c in enedis.calls}
    assert "/mesure_synchrone_auto/v2/consommation_quotidienne" in paths
    assert "/mesure_synchrone_auto/v2/courbe_de_charge_consommation" in paths
    assert "/mesure_synchrone_auto/v2/puissance_conso_max_quotidienne" in paths


async def test_revoked_consent_is_a_typed_error(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """Enedis' ADAM-DC-0008 becomes ConsentRevokedError with a clear message."""
    enedis.give_consent(DEFAULT_PRM)
    enedis.revoke(DEFAULT_PRM)
    client = make_client()
    with pytest.raises(ConsentRevokedError, match="Verify your meter again") as err:
        await client.daily(
            Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
        )
    assert err.value.code == "ADAM-DC-0008"


async def test_enedis_hourly_quota_gives_quota_error(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """A 429 with a long Retry-After is not waited for: QuotaExceededError."""
    enedis.give_consent(DEFAULT_PRM)
    enedis.max_per_hour_per_api = 1
    client = make_client()
    await client.daily(Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1))
    with pytest.raises(QuotaExceededError) as err:
        await client.daily(
            Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
        )
    assert err.value.retry_after is not None and err.value.retry_after > 3000
    # Another API has its own hourly quota.
    curve = await client.load_curve(
        Measure.CONSUMPTION_LOAD_CURVE, DEFAULT_PRM, DAY, DAY + timedelta(1)
    )
    assert len(curve) == 48


async def test_short_429_is_waited_for(
    enedis: FakeDataConnect, make_client: MakeClient, clock: FakeClock
) -> None:
    """A 429 with a short Retry-After is retried after that delay."""
    enedis.give_consent(DEFAULT_PRM)
    enedis.fail_next(429, retry_after=2, measure=Measure.DAILY_CONSUMPTION)
    client = make_client()
    days = await client.daily(
        Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
    )
    assert len(days) == 1
    assert 2.0 in clock.sleeps


async def test_local_hourly_quota_stops_before_enedis(
    enedis: FakeDataConnect, make_client: MakeClient, clock: FakeClock
) -> None:
    """The server's own per-API quota refuses calls without reaching Enedis."""
    enedis.give_consent(DEFAULT_PRM)
    limiter = DataConnectRateLimiter(per_hour=2, clock=clock, sleep=clock.sleep)
    client = make_client(rate_limiter=limiter)
    for _ in range(2):
        await client.daily(
            Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
        )
    sent = len(enedis.calls_to("consommation_quotidienne"))
    with pytest.raises(QuotaExceededError, match="consommation_quotidienne"):
        await client.daily(
            Measure.DAILY_CONSUMPTION, DEFAULT_PRM, DAY, DAY + timedelta(1)
        )
    assert len(enedis.calls_to("consommation_quotidienne")) == sent == 2
    assert limiter.used_this_hour()["consommation_quotidienne"] == 2


async def test_rate_is_shared_by_every_api(
    enedis: FakeDataConnect, make_client: MakeClient, clock: FakeClock
) -> None:
    """At most 5 calls per second reach Enedis, whatever the API."""
    enedis.give_consent(DEFAULT_PRM)
    enedis.rate_per_second = 5
    client = make_client()
    await client.application_token()
    for index in range(6):
        measure = (
            Measure.DAILY_CONSUMPTION if index % 2 else Measure.CONSUMPTION_MAX_POWER
        )
        if measure is Measure.DAILY_CONSUMPTION:
            await client.daily(measure, DEFAULT_PRM, DAY, DAY + timedelta(1))
        else:
            await client.max_power(DEFAULT_PRM, DAY, DAY + timedelta(1))
    assert all(c.status == 200 for c in enedis.calls)
    times = [c.time for c in enedis.calls]
    assert all(
        later - earlier >= 1.0 for earlier, later in zip(times, times[5:], strict=False)
    )
    assert clock.sleeps


async def test_token_endpoint_outage_is_retried(
    enedis: FakeDataConnect, make_client: MakeClient, clock: FakeClock
) -> None:
    """A 5xx from the token endpoint is retried with backoff."""
    enedis.fail_api("oauth2", 503)
    client = make_client()
    assert await client.application_token()
    assert clock.sleeps == [2.0]
    enedis.fail_api("oauth2", 500, times=5)
    client.invalidate_token()
    with pytest.raises(EnedisTransientError):
        await client.application_token()


async def test_token_answer_without_token_is_malformed(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """A token answer that is not JSON, or has no token, is reported as such."""
    enedis.fail_api("oauth2", 200, body="<html>maintenance</html>")
    client = make_client()
    with pytest.raises(EnedisMalformedResponseError, match="not JSON"):
        await client.application_token()
    enedis.fail_api("oauth2", 200, body='{"token_type": "Bearer"}')
    with pytest.raises(EnedisMalformedResponseError, match="access_token"):
        await client.application_token()


async def test_subscribed_services_quota_and_shapes(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """A long 429 is a quota error at once; odd service lists are filtered."""
    client = make_client()
    enedis.fail_api("subscribed_services", 429, retry_after=5000)
    with pytest.raises(QuotaExceededError):
        await client.subscribed_services("123")
    body = (
        '{"serviceSouscrit": {"pointId": "12345678901234", "serviceCode": "ACCES",'
        ' "etatCode": "ACTIF", "soutirage": "true", "injection": "false"}}'
    )
    enedis.fail_api("subscribed_services", 200, body=body)
    services = await client.subscribed_services("123")
    assert [(s.prm, s.consumption, s.production) for s in services] == [
        (DEFAULT_PRM, True, False)
    ]
    enedis.fail_api(
        "subscribed_services",
        200,
        body='{"serviceSouscrit": [{"pointId": "12"}, "x", {"pointId": null}]}',
    )
    assert await client.subscribed_services("abc") == []
    enedis.fail_api("subscribed_services", 200, body="[]")
    with pytest.raises(EnedisMalformedResponseError):
        await client.subscribed_services("123")


async def test_unreachable_enedis_is_transient(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """A closed port gives a transient error after the retries."""
    config = make_config(enedis)
    await enedis.close()
    client = make_client(config=config)
    with pytest.raises(EnedisTransientError, match="Cannot reach Enedis"):
        await client.application_token()


async def test_concurrent_callers_share_one_token_request(
    enedis: FakeDataConnect, make_client: MakeClient
) -> None:
    """Players asking at the same time trigger a single token request."""
    client = make_client()
    tokens = await asyncio.gather(*(client.application_token() for _ in range(5)))
    assert len(set(tokens)) == 1
    assert len(enedis.calls_to("oauth2")) == 1
