"""Tests for the game client against the real game server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import uuid

import aiohttp
import pytest

from custom_components.sunshare.game import (
    CatalogueAction,
    DailyReading,
    GameAuthError,
    GameClient,
    GameConnectionError,
    GameRateLimitedError,
    GameValidationError,
    ShedEvent,
    game_day_half_hours,
)
from tests.game.server import PASSWORD, RunningServer, running_game_server

pytestmark = pytest.mark.usefixtures("real_sockets")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """Run the game server with a player ``alice``."""
    async with running_game_server(tmp_path) as running:
        await running.add_player("alice", "Alice")
        yield running


@pytest.fixture
async def client(server: RunningServer, session: aiohttp.ClientSession) -> GameClient:
    """Return a client signed in as ``alice``."""
    client = GameClient(session, server.url + "/")
    await client.login("alice", PASSWORD, "Home Assistant (test)")
    return client


def _recent_day(days_ago: int = 2) -> date:
    """Return a past day the server accepts."""
    return datetime.now(UTC).date() - timedelta(days=days_ago)


async def test_login_returns_a_token_and_me_the_player(
    server: RunningServer, session: aiohttp.ClientSession
) -> None:
    """A password is exchanged for a device token, listed on the player's account."""
    client = GameClient(session, server.url)
    token = await client.login("Alice", PASSWORD, "Home Assistant (test)")

    assert token.startswith("ssg_") and client.token == token
    me = await client.me()
    assert me["username"] == "alice"
    assert me["display_name"] == "Alice"
    assert me["season"] is None
    user = await server.service.storage.get_user_by_username("alice")
    assert user is not None and me["id"] == user.id
    tokens = await server.service.list_tokens(user)
    assert [t.device_name for t in tokens] == ["Home Assistant (test)"]


async def test_wrong_password_and_revoked_token_are_auth_errors(
    server: RunningServer, client: GameClient, session: aiohttp.ClientSession
) -> None:
    """A wrong password and a revoked token both raise GameAuthError."""
    with pytest.raises(GameAuthError) as err:
        await GameClient(session, server.url).login("alice", "wrong password!", "x")
    assert err.value.code == "bad_credentials"

    user = await server.service.storage.get_user_by_username("alice")
    assert user is not None
    await server.revoke_tokens(user)
    with pytest.raises(GameAuthError) as err:
        await client.me()
    assert err.value.code == "invalid_token"


async def test_repeated_wrong_passwords_are_rate_limited(
    server: RunningServer, session: aiohttp.ClientSession
) -> None:
    """After five wrong passwords the server asks to wait: GameRateLimitedError."""
    client = GameClient(session, server.url)
    for _ in range(5):
        with pytest.raises(GameAuthError):
            await client.login("alice", "wrong password!", "x")
    with pytest.raises(GameRateLimitedError) as err:
        await client.login("alice", PASSWORD, "x")
    assert err.value.code == "rate_limited"
    assert 0 < err.value.retry_after <= 900  # the Retry-After header (15 min window)
    assert isinstance(err.value, GameConnectionError)


async def test_answer_that_is_not_json(
    server: RunningServer, session: aiohttp.ClientSession
) -> None:
    """A server answering HTML (not a game server) is a validation error."""
    client = GameClient(session, server.url + "/elsewhere", "ssg_token")
    with pytest.raises(GameValidationError) as err:
        await client.me()
    assert err.value.code == "404"


async def test_reading_is_an_idempotent_upsert(
    server: RunningServer, client: GameClient
) -> None:
    """A day with its half-hours is stored; re-sending it replaces it."""
    day = _recent_day()
    count = game_day_half_hours(day)  # 48, or 46/50 when today is near a clock change
    slots = tuple(0.25 + i / 100 for i in range(count))
    reading = DailyReading(
        day=day,
        import_kwh=sum(slots),
        export_kwh=1.5,
        production_kwh=4.0,
        import_slots=slots,
        export_slots=(0.0,) * 16 + (0.1,) * 15 + (0.0,) * (count - 31),
        t_mean_c=6.5,
    )
    await client.put_reading(reading)
    user = await server.service.storage.get_user_by_username("alice")
    assert user is not None
    stored = await server.service.storage.get_reading(user.id, day)
    assert stored is not None
    assert stored.import_kwh == pytest.approx(sum(slots), abs=1e-4)
    assert stored.import_slots == pytest.approx(list(slots))
    assert stored.export_slots is not None
    assert sum(value or 0.0 for value in stored.export_slots) == pytest.approx(1.5)
    assert stored.t_mean_c == 6.5

    await client.put_reading(DailyReading(day=day, import_kwh=9.0))
    readings = await server.service.storage.list_readings(user.id)
    assert len(readings) == 1
    assert readings[0].import_kwh == 9.0
    assert readings[0].import_slots is None


