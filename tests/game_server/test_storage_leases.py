"""Storage contract of the leases and the shared scoring marks, on SQLite and MongoDB.

MongoDB runs through ``mongomock`` (and a real server when
``SUNSHARE_TEST_MONGODB_URI`` is set), as in ``test_storage_contract``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import sqlite3
import threading
from typing import Any
import uuid

import mongomock
import pytest

from game_server.storage import Storage
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStorage

MONGO_URI = os.environ.get("SUNSHARE_TEST_MONGODB_URI")
T0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)

type Opener = Callable[[], Storage]


@pytest.fixture(
    params=[
        "sqlite",
        "mongomock",
        pytest.param(
            "mongodb",
            marks=[
                pytest.mark.mongodb,
                pytest.mark.skipif(
                    MONGO_URI is None,
                    reason="set SUNSHARE_TEST_MONGODB_URI to run against a real MongoDB",
                ),
            ],
        ),
    ]
)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Return a function opening another storage object on one same store."""
    if request.param == "sqlite":
        return lambda: SQLiteStorage(tmp_path / "game.db")
    if request.param == "mongomock":
        client: mongomock.MongoClient[dict[str, Any]] = mongomock.MongoClient()
        return lambda: MongoStorage(client=client, database="leases")
    name = f"sunshare_test_{uuid.uuid4().hex}"
    return lambda: MongoStorage(MONGO_URI, database=name)


@pytest.fixture
async def storage(opener: Opener) -> AsyncIterator[Storage]:
    """Yield an opened storage of each backend."""
    backend = opener()
    await backend.open()
    try:
        yield backend
    finally:
        if isinstance(backend, MongoStorage) and MONGO_URI is not None:
            with contextlib.suppress(Exception):
                backend._client.drop_database(backend._db.name)
        await backend.close()


async def test_acquire_conflict_renew_release(storage: Storage) -> None:
    """One holder at a time; the holder renews and releases; nobody else can."""
    first = await storage.acquire_lease("scoring", "a", 30, now=T0)
    assert first is not None and first.holder == "a"
    assert first.previous_holder is None
    assert first.expires_at == T0 + timedelta(seconds=30)
    assert await storage.acquire_lease("scoring", "b", 30, now=T0) is None
    # Another name is another lease.
    assert await storage.acquire_lease("other", "b", 30, now=T0) is not None
    again = await storage.acquire_lease("scoring", "a", 60, now=T0)
    assert again is not None and again.previous_holder == "a"
    stored = await storage.get_lease("scoring")
    assert stored is not None and stored.holder == "a"
    assert stored.expires_at == T0 + timedelta(seconds=60)
    assert await storage.renew_lease("scoring", "a", 90, now=T0)
    assert not await storage.renew_lease("scoring", "b", 90, now=T0)
    stored = await storage.get_lease("scoring")
    assert stored is not None and stored.expires_at == T0 + timedelta(seconds=90)
    assert not await storage.release_lease("scoring", "b")
    assert await storage.get_lease("scoring") is not None
    assert await storage.release_lease("scoring", "a")
    assert not await storage.release_lease("scoring", "a")
    assert await storage.get_lease("scoring") is None
    taken = await storage.acquire_lease("scoring", "b", 30, now=T0)
    assert taken is not None and taken.previous_holder is None


async def test_expired_lease_is_taken_over(storage: Storage) -> None:
    """Past its expiry a lease goes to the next taker; the old holder cannot renew."""
    assert await storage.acquire_lease("scoring", "a", 10, now=T0) is not None
    just_before = T0 + timedelta(seconds=9.999)
    assert await storage.acquire_lease("scoring", "b", 10, now=just_before) is None
    later = T0 + timedelta(seconds=10)
    taken = await storage.acquire_lease("scoring", "b", 10, now=later)
    assert taken is not None and taken.holder == "b"
    assert taken.previous_holder == "a"
    assert not await storage.renew_lease("scoring", "a", 10, now=later)
    assert not await storage.release_lease("scoring", "a")
    assert await storage.acquire_lease("scoring", "a", 10, now=later) is None
    stored = await storage.get_lease("scoring")
    assert stored is not None and stored.holder == "b"
    # The real clock is used without ``now`` (T0 + 20 s is long past).
    assert await storage.acquire_lease("scoring", "a", 10) is not None


