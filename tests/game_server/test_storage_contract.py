"""Storage contract: the same behaviour from SQLite (real file) and MongoDB.

MongoDB runs through ``mongomock`` here (no server can be installed on the CI machines),
and against a real server when ``SUNSHARE_TEST_MONGODB_URI`` is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
import itertools
import os
from pathlib import Path
import re
import sqlite3
from typing import Any
import uuid

import mongomock
import pytest

from game_server import codec
from game_server.codec import CodecError, from_record, to_record
from game_server.models import (
    ActionDeclaration,
    ApiToken,
    AuditEntry,
    CatalogueAction,
    DailyReading,
    EnedisReading,
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
from game_server.storage import (
    ConflictError,
    Storage,
    StorageError,
    Upserted,
    open_storage,
)
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
    # (A connection's own context manager commits but does not close it.)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer = SQLiteStorage(path)
    with pytest.raises(StorageError, match="newer"):
        await newer.open()
    with pytest.raises(StorageError):
        await newer.get_user("x")
    # The refused file's connection was closed, not left to the garbage collector.
    assert _open_descriptors(path) == []


def _open_descriptors(path: Path) -> list[str]:
    """Return this process's file descriptors open on ``path`` (Linux's /proc)."""
    found = []
    for descriptor in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(descriptor) == str(path):
                found.append(descriptor.name)
    return found


def test_open_storage_urls(tmp_path: Path) -> None:
    assert isinstance(open_storage(None, tmp_path), SQLiteStorage)
    sqlite_storage = open_storage(f"sqlite:///{tmp_path}/x.db", tmp_path)
    assert isinstance(sqlite_storage, SQLiteStorage)
    assert sqlite_storage.path == tmp_path / "x.db"
    assert isinstance(open_storage("mongodb://localhost:1/db", tmp_path), MongoStorage)
    with pytest.raises(StorageError):
        open_storage("postgres://x", tmp_path)


async def test_bulk_reads_of_several_households(storage: Storage) -> None:
    """Each ``*_by_user`` read equals the single-household reads, for every user asked."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    for user in (alice, bob, carol):
        await storage.add_user(user)
    day = date(2026, 11, 10)
    for offset in range(4):
        for user, slots in ((alice, [0.25] * 48), (bob, [1, None, 2])):
            await storage.upsert_reading(
                DailyReading(
                    user_id=user.id,
                    day=day + timedelta(days=offset),
                    import_kwh=3.0 + offset,
                    import_slots=slots,  # type: ignore[arg-type]
                )
            )
        await storage.upsert_enedis_reading(
            EnedisReading(
                user_id=bob.id, day=day + timedelta(days=offset), import_kwh=4.0
            )
        )
        await storage.upsert_meter_index(
            MeterIndex(
                user_id=carol.id,
                day=day + timedelta(weeks=offset),
                import_index_kwh=100.0 * offset,
            )
        )
        await storage.add_shedding_event(
            SheddingEvent(
                id=f"event-{offset}",
                user_id=alice.id,
                start=T0 + timedelta(days=offset),
                end=T0 + timedelta(days=offset, hours=1),
                declared_w=1500,
            )
        )
        await storage.add_action_declaration(
            ActionDeclaration(
                user_id=bob.id, action_id="led", day=day + timedelta(days=offset)
            )
        )
    ids = [alice.id, bob.id, carol.id, "nobody"]
    start, end = day + timedelta(days=1), day + timedelta(days=2)

    readings = await storage.readings_by_user(ids, start, end)
    assert list(readings) == ids
    for user_id in ids:
        assert readings[user_id] == await storage.list_readings(user_id, start, end)
    assert readings[bob.id][0].import_slots == [1.0, None, 2.0]
    assert readings["nobody"] == []
    totals = await storage.readings_by_user([alice.id], slots=False)
    assert [r.import_kwh for r in totals[alice.id]] == [3.0, 4.0, 5.0, 6.0]
    assert all(
        r.import_slots is None and r.export_slots is None for r in totals[alice.id]
    )
    # Without the stamps, everything but ``updated_at`` is what was stored.
    stored = await storage.list_readings(alice.id)
    unstamped = (await storage.readings_by_user([alice.id], stamps=False))[alice.id]
    assert [
        replace(reading, updated_at=original.updated_at)
        for reading, original in zip(unstamped, stored, strict=True)
    ] == stored

    enedis = await storage.enedis_readings_by_user(ids, start, end)
    for user_id in ids:
        assert enedis[user_id] == await storage.list_enedis_readings(
            user_id, start, end
        )
    assert len(enedis[bob.id]) == 2

    indexes = await storage.meter_indexes_by_user([carol.id, alice.id])
    assert indexes == {
        carol.id: await storage.list_meter_indexes(carol.id),
        alice.id: [],
    }
    assert len(indexes[carol.id]) == 4

    since, until = T0 + timedelta(days=1), T0 + timedelta(days=3)
    events = await storage.shedding_events_by_user(ids, since, until)
    for user_id in ids:
        assert events[user_id] == await storage.list_shedding_events(
            user_id, since, until
        )
    assert [e.id for e in events[alice.id]] == ["event-1", "event-2", "event-3"]

    declarations = await storage.action_declarations_by_user(ids, start, end)
    for user_id in ids:
        assert declarations[user_id] == await storage.list_action_declarations(
            user_id, start, end
        )
    assert len(declarations[bob.id]) == 2
    assert await storage.readings_by_user([]) == {}


