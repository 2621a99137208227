"""Storage faults (issue #15): 503, health, damaged files, private files, backups.

A storage fault answers 503 ``storage_unavailable``; the health check reads and writes;
a damaged file stops the start with one message; the data directory and the database
files are private; online backups restore every acknowledged write.

Every test runs a real server on 127.0.0.1 over real SQLite files (or the real command
line as a subprocess). The tests run as root here, where ``chmod`` does not stop a
write: a read-only database is the server's connection reopened with ``mode=ro`` (what
SQLite does by itself with a file it may not write), after a ``chmod 0400`` that makes
the same fault for any other user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from datetime import UTC, datetime, timedelta
import logging
import os
from pathlib import Path
import sqlite3
import stat
import subprocess
import sys
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
import mongomock
from pymongo.errors import AutoReconnect
import pytest

from game_server.app import SERVICE_KEY, STORAGE_KEY, Settings, create_app
from game_server.services import GameService
from game_server.storage import StorageHealth, StorageUnavailable
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import SQLiteStorage

from .helpers import PASSWORD, add_season, clock, registration

REPO = Path(__file__).parents[2]
DAY = {"import_kwh": 12.5, "export_kwh": 3.0, "production_kwh": 8.0}


# --- helpers ---------------------------------------------------------------------------
def run_cli(
    *args: str | Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m game_server`` as a real process; return its result."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "game_server", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=timeout,
        env={"PATH": "", "SUNSHARE_ADMIN_PASSWORD": PASSWORD},
    )


def mode_of(path: Path) -> int:
    """Return the permission bits of a file."""
    return stat.S_IMODE(path.stat().st_mode)


async def reopen(storage: SQLiteStorage, *, read_only: bool) -> None:
    """Make the running server's database read-only, or writable again.

    Read-only: ``chmod 0400`` and the connection reopened with ``mode=ro``. Writable:
    ``chmod 0600`` and the connection reopened the way the server opens it.
    """

    def swap() -> None:
        storage.conn.close()
        storage._conn = None
        if read_only:
            storage.path.chmod(0o400)
            conn = sqlite3.connect(
                f"{storage.path.as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            storage._conn = conn
        else:
            storage.path.chmod(0o600)
            storage._connect()

    await storage._run(swap)


def without_scoring_job(app: web.Application) -> None:
    """Keep the background scoring job (its own reads and writes) out of a test."""
    for ctx in list(app.cleanup_ctx):
        if getattr(ctx, "__name__", "") == "scoring_ctx":
            app.cleanup_ctx.remove(ctx)


async def player_token(service: GameService, name: str) -> dict[str, str]:
    """Register a player; return the Authorization header of a device token."""
    user = await service.register(registration(name))
    _token, secret = await service.issue_token(user, "HA")
    return {"Authorization": f"Bearer {secret}"}


async def stored_days(path: Path) -> dict[tuple[str, str], float]:
    """Return the stored readings of a database file: (user id, day) → import kWh."""
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        return {
            (r.user_id, r.day.isoformat()): r.import_kwh
            for r in await storage.list_readings()
        }
    finally:
        await storage.close()


def failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the errors the server and aiohttp logged about requests."""
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.name in {"game_server", "aiohttp.server", "aiohttp.web"}
    ]


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run with a process umask."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# --- 1. storage faults answer 503 storage_unavailable ----------------------------------
async def test_read_only_database_answers_503_and_loses_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A PUT on a read-only database is a JSON 503 logged once; nothing is lost."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        service, storage = app[SERVICE_KEY], app[STORAGE_KEY]
        assert isinstance(storage, SQLiteStorage)
        await add_season(service)
        auth = await player_token(service, "alice")
        user = await service.storage.get_user_by_username("alice")
        assert user is not None
        response = await client.put(
            "/api/v1/readings/2026-11-20", json=DAY, headers=auth
        )
        assert response.status == 201

        await reopen(storage, read_only=True)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = await client.put(
                "/api/v1/readings/2026-11-21",
                json={**DAY, "import_kwh": 7.0},
                headers=auth,
            )
            assert response.status == 503
            assert response.content_type == "application/json"
            assert await response.json() == {
                "error": "storage_unavailable",
                "message": "the database is unavailable",
            }
        logged = failures(caplog)
        assert len(logged) == 1, [r.getMessage() for r in logged]
        message = logged[0].getMessage()
        assert "PUT /api/v1/readings/2026-11-21" in message
        assert str(storage.path) in message
        assert "readonly" in message
        assert not logged[0].exc_info  # one line, no traceback

        # The health check sees it too: readable, not writable.
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "degraded"
        assert body["storage"] == {"read": True, "write": False}

        # Writable again: the refused day is stored on the next try, the earlier kept.
        await reopen(storage, read_only=False)
        assert (await client.get("/healthz")).status == 200
        response = await client.put(
            "/api/v1/readings/2026-11-21",
            json={**DAY, "import_kwh": 7.0},
            headers=auth,
        )
        assert response.status == 201  # new: the refused attempt left nothing behind
    assert await stored_days(tmp_path / "sunshare.db") == {
        (user.id, "2026-11-20"): 12.5,
        (user.id, "2026-11-21"): 7.0,
    }


