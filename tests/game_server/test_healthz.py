"""Tests for the game server's health check and lifecycle."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server import __version__
from game_server.app import STORAGE_KEY, JsonFormatter, Settings
from game_server.cli import create_app
from game_server.storage.sqlite import SQLiteStorage


async def test_healthz_answers_ok(tmp_path: Path) -> None:
    """The health check answers over real HTTP with the version."""
    app = create_app(Settings(data_dir=tmp_path))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "version": __version__,
            "storage": {"read": True, "write": True},
        }
        storage = app[STORAGE_KEY]
        assert isinstance(storage, SQLiteStorage)
        assert storage.path == tmp_path / "sunshare.db"
        # The action catalogue is loaded at first start.
        assert len(await storage.list_catalogue()) > 10
    # Shutdown closed the storage.
    assert not await storage.ping()


async def test_healthz_reports_a_dead_database(tmp_path: Path) -> None:
    """The health check answers 503 when the database stops answering."""
    app = create_app(Settings(data_dir=tmp_path, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        await app[STORAGE_KEY].close()
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["status"] == "unavailable"
        assert (await response.json())["storage"] == {"read": False, "write": False}


def test_json_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    """Structured log records become one JSON object per line."""
    record = logging.LogRecord(
        "game_server.access", logging.INFO, "x", 1, "GET /", (), None
    )
    record.method = "GET"
    record.status = 200
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["level"] == "INFO"


async def test_graceful_shutdown_finishes_requests(tmp_path: Path) -> None:
    """Shutting down lets an in-flight request finish, then closes the storage."""
    app = create_app(Settings(data_dir=tmp_path, web_pages=False))
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        await release.wait()
        return web.json_response({"done": True})

    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    storage = app[STORAGE_KEY]
    async with aiohttp.ClientSession() as session:
        request = asyncio.create_task(session.get(f"http://127.0.0.1:{port}/slow"))
        await started.wait()
        shutdown = asyncio.create_task(runner.cleanup())
        await asyncio.sleep(0)
        assert not shutdown.done()
        assert await storage.ping()
        release.set()
        response = await request
        assert response.status == 200
        assert await response.json() == {"done": True}
        await shutdown
    assert not await storage.ping()
