"""Storage of certified Enedis days and equipment changes, on SQLite and MongoDB (mock).

Also: a SQLite file of schema 1 (before both) migrates and still loads, and an export
written before them imports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
import sqlite3

import mongomock
import pytest

from game_server.models import (
    DailyReading,
    EnedisReading,
    EquipmentChange,
    EquipmentKind,
    User,
)
from game_server.storage import Storage
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStorage

T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
DAY = date(2026, 11, 20)


@pytest.fixture(params=["sqlite", "mongomock"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Storage]:
    """Yield an opened, empty storage of each backend."""
    backend: Storage
    if request.param == "sqlite":
        backend = SQLiteStorage(tmp_path / "game.db")
    else:
        backend = MongoStorage(client=mongomock.MongoClient(), database="enedis")
    await backend.open()
    yield backend
    await backend.close()


def _user(name: str = "alice") -> User:
    """Return an account to store."""
    return User(username=name, display_name=name.title(), password_hash="x")


async def test_enedis_days_beside_readings(storage: Storage) -> None:
    """A certified day is its own record: upserts replace it, never the reading."""
    alice, bob = _user(), _user("bob")
    await storage.add_user(alice)
    await storage.add_user(bob)
    await storage.upsert_reading(
        DailyReading(user_id=alice.id, day=DAY, import_kwh=20.0)
    )
    certified = EnedisReading(user_id=alice.id, day=DAY, import_kwh=10.0, fetched_at=T0)
    assert await storage.upsert_enedis_reading(certified) is True
    certified.export_kwh = 1.5
    assert await storage.upsert_enedis_reading(certified) is False
    await storage.upsert_enedis_reading(
        EnedisReading(user_id=bob.id, day=date(2026, 11, 21), import_kwh=7.0)
    )
    assert await storage.list_enedis_readings(alice.id) == [certified]
    assert [r.user_id for r in await storage.list_enedis_readings()] == [
        alice.id,
        bob.id,
    ]
    assert await storage.list_enedis_readings(start=date(2026, 11, 21)) == [
        EnedisReading(
            user_id=bob.id,
            day=date(2026, 11, 21),
            import_kwh=7.0,
            fetched_at=(await storage.list_enedis_readings(bob.id))[0].fetched_at,
        )
    ]
    assert await storage.list_enedis_readings(alice.id, end=date(2026, 11, 19)) == []
    reading = await storage.get_reading(alice.id, DAY)
    assert reading is not None and reading.import_kwh == 20.0


async def test_equipment_changes_round_trip(storage: Storage) -> None:
    """Declared changes are stored with the account, and exported with it."""
    alice = _user()
    alice.equipment_changes = [
        EquipmentChange(kind=EquipmentKind.HEAT_PUMP, day=DAY, note="air-eau")
    ]
    await storage.add_user(alice)
    stored = await storage.get_user(alice.id)
    assert stored is not None and stored.equipment_changes == alice.equipment_changes
    await storage.upsert_enedis_reading(
        EnedisReading(user_id=alice.id, day=DAY, import_kwh=10.0, fetched_at=T0)
    )
    document = await storage.export_data()
    assert document["users"][0]["equipment_changes"] == [
        {"kind": "heat_pump", "day": "2026-11-20", "note": "air-eau"}
    ]
    assert document["enedis_readings"] == [
        {
            "user_id": alice.id,
            "day": "2026-11-20",
            "import_kwh": 10.0,
            "export_kwh": None,
            "fetched_at": T0.isoformat(),
        }
    ]


async def test_old_export_imports(storage: Storage) -> None:
    """An export written before these fields and records still loads."""
    user = _user()
    record = {
        "id": user.id,
        "username": "alice",
        "display_name": "Alice",
        "password_hash": "x",
        "created_at": T0.isoformat(),
    }
    await storage.import_data(
        {"format": "sunshare-game-export", "version": 1, "users": [record]}
    )
    stored = await storage.get_user(user.id)
    assert stored is not None and stored.equipment_changes == []
    assert await storage.list_enedis_readings() == []


async def test_sqlite_schema_1_migrates(tmp_path: Path) -> None:
    """A database of schema 1 gains both and its accounts load unchanged."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
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
        assert await storage.schema_version() == SCHEMA_VERSION
        user = await storage.get_user("u1")
        assert user is not None
        assert (user.username, user.adults, user.equipment_changes) == ("old", 2, [])
        await storage.upsert_enedis_reading(
            EnedisReading(user_id="u1", day=DAY, import_kwh=3.0, fetched_at=T0)
        )
        assert len(await storage.list_enedis_readings("u1")) == 1
    finally:
        await storage.close()
