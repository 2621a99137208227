"""Tests of the Enedis client against the fake gateway over real local HTTP."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
import itertools

import aiohttp
import pytest

from custom_components.sunshare.enedis import (
    PARIS,
    EndpointNaming,
    EnedisAuthError,
    EnedisClient,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    EnedisTransientError,
    LoadCurveNotActivatedError,
    Measure,
    RateLimiter,
    is_valid_prm,
    normalize_prm,
)
from tests.fakes.clock import FakeClock
from tests.fakes.enedis_gateway import (
    DEFAULT_PRM,
    FakeEnedisGateway,
    FakeMeter,
    curve_power_w,
    running_gateway,
)

type ClientFactory = Callable[..., EnedisClient]

FORMATS = ["v5", "v5_unwrapped", "dc2026"]


def per_local_day(starts: list[datetime]) -> Counter[date]:
    """Count interval starts per Paris calendar day."""
    return Counter(s.astimezone(PARIS).date() for s in starts)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_load_curve_dst_days_both_formats(
    gateway: FakeEnedisGateway, make_client: ClientFactory, fmt: str
) -> None:
    """DST days give 46 and 50 contiguous UTC intervals in every response shape."""
    gateway.fmt = fmt  # type: ignore[assignment]
    client = make_client()
    spring = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 3, 28), date(2026, 3, 31)
    )
    autumn = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 10, 24), date(2026, 10, 27)
    )
    assert per_local_day([i.start for i in spring]) == {
        date(2026, 3, 28): 48,
        date(2026, 3, 29): 46,
        date(2026, 3, 30): 48,
    }
    assert per_local_day([i.start for i in autumn]) == {
        date(2026, 10, 24): 48,
        date(2026, 10, 25): 50,
        date(2026, 10, 26): 48,
    }
    for intervals in (spring, autumn):
        assert all(b.start == a.end for a, b in itertools.pairwise(intervals))
        assert all(i.start.tzinfo is UTC for i in intervals)
    assert spring[0].start == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert autumn[-1].end == datetime(2026, 10, 26, 23, 0, tzinfo=UTC)
    # W → Wh: every energy is the fake's average power over the half-hour / 2.
    for interval in spring + autumn:
        expected = curve_power_w(DEFAULT_PRM, False, interval.start) / 2
        assert interval.energy_wh == expected


@pytest.mark.parametrize("fmt", FORMATS)
async def test_daily_equals_sum_of_curve(
    gateway: FakeEnedisGateway, make_client: ClientFactory, fmt: str
) -> None:
    """Daily values are local days whose energy matches the load curve's sum."""
    gateway.fmt = fmt  # type: ignore[assignment]
    client = make_client()
    days = await client.daily_production(
        DEFAULT_PRM, date(2026, 10, 24), date(2026, 10, 27)
    )
    curve = await client.production_load_curve(
        DEFAULT_PRM, date(2026, 10, 24), date(2026, 10, 27)
    )
    assert [d.day for d in days] == [
        date(2026, 10, 24),
        date(2026, 10, 25),
        date(2026, 10, 26),
    ]
    for value in days:
        total = sum(
            i.energy_wh or 0 for i in curve if value.start <= i.start < value.end
        )
        assert value.energy_wh == total > 0


