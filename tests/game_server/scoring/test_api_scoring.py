"""End to end: data pushed through the real API is scored and shown by the API.

A January season, three players in two teams; the numbers are computed by hand:

- Alice (team A): reference 10 kWh/day, season 9 kWh/day, no temperature → mean method,
  S = 100·(190 − 171)/190 = 10 % → sobriety 2·10 = 20; the spec's shedding example
  (2 kW heaters 19:00–20:30 on Wednesday 13 January, measured drop 2.1 kW) → 80; one
  self-declared one-off action of level 1 → 10 × 0.5 = 5. Total 105.
- Bob (team A): 10 kWh/day before and during the season → 0.
- Carol (team B, electric heating): 10 before, 11 during → S = −10 % → −20.
Team A = mean(105, 0) = 52.5; team B = −20.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import random
from typing import Any
import uuid

from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.app import SERVICE_KEY, STORAGE_KEY, Settings, create_app
from game_server.models import Mode, Role, Season, User
from game_server.rules.models import PARIS
from game_server.scoring_job import ScoringJob, job_for
from game_server.services import GameService, Registration
from game_server.storage import StorageError

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
TODAY = date(2027, 1, 20)
SEASON_START = date(2027, 1, 1)
PASSWORD = "correct horse battery"
EVENT_ID = str(uuid.UUID(int=7))


def clock() -> datetime:
    """Return the tests' fixed now."""
    return NOW


@dataclass
class Player:
    """A registered player and their token."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Game:
    """A running server with a season, three players and their teams."""

    client: TestClient[Any, Any]
    service: GameService
    season: Season
    players: dict[str, Player]
    team_ids: dict[str, str]

    @property
    def job(self) -> ScoringJob:
        """Return the storage's scoring job."""
        job = job_for(self.client.app[STORAGE_KEY])
        assert isinstance(job, ScoringJob)
        return job

    async def get(self, path: str, who: str = "alice") -> Any:
        """GET an API path as a player and return the JSON body."""
        response = await self.client.get(path, headers=self.players[who].headers)
        assert response.status == 200, await response.text()
        return await response.json()


async def _player(
    client: TestClient[Any, Any], service: GameService, name: str, **profile: Any
) -> Player:
    """Register a player and get their API token."""
    user = await service.register(
        Registration(
            username=name, password=PASSWORD, display_name=name.title(), **profile
        )
    )
    response = await client.post(
        "/api/v1/auth/token",
        json={"username": name, "password": PASSWORD, "device_name": "HA"},
    )
    assert response.status == 201
    return Player(user, (await response.json())["token"])


@pytest.fixture
async def game(tmp_path: Path) -> AsyncIterator[Game]:
    """Run the app on SQLite with a January season and three players in two teams."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        season = await service.create_season(
            None,
            Season(name="Winter", start=SEASON_START, end=date(2027, 3, 31)),
        )
        players = {
            "alice": await _player(client, service, "alice"),
            "bob": await _player(client, service, "bob"),
            "carol": await _player(client, service, "carol", electric_heating=True),
        }
        team_a = await service.create_team(players["alice"].user, "Team A")
        await service.join_team(players["bob"].user, team_a.invite_code)
        team_b = await service.create_team(players["carol"].user, "Team B")
        yield Game(client, service, season, players, {"A": team_a.id, "B": team_b.id})


type Request = tuple[str, str, str, dict[str, Any]]
"""(player, method, path, body)."""


def _requests() -> list[Request]:
    """Return every request of the scenario (readings, one shedding event, one action)."""
    requests: list[Request] = []
    season_kwh = {"alice": 9.0, "bob": 10.0, "carol": 11.0}
    for name, during in season_kwh.items():
        for offset in range(-28, 19):
            day = SEASON_START + timedelta(days=offset)
            kwh = 10.0 if offset < 0 else during
            body = {"import_kwh": kwh, "export_kwh": 0, "production_kwh": 0}
            requests.append((name, "PUT", f"/api/v1/readings/{day}", body))
    start = datetime(2027, 1, 13, 19, 0, tzinfo=PARIS)
    requests.append(
        (
            "alice",
            "POST",
            "/api/v1/shedding-events",
            {
                "id": EVENT_ID,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=90)).isoformat(),
                "declared_w": 2000,
                "measured_w": 2100,
            },
        )
    )
    requests.append(
        (
            "alice",
            "POST",
            "/api/v1/actions",
            {"action_id": "tap_aerators", "date": "2027-01-10"},
        )
    )
    return requests


async def _send(
    game: Game, requests: list[Request], *, first_time: bool = True
) -> None:
    """Send requests through the API, checking each is accepted."""
    for name, method, path, body in requests:
        response = await game.client.request(
            method, path, json=body, headers=game.players[name].headers
        )
        if path.endswith("/actions") and not first_time:
            assert response.status == 409  # a one-off action is declared once
        else:
            assert response.status in (200, 201), await response.text()


async def _scores(game: Game) -> dict[str, Any]:
    """Return every player's score and every leaderboard, as the API shows them."""
    shown: dict[str, Any] = {
        name: await game.get("/api/v1/me/score", name) for name in game.players
    }
    shown["overall"] = await game.get("/api/v1/leaderboard")
    for challenge in game.season.challenges:
        shown[challenge] = await game.get(f"/api/v1/leaderboard?challenge={challenge}")
    return shown


