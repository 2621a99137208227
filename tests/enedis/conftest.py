"""Fixtures for the Enedis library tests: a fake clock, a session, the fake gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.sunshare.enedis import EnedisClient, RateLimiter
from tests.fakes.clock import FakeClock
from tests.fakes.enedis_gateway import (
    FakeEnedisGateway,
    enedis_gateway,  # noqa: F401  # the importable fixture, used by test_fake_gateway
    running_gateway,
)


@pytest.fixture
async def gateway(
    real_sockets: None, clock: FakeClock
) -> AsyncIterator[FakeEnedisGateway]:
    """Run the fake gateway, recording request times on the fake clock."""
    async with running_gateway(clock=clock) as fake:
        yield fake


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, gateway: FakeEnedisGateway, clock: FakeClock
) -> Callable[..., EnedisClient]:
    """Return a factory of clients bound to the fake gateway and the fake clock."""

    def factory(**kwargs: Any) -> EnedisClient:
        """Build a client; keyword arguments override the defaults."""
        limiter = kwargs.pop(
            "rate_limiter", RateLimiter(clock=clock, sleep=clock.sleep)
        )
        options: dict[str, Any] = {
            "now": gateway.now,
            "sleep": clock.sleep,
            "rate_limiter": limiter,
        }
        options.update(kwargs)
        base_url = options.pop("base_url", gateway.base_url)
        token = options.pop("token", gateway.token)
        return EnedisClient(session, base_url, token, **options)

    return factory
