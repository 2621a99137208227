"""The player dashboard: score charts, piggy bank, tips, actions, tokens, meter index."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from game_server.errors import GameError
from game_server.models import ApiToken, EquipmentKind, Mode, Season, Team, User
from game_server.rules.actions import self_declared_factor

from . import formatting
from .charts import build_chart
from .core import Page, page_of, require_user, web_page
from .forms import FormReader
from .pages_meter import meter_context

CHART_DAYS = 30
TIP_COUNT = 8
# Tips shown first for households with electric heating / hot water / solar panels.
TIPS_HEATING = (1, 2)
TIPS_HOT_WATER = (3,)
TIPS_SOLAR = (4, 5)


# Home Assistant's "add integration" link for the Sunshare integration (My Home
# Assistant redirects it to the player's own Home Assistant).
HA_ADD_INTEGRATION = (
    "https://my.home-assistant.io/redirect/config_flow_start/?domain=sunshare"
)


def factor_text(factor: float, lang: str) -> str:
    """Return a points factor as players read it (``0.5``, or ``0,5`` in French)."""
    return formatting.compact(factor, lang)


def month_series(
    monthly: dict[str, float], today: date, season: Season | None, lang: str
) -> tuple[list[tuple[str, float]], bool]:
    """Return the season's points per month and whether the last month is in progress.

    The current month of a running season holds only the points of its first days
    (provisional): it is marked in progress, so that it does not read as a fall.
    """
    current = f"{today.year:04d}-{today.month:02d}"
    running = season is not None and season.start <= today <= season.end
    keys = sorted(key for key in monthly if key <= current)
    series = [
        (
            formatting.month_name(
                date(int(key[:4]), int(key[5:7]), 1), lang, short=True
            ),
            monthly[key],
        )
        for key in keys
    ]
    return series, running and bool(keys) and keys[-1] == current


def next_steps(
    tokens: list[ApiToken], team: Team | None, season: Season | None
) -> list[tuple[str, bool]]:
    """Return a new player's next steps and whether each is done (empty: all done).

    A device token, the Home Assistant integration using it (a token used once), and a
    team of the current season. Once every step is done the panel is not shown.
    """
    steps = [
        ("token", bool(tokens)),
        ("home_assistant", any(token.last_used_at for token in tokens)),
        ("team", team is not None or season is None),
    ]
    return [] if all(done for _, done in steps) else steps


def tip_order(user: User) -> list[int]:
    """Return the tip numbers, the ones matching the household first."""
    first: list[int] = []
    if user.electric_heating:
        first += TIPS_HEATING
    if user.electric_hot_water:
        first += TIPS_HOT_WATER
    if user.solar_kwc > 0:
        first += TIPS_SOLAR
    rest = [n for n in range(1, TIP_COUNT + 1) if n not in first]
    return first + rest


async def dashboard_context(page: Page, user: User) -> dict[str, Any]:
    """Gather what the dashboard shows, from stored data only."""
    service = page.service
    storage = service.storage
    today = service.today()
    season = await service.current_season()
    score = await service.player_score(user, season) if season else None
    since = today - timedelta(days=CHART_DAYS - 1)
    daily = await storage.list_readings(user.id, start=since)
    # The piggy bank's tallies: the rules' days, the piggy-bank cards' points.
    piggy = await service.piggy_bank(user)
    latest = piggy.day.first if piggy.day else None
    tallies = {
        "day": piggy.day,
        "month": piggy.month,
        "year": piggy.year,
        "season": piggy.season.tally if piggy.season else None,
    }
    monthly: dict[str, float] = defaultdict(float)
    if score:
        for row in score["months"]:
            monthly[str(row["month"])] += float(row["points"])
    months, in_progress = month_series(monthly, today, season, page.lang)
    tokens = await service.list_tokens(user)
    team = await service.team_of(user, season) if season else None
    catalogue = [a for a in await storage.list_catalogue() if a.enabled]
    declarations = await storage.list_action_declarations(
        user.id, start=season.start if season else None
    )
    declared: dict[str, list[Any]] = defaultdict(list)
    for declaration in declarations:
        declared[declaration.action_id].append(declaration)
    catalogue.sort(key=lambda a: (a.level, a.domain, a.id))
    return {
        "season": season,
        "score": score,
        "team": team,
        "next_steps": next_steps(tokens, team, season),
        "ha_add_integration": HA_ADD_INTEGRATION,
        "score_chart": build_chart(
            months,
            kind="line" if len(months) > 2 else "bar",
            last_in_progress=in_progress,
        ),
        "challenge_chart": build_chart(
            [
                (page.t(f"challenge.{k}"), float(v))
                for k, v in score["challenges"].items()
            ]
            if score and score["computed"]
            else [],
            kind="bar",
        ),
        "balance_chart": build_chart(
            [
                (formatting.day_month(r.day, page.lang), r.export_kwh - r.import_kwh)
                for r in daily
            ],
            kind="bar",
            width=1000,
            height=240,
        ),
        "tallies": tallies,
        "piggy_rows": [
            (page.t("piggy.year_label", year=item.first.year), item)
            for item in piggy.years
        ]
        + [
            (
                page.t(
                    "piggy.season_label",
                    name=item.season.name,
                    start=formatting.day(item.season.start, page.lang),
                    end=formatting.day(item.season.end, page.lang),
                ),
                item.tally,
            )
            for item in piggy.seasons
        ],
        "latest_day": latest,
        "tips": tip_order(user),
        "catalogue": catalogue,
        # Actions that cost points are listed apart so they never read as good deeds.
        "good_actions": [a for a in catalogue if not a.malus],
        "malus_actions": [a for a in catalogue if a.malus],
        "self_factor": factor_text(self_declared_factor(malus=False), page.lang),
        "declared": declared,
        "tokens": tokens,
        "indexes": list(reversed(await storage.list_meter_indexes(user.id)))[:8]
        if user.mode is Mode.SIMPLIFIED
        else [],
        "today": today,
        "simplified": user.mode is Mode.SIMPLIFIED,
        "equipment_kinds": [kind.value for kind in EquipmentKind],
    }


@web_page
async def dashboard(request: web.Request) -> web.StreamResponse:
    """Show the signed-in player's dashboard."""
    page = page_of(request)
    user = require_user(page)
    context = await dashboard_context(page, user)
    context.update(meter_context(page, user))
    return page.render("dashboard.html", context)


