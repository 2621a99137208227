"""Fixtures for the game link tests: the real game server and a game entry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.game import GameClient
from game_server.models import User
from tests.game.server import PASSWORD, RunningServer, running_game_server

ENTRY_ID = "game01"


@pytest.fixture
async def game_server(
    real_sockets: None, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[RunningServer]:
    """Run the real game server on 127.0.0.1.

    Parametrised indirectly with ``"older"``: a server without ``PUT /readings``.
    """
    older = getattr(request, "param", None) == "older"
    async with running_game_server(
        tmp_path / "server", bulk_readings=not older
    ) as server:
        yield server


@pytest.fixture
async def player(game_server: RunningServer) -> User:
    """Register the player ``alice``."""
    return await game_server.add_player("alice", "Alice")


@pytest.fixture
def options() -> dict[str, Any]:
    """Return the game entry's options (tests override it)."""
    return {}


async def signed_in_entry(
    hass: HomeAssistant, server: RunningServer, user: User, options: dict[str, Any]
) -> MockConfigEntry:
    """Return a game entry for ``user`` with a fresh API token (not yet set up)."""
    client = GameClient(async_get_clientsession(hass), server.url)
    token = await client.login(user.username, PASSWORD, "Home Assistant (test)")
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title=f"Sunshare game ({user.display_name})",
        unique_id=f"{server.url}#{user.id}",
        data={
            CONF_KIND: EntryKind.GAME.value,
            "url": server.url,
            "username": user.username,
            "player_id": user.id,
            "token": token,
        },
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def game_entry(
    hass: HomeAssistant,
    game_server: RunningServer,
    player: User,
    options: dict[str, Any],
) -> MockConfigEntry:
    """Return a game entry signed in as ``alice`` (not yet set up)."""
    return await signed_in_entry(hass, game_server, player, options)
