"""The admin pages: KPIs, users, teams, seasons, action catalogue and audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from game_server.errors import GameError
from game_server.models import CatalogueAction, EquipmentKind, Role, Season, User
from game_server.rules.models import PARIS
from game_server.services import DOMAINS

from .charts import build_chart
from .core import Page, page_of, require_admin, web_page
from .forms import FormReader

AUDIT_PAGE = 200


async def _names(page: Page) -> dict[str, str]:
    """Return account and team display names by id (for the audit log)."""
    storage = page.service.storage
    names = {u.id: u.display_name for u in await storage.list_users()}
    names.update({t.id: t.name for t in await storage.list_teams()})
    names.update({s.id: s.name for s in await storage.list_seasons()})
    return names


async def _run(
    page: Page,
    section: str,
    action: Callable[[], Awaitable[Any]],
    success_key: str,
    form: FormReader | None = None,
    **params: str,
) -> web.StreamResponse:
    """Run an admin change, report its outcome and go back to the section."""
    if form is not None and form.errors:
        field, message = next(iter(form.errors.fields.items()))
        page.flash("error", "flash.raw", text=f"{page.t('field.' + field)}: {message}")
        raise page.redirect(section)
    try:
        result = await action()
    except GameError as err:
        page.flash("error", "flash.raw", text=page.error_text(err))
    else:
        page.flash("success", success_key, **params)
        if isinstance(result, str) and success_key == "admin.password_reset":
            return page.render(
                "admin/password.html",
                {"password": result, "section": "web.admin_users"},
            )
    raise page.redirect(section)


@web_page
async def overview(request: web.Request) -> web.StreamResponse:
    """Show the game's KPIs and the latest audit entries."""
    page = page_of(request)
    require_admin(page)
    service = page.service
    season = await service.current_season()
    board = await service.leaderboard(season) if season else None
    teams_chart = build_chart(
        [(row["name"], float(row["points"])) for row in board["teams"][:10]]
        if board and board["computed"]
        else [],
        kind="bar",
        width=1000,
        height=240,
    )
    return page.render(
        "admin/overview.html",
        {
            "teams_chart": teams_chart,
            "section": "web.admin",
            "season": season,
            "kpis": await service.kpis(season),
            "audit": await service.storage.list_audit(limit=10),
            "names": await _names(page),
            "board": board,
        },
    )


@web_page
async def users(request: web.Request) -> web.StreamResponse:
    """List the accounts with their management forms."""
    page = page_of(request)
    require_admin(page)
    service = page.service
    season = await service.current_season()
    teams = await service.storage.list_teams(season.id) if season else []
    memberships = (
        await service.storage.list_memberships(season_id=season.id) if season else []
    )
    return page.render(
        "admin/users.html",
        {
            "section": "web.admin_users",
            "users": await service.storage.list_users(),
            "teams": teams,
            "team_of": {m.user_id: m.team_id for m in memberships},
            "season": season,
            "review": await service.review_status(),
            "equipment_kinds": [kind.value for kind in EquipmentKind],
        },
    )


@web_page
async def user_action(request: web.Request) -> web.StreamResponse:
    """Apply one admin change to an account."""
    page = page_of(request)
    actor = require_admin(page)
    service = page.service
    user_id = request.match_info["user_id"]
    what = request.match_info["action"]
    form = FormReader(page)
    section = "web.admin_users"
    if what == "disable":
        disabled = form.boolean("disabled")
        return await _run(
            page,
            section,
            lambda: service.set_disabled(actor, user_id, disabled),
            "admin.user_disabled" if disabled else "admin.user_enabled",
        )
    if what == "reset-password":
        return await _run(
            page,
            section,
            lambda: service.reset_password(actor, user_id),
            "admin.password_reset",
        )
    if what == "verify-prm":
        verified = form.boolean("verified")
        return await _run(
            page,
            section,
            lambda: service.set_prm_verified(actor, user_id, verified),
            "admin.prm_updated",
        )
    if what == "team":
        team_id = form.text("team_id", max_chars=64) or None
        season = await service.current_season()
        return await _run(
            page,
            section,
            lambda: service.change_team(
                actor, user_id, team_id, season.id if season else None
            ),
            "admin.team_changed",
        )
    if what in ("equipment-add", "equipment-remove"):
        kind = form.text("kind", max_chars=32)
        day = form.day("date")
        note = form.text("note", max_chars=200)

        async def change_equipment() -> None:
            """Add or withdraw the household's equipment change."""
            user = await service.get_user(user_id)
            assert day is not None  # noqa: S101 (the form refused a missing date)
            if what == "equipment-add":
                await service.add_equipment_change(user, kind, day, note, actor=actor)
            else:
                await service.remove_equipment_change(user, kind, day, actor=actor)

        return await _run(
            page,
            section,
            change_equipment,
            "equipment.saved" if what == "equipment-add" else "equipment.removed",
            form,
        )
    if what == "role":
        role = Role(form.choice("role", tuple(r.value for r in Role), default="player"))
        return await _run(
            page,
            section,
            lambda: service.set_role(actor, user_id, role),
            "admin.role_changed",
            form,
        )
    raise web.HTTPNotFound


