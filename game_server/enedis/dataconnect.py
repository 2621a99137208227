"""Asynchronous client of Enedis Data Connect (2026 APIs) for the game server.

One :class:`DataConnectClient` serves every player of the server:

* :meth:`~DataConnectClient.consent_url` builds the consent page URL
  (``dataconnect/v2/oauth2/authorize``; no ``redirect_uri``: the return URL is the one
  registered on DataHub);
* :meth:`~DataConnectClient.application_token` gets the application token with
  ``client_credentials`` and caches it until shortly before it expires;
* :meth:`~DataConnectClient.resolve_prms` turns the callback's ``autorisation_id`` into
  the consented meter(s) with ``subscribed_services``, retrying while Enedis has not
  propagated the consent yet;
* the metering methods read ``mesure_synchrone_auto/v2`` through the integration's
  :class:`~custom_components.sunshare.enedis.EnedisClient` (same parsing, splitting and
  error classification), with the token and the server-wide
  :class:`~game_server.enedis.ratelimit.DataConnectRateLimiter`.

Errors are the typed errors of :mod:`game_server.enedis.errors` (and of the integration's
Enedis library), each with a message a player or the operator can act on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import json
import logging
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from custom_components.sunshare.enedis import (
    CONSENT_REVOKED,
    NOT_HOLDER,
    DailyValue,
    EnedisAuthError,
    EnedisClient,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisRateLimitedError,
    EnedisTransientError,
    Interval,
    MaxPower,
    Measure,
    classify_error,
    normalize_prm,
)
from custom_components.sunshare.enedis.client import parse_retry_after
from custom_components.sunshare.enedis.models import EndpointNaming

from .config import DataConnectConfig
from .errors import (
    ApplicationAuthError,
    ConsentNotPropagatedError,
    ConsentRevokedError,
    QuotaExceededError,
)
from .ratelimit import DataConnectRateLimiter

_LOGGER = logging.getLogger(__name__)

TOKEN_PATH: Final = "/oauth2/v3/token"  # noqa: S105
SUBSCRIBED_SERVICES_PATH: Final = "/subscribed_services/v1"
MEASURES_PATH: Final = "/mesure_synchrone_auto/v2"
TOKEN_API: Final = "oauth2"  # noqa: S105
SUBSCRIBED_SERVICES_API: Final = "subscribed_services"
TOKEN_MARGIN: Final = timedelta(seconds=60)
"""A cached token is renewed this long before it expires."""
DEFAULT_TOKEN_LIFETIME: Final = 12600
PROPAGATION_DELAYS: Final = (1.0, 2.0, 4.0, 8.0, 15.0)
"""Waits between ``subscribed_services`` attempts while the consent propagates."""
USER_AGENT: Final = "Sunshare game server"

type Now = Callable[[], datetime]
type Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SubscribedService:
    """One service Enedis attached to a consent."""

    prm: str
    service_code: str
    state: str
    consumption: bool | None = None
    production: bool | None = None


@dataclass(slots=True)
class _CachedToken:
    """The application token and when it expires."""

    value: str
    expires_at: datetime


def consent_revoked_error(err: EnedisError) -> ConsentRevokedError:
    """Return the player-facing error for a revoked, expired or lost consent."""
    if err.code == NOT_HOLDER:
        message = (
            "Enedis says this account no longer holds the meter's contract (moved "
            "house?). The current holder must verify the meter again."
        )
    else:
        message = (
            "Enedis has no consent for this meter any more (revoked or expired). "
            "Verify your meter again from your dashboard on the game server."
        )
    return ConsentRevokedError(message, code=err.code, status=err.status)


class DataConnectClient:
    """The server's Data Connect application; one instance shared by all players."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: DataConnectConfig,
        *,
        rate_limiter: DataConnectRateLimiter | None = None,
        now: Now | None = None,
        sleep: Sleep = asyncio.sleep,
        propagation_delays: tuple[float, ...] = PROPAGATION_DELAYS,
        max_retries: int = 2,
        timeout: float = 30.0,
    ) -> None:
        """Use an aiohttp session owned by the caller and the application settings."""
        self._session = session
        self.config = config
        self.rate_limiter = rate_limiter or DataConnectRateLimiter(sleep=sleep)
        self._now: Now = now or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self.propagation_delays = propagation_delays
        self.max_retries = max_retries
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._token: _CachedToken | None = None
        self._token_lock = asyncio.Lock()
        self.token_requests = 0
        """How many tokens were requested (diagnostics, tests)."""

    # -- consent -----------------------------------------------------------------------

    def consent_url(self, state: str) -> str:
        """Return the URL of the Enedis consent page for a signed ``state``."""
        if len(state) > 100:
            raise ValueError("Enedis accepts a state of at most 100 characters")
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "duration": self.config.consent_duration,
                "response_type": "code",
                "state": state,
            }
        )
        return f"{self.config.authorize_endpoint}?{query}"

    # -- application token -------------------------------------------------------------

    async def application_token(self) -> str:
        """Return the cached application token, requesting a new one when due."""
        async with self._token_lock:
            cached = self._token
            if cached is not None and self._now() < cached.expires_at - TOKEN_MARGIN:
                return cached.value
            self._token = await self._request_token()
            return self._token.value

    def invalidate_token(self, token: str | None = None) -> None:
        """Forget the cached token (only if it is still ``token``, when given)."""
        if self._token is not None and (token is None or self._token.value == token):
            self._token = None

    async def _request_token(self) -> _CachedToken:
        """Request an application token with ``client_credentials``."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
        }
        self.token_requests += 1
        status, body, headers = await self._send(
            TOKEN_API,
            "POST",
            TOKEN_PATH,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status in (400, 401, 403):
            detail = _json_field(body, "error") or f"HTTP {status}"
            raise ApplicationAuthError(
                "Enedis refused the server's Data Connect credentials "
                f"({detail}); the operator must check the client id, the client "
                "secret and the environment (production or sandbox).",
                code=detail,
                status=status,
            )
        if not 200 <= status < 300:
            raise self._http_error(status, body, headers)
        data = _decode(body)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise EnedisMalformedResponseError(
                "The Enedis token endpoint answered without an access_token"
            )
        try:
            lifetime = int(data.get("expires_in", DEFAULT_TOKEN_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        _LOGGER.info("Got an Enedis application token valid %d s", lifetime)
        return _CachedToken(token, self._now() + timedelta(seconds=lifetime))

    # -- consent → PRM -----------------------------------------------------------------

    async def subscribed_services(
        self, autorisation_id: str
    ) -> list[SubscribedService]:
        """Return the services Enedis attached to a consent (maybe none yet)."""
        body_id: int | str = (
            int(autorisation_id) if autorisation_id.isdigit() else autorisation_id
        )
        payload = {
            "autorisationId": body_id,
            "comptage": False,
            "etatCode": ["ACTIF", "DEMANDE"],
            "serviceType": "ACCES",
        }

        async def call(token: str) -> Any:
            """Send one subscribed_services request with ``token``."""
            status, body, headers = await self._send(
                SUBSCRIBED_SERVICES_API,
                "POST",
                SUBSCRIBED_SERVICES_PATH,
                data=json.dumps(payload),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
            )
            if status == 404:
                return {}
            if not 200 <= status < 300:
                raise self._http_error(status, body, headers)
            return _decode(body)

        data = await self._with_token(call)
        return _parse_services(data)

    async def resolve_prms(self, autorisation_id: str) -> list[str]:
        """Return the consented PRMs, retrying while the consent propagates."""
        delays = (*self.propagation_delays, None)
        for attempt, delay in enumerate(delays, 1):
            services = await self.subscribed_services(autorisation_id)
            prms = list(dict.fromkeys(s.prm for s in services))
            if prms:
                return prms
            if delay is None:
                break
            _LOGGER.debug(
                "No meter for consent %s yet (attempt %d); retrying in %.0f s",
                autorisation_id,
                attempt,
                delay,
            )
            await self._sleep(delay)
        raise ConsentNotPropagatedError(
            "Enedis has not yet attached your meter to your consent. This usually "
            "takes a minute or two: try again shortly."
        )

    # -- metering data -----------------------------------------------------------------

    async def daily(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> list[DailyValue]:
        """Return daily energy values (Wh) of ``prm`` for local days ``[start, end[``."""
        return await self._with_token(
            lambda token: self._measures(measure, token).fetch_daily(
                measure, prm, start, end
            )
        )

    async def load_curve(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> list[Interval]:
        """Return load-curve intervals (UTC, Wh) of ``prm`` for ``[start, end[``."""
        return await self._with_token(
            lambda token: self._measures(measure, token).fetch_load_curve(
                measure, prm, start, end
            )
        )

    async def max_power(self, prm: str, start: date, end: date) -> list[MaxPower]:
        """Return the daily maximum power of ``prm`` for local days ``[start, end[``."""
        measure = Measure.CONSUMPTION_MAX_POWER
        return await self._with_token(
            lambda token: self._measures(measure, token).consumption_max_power(
                prm, start, end
            )
        )

    async def fetch_raw(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> Any:
        """Send one metering request (no splitting) and return the DC2026 body."""
        return await self._with_token(
            lambda token: self._measures(measure, token).fetch_raw(
                measure, prm, start, end
            )
        )

    def _measures(self, measure: Measure, token: str) -> EnedisClient:
        """Return an integration Enedis client for one API and one token."""
        return EnedisClient(
            self._session,
            self.config.api_base + MEASURES_PATH,
            token,
            naming=EndpointNaming.SYNCHRONOUS,
            rate_limiter=self.rate_limiter.for_api(measure.synchronous_name),
            now=self._now,
            sleep=self._sleep,
            max_retries=self.max_retries,
            max_retry_after=self.rate_limiter.max_wait,
            user_agent=USER_AGENT,
        )

    # -- plumbing ----------------------------------------------------------------------

    async def _with_token[T](self, call: Callable[[str], Awaitable[T]]) -> T:
        """Run ``call`` with the token; renew it once if Enedis says it expired."""
        token = await self.application_token()
        try:
            try:
                return await call(token)
            except EnedisAuthError as err:
                if err.code is not None or err.status != 401:
                    raise
                _LOGGER.info("Enedis refused the application token; renewing it")
                self.invalidate_token(token)
                return await call(await self.application_token())
        except EnedisAuthError as err:
            if err.code in (CONSENT_REVOKED, NOT_HOLDER):
                raise consent_revoked_error(err) from err
            if err.code is None and err.status == 401:
                raise ApplicationAuthError(
                    "Enedis refused the server's application token twice; the "
                    "operator must check the Data Connect credentials.",
                    status=err.status,
                ) from err
            raise
        except QuotaExceededError:
            raise
        except EnedisRateLimitedError as err:
            raise QuotaExceededError(
                "Enedis is limiting the server's requests; try again in a few minutes.",
                retry_after=err.retry_after,
                code=err.code,
                status=err.status,
            ) from err

    async def _send(
        self,
        api: str,
        method: str,
        path: str,
        *,
        data: Any,
        headers: dict[str, str],
    ) -> tuple[int, str, dict[str, str]]:
        """Send one request with rate limiting and transient retries."""
        limiter = self.rate_limiter.for_api(api)
        url = self.config.api_base + path
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **headers}
        attempt = 0
        while True:
            await limiter.acquire()
            try:
                async with self._session.request(
                    method, url, data=data, headers=headers, timeout=self._timeout
                ) as response:
                    body = await response.text()
                    result = (response.status, body, dict(response.headers))
            except (aiohttp.ClientError, TimeoutError) as err:
                error: EnedisError = EnedisTransientError(
                    "Cannot reach Enedis; try again in a few minutes "
                    f"({type(err).__name__})."
                )
            else:
                status = result[0]
                if status != 429 and status < 500:
                    return result
                error = self._http_error(*result)
            if attempt >= self.max_retries:
                raise error
            delay = 2.0 * (1 << attempt)
            if isinstance(error, EnedisRateLimitedError):
                if error.retry_after is not None and (
                    error.retry_after > self.rate_limiter.max_wait
                ):
                    raise error
                delay = error.retry_after or delay
                limiter.defer(delay)
            attempt += 1
            await self._sleep(delay)

    def _http_error(
        self, status: int, body: str, headers: dict[str, str]
    ) -> EnedisError:
        """Return the typed error of a failed response."""
        retry_after = parse_retry_after(headers.get("Retry-After"), self._now())
        error = classify_error(status, body, retry_after=retry_after)
        if isinstance(error, EnedisRateLimitedError):
            return QuotaExceededError(
                "Enedis is limiting the server's requests; try again in a few minutes.",
                retry_after=retry_after,
                code=error.code,
                status=status,
            )
        return error


def _decode(body: str) -> Any:
    """Return the JSON of a body, or raise a malformed-response error."""
    try:
        return json.loads(body)
    except ValueError as err:
        raise EnedisMalformedResponseError(
            f"Enedis returned a response that is not JSON: {body.strip()[:80]!r}"
        ) from err


def _json_field(body: str, key: str) -> str | None:
    """Return a string field of a JSON body, if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _flag(value: object) -> bool | None:
    """Return a boolean read from a JSON boolean or a ``"true"`` string."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "oui", "o")
    return None


def _parse_services(data: Any) -> list[SubscribedService]:
    """Return the services of a ``subscribed_services`` body."""
    if not isinstance(data, dict):
        raise EnedisMalformedResponseError(
            "Enedis answered subscribed_services with something other than an object"
        )
    items = data.get("serviceSouscrit") or []
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise EnedisMalformedResponseError("serviceSouscrit is not a list")
    services: list[SubscribedService] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            prm = normalize_prm(str(item.get("pointId") or ""))
        except ValueError:
            continue
        services.append(
            SubscribedService(
                prm=prm,
                service_code=str(item.get("serviceCode") or ""),
                state=str(item.get("etatCode") or ""),
                consumption=_flag(item.get("soutirage")),
                production=_flag(item.get("injection")),
            )
        )
    return services
