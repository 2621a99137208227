"""Sign-in and registration throttling, one set per server, shared by the API and the pages.

In memory (one server process), with an injectable clock for tests. Each key keeps the
instants of its recent attempts in a sliding window; a key with ``limit`` of them inside
the window is blocked until the oldest leaves it.

An attempt is **reserved before the password is checked** (``LoginRateLimiter.begin``):
the check and the count happen together, with no ``await`` between them, so requests sent
at once see each other and no more than the limit are ever checked. A wrong password
leaves the reservation counted; a right one withdraws it (``LoginAttempt.succeeded``); a
request refused for another reason (a bad field) withdraws it too (``cancel``).

Three counters apply to a sign-in (``POST /login``, ``POST /api/v1/auth/token`` and the
current-password check of a password change all count on the same ones):

- per account *and* address (5 in 15 minutes): what stops one attacker on one account;
- per address (20 in 15 minutes, whatever the accounts): one address spraying usernames;
- per account from any address (50 in 15 minutes): a distributed attack on one account.
  It does **not** apply to an address that signed in to that account successfully in the
  last 30 days, so strangers who know a username cannot lock its owner out: the owner's
  usual address only ever meets the first two counters, which the strangers do not touch.

Usernames are counted in their stored form (``normalise_username``: ``ＡＬＩＣＥ`` is
``alice``); IPv6 clients are counted per /64 network (one subscriber's prefix), as anyone
holding one address holds the whole network.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
import ipaddress
import time

from aiohttp import web

from game_server.services import normalise_username

MAX_KEY_CHARS = 64
"""Usernames are at most 32 characters: longer keys are cut (bounded memory)."""


def monotonic() -> float:
    """Return ``time.monotonic()``, looked up at each call (tests may replace it)."""
    return time.monotonic()


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``failures`` attempts within ``window`` seconds."""

    failures: int
    window: float


class Throttled(Exception):  # noqa: N818
    """Too many attempts: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        """Remember the wait."""
        super().__init__(f"throttled for {retry_after:.0f} s")
        self.retry_after = retry_after


class SlidingWindow:
    """Attempt instants per key, bounded in keys and in instants per key."""

    def __init__(
        self, limit: Limit, clock: Callable[[], float], max_keys: int = 10_000
    ) -> None:
        """Remember the limit, the clock and the key bound."""
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        """Return the key's attempts still in the window (dropping older ones)."""
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.limit.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str, now: float | None = None) -> float:
        """Return the seconds before the key may try again (0 when not blocked)."""
        now = self._clock() if now is None else now
        hits = self._recent(key, now)
        if hits is None or len(hits) < self.limit.failures:
            return 0.0
        return max(hits[0] + self.limit.window - now, 0.001)

    def hit(self, key: str, now: float | None = None) -> float:
        """Record an attempt of the key; return its instant."""
        now = self._clock() if now is None else now
        hits = self._recent(key, now)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._prune(now)
            hits = self._hits.setdefault(key, deque(maxlen=self.limit.failures))
        hits.append(now)
        return now

    def reserve(self, key: str) -> float:
        """Record an attempt unless blocked; raise Throttled when blocked."""
        now = self._clock()
        wait = self.retry_after(key, now)
        if wait > 0:
            raise Throttled(wait)
        return self.hit(key, now)

    def unhit(self, key: str, at: float) -> None:
        """Withdraw one attempt recorded at ``at`` (gone already: nothing to do)."""
        hits = self._hits.get(key)
        if hits is None:
            return
        try:
            hits.remove(at)
        except ValueError:
            return
        if not hits:
            del self._hits[key]

    def reset(self, key: str) -> None:
        """Forget a key's attempts."""
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


def address_key(address: str) -> str:
    """Return the throttling key of a client address (IPv6: its /64 network)."""
    try:
        ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    except ValueError:
        return address[:MAX_KEY_CHARS]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(account: str) -> str:
    """Return the throttling key of a username (its stored form)."""
    return normalise_username(account)[:MAX_KEY_CHARS]


@dataclass(slots=True)
class LoginAttempt:
    """A reserved sign-in attempt: counted as a failure unless withdrawn."""

    limiter: LoginRateLimiter
    account: str
    address: str
    at: float
    settled: bool = False

    def succeeded(self) -> None:
        """The password was right: withdraw the attempt and trust this address."""
        if not self.settled:
            self.settled = True
            self.limiter._succeeded(self)

    def cancel(self) -> None:
        """The request was refused before any password check: withdraw the attempt."""
        if not self.settled:
            self.settled = True
            self.limiter._withdraw(self)


