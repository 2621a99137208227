"""The full pass over a stored season: bulk reads, chunks, batched writes, processes.

Every test scores the same varied season (metered and simplified households, solar,
shedding events, declared actions, certified Enedis days) stored in a real SQLite file,
and compares the job's stored cards and leaderboards with a plain reference: each
household read on its own through the single-household storage methods and scored with
the rules, as the job did before it read and wrote in bulk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import random
from typing import Any

import pytest

from game_server import models, scoring_job
from game_server.rules import score_household
from game_server.rules.models import PARIS
from game_server.scoring_job import (
    ScoringJob,
    _entries,
    _entry_json,
    aggregates_of,
    catalogue_definitions,
    contribution,
    explain_cards,
    history_start,
    household_input,
    season_settings,
    team_temperature,
)
from game_server.storage.sqlite import SQLiteStorage

START = date(2027, 1, 1)
END = date(2027, 2, 28)
TODAY = date(2027, 3, 2)
AS_OF = TODAY - timedelta(days=1)
HOUSEHOLDS = 23
TEAM_SIZE = 4


async def _seed(storage: SQLiteStorage) -> models.Season:
    """Store a small but varied season (the same one every time: seeded)."""
    rng = random.Random(7)
    season = models.Season(name="Winter", start=START, end=END)
    await storage.add_season(season)
    for action in ("led", "thermostat"):
        await storage.upsert_catalogue_action(
            models.CatalogueAction(
                id=action,
                domain="lighting",
                level=1,
                base_points=5,
                title_fr=action,
                title_en=action,
            )
        )
    team: models.Team | None = None
    for index in range(HOUSEHOLDS):
        simplified = index % 7 == 3
        solar = index % 3 == 0
        user = models.User(
            username=f"player{index}",
            display_name=f"Player {index}",
            password_hash="x",
            mode=models.Mode.SIMPLIFIED if simplified else models.Mode.FULL,
            adults=rng.randint(1, 4),
            children=rng.randint(0, 2),
            electric_heating=rng.random() < 0.5,
            solar_kwc=3.0 if solar else 0.0,
        )
        await storage.add_user(user)
        if index % TEAM_SIZE == 0:
            team = models.Team(
                name=f"Team {index}",
                invite_code=f"CODE{index:04d}",
                captain_id=user.id,
                season_id=season.id,
            )
            await storage.add_team(team)
        assert team is not None
        await storage.add_membership(
            models.Membership(team_id=team.id, user_id=user.id, season_id=season.id)
        )
        if simplified:
            for week in range(-5, 10):
                await storage.upsert_meter_index(
                    models.MeterIndex(
                        user_id=user.id,
                        day=START + timedelta(weeks=week),
                        import_index_kwh=1000 + 70 * week + rng.uniform(0, 10),
                    )
                )
            continue
        for offset in range(-30, (END - START).days + 1):
            day = START + timedelta(days=offset)
            if rng.random() < 0.05:
                continue  # a missing day
            slots: list[float | None] = [
                round(rng.uniform(0.05, 0.6), 3) for _ in range(48)
            ]
            if rng.random() < 0.05:
                slots[10] = None
            await storage.upsert_reading(
                models.DailyReading(
                    user_id=user.id,
                    day=day,
                    import_kwh=sum(v for v in slots if v is not None),
                    export_kwh=rng.uniform(0, 3) if solar else 0.0,
                    production_kwh=rng.uniform(3, 8) if solar else 0.0,
                    import_slots=slots,
                    t_mean_c=round(rng.uniform(-2, 12), 1),
                )
            )
        await storage.upsert_enedis_reading(
            models.EnedisReading(
                user_id=user.id, day=START + timedelta(days=index), import_kwh=40.0
            )
        )
        for week in range(3):
            start = datetime(2027, 1, 4, 19, tzinfo=PARIS) + timedelta(weeks=week)
            await storage.add_shedding_event(
                models.SheddingEvent(
                    id=f"{index}-{week}",
                    user_id=user.id,
                    start=start.astimezone(UTC),
                    end=(start + timedelta(minutes=90)).astimezone(UTC),
                    declared_w=2000,
                    measured_w=rng.uniform(1200, 2400),
                )
            )
        await storage.add_action_declaration(
            models.ActionDeclaration(
                user_id=user.id,
                action_id="led" if index % 2 else "thermostat",
                day=START + timedelta(days=index),
            )
        )
    return season


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file holding the season (built once, copied by each test)."""
    path = tmp_path_factory.mktemp("season") / "season.db"

    async def build() -> None:
        storage = SQLiteStorage(path)
        await storage.open()
        await _seed(storage)
        await storage.close()

    asyncio.run(build())
    return path


