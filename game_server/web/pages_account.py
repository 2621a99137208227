"""The signed-in player's own account: change the password."""

from __future__ import annotations

import logging

from aiohttp import web

from game_server.errors import GameError

from .core import login_session, page_of, require_user, web_page
from .forms import FormReader
from .pages_auth import throttled, wait_text
from .ratelimit import Throttled, throttles

LOGGER = logging.getLogger(__name__)
WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an error code


@web_page
async def change_password(request: web.Request) -> web.StreamResponse:
    """Show the password form; check the current password and set the new one.

    The current password is checked on the sign-in throttle (a stolen session cannot
    guess it freely). Success ends every other session and revokes every device token of
    the account; this browser stays signed in.
    """
    page = page_of(request)
    user = require_user(page)
    if request.method == "GET":
        return page.render("password.html", {"errors": {}})
    form = FormReader(page)
    current = form.password("current_password")
    new = form.password("new_password")
    if new != form.password("new_password_confirm"):
        form.errors.add("new_password_confirm", page.t("register.password_mismatch"))
    errors = dict(form.errors.fields)
    status = 422
    if not errors:
        try:
            attempt = throttles(request.app).login.begin(user.username, page.address)
        except Throttled as err:
            LOGGER.warning("Throttled password change of %s", user.id)
            context = {"errors": {"__all__": wait_text(page, err)}}
            return throttled(page, err, "password.html", context)
        try:
            updated = await page.service.change_password(user, current, new)
        except GameError as err:
            if err.code == WRONG_PASSWORD:
                status = err.status  # a wrong guess: it stays counted
            else:
                attempt.cancel()
            field = {"password": "new_password"}.get(err.field or "", err.field)
            errors = {field or "__all__": page.error_text(err)}
        else:
            attempt.succeeded()
            login_session(page, updated)
            page.flash("success", "password.changed")
            raise page.redirect("web.dashboard")
    return page.render("password.html", {"errors": errors}, status=status)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the account pages."""
    router.add_route("GET", "/account/password", change_password, name="web.password")
    router.add_post("/account/password", change_password)