def _score(season: Season, user: User, month: str, points: float) -> ScoreEntry:
    """Return a score entry of a household's month."""
    return ScoreEntry(
        season_id=season.id,
        user_id=user.id,
        challenge="sobriety",
        month=month,
        points=points,
        card={"points": points},
    )


async def test_replace_scores_of_several_households_at_once(storage: Storage) -> None:
    """Named households' scores are replaced together; others are left alone."""
    season = make_season()
    await storage.add_season(season)
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    for user in (alice, bob, carol):
        await storage.add_user(user)
    await storage.replace_scores_many(
        season.id,
        {
            alice.id: [_score(season, alice, "2026-11", 1.0)],
            bob.id: [_score(season, bob, m, 2.0) for m in ("2026-11", "2026-12")],
            carol.id: [_score(season, carol, "2026-11", 3.0)],
        },
    )
    assert len(await storage.list_scores(season.id)) == 4
    await storage.replace_scores_many(
        season.id,
        {bob.id: [_score(season, bob, "2026-12", 5.0)], carol.id: []},
    )
    assert [e.points for e in await storage.list_scores(season.id, alice.id)] == [1.0]
    assert [e.points for e in await storage.list_scores(season.id, bob.id)] == [5.0]
    assert await storage.list_scores(season.id, carol.id) == []
    await storage.replace_scores_many(season.id, {})

    # An entry of another household is refused before anything is written.
    with pytest.raises(StorageError):
        await storage.replace_scores_many(
            season.id,
            {
                alice.id: [_score(season, alice, "2026-12", 9.0)],
                bob.id: [_score(season, alice, "2026-12", 9.0)],
            },
        )
    assert [e.points for e in await storage.list_scores(season.id, alice.id)] == [1.0]
    # Two entries with the same key: a conflict.
    with pytest.raises(ConflictError):
        await storage.replace_scores_many(
            season.id, {carol.id: [_score(season, carol, "2026-11", 1.0)] * 2}
        )


async def test_sqlite_replaces_scores_in_one_transaction(tmp_path: Path) -> None:
    """A refused batch leaves every household's previous scores in place."""
    storage = SQLiteStorage(tmp_path / "game.db")
    await storage.open()
    try:
        season = make_season()
        await storage.add_season(season)
        alice, bob = make_user("alice"), make_user("bob")
        for user in (alice, bob):
            await storage.add_user(user)
        before = {
            alice.id: [_score(season, alice, "2026-11", 1.0)],
            bob.id: [_score(season, bob, "2026-11", 2.0)],
        }
        await storage.replace_scores_many(season.id, before)
        with pytest.raises(ConflictError):
            await storage.replace_scores_many(
                season.id,
                {
                    alice.id: [_score(season, alice, "2026-12", 7.0)],
                    bob.id: [_score(season, bob, "2026-12", 8.0)] * 2,
                },
            )
        stored = sorted(
            (e.user_id, e.points) for e in await storage.list_scores(season.id)
        )
        assert stored == sorted([(alice.id, 1.0), (bob.id, 2.0)])
    finally:
        await storage.close()


async def test_worker_url(storage: Storage, tmp_path: Path) -> None:
    """SQLite files and URL-opened MongoDB databases can be opened by other processes."""
    if isinstance(storage, SQLiteStorage):
        assert storage.worker_url() == f"sqlite:///{storage.path.resolve()}"
        reopened = open_storage(storage.worker_url(), tmp_path)
        assert isinstance(reopened, SQLiteStorage)
        assert reopened.path == storage.path.resolve()
    else:
        assert isinstance(storage, MongoStorage)
        assert storage.worker_url() is None  # an injected client: not shareable
    assert MongoStorage("mongodb://db:27017/game").worker_url() == (
        "mongodb://db:27017/game"
    )
    assert MongoStorage("mongodb://db", database="x").worker_url() is None


