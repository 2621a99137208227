"""Storage contract: the same behaviour from SQLite (real file) and MongoDB.

MongoDB runs through ``mongomock`` here (no server can be installed on the CI machines),
and against a real server when ``SUNSHARE_TEST_MONGODB_URI`` is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import itertools
import os
from pathlib import Path
import sqlite3
import uuid

import mongomock
import pytest

from game_server.models import (
    ActionDeclaration,
    ApiToken,
    AuditEntry,
    CatalogueAction,
    DailyReading,
    Membership,
    MeterIndex,
    Mode,
    PeakEvent,
    PeakWindow,
    Role,
    ScoreEntry,
    Season,
    SheddingEvent,
    Team,
    User,
    Verification,
)
from game_server.storage import ConflictError, Storage, StorageError, open_storage
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import SCHEMA_VERSION, SQLiteStorage

MONGO_URI = os.environ.get("SUNSHARE_TEST_MONGODB_URI")
T0 = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


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
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Storage]:
    """Yield an opened, empty storage of each backend."""
    backend: Storage
    if request.param == "sqlite":
        backend = SQLiteStorage(tmp_path / "game.db")
    elif request.param == "mongomock":
        backend = MongoStorage(client=mongomock.MongoClient(), database="contract")
    else:
        backend = MongoStorage(MONGO_URI, database=f"sunshare_test_{uuid.uuid4().hex}")
    await backend.open()
    yield backend
    if request.param == "mongodb":
        assert isinstance(backend, MongoStorage)
        backend._client.drop_database(backend._db.name)
    await backend.close()


_CREATED = itertools.count()


def make_user(name: str, prm: str | None = None, **kwargs: object) -> User:
    """Return an account to store (each one created a second after the previous)."""
    return User(
        username=name,
        display_name=name.title(),
        password_hash="$argon2id$fake",
        prm=prm,
        created_at=T0 + timedelta(seconds=next(_CREATED)),
        **kwargs,  # type: ignore[arg-type]
    )


def make_season() -> Season:
    """Return a season to store."""
    return Season(
        name="Winter 2026",
        start=date(2026, 11, 1),
        end=date(2027, 3, 31),
        peak_windows=[PeakWindow(start="18:00", end="20:00", months=[11, 12])],
        settings={"target_reduction_pct": -8.0},
    )


async def test_users_unique_username_and_prm(storage: Storage) -> None:
    alice = make_user("alice", "12345678901234", adults=2, solar_kwc=3.5)
    await storage.add_user(alice)
    assert await storage.get_user(alice.id) == alice
    assert await storage.get_user_by_username("alice") == alice
    assert await storage.get_user_by_prm("12345678901234") == alice
    with pytest.raises(ConflictError) as err:
        await storage.add_user(make_user("alice"))
    assert err.value.field == "username"
    with pytest.raises(ConflictError) as err:
        await storage.add_user(make_user("bob", "12345678901234"))
    assert err.value.field == "prm"
    # Accounts without PRM never conflict with each other.
    await storage.add_user(make_user("carol"))
    await storage.add_user(make_user("dave"))
    assert [u.username for u in await storage.list_users()] == [
        "alice",
        "carol",
        "dave",
    ]
    dave = await storage.get_user_by_username("dave")
    assert dave is not None
    dave.prm = "12345678901234"
    with pytest.raises(ConflictError) as err:
        await storage.update_user(dave)
    assert err.value.field == "prm"
    dave.prm = "99999999999999"
    dave.mode = Mode.SIMPLIFIED
    dave.role = Role.ADMIN
    await storage.update_user(dave)
    assert await storage.get_user(dave.id) == dave
    assert await storage.get_user("missing") is None


async def test_teams_memberships_one_team_per_season(storage: Storage) -> None:
    season = make_season()
    await storage.add_season(season)
    assert await storage.get_season(season.id) == season
    alice, bob = make_user("alice"), make_user("bob")
    await storage.add_user(alice)
    await storage.add_user(bob)
    red = Team(name="Red", invite_code="AAAA", captain_id=alice.id, season_id=season.id)
    blue = Team(name="Blue", invite_code="BBBB", captain_id=bob.id, season_id=season.id)
    await storage.add_team(red)
    await storage.add_team(blue)
    with pytest.raises(ConflictError) as err:
        await storage.add_team(
            Team(name="Red", invite_code="CCCC", captain_id=None, season_id=season.id)
        )
    assert err.value.field == "team_name"
    with pytest.raises(ConflictError) as err:
        await storage.add_team(
            Team(name="Green", invite_code="AAAA", captain_id=None, season_id=season.id)
        )
    assert err.value.field == "invite_code"
    assert await storage.get_team_by_invite_code("BBBB") == blue
    await storage.add_membership(
        Membership(team_id=red.id, user_id=alice.id, season_id=season.id, joined_at=T0)
    )
    with pytest.raises(ConflictError) as err:
        await storage.add_membership(
            Membership(team_id=blue.id, user_id=alice.id, season_id=season.id)
        )
    assert err.value.field == "membership"
    await storage.add_membership(
        Membership(team_id=blue.id, user_id=bob.id, season_id=season.id)
    )
    assert [m.user_id for m in await storage.list_memberships(team_id=red.id)] == [
        alice.id
    ]
    assert len(await storage.list_memberships(season_id=season.id)) == 2
    membership = await storage.get_membership(alice.id, season.id)
    assert membership is not None
    assert membership.team_id == red.id
    await storage.delete_team(red.id)
    assert await storage.get_team(red.id) is None
    assert await storage.get_membership(alice.id, season.id) is None
    assert await storage.delete_membership(bob.id, season.id)
    assert not await storage.delete_membership(bob.id, season.id)
    blue.name = "Navy"
    await storage.update_team(blue)
    assert [t.name for t in await storage.list_teams(season.id)] == ["Navy"]


async def test_readings_upsert_replaces(storage: Storage) -> None:
    alice = make_user("alice")
    await storage.add_user(alice)
    day = date(2026, 11, 10)
    first = DailyReading(
        user_id=alice.id,
        day=day,
        import_kwh=10.5,
        export_kwh=1.25,
        import_slots=[0.1] * 47 + [None],
    )
    assert await storage.upsert_reading(first) is True
    second = DailyReading(user_id=alice.id, day=day, import_kwh=8.0, t_mean_c=4.5)
    assert await storage.upsert_reading(second) is False
    assert await storage.get_reading(alice.id, day) == second
    await storage.upsert_reading(
        DailyReading(user_id=alice.id, day=day + timedelta(days=1), import_kwh=1)
    )
    readings = await storage.list_readings(alice.id)
    assert [r.day for r in readings] == [day, day + timedelta(days=1)]
    assert await storage.list_readings(alice.id, start=day + timedelta(days=1)) == [
        readings[1]
    ]
    assert await storage.list_readings(alice.id, end=day) == [second]


async def test_shedding_events_idempotent(storage: Storage) -> None:
    alice = make_user("alice")
    await storage.add_user(alice)
    event = SheddingEvent(
        id=str(uuid.uuid4()),
        user_id=alice.id,
        start=T0,
        end=T0 + timedelta(hours=1),
        declared_w=2000,
    )
    stored, created = await storage.add_shedding_event(event)
    assert created and stored == event
    again = SheddingEvent(
        id=event.id,
        user_id=alice.id,
        start=T0,
        end=T0 + timedelta(hours=2),
        declared_w=1,
    )
    stored, created = await storage.add_shedding_event(again)
    assert not created and stored == event
    assert await storage.list_shedding_events(alice.id) == [event]
    assert await storage.list_shedding_events(alice.id, start=T0 + timedelta(1)) == []


async def test_tokens_actions_indexes_audit_peaks_scores(storage: Storage) -> None:
    season = make_season()
    await storage.add_season(season)
    alice = make_user("alice")
    await storage.add_user(alice)
    token = ApiToken(user_id=alice.id, device_name="HA", token_hash="h1")
    await storage.add_token(token)
    with pytest.raises(ConflictError) as err:
        await storage.add_token(
            ApiToken(user_id=alice.id, device_name="x", token_hash="h1")
        )
    assert err.value.field == "token_hash"
    await storage.touch_token(token.id, T0)
    fetched = await storage.get_token_by_hash("h1")
    assert fetched is not None and fetched.last_used_at == T0
    assert [t.id for t in await storage.list_tokens(alice.id)] == [token.id]
    assert await storage.delete_token(token.id)
    assert await storage.get_token_by_hash("h1") is None

    action = CatalogueAction(
        id="heating_19c",
        domain="heating",
        level=1,
        base_points=10,
        recurring=True,
        title_fr="Chauffer à 19 °C",
        title_en="Heat to 19 °C",
    )
    assert await storage.upsert_catalogue_action(action)
    assert await storage.list_catalogue() == [action]
    declaration = ActionDeclaration(
        user_id=alice.id, action_id=action.id, day=date(2026, 11, 3), evidence="photo"
    )
    await storage.add_action_declaration(declaration)
    declaration.verification = Verification.VERIFIED
    await storage.update_action_declaration(declaration)
    assert await storage.get_action_declaration(declaration.id) == declaration
    assert await storage.list_action_declarations(alice.id) == [declaration]
    assert await storage.delete_catalogue_action(action.id)

    index = MeterIndex(
        user_id=alice.id, day=date(2026, 11, 3), import_index_kwh=12345.6
    )
    assert await storage.upsert_meter_index(index)
    assert not await storage.upsert_meter_index(index)
    assert await storage.list_meter_indexes(alice.id) == [index]

    for minute in range(3):
        await storage.add_audit(
            AuditEntry(
                at=T0 + timedelta(minutes=minute),
                actor_id=None,
                action=f"test.{minute}",
                target_type="user",
                details={"n": minute},
            )
        )
    audit = await storage.list_audit(limit=2)
    assert [a.action for a in audit] == ["test.2", "test.1"]
    assert [a.action for a in await storage.list_audit(limit=2, offset=2)] == ["test.0"]

    peak = PeakEvent(season_id=season.id, start=T0, end=T0 + timedelta(hours=2))
    await storage.add_peak_event(peak)
    assert await storage.list_peak_events(season.id) == [peak]
    assert await storage.delete_peak_event(peak.id)

    entry = ScoreEntry(
        season_id=season.id,
        user_id=alice.id,
        challenge="sobriety",
        month="2026-11",
        points=12.5,
        card={"method": "regression"},
    )
    await storage.replace_scores(season.id, alice.id, [entry])
    await storage.replace_scores(season.id, alice.id, [entry])
    assert await storage.list_scores(season.id) == [entry]
    with pytest.raises(StorageError):
        await storage.replace_scores(season.id, "other", [entry])


async def test_export_import_round_trip(storage: Storage, tmp_path: Path) -> None:
    season = make_season()
    await storage.add_season(season)
    alice = make_user("alice", "12345678901234", electric_heating=True)
    await storage.add_user(alice)
    team = Team(
        name="Red", invite_code="AAAA", captain_id=alice.id, season_id=season.id
    )
    await storage.add_team(team)
    await storage.add_membership(
        Membership(team_id=team.id, user_id=alice.id, season_id=season.id)
    )
    await storage.upsert_reading(
        DailyReading(
            user_id=alice.id,
            day=date(2026, 11, 3),
            import_kwh=0.1 + 0.2,
            export_slots=[None, 0.333333333333],
        )
    )
    await storage.add_audit(
        AuditEntry(actor_id=alice.id, action="x", target_type="y", details={"a": [1]})
    )
    document = await storage.export_data()
    assert document["users"][0]["username"] == "alice"
    with pytest.raises(ConflictError):
        await storage.import_data(document)
    target = SQLiteStorage(tmp_path / "copy.db")
    await target.open()
    try:
        await target.import_data(document)
        assert await target.export_data() == document
        assert await target.get_reading(alice.id, date(2026, 11, 3)) == (
            await storage.get_reading(alice.id, date(2026, 11, 3))
        )
    finally:
        await target.close()
    other = MongoStorage(client=mongomock.MongoClient(), database="copy")
    await other.open()
    try:
        await other.import_data(document)
        assert await other.export_data() == document
    finally:
        await other.close()
    with pytest.raises(StorageError):
        await storage.import_data({"format": "something else"})


async def test_ping(storage: Storage) -> None:
    assert await storage.ping()


async def test_sqlite_wal_foreign_keys_and_migrations(tmp_path: Path) -> None:
    path = tmp_path / "game.db"
    storage = SQLiteStorage(path)
    await storage.open()
    assert await storage.schema_version() == SCHEMA_VERSION
    with pytest.raises(StorageError):
        # A membership of an unknown team breaks a foreign key.
        await storage.add_membership(
            Membership(team_id="x", user_id="y", season_id="z")
        )
    await storage.close()
    await storage.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer = SQLiteStorage(path)
    with pytest.raises(StorageError, match="newer"):
        await newer.open()
    with pytest.raises(StorageError):
        await newer.get_user("x")


def test_open_storage_urls(tmp_path: Path) -> None:
    assert isinstance(open_storage(None, tmp_path), SQLiteStorage)
    sqlite_storage = open_storage(f"sqlite:///{tmp_path}/x.db", tmp_path)
    assert isinstance(sqlite_storage, SQLiteStorage)
    assert sqlite_storage.path == tmp_path / "x.db"
    assert isinstance(open_storage("mongodb://localhost:1/db", tmp_path), MongoStorage)
    with pytest.raises(StorageError):
        open_storage("postgres://x", tmp_path)
