"""Tests for the game server's health check."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from game_server import __version__
from game_server.cli import create_app


async def test_healthz_answers_ok() -> None:
    """The health check answers over real HTTP with the version."""
    async with TestClient(TestServer(create_app())) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "version": __version__}