@web_page
async def teams(request: web.Request) -> web.StreamResponse:
    """List the season's teams with their management forms."""
    page = page_of(request)
    require_admin(page)
    service = page.service
    season = await service.current_season()
    team_list = await service.storage.list_teams(season.id) if season else []
    members = {t.id: await service.team_members(t) for t in team_list}
    return page.render(
        "admin/teams.html",
        {
            "section": "web.admin_teams",
            "season": season,
            "teams": team_list,
            "members": members,
        },
    )


@web_page
async def team_create(request: web.Request) -> web.StreamResponse:
    """Create an empty team."""
    page = page_of(request)
    actor = require_admin(page)
    name = FormReader(page).text("name", max_chars=100)
    return await _run(
        page,
        "web.admin_teams",
        lambda: page.service.admin_create_team(actor, name),
        "admin.team_created",
    )


@web_page
async def team_action(request: web.Request) -> web.StreamResponse:
    """Rename, merge or delete a team."""
    page = page_of(request)
    actor = require_admin(page)
    service = page.service
    team_id = request.match_info["team_id"]
    what = request.match_info["action"]
    form = FormReader(page)
    section = "web.admin_teams"
    if what == "rename":
        name = form.text("name", max_chars=100)
        return await _run(
            page,
            section,
            lambda: service.rename_team(actor, team_id, name),
            "admin.team_renamed",
        )
    if what == "merge":
        target = form.text("target_id", max_chars=64)
        return await _run(
            page,
            section,
            lambda: service.merge_teams(actor, team_id, target),
            "admin.team_merged",
        )
    if what == "delete":
        return await _run(
            page,
            section,
            lambda: service.delete_team(actor, team_id),
            "admin.team_deleted",
        )
    raise web.HTTPNotFound


@web_page
async def seasons(request: web.Request) -> web.StreamResponse:
    """List the seasons and peak events with their forms."""
    page = page_of(request)
    require_admin(page)
    service = page.service
    current = await service.current_season()
    return page.render(
        "admin/seasons.html",
        {
            "section": "web.admin_seasons",
            "seasons": await service.storage.list_seasons(),
            "current": current,
            "events": await service.peak_events(current) if current else [],
            "challenges": current.challenges if current else [],
            "today": service.today(),
        },
    )


def _season_from_form(form: FormReader, base: Season | None) -> Season | None:
    """Return a season built from the season form (None when a field is unreadable)."""
    name = form.text("name", max_chars=100)
    start = form.day("start")
    end = form.day("end")
    size = form.integer("team_size_limit", default=base.team_size_limit if base else 6)
    if start is None or end is None or form.errors:
        return None
    if base is None:
        return Season(name=name, start=start, end=end, team_size_limit=size)
    base.name, base.start, base.end, base.team_size_limit = name, start, end, size
    return base


@web_page
async def season_save(request: web.Request) -> web.StreamResponse:
    """Create a season or change one."""
    page = page_of(request)
    actor = require_admin(page)
    service = page.service
    season_id = request.match_info.get("season_id")
    base = await service.require_season(season_id) if season_id else None
    form = FormReader(page)
    season = _season_from_form(form, base)
    if season is None:
        return await _run(page, "web.admin_seasons", _noop, "", form)
    saved = season
    if base is None:
        return await _run(
            page,
            "web.admin_seasons",
            lambda: service.create_season(actor, saved),
            "admin.season_saved",
        )
    return await _run(
        page,
        "web.admin_seasons",
        lambda: service.update_season(actor, saved),
        "admin.season_saved",
    )


async def _noop() -> None:
    """Do nothing (a form whose fields could not be read)."""


def _local(value: datetime) -> datetime:
    """Return a naive local (Paris) date-time as an aware UTC instant."""
    return value.replace(tzinfo=PARIS)


