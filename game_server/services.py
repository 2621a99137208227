"""Business rules of the game server, shared by the JSON API and the web pages.

``GameService`` is the only place that decides: who may register (PRM unique), who may
join which team (one team per season, size limit), who may verify what, which data a
household may send (ranges, day windows) and what goes to the audit log. Callers pass
typed values (see ``validation`` for turning JSON or form input into them) and get models
back or a ``GameError`` with a status, a code and a clear message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
import logging
import math
import re
import secrets
import time
from typing import Any
import unicodedata
import uuid

from game_server import auth, scoring
from game_server.errors import (
    Conflict,
    Forbidden,
    GameError,
    Invalid,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from game_server.kpis import METERED, energy_kpis
from game_server.models import (
    DEFAULT_CHALLENGES,
    ActionDeclaration,
    ApiToken,
    AuditEntry,
    CatalogueAction,
    DailyReading,
    EnedisReading,
    EquipmentChange,
    EquipmentKind,
    Membership,
    MeterIndex,
    Mode,
    PeakEvent,
    PeakWindow,
    ReadingSource,
    Role,
    Season,
    SheddingEvent,
    Team,
    User,
    Verification,
)
from game_server.piggy_bank import PiggyBank, household_piggy_bank
from game_server.rules.actions import self_declared_factor
from game_server.rules.models import PARIS, SeasonSettings
from game_server.rules.reconcile import REVIEW_WINDOW_DAYS, needs_review
from game_server.rules.slots import slot_count
from game_server.scoring_job import (
    FlaggedDay,
    flagged_days,
    history_start,
    household_input,
    season_settings,
)
from game_server.storage import ConflictError, Storage, Upserted

LOGGER = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
POSTCODE_RE = re.compile(r"^[0-9A-Za-z -]{2,10}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_DAY_KWH = 500.0
"""A household day above this is refused as implausible."""
MAX_SLOT_KWH = 30.0
"""A half-hour above this (60 kW) is refused as implausible."""
MAX_POWER_W = 36_000.0
"""Largest French residential subscription (36 kVA)."""
NO_SEASON_WINDOW_DAYS = 400
"""How far back readings may go when no season exists."""
MAX_BATCH_DAYS = 400
"""Days one bulk request (``record_readings``) may carry."""
CLOCK_SKEW = timedelta(minutes=5)
MAX_EVENT = timedelta(hours=24)
DOMAINS = ("heating", "hot_water", "appliances", "lighting", "cooling", "envelope")
MAX_EQUIPMENT_CHANGES = 20
"""Equipment changes a household may declare."""
REVIEW_SCAN_DAYS = 2 * REVIEW_WINDOW_DAYS
"""Recent days the admin pages look at for flagged days (rules §6 review)."""
ACTIVE_DAYS = 7
"""A player is active with data for one of the last 7 days (or today): admin KPIs."""


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    """A household's recent flagged days and whether they call for an admin review."""

    flagged: list[FlaggedDay]
    needs_review: bool


@dataclass(kw_only=True, slots=True)
class Registration:
    """What a new player gives at registration."""

    username: str
    password: str
    display_name: str
    prm: str | None = None
    mode: Mode = Mode.FULL
    adults: int = 1
    children: int = 0
    electric_heating: bool = False
    electric_hot_water: bool = False
    solar_kwc: float = 0.0
    city: str | None = None
    postcode: str | None = None
    language: str = "fr"


@dataclass(kw_only=True, slots=True)
class ReadingInput:
    """A day's energy as sent by a client (before range checks)."""

    import_kwh: float
    export_kwh: float = 0.0
    production_kwh: float = 0.0
    battery_charge_kwh: float | None = None
    battery_discharge_kwh: float | None = None
    import_slots: list[float | None] | None = None
    export_slots: list[float | None] | None = None
    t_mean_c: float | None = None
    source: ReadingSource = ReadingSource.LOCAL


def _local_start(day: date) -> datetime:
    """Return the UTC instant a local (Europe/Paris) day starts."""
    return datetime.combine(day, datetime.min.time(), PARIS).astimezone(UTC)


def normalise_username(username: str) -> str:
    """Return the stored form of a username: Unicode NFKC, trimmed, lower case.

    NFKC folds compatibility forms (fullwidth ``ａｌｉｃｅ``, the Kelvin sign) onto their
    ASCII letters, so they name the same account; ``USERNAME_RE`` then accepts ASCII
    only, which refuses look-alikes from other scripts (Cyrillic ``а``, Greek ``ο``).
    """
    return unicodedata.normalize("NFKC", username).strip().lower()


def _check_text(value: str, field: str, low: int, high: int) -> str:
    """Return a trimmed text or raise Invalid when its length is out of range."""
    text = value.strip()
    if not low <= len(text) <= high:
        raise Invalid(f"{field} must be {low} to {high} characters long", field=field)
    if any(ord(ch) < 32 for ch in text):
        raise Invalid(f"{field} must not contain control characters", field=field)
    return text


def _check_number(
    value: float | None, field: str, low: float, high: float
) -> float | None:
    """Return a number or raise Invalid when out of [low, high]."""
    if value is None:
        return None
    if math.isnan(value) or not low <= value <= high:
        raise Invalid(f"{field} must be between {low:g} and {high:g}", field=field)
    return float(value)


def _profile_errors(user: User) -> list[Invalid]:
    """Check each household profile field (tidying the valid ones); return the refusals."""
    errors: list[Invalid] = []
    try:
        user.display_name = _check_text(user.display_name, "display_name", 1, 64)
    except Invalid as err:
        errors.append(err)
    if not 1 <= user.adults <= 20:
        errors.append(Invalid("adults (14 and over) must be 1 to 20", field="adults"))
    if not 0 <= user.children <= 20:
        errors.append(Invalid("children must be 0 to 20", field="children"))
    try:
        user.solar_kwc = _check_number(user.solar_kwc, "solar_kwc", 0, 100) or 0.0
    except Invalid as err:
        errors.append(err)
    if user.city is not None:
        try:
            user.city = _check_text(user.city, "city", 0, 100) or None
        except Invalid as err:
            errors.append(err)
    if user.postcode is not None:
        code = user.postcode.strip()
        if code and not POSTCODE_RE.match(code):
            errors.append(Invalid("postcode is not valid", field="postcode"))
        else:
            user.postcode = code or None
    if user.language not in ("fr", "en"):
        errors.append(Invalid("language must be fr or en", field="language"))
    return errors


