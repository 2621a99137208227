"""Two real server processes on one SQLite file: each scoring pass runs once.

The servers run ``python -m game_server`` on the same data directory (the demo season
seeded beforehand). The ``scoring`` lease in the store makes one of them run the passes;
the other hands its dirty marks over through the store. Killing the holder mid-pass
(``kill -9``; the pass slowed down by ``SUNSHARE_SCORING_TEST_PAUSE``) lets the other
take the lease over once it expires, and the final scores equal a single-process run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
from dataclasses import dataclass
from datetime import timedelta
import functools
import json
import os
from pathlib import Path
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

from game_server.demo import TEAMS, seed_demo
from game_server.scoring_job import ScoringJob
from game_server.services import GameService
from game_server.storage.sqlite import DATABASE_FILE, SQLiteStorage

ROOT = Path(__file__).resolve().parents[2]
PLAYER = "amelie"
PLAYERS = sum(len(names) for names in TEAMS.values())

type ScoreRows = dict[tuple[str, str, str], tuple[float, str]]


@dataclass
class Seeded:
    """A data directory holding the demo season, and a device token of a player."""

    data_dir: Path
    token: str
    user_id: str
    season_id: str


@dataclass
class Server:
    """A game server process and the file its logs go to."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def messages(self) -> list[str]:
        """Return the messages logged so far (JSON lines)."""
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                found.append(str(json.loads(line).get("message", "")))
        return found

    def full_passes(self) -> int:
        """Return how many full scoring passes this process finished."""
        return sum(1 for m in self.messages() if m.startswith("Scored season"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """Seed the demo season once; each test copies the data directory."""
    data_dir = tmp_path_factory.mktemp("template")

    async def seed() -> Seeded:
        storage = SQLiteStorage(data_dir / DATABASE_FILE)
        await storage.open()
        try:
            service = GameService(storage)
            await service.seed_catalogue()
            assert await seed_demo(service)
            user = await storage.get_user_by_username(PLAYER)
            assert user is not None
            _, secret = await service.issue_token(user, "test")
            (season,) = await storage.list_seasons()
            return Seeded(data_dir, secret, user.id, season.id)
        finally:
            await storage.close()

    return asyncio.run(seed())


@pytest.fixture
def seeded(template: Seeded, tmp_path: Path) -> Seeded:
    """Return a copy of the seeded data directory."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    copy_database(template.data_dir / DATABASE_FILE, data_dir / DATABASE_FILE)
    return Seeded(data_dir, template.token, template.user_id, template.season_id)


def copy_database(source: Path, target: Path) -> None:
    """Copy an SQLite file with the backup API (whatever its WAL holds)."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    target.chmod(0o600)


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start game server processes; kill those still running at the end."""
    started: list[Server] = []

    def start(data_dir: Path, name: str, **env: str) -> Server:
        port = free_port()
        log = tmp_path / f"{name}.log"
        environment = {
            **os.environ,
            "SUNSHARE_LOG_LEVEL": "info",
            "SUNSHARE_SCORING_WORKERS": "1",
            **env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own server
                [
                    sys.executable,
                    "-m",
                    "game_server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data_dir),
                ],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        server = Server(process, port, log)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)


async def wait_for(what: str, check: Callable[[], Any], within: float = 20.0) -> Any:
    """Poll ``check`` until it returns something true; fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Yield an HTTP client session."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
        yield s


async def healthy(session: aiohttp.ClientSession, server: Server) -> bool:
    """Return whether a server answers its health check."""
    assert server.process.poll() is None, server.log.read_text(encoding="utf-8")
    try:
        async with session.get(server.url + "/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def read_db(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run a query on the database file, read-only (another connection)."""
    with contextlib.closing(
        sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    ) as conn:
        return conn.execute(sql).fetchall()


def lease_holder(data_dir: Path) -> str | None:
    """Return the holder of the scoring lease, None when nobody holds it."""
    rows = read_db(
        data_dir / DATABASE_FILE, "SELECT holder FROM leases WHERE name = 'scoring'"
    )
    return str(rows[0][0]) if rows else None


def holder_pid(holder: str) -> int:
    """Return the process id in a holder id (``host/pid/random``)."""
    return int(holder.split("/")[-2])


async def stored_scores(path: Path, season_id: str) -> ScoreRows:
    """Return a season's stored points and cards (without their computing time)."""
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        entries = await storage.list_scores(season_id)
    finally:
        await storage.close()
    return {
        (e.user_id, e.challenge, e.month): (
            e.points,
            json.dumps(e.card, sort_keys=True),
        )
        for e in entries
    }


async def single_process_scores(data_dir: Path, season_id: str, tmp: Path) -> ScoreRows:
    """Return the scores one process computes from scratch on a copy of the data."""
    copy = tmp / "reference.db"
    copy.unlink(missing_ok=True)
    copy_database(data_dir / DATABASE_FILE, copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn, conn:
        conn.execute("DELETE FROM scores")
    storage = SQLiteStorage(copy)
    await storage.open()
    try:
        job = ScoringJob(storage, workers=1)
        await job.recompute_all(GameService(storage).today())
    finally:
        await storage.close()
    return await stored_scores(copy, season_id)


async def _same(boards: Any) -> bool:
    """Return whether both servers answer the same leaderboard."""
    first, second = await boards
    return bool(first == second)


def stop(server: Server) -> int:
    """Stop a server gracefully; return its exit status."""
    server.process.send_signal(signal.SIGTERM)
    return server.process.wait(timeout=15)


async def test_two_servers_score_once_and_hand_over_marks(
    seeded: Seeded, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    """Both servers start a pass; one runs it; a reading sent to the other is scored."""
    env = {"SUNSHARE_SCORING_INTERVAL": "0.2", "SUNSHARE_LEASE_TTL": "5"}
    first = start_server(seeded.data_dir, "first", **env)
    second = start_server(seeded.data_dir, "second", **env)
    db = seeded.data_dir / DATABASE_FILE
    async with http() as session:
        for server in (first, second):
            await wait_for("health", functools.partial(healthy, session, server), 60)
        holder = await wait_for("the lease", lambda: lease_holder(seeded.data_dir), 60)
        pids = {first.process.pid: first, second.process.pid: second}
        leader = pids[holder_pid(holder)]
        other = second if leader is first else first
        await wait_for("the first pass", lambda: leader.full_passes() == 1)
        await wait_for(
            "the skip log",
            lambda: any("skips what it guards" in m for m in other.messages()),
        )
        before = await stored_scores(db, seeded.season_id)
        # A day sent to the process that does not score: its mark goes through the
        # store to the lease holder, whose next (incremental) pass scores it.
        day = (GameService(SQLiteStorage(db)).today() - timedelta(days=3)).isoformat()
        async with session.put(
            f"{other.url}/api/v1/readings/{day}",
            json={"import_kwh": 60.0, "export_kwh": 0.0, "production_kwh": 0.0},
            headers={"Authorization": f"Bearer {seeded.token}"},
        ) as response:
            assert response.status in (200, 201), await response.text()

        async def rescored() -> bool:
            now = await stored_scores(db, seeded.season_id)
            mine = {k: v for k, v in now.items() if k[0] == seeded.user_id}
            return mine != {k: v for k, v in before.items() if k[0] == seeded.user_id}

        await wait_for("the reading scored", rescored)
        await asyncio.sleep(1.0)  # a few more intervals: still one full pass

        async def boards() -> list[dict[str, Any]]:
            found = []
            for server in (leader, other):
                async with session.get(
                    f"{server.url}/api/v1/leaderboard",
                    headers={"Authorization": f"Bearer {seeded.token}"},
                ) as response:
                    assert response.status == 200
                    found.append(await response.json())
            return found

        # The other serves the leaderboard the holder published (re-read every 5 s).
        await wait_for("the same leaderboards", lambda: _same(boards()), 12)
        (board, _) = await boards()
        assert board["computed"] is True and len(board["players"]) == PLAYERS
    assert first.full_passes() + second.full_passes() == 1
    assert read_db(db, "SELECT count(*) FROM scoring_marks") == [(0,)]
    assert lease_holder(seeded.data_dir) == holder
    assert stop(other) == 0
    assert lease_holder(seeded.data_dir) == holder  # the other never held it
    assert stop(leader) == 0
    assert lease_holder(seeded.data_dir) is None  # released at shutdown
    final = await stored_scores(db, seeded.season_id)
    assert final == await single_process_scores(
        seeded.data_dir, seeded.season_id, tmp_path
    )


async def test_killed_holder_is_taken_over_after_expiry(
    seeded: Seeded, start_server: Callable[..., Server], tmp_path: Path
) -> None:
    """``kill -9`` of the holder mid-pass: the other takes over and finishes the job."""
    env = {
        "SUNSHARE_SCORING_INTERVAL": "0.2",
        "SUNSHARE_LEASE_TTL": "2",
        "SUNSHARE_SCORING_CHUNK": "2",
        "SUNSHARE_SCORING_TEST_PAUSE": "0.35",
    }
    db = seeded.data_dir / DATABASE_FILE
    expected = await single_process_scores(seeded.data_dir, seeded.season_id, tmp_path)
    first = start_server(seeded.data_dir, "first", **env)
    second = start_server(seeded.data_dir, "second", **env)
    holder = await wait_for("the lease", lambda: lease_holder(seeded.data_dir), 60)
    pids = {first.process.pid: first, second.process.pid: second}
    victim = pids[holder_pid(holder)]
    survivor = second if victim is first else first

    def households_scored() -> int:
        return int(read_db(db, "SELECT count(DISTINCT user_id) FROM scores")[0][0])

    await wait_for("a first chunk written", lambda: households_scored() > 0)
    assert households_scored() < PLAYERS  # mid-pass
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    killed_at = time.monotonic()
    taken = await wait_for(
        "the take-over",
        lambda: (h := lease_holder(seeded.data_dir)) != holder and h,
    )
    assert holder_pid(taken) == survivor.process.pid
    # Not before the lease expired: renewed at most TTL/4 = 0.5 s before the kill.
    assert time.monotonic() - killed_at > 1.0
    await wait_for("the survivor's full pass", lambda: survivor.full_passes() == 1)
    assert victim.full_passes() == 0
    assert any("taken over from" in m for m in survivor.messages())
    assert await stored_scores(db, seeded.season_id) == expected
    assert stop(survivor) == 0