async def test_locked_database_answers_503_then_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A write lock held beyond the busy timeout is a 503, and the health says so."""
    path = tmp_path / "sunshare.db"
    storage = SQLiteStorage(path, busy_timeout=0.2)
    app = create_app(
        Settings(data_dir=tmp_path, clock=clock, web_pages=False, storage=storage)
    )
    without_scoring_job(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        service = app[SERVICE_KEY]
        await add_season(service)
        auth = await player_token(service, "alice")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            with caplog.at_level(logging.INFO):
                response = await client.put(
                    "/api/v1/readings/2026-11-20", json=DAY, headers=auth
                )
            assert response.status == 503
            assert (await response.json())["error"] == "storage_unavailable"
            assert "database is locked" in failures(caplog)[0].getMessage()
            response = await client.get("/healthz")
            assert response.status == 503
            assert (await response.json())["storage"] == {"read": True, "write": False}
        finally:
            other.execute("ROLLBACK")
            other.close()
        response = await client.put(
            "/api/v1/readings/2026-11-20", json=DAY, headers=auth
        )
        assert response.status == 201
        assert (await client.get("/healthz")).status == 200


async def test_mongodb_errors_are_storage_unavailable() -> None:
    """Errors of pymongo become StorageUnavailable; the health check reports them."""
    storage = MongoStorage(client=mongomock.MongoClient(), database="faults")
    await storage.open()
    assert await storage.health() == StorageHealth(read=True, write=True)

    class Down:
        def __getitem__(self, name: str) -> Any:
            raise AutoReconnect("connection refused")

        def command(self, *args: Any) -> Any:
            raise AutoReconnect("connection refused")

    storage._db = Down()
    with pytest.raises(StorageUnavailable, match="connection refused"):
        await storage.get_user("someone")
    assert await storage.health() == StorageHealth(read=False, write=False)
    assert not await storage.ping()


# --- 2. the health check reads and writes ----------------------------------------------
def corrupt_table(path: Path, table: str) -> None:
    """Overwrite the start of a table's root page in the database file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file holds every page
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * 64)
        handle.flush()
        os.fsync(handle.fileno())


