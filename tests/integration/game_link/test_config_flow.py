"""Tests for joining a Sunshare game: config, reauth and options flows."""

from __future__ import annotations

from datetime import timedelta
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import config_entries
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.game import GameClient
from custom_components.sunshare.game_link.flow import async_drop_token, normalize_url
from game_server.models import User
from tests.game.server import PASSWORD, RunningServer, running_game_server
from tests.integration.statistics import metadata

from .conftest import signed_in_entry


@pytest.fixture(autouse=True)
def no_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Do not set the created entries up (the flow is tested alone)."""

    async def _setup(hass: HomeAssistant, entry: Any) -> bool:
        """Pretend the entry loaded."""
        return True

    monkeypatch.setattr("custom_components.sunshare.async_setup_entry", _setup)


async def _start(hass: HomeAssistant) -> Any:
    """Open the menu and choose "Join a Sunshare game"."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "game" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "game"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "game"
    return result


def _form(
    url: str, password: str = PASSWORD, username: str = "Alice "
) -> dict[str, Any]:
    """Return the user step's input."""
    return {"url": url, "username": username, "password": password}


async def test_join_a_game(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """The password is exchanged for a device token and not stored."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(game_server.url + "/")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Sunshare game (Alice)"
    data = result["data"]
    assert set(data) == {"kind", "url", "username", "player_id", "token"}
    assert data["kind"] == "game"
    assert data["url"] == game_server.url
    assert data["username"] == "Alice"
    assert data["player_id"] == player.id
    assert PASSWORD not in str(data)
    assert result["result"].unique_id == f"{game_server.url}#{player.id}"
    user, token = await game_server.service.user_for_token(data["token"])
    assert user.id == player.id
    assert token.device_name == "Home Assistant (test home)"


async def test_join_a_game_in_french(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """The entry is titled in Home Assistant's language, like its device."""
    hass.config.language = "fr"
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(game_server.url + "/")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Jeu Sunshare (Alice)"


async def test_errors_recover(
    hass: HomeAssistant, game_server: RunningServer, player: User, tmp_path: Path
) -> None:
    """Bad URL, unreachable server, refused request and wrong password all recover."""
    async with running_game_server(tmp_path / "gone") as gone:
        dead_url = gone.url
    result = await _start(hass)
    for user_input, errors in (
        (_form("ftp://example.org"), {"url": "game_invalid_url"}),
        (_form(dead_url), {"base": "game_cannot_connect"}),
        (_form(game_server.url + "/not-a-game"), {"base": "game_unexpected"}),
        (_form(game_server.url, "wrong password"), {"base": "game_invalid_auth"}),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(game_server.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_too_many_attempts_then_recover(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    game_server: RunningServer,
    player: User,
) -> None:
    """After five wrong passwords the server makes the player wait 15 minutes."""
    result = await _start(hass)
    for _ in range(5):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _form(game_server.url, "wrong password")
        )
        assert result["errors"] == {"base": "game_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(game_server.url)
    )
    assert result["errors"] == {"base": "game_too_many_attempts"}

    freezer.tick(timedelta(minutes=16))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(game_server.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_player_twice_aborts(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """The same player on the same server is one entry."""
    await signed_in_entry(hass, game_server, player, {})
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(game_server.url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # The token the flow got is revoked: only the entry's token is left.
    tokens = await game_server.service.list_tokens(player)
    assert len(tokens) == 1


async def test_reauth_gets_a_new_token(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """After the token is revoked, the password gets a new one for the same player."""
    entry = await signed_in_entry(hass, game_server, player, {})
    old_token = entry.data["token"]
    await game_server.revoke_tokens(player)

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "game_reauth_confirm"
    assert result["description_placeholders"]["username"] == "alice"
    assert result["description_placeholders"]["url"] == game_server.url
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "wrong password"}
    )
    assert result["errors"] == {"base": "game_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": PASSWORD}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"] != old_token
    user, _ = await game_server.service.user_for_token(entry.data["token"])
    assert user.id == player.id


async def test_reauth_as_another_player_aborts(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """Signing in again as someone else does not change the entry."""
    entry = await signed_in_entry(hass, game_server, player, {})
    token = entry.data["token"]
    await game_server.add_player("bob")
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "username": "bob"}
    )

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": PASSWORD}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "game_wrong_player"
    assert entry.data["token"] == token
    bob = await game_server.service.storage.get_user_by_username("bob")
    assert bob is not None
    assert await game_server.service.list_tokens(bob) == []


async def test_options_energy_dashboard_and_temperature(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """The Energy dashboard is the default; a temperature sensor is optional."""
    entry = await signed_in_entry(hass, game_server, player, {})
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "game_options"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"energy_source": "energy_dashboard", "temperature": "sensor.outdoor"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "energy_source": "energy_dashboard",
        "temperature": "sensor.outdoor",
    }


async def test_options_hand_picked_statistics(
    hass: HomeAssistant, game_server: RunningServer, player: User
) -> None:
    """Hand-picked statistics need a grid consumption statistic."""
    entry = await signed_in_entry(
        hass, game_server, player, {"temperature": "sensor.outdoor"}
    )
    start = dt_util.start_of_local_day() - timedelta(days=1)
    for statistic_id, unit, name in (
        ("sensor.linky_index", "kWh", "Linky index"),
        ("sensor.gas", "m³", "Gas"),
    ):
        async_import_statistics(
            hass,
            metadata(statistic_id, unit, name=name),
            [{"start": start, "state": 1.0, "sum": 1.0}],
        )
    await async_wait_recording_done(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"energy_source": "manual"}
    )
    assert result["step_id"] == "game_sources"
    offered = result["data_schema"].schema["grid_import"].config["options"]
    assert offered == [
        {"value": "sensor.linky_index", "label": "Linky index (sensor.linky_index)"}
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"grid_import": [], "solar": ["sensor.solar"]}
    )
    assert result["errors"] == {"grid_import": "game_grid_import_required"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"grid_import": ["sensor.linky_index", "sensor.hc"], "solar": ["sensor.solar"]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "energy_source": "manual",
        "grid_import": ["sensor.linky_index", "sensor.hc"],
        "grid_export": [],
        "solar": ["sensor.solar"],
        "battery_charge": [],
        "battery_discharge": [],
    }


def test_normalize_url() -> None:
    """Only http(s) URLs with a host are accepted; the trailing slash goes."""
    assert normalize_url(" https://game.example.org/ ") == "https://game.example.org"
    assert normalize_url("http://[::1") is None
    assert normalize_url("game.example.org") is None


async def test_unused_token_revocation_is_best_effort(
    hass: HomeAssistant,
    real_sockets: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Revoking an unused token never fails the flow (server gone: logged only)."""
    async with running_game_server(tmp_path / "gone") as gone:
        url = gone.url
    client = GameClient(async_get_clientsession(hass), url, "ssg_token")
    await async_drop_token(client)
    assert "Could not revoke" not in caplog.text
    client.token_id = "0123"
    caplog.set_level(logging.DEBUG, logger="custom_components.sunshare")
    await async_drop_token(client)
    assert "Could not revoke the unused game token" in caplog.text
