"""The scoring job under the store's ``scoring`` lease (several jobs, one store).

Two ``ScoringJob`` objects on one SQLite file stand for two server processes: only the
lease holder runs passes, the other hands its dirty marks over through the store and
serves the leaderboards the holder published; a lease lost mid-pass stops the pass.
The Enedis reconciliation's daily run is taken once per store too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
import sqlite3
from typing import Any

import pytest

from game_server import scoring_job
from game_server.demo import TEAMS, seed_demo
from game_server.enedis.reconciliation import RUN_LEASE_NAME, ReconciliationJob
from game_server.leases import LeaseKeeper, LeaseLost
from game_server.models import Season
from game_server.scoring_job import LEASE_NAME, ScoringJob
from game_server.services import GameService
from game_server.storage.sqlite import SQLiteStorage

PLAYERS = sum(len(names) for names in TEAMS.values())


@dataclass
class Store:
    """Two storage objects (two connections) on one seeded SQLite file."""

    one: SQLiteStorage
    two: SQLiteStorage
    season: Season
    service: GameService


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed the demo season once (each test copies the file)."""
    path = tmp_path_factory.mktemp("template") / "game.db"

    async def seed() -> None:
        storage = SQLiteStorage(path)
        await storage.open()
        try:
            service = GameService(storage)
            await service.seed_catalogue()
            assert await seed_demo(service)
        finally:
            await storage.close()

    asyncio.run(seed())
    return path


@pytest.fixture
async def store(template: Path, tmp_path: Path) -> AsyncIterator[Store]:
    """Open a copy of the seeded file twice."""
    path = tmp_path / "game.db"
    with (
        contextlib.closing(sqlite3.connect(template)) as src,
        contextlib.closing(sqlite3.connect(path)) as dst,
    ):
        src.backup(dst)
    one = SQLiteStorage(path)
    await one.open()
    service = GameService(one)
    two = SQLiteStorage(path)
    await two.open()
    (season,) = await one.list_seasons()
    try:
        yield Store(one, two, season, service)
    finally:
        await one.close()
        await two.close()


async def test_one_job_scores_the_other_hands_over(store: Store) -> None:
    """The holder runs every pass; the other's marks reach it through the store."""
    today = store.service.today()
    first, second = ScoringJob(store.one, workers=1), ScoringJob(store.two, workers=1)
    outcome = await first.run_pass(today, full=True)
    assert outcome is not None and outcome.full
    assert len(outcome.reports[0].recomputed) == PLAYERS
    assert await second.run_pass(today, full=True) is None
    lease = await store.one.get_lease(LEASE_NAME)
    assert lease is not None and lease.holder == first.keeper().holder
    # A reading the second process received: its mark goes through the store.
    user = await store.two.get_user_by_username("amelie")
    assert user is not None
    second.mark_dirty(user.id, today - timedelta(days=2))
    assert await second.run_pass(today, full=False) is None
    assert second.dirty == {}
    outcome = await first.run_pass(today, full=False)
    assert outcome is not None and not outcome.full
    assert user.id in outcome.reports[0].recomputed
    assert await store.one.take_scoring_marks() == {}
    # The other serves the holder's leaderboard, as published in the store.
    board = await first.board(store.season, None)
    assert board is not None
    assert await second.board(store.season, None) == board
    assert await second.board(store.season, "energy") == await first.board(
        store.season, "energy"
    )
    # A clean stop releases the lease: the other takes it and starts with a full pass.
    await first.release()
    assert await store.one.get_lease(LEASE_NAME) is None
    outcome = await second.run_pass(today, full=False)
    assert outcome is not None and outcome.full
    assert await first.run_pass(today, full=False) is None
    assert first.states == {}  # its leaderboards would go stale: it serves the store's


async def test_lease_lost_mid_pass_stops_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder that finds its lease taken over between chunks stops the pass."""
    monkeypatch.setattr(scoring_job, "CHUNK_HOUSEHOLDS", 2)  # six chunks
    today = store.service.today()
    job = ScoringJob(store.one, workers=1)
    assert await job.run_pass(today, full=True) is not None
    written: list[int] = []
    original = store.one.replace_scores_many

    async def steal_after_first_write(season_id: str, entries: Any) -> None:
        await original(season_id, entries)
        written.append(len(entries))
        if len(written) == 1:
            keeper = job.keeper()
            await store.two.release_lease(LEASE_NAME, keeper.holder)
            assert await store.two.acquire_lease(LEASE_NAME, "thief", 60)
            keeper._renewed = float("-inf")  # renew at the next chunk

    monkeypatch.setattr(store.one, "replace_scores_many", steal_after_first_write)
    user = await store.one.get_user_by_username("amelie")
    assert user is not None
    job.mark_dirty(user.id, today - timedelta(days=2))
    job.states.clear()  # a full pass that rewrites every household, chunk by chunk
    await store.one._run(store.one.conn.execute, "DELETE FROM scores")
    assert await job.run_pass(today, full=True) is None
    assert len(written) == 1  # stopped after its first chunk
    assert job.states == {} and not job.keeper().held
    # The new holder starts with a full pass (it took the lease over): nothing lost.
    thief = ScoringJob(store.two, workers=1)
    thief._keeper = LeaseKeeper(store.two, LEASE_NAME, holder="thief")
    outcome = await thief.run_pass(today, full=False)
    assert outcome is not None and outcome.full
    assert len(outcome.reports[0].recomputed) == PLAYERS
    assert len(outcome.reports[0].written) == PLAYERS - 2  # the first chunk's 2
    lease = await store.one.get_lease(LEASE_NAME)
    assert lease is not None and lease.holder == "thief"


async def test_keeper_logs_a_held_lease_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Skipping is logged once per other holder; renewing a lost lease raises."""
    mine = LeaseKeeper(store.one, "job", ttl=30, holder="me")
    other = LeaseKeeper(store.two, "job", ttl=30, holder="other")
    assert await other.acquire() is not None
    for _ in range(3):
        assert await mine.acquire() is None
    assert caplog.text.count("Lease job is held by other") == 1
    with pytest.raises(LeaseLost):
        await mine.renew(force=True)
    await other.release()
    taken = await mine.acquire()
    assert taken is not None and taken.previous_holder is None
    await mine.renew(force=True)


async def test_enedis_daily_run_is_taken_once(store: Store) -> None:
    """Two reconciliation jobs on one store: the day's run goes to one of them."""
    now = datetime(2026, 12, 8, 7, 30, tzinfo=UTC)

    def job() -> ReconciliationJob:
        return ReconciliationJob(store.service, client=None, now=lambda: now)  # type: ignore[arg-type]

    first, second = job(), job()
    assert await first._take_run()
    assert not await second._take_run()
    lease = await store.one.get_lease(RUN_LEASE_NAME)
    assert lease is not None and lease.holder == first.holder
    # The next day (the lease kept 12 h has expired) either may take it.
    now += timedelta(days=1)
    assert await second._take_run()
    assert not await first._take_run()
