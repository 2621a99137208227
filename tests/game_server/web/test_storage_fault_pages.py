"""A web page the storage fails answers a plain 503 page in the player's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging
from typing import Any

from aiohttp.test_utils import TestClient
import pytest

from game_server.app import SERVICE_KEY, STORAGE_KEY
from game_server.storage.sqlite import SQLiteStorage
from tests.game_server.test_storage_faults import reopen

from .conftest import Browser, registration


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "La base de données du jeu est indisponible pour le moment."),
        ("en", "The game's database is unavailable for now."),
    ],
)
async def test_page_on_a_read_only_database(
    client: TestClient[Any, Any],
    make_browser: Callable[[], Awaitable[Browser]],
    caplog: pytest.LogCaptureFixture,
    language: str,
    text: str,
) -> None:
    """Registering on a read-only database: a 503 page, then it works once writable."""
    assert client.app is not None
    storage = client.app[STORAGE_KEY]
    service = client.app[SERVICE_KEY]
    assert isinstance(storage, SQLiteStorage)
    headers = {"Accept-Language": language}
    browser = await make_browser()
    status, _ = await browser.get("/register", headers=headers)
    assert status == 200

    await reopen(storage, read_only=True)
    with caplog.at_level(logging.INFO):
        response = await browser.client.post(
            "/register",
            data={**registration("zoe"), "csrf_token": browser.csrf},
            headers=headers,
        )
        page = await response.text()
    assert response.status == 503
    assert response.content_type == "text/html"
    assert text.replace("'", "&#39;") in page
    assert "Traceback" not in page
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith(("game_server", "aiohttp"))
    ]
    assert len(errors) == 1
    assert "POST /register" in errors[0].getMessage()
    assert await service.storage.get_user_by_username("zoe") is None

    await reopen(storage, read_only=False)
    status, _ = await browser.get("/register", headers=headers)
    status, _ = await browser.post("/register", registration("zoe"), headers=headers)
    assert status == 200
    assert await service.storage.get_user_by_username("zoe") is not None