async def test_refused_reading_is_a_validation_error(client: GameClient) -> None:
    """A day in the future is refused with the server's code and message."""
    future = datetime.now(UTC).date() + timedelta(days=3)
    with pytest.raises(GameValidationError) as err:
        await client.put_reading(DailyReading(day=future, import_kwh=1.0))
    assert err.value.code == "day_in_future"
    assert "future" in str(err.value)
    with pytest.raises(GameValidationError) as err:
        await client.put_reading(DailyReading(day=_recent_day(), import_kwh=600.0))
    assert err.value.code == "invalid"


async def test_shedding_event_is_idempotent_by_id(
    server: RunningServer, client: GameClient
) -> None:
    """Sending the same shedding event twice stores it once."""
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    event = ShedEvent(
        id=str(uuid.uuid4()),
        start=end - timedelta(minutes=45),
        end=end,
        declared_w=2000.0,
        measured_w=1830.5,
    )
    await client.post_shedding_event(event)
    await client.post_shedding_event(event)
    events = await server.service.storage.list_shedding_events()
    assert len(events) == 1
    assert events[0].id == event.id
    assert events[0].measured_w == 1830.5
    assert events[0].end == end


async def test_declared_action(server: RunningServer, client: GameClient) -> None:
    """An action of the catalogue is declared once; twice is a validation error."""
    catalogue = await server.service.storage.list_catalogue()
    action = next(item for item in catalogue if not item.recurring)
    await client.post_action(action.id, _recent_day(), "photo on the fridge")
    stored = await server.service.storage.list_action_declarations()
    assert [(d.action_id, d.evidence) for d in stored] == [
        (action.id, "photo on the fridge")
    ]
    with pytest.raises(GameValidationError) as err:
        await client.post_action(action.id, _recent_day(), None)
    assert err.value.code == "already_declared"
    with pytest.raises(GameValidationError) as err:
        await client.post_action("no_such_action", _recent_day(), None)
    assert err.value.code == "unknown_action"


async def test_score_leaderboard_and_peak_events(
    server: RunningServer, client: GameClient
) -> None:
    """Scores, rankings and peak events come back as the server stores them."""
    with pytest.raises(GameValidationError) as err:
        await client.score()
    assert err.value.code == "no_season"

    today = datetime.now(UTC).date()
    season = await server.add_season(today - timedelta(days=10), today + timedelta(90))
    user = await server.service.storage.get_user_by_username("alice")
    assert user is not None
    team = await server.service.create_team(user, "Les Watts")
    await server.set_points(
        season, user, today.strftime("%Y-%m"), {"piggy_bank": 12.5, "actions": 3.0}
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    peak_id = await server.add_peak(season, start, note="Cold snap")

    score = await client.score()
    assert score["total"] == 15.5
    assert score["challenges"]["piggy_bank"] == 12.5
    board = await client.leaderboard()
    assert board["players"][0]["user_id"] == user.id
    assert board["teams"][0]["team_id"] == team.id
    me = await client.me()
    assert me["team"]["id"] == team.id
    assert me["season"]["start"] == season.start.isoformat()
    peaks = await client.peak_events()
    assert [(p.id, p.title, p.start, p.multiplier) for p in peaks] == [
        (peak_id, "Cold snap", start, 3.0)
    ]


async def test_unreachable_server_is_a_connection_error(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """A server that is down raises GameConnectionError."""
    async with running_game_server(tmp_path) as running:
        url = running.url
    with pytest.raises(GameConnectionError):
        await GameClient(session, url, "ssg_token").me()


async def test_catalogue_titles_and_declarations(
    server: RunningServer, client: GameClient
) -> None:
    """The catalogue comes with both titles; a declared one-off action is marked."""
    today = datetime.now(UTC).date()
    await server.add_season(today - timedelta(days=10), today + timedelta(days=60))
    actions = {action.id: action for action in await client.catalogue()}
    stored = {a.id: a for a in await server.service.storage.list_catalogue()}
    assert set(actions) == {i for i, a in stored.items() if a.enabled}
    aerators = actions["tap_aerators"]
    assert (aerators.recurring, aerators.declared) == (False, False)
    assert aerators.title("fr") == stored["tap_aerators"].title_fr
    assert aerators.title("en-GB") == stored["tap_aerators"].title_en
    assert aerators.title("de") == stored["tap_aerators"].title_en
    # Points come with their sign; the server marks what costs points.
    assert (aerators.base_points, aerators.malus) == (10.0, False)
    assert (actions["heated_pool"].base_points, actions["heated_pool"].malus) == (
        -100.0,
        True,
    )

    await client.post_action("tap_aerators", _recent_day(1), None)
    again = {action.id: action for action in await client.catalogue()}
    assert again["tap_aerators"].declared is True
    assert again["heating_19c"].declared is False


def test_catalogue_action_without_titles_is_named_by_its_id() -> None:
    """An action the server sends without any title shows its id."""
    action = CatalogueAction.from_json({"id": "odd_one", "level": "2", "title": None})
    assert (action.title("fr"), action.level, action.recurring) == ("odd_one", 2, False)
