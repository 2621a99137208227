"""Login throttling: too many failures per account or per address blocks new attempts.

In memory (one server process), with an injectable clock for tests. Each key keeps the
instants of its recent failures in a sliding window; a key with ``limit`` failures inside
the window is blocked until the oldest of them leaves it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
import time


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``failures`` failed logins within ``window`` seconds."""

    failures: int
    window: float


class SlidingWindow:
    """Failure instants per key, bounded in keys and in instants per key."""

    def __init__(
        self, limit: Limit, clock: Callable[[], float], max_keys: int = 10_000
    ) -> None:
        """Remember the limit, the clock and the key bound."""
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        """Return the key's failures still in the window (dropping older ones)."""
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.limit.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str) -> float:
        """Return the seconds before the key may try again (0 when not blocked)."""
        now = self._clock()
        hits = self._recent(key, now)
        if hits is None or len(hits) < self.limit.failures:
            return 0.0
        return max(hits[0] + self.limit.window - now, 0.001)

    def hit(self, key: str) -> None:
        """Record a failure of the key."""
        now = self._clock()
        hits = self._recent(key, now)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._prune(now)
            hits = self._hits.setdefault(key, deque(maxlen=self.limit.failures))
        hits.append(now)

    def reset(self, key: str) -> None:
        """Forget a key's failures."""
        self._hits.pop(key, None)

    def _prune(self, now: float) -> None:
        """Drop expired keys, then the stalest ones if still over the bound."""
        for key in list(self._hits):
            self._recent(key, now)
        while len(self._hits) >= self._max_keys:
            stalest = min(self._hits, key=lambda k: self._hits[k][-1])
            del self._hits[stalest]

    def __len__(self) -> int:
        """Return the number of tracked keys."""
        return len(self._hits)


class LoginRateLimiter:
    """Throttle logins per account and per client address."""

    def __init__(
        self,
        *,
        per_account: Limit = Limit(5, 15 * 60),
        per_address: Limit = Limit(20, 15 * 60),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Set the limits and the clock."""
        self.accounts = SlidingWindow(per_account, clock)
        self.addresses = SlidingWindow(per_address, clock)

    def retry_after(self, account: str, address: str) -> float:
        """Return the seconds to wait before this login may be tried (0 = now)."""
        return max(
            self.accounts.retry_after(account.casefold()),
            self.addresses.retry_after(address),
        )

    def failure(self, account: str, address: str) -> None:
        """Record a failed login."""
        self.accounts.hit(account.casefold())
        self.addresses.hit(address)

    def success(self, account: str) -> None:
        """Forget the account's failures after a good login."""
        self.accounts.reset(account.casefold())
