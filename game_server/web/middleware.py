"""The web pages' middleware: session cookie, language, ingress, CSRF, sign-in, headers."""

from __future__ import annotations

import logging

from aiohttp import web

from game_server.errors import GameError
from game_server.services import normalise_username
from game_server.storage import StorageError

from . import ingress
from .core import (
    PAGE_KEY,
    STATE_KEY,
    Handler,
    Page,
    WebState,
    end_session,
    login_session,
    session_is_current,
    session_time_left,
)
from .csrf import FIELD, csrf_valid
from .i18n import LANGUAGES, Translator, negotiate
from .session import Session

LOGGER = logging.getLogger(__name__)
ERROR_PAGES = frozenset({400, 401, 403, 404, 405, 413, 415, 429})
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)


def _is_page(request: web.Request) -> bool:
    """Return whether the matched route is a web page."""
    handler = request.match_info.handler
    return bool(getattr(handler, "__sunshare_web__", False))


def _open_session(request: web.Request, state: WebState) -> Session:
    """Return the request's session from its cookie (new when absent or invalid)."""
    cookie = request.cookies.get(state.config.cookie_name)
    data = state.codec.open(cookie) if cookie else None
    return Session(data, new=data is None)


async def _load_user(page: Page) -> None:
    """Attach the signed-in account (session, or a trusted ingress user) to the page."""
    service = page.service
    uid = page.session.get("uid")
    if isinstance(uid, str):
        user = await service.storage.get_user(uid)
        if user is not None and session_is_current(page, user):
            page.user = user
            return
        # Deleted, disabled, signed out, new password or 14 days old: it is over.
        end_session(page)
    remote = ingress.remote_user(page.request, page.state.config.trusted_proxies)
    if remote is None:
        return
    user = await service.storage.get_user_by_username(normalise_username(remote.name))
    if user is not None and not user.disabled:
        LOGGER.info("Signed in %s through Home Assistant ingress", user.username)
        login_session(page, user)


def _set_cookie(response: web.StreamResponse, page: Page) -> None:
    """Store the session in its cookie (or delete the cookie when empty)."""
    config = page.state.config
    path = (page.prefix or "") + "/"
    if not page.session:
        if not page.session.new:
            response.del_cookie(config.cookie_name, path=path)
        return
    # Renewed on every page, but a signed-in session never past its sign-in + max age.
    left = session_time_left(page)
    max_age = config.session_max_age if left is None else left
    response.set_cookie(
        config.cookie_name,
        page.state.codec.seal(page.session.as_dict()),
        max_age=int(max_age),
        path=path,
        httponly=True,
        samesite="Lax",
        secure=page.https,
    )


def _headers(response: web.StreamResponse) -> None:
    """Add the security headers of every page."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Cache-Control", "no-store")


async def _read_form(page: Page) -> web.Response | None:
    """Read a posted form within the size limit; return an error response if refused."""
    request = page.request
    limit = page.state.config.form_max_bytes
    if request.content_length is not None and request.content_length > limit:
        return _error(page, 413)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(page, 413)
    if len(body) > limit:
        return _error(page, 413)
    # Our forms are URL-encoded; nothing else (JSON, multipart uploads) is accepted.
    if request.content_type != "application/x-www-form-urlencoded":
        return _error(page, 415)
    try:
        body.decode()
    except UnicodeDecodeError:  # raw bytes that are not UTF-8 (never a browser's form)
        return _error(page, 400)
    page.form = await request.post()
    return None


def _error(page: Page, status: int) -> web.Response:
    """Return the error page of a status."""
    key = f"http.{status}" if page.t.has(f"http.{status}") else "http.error"
    return page.render(
        "error.html", {"status": status, "message": page.t(key)}, status=status
    )


@web.middleware
async def web_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Wrap every page request: session, language, ingress, sign-in, CSRF, headers."""
    if not _is_page(request):
        return await handler(request)
    state = request.app[STATE_KEY]
    trusted = state.config.trusted_proxies
    session = _open_session(request, state)
    lang = session.get("lang")
    if lang not in LANGUAGES:
        lang = negotiate(request.headers.get("Accept-Language"))
    page = Page(
        request=request,
        state=state,
        session=session,
        t=Translator(str(lang)),
        prefix=ingress.ingress_prefix(request, trusted),
        address=ingress.client_address(request, trusted),
        https=ingress.is_https(request, trusted),
    )
    request[PAGE_KEY] = page
    response: web.StreamResponse
    try:
        await _load_user(page)
        refused = None
        if request.method in UNSAFE:
            refused = await _read_form(page)
            if refused is None and not csrf_valid(session, page.field(FIELD)):
                LOGGER.warning(
                    "Refused a form without a valid CSRF token from %s", page.address
                )
                refused = _error(page, 403)
        response = refused if refused is not None else await handler(request)
    except web.HTTPException as exc:
        response = _error(page, exc.status) if exc.status in ERROR_PAGES else exc
    except GameError as err:
        response = page.render(
            "error.html",
            {"status": err.status, "message": page.error_text(err)},
            status=err.status,
        )
    except StorageError as err:
        from game_server.app import log_storage_failure

        log_storage_failure(request, err)
        response = _error(page, 503)
    _set_cookie(response, page)
    _headers(response)
    if isinstance(response, web.HTTPException):
        raise response
    return response