async def test_healthz_reports_a_corrupted_database(tmp_path: Path) -> None:
    """A table damaged on disk under a running server: the health check can't read."""
    path = tmp_path / "sunshare.db"
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    without_scoring_job(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        await player_token(app[SERVICE_KEY], "alice")
        response = await client.get("/healthz")
        assert response.status == 200
        assert (await response.json())["storage"] == {"read": True, "write": True}

        corrupt_table(path, "audit_log")
        # Another process commits: the server drops its page cache and reads the disk.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE catalogue SET enabled = enabled")
        other.execute("COMMIT")
        other.close()

        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "degraded"
        assert body["storage"] == {"read": False, "write": True}

    # The check command finds the damage (and says how to restore).
    result = run_cli("check", "--data-dir", tmp_path)
    assert result.returncode == 1
    assert str(path) in result.stdout
    assert "problem" in result.stdout
    assert "restore" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# --- 3. a damaged file at start-up: one message, no traceback --------------------------
async def _database_with_data(path: Path) -> None:
    """Create a database holding the catalogue, players and readings."""
    storage = SQLiteStorage(path)
    await storage.open()
    try:
        service = GameService(storage, clock)
        await service.seed_catalogue()
        await add_season(service)
        for name in ("alice", "bruno", "chloe"):
            await service.register(registration(name))
    finally:
        await storage.close()


def test_garbage_database_file_stops_the_start_with_one_message(tmp_path: Path) -> None:
    path = tmp_path / "sunshare.db"
    path.write_bytes(b"this is not a database\n" * 400)
    result = run_cli("--data-dir", tmp_path, "--host", "127.0.0.1", "--port", "0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == [
        f"error: the server cannot start: {path}: file is not a database"
    ], result.stderr
    assert "python -m game_server check" in result.stderr

    result = run_cli("check", "--data-dir", tmp_path)
    assert result.returncode == 1
    assert "file is not a database" in result.stdout
    assert "Traceback" not in result.stderr


async def test_truncated_database_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "sunshare.db"
    await _database_with_data(path)
    assert run_cli("check", "--data-dir", tmp_path).returncode == 0
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)
    result = run_cli("--data-dir", tmp_path, "--host", "127.0.0.1", "--port", "0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"error: the server cannot start: {path}: " in result.stderr
    assert "malformed" in result.stderr

    result = run_cli("check", "--data-dir", tmp_path)
    assert result.returncode == 1
    assert f"{path}: " in result.stdout
    assert "Traceback" not in result.stderr


async def test_check_passes_a_sound_database(tmp_path: Path) -> None:
    await _database_with_data(tmp_path / "sunshare.db")
    result = run_cli("check", "--data-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {tmp_path / 'sunshare.db'}")
    # A missing database is an error, and check does not create one.
    result = run_cli("check", "--data-dir", tmp_path / "nothing")
    assert result.returncode == 1
    assert "there is no database file" in result.stderr
    assert not (tmp_path / "nothing").exists()


# --- 4. the data directory and the database files are private --------------------------
def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("not a directory\n")
    commands: list[list[str | Path]] = [
        ["--port", "0"],
        ["export"],
        ["check"],
        ["backup", tmp_path],
    ]
    for command in commands:
        result = run_cli("--data-dir", data, *command)
        assert result.returncode == 1, (command, result.stderr)
        assert "Traceback" not in result.stderr
        assert f"the data directory {data} is not a directory" in result.stderr


@pytest.mark.parametrize("mask", [0o000, 0o022])
async def test_files_are_private_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    data = tmp_path / "new" / "data"
    with umask(mask):
        app = create_app(Settings(data_dir=data, clock=clock))
        without_scoring_job(app)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await player_token(app[SERVICE_KEY], "alice")  # writes: -wal and -shm
            assert (await client.get("/healthz")).status == 200
            database = data / "sunshare.db"
            assert mode_of(data) == 0o700
            for path in (
                database,
                data / "sunshare.db-wal",
                data / "sunshare.db-shm",
                data / "session.key",
            ):
                assert mode_of(path) == 0o600, path


async def test_existing_database_files_are_restricted(tmp_path: Path) -> None:
    """A database left readable by others (an older server) is made owner-only."""
    await _database_with_data(tmp_path / "sunshare.db")
    (tmp_path / "sunshare.db").chmod(0o644)
    storage = SQLiteStorage(tmp_path / "sunshare.db")
    await storage.open()
    try:
        assert mode_of(tmp_path / "sunshare.db") == 0o600
        assert mode_of(tmp_path / "sunshare.db-wal") == 0o600
    finally:
        await storage.close()


# --- 5. online backup, restore --------------------------------------------------------
async def test_backup_while_writing_then_restore(tmp_path: Path) -> None:
    """A backup taken while players keep sending readings holds every acknowledged one.

    Two players PUT readings through the running server, round after round over 389
    days, each value higher than the last; ``backup`` runs as another process
    meanwhile. For every day, the restored database holds the value last acknowledged
    before the backup process was started, or a later one sent; it passes ``check``.
    """
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data, web_pages=False))  # real clock: 400 days
    without_scoring_job(app)
    acked: list[tuple[float, str, str, float]] = []
    stop = asyncio.Event()
    going = asyncio.Event()  # set once some readings are acknowledged
    today = datetime.now(UTC).date()

    async def writer(client: TestClient[Any, Any], name: str) -> None:
        service = app[SERVICE_KEY]
        auth = await player_token(service, name)
        user = await service.storage.get_user_by_username(name)
        assert user is not None
        sent = 0
        while True:
            for n in range(1, 390):
                if stop.is_set():
                    return
                day = (today - timedelta(days=n)).isoformat()
                sent += 1
                value = sent / 1000  # rises with every PUT
                response = await client.put(
                    f"/api/v1/readings/{day}",
                    json={**DAY, "import_kwh": value},
                    headers=auth,
                )
                assert response.status in {200, 201}, await response.text()
                acked.append((time.monotonic(), user.id, day, value))
                if len(acked) >= 40:
                    going.set()

    backup_dir = tmp_path / "backups"
    backup_dir.mkdir()
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        writers = [
            asyncio.create_task(writer(client, name)) for name in ("alice", "bruno")
        ]
        await going.wait()
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "game_server",
            "backup",
            str(backup_dir),
            "--data-dir",
            str(data),
            cwd=REPO,
            env={"PATH": ""},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        finished = time.monotonic()
        stop.set()
        await asyncio.gather(*writers)
    assert process.returncode == 0, err.decode()
    backups = list(backup_dir.iterdir())
    assert len(backups) == 1
    backup = backups[0]
    assert backup.name.startswith("sunshare-")
    assert f"to {backup}" in out.decode()
    assert mode_of(backup) == 0o600
    before = [a for a in acked if a[0] < started]
    during = [a for a in acked if started <= a[0] < finished]
    assert before
    assert during, "the players kept writing while the backup ran"

    fresh = tmp_path / "fresh"
    result = run_cli("restore", backup, "--data-dir", fresh)
    assert result.returncode == 0, result.stderr
    assert mode_of(fresh) == 0o700
    assert mode_of(fresh / "sunshare.db") == 0o600
    result = run_cli("check", "--data-dir", fresh)
    assert result.returncode == 0, result.stdout + result.stderr
    restored = await stored_days(fresh / "sunshare.db")
    sent: dict[tuple[str, str], set[float]] = {}
    for _at, user_id, day, value in acked:
        sent.setdefault((user_id, day), set()).add(value)
    last_before = {(user_id, day): value for _at, user_id, day, value in before}
    for key, value in last_before.items():
        assert key in restored, key
        assert restored[key] >= value, (key, restored[key], value)
    for key, value in restored.items():
        assert value in sent[key], (key, value)  # only values the players sent


