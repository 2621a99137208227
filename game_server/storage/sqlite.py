"""SQLite storage: one file in the data directory, WAL, foreign keys, versioned migrations.

Every blocking call runs in a single worker thread that owns the connection, so the event
loop never blocks and the connection is never shared between threads. Queries are built
from the declared collections (fixed table and column names) with every value bound as a
parameter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
import functools
import json
import logging
from pathlib import Path
import re
import sqlite3
from typing import Any

from .base import (
    COLLECTIONS,
    LEASE_TIME_FORMAT,
    AnyOf,
    Collection,
    ConflictError,
    Lease,
    Range,
    RecordStorage,
    StorageError,
    StorageHealth,
    StorageUnavailable,
    Upserted,
    lease_expiry,
    sort_fields,
)
from .files import create_private_file, prepare_data_dir, restrict_database_files

LOGGER = logging.getLogger(__name__)

# Each migration is a list of statements; the schema version is PRAGMA user_version.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('player', 'admin')),
            disabled INTEGER NOT NULL DEFAULT 0,
            prm TEXT UNIQUE,
            prm_verified INTEGER NOT NULL DEFAULT 0,
            mode TEXT NOT NULL CHECK (mode IN ('full', 'simplified')),
            adults INTEGER NOT NULL,
            children INTEGER NOT NULL,
            electric_heating INTEGER NOT NULL,
            electric_hot_water INTEGER NOT NULL,
            solar_kwc REAL NOT NULL,
            city TEXT,
            postcode TEXT,
            language TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE seasons (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            challenges TEXT NOT NULL,
            peak_windows TEXT NOT NULL,
            team_size_limit INTEGER NOT NULL,
            reference_window_days INTEGER NOT NULL,
            require_verified_prm INTEGER NOT NULL,
            settings TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE teams (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            invite_code TEXT NOT NULL UNIQUE,
            captain_id TEXT REFERENCES users(id),
            season_id TEXT NOT NULL REFERENCES seasons(id),
            created_at TEXT NOT NULL,
            UNIQUE (season_id, name)
        )""",
        """CREATE TABLE memberships (
            team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            season_id TEXT NOT NULL REFERENCES seasons(id),
            joined_at TEXT NOT NULL,
            PRIMARY KEY (user_id, season_id)
        )""",
        "CREATE INDEX memberships_team ON memberships (team_id)",
        """CREATE TABLE readings (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            import_kwh REAL NOT NULL,
            export_kwh REAL NOT NULL,
            production_kwh REAL NOT NULL,
            battery_charge_kwh REAL,
            battery_discharge_kwh REAL,
            import_slots TEXT,
            export_slots TEXT,
            t_mean_c REAL,
            source TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, day)
        )""",
        "CREATE INDEX readings_day ON readings (day)",
        """CREATE TABLE shedding_events (
            id TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            declared_w REAL NOT NULL,
            measured_w REAL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, id)
        )""",
        "CREATE INDEX shedding_events_start ON shedding_events (start)",
        """CREATE TABLE catalogue (
            id TEXT PRIMARY KEY,
            domain TEXT NOT NULL,
            level INTEGER NOT NULL,
            base_points REAL NOT NULL,
            recurring INTEGER NOT NULL,
            title_fr TEXT NOT NULL,
            title_en TEXT NOT NULL,
            enabled INTEGER NOT NULL
        )""",
        """CREATE TABLE action_declarations (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            action_id TEXT NOT NULL,
            day TEXT NOT NULL,
            evidence TEXT,
            verification TEXT NOT NULL,
            verified_by TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX action_declarations_user_day ON action_declarations (user_id, day)",
        """CREATE TABLE meter_indexes (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            import_index_kwh REAL NOT NULL,
            export_index_kwh REAL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, day)
        )""",
        """CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            device_name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_used_at TEXT
        )""",
        "CREATE INDEX api_tokens_user ON api_tokens (user_id)",
        """CREATE TABLE audit_log (
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            actor_id TEXT,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT,
            details TEXT NOT NULL
        )""",
        "CREATE INDEX audit_log_at ON audit_log (at)",
        """CREATE TABLE peak_events (
            id TEXT PRIMARY KEY,
            season_id TEXT NOT NULL REFERENCES seasons(id) ON DELETE CASCADE,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            multiplier REAL NOT NULL,
            note TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX peak_events_season ON peak_events (season_id)",
        """CREATE TABLE scores (
            season_id TEXT NOT NULL REFERENCES seasons(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            challenge TEXT NOT NULL,
            month TEXT NOT NULL,
            points REAL NOT NULL,
            card TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            PRIMARY KEY (season_id, user_id, challenge, month)
        )""",
    ],
    [
        # Declared equipment changes of a household (JSON list of records).
        "ALTER TABLE users ADD COLUMN equipment_changes TEXT NOT NULL DEFAULT '[]'",
        # Certified Enedis days, kept beside the days households send.
        """CREATE TABLE enedis_readings (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            import_kwh REAL NOT NULL,
            export_kwh REAL,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (user_id, day)
        )""",
        "CREATE INDEX enedis_readings_day ON enedis_readings (day)",
    ],
    [
        # Session generation: raised by sign-out, password changes and disabling, it
        # ends every browser session issued before (see game_server/web/core.py).
        "ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0",
    ],
    [
        # Leases: a job that must run once per store (a scoring pass, the Enedis
        # reconciliation) is run by the process holding its lease (several servers).
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
        # Households' changed months handed over to the process running the passes.
        """CREATE TABLE scoring_marks (
            user_id TEXT NOT NULL,
            month TEXT NOT NULL,
            PRIMARY KEY (user_id, month)
        )""",
        # What the lease holder computed for the others to serve (the leaderboards).
        """CREATE TABLE shared_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
DATABASE_FILE = "sunshare.db"
_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: (.+)$")
_json_text = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(value, ensure_ascii=False)`` without a new encoder at every call."""


def is_fault(err: sqlite3.Error) -> bool:
    """Return whether an SQLite error is a fault of the database (not of a query).

    Read-only file, disk I/O, a lock held beyond the busy timeout, a full disk
    (``OperationalError``), a corrupt or foreign file (``DatabaseError`` itself) or an
    internal error; refused changes (``IntegrityError``) and programming errors are not.
    """
    return isinstance(err, sqlite3.OperationalError | sqlite3.InternalError) or (
        type(err) is sqlite3.DatabaseError
    )


def _quote(name: str) -> str:
    """Return a declared (never user-supplied) identifier quoted for SQL."""
    if not name.replace("_", "").isalnum():
        raise StorageError(f"bad identifier {name!r}")
    return f'"{name}"'


def _conflict_name(coll: Collection, message: str) -> str:
    """Return the constraint name of a UNIQUE failure message."""
    match = _UNIQUE_FAILED.search(message)
    if match is None:
        return coll.name
    columns = tuple(part.strip().split(".")[-1] for part in match.group(1).split(","))
    for name, unique in coll.uniques:
        if set(unique) == set(columns):
            return name
    if set(columns) == set(coll.key):
        return "membership" if coll.name == "memberships" else "id"
    return coll.name


class SQLiteStorage(RecordStorage):
    """Storage in one SQLite file."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 5.0) -> None:
        """Remember the database file; ``open()`` connects.

        ``busy_timeout``: seconds a write waits for another connection's lock before
        failing with ``StorageUnavailable`` ("database is locked").
        """
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._health = StorageHealth(read=True, write=True)
        """The last health check's answer (its failures are logged when they start)."""
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    # --- thread plumbing -------------------------------------------------------------
    async def _run[T](self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call in the connection's thread."""
        if self._executor is None:
            raise StorageError("storage is not open")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._executor, functools.partial(func, *args, **kwargs)
            )
        except sqlite3.Error as err:
            if not is_fault(err):
                raise
            raise StorageUnavailable(f"{self.path}: {err}") from err

    @property
    def conn(self) -> sqlite3.Connection:
        """Return the open connection."""
        if self._conn is None:
            raise StorageError("storage is not open")
        return self._conn

    def _connect(self) -> None:
        """Connect, configure and migrate (in the worker thread).

        A new database file is created with mode 0600 (its directory 0700), so its
        ``-wal`` and ``-shm`` files are 0600 too, whatever the umask.
        """
        prepare_data_dir(self.path.parent)
        if create_private_file(self.path):
            LOGGER.info("Created the database %s", self.path)
        else:
            restrict_database_files(self.path)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={self._busy_ms:d}")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn = conn
            self._migrate()
            # A damaged file (truncated, a table's page overwritten) fails here, at start.
            self._read_probe()
        except BaseException:
            # A refused file (e.g. a newer schema) leaves no connection open.
            self._conn = None
            conn.close()
            raise

    def _migrate(self) -> None:
        """Apply the migrations newer than the file's schema version."""
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database schema {version} is newer than this server ({SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            LOGGER.info("Applying database migration %d", number + 1)
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number]:
                    self.conn.execute(statement)
                # PRAGMA does not take parameters; the value is our own integer.
                self.conn.execute(f"PRAGMA user_version = {number + 1:d}")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    async def open(self) -> None:
        """Open the database file and apply migrations."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        try:
            await self._run(self._connect)
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise

    async def close(self) -> None:
        """Close the database."""
        if self._executor is None:
            return
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)
        self._executor = None

    async def ping(self) -> bool:
        """Return whether the database answers."""
        try:
            return bool(
                await self._run(lambda: self.conn.execute("SELECT 1").fetchone())
            )
        except (sqlite3.Error, StorageError):
            return False

    @property
    def _busy_ms(self) -> int:
        """Return the busy timeout in milliseconds."""
        return max(0, round(self.busy_timeout * 1000))

    async def health(self) -> StorageHealth:
        """Return whether the file can be read and written now (rolled back: cheap)."""
        try:
            return await self._run(self._health_sync)
        except StorageError:
            return StorageHealth(read=False, write=False)

    def _read_probe(self) -> int:
        """Read the schema and the first row of each table; return the schema version."""
        conn = self.conn
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for coll in COLLECTIONS:
            conn.execute(
                f"SELECT * FROM {_quote(coll.name)} LIMIT 1"  # noqa: S608
            ).fetchone()
        return version

    def _health_sync(self) -> StorageHealth:
        """Read the schema and each table's first row; try a write, then roll it back.

        A failure is logged when the state changes (not at every probe).
        """
        conn = self.conn
        read = True
        try:
            version = self._read_probe()
        except sqlite3.Error as err:
            if self._health.read:
                LOGGER.warning("Health check: cannot read %s: %s", self.path, err)
            read, version = False, SCHEMA_VERSION
        write = True
        # A locked database answers "no" within a second, not after the full timeout.
        conn.execute(f"PRAGMA busy_timeout={min(self._busy_ms, 1000):d}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Rewrites the header with the value it holds; rolled back anyway.
                conn.execute(f"PRAGMA user_version = {version:d}")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as err:
            if self._health.write:
                LOGGER.warning("Health check: cannot write %s: %s", self.path, err)
            write = False
        finally:
            conn.execute(f"PRAGMA busy_timeout={self._busy_ms:d}")
        health = StorageHealth(read=read, write=write)
        if health.ok and not self._health.ok:
            LOGGER.warning("Health check: %s can be read and written again", self.path)
        self._health = health
        return health

    def worker_url(self) -> str:
        """Return the URL of this database file (worker processes open it too)."""
        return f"sqlite:///{self.path.resolve()}"

    async def schema_version(self) -> int:
        """Return the applied schema version."""
        return int(
            await self._run(
                lambda: self.conn.execute("PRAGMA user_version").fetchone()[0]
            )
        )

    # --- leases and scoring marks (BEGIN IMMEDIATE: one writer at a time) ---------
    async def acquire_lease(
        self, name: str, holder: str, ttl: float, *, now: datetime | None = None
    ) -> Lease | None:
        """Take a lease if free, expired or ours (one ``BEGIN IMMEDIATE``)."""
        current, expires = lease_expiry(now, ttl)
        return await self._run(self._acquire_lease_sync, name, holder, current, expires)

    def _acquire_lease_sync(
        self, name: str, holder: str, now: datetime, expires: datetime
    ) -> Lease | None:
        """Read the lease and write it in one write transaction (other processes wait)."""
        conn = self.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT holder, expires_at FROM leases WHERE name = ?", (name,)
            ).fetchone()
            stamp = expires.strftime(LEASE_TIME_FORMAT)
            if row is None:
                conn.execute(
                    "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)",
                    (name, holder, stamp),
                )
                return Lease(name, holder, expires)
            if row[0] != holder and row[1] > now.strftime(LEASE_TIME_FORMAT):
                return None
            conn.execute(
                "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ?",
                (holder, stamp, name),
            )
            return Lease(name, holder, expires, previous_holder=row[0])

    async def renew_lease(
        self, name: str, holder: str, ttl: float, *, now: datetime | None = None
    ) -> bool:
        """Extend a lease ``holder`` holds (one conditional UPDATE)."""
        _, expires = lease_expiry(now, ttl)

        def renew() -> bool:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                cursor = self.conn.execute(
                    "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?",
                    (expires.strftime(LEASE_TIME_FORMAT), name, holder),
                )
                return cursor.rowcount > 0

        return await self._run(renew)

    async def release_lease(self, name: str, holder: str) -> bool:
        """Delete a lease ``holder`` holds."""

        def release() -> bool:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                cursor = self.conn.execute(
                    "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
                )
                return cursor.rowcount > 0

        return await self._run(release)

    async def get_lease(self, name: str) -> Lease | None:
        """Return a lease as stored."""
        row = await self._run(
            lambda: self.conn.execute(
                "SELECT holder, expires_at FROM leases WHERE name = ?", (name,)
            ).fetchone()
        )
        if row is None:
            return None
        return Lease(name, row[0], datetime.fromisoformat(row[1]))

    async def add_scoring_marks(self, marks: Mapping[str, Iterable[str]]) -> None:
        """Store households' changed months (a mark already there stays one)."""
        rows = [
            (user_id, month) for user_id, months in marks.items() for month in months
        ]
        if not rows:
            return

        def add() -> None:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany(
                    "INSERT OR IGNORE INTO scoring_marks (user_id, month) VALUES (?, ?)",
                    rows,
                )

        await self._run(add)

    async def put_shared_state(self, name: str, value: dict[str, Any]) -> None:
        """Store (or replace) a JSON document under a name."""
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        stamp = datetime.now(UTC).strftime(LEASE_TIME_FORMAT)

        def put() -> None:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.execute(
                    "INSERT INTO shared_state (name, value, updated_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                    "value = excluded.value, updated_at = excluded.updated_at",
                    (name, text, stamp),
                )

        await self._run(put)

    async def get_shared_state(self, name: str) -> dict[str, Any] | None:
        """Return the JSON document stored under a name."""
        row = await self._run(
            lambda: self.conn.execute(
                "SELECT value FROM shared_state WHERE name = ?", (name,)
            ).fetchone()
        )
        if row is None:
            return None
        value = json.loads(row[0])
        return value if isinstance(value, dict) else None

    async def take_scoring_marks(self) -> dict[str, set[str]]:
        """Return and delete the stored marks (one write transaction)."""

        def take() -> dict[str, set[str]]:
            marks: dict[str, set[str]] = {}
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                for user_id, month in self.conn.execute(
                    "SELECT user_id, month FROM scoring_marks"
                ).fetchall():
                    marks.setdefault(user_id, set()).add(month)
                if marks:
                    self.conn.execute("DELETE FROM scoring_marks")
            return marks

        return await self._run(take)

    # --- record conversion -------------------------------------------------------
    @staticmethod
    def _to_row(coll: Collection, record: dict[str, Any]) -> dict[str, Any]:
        """Return SQL values of a record."""
        json_cols = coll.json_columns
        bool_cols = coll.bool_columns
        row: dict[str, Any] = {}
        for name in coll.columns:
            value = record.get(name)
            if name in json_cols and value is not None:
                value = _json_text(value)
            elif name in bool_cols and value is not None:
                value = int(value)
            row[name] = value
        return row

    # --- primitives (worker thread) ----------------------------------------------
    def _insert_sync(self, coll: Collection, records: list[dict[str, Any]]) -> None:
        """Insert records in one transaction."""
        cols = coll.columns
        sql = (
            f"INSERT INTO {_quote(coll.name)} ({', '.join(map(_quote, cols))}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in cols)})"
        )
        params = [tuple(self._to_row(coll, rec).values()) for rec in records]
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.executemany(sql, params)
        except sqlite3.IntegrityError as err:
            message = str(err)
            if "UNIQUE" in message:
                raise ConflictError(_conflict_name(coll, message)) from err
            raise StorageError(f"{coll.name}: {message}") from err

    def _upsert_sync(self, coll: Collection, record: dict[str, Any]) -> bool:
        """Insert or replace a record by key in one transaction."""
        row = self._to_row(coll, record)
        where = " AND ".join(f"{_quote(k)} = ?" for k in coll.key)
        key = tuple(row[k] for k in coll.key)
        others = [c for c in coll.columns if c not in coll.key]
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                exists = self.conn.execute(
                    f"SELECT 1 FROM {_quote(coll.name)} WHERE {where}",  # noqa: S608
                    key,
                ).fetchone()
                if exists:
                    sets = ", ".join(f"{_quote(c)} = ?" for c in others)
                    self.conn.execute(
                        f"UPDATE {_quote(coll.name)} SET {sets} WHERE {where}",  # noqa: S608
                        (*(row[c] for c in others), *key),
                    )
                    return False
                cols = coll.columns
                self.conn.execute(
                    f"INSERT INTO {_quote(coll.name)} "  # noqa: S608
                    f"({', '.join(map(_quote, cols))}) "
                    f"VALUES ({', '.join('?' for _ in cols)})",
                    tuple(row[c] for c in cols),
                )
                return True
        except sqlite3.IntegrityError as err:
            message = str(err)
            if "UNIQUE" in message:
                raise ConflictError(_conflict_name(coll, message)) from err
            raise StorageError(f"{coll.name}: {message}") from err

    def _update_sync(
        self,
        coll: Collection,
        record: dict[str, Any],
        keep: frozenset[str] = frozenset(),
    ) -> bool:
        """Replace a record by key (but the ``keep`` fields)."""
        row = self._to_row(coll, record)
        where = " AND ".join(f"{_quote(k)} = ?" for k in coll.key)
        others = [c for c in coll.columns if c not in coll.key and c not in keep]
        sets = ", ".join(f"{_quote(c)} = ?" for c in others)
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                cursor = self.conn.execute(
                    f"UPDATE {_quote(coll.name)} SET {sets} WHERE {where}",  # noqa: S608
                    (*(row[c] for c in others), *(row[k] for k in coll.key)),
                )
                return cursor.rowcount > 0
        except sqlite3.IntegrityError as err:
            message = str(err)
            if "UNIQUE" in message:
                raise ConflictError(_conflict_name(coll, message)) from err
            raise StorageError(f"{coll.name}: {message}") from err

    def _increment_sync(
        self, coll: Collection, key: dict[str, Any], name: str
    ) -> int | None:
        """Add one to an integer field in one transaction; return the new value."""
        where = " AND ".join(f"{_quote(k)} = ?" for k in coll.key)
        values = tuple(key[k] for k in coll.key)
        column = _quote(name)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                f"UPDATE {_quote(coll.name)} SET {column} = {column} + 1 "  # noqa: S608
                f"WHERE {where}",
                values,
            )
            row = self.conn.execute(
                f"SELECT {column} FROM {_quote(coll.name)} WHERE {where}",  # noqa: S608
                values,
            ).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _where(where: dict[str, Any], span: Range | None) -> tuple[str, list[Any]]:
        """Return a WHERE clause and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for name, value in where.items():
            if value is None:
                clauses.append(f"{_quote(name)} IS NULL")
            elif isinstance(value, AnyOf):
                marks = ", ".join("?" for _ in value.values)
                clauses.append(f"{_quote(name)} IN ({marks})")
                params.extend(value.values)
            else:
                clauses.append(f"{_quote(name)} = ?")
                params.append(value)
        if span is not None:
            if span.low is not None:
                clauses.append(f"{_quote(span.field)} >= ?")
                params.append(span.low)
            if span.high is not None:
                clauses.append(f"{_quote(span.field)} <= ?")
                params.append(span.high)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

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
        """Select matching records (without the ``exclude`` columns)."""
        clause, params = self._where(where, span)
        order_cols = sort_fields(coll, first)
        direction = "DESC" if descending else "ASC"
        order = ", ".join(f"{_quote(c)} {direction}" for c in order_cols)
        names = [name for name in coll.columns if name not in exclude]
        sql = (
            f"SELECT {', '.join(map(_quote, names))} "  # noqa: S608
            f"FROM {_quote(coll.name)}{clause} ORDER BY {order}"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: the columns are known
        rows = cursor.execute(sql, params).fetchall()
        return self._records(coll, names, rows)

    @staticmethod
    def _records(
        coll: Collection, names: list[str], rows: list[tuple[Any, ...]]
    ) -> list[dict[str, Any]]:
        """Return the records of selected rows (JSON text parsed, integers as bools)."""
        json_at = [
            (i, name) for i, name in enumerate(names) if name in coll.json_columns
        ]
        bool_at = [
            (i, name) for i, name in enumerate(names) if name in coll.bool_columns
        ]
        loads = json.loads
        records = []
        for row in rows:
            record = dict(zip(names, row, strict=True))
            for i, name in json_at:
                if (value := row[i]) is not None:
                    record[name] = loads(value)
            for i, name in bool_at:
                if (value := row[i]) is not None:
                    record[name] = bool(value)
            records.append(record)
        return records

    def _delete_sync(self, coll: Collection, where: dict[str, Any]) -> int:
        """Delete matching records."""
        clause, params = self._where(where, None)
        with self.conn:
            self.conn.execute("BEGIN")
            cursor = self.conn.execute(
                f"DELETE FROM {_quote(coll.name)}{clause}",  # noqa: S608
                params,
            )
            return cursor.rowcount

    def _replace_sync(
        self,
        coll: Collection,
        wheres: list[dict[str, Any]],
        records: list[dict[str, Any]],
    ) -> None:
        """Delete the records matching each filter, then insert records, in one go."""
        cols = coll.columns
        insert = (
            f"INSERT INTO {_quote(coll.name)} ({', '.join(map(_quote, cols))}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in cols)})"
        )
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                for where in wheres:
                    clause, params = self._where(where, None)
                    self.conn.execute(
                        f"DELETE FROM {_quote(coll.name)}{clause}",  # noqa: S608
                        params,
                    )
                self.conn.executemany(
                    insert,
                    [tuple(self._to_row(coll, rec).values()) for rec in records],
                )
        except sqlite3.IntegrityError as err:
            message = str(err)
            if "UNIQUE" in message:
                raise ConflictError(_conflict_name(coll, message)) from err
            raise StorageError(f"{coll.name}: {message}") from err

    def _upsert_many_sync(
        self,
        coll: Collection,
        records: list[dict[str, Any]],
        ignore: frozenset[str] = frozenset(),
    ) -> list[Upserted]:
        """Insert or replace records by key in one transaction (one ``executemany``).

        The stored rows of the records' keys are read first (one query per key prefix,
        e.g. per household) inside the same write transaction, then every new or
        different row goes through one ``INSERT … ON CONFLICT DO UPDATE``.
        """
        cols = coll.columns
        table = _quote(coll.name)
        key_at = [cols.index(k) for k in coll.key]
        compared = [i for i, name in enumerate(cols) if name not in ignore]
        rows = [tuple(self._to_row(coll, rec).values()) for rec in records]
        *prefix, last = coll.key
        by_prefix: dict[tuple[Any, ...], list[Any]] = {}
        for row in rows:
            key = tuple(row[i] for i in key_at)
            by_prefix.setdefault(key[:-1], []).append(key[-1])
        where = "".join(f"{_quote(k)} = ? AND " for k in prefix)
        select = f"SELECT {', '.join(map(_quote, cols))} FROM {table} WHERE {where}"  # noqa: S608
        updates = ", ".join(
            f"{_quote(c)} = excluded.{_quote(c)}" for c in cols if c not in coll.key
        )
        upsert = (
            f"INSERT INTO {table} ({', '.join(map(_quote, cols))}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in cols)}) "
            f"ON CONFLICT ({', '.join(map(_quote, coll.key))}) DO UPDATE SET {updates}"
        )
        outcomes: list[Upserted] = []
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                cursor = self.conn.cursor()
                cursor.row_factory = None  # plain tuples, in ``cols`` order
                stored: dict[tuple[Any, ...], tuple[Any, ...]] = {}
                for head, lasts in by_prefix.items():
                    for at in range(0, len(lasts), 500):
                        chunk = lasts[at : at + 500]
                        marks = ", ".join("?" for _ in chunk)
                        for found in cursor.execute(
                            f"{select}{_quote(last)} IN ({marks})",
                            (*head, *chunk),
                        ):
                            stored[tuple(found[i] for i in key_at)] = found
                writes = []
                for row in rows:
                    old = stored.get(tuple(row[i] for i in key_at))
                    if old is None:
                        outcomes.append(Upserted.CREATED)
                    elif all(old[i] == row[i] for i in compared):
                        outcomes.append(Upserted.UNCHANGED)
                        continue
                    else:
                        outcomes.append(Upserted.REPLACED)
                    writes.append(row)
                if writes:
                    self.conn.executemany(upsert, writes)
        except sqlite3.IntegrityError as err:
            message = str(err)
            if "UNIQUE" in message:
                raise ConflictError(_conflict_name(coll, message)) from err
            raise StorageError(f"{coll.name}: {message}") from err
        return outcomes

    def _is_empty_sync(self) -> bool:
        """Return whether every table is empty."""
        for coll in COLLECTIONS:
            row = self.conn.execute(
                f"SELECT 1 FROM {_quote(coll.name)} LIMIT 1"  # noqa: S608
            ).fetchone()
            if row is not None:
                return False
        return True
