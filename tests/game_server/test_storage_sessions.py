"""Session generations in storage, on SQLite and MongoDB (mock).

Bumped atomically, never rolled back by saving a stale copy of the account; a schema-2
SQLite file migrates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
import sqlite3

import mongomock
import pytest

from game_server.models import User
from game_server.storage import Storage
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStorage

T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "mongomock"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Storage]:
    """Yield an opened, empty storage of each backend."""
    backend: Storage
    if request.param == "sqlite":
        backend = SQLiteStorage(tmp_path / "game.db")
    else:
        backend = MongoStorage(client=mongomock.MongoClient(), database="sessions")
    await backend.open()
    yield backend
    await backend.close()


def _user(name: str = "alice") -> User:
    """Return an account to store."""
    return User(username=name, display_name=name.title(), password_hash="x")


async def test_bump_is_atomic_and_survives_stale_saves(storage: Storage) -> None:
    """Concurrent bumps all count; ``update_user`` of an old copy keeps the generation."""
    alice, bob = _user(), _user("bob")
    await storage.add_user(alice)
    await storage.add_user(bob)
    stale = await storage.get_user(alice.id)
    assert stale is not None and stale.session_gen == 0
    assert await storage.bump_session_generation(alice.id) == 1
    results = await asyncio.gather(
        *(storage.bump_session_generation(alice.id) for _ in range(10))
    )
    assert sorted(r or 0 for r in results) == list(range(2, 12))
    # A request that loaded the account before the sign-out saves it afterwards: the
    # profile change is kept, the generation is not rolled back.
    await storage.update_user(replace(stale, display_name="Alice B."))
    stored = await storage.get_user(alice.id)
    assert stored is not None
    assert (stored.display_name, stored.session_gen) == ("Alice B.", 11)
    other = await storage.get_user(bob.id)
    assert other is not None and other.session_gen == 0
    assert await storage.bump_session_generation("missing") is None
    # Exports carry it; an import restores it.
    document = await storage.export_data()
    assert {u["username"]: u["session_gen"] for u in document["users"]} == {
        "alice": 11,
        "bob": 0,
    }


async def test_old_exports_and_documents_start_at_zero(storage: Storage) -> None:
    """An account stored before session generations reads as generation 0."""
    record = {
        "id": "u1",
        "username": "old",
        "display_name": "Old",
        "password_hash": "x",
        "created_at": T0.isoformat(),
    }
    await storage.import_data(
        {"format": "sunshare-game-export", "version": 1, "users": [record]}
    )
    stored = await storage.get_user("u1")
    assert stored is not None and stored.session_gen == 0
    assert await storage.bump_session_generation("u1") == 1


async def test_sqlite_schema_2_migrates(tmp_path: Path) -> None:
    """A schema-2 file gains the column (0 for every account) and bumps work."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for migration in MIGRATIONS[:2]:
            for statement in migration:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.execute(
            "INSERT INTO users (id, username, display_name, password_hash, role, "
            "disabled, prm, prm_verified, mode, adults, children, electric_heating, "
            "electric_hot_water, solar_kwc, city, postcode, language, created_at) "
            "VALUES ('u1', 'old', 'Old', 'x', 'player', 0, NULL, 0, 'full', 2, 0, "
            "1, 0, 0.0, NULL, NULL, 'fr', ?)",
            (T0.isoformat(),),
        )
    conn.close()
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        assert await storage.schema_version() == SCHEMA_VERSION >= 3
        user = await storage.get_user("u1")
        assert user is not None and user.session_gen == 0
        assert await storage.bump_session_generation("u1") == 1
    finally:
        await storage.close()
