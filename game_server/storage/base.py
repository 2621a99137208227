"""The storage interface of the game server, shared by the SQLite and MongoDB backends.

``Storage`` is the abstract interface the service layer, the API and the web pages use.
``RecordStorage`` implements every domain method once, on top of a handful of record
primitives (insert, upsert, update, get, find, delete) that each backend provides; the
collections, their keys and their unique constraints are declared in ``COLLECTIONS`` so that
both backends enforce the same rules.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import functools
from typing import Any, get_args, get_origin

from game_server import models
from game_server.codec import CodecError, _hints, encode_value, from_record, to_record


class StorageError(Exception):
    """The storage failed."""


class ConflictError(StorageError):
    """A unique constraint refused the change; ``field`` names it (e.g. ``prm``)."""

    def __init__(self, field: str, message: str | None = None) -> None:
        """Store the name of the constraint that refused the change."""
        super().__init__(message or f"{field} already exists")
        self.field = field


class StorageUnavailable(StorageError):  # noqa: N818
    """The database cannot be read or written now (read-only, locked, I/O, corrupt).

    The backends raise it for faults of the store itself (never for a refused change);
    the server answers 503 ``storage_unavailable``.
    """


@dataclass(frozen=True, slots=True)
class StorageHealth:
    """Whether the store can be read and written now (``Storage.health``)."""

    read: bool
    write: bool

    @property
    def ok(self) -> bool:
        """Return whether the store can be both read and written."""
        return self.read and self.write


class Upserted(StrEnum):
    """What a bulk upsert did with one record (``Storage.upsert_readings``)."""

    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    """The stored record already held the same values: it was not written."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A named lease in the store: one holder at a time, until ``expires_at``.

    Server processes sharing a store take one before a job that must run once per
    store (``Storage.acquire_lease``); a dead holder's lease expires and another
    process takes it over.
    """

    name: str
    holder: str
    expires_at: datetime
    previous_holder: str | None = None
    """On a grant: who held it before (None: nobody; ``holder``: renewed)."""


LEASE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How SQLite stores a lease's expiry (UTC, fixed width: text order is time order)."""


