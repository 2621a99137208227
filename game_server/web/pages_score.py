"""The player's score cards: each challenge × month result, explained in plain words.

``/score`` lists the signed-in player's stored results of the current season;
``/score/{challenge}/{month}`` shows one score card (what the scoring job stored with the
points: reference, weather model, factors, caps, data quality). A player only ever sees
their own cards: both pages read the signed-in account's scores and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
import re
from typing import Any

from aiohttp import web

from game_server.models import Season
from game_server.rules.models import PARIS, Challenge

from . import formatting
from .core import Page, page_of, require_user, web_page
from .i18n import Translator

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_NUMBER = r"-?\d+(?:\.\d+)?"
# The caps and notes the rules library writes on a card (English), and their keys.
CAP_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"clamped to ±50 \(raw (?P<raw>{_NUMBER})\)"), "card.cap.clamp_50"),
    (
        re.compile(r"consumption above 105 % of expected: Δ scaled by Ĉ/C"),
        "card.cap.guard",
    ),
    (re.compile(rf"Δ clamped to ±30 % \(raw (?P<raw>{_NUMBER})\)"), "card.cap.delta"),
    (
        re.compile(rf"reduction clamped to ±30 % \(raw (?P<raw>{_NUMBER})\)"),
        "card.cap.reduction",
    ),
    (re.compile(rf"weekly meter indexes: × (?P<factor>{_NUMBER})"), "card.cap.index"),
    (
        re.compile(
            rf"actions capped at (?P<share>\d+)% of the season total"
            rf" \(× (?P<ratio>{_NUMBER})\)"
        ),
        "card.cap.actions",
    ),
    (
        re.compile(
            rf"slot (?P<day>\d{{4}}-\d{{2}}-\d{{2}})#(?P<slot>\d+) capped to baseline"
            rf" drop (?P<cap>{_NUMBER}) kWh"
        ),
        "card.note.slot_cap",
    ),
    (re.compile(r"daily 4 h limit reached"), "card.note.daily_limit"),
    (re.compile(r"under 15 minutes or 0\.1 kWh"), "card.note.too_small"),
)
# How each known factor is shown: its unit ("share" is a 0–1 fraction shown in %).
FACTOR_UNITS: dict[str, str] = {
    "credit_kwh": "kwh",
    "debit_kwh": "kwh",
    "balance_kwh": "kwh",
    "credit_ref_kwh": "kwh",
    "debit_ref_kwh": "kwh",
    "consumption_ref_kwh": "kwh",
    "consumption_kwh": "kwh",
    "expected_kwh": "kwh",
    "pb": "kwh",
    "pb_ref": "kwh",
    "yield_ratio": "number",
    "consumption_units": "number",
    "import_share": "share",
    "import_share_ref": "share",
    "expected_import_share": "share",
    "green_share": "share",
    "green_share_ref": "share",
    "delta_pct": "pct",
    "reduction_pct": "pct",
    "target_pct": "pct",
    "malus": "number",
    "segment_median_kwh_per_uc": "kwh",
    "uncapped_points": "points",
    "shed_kwh": "kwh",
    "peak_kwh": "kwh",
    "level": "int",
}
LIST_FACTORS = frozenset({"events", "lines"})


def number(t: Translator, value: object, digits: int = 2) -> str:
    """Return a number with fixed decimals in the page language ('—' if not one)."""
    return formatting.number(value, t.lang, digits)


def day_text(t: Translator, value: object) -> str:
    """Return an ISO day in the page language (the text itself if it is not one)."""
    return formatting.day(str(value), t.lang)


def month_label(t: Translator, month: str) -> str:
    """Return ``YYYY-MM`` as a month name and year ("novembre 2026")."""
    if not MONTH_RE.fullmatch(month):
        return month
    year, number_ = month.split("-")
    return formatting.month_name(date(int(year), int(number_), 1), t.lang)


def plain_cap(t: Translator, text: object) -> str:
    """Return a cap or note of the rules library in the page language."""
    raw = str(text)
    for pattern, key in CAP_TEXTS:
        match = pattern.fullmatch(raw)
        if match is None:
            continue
        params = match.groupdict()
        if "slot" in params:
            minutes = 30 * int(params.pop("slot"))
            params["time"] = f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
            params["day"] = day_text(t, params["day"])
        for name in ("raw", "factor", "ratio", "cap"):
            if name in params:  # the rules library's number, as many decimals
                digits = len(params[name].partition(".")[2])
                params[name] = number(t, float(params[name]), digits)
        return t(key, **params)
    return raw


def _moment(t: Translator, when: datetime) -> str:
    """Return a local day and time ("23/11/2026 18:00")."""
    return f"{formatting.day(when, t.lang)} {formatting.time_of_day(when, t.lang)}"


def _interval(t: Translator, start: object, end: object) -> str:
    """Return an event's local start and end ("23/11/2026 18:00–19:30")."""
    try:
        first = datetime.fromisoformat(str(start)).astimezone(PARIS)
        last = datetime.fromisoformat(str(end)).astimezone(PARIS)
    except ValueError:
        return f"{start} – {end}"
    same_day = last.date() == first.date()
    tail = formatting.time_of_day(last, t.lang) if same_day else _moment(t, last)
    return f"{_moment(t, first)}–{tail}"


