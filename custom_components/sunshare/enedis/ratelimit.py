"""Client-side rate limiting: requests per second and an hourly quota.

Enedis allows 5 calls per second and a per-hour quota (1,000 per API in the Data
Connect 2026 Swagger, 10,000 in v5; gateways share it between all their users). One
:class:`RateLimiter` should be shared by every client that talks to the same gateway.
The clock and the sleep function are injectable so tests drive time explicitly.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
import time
from typing import Final

from .errors import EnedisRateLimitedError

DEFAULT_PER_SECOND: Final = 5
DEFAULT_PER_HOUR: Final = 1000
DEFAULT_MAX_WAIT: Final = 60.0
"""Longest the limiter sleeps before giving up with :class:`EnedisRateLimitedError`."""

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Sliding-window limiter over one second and one hour."""

    def __init__(
        self,
        per_second: int = DEFAULT_PER_SECOND,
        per_hour: int = DEFAULT_PER_HOUR,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        """Create a limiter allowing ``per_second`` and ``per_hour`` requests."""
        if per_second < 1 or per_hour < 1:
            raise ValueError("Rate limits must be at least 1")
        self.per_second = per_second
        self.per_hour = per_hour
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._second: deque[float] = deque()
        self._hour: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    @property
    def used_this_hour(self) -> int:
        """Return how many requests were sent in the last hour."""
        self._prune(self._clock())
        return len(self._hour)

    def defer(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (the server asked to slow down)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def _prune(self, now: float) -> None:
        """Forget the requests that left the windows."""
        while self._second and self._second[0] <= now - 1.0:
            self._second.popleft()
        while self._hour and self._hour[0] <= now - 3600.0:
            self._hour.popleft()

    def _delay(self, now: float) -> float:
        """Return how long to wait before the next request may go."""
        self._prune(now)
        delay = max(0.0, self._blocked_until - now)
        if len(self._hour) >= self.per_hour:
            delay = max(delay, self._hour[0] + 3600.0 - now)
        if len(self._second) >= self.per_second:
            delay = max(delay, self._second[0] + 1.0 - now)
        return delay

    async def acquire(self) -> None:
        """Wait for a slot, or raise :class:`EnedisRateLimitedError` if too far off."""
        async with self._lock:
            while (delay := self._delay(self._clock())) > 0:
                if delay > self.max_wait:
                    raise EnedisRateLimitedError(
                        "Too many requests to the Enedis gateway in the last hour; "
                        f"Sunshare will try again in {delay:.0f} s.",
                        retry_after=delay,
                    )
                await self._sleep(delay)
            now = self._clock()
            self._second.append(now)
            self._hour.append(now)