def _points(board: dict[str, Any], key: str = "display_name") -> dict[str, float]:
    """Return a leaderboard's points by player name (or team name)."""
    rows = board["players"] if key == "display_name" else board["teams"]
    return {row[key]: row["points"] for row in rows}


async def test_pushed_data_shows_hand_computed_scores(game: Game) -> None:
    """Readings, a shedding event and an action become the expected points and cards."""
    await _send(game, _requests())
    await game.job.recompute_dirty(TODAY)

    alice = await game.get("/api/v1/me/score")
    assert alice["computed"] is True
    assert alice["challenges"] == {
        "piggy_bank": 0.0,
        "self_consumption": 0.0,
        "sobriety": 20.0,
        "actions": 5.0,
        "shedding": 80.0,
    }
    assert alice["total"] == 105.0
    cards = {(m["challenge"], m["month"]): m["card"] for m in alice["months"]}
    shedding = cards[("shedding", "2027-01")]
    assert shedding["points"] == 80.0
    assert shedding["provisional"] is True
    [event] = shedding["factors"]["events"]
    assert event["event_ids"] == [EVENT_ID]
    sobriety = cards[("sobriety", "2027-01")]
    assert sobriety["reference"]["kind"] == "short"
    assert sobriety["reference"]["days"] == 28
    assert sobriety["weather"]["method"] == "mean"
    assert sobriety["data_quality"] == {
        "valid_days": 19,
        "period_days": 19,
        "valid_share": 1.0,
    }
    assert cards[("piggy_bank", "2027-01")]["reason"] == "no_solar"
    assert cards[("actions", "2027-01")]["points"] == 5.0

    carol = await game.get("/api/v1/me/score", "carol")
    assert carol["challenges"]["sobriety"] == -20.0
    assert carol["total"] == -20.0

    overall = await game.get("/api/v1/leaderboard")
    assert overall["computed"] is True
    assert [row["display_name"] for row in overall["players"]] == [
        "Alice",
        "Bob",
        "Carol",
    ]
    assert _points(overall) == {"Alice": 105.0, "Bob": 0.0, "Carol": -20.0}
    assert [(t["name"], t["points"], t["rank"]) for t in overall["teams"]] == [
        ("Team A", 52.5, 1),
        ("Team B", -20.0, 2),
    ]
    shedding_board = await game.get("/api/v1/leaderboard?challenge=shedding")
    assert _points(shedding_board) == {"Alice": 80.0, "Bob": 0.0, "Carol": 0.0}
    assert _points(shedding_board, "name") == {"Team A": 40.0, "Team B": 0.0}
    sobriety_board = await game.get("/api/v1/leaderboard?challenge=sobriety", "bob")
    assert sobriety_board["players"][0]["display_name"] == "Alice"
    assert sobriety_board["players"][-1]["points"] == -20.0


async def test_resending_the_same_data_changes_nothing(game: Game) -> None:
    """Re-sending every request leaves every score, card and board as it was."""
    requests = _requests()
    await _send(game, requests)
    await game.job.recompute_dirty(TODAY)
    before = await _scores(game)
    stored = await game.client.app[STORAGE_KEY].list_scores(game.season.id)

    await _send(game, requests, first_time=False)
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.written == set()
    assert await _scores(game) == before
    # Nothing was rewritten: the stored entries keep their computation time.
    assert await game.client.app[STORAGE_KEY].list_scores(game.season.id) == stored
    # A full recompute from scratch agrees.
    await game.job.recompute_all(TODAY)
    assert await _scores(game) == before


