"""Tests for the game link's entities against the real game server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sunshare.diagnostics import async_get_config_entry_diagnostics
from custom_components.sunshare.game_link.calendar import window_events
from custom_components.sunshare.game_link.handler import TO_REDACT
from game_server.app import STORAGE_KEY, Settings, create_app
from game_server.models import Season, User
from game_server.scoring_job import job_for
from tests.game.server import RunningServer
from tests.integration.registry import device_by_identifier

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
MONTH = "2026-11"


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run in Europe/Paris on 23 November 2026 at 10:00."""
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to(NOW)


@pytest.fixture
async def season(game_server: RunningServer, player: User) -> Season:
    """Create a season with a team of two (Alice second in it) and stored scores."""
    season = await game_server.add_season(
        NOW.date() - timedelta(days=23), NOW.date() + timedelta(days=120)
    )
    bob = await game_server.add_player("bob", "Bob")
    team = await game_server.service.create_team(bob, "Les Watts")
    await game_server.service.join_team(player, team.invite_code)
    carol = await game_server.add_player("carol", "Carol")
    await game_server.service.create_team(carol, "Kilowatt Crew")
    await game_server.set_points(
        season, player, MONTH, {"piggy_bank": 12.5, "actions": 3.0, "sobriety": 4.5}
    )
    await game_server.set_points(season, bob, MONTH, {"piggy_bank": 30.0})
    await game_server.set_points(season, carol, MONTH, {"piggy_bank": 40.0})
    return season


def _state(hass: HomeAssistant, unique_suffix: str, platform: str = "sensor") -> Any:
    """Return the state of the game entity with a unique id suffix."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        platform, "sunshare", f"game01_{unique_suffix}"
    )
    assert entity_id is not None, unique_suffix
    return hass.states.get(entity_id)


async def test_score_sensors(
    hass: HomeAssistant, game_entry: MockConfigEntry, season: Season
) -> None:
    """Score, ranks, challenge points and data quality show what the server stores."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert game_entry.state is ConfigEntryState.LOADED
    score = _state(hass, "score")
    assert score.state == "20.0"
    assert score.attributes["unit_of_measurement"] == "points"
    assert score.attributes["friendly_name"] == "Sunshare game (Alice) Score"
    # Ranks stay numbers; "x of N" takes N from the leaderboard's ``out_of``.
    rank_in_team = _state(hass, "rank_in_team")
    assert rank_in_team.state == "2"
    assert rank_in_team.attributes["out_of"] == 2  # Alice and Bob
    # Teams rank by their members' mean: Carol's 40 beats (20 + 30) / 2.
    team_rank = _state(hass, "team_rank")
    assert team_rank.state == "2"
    assert team_rank.attributes["out_of"] == 2  # Les Watts and Kilowatt Crew
    assert _state(hass, "score_piggy_bank").state == "12.5"
    assert _state(hass, "score_sobriety").state == "4.5"
    assert _state(hass, "score_shedding").state == "0.0"
    assert _state(hass, "piggy_bank_month").state == "12.5"
    # The stored cards are empty (no scoring job yet): nothing says the data is partial.
    assert _state(hass, "data_quality").state == "ok"


async def test_device_is_named_in_home_assistant_language(
    hass: HomeAssistant, game_entry: MockConfigEntry, season: Season
) -> None:
    """The service device reads "Jeu Sunshare (Alice)" on a French Home Assistant."""
    hass.config.language = "fr"
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    device = device_by_identifier(hass, game_entry.entry_id)
    assert device.name == "Jeu Sunshare (Alice)"
    assert _state(hass, "score").attributes["friendly_name"] == (
        "Jeu Sunshare (Alice) Score"
    )