def _copy(seeded_file: Path, path: Path) -> Path:
    """Return a copy of the seeded season's file."""
    path.write_bytes(seeded_file.read_bytes())
    return path


@pytest.fixture
def other_copy(seeded_file: Path, tmp_path: Path) -> Path:
    """Return a second copy of the seeded season's file."""
    return _copy(seeded_file, tmp_path / "other.db")


@pytest.fixture
async def storage(seeded_file: Path, tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    """Yield an opened copy of the seeded season."""
    backend = SQLiteStorage(_copy(seeded_file, tmp_path / "game.db"))
    await backend.open()
    yield backend
    await backend.close()


async def _reference(storage: SQLiteStorage) -> dict[str, dict[tuple[str, str], str]]:
    """Return each household's cards computed one household at a time (no bulk)."""
    (season,) = await storage.list_seasons()
    settings = season_settings(season, await storage.list_peak_events(season.id))
    catalogue = catalogue_definitions(await storage.list_catalogue())
    first = history_start(season)
    team_of = {
        m.user_id: m.team_id
        for m in await storage.list_memberships(season_id=season.id)
    }
    households = {}
    for user in await storage.list_users():
        indexes = [
            index
            for index in await storage.list_meter_indexes(user.id)
            if first <= index.day <= season.end + timedelta(days=7)
        ]
        households[user.id] = household_input(
            user,
            await storage.list_readings(user.id, first, season.end),
            indexes=indexes if user.mode is models.Mode.SIMPLIFIED else [],
            events=await storage.list_shedding_events(
                user.id,
                datetime.combine(first, datetime.min.time(), PARIS),
                datetime.combine(
                    season.end + timedelta(days=1), datetime.min.time(), PARIS
                ),
            ),
            declarations=await storage.list_action_declarations(
                user.id, season.start, season.end
            ),
            enedis=await storage.list_enedis_readings(user.id, first, season.end),
        )
    contributions = {
        user_id: contribution(household, settings, AS_OF)
        for user_id, household in households.items()
    }
    aggregates = aggregates_of(contributions.values())
    cards = {}
    for user_id, household in households.items():
        team = team_of[user_id]
        peers = replace(
            aggregates,
            team_temperature=team_temperature(
                c for u, c in contributions.items() if team_of[u] == team
            ),
        )
        score = score_household(
            household, settings, peers, as_of=AS_OF, catalogue=catalogue
        )
        explain_cards(score.cards, household, settings)
        cards[user_id] = {
            (e.challenge, e.month): _entry_json(e.points, e.card)
            for e in _entries(season.id, user_id, score)
        }
    return cards


async def _stored(storage: SQLiteStorage) -> dict[str, dict[tuple[str, str], str]]:
    """Return the stored cards of every household."""
    (season,) = await storage.list_seasons()
    found: dict[str, dict[tuple[str, str], str]] = {}
    for entry in await storage.list_scores(season.id):
        found.setdefault(entry.user_id, {})[(entry.challenge, entry.month)] = (
            _entry_json(entry.points, entry.card)
        )
    return found


def _boards(job: ScoringJob) -> list[Any]:
    """Return the job's leaderboards without what differs between runs."""
    (state,) = job.states.values()
    return [state.boards[key] for key in sorted(state.boards, key=str)]


async def test_full_pass_equals_household_by_household_scoring(
    storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunked bulk reads and batched writes store what scoring each household gives."""
    monkeypatch.setattr(scoring_job, "CHUNK_HOUSEHOLDS", 5)  # several chunks
    job = ScoringJob(storage, workers=1)
    [report] = await job.recompute_all(TODAY)
    assert len(report.recomputed) == HOUSEHOLDS
    assert report.written == report.recomputed
    expected = await _reference(storage)
    assert await _stored(storage) == expected
    # Some cards explain flagged Enedis days: the reconciliation went through.
    assert any(
        "flagged_days" in text for cards in expected.values() for text in cards.values()
    )

    [again] = await job.recompute_all(TODAY)
    assert again.recomputed == report.recomputed
    assert again.written == set()


async def test_the_day_totals_alone_give_the_same_medians(
    storage: SQLiteStorage,
) -> None:
    """The first pass reads no half-hours, events or actions: same contributions."""
    job = ScoringJob(storage, workers=1)
    (season,) = await storage.list_seasons()
    settings = season_settings(season)
    users = await storage.list_users()
    full = await job._households(season, users)
    totals = await job._households(season, users, slots=False)
    assert all(
        day.import_slots is None for h in totals.values() for day in h.days.values()
    )
    assert any(day.import_slots for h in full.values() for day in h.days.values())
    for user in users:
        assert contribution(totals[user.id], settings, AS_OF) == contribution(
            full[user.id], settings, AS_OF
        )


async def test_worker_processes_store_the_same_cards(
    storage: SQLiteStorage, other_copy: Path
) -> None:
    """Scoring in worker processes gives the cards and boards of in-process scoring."""
    in_process = SQLiteStorage(other_copy)
    await in_process.open()
    try:
        reference_job = ScoringJob(in_process, workers=1)
        await reference_job.recompute_all(TODAY)

        job = ScoringJob(storage, workers=2)
        job.pool_min_households = 1
        try:
            [report] = await job.recompute_all(TODAY)
            assert job._pool is not None  # the pass did run in processes
            assert len(report.written) == HOUSEHOLDS
            assert await _stored(storage) == await _stored(in_process)
            assert _boards(job) == _boards(reference_job)
            [again] = await job.recompute_all(TODAY)
            assert again.written == set()
        finally:
            job.close()
        assert job._pool is None
        job.close()  # closing twice is harmless
    finally:
        await in_process.close()


async def test_small_passes_and_unshareable_storages_stay_in_process(
    storage: SQLiteStorage,
) -> None:
    """No pool below the size threshold, with one worker, or without a database URL."""
    job = ScoringJob(storage, workers=2)
    assert job._executor(job.pool_min_households - 1) is None
    assert ScoringJob(storage, workers=1)._executor(10**6) is None
    assert storage.worker_url() == f"sqlite:///{storage.path.resolve()}"
    await job.recompute_all(TODAY)
    assert job._pool is None


def test_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SUNSHARE_SCORING_WORKERS`` sets the processes; a bad value means every core."""
    monkeypatch.setenv(scoring_job.WORKERS_ENV, "0")
    assert scoring_job.default_workers() == 0
    monkeypatch.setenv(scoring_job.WORKERS_ENV, "3")
    assert scoring_job.default_workers() == 3
    monkeypatch.setenv(scoring_job.WORKERS_ENV, "many")
    assert scoring_job.default_workers() >= 1
    monkeypatch.delenv(scoring_job.WORKERS_ENV)
    assert scoring_job.default_workers() >= 1


async def test_the_app_stops_the_worker_processes(tmp_path: Path) -> None:
    """The scoring cleanup context shuts the job's process pool down with the app."""
    from aiohttp.test_utils import TestClient, TestServer

    from game_server.app import Settings, create_app

    storage = SQLiteStorage(tmp_path / "app.db")
    app = create_app(Settings(data_dir=tmp_path, storage=storage, web_pages=False))
    job = scoring_job.job_for(storage)
    job.workers = 2
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/healthz")).status == 200
        pool = job._executor(job.pool_min_households)
        assert pool is not None
        assert await asyncio.wrap_future(pool[0].submit(abs, -3)) == 3
    assert job._pool is None


async def test_a_dead_worker_process_falls_back_to_in_process(
    storage: SQLiteStorage, caplog: pytest.LogCaptureFixture
) -> None:
    """A killed worker fails that pass once; the next pass scores in-process."""
    job = ScoringJob(storage, workers=2)
    job.pool_min_households = 1
    pool = job._executor(HOUSEHOLDS)
    assert pool is not None and job._pool is not None
    assert await asyncio.wrap_future(pool[0].submit(abs, -1)) == 1  # workers up
    for process in list(job._pool._processes.values()):
        process.kill()
        await asyncio.to_thread(process.join)
    with pytest.raises(BrokenProcessPool):
        await job.recompute_all(TODAY)
    assert "scoring worker process died" in caplog.text
    assert job.workers == 1 and job._pool is None
    [report] = await job.recompute_all(TODAY)
    assert len(report.written) == HOUSEHOLDS
    assert await _stored(storage) == await _reference(storage)