def _mapping(value: object) -> Mapping[str, Any]:
    """Return a card part as a mapping (empty when absent or malformed)."""
    return value if isinstance(value, Mapping) else {}


def _rows(value: object) -> list[Mapping[str, Any]]:
    """Return a card list (events, lines) keeping only its mappings."""
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, Mapping)]


@dataclass(slots=True)
class CardView:
    """A score card turned into sentences and rows in the page language."""

    challenge: str
    month: str
    month_label: str
    points: float
    eligible: bool
    provisional: bool
    detailed: bool
    status: str
    formula: str = ""
    quality: str = ""
    reference: str = ""
    weather: str = ""
    factors: list[tuple[str, str]] = field(default_factory=list)
    caps: list[str] = field(default_factory=list)
    events: list[dict[str, str]] = field(default_factory=list)
    lines: list[dict[str, str]] = field(default_factory=list)
    equipment: str = ""
    """The equipment change the card follows (re-baselined or excluded)."""
    flagged: list[dict[str, str]] = field(default_factory=list)
    """Days scored with the Enedis value: local and Enedis imports."""


def _factor_value(t: Translator, unit: str, value: object) -> str:
    """Return a factor's value with its unit."""
    if unit == "kwh":
        return f"{number(t, value, 2)} kWh"
    if unit == "share":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{number(t, 100 * value, 1)} %"
        return "—"
    if unit == "pct":
        return f"{number(t, value, 1)} %"
    if unit == "points":
        return f"{number(t, value, 2)} {t('unit.points')}"
    if unit == "int":
        return str(value)
    return number(t, value, 3) if isinstance(value, int | float) else str(value)


def _reference_text(t: Translator, reference: Mapping[str, Any]) -> str:
    """Return the sentence describing the reference period."""
    if not reference:
        return ""
    if not reference.get("days") or not reference.get("first"):
        return t("card.reference.empty")
    kind = str(reference.get("kind"))
    key = f"card.reference.{kind}"
    return t(
        key if t.has(key) else "card.reference.other",
        kind=kind,
        days=reference.get("days", "—"),
        first=day_text(t, reference.get("first")),
        last=day_text(t, reference.get("last")),
        used=reference.get("days_used", "—"),
    )


def _weather_text(t: Translator, weather: Mapping[str, Any]) -> str:
    """Return the sentence describing how the expected consumption was estimated."""
    if not weather:
        return ""
    days = weather.get("days", "—")
    if weather.get("method") == "regression":
        return t(
            "card.weather.regression",
            a=number(t, weather.get("a"), 2),
            b=number(t, weather.get("b"), 3),
            r2=number(t, weather.get("r2"), 2),
            days=days,
        )
    mean = number(t, weather.get("mean_daily_kwh"), 2)
    if weather.get("r2") is None:
        return t("card.weather.mean_few_days", mean=mean, days=days)
    return t("card.weather.mean_low_r2", mean=mean, r2=number(t, weather.get("r2"), 2))


