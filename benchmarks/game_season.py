"""Benchmark: a season through the game server's storage (SQLite) and scoring job.

120 season days (1 January – 30 April) plus the 28-day short reference, half-hourly import
data, five shedding events per household; households in teams of 10. Measures:

- ingest: every day and event stored one by one through ``Storage`` (as the API does);
- full recompute: ``ScoringJob.recompute_all`` (read every household, peer medians, score,
  store the cards with ``replace_scores``), then a second one where nothing changed;
- incremental: one household's day changed, then ``recompute_dirty``;
- leaderboard: ``scoring.leaderboard`` (what ``GET /api/v1/leaderboard`` returns) and its
  JSON rendering, and the same request over real HTTP;
- peak resident memory of the server's process and of the largest worker process.

The full recompute reads households in chunks (a few queries per chunk, the first pass
without half-hours), writes each chunk's changed cards in one transaction, and runs in
``--workers`` processes (default: one per core) that each read the SQLite file.

Targets: full recompute < 60 s, leaderboard page < 100 ms.
Run: ``.venv/bin/python -m benchmarks.game_season [--households N] [--workers N]
[--keep FILE]`` (``--keep`` stores the ingested season in FILE and reuses it next time).

Figures (2 cores shared with other jobs, 2026-11-23, rules not yet optimised), 10,000
households in 1,000 teams: ingest 452 s (296 µs per record, one by one as the API does);
full recompute 74.4 s (10,000 written; 120 s under heavy load), unchanged 61.2 s; one day
changed 1.1 s; leaderboard 18.6 ms median (81 ms when it re-reads teams and memberships),
19.5 ms over HTTP; peak RSS 577 MB server, 158 MB per worker. Before (one query per
household and per card, in-process): 1,000 households took 27.6 s (≈ 280 s for 10,000).
The rules alone take about 45 s of CPU of that (``benchmarks/rules_season.py``).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
import random
import resource
import shutil
import statistics
import tempfile
import time
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from game_server import models, scoring
from game_server.app import Settings, create_app
from game_server.auth import hash_password
from game_server.rules.models import PARIS
from game_server.scoring_job import default_workers, job_for
from game_server.storage.sqlite import SQLiteStorage

START = date(2027, 1, 1)
END = date(2027, 4, 30)
TODAY = date(2027, 5, 2)
PASSWORD = "correct horse battery"  # noqa: S105 - benchmark account


def _now() -> datetime:
    """Return the benchmark's fixed now (after the season)."""
    return datetime(2027, 5, 2, 12, tzinfo=UTC)


async def ingest(
    storage: SQLiteStorage, households: int, team_size: int, days: int = 120
) -> Any:
    """Store users, teams, readings and events; return the season."""
    rng = random.Random(1)
    pool = [[round(rng.uniform(0.05, 0.9), 3) for _ in range(48)] for _ in range(400)]
    season = models.Season(name="Benchmark", start=START, end=END)
    await storage.add_season(season)
    password = hash_password(PASSWORD)
    team: models.Team | None = None
    for index in range(households):
        solar = index % 3 == 0
        user = models.User(
            username=f"player{index}",
            display_name=f"Player {index}",
            password_hash=password,
            adults=rng.randint(1, 4),
            children=rng.randint(0, 3),
            electric_heating=rng.random() < 0.4,
            solar_kwc=3.0 if solar else 0.0,
        )
        await storage.add_user(user)
        if index % team_size == 0:
            team = models.Team(
                name=f"Team {index // team_size}",
                invite_code=f"CODE{index // team_size:06d}",
                captain_id=user.id,
                season_id=season.id,
            )
            await storage.add_team(team)
        assert team is not None
        await storage.add_membership(
            models.Membership(team_id=team.id, user_id=user.id, season_id=season.id)
        )
        for offset in range(-28 if days else 0, days):
            day = START + timedelta(days=offset)
            slots = rng.choice(pool)
            await storage.upsert_reading(
                models.DailyReading(
                    user_id=user.id,
                    day=day,
                    import_kwh=sum(slots),
                    export_kwh=rng.uniform(0, 4) if solar else 0.0,
                    production_kwh=rng.uniform(2, 9) if solar else 0.0,
                    import_slots=list(slots),
                    t_mean_c=round(rng.uniform(-3, 16), 1),
                )
            )
        for week in range(5):
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
    return season


async def http_leaderboard(path: Path, rounds: int) -> list[float]:
    """Time ``GET /api/v1/leaderboard`` over real HTTP on the benchmark's database."""
    storage = SQLiteStorage(path)
    app = create_app(
        Settings(data_dir=path.parent, storage=storage, clock=_now, web_pages=False)
    )
    async with TestClient(TestServer(app)) as client:
        token = await _token(client)
        job = job_for(storage)
        # The app's startup pass scores the season in the background; wait for it.
        while not job.states:  # noqa: ASYNC110 - polls the background task
            await asyncio.sleep(0.5)
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = await client.get(
                "/api/v1/leaderboard", headers={"Authorization": f"Bearer {token}"}
            )
            await response.read()
            timings.append(time.perf_counter() - started)
            assert response.status == 200
        return timings