async def test_restore_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    """Restoring over a database with data needs --force; the old file is kept."""
    source = tmp_path / "source"
    await _database_with_data(source / "sunshare.db")
    backup = tmp_path / "copy.db"
    assert run_cli("backup", backup, "--data-dir", source).returncode == 0
    result = run_cli("backup", backup, "--data-dir", source)
    assert result.returncode == 1
    assert "exists" in result.stderr

    target = tmp_path / "target"
    target.mkdir()
    (target / "sunshare.db").write_bytes(b"garbage " * 1000)
    result = run_cli("restore", backup, "--data-dir", target)
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert (target / "sunshare.db").read_bytes() == b"garbage " * 1000

    result = run_cli("restore", backup, "--data-dir", target, "--force")
    assert result.returncode == 0, result.stderr
    kept = [p for p in target.iterdir() if ".before-restore-" in p.name]
    assert [p.read_bytes() for p in kept if not p.name.endswith(("-wal", "-shm"))] == [
        b"garbage " * 1000
    ]
    assert run_cli("check", "--data-dir", target).returncode == 0
    storage = SQLiteStorage(target / "sunshare.db")
    await storage.open()
    try:
        names = {u.username for u in await storage.list_users()}
    finally:
        await storage.close()
    assert names == {"alice", "bruno", "chloe"}

    # A damaged backup is refused.
    (tmp_path / "bad.db").write_bytes(b"not a backup" * 100)
    result = run_cli("restore", tmp_path / "bad.db", "--data-dir", tmp_path / "other")
    assert result.returncode == 1
    assert "fails its check" in result.stderr


def test_mongodb_has_no_sqlite_maintenance(tmp_path: Path) -> None:
    result = run_cli("check", "--database", "mongodb://127.0.0.1:1/x")
    assert result.returncode == 1
    assert "mongodump" in result.stderr