@pytest.mark.parametrize("expired", [False, True])
async def test_concurrent_acquire_has_one_winner(
    opener: Opener, storage: Storage, expired: bool
) -> None:
    """Threads with their own connections take a lease at once: exactly one wins."""
    if expired:
        assert await storage.acquire_lease("scoring", "gone", 1, now=T0) is not None
    contenders = 8
    barrier = threading.Barrier(contenders)
    won: list[str] = []
    errors: list[BaseException] = []

    async def contend(holder: str) -> None:
        backend = opener()
        await backend.open()
        try:
            await asyncio.to_thread(barrier.wait)
            if await backend.acquire_lease("scoring", holder, 60) is not None:
                won.append(holder)
        finally:
            await backend.close()

    def thread(holder: str) -> None:
        try:
            asyncio.run(contend(holder))
        except Exception as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)

    threads = [
        threading.Thread(target=thread, args=(f"h{i}",)) for i in range(contenders)
    ]
    for item in threads:
        item.start()
    for item in threads:
        item.join(timeout=30)
    assert errors == []
    assert len(won) == 1
    stored = await storage.get_lease("scoring")
    assert stored is not None and stored.holder == won[0]


async def test_scoring_marks_are_handed_over_once(storage: Storage) -> None:
    """Marks from several processes merge; taking them empties the store."""
    assert await storage.take_scoring_marks() == {}
    await storage.add_scoring_marks({"u1": {"2026-11", "2026-12"}, "u2": ["2026-12"]})
    await storage.add_scoring_marks({"u1": ["2026-12"], "u3": []})
    assert await storage.take_scoring_marks() == {
        "u1": {"2026-11", "2026-12"},
        "u2": {"2026-12"},
    }
    assert await storage.take_scoring_marks() == {}


async def test_shared_state_replaced_by_name(storage: Storage) -> None:
    """A JSON document per name: stored, replaced, read back as it was."""
    assert await storage.get_shared_state("leaderboards/s1") is None
    board = {"boards": {"overall": {"players": [{"rank": 1, "points": 12.5}]}}}
    await storage.put_shared_state("leaderboards/s1", board)
    await storage.put_shared_state("leaderboards/s2", {"boards": {}})
    assert await storage.get_shared_state("leaderboards/s1") == board
    newer = {"boards": {"overall": {"players": [], "as_of": "2026-12-07"}}}
    await storage.put_shared_state("leaderboards/s1", newer)
    assert await storage.get_shared_state("leaderboards/s1") == newer
    assert await storage.get_shared_state("leaderboards/s2") == {"boards": {}}


async def test_leases_are_not_exported(storage: Storage) -> None:
    """Leases, marks and shared state are run-time state: not in exports."""
    await storage.acquire_lease("scoring", "a", 30)
    await storage.add_scoring_marks({"u1": ["2026-12"]})
    await storage.put_shared_state("leaderboards/s1", {"boards": {}})
    document = await storage.export_data()
    assert not {"leases", "scoring_marks", "shared_state"} & set(document)
    assert all(rows == [] for rows in document.values() if isinstance(rows, list))


async def test_sqlite_schema_3_gains_the_lease_tables(tmp_path: Path) -> None:
    """A schema-3 file migrates: the lease, mark and shared-state tables appear."""
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for migration in MIGRATIONS[:3]:
            for statement in migration:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 3")
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        assert await storage.schema_version() == SCHEMA_VERSION >= 4
        assert await storage.acquire_lease("scoring", "a", 30) is not None
        await storage.add_scoring_marks({"u1": ["2026-12"]})
        assert await storage.take_scoring_marks() == {"u1": {"2026-12"}}
        await storage.put_shared_state("x", {"a": 1})
        assert await storage.get_shared_state("x") == {"a": 1}
    finally:
        await storage.close()