def check_password(password: str) -> None:
    """Raise Invalid when a password is too short or too long."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long",
            field="password",
        )


def check_prm(prm: str) -> str:
    """Return the canonical PRM (14 ASCII digits) or raise Invalid.

    The Enedis library's ``normalize_prm`` is the one rule (NFKC, separators dropped,
    ASCII digits only). Imported here: ``game_server.enedis`` imports this module.
    """
    from game_server.enedis import ensure_enedis_library

    ensure_enedis_library()
    from custom_components.sunshare.enedis import normalize_prm

    try:
        return normalize_prm(prm)
    except ValueError as err:
        raise Invalid("PRM must be exactly 14 digits", field="prm") from err


class GameService:
    """The game's business rules over a storage."""

    def __init__(
        self, storage: Storage, clock: Callable[[], datetime] | None = None
    ) -> None:
        """Use a storage and a clock (UTC now; injectable for tests)."""
        self.storage = storage
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- time ----------------------------------------------------------------------
    def now(self) -> datetime:
        """Return the current instant (UTC)."""
        return self._clock()

    def today(self) -> date:
        """Return today's local (Europe/Paris) date."""
        return self.now().astimezone(PARIS).date()

    # --- audit -----------------------------------------------------------------------
    async def audit(
        self,
        actor: User | None,
        action: str,
        target_type: str,
        target_id: str | None = None,
        **details: Any,
    ) -> None:
        """Append a change to the audit log."""
        await self.storage.add_audit(
            AuditEntry(
                # Sortable by insertion even when the (injected) clock stands still.
                id=f"{time.time_ns():020d}{secrets.token_hex(6)}",
                at=self.now(),
                actor_id=actor.id if actor else None,
                action=action,
                target_type=target_type,
                target_id=target_id,
                details=details,
            )
        )
        LOGGER.info(
            "audit %s %s %s by %s", action, target_type, target_id, actor and actor.id
        )

    # --- accounts --------------------------------------------------------------------
    async def _check_profile(self, user: User) -> None:
        """Raise Invalid when a household profile field is out of range."""
        errors = _profile_errors(user)
        if errors:
            raise errors[0]

    async def _registration(
        self, form: Registration, role: Role
    ) -> tuple[User, list[GameError]]:
        """Return the account a registration would create and every reason to refuse it.

        Each field is checked on its own (at most one error per field, in the form's
        order), so that a form can show all its errors at once.
        """
        errors: list[GameError] = []
        username = normalise_username(form.username)
        username_ok = bool(USERNAME_RE.fullmatch(username))
        if not username_ok:
            errors.append(
                Invalid(
                    "username must be 3 to 32 characters: letters, digits, '.', '_', "
                    "'-'",
                    field="username",
                )
            )
        try:
            check_password(form.password)
        except Invalid as err:
            errors.append(err)
        prm: str | None = None
        if form.prm:
            try:
                prm = check_prm(form.prm)
            except Invalid as err:
                errors.append(err)
        user = User(
            username=username,
            display_name=form.display_name,
            password_hash="",
            role=role,
            prm=prm,
            mode=form.mode,
            adults=form.adults,
            children=form.children,
            electric_heating=form.electric_heating,
            electric_hot_water=form.electric_hot_water,
            solar_kwc=form.solar_kwc,
            city=form.city,
            postcode=form.postcode,
            language=form.language,
            created_at=self.now(),
        )
        errors += _profile_errors(user)
        if username_ok and (
            await self.storage.get_user_by_username(username) is not None
        ):
            errors.append(
                Conflict(
                    "this username is already taken",
                    field="username",
                    code="username_taken",
                )
            )
        if prm is not None and await self.storage.get_user_by_prm(prm) is not None:
            errors.append(self._prm_taken())
        return user, errors

    async def registration_errors(
        self, form: Registration, *, role: Role = Role.PLAYER
    ) -> list[GameError]:
        """Return every reason ``register`` would refuse a form (empty: none).

        At most one error per field, in the form's order; ``register`` raises the first.
        Nothing is stored and no password is hashed.
        """
        _user, errors = await self._registration(form, role)
        return errors

    async def register(self, form: Registration, *, role: Role = Role.PLAYER) -> User:
        """Create an account; a PRM already used by another account is refused."""
        user, errors = await self._registration(form, role)
        if errors:
            raise errors[0]
        user.password_hash = await auth.hash_password_async(form.password)
        try:
            await self.storage.add_user(user)
        except ConflictError as err:
            if err.field == "prm":
                raise self._prm_taken() from err
            raise Conflict(
                "this username is already taken",
                field="username",
                code="username_taken",
            ) from err
        LOGGER.info("Registered account %s", user.id)
        return user

    @staticmethod
    def _prm_taken() -> Conflict:
        """Return the error for a PRM already used by another account."""
        return Conflict(
            "this meter (PRM) is already registered to another account; you can still "
            "use the local Boxénergie features, but not join the game with it",
            field="prm",
            code="prm_taken",
        )

    async def authenticate(self, username: str, password: str) -> User:
        """Return the account for a username and password, or raise Unauthorized."""
        user = await self.storage.get_user_by_username(normalise_username(username))
        ok = await auth.verify_password_async(
            user.password_hash if user else None, password
        )
        if user is None or not ok:
            raise Unauthorized("wrong username or password", code="bad_credentials")
        if user.disabled:
            raise Forbidden("this account is disabled", code="account_disabled")
        if auth.needs_rehash(user.password_hash):
            user.password_hash = await auth.hash_password_async(password)
            await self.storage.update_user(user)
        return user

    async def get_user(self, user_id: str) -> User:
        """Return an account or raise NotFound."""
        user = await self.storage.get_user(user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    async def update_profile(self, user: User, **changes: Any) -> User:
        """Change a player's own display name and household profile."""
        allowed = {
            "display_name",
            "adults",
            "children",
            "electric_heating",
            "electric_hot_water",
            "solar_kwc",
            "city",
            "postcode",
            "mode",
            "language",
            "prm",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise Invalid(
                f"cannot change {sorted(unknown)[0]}", field=sorted(unknown)[0]
            )
        updated = replace(user, **changes)
        if "prm" in changes and changes["prm"] != user.prm:
            updated.prm = check_prm(changes["prm"]) if changes["prm"] else None
            updated.prm_verified = False
        await self._check_profile(updated)
        try:
            await self.storage.update_user(updated)
        except ConflictError as err:
            raise self._prm_taken() from err
        return updated

    async def change_password(
        self, user: User, current: str, new: str, *, keep_token_id: str | None = None
    ) -> User:
        """Change a player's own password after checking the current one.

        Every browser session of the account ends (the caller signs its own one in
        again with the returned account) and every device token is revoked but
        ``keep_token_id`` (the token of an API call). Raises Invalid for a bad new
        password (before any check), Forbidden ``wrong_password`` for a wrong current one.
        """
        check_password(new)
        if not await auth.verify_password_async(user.password_hash, current):
            raise Forbidden(
                "wrong current password",
                field="current_password",
                code="wrong_password",
            )
        updated = await self.get_user(user.id)
        updated.password_hash = await auth.hash_password_async(new)
        await self.storage.update_user(updated)
        updated.session_gen = await self.end_sessions(updated.id)
        for token in await self.storage.list_tokens(updated.id):
            if token.id != keep_token_id:
                await self.storage.delete_token(token.id)
        await self.audit(updated, "user.change_password", "user", updated.id)
        return updated

    async def end_sessions(self, user_id: str) -> int:
        """End every browser session of an account; return its new session generation.

        Sign-out, a password change or reset and disabling the account call it: a
        session cookie issued before is refused from then on, wherever it was copied.
        """
        generation = await self.storage.bump_session_generation(user_id)
        if generation is None:
            raise NotFound("no such user")
        return generation

    # --- API tokens ------------------------------------------------------------------
    async def create_token(
        self, username: str, password: str, device_name: str
    ) -> tuple[ApiToken, str]:
        """Check credentials and return a new device token (the secret shown once)."""
        device_name = _check_text(device_name, "device_name", 1, 64)
        user = await self.authenticate(username, password)
        return await self.issue_token(user, device_name)

    async def issue_token(self, user: User, device_name: str) -> tuple[ApiToken, str]:
        """Return a new device token for an authenticated player."""
        device_name = _check_text(device_name, "device_name", 1, 64)
        secret = auth.new_token()
        token = ApiToken(
            user_id=user.id,
            device_name=device_name,
            token_hash=auth.hash_token(secret),
            created_at=self.now(),
        )
        await self.storage.add_token(token)
        return token, secret

    async def user_for_token(self, secret: str) -> tuple[User, ApiToken]:
        """Return the account and token of a bearer token, or raise Unauthorized."""
        token = await self.storage.get_token_by_hash(auth.hash_token(secret))
        if token is None:
            raise Unauthorized("invalid or revoked token", code="invalid_token")
        user = await self.storage.get_user(token.user_id)
        if user is None:
            raise Unauthorized("invalid or revoked token", code="invalid_token")
        if user.disabled:
            raise Forbidden("this account is disabled", code="account_disabled")
        now = self.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(
            minutes=5
        ):
            await self.storage.touch_token(token.id, now)
            token.last_used_at = now
        return user, token

    async def list_tokens(self, user: User) -> list[ApiToken]:
        """Return a player's device tokens."""
        return await self.storage.list_tokens(user.id)

    async def revoke_token(self, user: User, token_id: str) -> None:
        """Revoke one of a player's tokens (admins may revoke anyone's)."""
        tokens = await self.storage.list_tokens(user.id)
        if user.is_admin and not any(t.id == token_id for t in tokens):
            # An admin revoking another player's token: audit it.
            if await self.storage.delete_token(token_id):
                await self.audit(user, "token.revoke", "token", token_id)
                return
            raise NotFound("no such token")
        if not any(t.id == token_id for t in tokens):
            raise NotFound("no such token")
        await self.storage.delete_token(token_id)

    # --- seasons ---------------------------------------------------------------------
    async def current_season(self) -> Season | None:
        """Return the season in progress, else the next one, else the latest one."""
        seasons = await self.storage.list_seasons()
        today = self.today()
        for season in seasons:
            if season.contains(today):
                return season
        upcoming = [s for s in seasons if s.start > today]
        if upcoming:
            return min(upcoming, key=lambda s: s.start)
        return max(seasons, key=lambda s: s.end) if seasons else None

    async def require_season(self, season_id: str | None = None) -> Season:
        """Return a season by id (or the current one), or raise."""
        if season_id is not None:
            season = await self.storage.get_season(season_id)
            if season is None:
                raise NotFound("no such season")
            return season
        season = await self.current_season()
        if season is None:
            raise Conflict("no season has been created yet", code="no_season")
        return season

    def _check_season(self, season: Season) -> None:
        """Raise Invalid when a season's settings are out of range."""
        season.name = _check_text(season.name, "name", 1, 80)
        if season.end < season.start:
            raise Invalid("the season must end after it starts", field="end")
        unknown = set(season.challenges) - set(DEFAULT_CHALLENGES)
        if unknown:
            raise Invalid(f"unknown challenge {sorted(unknown)[0]}", field="challenges")
        if not 1 <= season.team_size_limit <= 100:
            raise Invalid("team size limit must be 1 to 100", field="team_size_limit")
        if not 0 <= season.reference_window_days <= 800:
            raise Invalid(
                "reference window must be 0 to 800 days", field="reference_window_days"
            )
        for window in season.peak_windows:
            self._check_window(window)

    @staticmethod
    def _check_window(window: PeakWindow) -> None:
        """Raise Invalid when a peak window is malformed."""
        if not (HHMM_RE.match(window.start) and HHMM_RE.match(window.end)):
            raise Invalid("peak window times must be HH:MM", field="peak_windows")
        if window.end <= window.start:
            raise Invalid(
                "a peak window must end after it starts", field="peak_windows"
            )
        if not window.months or any(not 1 <= m <= 12 for m in window.months):
            raise Invalid("peak window months must be 1 to 12", field="peak_windows")
        if not window.weekdays or any(not 0 <= d <= 6 for d in window.weekdays):
            raise Invalid("peak window weekdays must be 0 to 6", field="peak_windows")

    async def create_season(self, actor: User | None, season: Season) -> Season:
        """Create a season (admin)."""
        if actor is not None:
            self._require_admin(actor)
        self._check_season(season)
        await self.storage.add_season(season)
        await self.audit(actor, "season.create", "season", season.id, name=season.name)
        return season

    async def update_season(self, actor: User, season: Season) -> Season:
        """Change a season's dates, challenges, peak windows or settings (admin)."""
        self._require_admin(actor)
        if await self.storage.get_season(season.id) is None:
            raise NotFound("no such season")
        self._check_season(season)
        await self.storage.update_season(season)
        await self.audit(actor, "season.update", "season", season.id, name=season.name)
        return season

    async def add_peak_event(  # noqa: PLR0917
        self,
        actor: User,
        season_id: str,
        start: datetime,
        end: datetime,
        multiplier: float = 3.0,
        note: str = "",
    ) -> PeakEvent:
        """Announce a peak event in a season (admin)."""
        self._require_admin(actor)
        season = await self.require_season(season_id)
        if end <= start:
            raise Invalid("a peak event must end after it starts", field="end")
        _check_number(multiplier, "multiplier", 1, 10)
        event = PeakEvent(
            season_id=season.id,
            start=start,
            end=end,
            multiplier=multiplier,
            note=_check_text(note, "note", 0, 200),
            created_at=self.now(),
        )
        await self.storage.add_peak_event(event)
        await self.audit(
            actor, "peak_event.create", "peak_event", event.id, start=start.isoformat()
        )
        return event

    async def delete_peak_event(self, actor: User, event_id: str) -> None:
        """Cancel a peak event (admin)."""
        self._require_admin(actor)
        if not await self.storage.delete_peak_event(event_id):
            raise NotFound("no such peak event")
        await self.audit(actor, "peak_event.delete", "peak_event", event_id)

    async def peak_events(self, season: Season | None = None) -> list[PeakEvent]:
        """Return the peak events that are in progress or upcoming."""
        now = self.now()
        events = await self.storage.list_peak_events(season.id if season else None)
        return [e for e in events if e.end > now]

    # --- teams -----------------------------------------------------------------------
    async def get_team(self, team_id: str) -> Team:
        """Return a team or raise NotFound."""
        team = await self.storage.get_team(team_id)
        if team is None:
            raise NotFound("no such team")
        return team

    async def team_of(self, user: User, season: Season | None = None) -> Team | None:
        """Return the player's team in a season (the current one by default)."""
        season = season or await self.current_season()
        if season is None:
            return None
        membership = await self.storage.get_membership(user.id, season.id)
        if membership is None:
            return None
        return await self.storage.get_team(membership.team_id)

    async def team_members(self, team: Team) -> list[User]:
        """Return a team's members, captain first then by joining date."""
        memberships = await self.storage.list_memberships(team_id=team.id)
        users = [await self.storage.get_user(m.user_id) for m in memberships]
        members = [u for u in users if u is not None]
        return sorted(members, key=lambda u: u.id != team.captain_id)

    async def _new_team(self, name: str, season: Season, captain: User | None) -> Team:
        """Store a new team with a unique name in its season and a fresh invite code."""
        name = _check_text(name, "name", 2, 40)
        for team in await self.storage.list_teams(season.id):
            if team.name.casefold() == name.casefold():
                raise Conflict(
                    "a team with this name already exists in this season",
                    field="name",
                    code="team_name_taken",
                )
        for _attempt in range(5):
            team = Team(
                name=name,
                invite_code=auth.new_invite_code(),
                captain_id=captain.id if captain else None,
                season_id=season.id,
                created_at=self.now(),
            )
            try:
                await self.storage.add_team(team)
            except ConflictError as err:
                if err.field == "invite_code":
                    continue
                raise Conflict(
                    "a team with this name already exists in this season",
                    field="name",
                    code="team_name_taken",
                ) from err
            return team
        raise Conflict(
            "could not allocate an invite code, try again"
        )  # pragma: no cover

    async def _add_member(self, user: User, team: Team, season: Season) -> None:
        """Add a player to a team, enforcing one team per season and the size limit."""
        if await self.storage.get_membership(user.id, season.id) is not None:
            raise Conflict(
                "you are already in a team this season; leave it first",
                code="already_in_team",
            )
        members = await self.storage.list_memberships(team_id=team.id)
        if len(members) >= season.team_size_limit:
            raise Conflict(
                f"this team is full ({season.team_size_limit} members at most)",
                code="team_full",
            )
        try:
            await self.storage.add_membership(
                Membership(
                    team_id=team.id,
                    user_id=user.id,
                    season_id=season.id,
                    joined_at=self.now(),
                )
            )
        except ConflictError as err:
            raise Conflict(
                "you are already in a team this season; leave it first",
                code="already_in_team",
            ) from err

    async def create_team(self, user: User, name: str) -> Team:
        """Create a team in the current season; its creator becomes captain."""
        season = await self.require_season()
        if await self.storage.get_membership(user.id, season.id) is not None:
            raise Conflict(
                "you are already in a team this season; leave it first",
                code="already_in_team",
            )
        team = await self._new_team(name, season, user)
        try:
            await self._add_member(user, team, season)
        except Conflict:
            await self.storage.delete_team(team.id)
            raise
        return team

    async def join_team(self, user: User, invite_code: str) -> Team:
        """Join a team with its invite code."""
        code = invite_code.strip().upper()
        team = await self.storage.get_team_by_invite_code(code) if code else None
        if team is None:
            raise NotFound("no team has this invite code", field="invite_code")
        season = await self.require_season(team.season_id)
        await self._add_member(user, team, season)
        return team

    async def _drop_member(self, team: Team, user_id: str) -> None:
        """Remove a membership; hand captaincy over or delete the emptied team."""
        await self.storage.delete_membership(user_id, team.season_id)
        if team.captain_id != user_id:
            return
        remaining = await self.storage.list_memberships(team_id=team.id)
        if remaining:
            team.captain_id = remaining[0].user_id
            await self.storage.update_team(team)
        else:
            await self.storage.delete_team(team.id)

    async def leave_team(self, user: User) -> None:
        """Leave one's team of the current season."""
        team = await self.team_of(user)
        if team is None:
            raise NotFound("you are not in a team this season")
        await self._drop_member(team, user.id)

    async def remove_member(self, actor: User, team_id: str, user_id: str) -> None:
        """Remove a member from a team (its captain or an admin)."""
        team = await self.get_team(team_id)
        try:
            auth.require_captain_or_admin(actor, team)
        except auth.PermissionDenied as err:
            raise Forbidden("only the team captain or an admin can do this") from err
        membership = await self.storage.get_membership(user_id, team.season_id)
        if membership is None or membership.team_id != team.id:
            raise NotFound("this player is not in the team")
        if user_id == actor.id:
            raise Conflict(
                "use 'leave team' to leave your own team", code="self_removal"
            )
        await self._drop_member(team, user_id)
        await self.audit(actor, "team.remove_member", "team", team.id, user_id=user_id)

    async def verify_action(
        self,
        actor: User,
        declaration_id: str,
        verification: Verification = Verification.VERIFIED,
    ) -> ActionDeclaration:
        """Confirm (or reset) a member's declared action (team captain or admin)."""
        declaration = await self.storage.get_action_declaration(declaration_id)
        if declaration is None:
            raise NotFound("no such declared action")
        if not actor.is_admin:
            if declaration.user_id == actor.id:
                raise Forbidden("you cannot verify your own actions")
            # Only the captain of the player's team in the current season, for an
            # action of that season: never a former team's captain (another season's
            # team, or a team the player left).
            season = await self.current_season()
            player = await self.storage.get_user(declaration.user_id)
            team = (
                await self.team_of(player, season)
                if season is not None and player is not None
                else None
            )
            if (
                season is None
                or team is None
                or team.captain_id != actor.id
                or not season.start <= declaration.day <= season.end
            ):
                raise Forbidden(
                    "only the player's current team captain (for an action of the "
                    "current season) or an admin can verify"
                )
            if verification is Verification.SENSOR:
                raise Forbidden("only an admin can mark an action as sensor-confirmed")
        declaration.verification = verification
        declaration.verified_by = (
            None if verification is Verification.SELF else actor.id
        )
        await self.storage.update_action_declaration(declaration)
        await self.audit(
            actor,
            "action.verify",
            "action_declaration",
            declaration.id,
            user_id=declaration.user_id,
            verification=verification.value,
        )
        return declaration

    # --- admin: users and teams ----------------------------------------------------
    @staticmethod
    def _require_admin(actor: User) -> None:
        """Raise Forbidden unless the actor is an admin."""
        if not actor.is_admin:
            raise Forbidden("admin role required")

    async def set_disabled(self, actor: User, user_id: str, disabled: bool) -> User:
        """Disable or re-enable an account (admin).

        Disabling stops its tokens and ends its browser sessions for good: enabling it
        again does not bring them back.
        """
        self._require_admin(actor)
        user = await self.get_user(user_id)
        if user.id == actor.id and disabled:
            raise Conflict("you cannot disable your own account", code="self_disable")
        user.disabled = disabled
        await self.storage.update_user(user)
        if disabled:
            user.session_gen = await self.end_sessions(user.id)
        await self.audit(
            actor, "user.disable" if disabled else "user.enable", "user", user.id
        )
        return user

    async def reset_password(
        self, actor: User, user_id: str, new_password: str | None = None
    ) -> str:
        """Set a new password for an account (admin); return it to hand over."""
        self._require_admin(actor)
        user = await self.get_user(user_id)
        password = new_password or secrets.token_urlsafe(12)
        check_password(password)
        user.password_hash = await auth.hash_password_async(password)
        await self.storage.update_user(user)
        await self.end_sessions(user.id)
        for token in await self.storage.list_tokens(user.id):
            await self.storage.delete_token(token.id)
        await self.audit(actor, "user.reset_password", "user", user.id)
        return password

    async def set_role(self, actor: User, user_id: str, role: Role) -> User:
        """Grant or remove the admin role (admin)."""
        self._require_admin(actor)
        user = await self.get_user(user_id)
        if user.id == actor.id and role is not Role.ADMIN:
            raise Conflict("you cannot remove your own admin role", code="self_demote")
        user.role = role
        await self.storage.update_user(user)
        await self.audit(actor, "user.set_role", "user", user.id, role=role.value)
        return user

    async def set_prm_verified(self, actor: User, user_id: str, verified: bool) -> User:
        """Mark a player's PRM as verified (or not) by hand (admin)."""
        self._require_admin(actor)
        user = await self.get_user(user_id)
        if verified and not user.prm:
            raise Conflict("this player has no PRM to verify", code="no_prm")
        user.prm_verified = verified
        await self.storage.update_user(user)
        await self.audit(
            actor, "user.verify_prm", "user", user.id, verified=verified, prm=user.prm
        )
        return user

    async def change_team(
        self,
        actor: User,
        user_id: str,
        team_id: str | None,
        season_id: str | None = None,
    ) -> None:
        """Move a player to another team, or out of any team (admin)."""
        self._require_admin(actor)
        user = await self.get_user(user_id)
        if team_id is not None:
            team = await self.get_team(team_id)
            season = await self.require_season(team.season_id)
        else:
            season = await self.require_season(season_id)
        previous = await self.team_of(user, season)
        if previous is not None:
            if team_id == previous.id:
                return
            await self._drop_member(previous, user.id)
        if team_id is not None:
            await self._add_member(user, team, season)
            if team.captain_id is None:
                team.captain_id = user.id
                await self.storage.update_team(team)
        await self.audit(
            actor,
            "user.change_team",
            "user",
            user.id,
            from_team=previous.id if previous else None,
            to_team=team_id,
        )

    async def admin_create_team(
        self, actor: User, name: str, season_id: str | None = None
    ) -> Team:
        """Create an empty team (admin); its first member becomes captain."""
        self._require_admin(actor)
        season = await self.require_season(season_id)
        team = await self._new_team(name, season, None)
        await self.audit(actor, "team.create", "team", team.id, name=team.name)
        return team

    async def rename_team(self, actor: User, team_id: str, name: str) -> Team:
        """Rename a team (admin)."""
        self._require_admin(actor)
        team = await self.get_team(team_id)
        name = _check_text(name, "name", 2, 40)
        for other in await self.storage.list_teams(team.season_id):
            if other.id != team.id and other.name.casefold() == name.casefold():
                raise Conflict(
                    "a team with this name already exists in this season",
                    field="name",
                    code="team_name_taken",
                )
        old = team.name
        team.name = name
        try:
            await self.storage.update_team(team)
        except ConflictError as err:
            raise Conflict(
                "a team with this name already exists", code="team_name_taken"
            ) from err
        await self.audit(actor, "team.rename", "team", team.id, old=old, new=name)
        return team

    async def merge_teams(self, actor: User, source_id: str, target_id: str) -> Team:
        """Move every member of one team into another and delete the first (admin)."""
        self._require_admin(actor)
        if source_id == target_id:
            raise Invalid("cannot merge a team into itself", field="target_id")
        source = await self.get_team(source_id)
        target = await self.get_team(target_id)
        if source.season_id != target.season_id:
            raise Conflict("teams of different seasons cannot merge", code="season")
        season = await self.require_season(target.season_id)
        moving = await self.storage.list_memberships(team_id=source.id)
        staying = await self.storage.list_memberships(team_id=target.id)
        if len(moving) + len(staying) > season.team_size_limit:
            raise Conflict(
                f"the merged team would exceed {season.team_size_limit} members",
                code="team_full",
            )
        await self.storage.delete_team(source.id)
        for membership in moving:
            await self.storage.add_membership(
                Membership(
                    team_id=target.id,
                    user_id=membership.user_id,
                    season_id=membership.season_id,
                    joined_at=membership.joined_at,
                )
            )
        if target.captain_id is None and moving:
            target.captain_id = source.captain_id or moving[0].user_id
            await self.storage.update_team(target)
        await self.audit(
            actor,
            "team.merge",
            "team",
            target.id,
            source=source.id,
            source_name=source.name,
            moved=[m.user_id for m in moving],
        )
        return target

    async def delete_team(self, actor: User, team_id: str) -> None:
        """Delete a team; its members become teamless (admin)."""
        self._require_admin(actor)
        team = await self.get_team(team_id)
        members = await self.storage.list_memberships(team_id=team.id)
        await self.storage.delete_team(team.id)
        await self.audit(
            actor,
            "team.delete",
            "team",
            team.id,
            name=team.name,
            members=[m.user_id for m in members],
        )

    # --- catalogue -------------------------------------------------------------------
    async def save_catalogue_action(
        self, actor: User | None, action: CatalogueAction
    ) -> CatalogueAction:
        """Add or change an action of the catalogue (admin)."""
        if actor is not None:
            self._require_admin(actor)
        if not re.match(r"^[a-z0-9_]{2,64}$", action.id):
            raise Invalid("action id must be 2 to 64 of a-z, 0-9, _", field="id")
        if action.domain not in DOMAINS:
            raise Invalid(f"domain must be one of {', '.join(DOMAINS)}", field="domain")
        if action.level not in (1, 2, 3, 4):
            raise Invalid("level must be 1 to 4", field="level")
        _check_number(action.base_points, "base_points", -500, 500)
        action.title_fr = _check_text(action.title_fr, "title_fr", 1, 200)
        action.title_en = _check_text(action.title_en, "title_en", 1, 200)
        created = await self.storage.upsert_catalogue_action(action)
        if actor is not None:
            await self.audit(
                actor,
                "catalogue.create" if created else "catalogue.update",
                "catalogue_action",
                action.id,
            )
        return action

    async def player_catalogue(self, user: User) -> list[dict[str, Any]]:
        """Return the enabled actions a player can declare, and what they declared.

        ``declared`` is whether a one-off action is already declared this season
        (declaring it again is refused); ``declared_this_week`` the same for a
        recurring one (once a week). ``malus`` marks an action that costs points
        (negative ``base_points``); ``self_declared_factor`` is what its base points
        are multiplied by until a captain confirms it (1 for a malus: it always counts
        in full).
        """
        season = await self.current_season()
        since = season.start if season else None
        declarations = await self.storage.list_action_declarations(user.id, start=since)
        week = self.today().isocalendar()[:2]
        done = {d.action_id for d in declarations}
        done_this_week = {
            d.action_id for d in declarations if d.day.isocalendar()[:2] == week
        }
        return [
            {
                "id": action.id,
                "domain": action.domain,
                "level": action.level,
                "base_points": action.base_points,
                "malus": action.malus,
                "self_declared_factor": self_declared_factor(malus=action.malus),
                "recurring": action.recurring,
                "title": {"fr": action.title_fr, "en": action.title_en},
                "declared": action.id in done,
                "declared_this_week": action.id in done_this_week,
            }
            for action in sorted(
                await self.storage.list_catalogue(),
                key=lambda a: (a.level, a.domain, a.id),
            )
            if action.enabled
        ]

    async def delete_catalogue_action(self, actor: User, action_id: str) -> None:
        """Remove an action from the catalogue (admin)."""
        self._require_admin(actor)
        if not await self.storage.delete_catalogue_action(action_id):
            raise NotFound("no such action in the catalogue")
        await self.audit(actor, "catalogue.delete", "catalogue_action", action_id)

    async def seed_catalogue(self) -> int:
        """Load the shipped catalogue when the stored one is empty; return how many."""
        if await self.storage.list_catalogue():
            return 0
        import json

        from game_server.rules.catalogue import CATALOGUE_FILE

        data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
        for entry in data["actions"]:
            await self.storage.upsert_catalogue_action(
                CatalogueAction(
                    id=entry["id"],
                    domain=entry["domain"],
                    level=int(entry["level"]),
                    base_points=float(entry["base_points"]),
                    recurring=bool(entry.get("recurring", False)),
                    title_fr=entry["title"]["fr"],
                    title_en=entry["title"]["en"],
                )
            )
        return len(data["actions"])

    # --- data a household sends -----------------------------------------------------
    async def _oldest_day(self) -> date:
        """Return the oldest day a household may still send data for."""
        season = await self.current_season()
        if season is None:
            return self.today() - timedelta(days=NO_SEASON_WINDOW_DAYS)
        return season.start - timedelta(days=season.reference_window_days)

    async def _check_day(self, day: date, field: str = "day") -> None:
        """Raise Invalid when a day is in the future or before the reference window."""
        if day > self.today():
            raise Invalid("the day is in the future", field=field, code="day_in_future")
        self._check_day_window(day, await self._oldest_day(), field)

    def _check_day_window(self, day: date, oldest: date, field: str = "day") -> None:
        """Raise Invalid when a day is in the future or before ``oldest``."""
        if day > self.today():
            raise Invalid("the day is in the future", field=field, code="day_in_future")
        if day < oldest:
            raise Invalid(
                f"the day is before the season's reference window ({oldest})",
                field=field,
                code="day_too_old",
            )

    async def record_reading(
        self, user: User, day: date, data: ReadingInput
    ) -> tuple[DailyReading, bool]:
        """Store (or replace) a household's day; return it and whether it was new."""
        reading = self._valid_reading(user, day, data, await self._oldest_day())
        created = await self.storage.upsert_reading(reading)
        await scoring.on_data_changed(self.storage, user.id, day)
        return reading, created

    async def record_readings(
        self, user: User, days: Sequence[tuple[date, ReadingInput]]
    ) -> list[Upserted | GameError]:
        """Store (or replace) many days of a household at once; say what each did.

        Each day is checked exactly as ``record_reading`` checks it; a refused day (or
        a day already met earlier in the batch, ``duplicate_day``) gets its error and
        is left out, the others are written in one storage transaction (a storage
        failure writes none of them). Days equal to what is stored are ``UNCHANGED``
        (not written). The scoring job is told once, of the days that changed.
        """
        if len(days) > MAX_BATCH_DAYS:
            raise PayloadTooLarge(
                f"at most {MAX_BATCH_DAYS} days per request, not {len(days)}",
                field="readings",
                code="too_many_days",
            )
        oldest = await self._oldest_day()
        results: list[Upserted | GameError] = []
        valid: list[tuple[int, DailyReading]] = []
        seen: set[date] = set()
        for day, data in days:
            if day in seen:
                results.append(
                    Invalid(
                        f"{day} is sent twice in this request",
                        field="day",
                        code="duplicate_day",
                    )
                )
                continue
            seen.add(day)
            try:
                reading = self._valid_reading(user, day, data, oldest)
            except GameError as err:
                results.append(err)
                continue
            valid.append((len(results), reading))
            results.append(Upserted.UNCHANGED)  # replaced below
        outcomes = await self.storage.upsert_readings([r for _, r in valid])
        changed: list[date] = []
        for (at, reading), outcome in zip(valid, outcomes, strict=True):
            results[at] = outcome
            if outcome is not Upserted.UNCHANGED:
                changed.append(reading.day)
        if changed:
            await scoring.on_data_changed(self.storage, user.id, *changed)
        return results

    def _valid_reading(
        self, user: User, day: date, data: ReadingInput, oldest: date
    ) -> DailyReading:
        """Return a household's day as stored, or raise Invalid (``record_reading``)."""
        self._check_day_window(day, oldest)
        for name in (
            "import_kwh",
            "export_kwh",
            "production_kwh",
            "battery_charge_kwh",
            "battery_discharge_kwh",
        ):
            _check_number(getattr(data, name), name, 0, MAX_DAY_KWH)
        _check_number(data.t_mean_c, "t_mean_c", -50, 60)
        day_slots = slot_count(day)
        for name in ("import_slots", "export_slots"):
            slots = getattr(data, name)
            if slots is None:
                continue
            if len(slots) != day_slots:
                raise Invalid(
                    f"{name} must hold exactly {day_slots} half-hours on {day} "
                    f"(in real time order from local midnight, Europe/Paris; 46 on the "
                    f"spring clock change, 50 on the autumn one), not {len(slots)}; "
                    "send null for a missing half-hour",
                    field=name,
                    code="slot_count",
                )
            present = [v for v in slots if v is not None]
            total = sum(present)
            # All in range (no NaN) at C speed; else the first one out is reported.
            if math.isnan(total) or (
                present and (min(present) < 0 or max(present) > MAX_SLOT_KWH)
            ):
                for value in slots:
                    _check_number(value, name, 0, MAX_SLOT_KWH)
            if total > MAX_DAY_KWH:
                raise Invalid(f"{name} add up to an implausible day", field=name)
        consumption = (
            data.import_kwh
            + data.production_kwh
            - data.export_kwh
            + (data.battery_discharge_kwh or 0)
            - (data.battery_charge_kwh or 0)
        )
        if consumption < -0.5:
            raise Invalid(
                "export and battery charge exceed import and production",
                field="export_kwh",
                code="inconsistent",
            )
        if consumption > MAX_DAY_KWH:
            raise Invalid("the day's consumption is implausible", field="import_kwh")
        if data.source is ReadingSource.INDEX:
            raise Invalid("source must be local or enedis", field="source")
        return DailyReading(
            user_id=user.id,
            day=day,
            import_kwh=data.import_kwh,
            export_kwh=data.export_kwh,
            production_kwh=data.production_kwh,
            battery_charge_kwh=data.battery_charge_kwh,
            battery_discharge_kwh=data.battery_discharge_kwh,
            import_slots=data.import_slots,
            export_slots=data.export_slots,
            t_mean_c=data.t_mean_c,
            source=data.source,
            updated_at=self.now(),
        )

    async def record_shedding_event(
        self,
        user: User,
        *,
        event_id: str,
        start: datetime,
        end: datetime,
        declared_w: float,
        measured_w: float | None = None,
    ) -> tuple[SheddingEvent, bool]:
        """Store a shedding event once per client id; return it and whether it was new."""
        try:
            event_id = str(uuid.UUID(event_id))
        except ValueError as err:
            raise Invalid("id must be a UUID", field="id") from err
        if end <= start:
            raise Invalid("end must be after start", field="end")
        if end - start > MAX_EVENT:
            raise Invalid("a shedding event lasts at most 24 hours", field="end")
        if end > self.now() + CLOCK_SKEW:
            raise Invalid("the event ends in the future", field="end", code="in_future")
        await self._check_day(start.astimezone(PARIS).date(), "start")
        _check_number(declared_w, "declared_w", 1, MAX_POWER_W)
        _check_number(measured_w, "measured_w", 0, MAX_POWER_W)
        event = SheddingEvent(
            id=event_id,
            user_id=user.id,
            start=start.astimezone(UTC),
            end=end.astimezone(UTC),
            declared_w=declared_w,
            measured_w=measured_w,
            created_at=self.now(),
        )
        stored, created = await self.storage.add_shedding_event(event)
        if not created and (
            stored.start != event.start
            or stored.end != event.end
            or stored.declared_w != event.declared_w
            or stored.measured_w != event.measured_w
        ):
            raise Conflict(
                "a different shedding event was already sent with this id",
                field="id",
                code="id_reused",
            )
        if created:
            await scoring.on_data_changed(self.storage, user.id, event.start.date())
        return stored, created

    async def declare_action(
        self, user: User, action_id: str, day: date, evidence: str | None = None
    ) -> ActionDeclaration:
        """Declare an action of the catalogue (one-off: once; recurring: once a week)."""
        action = await self.storage.get_catalogue_action(action_id)
        if action is None or not action.enabled:
            raise Invalid("unknown action", field="action_id", code="unknown_action")
        await self._check_day(day, "date")
        if evidence is not None:
            evidence = _check_text(evidence, "evidence", 0, 1000) or None
        season = await self.current_season()
        since = season.start if season else None
        previous = [
            d
            for d in await self.storage.list_action_declarations(user.id, start=since)
            if d.action_id == action_id
        ]
        if action.recurring:
            week = day.isocalendar()[:2]
            if any(d.day.isocalendar()[:2] == week for d in previous):
                raise Conflict(
                    "this action is already declared for that week",
                    code="already_declared",
                )
        elif previous:
            raise Conflict("this action is already declared", code="already_declared")
        declaration = ActionDeclaration(
            user_id=user.id,
            action_id=action_id,
            day=day,
            evidence=evidence,
            created_at=self.now(),
        )
        await self.storage.add_action_declaration(declaration)
        await scoring.on_data_changed(self.storage, user.id, day)
        return declaration

    async def record_meter_index(
        self,
        user: User,
        day: date,
        import_index_kwh: float,
        export_index_kwh: float | None = None,
    ) -> tuple[MeterIndex, bool]:
        """Store a simplified-mode household's meter index of a day."""
        if user.mode is not Mode.SIMPLIFIED:
            raise Forbidden(
                "meter indexes are typed in by simplified-mode households only",
                code="wrong_mode",
            )
        await self._check_day(day, "date")
        _check_number(import_index_kwh, "import_index_kwh", 0, 10_000_000)
        _check_number(export_index_kwh, "export_index_kwh", 0, 10_000_000)
        for other in await self.storage.list_meter_indexes(user.id):
            if other.day == day:
                continue
            earlier = other.day < day
            for name, mine, theirs in (
                ("import_index_kwh", import_index_kwh, other.import_index_kwh),
                ("export_index_kwh", export_index_kwh, other.export_index_kwh),
            ):
                if mine is None or theirs is None:
                    continue
                if (earlier and mine < theirs) or (not earlier and mine > theirs):
                    raise Invalid(
                        f"a meter index only goes up (it was {theirs:g} on {other.day})",
                        field=name,
                        code="index_decreasing",
                    )
        index = MeterIndex(
            user_id=user.id,
            day=day,
            import_index_kwh=import_index_kwh,
            export_index_kwh=export_index_kwh,
            created_at=self.now(),
        )
        created = await self.storage.upsert_meter_index(index)
        await scoring.on_data_changed(self.storage, user.id, day)
        return index, created

    # --- equipment changes ------------------------------------------------------------
    async def _check_equipment_day(self, day: date) -> None:
        """Raise Invalid unless a change day is in the season's history window."""
        if day > self.today():
            raise Invalid(
                "the date is in the future", field="date", code="day_in_future"
            )
        season = await self.current_season()
        if season is None:
            first = self.today() - timedelta(days=NO_SEASON_WINDOW_DAYS)
            last = self.today()
        else:
            first, last = history_start(season), season.end
        if not first <= day <= last:
            raise Invalid(
                f"the date must be between {first} and {last} (the season and its "
                "reference period)",
                field="date",
                code="day_out_of_window",
            )

    async def add_equipment_change(
        self,
        user: User,
        kind: str,
        day: date,
        note: str = "",
        *,
        actor: User | None = None,
    ) -> tuple[EquipmentChange, bool]:
        """Declare an equipment change (idempotent by kind and day); say if it is new.

        ``actor`` is an admin changing another household (audited).
        """
        if actor is not None:
            self._require_admin(actor)
        try:
            equipment = EquipmentKind(kind)
        except ValueError as err:
            choices = ", ".join(k.value for k in EquipmentKind)
            raise Invalid(
                f"kind must be one of {choices}", field="kind", code="unknown_kind"
            ) from err
        await self._check_equipment_day(day)
        note = _check_text(note, "note", 0, 200)
        fresh = await self.get_user(user.id)
        for change in fresh.equipment_changes:
            if change.kind is equipment and change.day == day:
                if change.note == note:
                    return change, False
                change.note = note
                await self.storage.update_user(fresh)
                user.equipment_changes = fresh.equipment_changes
                return change, False
        if len(fresh.equipment_changes) >= MAX_EQUIPMENT_CHANGES:
            raise Conflict(
                f"a household declares at most {MAX_EQUIPMENT_CHANGES} equipment changes",
                field="kind",
                code="too_many_changes",
            )
        change = EquipmentChange(kind=equipment, day=day, note=note)
        fresh.equipment_changes = sorted(
            [*fresh.equipment_changes, change], key=lambda c: (c.day, c.kind.value)
        )
        await self.storage.update_user(fresh)
        user.equipment_changes = fresh.equipment_changes
        await scoring.on_data_changed(self.storage, user.id, day)
        if actor is not None:
            await self.audit(
                actor,
                "user.equipment_add",
                "user",
                user.id,
                kind=equipment.value,
                day=day.isoformat(),
            )
        return change, True

    async def remove_equipment_change(
        self, user: User, kind: str, day: date, *, actor: User | None = None
    ) -> None:
        """Withdraw a declared equipment change (NotFound when there is none)."""
        if actor is not None:
            self._require_admin(actor)
        fresh = await self.get_user(user.id)
        kept = [
            c
            for c in fresh.equipment_changes
            if not (c.kind.value == kind and c.day == day)
        ]
        if len(kept) == len(fresh.equipment_changes):
            raise NotFound("no such equipment change", code="not_found")
        fresh.equipment_changes = kept
        await self.storage.update_user(fresh)
        user.equipment_changes = kept
        await scoring.on_data_changed(self.storage, user.id, day)
        if actor is not None:
            await self.audit(
                actor,
                "user.equipment_remove",
                "user",
                user.id,
                kind=kind,
                day=day.isoformat(),
            )

    # --- certified Enedis days ----------------------------------------------------
    async def record_enedis_reading(
        self,
        user: User,
        day: date,
        import_kwh: float,
        export_kwh: float | None = None,
    ) -> tuple[EnedisReading, bool]:
        """Store a certified Enedis day beside the local one; say if it changed.

        The household's own reading of the day is never touched (the scoring job
        reconciles both); the same values again change nothing.
        """
        await self._check_day(day)
        _check_number(import_kwh, "import_kwh", 0, MAX_DAY_KWH)
        _check_number(export_kwh, "export_kwh", 0, MAX_DAY_KWH)
        stored = await self.storage.list_enedis_readings(user.id, day, day)
        if stored and (
            abs(stored[0].import_kwh - import_kwh) < 1e-9
            and stored[0].export_kwh == export_kwh
        ):
            return stored[0], False
        reading = EnedisReading(
            user_id=user.id,
            day=day,
            import_kwh=import_kwh,
            export_kwh=export_kwh,
            fetched_at=self.now(),
        )
        await self.storage.upsert_enedis_reading(reading)
        await scoring.on_data_changed(self.storage, user.id, day)
        return reading, True

    async def review_status(
        self, user_id: str | None = None, last: date | None = None
    ) -> dict[str, ReviewStatus]:
        """Return the recent flagged days of households (all, or one) and their review.

        A day is flagged when its local import is beyond tolerance of the certified
        Enedis one; more than 3 flagged days in 14 call for an admin review (rules §6).
        Only households with flagged days are listed.
        """
        last = last or self.today()
        first = last - timedelta(days=REVIEW_SCAN_DAYS - 1)
        certified = await self.storage.list_enedis_readings(user_id, first, last)
        by_user: dict[str, list[EnedisReading]] = {}
        for item in certified:
            by_user.setdefault(item.user_id, []).append(item)
        result: dict[str, ReviewStatus] = {}
        for owner, items in by_user.items():
            readings = await self.storage.list_readings(owner, first, last)
            flagged = flagged_days(readings, items)
            if flagged:
                result[owner] = ReviewStatus(
                    flagged=flagged,
                    needs_review=needs_review(f.day for f in flagged),
                )
        return result

    # --- scores and KPIs -------------------------------------------------------------
    async def player_score(self, user: User, season: Season) -> dict[str, Any]:
        """Return a player's stored season score (see ``scoring``)."""
        return await scoring.player_score(self.storage, season, user)

    async def leaderboard(
        self, season: Season, challenge: str | None = None
    ) -> dict[str, Any]:
        """Return the stored season rankings of players and teams."""
        if challenge is not None and challenge not in season.challenges:
            raise Invalid(
                f"challenge must be one of {', '.join(season.challenges)}",
                field="challenge",
            )
        return await scoring.leaderboard(self.storage, season, challenge)

    async def piggy_bank(self, user: User) -> PiggyBank:
        """Return a household's piggy-bank tallies (see ``game_server.piggy_bank``).

        The latest day, this month, this calendar year, the current season, and every
        year and season. The days are the rules' (readings, certified Enedis days, meter indexes in
        simplified mode); the points are the stored piggy-bank cards'.
        """
        today = self.today()
        readings = await self.storage.readings_by_user(
            [user.id], slots=False, stamps=False
        )
        indexes = (
            await self.storage.list_meter_indexes(user.id)
            if user.mode is Mode.SIMPLIFIED
            else []
        )
        household = household_input(
            user,
            readings[user.id],
            indexes=indexes,
            enedis=await self.storage.list_enedis_readings(user.id),
        )
        seasons = [s for s in await self.storage.list_seasons() if s.start <= today]
        points: dict[str, dict[str, float]] = {}
        for season in seasons:
            entries = await self.storage.list_scores(season.id, user.id, "piggy_bank")
            points[season.id] = {entry.month: entry.points for entry in entries}
        return household_piggy_bank(
            household.days,
            today=today,
            seasons=seasons,
            current=await self.current_season(),
            points=points,
        )

    async def active_players(self, since: date) -> set[str]:
        """Return the accounts that sent data for a day from ``since`` on.

        A reading, a meter index (simplified mode), a shedding event or a declared
        action dated ``since`` or later makes a player active.
        """
        active = {r.user_id for r in await self.storage.list_readings(start=since)}
        active |= {
            d.user_id for d in await self.storage.list_action_declarations(start=since)
        }
        active |= {
            e.user_id
            for e in await self.storage.list_shedding_events(start=_local_start(since))
        }
        simplified = [
            u.id for u in await self.storage.list_users() if u.mode is Mode.SIMPLIFIED
        ]
        if simplified:
            indexes = await self.storage.meter_indexes_by_user(simplified)
            active |= {
                user_id
                for user_id, items in indexes.items()
                if any(index.day >= since for index in items)
            }
        return active

    async def kpis(self, season: Season | None = None) -> dict[str, Any]:
        """Return the admin page's KPIs (rules §8) of a season.

        Players (all accounts with the player role): total, active (data for one of the
        last ``ACTIVE_DAYS`` days or today), verified PRM, simplified mode, disabled.
        Teams of the season, and those with an active member. The energy figures come
        from the season's stored score cards of its participants whose account is
        enabled (``kpis.energy_kpis``): kWh saved ``Σ(Ĉ − C)``, CO₂ avoided (kWh saved ×
        the season's ``co2_kg_per_kwh``), kWh shed in total and at peak, data quality.
        Actions declared in the season, and those confirmed (by a captain, an admin or
        a sensor).
        """
        users = await self.storage.list_users()
        by_id = {u.id: u for u in users}
        players = [u for u in users if u.role is Role.PLAYER]
        active = await self.active_players(self.today() - timedelta(days=ACTIVE_DAYS))
        teams = await self.storage.list_teams(season.id if season else None)
        memberships = await self.storage.list_memberships(
            season_id=season.id if season else None
        )
        team_ids = {team.id for team in teams}
        active_teams = {
            m.team_id
            for m in memberships
            if m.team_id in team_ids and m.user_id in active
        }
        declarations = await self.storage.list_action_declarations(
            start=season.start if season else None, end=season.end if season else None
        )
        energy = energy_kpis([], ())
        today = self.today()
        settings = (
            season_settings(season)
            if season is not None
            else SeasonSettings(start=today, end=today)
        )
        co2_factor = settings.co2_kg_per_kwh
        good_share = settings.valid_period_share
        events: list[SheddingEvent] = []
        computed = False
        if season is not None:
            households = {
                m.user_id
                for m in memberships
                if m.user_id in by_id and not by_id[m.user_id].disabled
            }
            entries = []
            for challenge in (*METERED, "shedding"):
                if challenge in season.challenges:
                    entries += await self.storage.list_scores(
                        season.id, challenge=challenge
                    )
            computed = bool(entries)
            energy = energy_kpis(entries, households, good_share=good_share)
            after = _local_start(season.end + timedelta(days=1))
            events = [
                event
                for event in await self.storage.list_shedding_events(
                    start=_local_start(season.start)
                )
                if event.start < after
            ]
        else:
            events = await self.storage.list_shedding_events()
        return {
            "players": len(players),
            "players_active_7d": len([u for u in players if u.id in active]),
            "players_verified": len([u for u in players if u.prm_verified]),
            "players_disabled": len([u for u in players if u.disabled]),
            "players_simplified": len(
                [u for u in players if u.mode is Mode.SIMPLIFIED]
            ),
            "teams": len(teams),
            "teams_active_7d": len(active_teams),
            "households": energy.households,
            "kwh_saved": round(energy.kwh_saved, 3),
            "co2_kg_per_kwh": co2_factor,
            "co2_avoided_kg": round(energy.kwh_saved * co2_factor, 3),
            "shedding_events": len(events),
            "shedding_kwh": round(energy.shed_kwh, 3),
            "shedding_peak_kwh": round(energy.shed_peak_kwh, 3),
            "actions_declared": len(declarations),
            "actions_verified": len(
                [d for d in declarations if d.verification is not Verification.SELF]
            ),
            "data_quality": dict(energy.quality),
            "valid_period_share": good_share,
            "flagged_days": energy.flagged_days,
            "scores_computed": computed,
        }