async def _token(client: TestClient[Any, Any]) -> str:
    """Return an API token of the first player."""
    response = await client.post(
        "/api/v1/auth/token",
        json={"username": "player0", "password": PASSWORD, "device_name": "bench"},
    )
    body = await response.json()
    return str(body["token"])


def _peak_rss_mb() -> tuple[float, float]:
    """Return the peak resident memory of this process and of its largest child, MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _copy_database(source: Path, target: Path) -> None:
    """Copy a kept database (and its write-ahead log) to the run's folder."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


async def main_async(
    households: int,
    team_size: int,
    days: int,
    http: bool,
    again: bool,
    *,
    workers: int,
    keep: Path | None,
    reuse: bool,
) -> None:
    """Run every measurement and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sunshare.db"
        if keep is not None and reuse:
            # Reuse a season stored by an earlier run (scores included, if any).
            _copy_database(keep, path)
            storage = SQLiteStorage(path)
            await storage.open()
            [season] = await storage.list_seasons()
            print(f"ingest:            skipped (season copied from {keep})")
        else:
            storage = SQLiteStorage(path)
            await storage.open()
            started = time.perf_counter()
            season = await ingest(storage, households, team_size, days)
            ingest_s = time.perf_counter() - started
            days = 28 + days if days else 0
            print(
                f"ingest:            {ingest_s:7.1f} s "
                f"({households * days} days, {households * 5} events, "
                f"{1e6 * ingest_s / (households * (days + 5)):.0f} µs per record)"
            )
            if keep is not None:
                await storage.close()
                _copy_database(path, keep)
                await storage.open()

        job = job_for(storage)
        job.workers = workers
        started = time.perf_counter()
        [report] = await job.recompute_all(TODAY)
        full_s = time.perf_counter() - started
        print(
            f"full recompute:    {full_s:7.1f} s ({len(report.recomputed)} households, "
            f"{len(report.written)} written, {workers} worker processes; "
            "target < 60 s)"
        )
        if again:
            started = time.perf_counter()
            [report] = await job.recompute_all(TODAY)
            again_s = time.perf_counter() - started
            print(
                f"again, unchanged:  {again_s:7.1f} s ({len(report.written)} written)"
            )

        user = (await storage.list_users())[1]
        reading = await storage.get_reading(user.id, date(2027, 1, 10))
        if reading is None:
            reading = models.DailyReading(
                user_id=user.id, day=date(2027, 1, 10), import_kwh=5
            )
        reading.import_kwh += 5
        await storage.upsert_reading(reading)
        job.mark_dirty(user.id, reading.day)
        started = time.perf_counter()
        [report] = await job.recompute_dirty(TODAY)
        dirty_s = time.perf_counter() - started
        print(
            f"one day changed:   {dirty_s:7.1f} s ({len(report.recomputed)} recomputed, "
            f"{len(report.written)} written, medians changed: "
            f"{len(report.changed_medians)})"
        )

        timings = []
        for _ in range(20):
            started = time.perf_counter()
            board = await scoring.leaderboard(storage, season)
            json.dumps(board)
            timings.append(time.perf_counter() - started)
        state = job.states[season.id]
        state.roster_checked = float("-inf")
        started = time.perf_counter()
        json.dumps(await scoring.leaderboard(storage, season))
        recheck_ms = 1000 * (time.perf_counter() - started)
        print(
            f"leaderboard:       {1000 * statistics.median(timings):7.1f} ms median, "
            f"{recheck_ms:.0f} ms when it re-reads teams and memberships (every 5 s) "
            f"({len(board['players'])} players, {len(board['teams'])} teams; "
            "target < 100 ms)"
        )
        job.close()
        await storage.close()
        own, child = _peak_rss_mb()
        print(f"peak RSS:          {own:7.0f} MB server, {child:.0f} MB largest worker")
        if http:
            web = await http_leaderboard(path, 20)
            print(
                f"leaderboard HTTP:  {1000 * statistics.median(web):7.1f} ms median "
                "(GET /api/v1/leaderboard, real socket)"
            )


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--team-size", type=int, default=10)
    parser.add_argument(
        "--days", type=int, default=120, help="season days with data (0: none)"
    )
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument(
        "--no-again", action="store_true", help="skip the unchanged full recompute"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="worker processes of the full recompute (0 or 1: in-process)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="database file: stored there after the ingest, reused when it exists",
    )
    args = parser.parse_args()
    asyncio.run(
        main_async(
            args.households,
            args.team_size,
            args.days,
            not args.no_http,
            not args.no_again,
            workers=args.workers,
            keep=args.keep,
            reuse=args.keep is not None and args.keep.exists(),
        )
    )


if __name__ == "__main__":
    main()
