"""Mount Enedis Data Connect on the game server: gateway, consent pages, reconciliation.

``setup_enedis(app)`` (called by ``create_app``) reads the settings from the environment
(:mod:`.config`) unless given, adds the routes and, at startup, opens one HTTP session,
one :class:`DataConnectClient` and starts the daily reconciliation job. Without
credentials the routes answer 503 ``enedis_not_configured`` and nothing else runs.

Routes:

* ``GET /api/enedis/{measure}`` — the gateway (:mod:`.gateway`), API token;
* ``POST /api/enedis/consent`` — ``{"url": …}`` of the consent page, API token;
* ``GET /api/enedis/status`` — settings, quota use, last reconciliation (admins);
* ``GET /enedis/consent`` — signed-in web player → redirect to the consent page;
* ``GET /enedis/callback`` — Enedis' redirect (``autorisation_id``, ``state``): back
  to the dashboard with the outcome as a message, or an outcome page when the player
  has a choice to make (:data:`SHOWN_IN_PLACE`) or the web pages are off (JSON when
  ``Accept: application/json``);
* ``POST /enedis/correct`` — accept the offer to switch to the consented PRM.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import html
import logging
import time
from typing import Any, Final

import aiohttp
from aiohttp import web

from custom_components.sunshare.enedis import EnedisError
from game_server.errors import Forbidden, GameError
from game_server.models import User
from game_server.services import GameService

from .config import (
    CALLBACK_PATH,
    CONSENT_PATH,
    CORRECT_PATH,
    ENV_PUBLIC_URL,
    ConfigError,
    DataConnectConfig,
)
from .dataconnect import DataConnectClient
from .gateway import (
    GATEWAY_PATH,
    ResponseCache,
    cache_key,
    check_owner,
    error_body,
    parse_query,
    to_conso_api,
    today_paris,
)
from .ratelimit import DataConnectRateLimiter
from .reconciliation import ReconciliationJob
from .state import StateSigner
from .verification import RETRYABLE, Outcome, OutcomeKind, Verifier

_LOGGER = logging.getLogger(__name__)

type Now = Callable[[], datetime]
type Sleep = Callable[[float], Awaitable[None]]


@dataclass(kw_only=True)
class EnedisOptions:
    """Injectable parts (tests); the defaults are the real clock and HTTP."""

    session: aiohttp.ClientSession | None = None
    now: Now = field(default_factory=lambda: lambda: datetime.now(UTC))
    sleep: Sleep = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    rate_limiter: DataConnectRateLimiter | None = None
    cache_ttl: float = 3600.0
    propagation_delays: tuple[float, ...] | None = None
    run_reconciliation: bool = True


@dataclass
class EnedisRuntime:
    """The Enedis state of one server (stored in the app)."""

    config: DataConnectConfig | None
    options: EnedisOptions
    cache: ResponseCache
    client: DataConnectClient | None = None
    verifier: Verifier | None = None
    job: ReconciliationJob | None = None
    signer: StateSigner | None = None
    config_error: str | None = None
    """Why the settings were refused (shown in the 503 answers)."""


ENEDIS_KEY = web.AppKey("sunshare.enedis", EnedisRuntime)
SHOWN_IN_PLACE: Final = frozenset({OutcomeKind.CORRECTABLE}) | RETRYABLE
"""Callback outcomes answered by their own page (a form, a "try again" link); the
others send a web player back to the dashboard with the message."""


def _service(app: web.Application) -> GameService:
    """Return the app's game service."""
    from game_server.app import SERVICE_KEY

    return app[SERVICE_KEY]