@web_page
async def peak_event_create(request: web.Request) -> web.StreamResponse:
    """Announce a peak event."""
    page = page_of(request)
    actor = require_admin(page)
    service = page.service
    form = FormReader(page)
    start = form.instant("start")
    end = form.instant("end")
    multiplier = form.number("multiplier", default=3.0) or 3.0
    note = form.text("note", max_chars=200)
    season = await service.current_season()
    if start is None or end is None or season is None:
        return await _run(page, "web.admin_seasons", _noop, "", form)
    season_id = season.id
    return await _run(
        page,
        "web.admin_seasons",
        lambda: service.add_peak_event(
            actor, season_id, _local(start), _local(end), multiplier, note
        ),
        "admin.peak_saved",
        form,
    )


@web_page
async def peak_event_delete(request: web.Request) -> web.StreamResponse:
    """Cancel a peak event."""
    page = page_of(request)
    actor = require_admin(page)
    event_id = request.match_info["event_id"]
    return await _run(
        page,
        "web.admin_seasons",
        lambda: page.service.delete_peak_event(actor, event_id),
        "admin.peak_deleted",
    )


@web_page
async def catalogue(request: web.Request) -> web.StreamResponse:
    """List the action catalogue with its edit forms."""
    page = page_of(request)
    require_admin(page)
    return page.render(
        "admin/catalogue.html",
        {
            "section": "web.admin_catalogue",
            "actions": await page.service.storage.list_catalogue(),
            "domains": DOMAINS,
        },
    )


@web_page
async def catalogue_save(request: web.Request) -> web.StreamResponse:
    """Add or change an action of the catalogue."""
    page = page_of(request)
    actor = require_admin(page)
    form = FormReader(page)
    action = CatalogueAction(
        id=form.text("id", max_chars=64),
        domain=form.choice("domain", DOMAINS, default=DOMAINS[0]),
        level=form.integer("level", default=1),
        base_points=form.number("base_points", default=10.0) or 0.0,
        recurring=form.boolean("recurring"),
        title_fr=form.text("title_fr", max_chars=200),
        title_en=form.text("title_en", max_chars=200),
        enabled=form.boolean("enabled"),
    )
    return await _run(
        page,
        "web.admin_catalogue",
        lambda: page.service.save_catalogue_action(actor, action),
        "admin.action_saved",
        form,
    )


@web_page
async def catalogue_delete(request: web.Request) -> web.StreamResponse:
    """Remove an action from the catalogue."""
    page = page_of(request)
    actor = require_admin(page)
    action_id = request.match_info["action_id"]
    return await _run(
        page,
        "web.admin_catalogue",
        lambda: page.service.delete_catalogue_action(actor, action_id),
        "admin.action_deleted",
    )


@web_page
async def audit(request: web.Request) -> web.StreamResponse:
    """Show the audit log, newest first."""
    page = page_of(request)
    require_admin(page)
    return page.render(
        "admin/audit.html",
        {
            "section": "web.admin_audit",
            "audit": await page.service.storage.list_audit(limit=AUDIT_PAGE),
            "names": await _names(page),
        },
    )


def user_label(user: User) -> str:
    """Return how an account is named in admin lists."""
    return f"{user.display_name} ({user.username})"


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the admin pages."""
    router.add_get("/admin", overview, name="web.admin")
    router.add_get("/admin/users", users, name="web.admin_users")
    router.add_post(
        "/admin/users/{user_id}/{action}", user_action, name="web.admin_user_action"
    )
    router.add_get("/admin/teams", teams, name="web.admin_teams")
    router.add_post("/admin/teams", team_create, name="web.admin_team_create")
    router.add_post(
        "/admin/teams/{team_id}/{action}", team_action, name="web.admin_team_action"
    )
    router.add_get("/admin/seasons", seasons, name="web.admin_seasons")
    router.add_post("/admin/seasons", season_save, name="web.admin_season_create")
    router.add_post(
        "/admin/seasons/{season_id}", season_save, name="web.admin_season_update"
    )
    router.add_post(
        "/admin/peak-events", peak_event_create, name="web.admin_peak_create"
    )
    router.add_post(
        "/admin/peak-events/{event_id}/delete",
        peak_event_delete,
        name="web.admin_peak_delete",
    )
    router.add_get("/admin/catalogue", catalogue, name="web.admin_catalogue")
    router.add_post("/admin/catalogue", catalogue_save, name="web.admin_catalogue_save")
    router.add_post(
        "/admin/catalogue/{action_id}/delete",
        catalogue_delete,
        name="web.admin_catalogue_delete",
    )
    router.add_get("/admin/audit", audit, name="web.admin_audit")
