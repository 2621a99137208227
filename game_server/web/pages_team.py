"""The team page (podium, members, captain tools) and the global leaderboard."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from game_server.errors import GameError
from game_server.models import Season, User, Verification

from .core import Page, page_of, require_user, web_page
from .forms import FormReader

PODIUM = 3


async def _titles(page: Page) -> dict[str, str]:
    """Return the catalogue titles in the page language."""
    return {
        a.id: a.title_fr if page.lang == "fr" else a.title_en
        for a in await page.service.storage.list_catalogue()
    }


def invite_link(page: Page, code: str) -> str:
    """Return the address a teammate opens to join with an invite code.

    Absolute, as seen by the player's browser (scheme and host of this request, under
    the ingress prefix): the team page fills the join form with the code.
    """
    path = page.url("web.team", query={"invite": code})
    scheme = "https" if page.https else "http"
    return f"{scheme}://{page.request.host}{path}"


async def team_context(page: Page, user: User, season: Season | None) -> dict[str, Any]:
    """Gather what the team page shows."""
    service = page.service
    context: dict[str, Any] = {
        "season": season,
        "team": None,
        "errors": {},
        "values": {"name": "", "invite_code": ""},
    }
    if season is None:
        return context
    board = await service.leaderboard(season)
    context["board"] = board
    context["top_teams"] = board["teams"][:PODIUM]
    team = await service.team_of(user, season)
    if team is None:
        return context
    members = await service.team_members(team)
    points = {p["user_id"]: p for p in board["players"]}
    ranked = sorted(
        members,
        key=lambda m: (-float(points.get(m.id, {}).get("points", 0.0)), m.display_name),
    )
    team_row = next((row for row in board["teams"] if row["team_id"] == team.id), None)
    pending: list[dict[str, Any]] = []
    captain = team.captain_id == user.id
    if captain:
        titles = await _titles(page)
        # A malus counts in full whether confirmed or not: nothing to confirm.
        malus = {a.id for a in await service.storage.list_catalogue() if a.malus}
        for member in members:
            if member.id == user.id:
                continue
            declarations = await service.storage.list_action_declarations(
                member.id, start=season.start
            )
            pending.extend(
                {
                    "declaration": declaration,
                    "member": member,
                    "title": titles.get(declaration.action_id, declaration.action_id),
                }
                for declaration in declarations
                if declaration.verification is Verification.SELF
                and declaration.action_id not in malus
            )
    context.update(
        team=team,
        invite_link=invite_link(page, team.invite_code),
        members=ranked,
        points=points,
        podium=ranked[:PODIUM] if board["computed"] else [],
        team_row=team_row,
        captain=captain,
        pending=pending,
        size_limit=season.team_size_limit,
    )
    return context


@web_page
async def team_page(request: web.Request) -> web.StreamResponse:
    """Show the player's team, or the forms to create or join one."""
    page = page_of(request)
    user = require_user(page)
    season = await page.service.current_season()
    context = await team_context(page, user, season)
    # An invite link (/team?invite=CODE) fills the join form; nothing is joined on GET.
    code = request.query.get("invite", "").strip()[:40]
    if code and context["team"] is None:
        context["values"] = {"name": "", "invite_code": code}
    return page.render("team.html", context)


async def _form_failed(
    page: Page, user: User, errors: dict[str, str], values: dict[str, str]
) -> web.Response:
    """Render the team page again with the form's messages."""
    season = await page.service.current_season()
    context = await team_context(page, user, season)
    context.update(errors=errors, values=values)
    return page.render("team.html", context, status=422)


@web_page
async def create_team(request: web.Request) -> web.StreamResponse:
    """Create a team; the creator becomes its captain."""
    page = page_of(request)
    user = require_user(page)
    name = FormReader(page).text("name", max_chars=100)
    try:
        team = await page.service.create_team(user, name)
    except GameError as err:
        field = "name" if err.field in (None, "name") else err.field
        return await _form_failed(
            page, user, {field: page.error_text(err)}, {"name": name, "invite_code": ""}
        )
    page.flash("success", "team.created", name=team.name)
    raise page.redirect("web.team")


@web_page
async def join_team(request: web.Request) -> web.StreamResponse:
    """Join a team with its invite code."""
    page = page_of(request)
    user = require_user(page)
    code = FormReader(page).text("invite_code", max_chars=40)
    try:
        team = await page.service.join_team(user, code)
    except GameError as err:
        return await _form_failed(
            page,
            user,
            {"invite_code": page.error_text(err)},
            {"name": "", "invite_code": code},
        )
    page.flash("success", "team.joined", name=team.name)
    raise page.redirect("web.team")


def _back_with_error(page: Page, err: GameError) -> web.HTTPSeeOther:
    """Queue a service error; return the redirect back to the team page."""
    page.flash("error", "flash.raw", text=page.error_text(err))
    return page.redirect("web.team")


@web_page
async def leave_team(request: web.Request) -> web.StreamResponse:
    """Leave the player's team."""
    page = page_of(request)
    user = require_user(page)
    try:
        await page.service.leave_team(user)
    except GameError as err:
        raise _back_with_error(page, err) from None
    page.flash("success", "team.left")
    raise page.redirect("web.team")


@web_page
async def remove_member(request: web.Request) -> web.StreamResponse:
    """Remove a member from a team (its captain or an admin)."""
    page = page_of(request)
    user = require_user(page)
    try:
        await page.service.remove_member(
            user, request.match_info["team_id"], request.match_info["user_id"]
        )
    except GameError as err:
        if err.status == 403:
            raise
        raise _back_with_error(page, err) from None
    page.flash("success", "team.member_removed")
    raise page.redirect("web.team")


@web_page
async def verify_declaration(request: web.Request) -> web.StreamResponse:
    """Confirm a member's declared action (their captain or an admin)."""
    page = page_of(request)
    user = require_user(page)
    try:
        await page.service.verify_action(
            user, request.match_info["declaration_id"], Verification.VERIFIED
        )
    except GameError as err:
        if err.status == 403:
            raise
        raise _back_with_error(page, err) from None
    page.flash("success", "team.verified")
    raise page.redirect("web.team")


@web_page
async def leaderboard(request: web.Request) -> web.StreamResponse:
    """Show the season's team and player rankings (top 3 teams highlighted)."""
    page = page_of(request)
    user = require_user(page)
    service = page.service
    season = await service.current_season()
    board = await service.leaderboard(season) if season else None
    my_team = await service.team_of(user, season) if season else None
    return page.render(
        "leaderboard.html",
        {
            "season": season,
            "board": board,
            "my_team_id": my_team.id if my_team else None,
        },
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the team pages."""
    router.add_get("/team", team_page, name="web.team")
    router.add_post("/team/create", create_team, name="web.team_create")
    router.add_post("/team/join", join_team, name="web.team_join")
    router.add_post("/team/leave", leave_team, name="web.team_leave")
    router.add_post(
        "/team/{team_id}/members/{user_id}/remove",
        remove_member,
        name="web.team_remove",
    )
    router.add_post(
        "/team/declarations/{declaration_id}/verify",
        verify_declaration,
        name="web.team_verify",
    )
    router.add_get("/leaderboard", leaderboard, name="web.leaderboard")
