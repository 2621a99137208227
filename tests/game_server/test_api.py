"""The JSON API over real HTTP: authentication, validation, idempotency, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
import uuid

from aiohttp.test_utils import TestClient, TestServer
import jsonschema
import pytest

from game_server import scoring
from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import Mode, ScoreEntry, User
from game_server.services import GameService

from .helpers import PASSWORD, add_season, clock, registration


@dataclass
class Api:
    """A running server, its service and a player's token."""

    client: TestClient[Any, Any]
    service: GameService
    user: User
    token: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        """Return the Authorization header."""
        return {"Authorization": f"Bearer {token or self.token}"}

    async def put_day(self, day: str, body: dict[str, Any]) -> Any:
        """PUT a reading and return the response."""
        return await self.client.put(
            f"/api/v1/readings/{day}", json=body, headers=self.auth()
        )


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """Run the app on SQLite with a season and a registered player holding a token."""
    app = create_app(
        Settings(
            data_dir=tmp_path, clock=clock, max_body_bytes=64 * 1024, web_pages=False
        )
    )
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        await add_season(service)
        user = await service.register(registration("alice", "12345678901234"))
        response = await client.post(
            "/api/v1/auth/token",
            json={"username": "Alice", "password": PASSWORD, "device_name": "HA"},
        )
        assert response.status == 201
        token = (await response.json())["token"]
        yield Api(client, service, user, token)


DAY = {"import_kwh": 12.5, "export_kwh": 3.0, "production_kwh": 8.0}


async def expect_error(
    response: Any, status: int, code: str | None = None
) -> dict[str, Any]:
    """Assert a JSON error document with a status (and code)."""
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) >= {"error", "message"}
    if code is not None:
        assert body["error"] == code
    assert isinstance(body, dict)
    return body


async def test_token_me_and_revoke(api: Api) -> None:
    response = await api.client.get("/api/v1/me", headers=api.auth())
    assert response.status == 200
    me = await response.json()
    assert me["username"] == "alice"
    assert me["household"]["adults"] == 2
    assert me["season"]["name"] == "Winter 2026"
    assert me["season"]["reference_window_days"] == 28
    assert me["season"]["peak_windows"][0]["start"] == "18:00"
    assert me["team"] is None
    assert "password_hash" not in me
    tokens = await (
        await api.client.get("/api/v1/auth/tokens", headers=api.auth())
    ).json()
    assert [t["device_name"] for t in tokens["tokens"]] == ["HA"]
    assert "token_hash" not in tokens["tokens"][0]
    token_id = tokens["tokens"][0]["id"]
    response = await api.client.delete(
        f"/api/v1/auth/tokens/{token_id}", headers=api.auth()
    )
    assert response.status == 204
    await expect_error(
        await api.client.get("/api/v1/me", headers=api.auth()), 401, "invalid_token"
    )


async def test_authentication_errors(api: Api) -> None:
    await expect_error(await api.client.get("/api/v1/me"), 401, "missing_token")
    await expect_error(
        await api.client.get("/api/v1/me", headers=api.auth("ssg_nope")),
        401,
        "invalid_token",
    )
    other = await api.service.register(registration("bob"))
    _token, secret = await api.service.issue_token(other, "phone")
    tokens = await (
        await api.client.get("/api/v1/auth/tokens", headers=api.auth())
    ).json()
    # A player cannot revoke someone else's token.
    bob_tokens = await api.service.list_tokens(other)
    await expect_error(
        await api.client.delete(
            f"/api/v1/auth/tokens/{bob_tokens[0].id}", headers=api.auth()
        ),
        404,
    )
    assert len(tokens["tokens"]) == 1
    admin = await api.service.register(registration("root"))
    admin.role = admin.role.ADMIN
    await api.service.storage.update_user(admin)
    await api.service.set_disabled(admin, other.id, True)
    await expect_error(
        await api.client.get("/api/v1/me", headers=api.auth(secret)),
        403,
        "account_disabled",
    )