async def test_scores_do_not_depend_on_arrival_order(
    game: Game, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same data sent in another order, with recomputes in between, scores alike."""
    requests = _requests()
    await _send(game, requests)
    await game.job.recompute_dirty(TODAY)
    expected = await _scores(game)

    app = create_app(
        Settings(
            data_dir=tmp_path_factory.mktemp("other"), clock=clock, web_pages=False
        )
    )
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        season = await service.create_season(
            None, Season(name="Winter", start=SEASON_START, end=date(2027, 3, 31))
        )
        players = {
            "carol": await _player(client, service, "carol", electric_heating=True),
            "bob": await _player(client, service, "bob"),
            "alice": await _player(client, service, "alice"),
        }
        other = Game(client, service, season, players, {})
        shuffled = list(requests)
        random.Random(3).shuffle(shuffled)
        half = len(shuffled) // 2
        await _send(other, shuffled[:half])
        await other.job.recompute_dirty(TODAY)
        team_b = await service.create_team(players["carol"].user, "Team B")
        team_a = await service.create_team(players["alice"].user, "Team A")
        await service.join_team(players["bob"].user, team_a.invite_code)
        await _send(other, shuffled[half:])
        await other.job.recompute_dirty(TODAY)
        got = await _scores(other)

    ids = {
        game.players[n].user.id: players[n].user.id for n in ("alice", "bob", "carol")
    }
    ids |= {game.team_ids["A"]: team_a.id, game.team_ids["B"]: team_b.id}
    ids[game.season.id] = season.id
    assert _renamed(expected, ids) == got


def _renamed(value: Any, ids: dict[str, str]) -> Any:
    """Return a JSON value with some identifiers replaced."""
    if isinstance(value, dict):
        return {k: _renamed(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value


async def test_incremental_recompute_touches_only_what_depends(game: Game) -> None:
    """A day's change recomputes its household and the households sharing its medians."""
    await _send(game, _requests())
    await game.job.recompute_dirty(TODAY)
    alice, bob, carol = (game.players[n] for n in ("alice", "bob", "carol"))

    # Carol is alone in her segment (electric heating): only she is recomputed.
    response = await game.client.put(
        "/api/v1/readings/2027-01-18",
        json={"import_kwh": 30.0, "export_kwh": 0, "production_kwh": 0},
        headers=carol.headers,
    )
    assert response.status == 200
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.full is False
    assert report.recomputed == {carol.user.id}
    assert report.written == {carol.user.id}
    assert report.changed_medians == {"2027-01|heating/no_hot_water"}
    carol_score = await game.get("/api/v1/me/score", "carol")
    # C = 18·11 + 30 = 228 against Ĉ = 190: S = −20 % → −40.
    assert carol_score["challenges"]["sobriety"] == -40.0

    # Alice's change moves her segment's median: Bob is recomputed but not rewritten
    # (his cards do not use that median), and Carol is left alone.
    response = await game.client.put(
        "/api/v1/readings/2027-01-18",
        json={"import_kwh": 0.0, "export_kwh": 0, "production_kwh": 0},
        headers=alice.headers,
    )
    assert response.status == 200
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.recomputed == {alice.user.id, bob.user.id}
    assert report.written == {alice.user.id}

    # Nothing dirty: nothing recomputed.
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.recomputed == set()

    # The incremental result equals a full recompute from storage.
    before = await _scores(game)
    fresh = ScoringJob(game.client.app[STORAGE_KEY])
    [report] = await fresh.recompute_all(TODAY)
    assert report.written == set()
    assert fresh.states[game.season.id].results.keys() == {
        alice.user.id,
        bob.user.id,
        carol.user.id,
    }
    assert await _scores(game) == before


async def test_team_changes_show_at_once_and_move_temperatures(game: Game) -> None:
    """A player joining another team shows on the board at once, then gets rescored."""
    await _send(game, _requests())
    await game.job.recompute_dirty(TODAY)
    bob = game.players["bob"]
    await game.service.leave_team(bob.user)
    team_b = await game.service.get_team(game.team_ids["B"])
    await game.service.join_team(bob.user, team_b.invite_code)

    board = await game.get("/api/v1/leaderboard")
    assert {row["display_name"]: row["team_id"] for row in board["players"]}[
        "Bob"
    ] == team_b.id
    assert _points(board, "name") == {"Team A": 105.0, "Team B": -10.0}
    [report] = await game.job.recompute_dirty(TODAY)
    assert bob.user.id in report.recomputed


async def test_background_task_scores_at_startup(tmp_path: Path) -> None:
    """The app's scoring task runs a full recompute when the server starts."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app)):
        season = await app[SERVICE_KEY].create_season(
            None, Season(name="Winter", start=SEASON_START, end=date(2027, 3, 31))
        )
    # Restart on the same database: the startup pass scores the season by itself.
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        job = job_for(app[STORAGE_KEY])
        for _ in range(500):
            if season.id in job.states:
                break
            await asyncio.sleep(0.01)
        assert season.id in job.states
        board = await (await client.get("/healthz")).json()
        assert board["status"] == "ok"


async def test_simplified_mode_meter_indexes(game: Game) -> None:
    """Weekly meter indexes typed in through the API score sobriety at half trust.

    Indexes 0 (4 Dec), then +70 a week to 270 (31 Dec): 10 kWh/day of reference; then
    333 (7 Jan), 396 (14 Jan), 441 (19 Jan): 9 kWh/day. S = 10 % → 20 × 0.5 = 10 points.
    """
    dave = await _player(game.client, game.service, "dave", mode=Mode.SIMPLIFIED)
    team_b = await game.service.get_team(game.team_ids["B"])
    await game.service.join_team(dave.user, team_b.invite_code)
    indexes = {
        "2026-12-04": 0,
        "2026-12-11": 70,
        "2026-12-18": 140,
        "2026-12-25": 210,
        "2026-12-31": 270,
        "2027-01-07": 333,
        "2027-01-14": 396,
        "2027-01-19": 441,
    }
    for day, value in reversed(indexes.items()):
        response = await game.client.post(
            "/api/v1/meter-index",
            json={"date": day, "import_index_kwh": value},
            headers=dave.headers,
        )
        assert response.status in (200, 201), await response.text()
    await game.job.recompute_dirty(TODAY)
    game.players["dave"] = dave
    score = await game.get("/api/v1/me/score", "dave")
    assert score["challenges"]["sobriety"] == 10.0
    assert score["total"] == 10.0
    cards = {(m["challenge"], m["month"]): m["card"] for m in score["months"]}
    sobriety = cards[("sobriety", "2027-01")]
    assert sobriety["factors"]["reduction_pct"] == 10.0
    assert sobriety["caps"] == ["weekly meter indexes: × 0.5"]
    assert sobriety["reference"]["days"] == 27
    assert cards[("self_consumption", "2027-01")]["reason"] == "no_solar"


async def test_verification_and_profile_changes_are_picked_up(game: Game) -> None:
    """A verified action and a profile change rescore without any data being sent."""
    await _send(game, _requests())
    await game.job.recompute_dirty(TODAY)
    alice, bob = game.players["alice"], game.players["bob"]
    admin = await game.service.register(
        Registration(username="admin", password=PASSWORD, display_name="Admin"),
        role=Role.ADMIN,
    )
    [declaration] = await game.service.storage.list_action_declarations(alice.user.id)
    await game.service.verify_action(admin, declaration.id)
    await game.service.update_profile(bob.user, adults=2)
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.recomputed == {alice.user.id, bob.user.id}
    score = await game.get("/api/v1/me/score")
    assert score["challenges"]["actions"] == 10.0  # verified: 10 × 1.0
    assert score["total"] == 110.0


async def test_a_failed_pass_keeps_the_dirty_marks(
    game: Game, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the storage fails mid-pass, the next pass still scores the changed data."""
    await game.job.recompute_dirty(TODAY)  # the season's first (full) pass
    await _send(game, _requests())
    storage = game.client.app[STORAGE_KEY]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise StorageError("disk unplugged")

    monkeypatch.setattr(storage, "readings_by_user", broken)
    with pytest.raises(StorageError):
        await game.job.recompute_dirty(TODAY)
    monkeypatch.undo()
    assert set(game.job.dirty) == {p.user.id for p in game.players.values()}
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.full is False
    assert (await game.get("/api/v1/me/score"))["total"] == 105.0