def _json_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """Return a JSON error ``{error, message}``."""
    body: dict[str, Any] = {"error": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return web.json_response(body, status=status)


def _not_configured(runtime: EnedisRuntime) -> web.Response:
    """Return the answer of every Enedis route when credentials are missing."""
    message = "this game server has no Enedis Data Connect credentials"
    if runtime.config_error:
        message = f"Enedis Data Connect is off: {runtime.config_error}"
    return _json_error(503, "enedis_not_configured", message)


async def _user(request: web.Request) -> User:
    """Return the player of the request's API token (the ``/api/v1`` check)."""
    from game_server.api import current_user

    return await current_user(request)


async def gateway_view(request: web.Request) -> web.StreamResponse:
    """Answer ``GET /api/enedis/{measure}`` for the player's own verified meter."""
    runtime = request.app[ENEDIS_KEY]
    try:
        user = await _user(request)
        if runtime.client is None:
            return _not_configured(runtime)
        query = parse_query(
            request.match_info["measure"],
            request.query,
            today_paris(runtime.options.now),
        )
        check_owner(user, query.prm)
    except GameError as err:
        return _json_error(err.status, err.code, err.message, field=err.field)
    key = cache_key(query)
    cached = runtime.cache.get(key)
    if cached is not None:
        return web.json_response(cached, headers={"X-Cache": "hit"})
    try:
        body = await runtime.client.fetch_raw(
            query.measure, query.prm, query.start, query.end
        )
        result = body if query.fmt == "dc2026" else to_conso_api(query, body)
    except EnedisError as err:
        status, error, headers = error_body(err)
        _LOGGER.info("Gateway %s for %s: %s", query.measure, user.id, err)
        return web.json_response(error, status=status, headers=headers)
    runtime.cache.put(key, result)
    return web.json_response(result, headers={"X-Cache": "miss"})


async def status_view(request: web.Request) -> web.StreamResponse:
    """Answer ``GET /api/enedis/status`` for admins: settings, quota, last run."""
    runtime = request.app[ENEDIS_KEY]
    try:
        user = await _user(request)
        if not user.is_admin:
            raise Forbidden("admin role required")
    except GameError as err:
        return _json_error(err.status, err.code, err.message)
    config = runtime.config
    report = runtime.job.last_report if runtime.job is not None else None
    return web.json_response(
        {
            "configured": config is not None,
            "error": runtime.config_error,
            "environment": config.environment.value if config else None,
            "redirect_url": config.redirect_url if config else None,
            "requests_last_hour": (
                runtime.client.rate_limiter.used_this_hour() if runtime.client else {}
            ),
            "cache_entries": len(runtime.cache),
            "last_reconciliation": None
            if report is None
            else {
                "days": [d.isoformat() for d in report.days],
                "checked": report.checked,
                "flagged": {
                    k: [d.isoformat() for d in v] for k, v in report.flagged.items()
                },
                "review": report.review,
                "revoked": report.revoked,
                "failed": report.failed,
                "deferred": report.deferred,
            },
        }
    )


async def consent_api_view(request: web.Request) -> web.StreamResponse:
    """Answer ``POST /api/enedis/consent`` with the consent URL for the player."""
    runtime = request.app[ENEDIS_KEY]
    try:
        user = await _user(request)
    except GameError as err:
        return _json_error(err.status, err.code, err.message)
    if runtime.verifier is None:
        return _not_configured(runtime)
    return web.json_response({"url": runtime.verifier.consent_url(user)})


async def consent_page_view(request: web.Request) -> web.StreamResponse:
    """Send a signed-in web player to the Enedis consent page."""
    runtime = request.app[ENEDIS_KEY]
    from game_server.web import STATE_KEY
    from game_server.web.core import page_of, require_user

    if STATE_KEY not in request.app:
        # No web pages, no session: players use POST /api/enedis/consent instead.
        raise web.HTTPNotFound(reason="the web pages are off on this server")
    user = require_user(page_of(request))
    if runtime.verifier is None:
        raise web.HTTPServiceUnavailable(reason="Enedis is not configured")
    raise web.HTTPFound(runtime.verifier.consent_url(user))


def _wants_json(request: web.Request) -> bool:
    """Return whether the client asked for JSON."""
    return "application/json" in request.headers.get("Accept", "")


def _outcome_page(request: web.Request, outcome: Outcome) -> web.Response:
    """Return the outcome as JSON or as a small bilingual-aware HTML page."""
    status = 200 if outcome.kind is not OutcomeKind.INVALID_LINK else 400
    if _wants_json(request):
        return web.json_response(outcome.as_dict(), status=status)
    lang = outcome.language if outcome.language in ("fr", "en") else "fr"
    title = {"fr": "Vérification du compteur", "en": "Meter verification"}[lang]
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title></head><body><main><h1>{title}</h1>",
        f'<p id="outcome" data-outcome="{outcome.kind.value}">',
        f"{html.escape(outcome.message(lang))}</p>",
    ]
    if outcome.correction_token:
        button = {"fr": "Utiliser ce compteur", "en": "Use this meter"}[lang]
        parts += [
            f'<form method="post" action="{CORRECT_PATH}">',
            '<input type="hidden" name="token" value="',
            f'{html.escape(outcome.correction_token)}">',
            f'<button type="submit">{button}</button></form>',
        ]
    if outcome.retryable:
        again = {"fr": "Réessayer", "en": "Try again"}[lang]
        parts.append(
            f'<p><a href="{html.escape(str(request.rel_url))}">{again}</a></p>'
        )
    back = {"fr": "Retour au jeu", "en": "Back to the game"}[lang]
    parts.append(f'<p><a href="/">{back}</a></p></main></body></html>')
    return web.Response(
        text="".join(parts),
        status=status,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                "default-src 'none'; form-action 'self'; base-uri 'none'; "
                "frame-ancestors 'none'"
            ),
        },
    )


