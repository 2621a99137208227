"""Sign-in, sign-out, registration and the language switch."""

from __future__ import annotations

from collections.abc import Mapping
import logging
import math
from typing import Any

from aiohttp import web

from game_server.errors import Forbidden, GameError, Unauthorized
from game_server.models import Mode
from game_server.services import Registration

from .core import Page, end_session, login_session, page_of, web_page
from .forms import FormReader
from .i18n import LANGUAGES
from .ratelimit import Throttled, throttles
from .targets import same_site_path

LOGGER = logging.getLogger(__name__)
MODES = tuple(mode.value for mode in Mode)


@web_page
async def home(request: web.Request) -> web.StreamResponse:
    """Send the visitor to their dashboard or to the sign-in page."""
    page = page_of(request)
    raise page.redirect("web.dashboard" if page.user else "web.login")


@web_page
async def login(request: web.Request) -> web.StreamResponse:
    """Show the sign-in form and check submitted credentials (throttled)."""
    page = page_of(request)
    if request.method == "GET":
        target = same_site_path(request.query.get("next")) or ""
        if page.user is not None:
            raise _after_login(page, target)
        return page.render(
            "login.html", {"username": "", "error": None, "next": target}
        )
    form = FormReader(page)
    username = form.text("username", max_chars=64)
    password = form.password("password")
    target = same_site_path(page.field("next")) or ""
    try:
        # Reserved before the (slow) password check: concurrent guesses count at once.
        attempt = throttles(request.app).login.begin(username, page.address)
    except Throttled as err:
        LOGGER.warning("Throttled sign-in for %r from %s", username, page.address)
        return throttled(
            page,
            err,
            "login.html",
            {"username": username, "error": wait_text(page, err), "next": target},
        )
    try:
        user = await page.service.authenticate(username, password)
    except (Unauthorized, Forbidden) as err:
        return page.render(
            "login.html",
            {"username": username, "error": page.error_text(err), "next": target},
            status=err.status,
        )
    attempt.succeeded()
    login_session(page, user)
    raise _after_login(page, target)


def _after_login(page: Page, target: str) -> web.HTTPSeeOther:
    """Return the redirect after signing in: the page asked for, else the dashboard."""
    if target:
        return web.HTTPSeeOther(location=page.prefix + target)
    return page.redirect("web.dashboard")


def wait_text(page: Page, err: Throttled, key: str = "login.throttled") -> str:
    """Return the "too many attempts, try again in N min" message."""
    return page.t(key, minutes=str(math.ceil(err.retry_after / 60)))


def throttled(
    page: Page, err: Throttled, template: str, context: Mapping[str, Any]
) -> web.Response:
    """Return a form page refused with 429 and ``Retry-After``."""
    response = page.render(template, context, status=429)
    response.headers["Retry-After"] = str(math.ceil(err.retry_after))
    return response


@web_page
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session, and every other session of the account (wherever copied)."""
    page = page_of(request)
    if page.user is not None:
        await page.service.end_sessions(page.user.id)
    end_session(page)
    page.flash("info", "logout.done")
    raise page.redirect("web.login")


def _registration_defaults() -> dict[str, str]:
    """Return the registration form's initial values."""
    return {
        "username": "",
        "display_name": "",
        "prm": "",
        "mode": Mode.FULL.value,
        "adults": "1",
        "children": "0",
        "solar_kwc": "0",
        "city": "",
        "postcode": "",
        "electric_heating": "",
        "electric_hot_water": "",
    }


@web_page
async def register(request: web.Request) -> web.StreamResponse:
    """Show the registration form and create the account."""
    page = page_of(request)
    if request.method == "GET":
        if page.user is not None:
            raise page.redirect("web.dashboard")
        return page.render(
            "register.html", {"values": _registration_defaults(), "errors": {}}
        )
    form = FormReader(page)
    values = {name: page.field(name) for name in _registration_defaults()}
    password = form.password("password")
    if password != form.password("password_confirm"):
        form.errors.add("password_confirm", page.t("register.password_mismatch"))
    registration = Registration(
        username=form.text("username", max_chars=64),
        password=password,
        display_name=form.text("display_name", max_chars=100),
        prm=form.optional_text("prm", max_chars=40),
        mode=Mode(form.choice("mode", MODES, default=Mode.FULL.value)),
        adults=form.integer("adults", default=1),
        children=form.integer("children", default=0),
        electric_heating=form.boolean("electric_heating"),
        electric_hot_water=form.boolean("electric_hot_water"),
        solar_kwc=form.number("solar_kwc", default=0.0) or 0.0,
        city=form.optional_text("city", max_chars=100),
        postcode=form.optional_text("postcode", max_chars=20),
        language=page.lang,
    )
    # Every error at once: the form's own (shape) and the service's (rules, names and
    # meters already taken), one message per field, the form's first.
    errors = dict(form.errors.fields)
    for err in await page.service.registration_errors(registration):
        errors.setdefault(err.field or "__all__", page.error_text(err))
    if not errors:
        try:
            # Each registration hashes a password: a few per address and hour.
            throttles(request.app).registration.begin(page.address)
        except Throttled as err:
            LOGGER.warning("Throttled registration from %s", page.address)
            errors = {"__all__": wait_text(page, err, "register.throttled")}
            return throttled(
                page, err, "register.html", {"values": values, "errors": errors}
            )
        try:
            user = await page.service.register(registration)
        except GameError as err:
            errors = {err.field or "__all__": page.error_text(err)}
        else:
            login_session(page, user)
            page.flash("success", "register.welcome", name=user.display_name)
            raise page.redirect("web.dashboard")
    return page.render(
        "register.html", {"values": values, "errors": errors}, status=422
    )


@web_page
async def language(request: web.Request) -> web.StreamResponse:
    """Switch the page language and go back where the visitor was."""
    page = page_of(request)
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        raise web.HTTPNotFound
    page.session["lang"] = lang
    target = same_site_path(request.query.get("next"))
    if target is None:
        raise page.redirect("web.home")
    raise web.HTTPSeeOther(location=page.prefix + target)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the sign-in and registration pages."""
    router.add_get("/", home, name="web.home")
    router.add_route("GET", "/login", login, name="web.login")
    router.add_post("/login", login)
    router.add_post("/logout", logout, name="web.logout")
    router.add_route("GET", "/register", register, name="web.register")
    router.add_post("/register", register)
    router.add_get("/lang/{lang}", language, name="web.lang")