def _quality_text(t: Translator, quality: Mapping[str, Any]) -> str:
    """Return the sentence describing the data quality of the month."""
    if not quality:
        return ""
    share = quality.get("valid_share")
    return t(
        "card.quality",
        valid=quality.get("valid_days", "—"),
        period=quality.get("period_days", "—"),
        share=number(t, 100 * share, 0) if isinstance(share, int | float) else "—",
    )


def _event_rows(t: Translator, events: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Return the shedding events of a card as table rows."""
    rows = []
    for event in events:
        notes = [plain_cap(t, note) for note in event.get("notes") or []]
        if event.get("ignored"):
            notes.insert(0, t("card.event.ignored", why=plain_cap(t, event["ignored"])))
        rows.append(
            {
                "when": _interval(t, event.get("start"), event.get("end")),
                "shed_kw": number(t, event.get("shed_kw"), 2),
                "raw_kwh": number(t, event.get("raw_kwh"), 2),
                "peak_kwh": number(t, event.get("peak_kwh"), 2),
                "weighted_kwh": number(t, event.get("weighted_kwh"), 2),
                "rebound_kwh": number(t, event.get("rebound_kwh"), 2),
                "points": number(t, event.get("points"), 2),
                "notes": " ".join(notes),
            }
        )
    return rows


def _line_rows(
    t: Translator, lines: list[Mapping[str, Any]], titles: Mapping[str, str]
) -> list[dict[str, str]]:
    """Return the action lines of a card as table rows."""
    rows = []
    for line in lines:
        if "action_id" in line:
            action = str(line["action_id"])
            verification = str(line.get("verification", ""))
            key = f"verification.{verification}"
            bonus = line.get("streak_bonus")
            rows.append(
                {
                    "what": titles.get(action, action),
                    "day": day_text(t, line.get("day")),
                    "how": t(key) if t.has(key) else verification,
                    "factor": "× " + number(t, line.get("factor"), 1),
                    "bonus": f"+{number(t, 100 * bonus, 0)} %"
                    if isinstance(bonus, int | float) and bonus
                    else "—",
                    "points": number(t, line.get("points"), 2),
                }
            )
        else:
            rows.append(
                {
                    "what": t("card.action.level", level=line.get("level", "—")),
                    "day": day_text(t, line.get("day")),
                    "how": "—",
                    "factor": "—",
                    "bonus": "—",
                    "points": number(t, line.get("points"), 2),
                }
            )
    return rows


def _equipment_text(t: Translator, change: Mapping[str, Any]) -> str:
    """Return the sentence about the equipment change a card follows."""
    if not change:
        return ""
    kind = str(change.get("kind"))
    label = f"equipment.kind.{kind}"
    effect = str(change.get("effect"))
    if effect not in ("excluded", "rebased_in_season"):
        effect = "rebased"
    return t(
        f"card.equipment.{effect}",
        day=day_text(t, change.get("day")),
        kind=t(label) if t.has(label) else kind,
    )


def _flagged_rows(t: Translator, rows: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Return the days scored with the Enedis value as table rows."""
    return [
        {
            "day": day_text(t, row.get("day")),
            "local": f"{number(t, row.get('local_kwh'), 2)} kWh",
            "enedis": f"{number(t, row.get('enedis_kwh'), 2)} kWh",
        }
        for row in rows
    ]


def card_view(
    t: Translator, row: Mapping[str, Any], titles: Mapping[str, str]
) -> CardView:
    """Return one stored result (challenge, month, points, card) in plain words."""
    card = _mapping(row.get("card"))
    challenge = str(row.get("challenge", ""))
    month = str(row.get("month", ""))
    eligible = card.get("eligible", True) is not False
    provisional = card.get("provisional") is True
    reason = card.get("reason")
    if not eligible:
        key = f"card.reason.{reason}"
        if not reason:
            why = t("card.reason.none")
        elif t.has(key):
            why = t(key)
        else:
            why = t("card.reason.other", reason=reason)
        status = f"{t('card.status.not_counted')} {why}"
    elif provisional:
        status = t("card.status.provisional")
    else:
        status = t("card.status.final")
    factors = _mapping(card.get("factors"))
    view = CardView(
        challenge=challenge,
        month=month,
        month_label=month_label(t, month),
        points=float(row.get("points") or 0.0),
        eligible=eligible,
        provisional=provisional,
        detailed=bool(card),
        status=status,
    )
    if not card:
        return view
    formula = f"card.formula.{challenge}"
    view.formula = t(formula) if t.has(formula) else ""
    quality = _mapping(card.get("data_quality"))
    view.quality = _quality_text(t, quality)
    view.flagged = _flagged_rows(t, _rows(quality.get("flagged_days")))
    reference = dict(_mapping(card.get("reference")))
    view.equipment = _equipment_text(
        t, _mapping(reference.pop("equipment_change", None))
    )
    view.reference = _reference_text(t, reference)
    if not reference or reference.get("days"):
        # Without any reference day there is no expected consumption to explain.
        view.weather = _weather_text(t, _mapping(card.get("weather")))
    for name, value in factors.items():
        if name in LIST_FACTORS or isinstance(value, list | dict):
            continue
        label = f"card.factor.{name}"
        view.factors.append(
            (
                t(label) if t.has(label) else name,
                _factor_value(t, FACTOR_UNITS.get(name, "number"), value),
            )
        )
    caps = card.get("caps")
    view.caps = [plain_cap(t, cap) for cap in caps] if isinstance(caps, list) else []
    view.events = _event_rows(t, _rows(factors.get("events")))
    view.lines = _line_rows(t, _rows(factors.get("lines")), titles)
    return view


async def _player_results(page: Page) -> tuple[Season | None, dict[str, Any] | None]:
    """Return the current season and the signed-in player's stored score in it."""
    user = require_user(page)
    season = await page.service.current_season()
    score = await page.service.player_score(user, season) if season else None
    return season, score


@web_page
async def score_list(request: web.Request) -> web.StreamResponse:
    """List the signed-in player's results per challenge and month."""
    page = page_of(request)
    season, score = await _player_results(page)
    by_challenge: dict[str, list[Mapping[str, Any]]] = {}
    if score:
        by_challenge = {key: [] for key in score["challenges"]}
        for row in sorted(score["months"], key=lambda r: str(r["month"])):
            by_challenge.setdefault(str(row["challenge"]), []).append(row)
    results = {
        key: [card_view(page.t, row, {}) for row in rows]
        for key, rows in by_challenge.items()
    }
    return page.render(
        "score.html", {"season": season, "score": score, "results": results}
    )


@web_page
async def score_card(request: web.Request) -> web.StreamResponse:
    """Show one of the signed-in player's score cards."""
    page = page_of(request)
    season, score = await _player_results(page)
    challenge = request.match_info["challenge"]
    month = request.match_info["month"]
    if challenge not in set(Challenge) or not MONTH_RE.fullmatch(month):
        raise web.HTTPNotFound
    found = [
        row
        for row in (score["months"] if score else [])
        if row["challenge"] == challenge and row["month"] == month
    ]
    if not found:
        raise web.HTTPNotFound
    titles = {
        action.id: action.title_fr if page.lang == "fr" else action.title_en
        for action in await page.service.storage.list_catalogue()
    }
    return page.render(
        "score_card.html",
        {"season": season, "card": card_view(page.t, found[0], titles)},
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the score pages."""
    router.add_get("/score", score_list, name="web.score")
    router.add_get("/score/{challenge}/{month}", score_card, name="web.score_card")
