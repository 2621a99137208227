"""A fake Enedis Data Connect (2026) platform served over real local HTTP.

It stands in for ``gw.ext.prod.api.enedis.fr`` and the consent page for the game
server's :class:`game_server.enedis.dataconnect.DataConnectClient`. It extends the
metering fake of the integration tests (:class:`tests.fakes.enedis_gateway.
FakeEnedisGateway`, in DC2026 format under ``/mesure_synchrone_auto/v2``) with:

* ``POST /oauth2/v3/token`` — ``client_credentials`` only; checks ``client_id`` and
  ``client_secret`` (``invalid_client`` otherwise); each call issues a new token valid
  ``token_lifetime`` seconds of the fake's ``now`` (expired tokens get 401);
* ``GET /dataconnect/v2/oauth2/authorize`` — the consent page: checks the parameters
  (``state`` ≤ 100 characters, no unknown parameter) and redirects at once to
  ``redirect_url?autorisation_id=…&state=…`` for the PRM in ``holder_prm`` (the account
  holder who "logs in"), or to ``?error=access_denied&…`` after :meth:`refuse_next`;
* ``POST /subscribed_services/v1`` — returns the consented PRM, but only after
  ``propagation_calls`` empty answers for a new consent (Enedis' propagation delay);
* metering: only PRMs with a consent are served (403 ``ADAM-DC-0008`` otherwise, and
  after :meth:`revoke`); DC2026 error bodies ``{code, message}``;
* quotas: ``max_per_second`` over all APIs and ``max_per_hour_per_api`` per API, on the
  injected ``clock``; 429 with ``Retry-After`` beyond them.

Every call is recorded in :attr:`FakeDataConnect.calls` (:class:`Call`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
import itertools
import json
import math
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from custom_components.sunshare.enedis.models import Measure
from tests.fakes.enedis_gateway import DEFAULT_PRM, FakeEnedisGateway, FakeMeter

CLIENT_ID = "sunshare-test-client"
CLIENT_SECRET = "sunshare-test-secret"
MEASURES_PREFIX = "/mesure_synchrone_auto/v2"
AUTHORIZE_PATH = "/dataconnect/v2/oauth2/authorize"
CONSENT_PARAMS = {"client_id", "response_type", "state", "duration"}


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    api: str
    method: str
    path: str
    time: float
    status: int
    query: dict[str, str]


@dataclass
class Consent:
    """A consent given on the fake consent page."""

    autorisation_id: str
    prm: str
    pending_calls: int
    """``subscribed_services`` answers still empty (propagation)."""


class FakeDataConnect(FakeEnedisGateway):
    """The fake platform; see the module docstring."""

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        token_lifetime: int = 12600,
        propagation_calls: int = 0,
        holder_prm: str = DEFAULT_PRM,
        max_per_second: int | None = None,
        max_per_hour_per_api: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Build the platform (not started); other options go to the metering fake."""
        kwargs.setdefault("fmt", "dc2026")
        kwargs.setdefault("prefix", MEASURES_PREFIX)
        super().__init__(**kwargs)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.propagation_calls = propagation_calls
        self.holder_prm = holder_prm
        self.rate_per_second = max_per_second
        self.max_per_hour_per_api = max_per_hour_per_api
        self.redirect_url = "http://127.0.0.1:1/enedis/callback"
        """The return URL "registered on DataHub" (set it to the server's)."""
        self.tokens: dict[str, Any] = {}
        """Issued token → expiry (fake ``now``)."""
        self.consents: dict[str, Consent] = {}
        self.revoked: set[str] = set()
        self.calls: list[Call] = []
        self._refusal: tuple[str, str] | None = None
        self.api_failures: dict[str, list[tuple[int, str, dict[str, str]]]] = {}
        self._ids = itertools.count(100001)
        self._token_ids = itertools.count(1)
        self.app.router.add_post("/oauth2/v3/token", self._token)
        self.app.router.add_get(AUTHORIZE_PATH, self._authorize)
        self.app.router.add_post("/subscribed_services/v1", self._subscribed)

    # -- URLs and scripting --------------------------------------------------------

    @property
    def root_url(self) -> str:
        """Return the API host URL (``http://127.0.0.1:PORT``)."""
        return self.base_url.removesuffix(MEASURES_PREFIX)

    @property
    def authorize_url(self) -> str:
        """Return the consent page URL."""
        return self.root_url + AUTHORIZE_PATH

    def refuse_next(
        self,
        error: str = "access_denied",
        description: str = "The customer refused the consent",
    ) -> None:
        """Make the next consent return ``?error=…&error_description=…``."""
        self._refusal = (error, description)

    def fail_api(
        self,
        api: str,
        status: int,
        *,
        body: str = '{"code": "ADAM-DC-0500", "message": "Erreur technique"}',
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Queue ``times`` failures of ``oauth2`` or ``subscribed_services``."""
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        self.api_failures.setdefault(api, []).extend([(status, body, headers)] * times)

    def _scripted_api(self, api: str) -> web.Response | None:
        """Return the next queued failure of an API, if any."""
        queue = self.api_failures.get(api)
        if not queue:
            return None
        status, body, headers = queue.pop(0)
        return web.Response(status=status, text=body, headers=headers)

    def add_meter(self, prm: str, meter: FakeMeter | None = None) -> None:
        """Add a meter the fake holds data for."""
        self.meters[prm] = meter or FakeMeter()

    def give_consent(self, prm: str, *, pending_calls: int | None = None) -> str:
        """Record a consent for ``prm`` (as the consent page does); return its id."""
        autorisation_id = str(next(self._ids))
        self.consents[autorisation_id] = Consent(
            autorisation_id,
            prm,
            self.propagation_calls if pending_calls is None else pending_calls,
        )
        self.revoked.discard(prm)
        return autorisation_id

    def revoke(self, prm: str) -> None:
        """Revoke the consent of ``prm`` (the customer withdrew it)."""
        self.revoked.add(prm)

    def calls_to(self, api: str) -> list[Call]:
        """Return the recorded calls of one API."""
        return [call for call in self.calls if call.api == api]

    @property
    def consented_prms(self) -> set[str]:
        """Return the PRMs with a live consent."""
        return {c.prm for c in self.consents.values()} - self.revoked

    # -- helpers -------------------------------------------------------------------

    def _record(self, request: web.Request, api: str, status: int) -> None:
        """Record one call."""
        self.calls.append(
            Call(
                api,
                request.method,
                request.path,
                self.clock(),
                status,
                dict(request.query),
            )
        )

    def _quota(self, api: str) -> web.Response | None:
        """Return a 429 when a quota is exceeded (Enedis Q3/Q4), else None."""
        now = self.clock()
        checks = (
            (self.rate_per_second, 1.0, None, "Quota Q3 reached"),
            (self.max_per_hour_per_api, 3600.0, api, "Quota Q4 reached"),
        )
        for limit, window, only, message in checks:
            if limit is None:
                continue
            recent = [
                c.time
                for c in self.calls
                if c.time > now - window
                and c.status != 429
                and (only is None or c.api == only)
            ]
            if len(recent) >= limit:
                response = _dc_error(429, "429", message)
                retry = max(1, math.ceil(min(recent, default=now) + window - now))
                response.headers["Retry-After"] = str(retry)
                return response
        return None

    def _bearer_ok(self, request: web.Request) -> bool:
        """Return whether the request carries a live token."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        expiry = self.tokens.get(token)
        return expiry is not None and self.now() < expiry

    # -- endpoints -----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        """Issue an application token (``client_credentials``)."""
        form = await request.post()
        response = self._quota("oauth2") or self._scripted_api("oauth2")
        if response is None:
            if form.get("grant_type") != "client_credentials":
                response = web.json_response(
                    {"error": "unsupported_grant_type"}, status=400
                )
            elif (
                form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                response = web.json_response({"error": "invalid_client"}, status=401)
            else:
                token = f"dc-token-{next(self._token_ids)}"
                self.tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
                response = web.json_response(
                    {
                        "access_token": token,
                        "token_type": "Bearer",
                        "expires_in": self.token_lifetime,
                        "scope": "am_application_scope default",
                    }
                )
        self._record(request, "oauth2", response.status)
        return response

    async def _authorize(self, request: web.Request) -> web.Response:
        """Play the consent page: check the parameters, then redirect back."""
        query = dict(request.query)
        self._record(request, "authorize", 302)
        if set(query) - CONSENT_PARAMS:
            return web.Response(status=404, text="arguments non acceptés")
        if (
            query.get("client_id") != self.client_id
            or query.get("response_type") != "code"
            or not query.get("duration", "").startswith("P")
        ):
            return web.Response(status=400, text="invalid_request")
        state = query.get("state", "")
        if not state or len(state) > 100:
            return web.Response(status=400, text="invalid_state")
        if self._refusal is not None:
            error, description = self._refusal
            self._refusal = None
            target = {"error": error, "error_description": description, "state": state}
        else:
            autorisation_id = self.give_consent(self.holder_prm)
            target = {"autorisation_id": autorisation_id, "state": state}
        raise web.HTTPFound(f"{self.redirect_url}?{urlencode(target)}")

    async def _subscribed(self, request: web.Request) -> web.Response:
        """Return the services attached to a consent."""
        response = self._quota("subscribed_services") or self._scripted_api(
            "subscribed_services"
        )
        if response is None:
            response = await self._subscribed_response(request)
        self._record(request, "subscribed_services", response.status)
        return response

    async def _subscribed_response(self, request: web.Request) -> web.Response:
        """Build the ``subscribed_services`` answer."""
        if not self._bearer_ok(request):
            return _dc_error(401, "900901", "Invalid Credentials")
        try:
            body = json.loads(await request.text())
            autorisation_id = str(body["autorisationId"])
        except (ValueError, KeyError, TypeError):
            return _dc_error(500, "ADAM-DC-0500", "Requête invalide")
        consent = self.consents.get(autorisation_id)
        services: list[dict[str, Any]] = []
        if consent is not None:
            if consent.pending_calls > 0:
                consent.pending_calls -= 1
            elif consent.prm not in self.revoked:
                services.append(
                    {
                        "pointId": consent.prm,
                        "serviceCode": "ACCES",
                        "etatCode": "ACTIF",
                        "soutirage": True,
                        "injection": False,
                    }
                )
        return web.json_response(
            {"nbTotalServices": len(services), "serviceSouscrit": services}
        )

    def _respond(
        self, request: web.Request, measure: Measure | None, params: dict[str, str]
    ) -> web.Response:
        """Serve metering data to a live token, for consented PRMs only."""
        api = measure.synchronous_name if measure is not None else "unknown"
        response = self._quota(api)
        if response is None:
            response = self._metering(request, measure, params)
        self._record(request, api, response.status)
        return response

    def _metering(
        self, request: web.Request, measure: Measure | None, params: dict[str, str]
    ) -> web.Response:
        """Check the token and the consent, then answer like the metering fake."""
        if any(s.measure is None or s.measure is measure for s in self.scripted):
            return super()._respond(request, measure, params)
        if not self._bearer_ok(request):
            return _dc_error(401, "900901", "Invalid Credentials")
        prm = params.get("pointId", "")
        if prm not in self.consented_prms:
            return _dc_error(403, "ADAM-DC-0008", "No consent can be found")
        # The metering fake checks one token; this one accepts every live token.
        self.token = request.headers["Authorization"].removeprefix("Bearer ")
        return super()._respond(request, measure, params)


def _dc_error(status: int, code: str, message: str) -> web.Response:
    """Return a Data Connect 2026 error body ``{code, message}``."""
    return web.json_response({"code": code, "message": message}, status=status)


@asynccontextmanager
async def running_dataconnect(**kwargs: Any) -> AsyncIterator[FakeDataConnect]:
    """Run a :class:`FakeDataConnect` for the duration of the block."""
    fake = FakeDataConnect(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
