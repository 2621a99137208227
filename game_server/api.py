"""The JSON API ``/api/v1`` for Home Assistant and other clients.

Every route is declared once in ``ROUTES`` with its handler, its request and response
schemas and its possible errors; ``setup_api`` registers them and ``openapi_document``
builds ``/api/v1/openapi.json`` from the same table. Handlers check every field's type
here (``_Body``) and leave ranges and business rules to ``GameService``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
import json
import math
from typing import Any

from aiohttp import web

from game_server import __version__
from game_server.app import SERVICE_KEY, SETTINGS_KEY
from game_server.errors import (
    BadRequest,
    Forbidden,
    GameError,
    Invalid,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
)
from game_server.models import (
    DEFAULT_CHALLENGES,
    ActionDeclaration,
    ApiToken,
    DailyReading,
    EquipmentChange,
    EquipmentKind,
    MeterIndex,
    PeakEvent,
    ReadingSource,
    SheddingEvent,
    User,
)
from game_server.services import MAX_BATCH_DAYS, GameService, ReadingInput
from game_server.storage import Upserted
from game_server.web.ingress import client_address
from game_server.web.ratelimit import Throttled, setup_throttles, throttles

PREFIX = "/api/v1"

type ApiHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- field validation ----------------------------------------------------------------
class _Body:
    """A JSON object body whose fields are taken out one by one, with type checks."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Wrap the decoded object."""
        self.data = data
        self.used: set[str] = set()

    def _get(self, name: str, required: bool) -> Any:
        """Return a field's raw value (None when absent and optional)."""
        self.used.add(name)
        if name not in self.data or self.data[name] is None:
            if required:
                raise Invalid(f"{name} is required", field=name, code="missing_field")
            return None
        return self.data[name]

    def number(self, name: str, *, required: bool = False) -> float | None:
        """Return a number field."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"{name} must be a number", field=name)
        if not math.isfinite(value):
            raise Invalid(f"{name} must be a finite number", field=name)
        return float(value)

    def req_number(self, name: str) -> float:
        """Return a required number field."""
        value = self.number(name, required=True)
        assert value is not None  # noqa: S101
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        """Return a string field."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise Invalid(f"{name} must be a string", field=name)
        if len(value) > 4000:
            raise Invalid(f"{name} is too long", field=name)
        if not _encodable(value):
            raise Invalid(
                f"{name} must be valid Unicode text (no lone surrogate)", field=name
            )
        return value

    def req_text(self, name: str) -> str:
        """Return a required string field."""
        value = self.text(name, required=True)
        assert value is not None  # noqa: S101
        return value

    def day(self, name: str) -> date:
        """Return a required ``YYYY-MM-DD`` field."""
        return parse_day(self.req_text(name), name)

    def instant(self, name: str) -> datetime:
        """Return a required ISO 8601 instant with a time zone."""
        raw = self.req_text(name)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError as err:
            raise Invalid(f"{name} must be an ISO 8601 date-time", field=name) from err
        if value.tzinfo is None:
            raise Invalid(f"{name} must include a time zone offset", field=name)
        try:
            return value.astimezone(UTC)
        except OverflowError as err:  # year 1 at +14:00, year 9999 at −14:00
            raise Invalid(f"{name} is out of range", field=name) from err

    def slots(self, name: str, key: str) -> list[float | None] | None:
        """Return a list of half-hour values (numbers or null) inside an object."""
        container = self.data.get(name)
        if container is None:
            return None
        values = container.get(key)
        where = f"{name}.{key}"
        if values is None:
            return None
        if not isinstance(values, list):
            raise Invalid(f"{where} must be a list", field=where)
        # Fast path (checked in C): numbers or null, all finite; else one by one.
        kinds = set(map(type, values))
        if kinds <= _SLOT_TYPES:
            present = [value for value in values if value is not None]
            if math.isfinite(sum(present)):
                if int not in kinds:
                    return list(values)
                return [None if value is None else float(value) for value in values]
        out: list[float | None] = []
        for value in values:
            if value is None:
                out.append(None)
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Invalid(f"{where} must hold numbers or null", field=where)
            elif not math.isfinite(value):
                raise Invalid(f"{where} must hold finite numbers", field=where)
            else:
                out.append(float(value))
        return out

    def done(self) -> None:
        """Refuse fields the route does not know."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise Invalid(
                f"unknown field {unknown[0]}", field=unknown[0], code="unknown_field"
            )


_SLOT_TYPES = frozenset({float, int, type(None)})


def parse_day(raw: str, name: str = "day") -> date:
    """Return a ``YYYY-MM-DD`` day or raise Invalid."""
    try:
        value = date.fromisoformat(raw)
    except ValueError as err:
        raise Invalid(f"{name} must be a date YYYY-MM-DD", field=name) from err
    if len(raw) != 10:
        raise Invalid(f"{name} must be a date YYYY-MM-DD", field=name)
    return value


def _encodable(text: str) -> bool:
    """Return whether a text can be stored (UTF-8: no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _json_int(digits: str) -> int | float:
    """Decode a JSON integer; beyond 18 digits as a float (inf past the float range).

    Huge integers (``10**400``, thousands of digits) then fail the finite-number check
    of their field with a clear 422 instead of overflowing later.
    """
    return int(digits) if len(digits) <= 18 else float(digits)


async def read_body(request: web.Request) -> _Body:
    """Return the request's JSON object body (400 when not a JSON object).

    The one validation layer of the API's JSON: invalid UTF-8, invalid JSON and
    nesting too deep for the decoder are 400 ``invalid_json``; fields are then checked
    one by one by ``_Body``.
    """
    raw = await request.read()
    try:
        data = json.loads(raw, parse_int=_json_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadRequest("the body is not valid JSON", code="invalid_json") from err
    except RecursionError as err:
        raise BadRequest("the body is nested too deeply", code="invalid_json") from err
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_json")
    return _Body(data)


# --- authentication -------------------------------------------------------------------
def service_of(request: web.Request) -> GameService:
    """Return the service layer."""
    return request.app[SERVICE_KEY]


async def current_user(request: web.Request) -> User:
    """Return the account of the request's bearer token (401 otherwise)."""
    user, _token = await current_token(request)
    return user


async def current_token(request: web.Request) -> tuple[User, ApiToken]:
    """Return the account and the token of the request's bearer token (401 otherwise)."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'", code="missing_token")
    if not secret.isascii():
        raise Unauthorized("invalid or revoked token", code="invalid_token")
    return await service_of(request).user_for_token(secret.strip())


def _remote(request: web.Request) -> str:
    """Return the client address used for throttling (as the web pages see it)."""
    trusted = request.app[SETTINGS_KEY].trusted_proxies
    return client_address(request, trusted) or "unknown"


def _too_many(err: Throttled) -> TooManyRequests:
    """Return the 429 error of a throttled sign-in."""
    wait = math.ceil(err.retry_after)
    return TooManyRequests(
        f"too many failed logins; try again in {wait} s",
        retry_after=wait,
        code="too_many_attempts",
    )


# --- serialisation -------------------------------------------------------------------
def user_json(user: User) -> dict[str, Any]:
    """Return what a player may see of their own account."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "prm": user.prm,
        "prm_verified": user.prm_verified,
        "mode": user.mode.value,
        "household": {
            "adults": user.adults,
            "children": user.children,
            "electric_heating": user.electric_heating,
            "electric_hot_water": user.electric_hot_water,
            "solar_kwc": user.solar_kwc,
            "city": user.city,
            "postcode": user.postcode,
            "equipment_changes": [
                equipment_json(change) for change in user.equipment_changes
            ],
        },
        "language": user.language,
        "created_at": user.created_at.isoformat(),
    }


def equipment_json(change: EquipmentChange) -> dict[str, Any]:
    """Return a declared equipment change."""
    return {
        "kind": change.kind.value,
        "date": change.day.isoformat(),
        "note": change.note,
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    """Return a token's public fields (never its hash)."""
    return {
        "id": token.id,
        "device_name": token.device_name,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


def reading_json(reading: DailyReading) -> dict[str, Any]:
    """Return a stored reading."""
    slots = None
    if reading.import_slots is not None or reading.export_slots is not None:
        slots = {"import": reading.import_slots, "export": reading.export_slots}
    return {
        "day": reading.day.isoformat(),
        "import_kwh": reading.import_kwh,
        "export_kwh": reading.export_kwh,
        "production_kwh": reading.production_kwh,
        "battery_charge_kwh": reading.battery_charge_kwh,
        "battery_discharge_kwh": reading.battery_discharge_kwh,
        "slots": slots,
        "t_mean_c": reading.t_mean_c,
        "source": reading.source.value,
        "updated_at": reading.updated_at.isoformat(),
    }


def event_json(event: SheddingEvent) -> dict[str, Any]:
    """Return a stored shedding event."""
    return {
        "id": event.id,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "declared_w": event.declared_w,
        "measured_w": event.measured_w,
    }


def declaration_json(declaration: ActionDeclaration) -> dict[str, Any]:
    """Return a declared action."""
    return {
        "id": declaration.id,
        "action_id": declaration.action_id,
        "date": declaration.day.isoformat(),
        "evidence": declaration.evidence,
        "verification": declaration.verification.value,
    }


def index_json(index: MeterIndex) -> dict[str, Any]:
    """Return a meter index."""
    return {
        "date": index.day.isoformat(),
        "import_index_kwh": index.import_index_kwh,
        "export_index_kwh": index.export_index_kwh,
    }


def peak_json(event: PeakEvent, now: datetime) -> dict[str, Any]:
    """Return a peak event with whether it is in progress."""
    return {
        "id": event.id,
        "season_id": event.season_id,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "multiplier": event.multiplier,
        "note": event.note,
        "current": event.start <= now < event.end,
    }


# --- handlers ------------------------------------------------------------------------
async def post_token(request: web.Request) -> web.Response:
    """Exchange a username and password for a per-device API token."""
    body = await read_body(request)
    username = body.req_text("username")
    password = body.req_text("password")
    device_name = body.req_text("device_name")
    body.done()
    try:
        # Reserved before the (slow) password check: concurrent guesses count at once,
        # on the same counters as the web sign-in.
        attempt = throttles(request.app).login.begin(username, _remote(request))
    except Throttled as err:
        raise _too_many(err) from err
    service = service_of(request)
    try:
        token, secret = await service.create_token(username, password, device_name)
    except (Unauthorized, Forbidden):
        raise  # a password was checked: the attempt stays counted
    except GameError:
        attempt.cancel()
        raise
    attempt.succeeded()
    return web.json_response({"token": secret, **token_json(token)}, status=201)


async def post_password(request: web.Request) -> web.Response:
    """Change my password (current one checked on the sign-in throttle).

    Every browser session of the account ends and every other device token is revoked;
    the token of this call stays valid.
    """
    user, token = await current_token(request)
    body = await read_body(request)
    current = body.req_text("current_password")
    new = body.req_text("new_password")
    body.done()
    try:
        attempt = throttles(request.app).login.begin(user.username, _remote(request))
    except Throttled as err:
        raise _too_many(err) from err
    try:
        await service_of(request).change_password(
            user, current, new, keep_token_id=token.id
        )
    except GameError as err:
        if err.code != "wrong_password":
            attempt.cancel()
        raise
    attempt.succeeded()
    return web.Response(status=204)


async def get_tokens(request: web.Request) -> web.Response:
    """List the player's device tokens."""
    user = await current_user(request)
    tokens = await service_of(request).list_tokens(user)
    return web.json_response({"tokens": [token_json(t) for t in tokens]})


async def delete_token(request: web.Request) -> web.Response:
    """Revoke one of the player's device tokens."""
    user = await current_user(request)
    await service_of(request).revoke_token(user, request.match_info["token_id"])
    return web.Response(status=204)


async def get_me(request: web.Request) -> web.Response:
    """Return the player's account, team and season."""
    user = await current_user(request)
    service = service_of(request)
    season = await service.current_season()
    team = await service.team_of(user, season) if season else None
    return web.json_response(
        {
            **user_json(user),
            "season": (
                {
                    "id": season.id,
                    "name": season.name,
                    "start": season.start.isoformat(),
                    "end": season.end.isoformat(),
                    "challenges": season.challenges,
                    "reference_window_days": season.reference_window_days,
                    "team_size_limit": season.team_size_limit,
                    "peak_windows": [
                        {
                            "start": w.start,
                            "end": w.end,
                            "months": w.months,
                            "weekdays": w.weekdays,
                        }
                        for w in season.peak_windows
                    ],
                }
                if season
                else None
            ),
            "team": (
                {
                    "id": team.id,
                    "name": team.name,
                    "captain": team.captain_id == user.id,
                }
                if team
                else None
            ),
        }
    )


def reading_input(body: _Body) -> ReadingInput:
    """Return a day's energy from its JSON object (``PUT /readings/{day}``'s body)."""
    source_raw = body.text("source") or ReadingSource.LOCAL.value
    try:
        source = ReadingSource(source_raw)
    except ValueError as err:
        raise Invalid("source must be local or enedis", field="source") from err
    slots = body.data.get("slots")
    body.used.add("slots")
    if slots is not None:
        if not isinstance(slots, dict):
            raise Invalid("slots must be an object {import, export}", field="slots")
        unknown = sorted(set(slots) - {"import", "export"})
        if unknown:
            raise Invalid(f"unknown field slots.{unknown[0]}", field="slots")
    data = ReadingInput(
        import_kwh=body.req_number("import_kwh"),
        export_kwh=body.req_number("export_kwh"),
        production_kwh=body.req_number("production_kwh"),
        battery_charge_kwh=body.number("battery_charge_kwh"),
        battery_discharge_kwh=body.number("battery_discharge_kwh"),
        import_slots=body.slots("slots", "import"),
        export_slots=body.slots("slots", "export"),
        t_mean_c=body.number("t_mean_c"),
        source=source,
    )
    body.done()
    return data


async def put_reading(request: web.Request) -> web.Response:
    """Store or replace one day's energy (idempotent)."""
    user = await current_user(request)
    day = parse_day(request.match_info["day"])
    data = reading_input(await read_body(request))
    reading, created = await service_of(request).record_reading(user, day, data)
    return web.json_response(
        {**reading_json(reading), "created": created}, status=201 if created else 200
    )


def _day_error(day: str | None, err: GameError) -> dict[str, Any]:
    """Return the result of a refused day of a bulk request."""
    result: dict[str, Any] = {
        "day": day,
        "result": "error",
        "status": err.status,
        "error": err.code,
        "message": err.message,
    }
    if err.field is not None:
        result["field"] = err.field
    return result


async def put_readings(request: web.Request) -> web.Response:
    """Store or replace many days at once (idempotent per day, one transaction).

    Each item is a ``PUT /readings/{day}`` body with its ``day``, checked by the same
    code. A refused item gets its error in its result and is not stored; the other
    days are (all in one transaction). A body that is not ``{"readings": [...]}`` or
    holds more than ``MAX_BATCH_DAYS`` items is refused as a whole.
    """
    user = await current_user(request)
    body = await read_body(request)
    items = body.data.get("readings")
    body.used.add("readings")
    if items is None:
        raise Invalid("readings is required", field="readings", code="missing_field")
    if not isinstance(items, list):
        raise Invalid("readings must be a list", field="readings")
    body.done()
    if len(items) > MAX_BATCH_DAYS:
        raise PayloadTooLarge(
            f"at most {MAX_BATCH_DAYS} days per request, not {len(items)}",
            code="too_many_days",
        )
    results: list[dict[str, Any]] = []
    days: list[tuple[date, ReadingInput]] = []
    stored_at: list[int] = []
    for item in items:
        raw_day = item.get("day") if isinstance(item, dict) else None
        label = (
            raw_day
            if isinstance(raw_day, str) and len(raw_day) <= 40 and _encodable(raw_day)
            else None
        )
        try:
            if not isinstance(item, dict):
                raise Invalid("each reading must be an object", field="readings")
            fields = _Body(item)
            day = fields.day("day")
            days.append((day, reading_input(fields)))
        except GameError as err:
            results.append(_day_error(label, err))
            continue
        stored_at.append(len(results))
        results.append({"day": day.isoformat()})
    outcomes = await service_of(request).record_readings(user, days)
    for at, outcome in zip(stored_at, outcomes, strict=True):
        if isinstance(outcome, GameError):
            results[at] = _day_error(results[at]["day"], outcome)
        else:
            results[at] |= {
                "result": outcome.value,
                "status": 201 if outcome is Upserted.CREATED else 200,
            }
    counts = dict.fromkeys(["created", "replaced", "unchanged", "error"], 0)
    for result in results:
        counts[result["result"]] += 1
    return web.json_response({"results": results, **counts})


async def post_shedding_event(request: web.Request) -> web.Response:
    """Store a shedding event once per client id."""
    user = await current_user(request)
    body = await read_body(request)
    event_id = body.req_text("id")
    start = body.instant("start")
    end = body.instant("end")
    declared_w = body.req_number("declared_w")
    measured_w = body.number("measured_w")
    body.done()
    event, created = await service_of(request).record_shedding_event(
        user,
        event_id=event_id,
        start=start,
        end=end,
        declared_w=declared_w,
        measured_w=measured_w,
    )
    return web.json_response(
        {**event_json(event), "created": created}, status=201 if created else 200
    )


async def post_action(request: web.Request) -> web.Response:
    """Declare an action of the catalogue."""
    user = await current_user(request)
    body = await read_body(request)
    action_id = body.req_text("action_id")
    day = body.day("date")
    evidence = body.text("evidence")
    body.done()
    declaration = await service_of(request).declare_action(
        user, action_id, day, evidence
    )
    return web.json_response(declaration_json(declaration), status=201)


async def post_meter_index(request: web.Request) -> web.Response:
    """Store a simplified-mode household's meter index."""
    user = await current_user(request)
    body = await read_body(request)
    day = body.day("date")
    import_index = body.req_number("import_index_kwh")
    export_index = body.number("export_index_kwh")
    body.done()
    index, created = await service_of(request).record_meter_index(
        user, day, import_index, export_index
    )
    return web.json_response(
        {**index_json(index), "created": created}, status=201 if created else 200
    )


async def post_equipment_change(request: web.Request) -> web.Response:
    """Declare an equipment change of the household (idempotent by kind and date)."""
    user = await current_user(request)
    body = await read_body(request)
    kind = body.req_text("kind")
    day = body.day("date")
    note = body.text("note") or ""
    body.done()
    change, created = await service_of(request).add_equipment_change(
        user, kind, day, note
    )
    return web.json_response(
        {
            **equipment_json(change),
            "created": created,
            "equipment_changes": [equipment_json(c) for c in user.equipment_changes],
        },
        status=201 if created else 200,
    )


async def delete_equipment_change(request: web.Request) -> web.Response:
    """Withdraw a declared equipment change."""
    user = await current_user(request)
    day = parse_day(request.match_info["date"], "date")
    await service_of(request).remove_equipment_change(
        user, request.match_info["kind"], day
    )
    return web.Response(status=204)


async def get_score(request: web.Request) -> web.Response:
    """Return the player's stored season score."""
    user = await current_user(request)
    service = service_of(request)
    season = await service.require_season()
    return web.json_response(await service.player_score(user, season))


async def get_piggy_bank(request: web.Request) -> web.Response:
    """Return the player's piggy-bank tallies: day, month, year, season, and history."""
    user = await current_user(request)
    piggy = await service_of(request).piggy_bank(user)
    return web.json_response(piggy.as_dict())


async def get_catalogue(request: web.Request) -> web.Response:
    """Return the action catalogue a player can declare from."""
    user = await current_user(request)
    service = service_of(request)
    return web.json_response({"actions": await service.player_catalogue(user)})


async def get_leaderboard(request: web.Request) -> web.Response:
    """Return the season's rankings (overall or of one challenge)."""
    await current_user(request)
    service = service_of(request)
    season = await service.require_season()
    challenge = request.query.get("challenge") or None
    return web.json_response(await service.leaderboard(season, challenge))


async def get_team(request: web.Request) -> web.Response:
    """Return a team: public fields for everyone, invite code for members and admins."""
    user = await current_user(request)
    service = service_of(request)
    team = await service.get_team(request.match_info["team_id"])
    members = await service.team_members(team)
    is_member = any(m.id == user.id for m in members)
    body: dict[str, Any] = {
        "id": team.id,
        "name": team.name,
        "season_id": team.season_id,
        "captain_id": team.captain_id,
        "members": [{"id": m.id, "display_name": m.display_name} for m in members],
    }
    if is_member or user.is_admin:
        body["invite_code"] = team.invite_code
    return web.json_response(body)


async def get_peak_events(request: web.Request) -> web.Response:
    """Return the current and upcoming peak events."""
    await current_user(request)
    service = service_of(request)
    now = service.now()
    events = await service.peak_events()
    return web.json_response({"peak_events": [peak_json(e, now) for e in events]})


async def get_openapi(request: web.Request) -> web.Response:
    """Return the OpenAPI document of this API."""
    return web.json_response(openapi_document())


# --- route table and OpenAPI ---------------------------------------------------------
_ERROR = {"$ref": "#/components/schemas/Error"}
_NUM = {"type": "number", "minimum": 0}
_DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_INSTANT = {"type": "string", "format": "date-time"}
_SLOTS = {
    "type": "array",
    "description": "Exactly the day's half-hours in real time order from local "
    "midnight (Europe/Paris): 48, 46 on the spring clock change, 50 on the autumn "
    "one; any other count is refused (422 slot_count)",
    "minItems": 46,
    "maxItems": 50,
    "items": {"type": ["number", "null"], "minimum": 0, "maximum": 30},
}
_PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "day": _DAY,
    "date": _DAY,
    "kind": {"type": "string", "enum": [k.value for k in EquipmentKind]},
    "token_id": {"type": "string", "minLength": 1},
    "team_id": {"type": "string", "minLength": 1},
}
"""The schema of each path parameter."""


def _statuses(route: Route) -> tuple[int, ...]:
    """Return every error status a route can answer.

    Besides the route's own: 503 ``storage_unavailable`` everywhere; 401 where a token
    is needed; 400 (invalid JSON) and 413 (too large) where a body is read; 422 where a
    body or path parameter is validated, 404 where a path parameter may not route.
    """
    statuses = {*route.errors, 503}
    if route.auth:
        statuses.add(401)
    if route.request is not None:
        statuses |= {400, 413, 422}
    if "{" in route.path:
        statuses |= {404, 422}  # 404: a value that does not route (e.g. with a '/')
    return tuple(sorted(statuses))


_CATALOGUE_ACTION = {
    "type": "object",
    "required": [
        "id",
        "domain",
        "level",
        "base_points",
        "malus",
        "self_declared_factor",
        "recurring",
        "title",
        "declared",
        "declared_this_week",
    ],
    "properties": {
        "id": {"type": "string"},
        "domain": {"type": "string"},
        "level": {"type": "integer", "minimum": 1, "maximum": 4},
        "base_points": {
            "type": "number",
            "description": "Points of a confirmed declaration; negative for a malus",
        },
        "malus": {
            "type": "boolean",
            "description": "Declaring this action costs points (base_points < 0)",
        },
        "self_declared_factor": {
            "type": "number",
            "description": "Factor of base_points until a captain confirms the "
            "declaration (1 for a malus: it always counts in full)",
        },
        "recurring": {"type": "boolean"},
        "title": {
            "type": "object",
            "required": ["fr", "en"],
            "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
        },
        "declared": {"type": "boolean"},
        "declared_this_week": {"type": "boolean"},
    },
}

_TALLY: dict[str, Any] = {
    "type": "object",
    "description": "Piggy-bank tally of a period (rules §4.1): credit = Σ export, "
    "debit = Σ import, balance = credit − debit (kWh), over the days with their totals "
    "present; points of the period's stored piggy-bank cards (null: none stored)",
    "required": [
        "first",
        "last",
        "credit_kwh",
        "debit_kwh",
        "balance_kwh",
        "days",
        "points",
    ],
    "properties": {
        "first": _DAY,
        "last": _DAY,
        "credit_kwh": {"type": "number"},
        "debit_kwh": {"type": "number"},
        "balance_kwh": {"type": "number"},
        "days": {"type": "integer", "minimum": 0},
        "points": {"type": ["number", "null"]},
    },
}
_YEAR_TALLY: dict[str, Any] = {
    **_TALLY,
    "properties": {**_TALLY["properties"], "year": {"type": "integer"}},
}
_SEASON_TALLY: dict[str, Any] = {
    **_TALLY,
    "properties": {
        **_TALLY["properties"],
        "season_id": {"type": "string"},
        "name": {"type": "string"},
        "start": _DAY,
        "end": _DAY,
    },
}


_READING: dict[str, Any] = {
    "type": "object",
    "required": ["import_kwh", "export_kwh", "production_kwh"],
    "properties": {
        "import_kwh": {**_NUM, "maximum": 500},
        "export_kwh": {**_NUM, "maximum": 500},
        "production_kwh": {**_NUM, "maximum": 500},
        "battery_charge_kwh": {**_NUM, "maximum": 500},
        "battery_discharge_kwh": {**_NUM, "maximum": 500},
        "slots": {
            "type": "object",
            "description": "Half-hour kWh from local midnight",
            "properties": {"import": _SLOTS, "export": _SLOTS},
            "additionalProperties": False,
        },
        "t_mean_c": {"type": "number", "minimum": -50, "maximum": 60},
        "source": {"type": "string", "enum": ["local", "enedis"]},
    },
    "additionalProperties": False,
}
"""A day's energy: the body of ``PUT /readings/{day}``, an item of ``PUT /readings``."""
_DAY_RESULT: dict[str, Any] = {
    "type": "object",
    "description": "What became of one item of the request, in the request's order: "
    "created (201), replaced (200), unchanged (200: the same values were stored, "
    "nothing written) or error (the status, code and message the single-day route "
    "would answer; the day is not stored)",
    "required": ["day", "result", "status"],
    "properties": {
        "day": {"oneOf": [{"type": "string"}, {"type": "null"}]},
        "result": {
            "type": "string",
            "enum": ["created", "replaced", "unchanged", "error"],
        },
        "status": {"type": "integer"},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string"},
    },
}


@dataclass(frozen=True, slots=True)
class Route:
    """One API route with what the OpenAPI document says about it."""

    method: str
    path: str
    handler: ApiHandler
    summary: str
    auth: bool = True
    request: dict[str, Any] | None = None
    response: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    status: int = 200
    errors: tuple[int, ...] = ()


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/auth/token",
        post_token,
        "Get a per-device API token",
        auth=False,
        request={
            "type": "object",
            "required": ["username", "password", "device_name"],
            "properties": {
                "username": {"type": "string"},
                "password": {"type": "string"},
                "device_name": {"type": "string", "minLength": 1, "maxLength": 64},
            },
            "additionalProperties": False,
        },
        response={
            "type": "object",
            "properties": {"token": {"type": "string"}, "id": {"type": "string"}},
        },
        status=201,
        errors=(400, 401, 403, 413, 422, 429),
    ),
    Route("GET", "/auth/tokens", get_tokens, "List my device tokens", errors=(401,)),
    Route(
        "DELETE",
        "/auth/tokens/{token_id}",
        delete_token,
        "Revoke a device token",
        status=204,
        errors=(401, 404),
    ),
    Route("GET", "/me", get_me, "My account, team and season", errors=(401, 403)),
    Route(
        "POST",
        "/me/password",
        post_password,
        "Change my password: ends my browser sessions and revokes my other tokens",
        request={
            "type": "object",
            "required": ["current_password", "new_password"],
            "properties": {
                "current_password": {"type": "string"},
                "new_password": {"type": "string", "minLength": 10, "maxLength": 256},
            },
            "additionalProperties": False,
        },
        status=204,
        errors=(400, 401, 403, 413, 422, 429),
    ),
    Route(
        "PUT",
        "/readings/{day}",
        put_reading,
        "Store or replace a day's energy (idempotent)",
        request=_READING,
        status=201,
        errors=(400, 401, 403, 413, 422),
    ),
    Route(
        "PUT",
        "/readings",
        put_readings,
        f"Store or replace up to {MAX_BATCH_DAYS} days at once (idempotent per day, "
        "one transaction; a refused day gets its error and only it is left out)",
        request={
            "type": "object",
            "required": ["readings"],
            "properties": {
                "readings": {
                    "type": "array",
                    "description": f"At most {MAX_BATCH_DAYS} days (else 413 "
                    "too_many_days), each day once (else 422 duplicate_day)",
                    "maxItems": MAX_BATCH_DAYS,
                    "items": {
                        **_READING,
                        "required": ["day", *_READING["required"]],
                        "properties": {"day": _DAY, **_READING["properties"]},
                    },
                }
            },
            "additionalProperties": False,
        },
        response={
            "type": "object",
            "required": ["results", "created", "replaced", "unchanged", "error"],
            "properties": {
                "results": {"type": "array", "items": _DAY_RESULT},
                "created": {"type": "integer", "minimum": 0},
                "replaced": {"type": "integer", "minimum": 0},
                "unchanged": {"type": "integer", "minimum": 0},
                "error": {"type": "integer", "minimum": 0},
            },
        },
        errors=(400, 401, 403, 413, 422),
    ),
    Route(
        "POST",
        "/shedding-events",
        post_shedding_event,
        "Report a shedding event (idempotent by id)",
        request={
            "type": "object",
            "required": ["id", "start", "end", "declared_w"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "start": _INSTANT,
                "end": _INSTANT,
                "declared_w": {"type": "number", "minimum": 1, "maximum": 36000},
                "measured_w": {"type": "number", "minimum": 0, "maximum": 36000},
            },
            "additionalProperties": False,
        },
        status=201,
        errors=(400, 401, 403, 409, 413, 422),
    ),
    Route(
        "POST",
        "/actions",
        post_action,
        "Declare an energy-saving action",
        request={
            "type": "object",
            "required": ["action_id", "date"],
            "properties": {
                "action_id": {"type": "string"},
                "date": _DAY,
                "evidence": {"type": "string", "maxLength": 1000},
            },
            "additionalProperties": False,
        },
        status=201,
        errors=(400, 401, 403, 409, 413, 422),
    ),
    Route(
        "POST",
        "/meter-index",
        post_meter_index,
        "Type in a meter index (simplified mode)",
        request={
            "type": "object",
            "required": ["date", "import_index_kwh"],
            "properties": {
                "date": _DAY,
                "import_index_kwh": _NUM,
                "export_index_kwh": _NUM,
            },
            "additionalProperties": False,
        },
        status=201,
        errors=(400, 401, 403, 413, 422),
    ),
    Route(
        "POST",
        "/me/equipment-changes",
        post_equipment_change,
        "Declare an equipment change (idempotent by kind and date)",
        request={
            "type": "object",
            "required": ["kind", "date"],
            "properties": {
                "kind": {"type": "string", "enum": [k.value for k in EquipmentKind]},
                "date": {
                    **_DAY,
                    "description": "First day of use, within the season and its "
                    "reference period",
                },
                "note": {"type": "string", "maxLength": 200},
            },
            "additionalProperties": False,
        },
        status=201,
        errors=(400, 401, 403, 409, 413, 422),
    ),
    Route(
        "DELETE",
        "/me/equipment-changes/{kind}/{date}",
        delete_equipment_change,
        "Withdraw a declared equipment change",
        status=204,
        errors=(401, 403, 404, 422),
    ),
    Route("GET", "/me/score", get_score, "My stored season score", errors=(401, 409)),
    Route(
        "GET",
        "/me/piggy-bank",
        get_piggy_bank,
        "My solar piggy bank: latest day, month, calendar year and season tallies",
        response={
            "type": "object",
            "required": ["as_of", "day", "month", "year", "season", "years", "seasons"],
            "properties": {
                "as_of": _DAY,
                "day": {"oneOf": [_TALLY, {"type": "null"}]},
                "month": {
                    **_TALLY,
                    "properties": {
                        **_TALLY["properties"],
                        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    },
                },
                "year": _YEAR_TALLY,
                "season": {"oneOf": [_SEASON_TALLY, {"type": "null"}]},
                "years": {"type": "array", "items": _YEAR_TALLY},
                "seasons": {"type": "array", "items": _SEASON_TALLY},
            },
        },
        errors=(401, 403),
    ),
    Route(
        "GET",
        "/catalogue",
        get_catalogue,
        "The actions I can declare, with what I already declared",
        response={
            "type": "object",
            "required": ["actions"],
            "properties": {"actions": {"type": "array", "items": _CATALOGUE_ACTION}},
        },
        errors=(401,),
    ),
    Route(
        "GET",
        "/leaderboard",
        get_leaderboard,
        "Season rankings (query: challenge)",
        errors=(401, 409, 422),
    ),
    Route(
        "GET", "/teams/{team_id}", get_team, "A team and its members", errors=(401, 404)
    ),
    Route("GET", "/peak-events", get_peak_events, "Current and upcoming peak events"),
    Route("GET", "/openapi.json", get_openapi, "This OpenAPI document", auth=False),
)


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document built from ``ROUTES``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.handler.__name__,
            "responses": {
                str(route.status): (
                    {"description": "No content"}
                    if route.status == 204
                    else {
                        "description": "Success",
                        "content": {"application/json": {"schema": route.response}},
                    }
                ),
                **{
                    str(code): {
                        "description": "Error",
                        "content": {"application/json": {"schema": _ERROR}},
                    }
                    for code in _statuses(route)
                },
            },
        }
        if route.auth:
            operation["security"] = [{"bearer": []}]
        if route.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.request}},
            }
        params = [
            {
                "name": part[1:-1],
                "in": "path",
                "required": True,
                "schema": _PATH_PARAMETERS[part[1:-1]],
            }
            for part in route.path.split("/")
            if part.startswith("{")
        ]
        if route.path == "/leaderboard":
            params.append(
                {
                    "name": "challenge",
                    "in": "query",
                    "description": "One of the season's challenges",
                    "schema": {"type": "string", "enum": list(DEFAULT_CHALLENGES)},
                }
            )
        if params:
            operation["parameters"] = params
        paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Sunshare game API", "version": __version__},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    },
                }
            },
        },
    }


def setup_api(app: web.Application) -> None:
    """Register the API routes and the sign-in throttle (shared with the pages)."""
    setup_throttles(app)
    for route in ROUTES:
        app.router.add_route(route.method, PREFIX + route.path, route.handler)