class LoginRateLimiter:
    """Throttle sign-ins per (account, address), per address and per account."""

    def __init__(
        self,
        *,
        per_pair: Limit = Limit(5, 15 * 60),
        per_address: Limit = Limit(20, 15 * 60),
        per_account: Limit = Limit(50, 15 * 60),
        known_for: float = 30 * 24 * 3600,
        clock: Callable[[], float] = monotonic,
        max_keys: int = 10_000,
    ) -> None:
        """Set the limits, how long a successful address stays known, and the clock."""
        self.pairs = SlidingWindow(per_pair, clock, max_keys)
        self.addresses = SlidingWindow(per_address, clock, max_keys)
        self.accounts = SlidingWindow(per_account, clock, max_keys)
        self.known_for = known_for
        self._clock = clock
        self._max_keys = max_keys
        self._known: OrderedDict[str, float] = OrderedDict()

    @staticmethod
    def _keys(account: str, address: str) -> tuple[str, str, str]:
        """Return the account, address and pair keys."""
        account, address = account_key(account), address_key(address)
        return account, address, f"{account}\n{address}"

    def _is_known(self, pair: str, now: float) -> bool:
        """Return whether the pair signed in successfully within ``known_for``."""
        since = self._known.get(pair)
        if since is None:
            return False
        if now - since > self.known_for:
            del self._known[pair]
            return False
        return True

    def retry_after(self, account: str, address: str) -> float:
        """Return the seconds to wait before this sign-in may be tried (0 = now)."""
        account, address, pair = self._keys(account, address)
        now = self._clock()
        waits = [
            self.pairs.retry_after(pair, now),
            self.addresses.retry_after(address, now),
        ]
        if not self._is_known(pair, now):
            waits.append(self.accounts.retry_after(account, now))
        return max(waits)

    def begin(self, account: str, address: str) -> LoginAttempt:
        """Reserve an attempt (counted as a failure until withdrawn) or raise Throttled.

        Synchronous on purpose: the check and the reservation cannot be interleaved
        with another request's.
        """
        wait = self.retry_after(account, address)
        if wait > 0:
            raise Throttled(wait)
        account, address, pair = self._keys(account, address)
        now = self._clock()
        self.pairs.hit(pair, now)
        self.addresses.hit(address, now)
        self.accounts.hit(account, now)
        return LoginAttempt(self, account, address, now)

    def _withdraw(self, attempt: LoginAttempt) -> None:
        """Remove an attempt's reservations."""
        pair = f"{attempt.account}\n{attempt.address}"
        self.pairs.unhit(pair, attempt.at)
        self.addresses.unhit(attempt.address, attempt.at)
        self.accounts.unhit(attempt.account, attempt.at)

    def _succeeded(self, attempt: LoginAttempt) -> None:
        """Withdraw a good attempt, forget the pair's failures, remember the pair."""
        self._withdraw(attempt)
        pair = f"{attempt.account}\n{attempt.address}"
        self.pairs.reset(pair)
        self._known.pop(pair, None)
        self._known[pair] = self._clock()
        while len(self._known) > self._max_keys:
            self._known.popitem(last=False)


class RegistrationLimiter:
    """Throttle account creation per client address (each one hashes a password)."""

    def __init__(
        self,
        limit: Limit = Limit(10, 3600),
        *,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        """Set the limit and the clock."""
        self.window = SlidingWindow(limit, clock)

    def begin(self, address: str) -> None:
        """Count a registration attempt of an address, or raise Throttled."""
        self.window.reserve(address_key(address))


@dataclass(slots=True)
class Throttles:
    """The server's throttles: one set, shared by the JSON API and the web pages."""

    login: LoginRateLimiter = field(default_factory=LoginRateLimiter)
    registration: RegistrationLimiter = field(default_factory=RegistrationLimiter)


THROTTLES_KEY = web.AppKey("sunshare.throttles", Throttles)


def setup_throttles(app: web.Application) -> Throttles:
    """Give the application its throttles (once; the API and the pages share them)."""
    if THROTTLES_KEY not in app:
        app[THROTTLES_KEY] = Throttles()
    return app[THROTTLES_KEY]


def throttles(app: web.Application) -> Throttles:
    """Return the application's throttles."""
    return app[THROTTLES_KEY]
