"""The dashboard's meter card: the player's PRM and its verification with Enedis.

Shown only when the server has Enedis Data Connect credentials: a player without a PRM
is asked to enter it, an unverified PRM gets a "Verify my meter with Enedis" link to the
consent route (``enedis.consent``), a verified PRM a badge. Enedis' callback brings the
player back to the dashboard with the outcome (see ``game_server.enedis.server``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiohttp import web

from game_server.errors import GameError
from game_server.models import User

from .core import Page, page_of, require_user, web_page
from .forms import FormReader


class MeterStep(StrEnum):
    """Where a player stands in verifying their meter."""

    NO_PRM = "no_prm"
    UNVERIFIED = "unverified"
    VERIFIED = "verified"


def dataconnect_configured(app: web.Application) -> bool:
    """Return whether the server runs Enedis Data Connect (credentials loaded)."""
    from game_server.enedis.server import ENEDIS_KEY

    runtime = app.get(ENEDIS_KEY)
    return runtime is not None and runtime.verifier is not None


def meter_step(user: User) -> MeterStep:
    """Return the player's meter verification step."""
    if not user.prm:
        return MeterStep.NO_PRM
    return MeterStep.VERIFIED if user.prm_verified else MeterStep.UNVERIFIED


def meter_context(page: Page, user: User) -> dict[str, Any]:
    """Return what the meter card shows (``meter_step`` None: no card)."""
    if not dataconnect_configured(page.request.app):
        return {"meter_step": None}
    return {"meter_step": meter_step(user).value}


@web_page
async def save_prm(request: web.Request) -> web.StreamResponse:
    """Record the player's Linky meter PRM (unverified until Enedis confirms it)."""
    page = page_of(request)
    user = require_user(page)
    if user.prm:
        # Only a first PRM here: Enedis' consent (or an admin) changes a recorded one.
        page.flash("error", "meter.prm_already_set")
        raise page.redirect("web.dashboard")
    form = FormReader(page)
    prm = "".join(form.text("prm", max_chars=32).split())
    if not prm:
        page.flash("error", "meter.prm_missing")
        raise page.redirect("web.dashboard")
    try:
        await page.service.update_profile(user, prm=prm)
    except GameError as err:
        page.flash("error", "flash.raw", text=page.error_text(err))
    else:
        page.flash("success", "meter.prm_saved")
    raise page.redirect("web.dashboard")


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the meter card's form."""
    router.add_post("/meter-prm", save_prm, name="web.meter_prm")