async def test_no_season_yet(hass: HomeAssistant, game_entry: MockConfigEntry) -> None:
    """Without a season the entry loads; scores are unknown, not errors."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert game_entry.state is ConfigEntryState.LOADED
    assert _state(hass, "score").state == "unknown"
    assert _state(hass, "data_quality").state == "unknown"
    assert _state(hass, "peaks", "calendar").state == "off"
    # No rank, so no "of N" either.
    assert "out_of" not in _state(hass, "rank_in_team").attributes
    assert "out_of" not in _state(hass, "team_rank").attributes


async def test_peak_calendar_and_events(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    """A new peak is announced at the next poll and fires again when it starts."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    event_state = _state(hass, "peak", "event")
    assert event_state.state == "unknown"

    start = NOW.replace(hour=18)
    peak_id = await game_server.add_peak(season, start, note="Cold snap")
    freezer.tick(timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    event_state = _state(hass, "peak", "event")
    assert event_state.attributes["event_type"] == "peak_announced"
    assert event_state.attributes["id"] == peak_id
    assert event_state.attributes["title"] == "Cold snap"
    assert event_state.attributes["multiplier"] == 3.0
    calendar = _state(hass, "peaks", "calendar")
    assert calendar.state == "off"
    assert calendar.attributes["message"] == "Cold snap"
    assert calendar.attributes["start_time"] == "2026-11-23 18:00:00"

    client = await hass_client()
    response = await client.get(
        f"/api/calendars/{calendar.entity_id}?start=2026-11-23T00:00:00Z&end=2026-11-24T00:00:00Z"
    )
    assert response.status == 200
    events = await response.json()
    # The peak event and the season's default peak window (weekdays 18:00-20:00).
    assert [(e["summary"], e["uid"], e["start"]) for e in events] == [
        ("Cold snap", peak_id, {"dateTime": "2026-11-23T18:00:00+01:00"}),
        (
            "Peak window",
            "window-2026-11-23-18:00",
            {"dateTime": "2026-11-23T18:00:00+01:00"},
        ),
    ]

    # Polls before the start do not announce it again.
    freezer.move_to(start - timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _state(hass, "peak", "event").attributes["event_type"] == "peak_announced"

    freezer.move_to(start)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    event_state = _state(hass, "peak", "event")
    assert event_state.attributes["event_type"] == "peak_started"
    assert event_state.attributes["id"] == peak_id
    assert _state(hass, "peaks", "calendar").state == "on"
    fired_at = event_state.state

    # A restart during the peak neither repeats the start nor loses it.
    assert await hass.config_entries.async_reload(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _state(hass, "peak", "event").state == fired_at


async def test_peak_started_while_home_assistant_was_down(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
) -> None:
    """A peak already in progress at start-up fires ``peak_started`` once."""
    peak_id = await game_server.add_peak(season, NOW - timedelta(minutes=30))
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    event_state = _state(hass, "peak", "event")
    assert event_state.attributes["event_type"] == "peak_started"
    assert event_state.attributes["id"] == peak_id
    assert event_state.attributes["title"] == "Peak event"


async def test_server_down_then_back(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """While the server is down the entities are unavailable; they recover after."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    port = game_server.server.port
    await game_server.server.close()

    freezer.tick(timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert game_entry.state is ConfigEntryState.LOADED
    assert _state(hass, "score").state == STATE_UNAVAILABLE
    assert _state(hass, "peaks", "calendar").state == STATE_UNAVAILABLE

    # The same server (same database) comes back on the same port.
    again = TestServer(create_app(Settings(data_dir=tmp_path / "server")), port=port)
    await again.start_server(host="127.0.0.1")
    try:
        # The restarted server scores the season at start-up (no readings: the stored
        # 20 points become 0); wait for that pass so the value does not race it.
        job = job_for(again.app[STORAGE_KEY])
        while not job.states:  # noqa: ASYNC110 - the frozen clock stops asyncio.sleep(>0)
            await asyncio.sleep(0)
        freezer.tick(timedelta(minutes=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert _state(hass, "score").state == "0.0"
    finally:
        await hass.config_entries.async_unload(game_entry.entry_id)
        await again.close()


async def test_server_down_at_start_up(
    hass: HomeAssistant, game_entry: MockConfigEntry, game_server: RunningServer
) -> None:
    """The entry loads without the server: its entities are unavailable."""
    await game_server.server.close()
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert game_entry.state is ConfigEntryState.LOADED
    assert _state(hass, "score").state == STATE_UNAVAILABLE
    assert _state(hass, "peak", "event").state == STATE_UNAVAILABLE


async def test_revoked_token_starts_reauth(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A token revoked on the server starts the reauth flow at the next poll."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await game_server.revoke_tokens(player)

    freezer.tick(timedelta(minutes=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    flows = hass.config_entries.flow.async_progress_by_handler("sunshare")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["step_id"] == "game_reauth_confirm"
    assert _state(hass, "score").state == STATE_UNAVAILABLE


async def test_diagnostics_redact_the_token(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    season: Season,
) -> None:
    """The diagnostics hold the poll and the outbox, never the token."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    diagnostics = json.loads(
        json.dumps(await async_get_config_entry_diagnostics(hass, game_entry))
    )
    assert diagnostics["kind"] == "game"
    assert diagnostics["data"]["token"] == "**REDACTED**"
    assert game_entry.data["token"] not in str(diagnostics)
    assert diagnostics["data"]["username"] == "**REDACTED**"
    assert diagnostics["me"]["username"] == "**REDACTED**"
    assert diagnostics["me"]["display_name"] == "**REDACTED**"
    assert diagnostics["score"]["total"] == 20.0
    assert diagnostics["last_update_success"] is True
    assert diagnostics["uploads"]["pending"] == []
    assert "token" in TO_REDACT


def test_peak_windows_follow_weekdays_months_and_summer_time() -> None:
    """Windows repeat on their weekdays and months, in Paris time, inside the season."""
    season = {
        "start": "2026-11-01",
        "end": "2027-03-30",
        "peak_windows": [
            {
                "start": "18:00",
                "end": "20:00",
                "months": [11, 12, 1, 2, 3],
                "weekdays": [0, 1, 2, 3, 4],
            },
        ],
    }
    events = window_events(
        season,
        datetime.fromisoformat("2027-03-26T00:00:00+00:00"),
        datetime.fromisoformat("2027-04-03T00:00:00+00:00"),
        "Peak window",
    )
    # Friday 26 (winter time), Monday 29 and Tuesday 30 (summer time); the season
    # ends on the 30th; no window on the weekend.
    assert [(e.start.isoformat(), e.end.isoformat()) for e in events] == [
        ("2027-03-26T18:00:00+01:00", "2027-03-26T20:00:00+01:00"),
        ("2027-03-29T18:00:00+02:00", "2027-03-29T20:00:00+02:00"),
        ("2027-03-30T18:00:00+02:00", "2027-03-30T20:00:00+02:00"),
    ]
    assert window_events(None, NOW, NOW + timedelta(days=7), "x") == []