async def callback_view(request: web.Request) -> web.StreamResponse:
    """Handle Enedis' redirect after the consent page."""
    runtime = request.app[ENEDIS_KEY]
    if runtime.verifier is None:
        return _not_configured(runtime)
    outcome = await runtime.verifier.handle_callback(dict(request.query))
    from game_server.web.core import PAGE_KEY, Page

    page = request.get(PAGE_KEY)
    if (
        _wants_json(request)
        or outcome.kind in SHOWN_IN_PLACE
        or not isinstance(page, Page)
    ):
        return _outcome_page(request, outcome)
    # Back to the dashboard (the sign-in page when signed out) with the outcome.
    kind = "success" if outcome.ok else "error"
    page.flash(kind, "flash.raw", text=outcome.message(page.lang))
    raise page.redirect("web.dashboard")


async def correct_view(request: web.Request) -> web.StreamResponse:
    """Switch the account to the consented PRM (the offer's signed token)."""
    runtime = request.app[ENEDIS_KEY]
    if runtime.verifier is None:
        return _not_configured(runtime)
    form = await request.post()
    token = form.get("token")
    outcome = await runtime.verifier.apply_correction(
        token if isinstance(token, str) else ""
    )
    return _outcome_page(request, outcome)


async def _enedis_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the HTTP session and client; run the reconciliation job."""
    runtime = app[ENEDIS_KEY]
    config = runtime.config
    if config is None:
        yield
        return
    options = runtime.options
    own_session = options.session is None
    session = options.session or aiohttp.ClientSession()
    extra: dict[str, Any] = {}
    if options.propagation_delays is not None:
        extra["propagation_delays"] = options.propagation_delays
    runtime.client = DataConnectClient(
        session,
        config,
        rate_limiter=options.rate_limiter
        or DataConnectRateLimiter(clock=options.monotonic, sleep=options.sleep),
        now=options.now,
        sleep=options.sleep,
        **extra,
    )
    service = _service(app)
    runtime.signer = StateSigner.from_secret(
        config.client_secret, clock=options.wall_clock
    )
    runtime.verifier = Verifier(service, runtime.client, runtime.signer)
    runtime.job = ReconciliationJob(
        service, runtime.client, now=options.now, sleep=options.sleep
    )
    task: asyncio.Task[None] | None = None
    if options.run_reconciliation:
        task = asyncio.create_task(runtime.job.run_forever(), name="enedis-reconcile")
    _LOGGER.info(
        "Enedis Data Connect enabled (%s); callback URL %s",
        config.environment.value,
        config.redirect_url,
    )
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if own_session:
            await session.close()
        runtime.client = runtime.verifier = runtime.job = None


def setup_enedis(
    app: web.Application,
    config: DataConnectConfig | None = None,
    *,
    options: EnedisOptions | None = None,
    from_env: bool = True,
) -> EnedisRuntime:
    """Add the Enedis routes and lifecycle to the game server application."""
    config_error: str | None = None
    if config is None and from_env:
        try:
            config = DataConnectConfig.from_env()
        except ConfigError as err:
            config_error = str(err)
            _LOGGER.error("Enedis Data Connect is off: %s", err)
    if config is not None and not config.public_url:
        _LOGGER.warning(
            "%s is not set: register the server's public URL + %s as the return "
            "URL of the Enedis application",
            ENV_PUBLIC_URL,
            CALLBACK_PATH,
        )
    options = options or EnedisOptions()
    runtime = EnedisRuntime(
        config=config,
        options=options,
        cache=ResponseCache(options.cache_ttl, clock=options.monotonic),
        config_error=config_error,
    )
    if ENEDIS_KEY in app:
        # Already mounted (by create_app): replace the settings, keep the routes.
        existing = app[ENEDIS_KEY]
        for name in ("config", "options", "cache", "config_error"):
            setattr(existing, name, getattr(runtime, name))
        return existing
    app[ENEDIS_KEY] = runtime
    app.router.add_get(f"{GATEWAY_PATH}/status", status_view)
    app.router.add_get(GATEWAY_PATH + "/{measure}", gateway_view)
    app.router.add_post(f"{GATEWAY_PATH}/consent", consent_api_view)
    from game_server.web.core import web_page

    # A web page (session, language): the outcome reaches the dashboard as a message.
    app.router.add_get(CALLBACK_PATH, web_page(callback_view), name="enedis.callback")
    app.router.add_post(CORRECT_PATH, correct_view, name="enedis.correct")
    app.router.add_get(CONSENT_PATH, web_page(consent_page_view), name="enedis.consent")
    app.cleanup_ctx.append(_enedis_ctx)
    return runtime
