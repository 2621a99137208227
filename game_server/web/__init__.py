"""The game server's web pages: player dashboard, team, leaderboard, admin.

``setup_web(app)`` mounts server-rendered pages (Jinja2, autoescaped), their static files
and the middleware that gives every page an encrypted session cookie, a CSRF-checked form,
its language (French by default, English available) and its Home Assistant ingress prefix.
Every decision is the service layer's (``game_server.services.GameService``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
import hashlib
from pathlib import Path

from aiohttp import web
import aiohttp_jinja2
import jinja2

from game_server.services import GameService

from . import (
    pages_account,
    pages_admin,
    pages_auth,
    pages_meter,
    pages_player,
    pages_score,
    pages_team,
)
from .core import STATE_KEY, WebConfig, WebState
from .formatting import FILTERS
from .ingress import SUPERVISOR_ADDRESS
from .middleware import web_middleware
from .ratelimit import (
    THROTTLES_KEY,
    LoginRateLimiter,
    RegistrationLimiter,
    setup_throttles,
)
from .session import load_or_create_secret

__all__ = ["STATE_KEY", "WebConfig", "configure_web", "setup_web"]

PACKAGE_DIR = Path(__file__).parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATE_DIR = PACKAGE_DIR / "templates"


def _static_version() -> str:
    """Return a short hash of the static files (cache-busting query string)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.iterdir()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _service(app: web.Application) -> GameService:
    """Return the app's game service."""
    from game_server.app import SERVICE_KEY

    return app[SERVICE_KEY]


def _config_from_app(app: web.Application) -> WebConfig:
    """Return the web settings derived from the server settings."""
    from game_server.app import SETTINGS_KEY

    settings = app.get(SETTINGS_KEY)
    data_dir = Path(getattr(settings, "data_dir", "data"))
    trusted = getattr(settings, "trusted_proxies", None) or (SUPERVISOR_ADDRESS,)
    return WebConfig(data_dir=data_dir, trusted_proxies=frozenset(trusted))


async def _web_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load (or create on first start) the session key from the data directory."""
    state = app[STATE_KEY]
    loop = asyncio.get_running_loop()
    key = await loop.run_in_executor(None, load_or_create_secret, state.config.data_dir)
    state.start(key)
    yield


def setup_web(app: web.Application, config: WebConfig | None = None) -> None:
    """Mount the web pages, their templates and static files on the application."""
    config = config or _config_from_app(app)
    setup_throttles(app)  # the same ones as the JSON API's
    app[STATE_KEY] = WebState(
        config=config,
        static_version=_static_version(),
        service=_service,
    )
    app.cleanup_ctx.append(_web_ctx)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    env.filters.update(FILTERS)  # numbers and dates in the page language (Babel)
    app.middlewares.append(web_middleware)
    for module in (
        pages_auth,
        pages_player,
        pages_meter,
        pages_score,
        pages_team,
        pages_admin,
        pages_account,
    ):
        module.add_routes(app.router)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)


def configure_web(
    app: web.Application,
    *,
    trusted_proxies: frozenset[str] | None = None,
    limiter: LoginRateLimiter | None = None,
    registration_limiter: RegistrationLimiter | None = None,
    clock: Callable[[], float] | None = None,
) -> None:
    """Change the web settings of a built application (tests, embedding).

    ``limiter`` replaces the sign-in throttle of the pages *and* the JSON API (they share
    it); ``clock`` the sessions' wall clock.
    """
    state = app[STATE_KEY]
    if trusted_proxies is not None:
        state.config = replace(state.config, trusted_proxies=trusted_proxies)
    if clock is not None:
        state.config = replace(state.config, clock=clock)
        if state.started:  # the codec reads the clock too
            state.start(state.key)
    if limiter is not None:
        app[THROTTLES_KEY].login = limiter
    if registration_limiter is not None:
        app[THROTTLES_KEY].registration = registration_limiter
