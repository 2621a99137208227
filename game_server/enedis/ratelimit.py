"""One rate limiter for the whole server: 5 requests/s overall, an hourly quota per API.

Enedis counts calls per application, whichever player they serve: at most 5 per second,
and an hourly quota per API (1,000 in the Data Connect 2026 Swagger). The limiter reuses
the integration's sliding-window :class:`RateLimiter`: one shared window for the rate,
one window per API for the hourly quota.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from custom_components.sunshare.enedis import EnedisRateLimitedError, RateLimiter
from custom_components.sunshare.enedis.ratelimit import Clock, Sleep

from .errors import QuotaExceededError

PER_SECOND: Final = 5
PER_HOUR_PER_API: Final = 1000
NO_HOURLY_LIMIT: Final = 10**9


class ApiRateLimiter(RateLimiter):
    """The view of :class:`DataConnectRateLimiter` for one API (hourly quota + rate)."""

    def __init__(
        self,
        shared: RateLimiter,
        api: str,
        per_hour: int,
        *,
        clock: Clock,
        sleep: Sleep,
        max_wait: float,
    ) -> None:
        """Create the hourly window of ``api`` on top of the shared rate window."""
        super().__init__(
            per_second=NO_HOURLY_LIMIT,
            per_hour=per_hour,
            clock=clock,
            sleep=sleep,
            max_wait=max_wait,
        )
        self.api = api
        self.shared = shared

    async def acquire(self) -> None:
        """Wait for this API's hourly quota, then for the shared per-second rate."""
        try:
            await super().acquire()
            await self.shared.acquire()
        except QuotaExceededError:
            raise
        except EnedisRateLimitedError as err:
            retry_after = err.retry_after
            raise QuotaExceededError(
                f"The server's Enedis quota for {self.api} is used up; try again in "
                f"{retry_after or 0:.0f} s.",
                retry_after=retry_after,
            ) from err

    def defer(self, seconds: float) -> None:
        """Hold every request to Enedis (the server asked to slow down)."""
        super().defer(seconds)
        self.shared.defer(seconds)


class DataConnectRateLimiter:
    """The server-wide limiter; :meth:`for_api` returns the limiter of one API."""

    def __init__(
        self,
        per_second: int = PER_SECOND,
        per_hour: int = PER_HOUR_PER_API,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_wait: float = 30.0,
    ) -> None:
        """Create the shared per-second window; hourly windows are made on demand."""
        self.per_hour = per_hour
        self._clock = clock
        self._sleep = sleep
        self.max_wait = max_wait
        self.shared = RateLimiter(
            per_second, NO_HOURLY_LIMIT, clock=clock, sleep=sleep, max_wait=max_wait
        )
        self._apis: dict[str, ApiRateLimiter] = {}

    def for_api(self, api: str) -> ApiRateLimiter:
        """Return the limiter of one API (created on first use)."""
        limiter = self._apis.get(api)
        if limiter is None:
            limiter = ApiRateLimiter(
                self.shared,
                api,
                self.per_hour,
                clock=self._clock,
                sleep=self._sleep,
                max_wait=self.max_wait,
            )
            self._apis[api] = limiter
        return limiter

    def used_this_hour(self) -> dict[str, int]:
        """Return the requests sent in the last hour, per API."""
        return {api: limiter.used_this_hour for api, limiter in self._apis.items()}
