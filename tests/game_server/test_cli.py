"""The command line: create-admin, export/import round trip, demo seeding."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import subprocess
import sys

import pytest

from game_server.cli import build_parser, main
from game_server.demo import (
    DEMO_DAYS,
    DEMO_PASSWORD,
    HOME_PLAYER,
    HOME_PRM,
    HOME_SOLAR_KWC,
    seed_demo,
)
from game_server.models import Role
from game_server.services import GameService
from game_server.storage.sqlite import SQLiteStorage

from .helpers import clock


async def _users(data_dir: Path) -> dict[str, Role]:
    """Return the stored usernames and roles."""
    storage = SQLiteStorage(data_dir / "sunshare.db")
    await storage.open()
    try:
        return {u.username: u.role for u in await storage.list_users()}
    finally:
        await storage.close()


def test_create_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNSHARE_ADMIN_PASSWORD", "a long admin password")
    assert main(["create-admin", "Root", "--data-dir", str(tmp_path)]) == 0
    assert asyncio.run(_users(tmp_path)) == {"root": Role.ADMIN}
    # A second admin with the same name is refused with a message, not a traceback.
    assert main(["--data-dir", str(tmp_path), "create-admin", "root"]) == 1


def test_create_admin_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUNSHARE_ADMIN_PASSWORD", raising=False)
    answers = iter(["prompted password!", "typo password!!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["create-admin", "root", "--data-dir", str(tmp_path)]) == 1
    answers = iter(["prompted password!", "prompted password!"])
    assert main(["create-admin", "root", "--data-dir", str(tmp_path)]) == 0
    assert asyncio.run(_users(tmp_path)) == {"root": Role.ADMIN}


def test_create_admin_subprocess(tmp_path: Path) -> None:
    """``python -m game_server create-admin`` works as a real process."""
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "game_server",
            "create-admin",
            "boss",
            "--data-dir",
            str(tmp_path),
        ],
        env={"SUNSHARE_ADMIN_PASSWORD": "another long password", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert "boss" in result.stdout


async def _seed(source: Path) -> None:
    """Seed the demo into a fresh data directory and check what it holds."""
    storage = SQLiteStorage(source / "sunshare.db")
    await storage.open()
    service = GameService(storage, clock)
    await service.seed_catalogue()
    assert await seed_demo(service)
    assert not await seed_demo(service)
    users = await storage.list_users()
    assert len(users) == 13
    teams = await storage.list_teams()
    assert len(teams) == 4
    amelie = next(u for u in users if u.username == "amelie")
    # The demo's Home Assistant household: a producer meter, verified for Enedis.
    assert amelie.username == HOME_PLAYER
    assert amelie.solar_kwc >= HOME_SOLAR_KWC
    assert amelie.prm == HOME_PRM and amelie.prm_verified
    assert not any(u.prm_verified for u in users if u is not amelie)
    readings = await storage.list_readings(amelie.id)
    assert len(readings) == DEMO_DAYS
    assert await storage.list_shedding_events()
    assert await storage.list_action_declarations()
    assert (await service.authenticate("amelie", DEMO_PASSWORD)).id == amelie.id
    await storage.close()


def test_demo_export_import_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "source"
    asyncio.run(_seed(source))
    backup = tmp_path / "backup.json"
    assert main(["export", "--data-dir", str(source), "-o", str(backup)]) == 0
    document = json.loads(backup.read_text(encoding="utf-8"))
    assert len(document["readings"]) >= DEMO_DAYS * 9
    target = tmp_path / "target"
    assert main(["import", str(backup), "--data-dir", str(target)]) == 0
    again = tmp_path / "again.json"
    assert main(["export", "--data-dir", str(target), "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == backup.read_text(encoding="utf-8")
    # Importing into a database that holds data is refused.
    assert main(["import", str(backup), "--data-dir", str(target)]) == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    assert main(["import", str(bad), "--data-dir", str(tmp_path / "other")]) == 1


def test_server_options() -> None:
    args = build_parser().parse_args(
        [
            "--host",
            "127.0.0.1",
            "--port",
            "9000",
            "--database",
            "mongodb://db/x",
            "--demo",
        ]
    )
    assert (args.host, args.port, args.database, args.demo) == (
        "127.0.0.1",
        9000,
        "mongodb://db/x",
        True,
    )
    assert build_parser().parse_args([]).port == 8099


@pytest.mark.parametrize("hour", [0, 6, 17, 23])
async def test_demo_seeds_whatever_the_hour(tmp_path: Path, hour: int) -> None:
    """Seeded days end yesterday: no reading of an unfinished day, no future event."""
    now = datetime(2026, 11, 23, hour, 30, tzinfo=UTC)
    storage = SQLiteStorage(tmp_path / "sunshare.db")
    await storage.open()
    try:
        service = GameService(storage, lambda: now)
        await service.seed_catalogue()
        assert await seed_demo(service)
        today = service.today()
        readings = await storage.list_readings()
        assert max(r.day for r in readings) == today - timedelta(days=1)
        assert all(e.end <= now for e in await storage.list_shedding_events())
    finally:
        await storage.close()