def _fail(page: Page, err: GameError | str) -> None:
    """Queue an error message for the dashboard."""
    text = page.error_text(err) if isinstance(err, GameError) else err
    page.flash("error", "flash.raw", text=text)


@web_page
async def create_token(request: web.Request) -> web.StreamResponse:
    """Create an API token for a device and show its secret once."""
    page = page_of(request)
    user = require_user(page)
    form = FormReader(page)
    name = form.text("device_name", max_chars=64)
    try:
        token, secret = await page.service.issue_token(user, name)
    except GameError as err:
        _fail(page, err)
        raise page.redirect("web.dashboard") from None
    return page.render("token_created.html", {"token": token, "secret": secret})


@web_page
async def revoke_token(request: web.Request) -> web.StreamResponse:
    """Revoke one of the player's API tokens."""
    page = page_of(request)
    user = require_user(page)
    try:
        await page.service.revoke_token(user, request.match_info["token_id"])
    except GameError as err:
        _fail(page, err)
    else:
        page.flash("success", "tokens.revoked")
    raise page.redirect("web.dashboard")


@web_page
async def declare_action(request: web.Request) -> web.StreamResponse:
    """Declare an action of the catalogue for a day."""
    page = page_of(request)
    user = require_user(page)
    form = FormReader(page)
    action_id = form.text("action_id", max_chars=64)
    day = form.day("date")
    if form.errors or day is None:
        _fail(page, next(iter(form.errors.fields.values()), page.t("form.bad_date")))
        raise page.redirect("web.dashboard")
    try:
        declaration = await page.service.declare_action(user, action_id, day)
    except GameError as err:
        _fail(page, err)
    else:
        action = await page.service.storage.get_catalogue_action(declaration.action_id)
        if action is not None and action.malus:
            # Not a success to celebrate: say plainly what it costs.
            page.flash(
                "info",
                "actions.declared_malus",
                points=formatting.compact(-action.base_points, page.lang),
            )
        else:
            page.flash("success", "actions.declared")
    raise page.redirect("web.dashboard")


@web_page
async def meter_index(request: web.Request) -> web.StreamResponse:
    """Record a simplified-mode household's meter index."""
    page = page_of(request)
    user = require_user(page)
    form = FormReader(page)
    day = form.day("date")
    imported = form.required_number("import_index_kwh")
    exported = form.number("export_index_kwh")
    if form.errors or day is None:
        field, message = next(iter(form.errors.fields.items()))
        _fail(page, f"{page.t('field.' + field)}: {message}")
        raise page.redirect("web.dashboard")
    try:
        await page.service.record_meter_index(user, day, imported, exported)
    except GameError as err:
        _fail(page, err)
    else:
        page.flash("success", "index.saved")
    raise page.redirect("web.dashboard")


@web_page
async def add_equipment(request: web.Request) -> web.StreamResponse:
    """Declare an equipment change of the player's household."""
    page = page_of(request)
    user = require_user(page)
    form = FormReader(page)
    kind = form.text("kind", max_chars=32)
    day = form.day("date")
    note = form.text("note", max_chars=200)
    if form.errors or day is None:
        _fail(page, next(iter(form.errors.fields.values()), page.t("form.bad_date")))
        raise page.redirect("web.dashboard")
    try:
        _change, created = await page.service.add_equipment_change(
            user, kind, day, note
        )
    except GameError as err:
        _fail(page, err)
    else:
        page.flash("success", "equipment.saved" if created else "equipment.unchanged")
    raise page.redirect("web.dashboard")


@web_page
async def remove_equipment(request: web.Request) -> web.StreamResponse:
    """Withdraw one of the player's declared equipment changes."""
    page = page_of(request)
    user = require_user(page)
    form = FormReader(page)
    kind = form.text("kind", max_chars=32)
    day = form.day("date")
    if form.errors or day is None:
        _fail(page, next(iter(form.errors.fields.values()), page.t("form.bad_date")))
        raise page.redirect("web.dashboard")
    try:
        await page.service.remove_equipment_change(user, kind, day)
    except GameError as err:
        _fail(page, err)
    else:
        page.flash("success", "equipment.removed")
    raise page.redirect("web.dashboard")


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the player pages."""
    router.add_get("/dashboard", dashboard, name="web.dashboard")
    router.add_post("/tokens", create_token, name="web.token_create")
    router.add_post("/tokens/{token_id}/revoke", revoke_token, name="web.token_revoke")
    router.add_post("/actions", declare_action, name="web.action_declare")
    router.add_post("/meter-index", meter_index, name="web.meter_index")
    router.add_post("/equipment", add_equipment, name="web.equipment_add")
    router.add_post("/equipment/remove", remove_equipment, name="web.equipment_remove")