def test_codec_decodes_half_hours_strictly() -> None:
    """Slots decode to floats (integers widened, nulls kept); anything else is refused."""
    record = to_record(
        DailyReading(user_id="u", day=date(2026, 11, 10), import_kwh=1.0)
    )
    decoded = from_record(DailyReading, {**record, "import_slots": [1, 0.5, None]})
    assert decoded.import_slots == [1.0, 0.5, None]
    assert all(type(v) is float for v in decoded.import_slots if v is not None)
    floats = [0.25] * 48
    decoded = from_record(DailyReading, {**record, "import_slots": floats})
    assert decoded.import_slots == floats and decoded.import_slots is not floats
    for bad, message in (
        ([1, True], "expected a number"),
        (["1"], "expected a number"),
        ("1,2", "expected a list"),
    ):
        with pytest.raises(CodecError, match=rf"DailyReading\.import_slots: {message}"):
            from_record(DailyReading, {**record, "import_slots": bad})
    with pytest.raises(CodecError, match=r"AuditEntry\.at: must not be null"):
        from_record(
            AuditEntry,
            {
                **to_record(AuditEntry(actor_id=None, action="a", target_type="t")),
                "at": None,
            },
        )
    with pytest.raises(CodecError, match=r"DailyReading\.import_kwh: missing"):
        from_record(DailyReading, {"user_id": "u", "day": "2026-11-10"})
    with pytest.raises(CodecError, match=r"DailyReading\.source: 'solar' is not"):
        from_record(DailyReading, {**record, "source": "solar"})


def test_codec_follows_forgotten_field_types() -> None:
    """Decoding plans are rebuilt when the resolved field types are forgotten."""
    record = to_record(make_user("zoe"))
    assert from_record(User, record).username == "zoe"
    codec._HINTS.clear()  # what the game-link tests do around freezegun
    assert from_record(User, record) == from_record(User, record)
    assert codec._PLANS[User].hints is codec._HINTS[User]


@dataclass(kw_only=True)
class _Sample:
    """A model with every kind of field the codec decodes."""

    anything: Any = None
    either: int | str = 0
    flag: bool = False
    numbers: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    odd: complex = 0j


def test_codec_decodes_every_kind_of_field() -> None:
    """Each field type decodes its values and refuses the others with a clear error."""
    sample = from_record(
        _Sample,
        {
            "anything": {"a": 1},
            "either": 3,
            "flag": 1,
            "numbers": [1, 2.5],
            "counts": [4],
        },
    )
    assert sample.anything == {"a": 1} and sample.either == 3 and sample.flag is True
    assert sample.numbers == [1.0, 2.5] and type(sample.numbers[0]) is float
    assert sample.counts == [4]
    for record, message in (
        ({"either": None}, "_Sample.either: must not be null"),
        ({"flag": None}, "_Sample.flag: must not be null"),
        ({"flag": 2}, "_Sample.flag: expected a boolean"),
        ({"numbers": [None]}, "_Sample.numbers: must not be null"),
        ({"counts": "4"}, "_Sample.counts: expected a list"),
        ({"counts": [True]}, "_Sample.counts: expected an integer"),
        ({"odd": None}, "_Sample.odd: must not be null"),
        ({"odd": "1j"}, "_Sample.odd: unsupported type"),
    ):
        with pytest.raises(CodecError, match=re.escape(message)):
            from_record(_Sample, record)
    with pytest.raises(CodecError, match="expected an object"):
        from_record(_Sample, [])  # type: ignore[arg-type]