async def test_login_throttled(api: Api) -> None:
    bad = {"username": "alice", "password": "wrong password!", "device_name": "x"}
    for _ in range(5):
        await expect_error(
            await api.client.post("/api/v1/auth/token", json=bad),
            401,
            "bad_credentials",
        )
    good = {**bad, "password": PASSWORD}
    response = await api.client.post("/api/v1/auth/token", json=good)
    body = await expect_error(response, 429, "too_many_attempts")
    assert "try again" in body["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


async def test_reading_upsert_is_idempotent(api: Api) -> None:
    response = await api.put_day("2026-11-20", DAY)
    assert response.status == 201
    assert (await response.json())["created"] is True
    again = await api.put_day("2026-11-20", DAY)
    assert again.status == 200
    replaced = await api.put_day(
        "2026-11-20",
        {
            **DAY,
            "import_kwh": 10.0,
            "slots": {"import": [0.2] * 48, "export": [None] * 48},
            "t_mean_c": 5.5,
            "source": "enedis",
        },
    )
    assert replaced.status == 200
    readings = await api.service.storage.list_readings(api.user.id)
    assert len(readings) == 1
    assert readings[0].import_kwh == 10.0
    assert readings[0].import_slots == [0.2] * 48
    assert readings[0].source.value == "enedis"


@pytest.mark.parametrize(
    ("day", "body", "status", "code"),
    [
        ("2026-11-20", {**DAY, "import_kwh": -1}, 422, "invalid"),
        ("2026-11-20", {**DAY, "import_kwh": 501}, 422, "invalid"),
        ("2026-11-20", {**DAY, "import_kwh": "12"}, 422, "invalid"),
        ("2026-11-20", {**DAY, "import_kwh": True}, 422, "invalid"),
        ("2026-11-20", {"export_kwh": 1, "production_kwh": 1}, 422, "missing_field"),
        ("2026-11-20", {**DAY, "colour": "red"}, 422, "unknown_field"),
        ("2026-11-20", {**DAY, "slots": {"import": [0.1] * 49}}, 422, "slot_count"),
        ("2026-11-20", {**DAY, "slots": {"import": [0.1] * 47}}, 422, "slot_count"),
        ("2026-11-20", {**DAY, "slots": {"import": [0.1] * 46}}, 422, "slot_count"),
        (
            "2026-11-20",
            {**DAY, "slots": {"import": [-0.1] + [0.1] * 47}},
            422,
            "invalid",
        ),
        ("2026-11-20", {**DAY, "slots": {"import": ["x"]}}, 422, "invalid"),
        ("2026-11-20", {**DAY, "slots": [1, 2]}, 422, "invalid"),
        ("2026-11-20", {**DAY, "slots": {"other": []}}, 422, "invalid"),
        ("2026-11-20", {**DAY, "t_mean_c": 99}, 422, "invalid"),
        ("2026-11-20", {**DAY, "source": "index"}, 422, "invalid"),
        ("2026-11-20", {**DAY, "source": "guess"}, 422, "invalid"),
        ("2026-11-20", {**DAY, "export_kwh": 30}, 422, "inconsistent"),
        ("2026-11-24", DAY, 422, "day_in_future"),
        ("2026-10-03", DAY, 422, "day_too_old"),
        ("2026-13-01", DAY, 422, "invalid"),
        ("20261120", DAY, 422, "invalid"),
    ],
)
async def test_reading_validation(
    api: Api, day: str, body: dict[str, Any], status: int, code: str
) -> None:
    body_json = await expect_error(await api.put_day(day, body), status, code)
    assert body_json["message"]
    assert await api.service.storage.list_readings(api.user.id) == []


@pytest.mark.parametrize(
    ("now", "day", "count"),
    [
        (datetime(2026, 11, 23, 12, tzinfo=UTC), "2026-11-20", 48),
        (datetime(2026, 11, 23, 12, tzinfo=UTC), "2026-10-25", 50),  # fall back
        (datetime(2027, 4, 2, 12, tzinfo=UTC), "2027-03-28", 46),  # spring forward
    ],
)
async def test_slots_hold_the_days_real_half_hours(
    tmp_path: Path, now: datetime, day: str, count: int
) -> None:
    """A day's half-hours are accepted only in the day's real count, said in the error."""
    app = create_app(Settings(data_dir=tmp_path, clock=lambda: now, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        await add_season(service)
        user = await service.register(registration("alice"))
        token = (
            await (
                await client.post(
                    "/api/v1/auth/token",
                    json={
                        "username": "alice",
                        "password": PASSWORD,
                        "device_name": "HA",
                    },
                )
            ).json()
        )["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for wrong in sorted({46, 47, 48, 49, 50} - {count}):
            response = await client.put(
                f"/api/v1/readings/{day}",
                json={**DAY, "slots": {"import": [0.25] * wrong}},
                headers=headers,
            )
            body = await expect_error(response, 422, "slot_count")
            assert f"exactly {count} half-hours" in body["message"]
            assert f"not {wrong}" in body["message"]
            assert body["field"] == "import_slots"
        assert await service.storage.list_readings(user.id) == []
        slots = [0.25] * (count - 1) + [None]
        response = await client.put(
            f"/api/v1/readings/{day}",
            json={**DAY, "slots": {"import": slots, "export": [0.0] * count}},
            headers=headers,
        )
        assert response.status == 201, await response.text()
        (reading,) = await service.storage.list_readings(user.id)
        assert reading.import_slots == slots


async def test_malformed_and_oversized_bodies(api: Api) -> None:
    await expect_error(
        await api.client.put(
            "/api/v1/readings/2026-11-20", data=b"{not json", headers=api.auth()
        ),
        400,
        "invalid_json",
    )
    await expect_error(
        await api.client.put(
            "/api/v1/readings/2026-11-20", json=[1, 2], headers=api.auth()
        ),
        400,
        "invalid_json",
    )
    await expect_error(
        await api.client.put(
            "/api/v1/readings/2026-11-20",
            data=b"{" + b" " * (65 * 1024) + b"}",
            headers=api.auth(),
        ),
        413,
        "payload_too_large",
    )
    await expect_error(await api.client.get("/api/v1/nowhere"), 404, "not_found")
    await expect_error(await api.client.post("/api/v1/me", headers=api.auth()), 405)


async def test_shedding_events_idempotent_by_id(api: Api) -> None:
    event = {
        "id": str(uuid.uuid4()),
        "start": "2026-11-20T18:00:00+01:00",
        "end": "2026-11-20T19:30:00+01:00",
        "declared_w": 2000,
        "measured_w": 2100,
    }
    url = "/api/v1/shedding-events"
    first = await api.client.post(url, json=event, headers=api.auth())
    assert first.status == 201
    assert (await first.json())["start"] == "2026-11-20T17:00:00+00:00"
    second = await api.client.post(url, json=event, headers=api.auth())
    assert second.status == 200
    assert (await second.json())["created"] is False
    await expect_error(
        await api.client.post(url, json={**event, "declared_w": 1}, headers=api.auth()),
        409,
        "id_reused",
    )
    assert len(await api.service.storage.list_shedding_events(api.user.id)) == 1
    for bad in (
        {**event, "id": "not-a-uuid"},
        {**event, "end": event["start"]},
        {**event, "start": "2026-11-20T18:00:00"},
        {**event, "declared_w": 0},
        {**event, "declared_w": 50000},
        {**event, "end": "2026-11-30T18:00:00+01:00"},
    ):
        await expect_error(
            await api.client.post(url, json=bad, headers=api.auth()), 422
        )


async def test_actions_and_meter_index(api: Api) -> None:
    url = "/api/v1/actions"
    declared = await api.client.post(
        url,
        json={
            "action_id": "heating_19c",
            "date": "2026-11-20",
            "evidence": "thermostat",
        },
        headers=api.auth(),
    )
    assert declared.status == 201
    assert (await declared.json())["verification"] == "self"
    await expect_error(
        await api.client.post(
            url,
            json={"action_id": "heating_19c", "date": "2026-11-21"},
            headers=api.auth(),
        ),
        409,
        "already_declared",
    )
    await expect_error(
        await api.client.post(
            url,
            json={"action_id": "fly_less", "date": "2026-11-21"},
            headers=api.auth(),
        ),
        422,
        "unknown_action",
    )
    index_url = "/api/v1/meter-index"
    body = {"date": "2026-11-20", "import_index_kwh": 12000.5}
    await expect_error(
        await api.client.post(index_url, json=body, headers=api.auth()),
        403,
        "wrong_mode",
    )
    await api.service.update_profile(api.user, mode=Mode.SIMPLIFIED)
    response = await api.client.post(index_url, json=body, headers=api.auth())
    assert response.status == 201
    await expect_error(
        await api.client.post(
            index_url,
            json={"date": "2026-11-22", "import_index_kwh": 11000},
            headers=api.auth(),
        ),
        422,
        "index_decreasing",
    )


async def test_score_leaderboard_team_and_peaks(api: Api) -> None:
    team = await api.service.create_team(api.user, "Les Watts")
    score = await (await api.client.get("/api/v1/me/score", headers=api.auth())).json()
    assert score["total"] == 0
    assert score["computed"] is False
    board = await (
        await api.client.get(
            "/api/v1/leaderboard?challenge=sobriety", headers=api.auth()
        )
    ).json()
    assert board["teams"][0]["name"] == "Les Watts"
    assert board["players"][0]["display_name"] == "Alice"
    await expect_error(
        await api.client.get("/api/v1/leaderboard?challenge=golf", headers=api.auth()),
        422,
    )
    mine = await (
        await api.client.get(f"/api/v1/teams/{team.id}", headers=api.auth())
    ).json()
    assert mine["invite_code"] == team.invite_code
    bob = await api.service.register(registration("bob"))
    _token, secret = await api.service.issue_token(bob, "phone")
    theirs = await (
        await api.client.get(f"/api/v1/teams/{team.id}", headers=api.auth(secret))
    ).json()
    assert "invite_code" not in theirs
    assert [m["display_name"] for m in theirs["members"]] == ["Alice"]
    await expect_error(
        await api.client.get("/api/v1/teams/nope", headers=api.auth()), 404
    )
    peaks = await (
        await api.client.get("/api/v1/peak-events", headers=api.auth())
    ).json()
    assert peaks == {"peak_events": []}


async def test_openapi_lists_every_route(api: Api) -> None:
    doc = await (await api.client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/readings/{day}",
        "/api/v1/shedding-events",
        "/api/v1/actions",
        "/api/v1/meter-index",
        "/api/v1/me/score",
        "/api/v1/leaderboard",
        "/api/v1/teams/{team_id}",
        "/api/v1/peak-events",
    ):
        assert path in doc["paths"], path
    reading = doc["paths"]["/api/v1/readings/{day}"]["put"]
    schema = reading["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["slots"]["properties"]["import"]["maxItems"] == 50


async def test_slots_on_daylight_saving_day(tmp_path: Path) -> None:
    """The autumn change day has 50 half-hours; the day after only 48."""
    from game_server.models import Season

    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        await service.create_season(
            None,
            Season(
                name="Autumn",
                start=date(2026, 10, 20),
                end=date(2027, 3, 31),
            ),
        )
        user = await service.register(registration("alice"))
        _token, secret = await service.issue_token(user, "HA")
        headers = {"Authorization": f"Bearer {secret}"}
        body = {**DAY, "slots": {"import": [0.1] * 50, "export": None}}
        response = await client.put(
            "/api/v1/readings/2026-10-25", json=body, headers=headers
        )
        assert response.status == 201
        await expect_error(
            await client.put("/api/v1/readings/2026-10-26", json=body, headers=headers),
            422,
            "slot_count",
        )


async def test_chunked_oversized_body_refused(api: Api) -> None:
    """A body without Content-Length is cut off at the limit too."""

    async def chunks() -> Any:
        for _ in range(70):
            yield b" " * 1024

    response = await api.client.put(
        "/api/v1/readings/2026-11-20", data=chunks(), headers=api.auth()
    )
    await expect_error(response, 413, "payload_too_large")


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the catalogue's actions by id."""
    return {action["id"]: action for action in body["actions"]}


async def test_catalogue_lists_enabled_actions_and_declarations(api: Api) -> None:
    """Every enabled action with both titles; declared ones are marked."""
    response = await api.client.get("/api/v1/catalogue", headers=api.auth())
    assert response.status == 200
    actions = _by_id(await response.json())
    stored = {a.id: a for a in await api.service.storage.list_catalogue()}
    assert set(actions) == {i for i, a in stored.items() if a.enabled}
    heating = actions["heating_19c"]
    assert heating["title"] == {
        "fr": stored["heating_19c"].title_fr,
        "en": "Heat to 19 °C (15 °C when away)",
    }
    assert heating["recurring"] is True
    assert (heating["declared"], heating["declared_this_week"]) == (False, False)
    assert actions["tap_aerators"]["recurring"] is False

    for action_id in ("heating_19c", "tap_aerators"):
        declared = await api.client.post(
            "/api/v1/actions",
            json={"action_id": action_id, "date": "2026-11-23"},
            headers=api.auth(),
        )
        assert declared.status == 201
    actions = _by_id(
        await (await api.client.get("/api/v1/catalogue", headers=api.auth())).json()
    )
    assert actions["heating_19c"]["declared_this_week"] is True
    assert actions["tap_aerators"]["declared"] is True
    assert actions["defrost_freezer"]["declared"] is False

    await api.service.save_catalogue_action(
        None, replace(stored["defrost_freezer"], enabled=False)
    )
    actions = _by_id(
        await (await api.client.get("/api/v1/catalogue", headers=api.auth())).json()
    )
    assert "defrost_freezer" not in actions


async def test_catalogue_marks_what_costs_points(api: Api) -> None:
    """Each action has its signed base points, a malus flag and its self-declared factor.

    The answer matches the schema the OpenAPI document gives for ``/catalogue``.
    """
    response = await api.client.get("/api/v1/catalogue", headers=api.auth())
    body = await response.json()
    doc = await (await api.client.get("/api/v1/openapi.json")).json()
    schema = doc["paths"]["/api/v1/catalogue"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    jsonschema.validate(body, schema)
    item = schema["properties"]["actions"]["items"]
    assert {"base_points", "malus", "self_declared_factor"} <= set(item["required"])

    actions = _by_id(body)
    pool = actions["heated_pool"]
    assert (pool["base_points"], pool["malus"]) == (-100, True)
    # A malus counts in full whether confirmed or not: declaring it never pays less.
    assert pool["self_declared_factor"] == 1.0
    aerators = actions["tap_aerators"]
    assert (aerators["base_points"], aerators["malus"]) == (10, False)
    assert aerators["self_declared_factor"] == 0.5
    assert (
        {i for i, a in actions.items() if a["malus"]}
        == {i for i, a in actions.items() if a["base_points"] < 0}
        == {"heated_pool", "heating_above_21c", "windows_without_walls"}
    )


async def test_catalogue_needs_a_token(api: Api) -> None:
    """Without a token the catalogue answers 401; the OpenAPI document lists it."""
    response = await api.client.get("/api/v1/catalogue")
    assert response.status == 401
    doc = await (await api.client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/catalogue" in doc["paths"]


def _entry(challenge: str, month: str, card: dict[str, Any]) -> ScoreEntry:
    """Return a stored score entry."""
    return ScoreEntry(
        season_id="s",
        user_id="u",
        challenge=challenge,
        month=month,
        points=0,
        card=card,
    )


def test_action_level_is_the_highest_on_action_cards() -> None:
    """Level 2 in February beats level 1 in January; other challenges don't count."""
    entries = [
        _entry("actions", "2027-01", {"factors": {"level": 1}}),
        _entry("actions", "2027-02", {"factors": {"level": 2}}),
        _entry("sobriety", "2027-02", {"factors": {"level": 4}}),
        _entry("actions", "2027-03", {"factors": {}}),
    ]
    assert scoring.action_level(entries) == 2
    assert scoring.action_level([]) == 0


async def test_score_carries_the_action_level(api: Api) -> None:
    """``/me/score`` answers the level stored on the player's action cards."""
    season = await api.service.require_season()
    await api.service.storage.replace_scores(
        season.id,
        api.user.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=api.user.id,
                challenge="actions",
                month="2026-11",
                points=25.0,
                card={"factors": {"level": 3, "lines": []}},
            )
        ],
    )
    score = await (await api.client.get("/api/v1/me/score", headers=api.auth())).json()
    assert score["action_level"] == 3
