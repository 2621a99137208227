"""MongoDB storage (pymongo): indexes created at start, unique indexes as in SQLite.

pymongo is blocking, so every call runs in a worker thread (``asyncio.to_thread``). The
client can be injected (``mongomock.MongoClient`` in the contract tests). Documents are the
models' JSON records; a unique constraint violation is reported as ``ConflictError`` with
the constraint's name, found by looking up which unique fields clash (the server's error
details differ between versions and mongomock gives none).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from datetime import UTC, datetime
import functools
import logging
from typing import Any

import pymongo
from pymongo import DeleteMany, InsertOne, UpdateMany
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from .base import (
    COLLECTIONS,
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

LOGGER = logging.getLogger(__name__)
DEFAULT_DATABASE = "sunshare"
DUPLICATE_KEY = 11000
HEARTBEAT = "heartbeat"
LEASES = "leases"
"""Collection of the leases (name, holder, expires_at; not exported)."""
SCORING_MARKS = "scoring_marks"
"""Collection of households' changed months handed to the scorer (not exported)."""
SHARED_STATE = "shared_state"
"""Collection of what the lease holder computed for the others (not exported)."""
"""Collection of the health check's one document (not exported)."""
"""MongoDB's error code of a unique index violation."""


class MongoStorage(RecordStorage):
    """Storage in a MongoDB database."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any | None = None,
        database: str | None = None,
    ) -> None:
        """Remember the server URL or an injected client; ``open()`` connects."""
        if url is None and client is None:
            raise StorageError("a MongoDB URL or client is needed")
        self.url = url
        self._client: Any = client
        self._owns_client = client is None
        self._database_name = database
        self._db: Any = None

    async def _run[T](self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking pymongo call in a thread."""
        if self._db is None:
            raise StorageError("storage is not open")
        try:
            return await asyncio.to_thread(functools.partial(func, *args, **kwargs))
        except (ConflictError, StorageError):
            raise
        except PyMongoError as err:
            raise StorageUnavailable(f"MongoDB: {err}") from err

    def _open_sync(self) -> None:
        """Connect and create the indexes (in a thread)."""
        if self._client is None:
            self._client = pymongo.MongoClient(
                self.url, serverSelectionTimeoutMS=10000, tz_aware=True
            )
        name = self._database_name
        if name is None:
            try:
                name = self._client.get_default_database().name
            except (pymongo.errors.ConfigurationError, AttributeError, TypeError):
                name = DEFAULT_DATABASE
        self._db = self._client[name]
        for coll in COLLECTIONS:
            target = self._db[coll.name]
            target.create_index(
                [(k, pymongo.ASCENDING) for k in coll.key],
                unique=True,
                name=f"{coll.name}_key",
            )
            for index_name, unique_fields in coll.uniques:
                target.create_index(
                    [(k, pymongo.ASCENDING) for k in unique_fields],
                    unique=True,
                    name=index_name,
                    # A null field never conflicts (as in SQL).
                    partialFilterExpression={
                        k: {"$type": "string"} for k in unique_fields
                    },
                )
            for fields in coll.indexes:
                target.create_index([(k, pymongo.ASCENDING) for k in fields])
        self._db[LEASES].create_index(
            [("name", pymongo.ASCENDING)], unique=True, name="leases_name"
        )
        self._db[SCORING_MARKS].create_index(
            [("user_id", pymongo.ASCENDING), ("month", pymongo.ASCENDING)],
            unique=True,
            name="scoring_marks_key",
        )
        self._db[SHARED_STATE].create_index(
            [("name", pymongo.ASCENDING)], unique=True, name="shared_state_name"
        )

    async def open(self) -> None:
        """Connect and create the indexes."""
        try:
            await asyncio.to_thread(self._open_sync)
        except PyMongoError as err:
            self._db = None
            raise StorageUnavailable(f"MongoDB: {err}") from err

    async def close(self) -> None:
        """Close the client (when this storage created it)."""
        if self._client is not None and self._owns_client:
            await asyncio.to_thread(self._client.close)
            self._client = None
        self._db = None

    def worker_url(self) -> str | None:
        """Return the server URL when this storage connects by URL to its database."""
        if self._owns_client and self._database_name is None:
            return self.url
        return None

    async def ping(self) -> bool:
        """Return whether the server answers."""
        try:
            await self._run(self._db.command, "ping")
        except StorageError:
            return False
        return True

    async def health(self) -> StorageHealth:
        """Return whether the database can be read and written (a heartbeat document)."""
        try:
            return await self._run(self._health_sync)
        except StorageError:
            return StorageHealth(read=False, write=False)

    # --- leases and scoring marks ------------------------------------------------
    async def acquire_lease(
        self, name: str, holder: str, ttl: float, *, now: datetime | None = None
    ) -> Lease | None:
        """Take a lease if free, expired or ours: one ``find_one_and_update``.

        The filter matches the lease only when it is ours or expired; when it matches
        nothing the upsert inserts it, which the unique index on ``name`` refuses if
        another process holds it (DuplicateKeyError: not granted).
        """
        current, expires = lease_expiry(now, ttl)

        def acquire() -> Lease | None:
            try:
                before = self._db[LEASES].find_one_and_update(
                    {
                        "name": name,
                        "$or": [{"holder": holder}, {"expires_at": {"$lte": current}}],
                    },
                    {"$set": {"holder": holder, "expires_at": expires}},
                    upsert=True,
                    return_document=pymongo.ReturnDocument.BEFORE,
                )
            except DuplicateKeyError:
                return None
            previous = None if before is None else str(before["holder"])
            return Lease(name, holder, expires, previous_holder=previous)

        return await self._run(acquire)

    async def renew_lease(
        self, name: str, holder: str, ttl: float, *, now: datetime | None = None
    ) -> bool:
        """Extend a lease ``holder`` holds (a conditional update)."""
        _, expires = lease_expiry(now, ttl)
        result = await self._run(
            self._db[LEASES].update_one,
            {"name": name, "holder": holder},
            {"$set": {"expires_at": expires}},
        )
        return bool(result.matched_count)

    async def release_lease(self, name: str, holder: str) -> bool:
        """Delete a lease ``holder`` holds."""
        result = await self._run(
            self._db[LEASES].delete_one, {"name": name, "holder": holder}
        )
        return bool(result.deleted_count)

    async def get_lease(self, name: str) -> Lease | None:
        """Return a lease as stored."""
        found = await self._run(self._db[LEASES].find_one, {"name": name})
        if found is None:
            return None
        expires = found["expires_at"]
        if expires.tzinfo is None:  # a client without tz_aware (mongomock)
            expires = expires.replace(tzinfo=UTC)
        return Lease(name, str(found["holder"]), expires)

    async def add_scoring_marks(self, marks: Mapping[str, Iterable[str]]) -> None:
        """Store households' changed months (a mark already there stays one)."""
        keys = [
            {"user_id": user_id, "month": month}
            for user_id, months in marks.items()
            for month in sorted(months)
        ]

        def add() -> None:
            target = self._db[SCORING_MARKS]
            for key in keys:  # a handful per interval: one small upsert each
                with contextlib.suppress(DuplicateKeyError):  # added at the same time
                    target.update_one(key, {"$set": key}, upsert=True)

        if keys:
            await self._run(add)

    async def put_shared_state(self, name: str, value: dict[str, Any]) -> None:
        """Store (or replace) a JSON document under a name."""
        document = {"name": name, "value": value, "updated_at": datetime.now(UTC)}

        def put() -> None:
            with contextlib.suppress(DuplicateKeyError):  # another one at the same time
                self._db[SHARED_STATE].replace_one(
                    {"name": name}, document, upsert=True
                )

        await self._run(put)

    async def get_shared_state(self, name: str) -> dict[str, Any] | None:
        """Return the JSON document stored under a name."""
        found = await self._run(self._db[SHARED_STATE].find_one, {"name": name})
        if found is None or not isinstance(found.get("value"), dict):
            return None
        return dict(found["value"])

    async def take_scoring_marks(self) -> dict[str, set[str]]:
        """Return and delete the stored marks (only those read are deleted)."""

        def take() -> dict[str, set[str]]:
            target = self._db[SCORING_MARKS]
            found = list(target.find({}, {"_id": True, "user_id": True, "month": True}))
            marks: dict[str, set[str]] = {}
            for doc in found:
                marks.setdefault(str(doc["user_id"]), set()).add(str(doc["month"]))
            if found:
                target.delete_many({"_id": {"$in": [doc["_id"] for doc in found]}})
            return marks

        return await self._run(take)

    def _health_sync(self) -> StorageHealth:
        """Read one document of each collection; replace the heartbeat document."""
        read = write = True
        try:
            for coll in COLLECTIONS:
                self._db[coll.name].find_one({}, {"_id": True})
        except PyMongoError as err:
            LOGGER.warning("Health check: cannot read MongoDB: %s", err)
            read = False
        try:
            self._db[HEARTBEAT].replace_one(
                {"_id": "healthz"},
                {"_id": "healthz", "at": datetime.now(UTC).isoformat()},
                upsert=True,
            )
        except PyMongoError as err:
            LOGGER.warning("Health check: cannot write MongoDB: %s", err)
            write = False
        return StorageHealth(read=read, write=write)

    # --- helpers -------------------------------------------------------------------
    @staticmethod
    def _key(coll: Collection, record: dict[str, Any]) -> dict[str, Any]:
        """Return the key filter of a record."""
        return {k: record[k] for k in coll.key}

    def _conflict(self, coll: Collection, record: dict[str, Any]) -> ConflictError:
        """Return the ConflictError naming which unique constraint clashes."""
        target = self._db[coll.name]
        own_key = self._key(coll, record)
        for name, unique_fields in coll.uniques:
            values = {k: record.get(k) for k in unique_fields}
            if any(v is None for v in values.values()):
                continue
            for doc in target.find(values):
                if {k: doc.get(k) for k in coll.key} != own_key:
                    return ConflictError(name)
        return ConflictError("membership" if coll.name == "memberships" else "id")

    @staticmethod
    def _document(record: dict[str, Any]) -> dict[str, Any]:
        """Return a copy of a record to store (pymongo adds ``_id`` to what it gets)."""
        return dict(record)

    # --- primitives (threads) ---------------------------------------------------
    def _insert_sync(self, coll: Collection, records: list[dict[str, Any]]) -> None:
        """Insert records."""
        target = self._db[coll.name]
        for record in records:
            try:
                target.insert_one(self._document(record))
            except DuplicateKeyError as err:
                raise self._conflict(coll, record) from err

    def _upsert_sync(self, coll: Collection, record: dict[str, Any]) -> bool:
        """Insert or replace a record by key."""
        try:
            result = self._db[coll.name].replace_one(
                self._key(coll, record), self._document(record), upsert=True
            )
        except DuplicateKeyError as err:
            raise self._conflict(coll, record) from err
        return result.upserted_id is not None

    def _update_sync(
        self,
        coll: Collection,
        record: dict[str, Any],
        keep: frozenset[str] = frozenset(),
    ) -> bool:
        """Replace a record by key (but the ``keep`` fields)."""
        target = self._db[coll.name]
        try:
            if keep:
                changes = {k: v for k, v in record.items() if k not in keep}
                result = target.update_one(self._key(coll, record), {"$set": changes})
            else:
                result = target.replace_one(
                    self._key(coll, record), self._document(record)
                )
        except DuplicateKeyError as err:
            raise self._conflict(coll, record) from err
        return bool(result.matched_count)

    def _increment_sync(
        self, coll: Collection, key: dict[str, Any], name: str
    ) -> int | None:
        """Add one to an integer field (``$inc``: atomic); return the new value."""
        document = self._db[coll.name].find_one_and_update(
            {k: key[k] for k in coll.key},
            {"$inc": {name: 1}},
            projection={"_id": False, name: True},
            return_document=pymongo.ReturnDocument.AFTER,
        )
        return None if document is None else int(document[name])

    @staticmethod
    def _filter(where: dict[str, Any], span: Range | None) -> dict[str, Any]:
        """Return a query document."""
        query: dict[str, Any] = {
            name: {"$in": list(value.values)} if isinstance(value, AnyOf) else value
            for name, value in where.items()
        }
        if span is not None:
            bounds: dict[str, Any] = {}
            if span.low is not None:
                bounds["$gte"] = span.low
            if span.high is not None:
                bounds["$lte"] = span.high
            if bounds:
                query[span.field] = bounds
        return query

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
        """Find matching records (without the ``exclude`` fields)."""
        direction = pymongo.DESCENDING if descending else pymongo.ASCENDING
        order = sort_fields(coll, first)
        projection = {"_id": False, **dict.fromkeys(sorted(exclude), False)}
        cursor = (
            self._db[coll.name]
            .find(self._filter(where, span), projection)
            .sort([(k, direction) for k in order])
        )
        if offset:
            cursor = cursor.skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [dict(doc) for doc in cursor]

    def _delete_sync(self, coll: Collection, where: dict[str, Any]) -> int:
        """Delete matching records."""
        return int(
            self._db[coll.name].delete_many(self._filter(where, None)).deleted_count
        )

    def _replace_sync(
        self,
        coll: Collection,
        wheres: list[dict[str, Any]],
        records: list[dict[str, Any]],
    ) -> None:
        """Delete the records matching each filter, then insert records (one batch).

        One ordered ``bulk_write``: a single round trip, applied in order (atomic only
        inside a transaction, which needs a replica set; a failure stops the batch).
        """
        requests: list[Any] = [DeleteMany(self._filter(w, None)) for w in wheres]
        requests += [InsertOne(self._document(record)) for record in records]
        if not requests:
            return
        try:
            self._db[coll.name].bulk_write(requests, ordered=True)
        except BulkWriteError as err:
            failed = err.details.get("writeErrors", [{}])[0]
            if failed.get("code") == DUPLICATE_KEY:
                index = int(failed.get("index", len(wheres))) - len(wheres)
                record = records[index] if 0 <= index < len(records) else records[-1]
                raise self._conflict(coll, record) from err
            raise StorageError(f"{coll.name}: {err}") from err

    def _upsert_many_sync(
        self,
        coll: Collection,
        records: list[dict[str, Any]],
        ignore: frozenset[str] = frozenset(),
    ) -> list[Upserted]:
        """Insert or replace records by key: one ordered ``bulk_write`` of upserts.

        On a replica set or a sharded cluster the read of the stored records and the
        write run in one transaction (all or nothing); a standalone server has no
        transactions: the one ordered batch then stops at the first failure.
        """
        if self._transactions():
            with self._client.start_session() as session:
                result: list[Upserted] = session.with_transaction(
                    lambda s: self._upsert_many(coll, records, ignore, s)
                )
                return result
        return self._upsert_many(coll, records, ignore, None)

    def _transactions(self) -> bool:
        """Return whether the server supports multi-document transactions."""
        description = getattr(self._client, "topology_description", None)
        kind = getattr(description, "topology_type_name", "")
        return kind in {"ReplicaSetWithPrimary", "Sharded"}

    def _upsert_many(
        self,
        coll: Collection,
        records: list[dict[str, Any]],
        ignore: frozenset[str],
        session: Any,
    ) -> list[Upserted]:
        """Read the stored records of the keys, then upsert the new or changed ones."""
        target = self._db[coll.name]
        *prefix, last = coll.key
        by_prefix: dict[tuple[Any, ...], list[Any]] = {}
        for record in records:
            head = tuple(record[k] for k in prefix)
            by_prefix.setdefault(head, []).append(record[last])
        stored: dict[tuple[Any, ...], dict[str, Any]] = {}
        for head, lasts in by_prefix.items():
            query = {**dict(zip(prefix, head, strict=True)), last: {"$in": lasts}}
            for doc in target.find(query, {"_id": False}, session=session):
                stored[tuple(doc.get(k) for k in coll.key)] = doc
        outcomes: list[Upserted] = []
        requests: list[Any] = []
        written: list[dict[str, Any]] = []
        for record in records:
            key = self._key(coll, record)
            old = stored.get(tuple(key.values()))
            if old is None:
                outcomes.append(Upserted.CREATED)
            elif all(
                old.get(name) == value
                for name, value in record.items()
                if name not in ignore
            ):
                outcomes.append(Upserted.UNCHANGED)
                continue
            else:
                outcomes.append(Upserted.REPLACED)
            # The key is unique: this matches one document at most, and ``$set`` of
            # every field replaces it. (UpdateOne and ReplaceOne send a ``sort`` that
            # mongomock's bulk writes do not take.)
            requests.append(UpdateMany(key, {"$set": dict(record)}, upsert=True))
            written.append(record)
        if requests:
            try:
                target.bulk_write(requests, ordered=True, session=session)
            except BulkWriteError as err:
                failed = err.details.get("writeErrors", [{}])[0]
                if failed.get("code") == DUPLICATE_KEY:
                    index = min(int(failed.get("index", 0)), len(written) - 1)
                    raise self._conflict(coll, written[index]) from err
                raise StorageError(f"{coll.name}: {err}") from err
        return outcomes

    def _is_empty_sync(self) -> bool:
        """Return whether every collection is empty."""
        return all(self._db[coll.name].find_one({}) is None for coll in COLLECTIONS)
