"""The game card: its bundle served and loaded by the frontend, its websocket command."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, UrlManager
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.game_link.card import BUNDLE, URL
from custom_components.sunshare.game_link.websocket import COMMAND
from game_server.models import Season, User
from tests.game.server import RunningServer

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
MONTH = "2026-11"


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run in Europe/Paris on Monday 23 November 2026 at 10:00."""
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to(NOW)


def _fake_frontend(hass: HomeAssistant) -> UrlManager:
    """Stand in for the frontend's extra module list (the minimum lane has no frontend)."""
    urls = UrlManager(lambda *_: None, [])
    hass.data[DATA_EXTRA_MODULE_URL] = urls
    hass.config.components.add("frontend")
    return urls


async def test_bundle_served_and_added_to_the_frontend(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The static path answers the bundle; its URL (with its hash) is an extra module."""
    assert await async_setup_component(hass, "http", {})
    urls = _fake_frontend(hass)
    assert await async_setup_component(hass, DOMAIN, {})

    [url] = [u for u in urls.urls if u.startswith(f"{URL}?v=")]
    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    body = await response.read()
    assert body == BUNDLE.read_bytes()
    assert b"ll-strategy-dashboard-sunshare" in body


async def test_real_frontend_loads_the_card(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """With the real frontend (current lane) the bundle is one of its extra modules."""
    pytest.importorskip("hass_frontend")
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})

    [url] = [u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if u.startswith(URL)]
    client = await hass_client()
    assert (await client.get(url)).status == 200


async def test_without_http_nothing_is_served(hass: HomeAssistant) -> None:
    """Without the http integration (e.g. a test set-up) the integration still loads."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert "http" not in hass.config.components


@pytest.fixture
async def season(game_server: RunningServer, player: User) -> Season:
    """A season: Alice, Bob (tied at 20) and Dan in a team; Carol's team ahead."""
    season = await game_server.add_season(
        NOW.date() - timedelta(days=23), NOW.date() + timedelta(days=120)
    )
    bob = await game_server.add_player("bob", "Bob")
    team = await game_server.service.create_team(bob, "Les Watts")
    await game_server.service.join_team(player, team.invite_code)
    dan = await game_server.add_player("dan", "Dan")
    await game_server.service.join_team(dan, team.invite_code)
    carol = await game_server.add_player("carol", "Carol")
    await game_server.service.create_team(carol, "Kilowatt Crew")
    await game_server.set_points(
        season, player, MONTH, {"piggy_bank": 12.5, "actions": 3.0, "sobriety": 4.5}
    )
    await game_server.set_points(season, bob, MONTH, {"piggy_bank": 20.0})
    await game_server.set_points(season, dan, MONTH, {"piggy_bank": 5.0})
    await game_server.set_points(season, carol, MONTH, {"piggy_bank": 40.0})
    return season


async def _leaderboard(
    hass_ws_client: WebSocketGenerator, **params: Any
) -> dict[str, Any]:
    """Call the command; return its whole answer."""
    client = await hass_ws_client()
    await client.send_json_auto_id({"type": COMMAND, **params})
    response: dict[str, Any] = await client.receive_json()
    return response


async def test_leaderboard_command(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    season: Season,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The command answers ranks, podium and next peak from the coordinator's data."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    response = await _leaderboard(hass_ws_client, entry_id=game_entry.entry_id)
    assert response["success"], response
    result = response["result"]
    assert result["entry_id"] == game_entry.entry_id
    assert result["title"] == "Sunshare game (Alice)"
    assert result["available"] is True
    assert result["season"]["id"] == season.id
    alice = game_entry.data["player_id"]
    assert result["player"] == {
        "user_id": alice,
        "display_name": "Alice",
        "points": 20.0,
        "rank_in_team": 1,
        "team_size": 3,
    }
    # Teams rank by their members' mean: Carol's 40 beats (20 + 20 + 5) / 3.
    assert result["team"]["name"] == "Les Watts"
    assert result["team"]["rank"] == 2
    assert result["team"]["teams"] == 2
    assert result["team"]["points"] == 15.0
    # Alice and Bob are tied: the server orders them by name, the card shares 1st place.
    assert [(m["display_name"], m["points"], m["me"]) for m in result["podium"]] == [
        ("Alice", 20.0, True),
        ("Bob", 20.0, False),
        ("Dan", 5.0, False),
    ]
    # The season's default peak window (weekdays 18:00-20:00, Europe/Paris).
    assert result["next_peak"] == {
        "start": "2026-11-23T18:00:00+01:00",
        "end": "2026-11-23T20:00:00+01:00",
        "summary": "Peak window",
        "multiplier": None,
        "in_progress": False,
    }


async def test_leaderboard_next_peak_is_the_announced_event(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A peak event in progress comes before the windows, with its multiplier."""
    await game_server.add_peak(season, NOW - timedelta(hours=1), note="Cold snap")
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    # Without entry_id the command answers the (only) loaded game entry.
    result = (await _leaderboard(hass_ws_client))["result"]
    assert result["next_peak"]["summary"] == "Cold snap"
    assert result["next_peak"]["in_progress"] is True
    assert result["next_peak"]["multiplier"] == 3.0


async def test_leaderboard_without_season(
    hass: HomeAssistant, game_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Before any season: no team, no ranks, no peak, an empty podium."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    result = (await _leaderboard(hass_ws_client))["result"]
    assert result["season"] is None
    assert result["team"] is None
    assert result["podium"] == []
    assert result["player"]["rank_in_team"] is None
    assert result["next_peak"] is None


async def test_leaderboard_unknown_entry(
    hass: HomeAssistant, game_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """An entry that is not a loaded game link is an error (not_found)."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    response = await _leaderboard(hass_ws_client, entry_id="nope")
    assert not response["success"]
    assert response["error"]["code"] == "not_found"
