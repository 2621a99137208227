"""Per-request state of the web pages and the helpers every page handler uses.

A page handler gets a ``Page`` (``page_of(request)``): the session, the translator, the
ingress-aware URL builder, the CSRF token, the signed-in account and the submitted form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
import hashlib
import hmac
from pathlib import Path
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
import aiohttp_jinja2
from multidict import MultiDictProxy

from game_server.errors import GameError
from game_server.models import User
from game_server.services import GameService

from .csrf import csrf_token
from .i18n import Translator
from .session import Session, SessionCodec

PAGE_KEY = "sunshare.page"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Settings of the web pages."""

    data_dir: Path
    trusted_proxies: frozenset[str] = frozenset({"172.30.32.2"})
    """Peers whose X-Ingress-Path, X-Remote-User-* and X-Forwarded-* headers we believe."""
    session_max_age: float = 14 * 24 * 3600
    """A session ends this long after sign-in, however active (and after as long idle)."""
    form_max_bytes: int = 64 * 1024
    cookie_name: str = "sunshare_session"
    clock: Callable[[], float] = time.time
    """Wall clock of the sessions, in seconds (tests move it)."""


@dataclass(slots=True)
class WebState:
    """What the pages share across requests (stored in the app)."""

    config: WebConfig
    static_version: str
    service: Callable[[web.Application], GameService]
    _key: bytes | None = None
    _codec: SessionCodec | None = None

    def start(self, key: bytes) -> None:
        """Use the session key (loaded when the server starts)."""
        self._key = key
        self._codec = SessionCodec(
            key, max_age=self.config.session_max_age, clock=self.config.clock
        )

    @property
    def started(self) -> bool:
        """Return whether the session key is loaded."""
        return self._key is not None

    @property
    def key(self) -> bytes:
        """Return the session key."""
        if self._key is None:
            raise RuntimeError("the web pages are not started")
        return self._key

    @property
    def codec(self) -> SessionCodec:
        """Return the session cookie codec."""
        if self._codec is None:
            raise RuntimeError("the web pages are not started")
        return self._codec


STATE_KEY = web.AppKey("sunshare.web", WebState)


@dataclass(slots=True)
class Page:
    """One request's page context."""

    request: web.Request
    state: WebState
    session: Session
    t: Translator
    prefix: str
    address: str
    https: bool
    user: User | None = None
    form: MultiDictProxy[str | bytes | bytearray | web.FileField] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def service(self) -> GameService:
        """Return the game service (the business rules)."""
        return self.state.service(self.request.app)

    @property
    def lang(self) -> str:
        """Return the page language."""
        return self.t.lang

    def url(
        self, name: str, /, query: Mapping[str, str] | None = None, **parts: str
    ) -> str:
        """Return the browser-side URL of a named route, under the ingress prefix."""
        path = str(self.request.app.router[name].url_for(**parts))
        if query:
            path += "?" + urlencode(query)
        return self.prefix + path

    def static(self, filename: str) -> str:
        """Return the URL of a static file (versioned to defeat stale caches)."""
        return f"{self.prefix}/static/{filename}?v={self.state.static_version}"

    def csrf(self) -> str:
        """Return the session's CSRF token."""
        return csrf_token(self.session)

    def redirect(
        self, name: str, /, query: Mapping[str, str] | None = None, **parts: str
    ) -> web.HTTPSeeOther:
        """Return a 303 redirect to a named route (to raise)."""
        return web.HTTPSeeOther(location=self.url(name, query=query, **parts))

    def flash(self, kind: str, key: str, **params: str) -> None:
        """Queue a message shown on the next page."""
        messages = list(self.session.get("flash", []))[-4:]
        messages.append([kind, key, params])
        self.session["flash"] = messages

    def take_flashes(self) -> list[tuple[str, str]]:
        """Return and forget the queued messages, translated."""
        raw = self.session.get("flash")
        if not raw:
            return []
        del self.session["flash"]
        out = []
        for kind, key, params in raw:
            out.append((str(kind), self.t(str(key), **params)))
        return out

    def field(self, name: str, default: str = "") -> str:
        """Return a submitted text field (trimmed of nothing; '' when absent)."""
        if self.form is None:
            return default
        value = self.form.get(name, default)
        return value if isinstance(value, str) else default

    def error_text(self, err: GameError) -> str:
        """Return a service error in the page language (by code, then field)."""
        generic = {"bad_request", "invalid", "conflict", "forbidden", "not_found"}
        if err.code not in generic and self.t.has(f"error.{err.code}"):
            return self.t(f"error.{err.code}")
        if err.field and self.t.has(f"error.field.{err.field}"):
            return self.t(f"error.field.{err.field}")
        if self.lang == "en" or not self.t.has(f"error.{err.code}"):
            return err.message
        return self.t(f"error.{err.code}")

    def render(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
    ) -> web.Response:
        """Render a template with the page helpers in its context."""
        values: dict[str, Any] = {
            "page": self,
            "t": self.t,
            "lang": self.lang,
            "user": self.user,
            "url": self.url,
            "static": self.static,
            "csrf_token": self.csrf(),
            "flashes": self.take_flashes(),
            "route": self.route_name,
        }
        if context:
            values.update(context)
        return aiohttp_jinja2.render_template(
            template, self.request, values, status=status
        )

    @property
    def route_name(self) -> str:
        """Return the name of the matched route ('' when none)."""
        route = self.request.match_info.route
        return route.name or "" if route is not None else ""