async def test_curve_in_wh_gives_the_same_energy(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A gateway that sends energy per step (Wh) gives the same result as W."""
    client = make_client()
    in_w = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 11, 2), date(2026, 11, 3)
    )
    gateway.curve_unit = "Wh"
    gateway.fmt = "dc2026"
    in_wh = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 11, 2), date(2026, 11, 3)
    )
    assert in_w == in_wh
    assert len(in_w) == 48


async def test_nulls_and_gaps(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """Null values stay None (not zero); missing days have no points at all."""
    meter = gateway.meters[DEFAULT_PRM]
    meter.null_labels.add(datetime.fromisoformat("2026-11-03 10:30:00"))
    meter.missing_days.add(date(2026, 11, 4))
    meter.null_days.add(date(2026, 11, 5))
    client = make_client()
    curve = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 11, 3), date(2026, 11, 6)
    )
    counts = per_local_day([i.start for i in curve])
    assert counts == {date(2026, 11, 3): 48, date(2026, 11, 5): 48}
    nulls = [i for i in curve if i.energy_wh is None]
    assert nulls[0].start == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert len(nulls) == 1 + 48
    days = await client.daily_consumption(
        DEFAULT_PRM, date(2026, 11, 3), date(2026, 11, 6)
    )
    assert [(d.day, d.energy_wh is None) for d in days] == [
        (date(2026, 11, 3), False),
        (date(2026, 11, 5), True),
    ]


async def test_load_curve_split_into_7_day_requests(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A 22-day load curve is fetched in contiguous calls of at most 7 days."""
    client = make_client()
    curve = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 23)
    )
    spans = [(r.start, r.end) for r in gateway.requests]
    assert spans == [
        (date(2026, 11, 1), date(2026, 11, 8)),
        (date(2026, 11, 8), date(2026, 11, 15)),
        (date(2026, 11, 15), date(2026, 11, 22)),
        (date(2026, 11, 22), date(2026, 11, 23)),
    ]
    assert len(curve) == 22 * 48
    assert all(r.authorization == f"Bearer {gateway.token}" for r in gateway.requests)
    assert (
        client.plan(
            Measure.CONSUMPTION_LOAD_CURVE, date(2026, 11, 1), date(2026, 11, 23)
        )
        == spans
    )