async def test_scores_of_one_challenge(storage: Storage) -> None:
    """``list_scores`` keeps one challenge's entries (of all households or of one)."""
    season = make_season()
    await storage.add_season(season)
    alice, bob = make_user("alice"), make_user("bob")
    for user in (alice, bob):
        await storage.add_user(user)

    def entry(user: User, challenge: str, month: str, points: float) -> ScoreEntry:
        return ScoreEntry(
            season_id=season.id,
            user_id=user.id,
            challenge=challenge,
            month=month,
            points=points,
            card={"factors": {"shed_kwh": points}},
        )

    await storage.replace_scores_many(
        season.id,
        {
            alice.id: [
                entry(alice, "shedding", "2026-11", 1.0),
                entry(alice, "sobriety", "2026-11", 2.0),
                entry(alice, "shedding", "2026-12", 3.0),
            ],
            bob.id: [entry(bob, "shedding", "2026-11", 4.0)],
        },
    )
    shedding = await storage.list_scores(season.id, challenge="shedding")
    assert sorted((e.user_id == alice.id, e.month, e.points) for e in shedding) == [
        (False, "2026-11", 4.0),
        (True, "2026-11", 1.0),
        (True, "2026-12", 3.0),
    ]
    assert [
        e.card for e in await storage.list_scores(season.id, alice.id, "sobriety")
    ] == [{"factors": {"shed_kwh": 2.0}}]
    assert await storage.list_scores(season.id, bob.id, "sobriety") == []
    assert len(await storage.list_scores(season.id)) == 4


async def test_upsert_readings_in_bulk(storage: Storage) -> None:
    """Many days at once: created, replaced or unchanged each, the same on both."""
    alice, bob = make_user("alice"), make_user("bob")
    for user in (alice, bob):
        await storage.add_user(user)
    day = date(2026, 11, 10)
    stamp = T0 + timedelta(days=10)

    def reading(user: User, offset: int, kwh: float, **kwargs: Any) -> DailyReading:
        return DailyReading(
            user_id=user.id,
            day=day + timedelta(days=offset),
            import_kwh=kwh,
            updated_at=stamp,
            **kwargs,
        )

    first = [
        reading(alice, 0, 10.5, import_slots=[0.1] * 47 + [None], t_mean_c=4.5),
        reading(alice, 1, 11.0),
        reading(bob, 0, 3.0, export_kwh=1.25, battery_charge_kwh=0.5),
    ]
    assert await storage.upsert_readings(first) == [Upserted.CREATED] * 3
    assert await storage.list_readings(alice.id) == first[:2]
    assert await storage.list_readings(bob.id) == first[2:]
    assert await storage.upsert_readings([]) == []

    later = stamp + timedelta(hours=1)
    again = [
        replace(first[0], updated_at=later),  # same values: not written
        replace(first[1], import_kwh=12.0, updated_at=later),
        replace(first[2], import_slots=[0.2] * 48, updated_at=later),
        reading(alice, 2, 1.0),
    ]
    assert await storage.upsert_readings(again) == [
        Upserted.UNCHANGED,
        Upserted.REPLACED,
        Upserted.REPLACED,
        Upserted.CREATED,
    ]
    stored = await storage.list_readings(alice.id)
    assert stored == [first[0], again[1], again[3]]
    assert stored[0].updated_at == stamp  # the unchanged day kept its stamp
    assert await storage.get_reading(bob.id, day) == again[2]
    # The same household day twice in a batch is refused: nothing is written.
    with pytest.raises(StorageError):
        await storage.upsert_readings([reading(bob, 5, 1.0), reading(bob, 5, 2.0)])
    assert await storage.get_reading(bob.id, day + timedelta(days=5)) is None
    # A batch bigger than one SQL ``IN`` list (500 keys) of one household.
    year = [reading(bob, offset - 600, 0.5) for offset in range(600)]
    assert await storage.upsert_readings(year) == [Upserted.CREATED] * 600
    assert await storage.upsert_readings(year) == [Upserted.UNCHANGED] * 600


async def test_sqlite_upserts_readings_in_one_transaction(tmp_path: Path) -> None:
    """A batch failing in the middle of its write leaves nothing half-written."""
    storage = SQLiteStorage(tmp_path / "game.db")
    await storage.open()
    try:
        alice = make_user("alice")
        await storage.add_user(alice)
        day = date(2026, 11, 10)
        kept = DailyReading(user_id=alice.id, day=day, import_kwh=1.0)
        await storage.upsert_reading(kept)
        # The database refuses the batch's 3rd write (after two went through).
        with sqlite3.connect(storage.path) as conn:
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON readings "
                "WHEN NEW.day = '2026-11-12' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        batch = [
            replace(kept, import_kwh=2.0),
            DailyReading(user_id=alice.id, day=day + timedelta(days=1), import_kwh=3),
            DailyReading(user_id=alice.id, day=day + timedelta(days=2), import_kwh=4),
        ]
        with pytest.raises(StorageError):
            await storage.upsert_readings(batch)
        assert await storage.list_readings(alice.id) == [kept]
    finally:
        await storage.close()