def page_of(request: web.Request) -> Page:
    """Return the page context the web middleware attached to a request."""
    page = request.get(PAGE_KEY)
    if not isinstance(page, Page):
        raise web.HTTPInternalServerError(text="page context missing")
    return page


def auth_fingerprint(key: bytes, user: User) -> str:
    """Return a session's binding to the account's session generation and password.

    Raising the generation (sign-out, password change or reset, disabling) or changing
    the password makes every session issued before it invalid.
    """
    digest = hmac.new(
        key,
        f"{user.id}:{user.session_gen}:{user.password_hash}".encode(),
        hashlib.sha256,
    )
    return digest.hexdigest()[:32]


def login_session(page: Page, user: User) -> None:
    """Start a fresh signed-in session (new CSRF token: no fixation).

    ``since`` is the sign-in instant: the session ends ``session_max_age`` after it,
    whatever the activity (each response renews the cookie only within that time).
    """
    lang = page.session.get("lang")
    page.session.clear()
    page.session["uid"] = user.id
    page.session["auth"] = auth_fingerprint(page.state.key, user)
    page.session["since"] = int(page.state.config.clock())
    if isinstance(lang, str):
        page.session["lang"] = lang
    page.user = user


def session_time_left(page: Page) -> float | None:
    """Return the seconds a signed-in session has left (None: not signed in by it)."""
    since = page.session.get("since")
    if "uid" not in page.session or not isinstance(since, int):
        return None
    age = page.state.config.clock() - since
    if age < -60:  # issued in the future: not ours
        return 0.0
    return max(page.state.config.session_max_age - age, 0.0)


def session_is_current(page: Page, user: User) -> bool:
    """Return whether the page's session still signs in this account."""
    left = session_time_left(page)
    return (
        left is not None
        and left > 0
        and not user.disabled
        and hmac.compare_digest(
            str(page.session.get("auth", "")), auth_fingerprint(page.state.key, user)
        )
    )


def end_session(page: Page) -> None:
    """Forget the signed-in account of the page's session (the language stays)."""
    lang = page.session.get("lang")
    page.session.clear()
    if isinstance(lang, str):
        page.session["lang"] = lang
    page.user = None


def require_user(page: Page) -> User:
    """Return the signed-in account or redirect to the login page.

    A page asked for with GET (e.g. a team invite link) is passed on as ``next``, so
    signing in leads back to it.
    """
    if page.user is None:
        request = page.request
        query = {"next": request.path_qs} if request.method == "GET" else None
        raise page.redirect("web.login", query=query)
    return page.user


def require_admin(page: Page) -> User:
    """Return the signed-in admin or refuse with 403."""
    user = require_user(page)
    if not user.is_admin:
        raise web.HTTPForbidden(reason="admin only")
    return user


def web_page(handler: Handler) -> Handler:
    """Mark a handler as a web page: sessions, CSRF and security headers apply."""
    handler.__sunshare_web__ = True  # type: ignore[attr-defined]
    return handler