async def test_daily_history_split_and_clamped_to_limits(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """Asking for 10 years of daily data asks only for the last 36 months, ≤365 days."""
    client = make_client()
    days = await client.daily_consumption(
        DEFAULT_PRM, date(2016, 1, 1), date(2030, 1, 1)
    )
    requests = gateway.requests
    assert requests[0].start == date(2023, 11, 23)
    assert requests[-1].end == date(2026, 11, 23)  # today, exclusive: never today
    assert all((r.end - r.start).days <= 365 for r in requests)
    assert all(a.end == b.start for a, b in itertools.pairwise(requests))
    assert len(requests) == 4
    assert days[0].day == date(2023, 11, 23)
    assert days[-1].day == date(2026, 11, 22)
    assert len(days) == (date(2026, 11, 23) - date(2023, 11, 23)).days
    assert client.available_range(Measure.CONSUMPTION_LOAD_CURVE) == (
        date(2024, 11, 23),
        date(2026, 11, 23),
    )


async def test_today_or_future_only_sends_nothing(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A period with nothing available (today onwards) returns [] without a request."""
    client = make_client()
    assert (
        await client.consumption_load_curve(
            DEFAULT_PRM, date(2026, 11, 23), date(2026, 11, 30)
        )
        == []
    )
    assert (
        await client.daily_consumption(DEFAULT_PRM, date(2020, 1, 1), date(2021, 1, 1))
        == []
    )
    assert gateway.requests == []


async def test_late_evening_utc_is_already_the_next_paris_day(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """At 23:30 UTC on 22 Nov it is 23 Nov in Paris: yesterday's data is asked for."""
    gateway.current_time = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    client = make_client()
    days = await client.daily_consumption(
        DEFAULT_PRM, date(2026, 11, 20), date(2026, 12, 1)
    )
    assert [d.day for d in days] == [
        date(2026, 11, 20),
        date(2026, 11, 21),
        date(2026, 11, 22),
    ]


async def test_max_power_and_synchronous_naming(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """Data Connect 2026 names and parameters are used when the gateway wants them."""
    gateway.fmt = "dc2026"
    client = make_client(naming=EndpointNaming.SYNCHRONOUS)
    powers = await client.consumption_max_power(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
    )
    assert [p.day for p in powers] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert powers[0].at == datetime(2026, 11, 1, 18, 12, tzinfo=UTC)
    assert powers[0].unit == "VA"
    assert powers[0].power is not None
    assert powers[0].power > 0
    (request,) = gateway.requests
    assert request.path == "/api/puissance_conso_max_quotidienne"
    assert request.params == {
        "pointId": DEFAULT_PRM,
        "dateDebut": "2026-11-01",
        "dateFin": "2026-11-03",
        "mesuresPas": "P1D",
        "grandeurPhysique": "PMA",
    }
    await client.daily_consumption(DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2))
    assert gateway.requests[-1].path == "/api/consommation_quotidienne"


async def test_prm_validation(
    make_client: ClientFactory, gateway: FakeEnedisGateway
) -> None:
    """PRMs are 14 digits (spaces allowed); a bad one is refused before any request."""
    assert normalize_prm("1234 5678 9012 34") == DEFAULT_PRM
    assert is_valid_prm(DEFAULT_PRM)
    assert not is_valid_prm("1234")
    assert not is_valid_prm("1234567890123a")
    with pytest.raises(ValueError, match="14-digit"):
        await make_client().daily_consumption(
            "123", date(2026, 11, 1), date(2026, 11, 2)
        )
    assert gateway.requests == []


# -- errors ---------------------------------------------------------------------------


async def test_wrong_token_is_an_auth_error(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A refused token raises EnedisAuthError without retrying."""
    client = make_client(token="wrong")
    with pytest.raises(EnedisAuthError) as err:
        await client.daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert err.value.status == 401
    assert err.value.code is None
    assert "token" in str(err.value)
    assert len(gateway.requests) == 1


async def test_unknown_prm_for_token(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A PRM the token does not cover is an auth error."""
    with pytest.raises(EnedisAuthError):
        await make_client().daily_consumption(
            "99999999999999", date(2026, 11, 1), date(2026, 11, 2)
        )


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        ("ADAM-DC-0008", 403, "consent"),
        ("ADAM-DC-0007", 403, "holder"),
        ("STM-ERR-0000019", 404, "PRM"),
    ],
)
async def test_consent_errors_carry_their_code(
    gateway: FakeEnedisGateway,
    make_client: ClientFactory,
    code: str,
    status: int,
    words: str,
) -> None:
    """Revoked consent, lost holdership and unknown PRM are auth errors with a code."""
    gateway.fail_next(
        status, code=code.replace("-", "_") if code.startswith("ADAM") else code
    )
    with pytest.raises(EnedisAuthError) as err:
        await make_client().consumption_load_curve(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert err.value.code == code
    assert err.value.status == status
    assert words in str(err.value)


async def test_revoke_consent_helper(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """The fake's revoke_consent scripts ADAM-DC-0008 once, then serves normally."""
    gateway.revoke_consent()
    client = make_client()
    with pytest.raises(EnedisAuthError) as err:
        await client.daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert err.value.code == "ADAM-DC-0008"
    assert (
        len(
            await client.daily_consumption(
                DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
            )
        )
        == 1
    )


async def test_no_data_everywhere_raises_no_data(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """When every chunk answers 404 no_data_found, EnedisNoDataError is raised."""
    gateway.meters[DEFAULT_PRM].missing_days.update(
        date(2026, 11, 1) + timedelta(days=n) for n in range(10)
    )
    with pytest.raises(EnedisNoDataError) as err:
        await make_client().consumption_load_curve(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 11)
        )
    assert err.value.code == "no_data_found"
    assert len(gateway.requests) == 2


async def test_chunks_without_data_are_skipped(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """Chunks before the meter's activation are skipped; later data is returned."""
    gateway.meters[DEFAULT_PRM].activation = date(2026, 11, 10)
    client = make_client()
    chunks = [
        (start, end, len(values))
        async for start, end, values in client.iter_load_curve(
            Measure.CONSUMPTION_LOAD_CURVE,
            DEFAULT_PRM,
            date(2026, 11, 1),
            date(2026, 11, 15),
        )
    ]
    assert chunks == [
        (date(2026, 11, 1), date(2026, 11, 8), 0),
        (date(2026, 11, 8), date(2026, 11, 15), 5 * 48),
    ]
    assert gateway.requests[0].status == 400


async def test_load_curve_not_activated(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """A meter without load-curve recording raises LoadCurveNotActivatedError at once."""
    gateway.meters[DEFAULT_PRM].load_curve = False
    with pytest.raises(LoadCurveNotActivatedError) as err:
        await make_client().consumption_load_curve(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 20)
        )
    assert "Enedis account" in str(err.value)
    assert len(gateway.requests) == 1


async def test_wrong_direction_is_no_data(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """Production asked for a consumption-only meter is EnedisNoDataError."""
    gateway.meters[DEFAULT_PRM] = FakeMeter(production=False)
    with pytest.raises(EnedisNoDataError) as err:
        await make_client().daily_production(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert err.value.code == "ADAM-ERR0069"


async def test_other_client_error(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """An unexpected 400 is a plain EnedisError with the gateway's message."""
    gateway.fail_next(400, message="Paramètres invalides")
    with pytest.raises(EnedisError) as err:
        await make_client().daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert type(err.value) is EnedisError
    assert "Paramètres invalides" in str(err.value)


@pytest.mark.parametrize(
    "body", ["<html>Maintenance</html>", '{"hello": "world"}', "[1, 2]"]
)
async def test_malformed_bodies(
    gateway: FakeEnedisGateway, make_client: ClientFactory, body: str
) -> None:
    """A 200 with an unreadable body raises EnedisMalformedResponseError, no retry."""
    gateway.fail_malformed(body)
    with pytest.raises(EnedisMalformedResponseError):
        await make_client().consumption_load_curve(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert len(gateway.requests) == 1


# -- retries and rate limiting ------------------------------------------------------------


async def test_429_retry_after_is_honoured(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """After a 429 with Retry-After: 7 the client waits 7 s and retries."""
    gateway.fail_next(429, retry_after=7, message="Quota Q3 reached")
    days = await make_client().daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
    )
    assert len(days) == 2
    assert clock.sleeps == [7.0]
    first, second = gateway.requests
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time == 7.0


async def test_429_retry_after_as_http_date(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """A Retry-After HTTP date is turned into a delay from the client's clock."""
    gateway.fail_next(429, retry_after="Mon, 23 Nov 2026 12:00:30 GMT")
    await make_client().daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
    )
    assert clock.sleeps == [30.0]


async def test_429_with_long_retry_after_raises(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """A Retry-After beyond max_retry_after is raised for the caller to reschedule."""
    gateway.fail_next(429, retry_after=3600)
    with pytest.raises(EnedisRateLimitedError) as err:
        await make_client().daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
        )
    assert err.value.retry_after == 3600
    assert "3600 s" in str(err.value)
    assert clock.sleeps == []


async def test_429_without_retry_after_backs_off_then_gives_up(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """Repeated 429s without a delay back off exponentially, then raise."""
    gateway.fail_next(429, times=10)
    with pytest.raises(EnedisRateLimitedError) as err:
        await make_client(backoff=1.0).daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
        )
    assert err.value.retry_after is None
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(gateway.requests) == 4


async def test_5xx_is_retried_with_backoff(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """Two 500s then a success: the client retries after 2 s and 4 s."""
    gateway.fail_next(500, code="ADAM-DC-0500", times=2)
    gateway.fail_next(503, body="Service Unavailable")
    days = await make_client().daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
    )
    assert len(days) == 2
    assert clock.sleeps == [2.0, 4.0, 8.0]
    assert [r.status for r in gateway.requests] == [500, 500, 503, 200]


async def test_5xx_retries_are_bounded(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """Persistent 500s end with EnedisTransientError after max_retries retries."""
    gateway.fail_next(500, times=10)
    with pytest.raises(EnedisTransientError) as err:
        await make_client(max_retries=2).daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
        )
    assert err.value.status == 500
    assert len(gateway.requests) == 3
    assert clock.sleeps == [2.0, 4.0]


async def test_unreachable_gateway_is_transient(
    real_sockets: None, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A closed port gives EnedisTransientError after bounded retries."""
    async with running_gateway() as fake:
        base_url = fake.base_url
    client = EnedisClient(
        session,
        base_url,
        "t",
        now=fake.now,
        sleep=clock.sleep,
        rate_limiter=RateLimiter(clock=clock, sleep=clock.sleep),
        max_retries=1,
    )
    with pytest.raises(EnedisTransientError, match="Cannot reach"):
        await client.daily_consumption(
            DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
        )
    assert clock.sleeps == [2.0]
    assert client.request_count == 2


async def test_five_requests_per_second(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """A long backfill never sends more than 5 requests in any 1-second window."""
    client = make_client()
    await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 8, 1), date(2026, 11, 23)
    )
    times = [r.time for r in gateway.requests]
    assert len(times) == 17
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 1.0) <= 5
    assert times[5] - times[0] >= 1.0
    assert clock.sleeps  # it did have to wait


async def test_hourly_quota_raises_rate_limited(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """Past the hourly quota the client raises with the delay until a free slot."""
    limiter = RateLimiter(per_hour=3, clock=clock, sleep=clock.sleep)
    client = make_client(rate_limiter=limiter)
    with pytest.raises(EnedisRateLimitedError) as err:
        await client.consumption_load_curve(
            DEFAULT_PRM, date(2026, 10, 1), date(2026, 11, 1)
        )
    assert len(gateway.requests) == 3
    assert err.value.retry_after == pytest.approx(3600.0, abs=1.0)
    assert limiter.used_this_hour == 3
    clock.time += 3600
    assert limiter.used_this_hour == 0
    # The same shared limiter lets the next call through an hour later.
    assert (
        len(
            await client.daily_consumption(
                DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
            )
        )
        == 1
    )


async def test_429_defers_other_requests_sharing_the_limiter(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """A Retry-After holds the shared limiter, so a second client waits too."""
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    gateway.fail_next(429, retry_after=5)
    await make_client(rate_limiter=limiter).daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
    )
    limiter.defer(10)
    start = clock.time
    await make_client(rate_limiter=limiter).daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
    )
    assert gateway.requests[-1].time - start == pytest.approx(10.0)


async def test_fetch_raw_sends_exactly_one_request(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """fetch_raw returns the gateway's JSON untouched, without clamping or splitting."""
    body = await make_client().fetch_raw(
        Measure.DAILY_CONSUMPTION, DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 3)
    )
    assert body["meter_reading"]["usage_point_id"] == DEFAULT_PRM
    assert len(body["meter_reading"]["interval_reading"]) == 2
    assert len(gateway.requests) == 1


async def test_client_limiter_keeps_under_the_gateway_quota(
    gateway: FakeEnedisGateway, make_client: ClientFactory
) -> None:
    """With the gateway enforcing 5/s, the client's limiter never triggers a 429."""
    gateway.max_per_second = 5
    await make_client().consumption_load_curve(
        DEFAULT_PRM, date(2026, 8, 1), date(2026, 11, 23)
    )
    assert len(gateway.requests) == 17
    assert {r.status for r in gateway.requests} == {200}


async def test_gateway_quota_429_is_absorbed_by_retry_after(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """A client with a looser limit gets 429 Q3 from the gateway, waits and succeeds."""
    gateway.max_per_second = 5
    client = make_client(
        rate_limiter=RateLimiter(per_second=50, clock=clock, sleep=clock.sleep)
    )
    curve = await client.consumption_load_curve(
        DEFAULT_PRM, date(2026, 10, 1), date(2026, 11, 23)
    )
    statuses = [r.status for r in gateway.requests]
    assert statuses.count(429) >= 1
    assert statuses[:6] == [200] * 5 + [429]
    assert clock.sleeps[0] == 1.0
    assert len(curve) == 53 * 48 + 2  # October's 25th has two extra half-hours


async def test_timeout_is_transient_and_retried(
    gateway: FakeEnedisGateway, make_client: ClientFactory, clock: FakeClock
) -> None:
    """A response slower than the client's timeout counts as a transient failure."""
    # Generous margins: the retried request must finish within the timeout even on a
    # loaded CI machine.
    gateway.fail_next(200, body="{}", delay=3.0)
    client = make_client(timeout=1.0, max_retries=1)
    days = await client.daily_consumption(
        DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)
    )
    assert len(days) == 1
    assert clock.sleeps == [2.0]
    assert client.request_count == 2