def lease_expiry(now: datetime | None, ttl: float) -> tuple[datetime, datetime]:
    """Return (now, now + ttl) in UTC, to the millisecond (MongoDB's precision)."""
    current = (now or datetime.now(UTC)).astimezone(UTC)
    current = current.replace(microsecond=current.microsecond // 1000 * 1000)
    return current, current + timedelta(seconds=ttl)


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection (table) of one model: its key and unique constraints."""

    name: str
    model: type[Any]
    key: tuple[str, ...]
    uniques: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(constraint name, fields); a null field never conflicts."""
    indexes: tuple[tuple[str, ...], ...] = ()
    order: str | None = None
    """Default sort field."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Return the field names of the model."""
        return _model_columns(self.model).names

    @property
    def json_columns(self) -> frozenset[str]:
        """Return the fields stored as JSON text in SQL (lists, dicts, nested records)."""
        return _model_columns(self.model).json

    @property
    def bool_columns(self) -> frozenset[str]:
        """Return the boolean fields (integers in SQL)."""
        return _model_columns(self.model).bools


@dataclass(frozen=True, slots=True)
class _ModelColumns:
    """The columns of a model: all, those stored as JSON text, the booleans."""

    names: tuple[str, ...]
    json: frozenset[str]
    bools: frozenset[str]


# Column sets depend only on the model class; they are read for every row, so they are
# computed once per model.
_MODEL_COLUMNS: dict[type[Any], _ModelColumns] = {}


def _model_columns(model: type[Any]) -> _ModelColumns:
    """Return (computing once) the columns of a model."""
    if (known := _MODEL_COLUMNS.get(model)) is not None:
        return known
    hints = _hints(model)
    names = tuple(f.name for f in fields(model))
    json_names = set()
    for name in names:
        kind = hints[name]
        options = get_args(kind) if get_origin(kind) is not None else (kind,)
        if any(get_origin(opt) in (list, dict) for opt in (kind, *options)):
            json_names.add(name)
    columns = _ModelColumns(
        names=names,
        json=frozenset(json_names),
        bools=frozenset(name for name in names if hints[name] is bool),
    )
    _MODEL_COLUMNS[model] = columns
    return columns


_SESSION_GENERATION = frozenset({"session_gen"})
"""Written only by ``bump_session_generation`` (never by ``update_user``)."""
USERS = Collection(
    "users",
    models.User,
    ("id",),
    uniques=(("username", ("username",)), ("prm", ("prm",))),
    order="created_at",
)
SEASONS = Collection("seasons", models.Season, ("id",), order="start")
TEAMS = Collection(
    "teams",
    models.Team,
    ("id",),
    uniques=(
        ("team_name", ("season_id", "name")),
        ("invite_code", ("invite_code",)),
    ),
    order="created_at",
)
MEMBERSHIPS = Collection(
    "memberships",
    models.Membership,
    ("user_id", "season_id"),
    indexes=(("team_id",),),
    order="joined_at",
)
READINGS = Collection(
    "readings",
    models.DailyReading,
    ("user_id", "day"),
    indexes=(("day",),),
    order="day",
)
ENEDIS_READINGS = Collection(
    "enedis_readings",
    models.EnedisReading,
    ("user_id", "day"),
    indexes=(("day",),),
    order="day",
)
SHEDDING = Collection(
    "shedding_events",
    models.SheddingEvent,
    ("user_id", "id"),
    indexes=(("start",),),
    order="start",
)
CATALOGUE = Collection("catalogue", models.CatalogueAction, ("id",), order="id")
DECLARATIONS = Collection(
    "action_declarations",
    models.ActionDeclaration,
    ("id",),
    indexes=(("user_id", "day"),),
    order="day",
)
METER_INDEXES = Collection(
    "meter_indexes", models.MeterIndex, ("user_id", "day"), order="day"
)
TOKENS = Collection(
    "api_tokens",
    models.ApiToken,
    ("id",),
    uniques=(("token_hash", ("token_hash",)),),
    indexes=(("user_id",),),
    order="created_at",
)
AUDIT = Collection(
    "audit_log", models.AuditEntry, ("id",), indexes=(("at",),), order="at"
)
PEAK_EVENTS = Collection(
    "peak_events", models.PeakEvent, ("id",), indexes=(("season_id",),), order="start"
)
SCORES = Collection(
    "scores",
    models.ScoreEntry,
    ("season_id", "user_id", "challenge", "month"),
    order="month",
)

# In dependency order: importing follows it, deleting goes backwards.
COLLECTIONS: tuple[Collection, ...] = (
    USERS,
    SEASONS,
    TEAMS,
    MEMBERSHIPS,
    READINGS,
    ENEDIS_READINGS,
    SHEDDING,
    CATALOGUE,
    DECLARATIONS,
    METER_INDEXES,
    TOKENS,
    AUDIT,
    PEAK_EVENTS,
    SCORES,
)
_SLOT_FIELDS = frozenset({"import_slots", "export_slots"})
_STAMP_FIELDS = frozenset({"updated_at"})
EXPORT_FORMAT = "sunshare-game-export"
EXPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Range:
    """An inclusive range on one field (None = open end)."""

    field: str
    low: Any = None
    high: Any = None


@dataclass(frozen=True, slots=True)
class AnyOf:
    """A filter value matching a field equal to any of several values (SQL ``IN``)."""

    values: tuple[Any, ...]


def _key_value(value: Any) -> Any:
    """Return the stored form of a value used in a filter."""
    if isinstance(value, AnyOf):
        return AnyOf(tuple(_key_value(item) for item in value.values))
    if isinstance(value, datetime | date):
        return to_record_value(value)
    return value


def to_record_value(value: Any) -> Any:
    """Return the stored form of a single value."""
    return encode_value(value)


BY_USER = ("user_id",)
"""Bulk reads sort by user first: the keys' index order (no sort step in SQL)."""


def sort_fields(coll: Collection, first: tuple[str, ...] = ()) -> list[str]:
    """Return the fields a query sorts on: ``first``, then the collection's order."""
    default = [coll.order, *coll.key] if coll.order else list(coll.key)
    return list(dict.fromkeys([*first, *default]))


def _by_user[T](user_ids: Iterable[str], items: Iterable[T]) -> dict[str, list[T]]:
    """Return items grouped by their ``user_id`` (every asked user present, in order)."""
    grouped: dict[str, list[T]] = {user_id: [] for user_id in user_ids}
    for item in items:
        grouped[item.user_id].append(item)  # type: ignore[attr-defined]
    return grouped


def _sort_key(key: tuple[str, ...], record: dict[str, Any]) -> list[str]:
    """Return a record's key values as a sort key."""
    return [str(record[k]) for k in key]


class Storage(ABC):
    """Everything the game server stores: the interface the service layer uses."""

    # --- lifecycle -------------------------------------------------------------------
    @abstractmethod
    async def open(self) -> None:
        """Open the database and apply migrations or indexes."""

    @abstractmethod
    async def close(self) -> None:
        """Close the database."""

    @abstractmethod
    async def ping(self) -> bool:
        """Return whether the database answers."""

    async def health(self) -> StorageHealth:
        """Return whether the store can be read and written (cheap; never raises)."""
        answers = await self.ping()
        return StorageHealth(read=answers, write=answers)

    def worker_url(self) -> str | None:
        """Return a URL another process opens the same database with (None: cannot)."""
        return None

    # --- leases and shared scoring marks (several server processes) ---------------
    @abstractmethod
    async def acquire_lease(
        self, name: str, holder: str, ttl: float, *, now: datetime | None = None
    ) -> Lease | None:
        """Take a lease for ``ttl`` seconds, atomically; None when another holds it.

        Granted when nobody holds it, when its holder's time is over (take-over) or
        when ``holder`` already holds it (renewed). ``now`` (UTC) is for tests.
        """

    @abstractmethod
    async def renew_lease(
        self, name: str, holder: str, ttl: float, *, now: datetime | None = None
    ) -> bool:
        """Extend a lease ``holder`` holds; False when it lost it (taken over)."""

    @abstractmethod
    async def release_lease(self, name: str, holder: str) -> bool:
        """Give a lease up (only its holder can); return whether it held it."""

    @abstractmethod
    async def get_lease(self, name: str) -> Lease | None:
        """Return a lease as stored (expired or not), None when nobody took it."""

    @abstractmethod
    async def add_scoring_marks(self, marks: Mapping[str, Iterable[str]]) -> None:
        """Store households' changed months (user id → ``YYYY-MM``) for the scorer.

        A process that does not run the scoring passes hands its marks over this way.
        """

    @abstractmethod
    async def take_scoring_marks(self) -> dict[str, set[str]]:
        """Return and delete the stored marks (user id → months)."""

    @abstractmethod
    async def put_shared_state(self, name: str, value: dict[str, Any]) -> None:
        """Store (or replace) a JSON document under a name, for the other processes.

        The scoring lease holder publishes its leaderboards this way.
        """

    @abstractmethod
    async def get_shared_state(self, name: str) -> dict[str, Any] | None:
        """Return the JSON document stored under a name (None: none yet)."""

    # --- users -----------------------------------------------------------------------
    @abstractmethod
    async def add_user(self, user: models.User) -> None:
        """Store a new account (ConflictError ``username`` or ``prm``)."""

    @abstractmethod
    async def update_user(self, user: models.User) -> None:
        """Replace an account (ConflictError ``prm``); its session generation stays."""

    @abstractmethod
    async def bump_session_generation(self, user_id: str) -> int | None:
        """Add one to an account's session generation (atomically); return it.

        None when there is no such account. ``update_user`` never writes the field, so
        a stale copy of the account saved later cannot bring ended sessions back.
        """

    @abstractmethod
    async def get_user(self, user_id: str) -> models.User | None:
        """Return an account by id."""

    @abstractmethod
    async def get_user_by_username(self, username: str) -> models.User | None:
        """Return an account by its (normalised) username."""

    @abstractmethod
    async def get_user_by_prm(self, prm: str) -> models.User | None:
        """Return the account holding a PRM."""

    @abstractmethod
    async def list_users(self) -> list[models.User]:
        """Return every account, oldest first."""

    # --- seasons ---------------------------------------------------------------------
    @abstractmethod
    async def add_season(self, season: models.Season) -> None:
        """Store a new season."""

    @abstractmethod
    async def update_season(self, season: models.Season) -> None:
        """Replace a season."""

    @abstractmethod
    async def get_season(self, season_id: str) -> models.Season | None:
        """Return a season by id."""

    @abstractmethod
    async def list_seasons(self) -> list[models.Season]:
        """Return every season, by start date."""

    # --- teams and memberships ------------------------------------------------------
    @abstractmethod
    async def add_team(self, team: models.Team) -> None:
        """Store a new team (ConflictError ``team_name`` or ``invite_code``)."""

    @abstractmethod
    async def update_team(self, team: models.Team) -> None:
        """Replace a team (ConflictError ``team_name``)."""

    @abstractmethod
    async def get_team(self, team_id: str) -> models.Team | None:
        """Return a team by id."""

    @abstractmethod
    async def get_team_by_invite_code(self, code: str) -> models.Team | None:
        """Return the team with an invite code."""

    @abstractmethod
    async def list_teams(self, season_id: str | None = None) -> list[models.Team]:
        """Return the teams (of one season), oldest first."""

    @abstractmethod
    async def delete_team(self, team_id: str) -> None:
        """Delete a team and its memberships."""

    @abstractmethod
    async def add_membership(self, membership: models.Membership) -> None:
        """Store a membership (ConflictError ``membership``: one team per season)."""

    @abstractmethod
    async def get_membership(
        self, user_id: str, season_id: str
    ) -> models.Membership | None:
        """Return a player's membership in a season."""

    @abstractmethod
    async def list_memberships(
        self,
        *,
        team_id: str | None = None,
        season_id: str | None = None,
        user_id: str | None = None,
    ) -> list[models.Membership]:
        """Return memberships matching every given filter, oldest first."""

    @abstractmethod
    async def delete_membership(self, user_id: str, season_id: str) -> bool:
        """Delete a membership; return whether it existed."""

    # --- readings, shedding, meter indexes ------------------------------------------
    @abstractmethod
    async def upsert_reading(self, reading: models.DailyReading) -> bool:
        """Store or replace a day's reading; return whether it was new."""

    @abstractmethod
    async def upsert_readings(
        self, readings: Sequence[models.DailyReading]
    ) -> list[Upserted]:
        """Store or replace many days at once, in one transaction; say what each did.

        A reading equal to the stored one but for ``updated_at`` is ``UNCHANGED`` and
        not written (its stored ``updated_at`` stays). Two readings with the same key
        are refused (``StorageError``); a failure writes nothing.
        """

    @abstractmethod
    async def get_reading(self, user_id: str, day: date) -> models.DailyReading | None:
        """Return a household's reading of a day."""

    @abstractmethod
    async def list_readings(
        self,
        user_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[models.DailyReading]:
        """Return readings (of one household) between two days inclusive, by day."""

    @abstractmethod
    async def readings_by_user(
        self,
        user_ids: Sequence[str],
        start: date | None = None,
        end: date | None = None,
        *,
        slots: bool = True,
        stamps: bool = True,
    ) -> dict[str, list[models.DailyReading]]:
        """Return several households' readings between two days, by user then day.

        ``slots=False`` leaves the half-hours out (not read, ``None``): the day totals
        of a whole season are then cheap to read. ``stamps=False`` does not read
        ``updated_at`` (it is then the time of the read), which the scoring never uses.
        """

    @abstractmethod
    async def upsert_enedis_reading(self, reading: models.EnedisReading) -> bool:
        """Store or replace a certified Enedis day; return whether it was new."""

    @abstractmethod
    async def list_enedis_readings(
        self,
        user_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[models.EnedisReading]:
        """Return certified days (of one household) between two days inclusive."""

    @abstractmethod
    async def enedis_readings_by_user(
        self,
        user_ids: Sequence[str],
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, list[models.EnedisReading]]:
        """Return several households' certified days between two days, by user."""

    @abstractmethod
    async def add_shedding_event(
        self, event: models.SheddingEvent
    ) -> tuple[models.SheddingEvent, bool]:
        """Store an event unless its id exists; return the stored one and whether new."""

    @abstractmethod
    async def list_shedding_events(
        self,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[models.SheddingEvent]:
        """Return shedding events starting between two instants, by start."""

    @abstractmethod
    async def shedding_events_by_user(
        self,
        user_ids: Sequence[str],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, list[models.SheddingEvent]]:
        """Return several households' events starting between two instants, by start."""

    @abstractmethod
    async def upsert_meter_index(self, index: models.MeterIndex) -> bool:
        """Store or replace a day's meter index; return whether it was new."""

    @abstractmethod
    async def list_meter_indexes(self, user_id: str) -> list[models.MeterIndex]:
        """Return a household's meter indexes by day."""

    @abstractmethod
    async def meter_indexes_by_user(
        self, user_ids: Sequence[str]
    ) -> dict[str, list[models.MeterIndex]]:
        """Return several households' meter indexes, by user then day."""

    # --- catalogue and declarations -------------------------------------------------
    @abstractmethod
    async def upsert_catalogue_action(self, action: models.CatalogueAction) -> bool:
        """Store or replace an action of the catalogue; return whether it was new."""

    @abstractmethod
    async def get_catalogue_action(
        self, action_id: str
    ) -> models.CatalogueAction | None:
        """Return an action of the catalogue."""

    @abstractmethod
    async def list_catalogue(self) -> list[models.CatalogueAction]:
        """Return the catalogue by id."""

    @abstractmethod
    async def delete_catalogue_action(self, action_id: str) -> bool:
        """Delete an action of the catalogue; return whether it existed."""

    @abstractmethod
    async def add_action_declaration(
        self, declaration: models.ActionDeclaration
    ) -> None:
        """Store a declared action."""

    @abstractmethod
    async def update_action_declaration(
        self, declaration: models.ActionDeclaration
    ) -> None:
        """Replace a declared action (e.g. after verification)."""

    @abstractmethod
    async def get_action_declaration(
        self, declaration_id: str
    ) -> models.ActionDeclaration | None:
        """Return a declared action."""

    @abstractmethod
    async def list_action_declarations(
        self,
        user_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[models.ActionDeclaration]:
        """Return declared actions (of one household) between two days, by day."""

    @abstractmethod
    async def action_declarations_by_user(
        self,
        user_ids: Sequence[str],
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, list[models.ActionDeclaration]]:
        """Return several households' declared actions between two days, by day."""

    # --- tokens ----------------------------------------------------------------------
    @abstractmethod
    async def add_token(self, token: models.ApiToken) -> None:
        """Store an API token (its hash)."""

    @abstractmethod
    async def get_token_by_hash(self, token_hash: str) -> models.ApiToken | None:
        """Return the token with a hash."""

    @abstractmethod
    async def list_tokens(self, user_id: str) -> list[models.ApiToken]:
        """Return a player's tokens, oldest first."""

    @abstractmethod
    async def touch_token(self, token_id: str, at: datetime) -> None:
        """Record when a token was last used."""

    @abstractmethod
    async def delete_token(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed."""

    # --- audit, peak events, scores -------------------------------------------------
    @abstractmethod
    async def add_audit(self, entry: models.AuditEntry) -> None:
        """Append to the audit log."""

    @abstractmethod
    async def list_audit(
        self, limit: int = 100, offset: int = 0
    ) -> list[models.AuditEntry]:
        """Return audit entries, newest first."""

    @abstractmethod
    async def add_peak_event(self, event: models.PeakEvent) -> None:
        """Store a peak event."""

    @abstractmethod
    async def list_peak_events(
        self, season_id: str | None = None
    ) -> list[models.PeakEvent]:
        """Return peak events (of one season) by start."""

    @abstractmethod
    async def delete_peak_event(self, event_id: str) -> bool:
        """Delete a peak event; return whether it existed."""

    @abstractmethod
    async def replace_scores(
        self, season_id: str, user_id: str, entries: list[models.ScoreEntry]
    ) -> None:
        """Replace a household's stored scores of a season."""

    @abstractmethod
    async def replace_scores_many(
        self, season_id: str, entries: Mapping[str, list[models.ScoreEntry]]
    ) -> None:
        """Replace several households' stored scores of a season (user id → entries)."""

    @abstractmethod
    async def list_scores(
        self,
        season_id: str,
        user_id: str | None = None,
        challenge: str | None = None,
    ) -> list[models.ScoreEntry]:
        """Return a season's stored scores (of a household, a challenge), by month."""

    # --- backup ----------------------------------------------------------------------
    @abstractmethod
    async def export_data(self) -> dict[str, Any]:
        """Return everything stored as a JSON-ready document."""

    @abstractmethod
    async def import_data(self, document: dict[str, Any]) -> None:
        """Load an export into this (empty) storage."""


class RecordStorage(Storage):
    """The domain methods of ``Storage`` written once over record primitives."""

    # --- primitives each backend implements (blocking, run in its thread) -----------
    @abstractmethod
    async def _run[T](self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call of the backend in its thread."""

    @abstractmethod
    def _insert_sync(self, coll: Collection, records: list[dict[str, Any]]) -> None:
        """Insert records (ConflictError on a key or unique constraint)."""

    @abstractmethod
    def _upsert_sync(self, coll: Collection, record: dict[str, Any]) -> bool:
        """Insert or replace a record by key; return whether it was new."""

    @abstractmethod
    def _update_sync(
        self,
        coll: Collection,
        record: dict[str, Any],
        keep: frozenset[str] = frozenset(),
    ) -> bool:
        """Replace a record by key but its ``keep`` fields; return if it existed."""

    @abstractmethod
    def _increment_sync(
        self, coll: Collection, key: dict[str, Any], name: str
    ) -> int | None:
        """Add one to an integer field of a record, atomically; return the new value.

        None when no record has this key.
        """

    @abstractmethod
    def _find_sync(
        self,
        coll: Collection,
        where: dict[str, Any],
        *,
        span: Range | None,
        descending: bool,
        limit: int | None,
        offset: int,
        exclude: frozenset[str] = frozenset(),
        first: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """Return records equal on ``where`` and inside ``span``, in default order.

        Fields named in ``exclude`` are neither read nor decoded (left out of records);
        the records are sorted on the ``first`` fields before the default order.
        """

    @abstractmethod
    def _delete_sync(self, coll: Collection, where: dict[str, Any]) -> int:
        """Delete matching records; return how many."""

    @abstractmethod
    def _replace_sync(
        self,
        coll: Collection,
        wheres: list[dict[str, Any]],
        records: list[dict[str, Any]],
    ) -> None:
        """Delete the records matching each filter, then insert records, at once."""

    @abstractmethod
    def _upsert_many_sync(
        self,
        coll: Collection,
        records: list[dict[str, Any]],
        ignore: frozenset[str] = frozenset(),
    ) -> list[Upserted]:
        """Insert or replace records by key in one transaction; say what each did.

        A record equal to the stored one on every field but ``ignore`` is left as it
        is (``UNCHANGED``). The keys are distinct (the caller checks).
        """

    @abstractmethod
    def _is_empty_sync(self) -> bool:
        """Return whether no collection holds any record."""

    # --- the same primitives, awaited -------------------------------------------------
    async def _insert(self, coll: Collection, record: dict[str, Any]) -> None:
        """Insert a record (ConflictError on a key or unique constraint)."""
        await self._run(self._insert_sync, coll, [record])

    async def _bulk_insert(
        self, coll: Collection, records: list[dict[str, Any]]
    ) -> None:
        """Insert many records at once."""
        if records:
            await self._run(self._insert_sync, coll, records)

    async def _upsert(self, coll: Collection, record: dict[str, Any]) -> bool:
        """Insert or replace a record by key; return whether it was new."""
        return await self._run(self._upsert_sync, coll, record)

    async def _update(
        self,
        coll: Collection,
        record: dict[str, Any],
        keep: frozenset[str] = frozenset(),
    ) -> bool:
        """Replace a record by key but its ``keep`` fields; return if it existed."""
        return await self._run(self._update_sync, coll, record, keep)

    async def _find(
        self,
        coll: Collection,
        where: dict[str, Any],
        *,
        span: Range | None = None,
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
        exclude: frozenset[str] = frozenset(),
        first: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """Return records equal on ``where`` and inside ``span``, in default order."""
        return await self._run(
            self._find_sync,
            coll,
            where,
            span=span,
            descending=descending,
            limit=limit,
            offset=offset,
            exclude=exclude,
            first=first,
        )

    async def _delete(self, coll: Collection, where: dict[str, Any]) -> int:
        """Delete matching records; return how many."""
        return await self._run(self._delete_sync, coll, where)

    async def _is_empty(self) -> bool:
        """Return whether no collection holds any record."""
        return await self._run(self._is_empty_sync)

    # --- helpers ---------------------------------------------------------------------
    async def _one[T](self, coll: Collection, model: type[T], **where: Any) -> T | None:
        """Return the first record matching as a model."""
        rows = await self._find(
            coll, {k: _key_value(v) for k, v in where.items()}, limit=1
        )
        return from_record(model, rows[0]) if rows else None

    async def _many[T](
        self,
        coll: Collection,
        model: type[T],
        span: Range | None = None,
        exclude: frozenset[str] = frozenset(),
        first: tuple[str, ...] = (),
        **where: Any,
    ) -> list[T]:
        """Return every record matching as models (``exclude``: fields left default)."""
        clean = {k: _key_value(v) for k, v in where.items() if v is not None}
        if span is not None:
            span = Range(span.field, _key_value(span.low), _key_value(span.high))
        return [
            from_record(model, row)
            for row in await self._find(
                coll, clean, span=span, exclude=exclude, first=first
            )
        ]

    # --- users -----------------------------------------------------------------------
    async def add_user(self, user: models.User) -> None:
        """Store a new account (ConflictError ``username`` or ``prm``)."""
        await self._insert(USERS, to_record(user))

    async def update_user(self, user: models.User) -> None:
        """Replace an account (ConflictError ``prm``); its session generation stays."""
        await self._update(USERS, to_record(user), keep=_SESSION_GENERATION)

    async def bump_session_generation(self, user_id: str) -> int | None:
        """Add one to an account's session generation (atomically); return it."""
        return await self._run(
            self._increment_sync, USERS, {"id": user_id}, "session_gen"
        )

    async def get_user(self, user_id: str) -> models.User | None:
        """Return an account by id."""
        return await self._one(USERS, models.User, id=user_id)

    async def get_user_by_username(self, username: str) -> models.User | None:
        """Return an account by its (normalised) username."""
        return await self._one(USERS, models.User, username=username)

    async def get_user_by_prm(self, prm: str) -> models.User | None:
        """Return the account holding a PRM."""
        return await self._one(USERS, models.User, prm=prm)

    async def list_users(self) -> list[models.User]:
        """Return every account, oldest first."""
        return await self._many(USERS, models.User)

    # --- seasons ---------------------------------------------------------------------
    async def add_season(self, season: models.Season) -> None:
        """Store a new season."""
        await self._insert(SEASONS, to_record(season))

    async def update_season(self, season: models.Season) -> None:
        """Replace a season."""
        await self._update(SEASONS, to_record(season))

    async def get_season(self, season_id: str) -> models.Season | None:
        """Return a season by id."""
        return await self._one(SEASONS, models.Season, id=season_id)

    async def list_seasons(self) -> list[models.Season]:
        """Return every season, by start date."""
        return await self._many(SEASONS, models.Season)

    # --- teams and memberships ------------------------------------------------------
    async def add_team(self, team: models.Team) -> None:
        """Store a new team (ConflictError ``team_name`` or ``invite_code``)."""
        await self._insert(TEAMS, to_record(team))

    async def update_team(self, team: models.Team) -> None:
        """Replace a team (ConflictError ``team_name``)."""
        await self._update(TEAMS, to_record(team))

    async def get_team(self, team_id: str) -> models.Team | None:
        """Return a team by id."""
        return await self._one(TEAMS, models.Team, id=team_id)

    async def get_team_by_invite_code(self, code: str) -> models.Team | None:
        """Return the team with an invite code."""
        return await self._one(TEAMS, models.Team, invite_code=code)

    async def list_teams(self, season_id: str | None = None) -> list[models.Team]:
        """Return the teams (of one season), oldest first."""
        return await self._many(TEAMS, models.Team, season_id=season_id)

    async def delete_team(self, team_id: str) -> None:
        """Delete a team and its memberships."""
        await self._delete(MEMBERSHIPS, {"team_id": team_id})
        await self._delete(TEAMS, {"id": team_id})

    async def add_membership(self, membership: models.Membership) -> None:
        """Store a membership (ConflictError ``membership``: one team per season)."""
        await self._insert(MEMBERSHIPS, to_record(membership))

    async def get_membership(
        self, user_id: str, season_id: str
    ) -> models.Membership | None:
        """Return a player's membership in a season."""
        return await self._one(
            MEMBERSHIPS, models.Membership, user_id=user_id, season_id=season_id
        )

    async def list_memberships(
        self,
        *,
        team_id: str | None = None,
        season_id: str | None = None,
        user_id: str | None = None,
    ) -> list[models.Membership]:
        """Return memberships matching every given filter, oldest first."""
        return await self._many(
            MEMBERSHIPS,
            models.Membership,
            team_id=team_id,
            season_id=season_id,
            user_id=user_id,
        )

    async def delete_membership(self, user_id: str, season_id: str) -> bool:
        """Delete a membership; return whether it existed."""
        return (
            await self._delete(
                MEMBERSHIPS, {"user_id": user_id, "season_id": season_id}
            )
            > 0
        )

    # --- readings, shedding, meter indexes ------------------------------------------
    async def upsert_reading(self, reading: models.DailyReading) -> bool:
        """Store or replace a day's reading; return whether it was new."""
        return await self._upsert(READINGS, to_record(reading))

    async def upsert_readings(
        self, readings: Sequence[models.DailyReading]
    ) -> list[Upserted]:
        """Store or replace many days in one transaction; say what each did."""
        if not readings:
            return []
        keys = {(reading.user_id, reading.day) for reading in readings}
        if len(keys) != len(readings):
            raise StorageError("readings: the same household day twice in one batch")
        records = [to_record(reading) for reading in readings]
        return await self._run(self._upsert_many_sync, READINGS, records, _STAMP_FIELDS)

    async def get_reading(self, user_id: str, day: date) -> models.DailyReading | None:
        """Return a household's reading of a day."""
        return await self._one(READINGS, models.DailyReading, user_id=user_id, day=day)

    async def list_readings(
        self,
        user_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[models.DailyReading]:
        """Return readings (of one household) between two days inclusive, by day."""
        return await self._many(
            READINGS, models.DailyReading, Range("day", start, end), user_id=user_id
        )

    async def readings_by_user(
        self,
        user_ids: Sequence[str],
        start: date | None = None,
        end: date | None = None,
        *,
        slots: bool = True,
        stamps: bool = True,
    ) -> dict[str, list[models.DailyReading]]:
        """Return several households' readings between two days, by user then day."""
        exclude = frozenset() if slots else _SLOT_FIELDS
        if not stamps:
            exclude |= _STAMP_FIELDS
        found = await self._many(
            READINGS,
            models.DailyReading,
            Range("day", start, end),
            exclude=exclude,
            first=BY_USER,
            user_id=AnyOf(tuple(user_ids)),
        )
        return _by_user(user_ids, found)

    async def upsert_enedis_reading(self, reading: models.EnedisReading) -> bool:
        """Store or replace a certified Enedis day; return whether it was new."""
        return await self._upsert(ENEDIS_READINGS, to_record(reading))

    async def list_enedis_readings(
        self,
        user_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[models.EnedisReading]:
        """Return certified days (of one household) between two days inclusive."""
        return await self._many(
            ENEDIS_READINGS,
            models.EnedisReading,
            Range("day", start, end),
            user_id=user_id,
        )

    async def enedis_readings_by_user(
        self,
        user_ids: Sequence[str],
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, list[models.EnedisReading]]:
        """Return several households' certified days between two days, by user."""
        found = await self._many(
            ENEDIS_READINGS,
            models.EnedisReading,
            Range("day", start, end),
            first=BY_USER,
            user_id=AnyOf(tuple(user_ids)),
        )
        return _by_user(user_ids, found)

    async def add_shedding_event(
        self, event: models.SheddingEvent
    ) -> tuple[models.SheddingEvent, bool]:
        """Store an event unless its id exists; return the stored one and whether new."""
        existing = await self._one(
            SHEDDING, models.SheddingEvent, user_id=event.user_id, id=event.id
        )
        if existing is not None:
            return existing, False
        try:
            await self._insert(SHEDDING, to_record(event))
        except ConflictError:
            # Sent twice at once: the other request stored it first.
            stored = await self._one(
                SHEDDING, models.SheddingEvent, user_id=event.user_id, id=event.id
            )
            if stored is None:
                raise
            return stored, False
        return event, True

    async def list_shedding_events(
        self,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[models.SheddingEvent]:
        """Return shedding events starting between two instants, by start."""
        return await self._many(
            SHEDDING, models.SheddingEvent, Range("start", start, end), user_id=user_id
        )

    async def shedding_events_by_user(
        self,
        user_ids: Sequence[str],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, list[models.SheddingEvent]]:
        """Return several households' events starting between two instants, by start."""
        found = await self._many(
            SHEDDING,
            models.SheddingEvent,
            Range("start", start, end),
            first=BY_USER,
            user_id=AnyOf(tuple(user_ids)),
        )
        return _by_user(user_ids, found)

    async def upsert_meter_index(self, index: models.MeterIndex) -> bool:
        """Store or replace a day's meter index; return whether it was new."""
        return await self._upsert(METER_INDEXES, to_record(index))

    async def list_meter_indexes(self, user_id: str) -> list[models.MeterIndex]:
        """Return a household's meter indexes by day."""
        return await self._many(METER_INDEXES, models.MeterIndex, user_id=user_id)

    async def meter_indexes_by_user(
        self, user_ids: Sequence[str]
    ) -> dict[str, list[models.MeterIndex]]:
        """Return several households' meter indexes, by user then day."""
        found = await self._many(
            METER_INDEXES,
            models.MeterIndex,
            first=BY_USER,
            user_id=AnyOf(tuple(user_ids)),
        )
        return _by_user(user_ids, found)

    # --- catalogue and declarations -------------------------------------------------
    async def upsert_catalogue_action(self, action: models.CatalogueAction) -> bool:
        """Store or replace an action of the catalogue; return whether it was new."""
        return await self._upsert(CATALOGUE, to_record(action))

    async def get_catalogue_action(
        self, action_id: str
    ) -> models.CatalogueAction | None:
        """Return an action of the catalogue."""
        return await self._one(CATALOGUE, models.CatalogueAction, id=action_id)

    async def list_catalogue(self) -> list[models.CatalogueAction]:
        """Return the catalogue by id."""
        return await self._many(CATALOGUE, models.CatalogueAction)

    async def delete_catalogue_action(self, action_id: str) -> bool:
        """Delete an action of the catalogue; return whether it existed."""
        return await self._delete(CATALOGUE, {"id": action_id}) > 0

    async def add_action_declaration(
        self, declaration: models.ActionDeclaration
    ) -> None:
        """Store a declared action."""
        await self._insert(DECLARATIONS, to_record(declaration))

    async def update_action_declaration(
        self, declaration: models.ActionDeclaration
    ) -> None:
        """Replace a declared action (e.g. after verification)."""
        await self._update(DECLARATIONS, to_record(declaration))

    async def get_action_declaration(
        self, declaration_id: str
    ) -> models.ActionDeclaration | None:
        """Return a declared action."""
        return await self._one(
            DECLARATIONS, models.ActionDeclaration, id=declaration_id
        )

    async def list_action_declarations(
        self,
        user_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[models.ActionDeclaration]:
        """Return declared actions (of one household) between two days, by day."""
        return await self._many(
            DECLARATIONS,
            models.ActionDeclaration,
            Range("day", start, end),
            user_id=user_id,
        )

    async def action_declarations_by_user(
        self,
        user_ids: Sequence[str],
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, list[models.ActionDeclaration]]:
        """Return several households' declared actions between two days, by day."""
        found = await self._many(
            DECLARATIONS,
            models.ActionDeclaration,
            Range("day", start, end),
            first=BY_USER,
            user_id=AnyOf(tuple(user_ids)),
        )
        return _by_user(user_ids, found)

    # --- tokens ----------------------------------------------------------------------
    async def add_token(self, token: models.ApiToken) -> None:
        """Store an API token (its hash)."""
        await self._insert(TOKENS, to_record(token))

    async def get_token_by_hash(self, token_hash: str) -> models.ApiToken | None:
        """Return the token with a hash."""
        return await self._one(TOKENS, models.ApiToken, token_hash=token_hash)

    async def list_tokens(self, user_id: str) -> list[models.ApiToken]:
        """Return a player's tokens, oldest first."""
        return await self._many(TOKENS, models.ApiToken, user_id=user_id)

    async def touch_token(self, token_id: str, at: datetime) -> None:
        """Record when a token was last used."""
        token = await self._one(TOKENS, models.ApiToken, id=token_id)
        if token is not None:
            token.last_used_at = at
            await self._update(TOKENS, to_record(token))

    async def delete_token(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed."""
        return await self._delete(TOKENS, {"id": token_id}) > 0

    # --- audit, peak events, scores -------------------------------------------------
    async def add_audit(self, entry: models.AuditEntry) -> None:
        """Append to the audit log."""
        await self._insert(AUDIT, to_record(entry))

    async def list_audit(
        self, limit: int = 100, offset: int = 0
    ) -> list[models.AuditEntry]:
        """Return audit entries, newest first."""
        rows = await self._find(AUDIT, {}, descending=True, limit=limit, offset=offset)
        return [from_record(models.AuditEntry, row) for row in rows]

    async def add_peak_event(self, event: models.PeakEvent) -> None:
        """Store a peak event."""
        await self._insert(PEAK_EVENTS, to_record(event))

    async def list_peak_events(
        self, season_id: str | None = None
    ) -> list[models.PeakEvent]:
        """Return peak events (of one season) by start."""
        return await self._many(PEAK_EVENTS, models.PeakEvent, season_id=season_id)

    async def delete_peak_event(self, event_id: str) -> bool:
        """Delete a peak event; return whether it existed."""
        return await self._delete(PEAK_EVENTS, {"id": event_id}) > 0

    async def replace_scores(
        self, season_id: str, user_id: str, entries: list[models.ScoreEntry]
    ) -> None:
        """Replace a household's stored scores of a season."""
        await self.replace_scores_many(season_id, {user_id: entries})

    async def replace_scores_many(
        self, season_id: str, entries: Mapping[str, list[models.ScoreEntry]]
    ) -> None:
        """Replace several households' stored scores of a season (user id → entries)."""
        wheres: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for user_id, items in entries.items():
            wheres.append({"season_id": season_id, "user_id": user_id})
            for entry in items:
                if entry.season_id != season_id or entry.user_id != user_id:
                    raise StorageError("score entry of another household or season")
                records.append(to_record(entry))
        if wheres:
            await self._run(self._replace_sync, SCORES, wheres, records)

    async def list_scores(
        self,
        season_id: str,
        user_id: str | None = None,
        challenge: str | None = None,
    ) -> list[models.ScoreEntry]:
        """Return a season's stored scores (of a household, a challenge), by month."""
        return await self._many(
            SCORES,
            models.ScoreEntry,
            season_id=season_id,
            user_id=user_id,
            challenge=challenge,
        )

    # --- backup ----------------------------------------------------------------------
    async def export_data(self) -> dict[str, Any]:
        """Return everything stored as a JSON-ready document."""
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
        }
        for coll in COLLECTIONS:
            rows = await self._find(coll, {})
            # Normalise through the model so both backends export identical documents.
            records = [to_record(from_record(coll.model, row)) for row in rows]
            records.sort(key=functools.partial(_sort_key, coll.key))
            document[coll.name] = records
        return document

    async def import_data(self, document: dict[str, Any]) -> None:
        """Load an export into this (empty) storage."""
        if (
            not isinstance(document, dict)
            or document.get("format") != EXPORT_FORMAT
            or document.get("version") != EXPORT_VERSION
        ):
            raise StorageError("not a Sunshare game export (format or version)")
        if not await self._is_empty():
            raise ConflictError("storage", "the target storage is not empty")
        for coll in COLLECTIONS:
            rows = document.get(coll.name, [])
            if not isinstance(rows, list):
                raise StorageError(f"{coll.name}: expected a list")
            try:
                records = [to_record(from_record(coll.model, row)) for row in rows]
            except CodecError as err:
                raise StorageError(f"{coll.name}: {err}") from err
            await self._bulk_insert(coll, records)
