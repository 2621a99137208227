"""Asynchronous client of an Enedis metering-data gateway (Conso API style).

Usage::

    client = EnedisClient(session, gateway_base_url(Gateway.CONSO_API), token,
                          naming=GATEWAY_NAMING[Gateway.CONSO_API])
    days = await client.daily_consumption("12345678901234", date(2026, 11, 1),
                                          date(2026, 11, 23))
    curve = await client.consumption_load_curve(prm, start, end)

Every method takes ``(prm, start, end)`` with ``end`` **exclusive** (``[start, end[``,
local Paris days, as Enedis does) and returns normalised types (:mod:`.models`).

The client:

* clamps the period: never asks for today or later (data stops at yesterday) nor before
  the history limit (36 months daily, 24 months load curve), using the injectable
  ``now`` clock; an empty period returns ``[]`` without a request;
* splits it into calls of at most 7 days (load curve) or 365 days (daily);
* skips the chunks Enedis has no data for, and raises :class:`EnedisNoDataError` only
  when no chunk had any; :class:`LoadCurveNotActivatedError` stops at once;
* waits for the shared :class:`RateLimiter` before each call; honours ``Retry-After`` on
  429 (up to ``max_retry_after`` seconds, else raises :class:`EnedisRateLimitedError`);
  retries 5xx and network errors with exponential backoff, ``max_retries`` times.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
import json
import logging
import re
from typing import Any, Final
import unicodedata

import aiohttp

from .errors import (
    API_NOT_SUBSCRIBED,
    BEFORE_ACTIVATION,
    BEFORE_CONSENT,
    CONSENT_REVOKED,
    HISTORY_LIMIT_CODES,
    NO_COMMUNICATING_METER,
    NO_DATA_FOUND,
    NO_MEASURE,
    NOT_HOLDER,
    UNKNOWN_PRM,
    WRONG_DIRECTION,
    EnedisAuthError,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    EnedisTransientError,
    LoadCurveNotActivatedError,
)
from .models import PARIS, DailyValue, EndpointNaming, Interval, MaxPower, Measure
from .parsing import parse_daily, parse_load_curve, parse_max_power
from .ratelimit import RateLimiter

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES: Final = 3
DEFAULT_BACKOFF: Final = 2.0
"""First retry delay in seconds; doubled on each further attempt."""
DEFAULT_MAX_RETRY_AFTER: Final = 60.0
"""Longest ``Retry-After`` the client waits for by itself."""
DEFAULT_TIMEOUT: Final = 30.0
USER_AGENT: Final = "Sunshare Home Assistant integration"

_PRM_RE: Final = re.compile(r"^[0-9]{14}$")
_CODE_RE: Final = re.compile(
    r"ADAM[-_](?:DC[-_]\d{4}|ERR\d{4})|STM[-_]ERR[-_]\d{7}|no_data_found|\b900908\b"
)

type Now = Callable[[], datetime]
type Sleep = Callable[[float], Awaitable[None]]


def normalize_prm(prm: str) -> str:
    """Return the canonical PRM (14 ASCII digits), or raise ``ValueError``.

    The one rule for every place a PRM enters: Unicode NFKC first (fullwidth digits
    become ASCII ones), then spaces, dots and dashes are dropped; what remains must be
    exactly 14 ASCII digits (other scripts' digits, e.g. Arabic-Indic, are refused).
    """
    cleaned = re.sub(r"[\s.-]", "", unicodedata.normalize("NFKC", str(prm)))
    if not _PRM_RE.fullmatch(cleaned):
        raise ValueError(
            "A PRM is the 14-digit number of the meter (point de livraison)"
        )
    return cleaned


def is_valid_prm(prm: str) -> bool:
    """Return whether ``prm`` is a 14-digit meter number (spaces allowed)."""
    try:
        normalize_prm(prm)
    except ValueError:
        return False
    return True


def months_before(day: date, months: int) -> date:
    """Return the same day ``months`` earlier (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def paris_today(now: datetime) -> date:
    """Return the Europe/Paris calendar day of an aware instant."""
    return now.astimezone(PARIS).date()


def available_range(measure: Measure, now: datetime) -> tuple[date, date]:
    """Return ``(first day, end day exclusive)`` the API can serve for ``measure``."""
    today = paris_today(now)
    return months_before(today, measure.history_months), today


def split_period(start: date, end: date, max_days: int) -> list[tuple[date, date]]:
    """Return ``[start, end[`` cut into consecutive chunks of at most ``max_days``."""
    chunks: list[tuple[date, date]] = []
    cursor = start
    while cursor < end:
        chunk_end = min(end, cursor + timedelta(days=max_days))
        chunks.append((cursor, chunk_end))
        cursor = chunk_end
    return chunks


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return the delay of a ``Retry-After`` header (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def error_code(body: str) -> str | None:
    """Return the first Enedis error code found in an error body, normalised."""
    match = _CODE_RE.search(body)
    if match is None:
        return None
    code = match.group(0)
    return code if code == NO_DATA_FOUND else code.replace("_", "-")


def _gateway_message(body: str) -> str:
    """Return a short human message found in an error body, if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    parts: list[str] = []

    def walk(node: object) -> None:
        """Collect the message-like strings of a JSON error."""
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("message", "error_description", "description") and (
                    isinstance(value, str)
                ):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return " — ".join(dict.fromkeys(parts))[:300]


def classify_error(
    status: int,
    body: str,
    *,
    measure: Measure | None = None,
    retry_after: float | None = None,
) -> EnedisError:
    """Return the typed error for a non-2xx response."""
    code = error_code(body)
    detail = _gateway_message(body)
    suffix = f" (HTTP {status}{', ' + code if code else ''})"
    load_curve = measure is not None and measure.is_load_curve
    if status == 429:
        wait = f"in {retry_after:.0f} s" if retry_after is not None else "later"
        return EnedisRateLimitedError(
            f"The Enedis gateway is limiting requests; Sunshare will try again {wait}."
            + suffix,
            retry_after=retry_after,
            code=code,
            status=status,
        )
    if code == CONSENT_REVOKED:
        return EnedisAuthError(
            "Enedis has no consent for this meter any more (revoked or expired). Give "
            "your consent again on the gateway's site and enter the new token."
            + suffix,
            code=code,
            status=status,
        )
    if code == NOT_HOLDER:
        return EnedisAuthError(
            "Enedis says you are no longer the holder of this meter's contract. The "
            "current holder must give consent and get a new token." + suffix,
            code=code,
            status=status,
        )
    if code == UNKNOWN_PRM:
        return EnedisAuthError(
            "The gateway does not know this PRM for this token. Check the 14-digit "
            "PRM and that the token was issued for it." + suffix,
            code=code,
            status=status,
        )
    if code == NO_COMMUNICATING_METER and load_curve:
        return LoadCurveNotActivatedError(
            "The load curve of this meter is not recorded. Turn on the recording and "
            "collection of hourly consumption in your Enedis account, then wait a "
            "day." + suffix,
            code=code,
            status=status,
        )
    if code in (NO_DATA_FOUND, NO_MEASURE, NO_COMMUNICATING_METER):
        return EnedisNoDataError(
            "Enedis has no data for this meter and period yet." + suffix,
            code=code,
            status=status,
        )
    if code == WRONG_DIRECTION:
        return EnedisNoDataError(
            "This meter has no data in this direction (consumption asked for a "
            "production meter, or the reverse)." + suffix,
            code=code,
            status=status,
        )
    if code in (BEFORE_CONSENT, BEFORE_ACTIVATION, *HISTORY_LIMIT_CODES):
        return EnedisNoDataError(
            "Enedis has no data this far back (before the consent, the meter's "
            "activation or the history limit)." + suffix,
            code=code,
            status=status,
        )
    if code == API_NOT_SUBSCRIBED:
        return EnedisError(
            "The gateway's Enedis application is not subscribed to this API; only "
            "the gateway's operator can fix it." + suffix,
            code=code,
            status=status,
        )
    if status in (401, 403):
        return EnedisAuthError(
            "The gateway refused the token. Check it, or get a new one from the "
            "gateway's site." + suffix,
            code=code,
            status=status,
        )
    if status == 404:
        return EnedisNoDataError(
            "Enedis has no data for this meter and period yet." + suffix,
            code=code,
            status=status,
        )
    if status >= 500 or status == 408:
        return EnedisTransientError(
            "The Enedis gateway is temporarily unavailable; Sunshare will try again "
            "later." + suffix,
            code=code,
            status=status,
        )
    return EnedisError(
        "The Enedis gateway rejected the request"
        + (f": {detail}" if detail else "")
        + "."
        + suffix,
        code=code,
        status=status,
    )


class EnedisClient:
    """Client of one gateway for one token (any number of PRMs)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str,
        *,
        naming: EndpointNaming = EndpointNaming.LEGACY,
        rate_limiter: RateLimiter | None = None,
        now: Now | None = None,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = USER_AGENT,
    ) -> None:
        """Create a client; share ``rate_limiter`` between clients of one gateway."""
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.naming = naming
        self.rate_limiter = rate_limiter or RateLimiter(sleep=sleep)
        self._now: Now = now or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._user_agent = user_agent
        self.request_count = 0
        """Requests sent (attempts included), for diagnostics."""

    # -- public API per measure ------------------------------------------------------

    async def daily_consumption(
        self, prm: str, start: date, end: date
    ) -> list[DailyValue]:
        """Return the daily consumption in Wh for local days ``[start, end[``."""
        return await self.fetch_daily(Measure.DAILY_CONSUMPTION, prm, start, end)

    async def daily_production(
        self, prm: str, start: date, end: date
    ) -> list[DailyValue]:
        """Return the daily production in Wh for local days ``[start, end[``."""
        return await self.fetch_daily(Measure.DAILY_PRODUCTION, prm, start, end)

    async def consumption_load_curve(
        self, prm: str, start: date, end: date
    ) -> list[Interval]:
        """Return the consumption load curve (Wh per step) for ``[start, end[``."""
        return await self.fetch_load_curve(
            Measure.CONSUMPTION_LOAD_CURVE, prm, start, end
        )

    async def production_load_curve(
        self, prm: str, start: date, end: date
    ) -> list[Interval]:
        """Return the production load curve (Wh per step) for ``[start, end[``."""
        return await self.fetch_load_curve(
            Measure.PRODUCTION_LOAD_CURVE, prm, start, end
        )

    async def consumption_max_power(
        self, prm: str, start: date, end: date
    ) -> list[MaxPower]:
        """Return the daily maximum power for local days ``[start, end[``."""
        result: list[MaxPower] = []
        async for _s, _e, values in self._iter_chunks(
            Measure.CONSUMPTION_MAX_POWER, prm, start, end, parse_max_power
        ):
            result.extend(values)
        return result

    # -- generic API -----------------------------------------------------------------

    def available_range(self, measure: Measure) -> tuple[date, date]:
        """Return ``(first day, end day exclusive)`` the API serves for ``measure``."""
        return available_range(measure, self._now())

    def plan(self, measure: Measure, start: date, end: date) -> list[tuple[date, date]]:
        """Return the ``[start, end[`` chunks that fetching this period would request."""
        first, last = self.available_range(measure)
        start, end = max(start, first), min(end, last)
        return split_period(start, end, measure.max_days_per_call)

    async def fetch_daily(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> list[DailyValue]:
        """Return the daily values of a daily energy measure, oldest first."""
        result: list[DailyValue] = []
        async for _s, _e, values in self.iter_daily(measure, prm, start, end):
            result.extend(values)
        return result

    async def fetch_load_curve(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> list[Interval]:
        """Return the intervals of a load-curve measure, oldest first."""
        result: list[Interval] = []
        async for _s, _e, values in self.iter_load_curve(measure, prm, start, end):
            result.extend(values)
        return result

    def iter_daily(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> AsyncIterator[tuple[date, date, list[DailyValue]]]:
        """Yield ``(chunk start, chunk end, values)`` per request, oldest first."""
        if measure.is_load_curve or measure is Measure.CONSUMPTION_MAX_POWER:
            raise ValueError(f"{measure} is not a daily energy measure")
        production = measure.is_production

        def parse(payload: object) -> list[DailyValue]:
            """Parse one daily body."""
            return parse_daily(payload, production=production)

        return self._iter_chunks(measure, prm, start, end, parse)

    def iter_load_curve(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> AsyncIterator[tuple[date, date, list[Interval]]]:
        """Yield ``(chunk start, chunk end, intervals)`` per request, oldest first."""
        if not measure.is_load_curve:
            raise ValueError(f"{measure} is not a load curve")
        production = measure.is_production

        def parse(payload: object) -> list[Interval]:
            """Parse one load-curve body."""
            return parse_load_curve(payload, production=production)

        return self._iter_chunks(measure, prm, start, end, parse)

    async def fetch_raw(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> Any:
        """Send one request (no clamping, no splitting) and return the JSON body."""
        return await self._request(measure, normalize_prm(prm), start, end)

    # -- internals -------------------------------------------------------------------

    async def _iter_chunks[T](
        self,
        measure: Measure,
        prm: str,
        start: date,
        end: date,
        parse: Callable[[object], list[T]],
    ) -> AsyncIterator[tuple[date, date, list[T]]]:
        """Request each chunk of the clamped period and yield its parsed values."""
        prm = normalize_prm(prm)
        chunks = self.plan(measure, start, end)
        no_data: EnedisNoDataError | None = None
        got_data = False
        for chunk_start, chunk_end in chunks:
            try:
                payload = await self._request(measure, prm, chunk_start, chunk_end)
            except LoadCurveNotActivatedError:
                raise
            except EnedisNoDataError as err:
                _LOGGER.debug(
                    "No %s data %s–%s: %s", measure, chunk_start, chunk_end, err
                )
                no_data = err
                yield chunk_start, chunk_end, []
                continue
            values = [
                value
                for value in parse(payload)
                if chunk_start <= _local_day(value) < chunk_end
            ]
            got_data = True
            yield chunk_start, chunk_end, values
        if no_data is not None and not got_data:
            raise no_data

    async def _request(self, measure: Measure, prm: str, start: date, end: date) -> Any:
        """Send one request with rate limiting and retries; return the JSON body."""
        if self.naming is EndpointNaming.SYNCHRONOUS:
            url = f"{self.base_url}/{measure.synchronous_name}"
            params = {
                "pointId": prm,
                "dateDebut": start.isoformat(),
                "dateFin": end.isoformat(),
            }
            if measure is Measure.CONSUMPTION_MAX_POWER:
                params |= {"mesuresPas": "P1D", "grandeurPhysique": "PMA"}
        else:
            url = f"{self.base_url}/{measure.value}"
            params = {"prm": prm, "start": start.isoformat(), "end": end.isoformat()}
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }
        attempt = 0
        while True:
            await self.rate_limiter.acquire()
            self.request_count += 1
            error: EnedisError
            try:
                async with self._session.get(
                    url, params=params, headers=headers, timeout=self._timeout
                ) as response:
                    status = response.status
                    body = await response.text()
                    retry_header = response.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as err:
                error = EnedisTransientError(
                    "Cannot reach the Enedis gateway; Sunshare will try again later "
                    f"({type(err).__name__}: {err})."
                )
            else:
                if 200 <= status < 300:
                    return _decode(body)
                retry_after = parse_retry_after(retry_header, self._now())
                error = classify_error(
                    status, body, measure=measure, retry_after=retry_after
                )
            delay = self._retry_delay(error, attempt)
            if delay is None:
                raise error
            _LOGGER.debug("Retrying %s in %.1f s after: %s", url, delay, error)
            attempt += 1
            await self._sleep(delay)

    def _retry_delay(self, error: EnedisError, attempt: int) -> float | None:
        """Return how long to wait before retrying after ``error``, or ``None``."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, EnedisRateLimitedError):
            if error.retry_after is None:
                delay = self.backoff * (1 << attempt)
            elif error.retry_after > self.max_retry_after:
                return None
            else:
                delay = error.retry_after
            self.rate_limiter.defer(delay)
            return delay
        if isinstance(error, EnedisTransientError):
            return self.backoff * (1 << attempt)
        return None


def _decode(body: str) -> Any:
    """Return the JSON of a successful body, or raise a malformed-response error."""
    try:
        return json.loads(body)
    except ValueError as err:
        raise EnedisMalformedResponseError(
            "The Enedis gateway returned a response that is not JSON: "
            f"{body.strip()[:80]!r}"
        ) from err


def _local_day(value: object) -> date:
    """Return the local Paris day a normalised value belongs to."""
    if isinstance(value, Interval):
        return paris_today(value.start)
    if isinstance(value, DailyValue | MaxPower):
        return value.day
    raise TypeError(f"Unexpected value {value!r}")  # pragma: no cover
