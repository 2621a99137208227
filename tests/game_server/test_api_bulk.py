"""``PUT /api/v1/readings``: many days in one request, one transaction, a result each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
import sqlite3
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
import jsonschema
import pytest

from game_server import scoring
from game_server.api import openapi_document
from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import Role
from game_server.rules.slots import slot_count
from game_server.services import GameService
from game_server.storage.sqlite import SQLiteStorage

from .helpers import TODAY, add_season, clock, registration

DAY = {"import_kwh": 12.5, "export_kwh": 3.0, "production_kwh": 8.0}
URL = "/api/v1/readings"


@dataclass
class Bulk:
    """A running server, its service and a player's token."""

    client: TestClient[Any, Any]
    service: GameService
    user_id: str
    token: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        """Return the Authorization header."""
        return {"Authorization": f"Bearer {token or self.token}"}

    async def put(self, readings: Any, token: str | None = None) -> Any:
        """PUT a batch and return the response."""
        return await self.client.put(
            URL, json={"readings": readings}, headers=self.auth(token)
        )

    async def stored(self) -> dict[str, Any]:
        """Return the player's stored readings by ISO day."""
        readings = await self.service.storage.list_readings(self.user_id)
        return {r.day.isoformat(): r for r in readings}


async def _bulk(tmp_path: Path, *, season: bool) -> AsyncIterator[Bulk]:
    """Run the app on SQLite with a registered player holding a token."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        if season:
            await add_season(service)
        user = await service.register(registration("alice"))
        _token, secret = await service.issue_token(user, "HA")
        yield Bulk(client, service, user.id, secret)


@pytest.fixture
async def bulk(tmp_path: Path) -> AsyncIterator[Bulk]:
    """No season: the last 400 days may be sent."""
    async for running in _bulk(tmp_path, season=False):
        yield running


@pytest.fixture
async def in_season(tmp_path: Path) -> AsyncIterator[Bulk]:
    """The season of November 2026 (reference window from 4 October)."""
    async for running in _bulk(tmp_path, season=True):
        yield running


def _days(count: int, last: date = TODAY - timedelta(days=1)) -> list[str]:
    """Return ``count`` ISO days ending with ``last``, oldest first."""
    return [(last - timedelta(days=n)).isoformat() for n in reversed(range(count))]


def _item(day: str, **changes: Any) -> dict[str, Any]:
    """Return a batch item: a day's body with its day."""
    return {"day": day, **DAY, **changes}


async def _ok(response: Any) -> dict[str, Any]:
    """Return a 200 answer's body, checked against the OpenAPI response schema."""
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    operation = openapi_document()["paths"][f"{URL}"]["put"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(body, schema)
    return body


async def test_400_days_at_once_idempotent_per_day(bulk: Bulk) -> None:
    """A year and more in one request; the same batch again changes nothing."""
    days = _days(400)
    slots = {"import": [0.25] * 48, "export": None}
    items = [_item(day, slots=slots if n % 2 else None) for n, day in enumerate(days)]
    items = [{k: v for k, v in item.items() if v is not None} for item in items]
    # The clock-change days (two autumns and a spring here) have 50 or 46 half-hours.
    for item in items:
        if "slots" in item and (count := slot_count(date.fromisoformat(item["day"]))):
            item["slots"] = {"import": [0.25] * count, "export": None}

    body = await _ok(await bulk.put(items))
    assert [r["day"] for r in body["results"]] == days
    assert {(r["result"], r["status"]) for r in body["results"]} == {("created", 201)}
    assert (body["created"], body["replaced"], body["unchanged"], body["error"]) == (
        400,
        0,
        0,
        0,
    )
    stored = await bulk.stored()
    assert sorted(stored) == days
    assert stored[days[1]].import_slots == [0.25] * 48
    assert stored[days[0]].import_slots is None
    stamps = {day: reading.updated_at for day, reading in stored.items()}

    again = await _ok(await bulk.put(items))
    assert {(r["result"], r["status"]) for r in again["results"]} == {
        ("unchanged", 200)
    }
    assert again["unchanged"] == 400
    assert {d: r.updated_at for d, r in (await bulk.stored()).items()} == stamps

    items[10] = {**items[10], "import_kwh": 20.0}
    items[20] = {**items[20], "t_mean_c": 4.5}
    changed = await _ok(await bulk.put(items))
    assert [r["day"] for r in changed["results"] if r["result"] == "replaced"] == [
        days[10],
        days[20],
    ]
    assert changed["replaced"] == 2 and changed["unchanged"] == 398
    stored = await bulk.stored()
    assert stored[days[10]].import_kwh == 20.0
    assert stored[days[20]].t_mean_c == 4.5


async def test_more_than_400_days_are_refused_as_a_whole(bulk: Bulk) -> None:
    response = await bulk.put([_item(day) for day in _days(401)])
    assert response.status == 413
    error = await response.json()
    assert error["error"] == "too_many_days"
    assert "400" in error["message"]
    assert await bulk.stored() == {}


async def test_a_refused_day_is_left_out_with_the_single_day_error(
    in_season: Bulk,
) -> None:
    """Each day is checked as ``PUT /readings/{day}`` checks it; only it is left out."""
    wrong_slots = {**DAY, "slots": {"import": [0.1] * 47}}
    items: list[Any] = [
        _item("2026-11-20"),
        {"day": "2026-11-19", **wrong_slots},
        _item("2026-11-24"),  # tomorrow
        _item("2026-10-01"),  # before the reference window
        _item("2026-11-18", export_kwh=40.0),  # more out than in
        _item("2026-11-17", colour="blue"),
        _item("2026-11-16", import_kwh="12"),
        _item("20261115"),
        {**DAY},  # no day
        [1, 2],
        _item("2026-11-20", import_kwh=1.0),  # the same day again
        _item("2026-11-14", slots={"import": [0.1] * 48}),
    ]
    body = await _ok(await in_season.put(items))
    results = body["results"]
    assert [(r["day"], r["result"], r["status"], r.get("error")) for r in results] == [
        ("2026-11-20", "created", 201, None),
        ("2026-11-19", "error", 422, "slot_count"),
        ("2026-11-24", "error", 422, "day_in_future"),
        ("2026-10-01", "error", 422, "day_too_old"),
        ("2026-11-18", "error", 422, "inconsistent"),
        ("2026-11-17", "error", 422, "unknown_field"),
        ("2026-11-16", "error", 422, "invalid"),
        ("20261115", "error", 422, "invalid"),
        (None, "error", 422, "missing_field"),
        (None, "error", 422, "invalid"),
        ("2026-11-20", "error", 422, "duplicate_day"),
        ("2026-11-14", "created", 201, None),
    ]
    assert body["created"] == 2 and body["error"] == 10
    assert results[5]["field"] == "colour"
    assert results[6]["field"] == "import_kwh"
    stored = await in_season.stored()
    assert sorted(stored) == ["2026-11-14", "2026-11-20"]
    assert stored["2026-11-20"].import_kwh == 12.5  # the first of the two

    # The same message as the single-day route, word for word.
    single = await in_season.client.put(
        f"{URL}/2026-11-19", json=wrong_slots, headers=in_season.auth()
    )
    assert single.status == 422
    refused = await single.json()
    assert (results[1]["error"], results[1]["message"], results[1]["field"]) == (
        refused["error"],
        refused["message"],
        refused["field"],
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "missing_field"),
        ({"readings": {"day": "2026-11-20"}}, 422, "invalid"),
        ({"readings": [], "extra": 1}, 422, "unknown_field"),
        ([{"day": "2026-11-20"}], 400, "invalid_json"),
    ],
)
async def test_a_malformed_batch_is_refused_as_a_whole(
    in_season: Bulk, body: Any, status: int, code: str
) -> None:
    response = await in_season.client.put(URL, json=body, headers=in_season.auth())
    assert response.status == status
    assert (await response.json())["error"] == code
    assert await in_season.stored() == {}


async def test_an_empty_batch_is_fine(in_season: Bulk) -> None:
    body = await _ok(await in_season.put([]))
    assert body == {
        "results": [],
        "created": 0,
        "replaced": 0,
        "unchanged": 0,
        "error": 0,
    }


async def test_authentication(in_season: Bulk) -> None:
    items = [_item("2026-11-20")]
    response = await in_season.client.put(URL, json={"readings": items})
    assert response.status == 401
    assert (await response.json())["error"] == "missing_token"
    response = await in_season.put(items, token="ssg_nope")
    assert response.status == 401
    # A disabled account's token is refused.
    admin = await in_season.service.register(registration("root"))
    admin.role = Role.ADMIN
    await in_season.service.storage.update_user(admin)
    await in_season.service.set_disabled(admin, in_season.user_id, True)
    response = await in_season.put(items)
    assert response.status == 403
    assert await in_season.stored() == {}


async def test_a_storage_failure_mid_batch_writes_nothing(in_season: Bulk) -> None:
    """503, and no day of the batch is written or replaced (one transaction)."""
    assert (await in_season.put([_item("2026-11-10")])).status == 200
    storage = in_season.service.storage
    assert isinstance(storage, SQLiteStorage)
    with sqlite3.connect(storage.path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON readings "
            "WHEN NEW.day = '2026-11-15' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    items = [_item(day, import_kwh=30.0) for day in _days(11, last=date(2026, 11, 20))]
    response = await in_season.put(items)
    assert response.status == 503
    assert (await response.json())["error"] == "storage_unavailable"
    stored = await in_season.stored()
    assert list(stored) == ["2026-11-10"]
    assert stored["2026-11-10"].import_kwh == 12.5


async def test_scoring_is_told_once_per_batch(
    in_season: Bulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One call with every day that changed; none when nothing changed."""
    calls: list[tuple[str, tuple[date, ...]]] = []

    async def on_data_changed(storage: Any, user_id: str, *days: date) -> None:
        calls.append((user_id, days))

    monkeypatch.setattr(scoring, "on_data_changed", on_data_changed)
    days = _days(5, last=date(2026, 11, 20))
    await _ok(await in_season.put([_item(day) for day in days]))
    assert calls == [(in_season.user_id, tuple(date.fromisoformat(d) for d in days))]

    calls.clear()
    await _ok(await in_season.put([_item(day) for day in days]))
    assert calls == []

    items = [_item(day) for day in days]
    items[2]["import_kwh"] = 1.0
    await _ok(await in_season.put(items))
    assert calls == [(in_season.user_id, (date.fromisoformat(days[2]),))]


async def test_openapi_documents_the_bulk_route(in_season: Bulk) -> None:
    doc = await (await in_season.client.get("/api/v1/openapi.json")).json()
    operation = doc["paths"][URL]["put"]
    assert sorted(operation["responses"]) == [
        "200",
        "400",
        "401",
        "403",
        "413",
        "422",
        "503",
    ]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    readings = schema["properties"]["readings"]
    assert readings["maxItems"] == 400
    assert readings["items"]["required"][0] == "day"
    single = doc["paths"][f"{URL}/{{day}}"]["put"]["requestBody"]["content"]
    single_schema = single["application/json"]["schema"]
    assert (
        readings["items"]["properties"]["slots"]
        == (single_schema["properties"]["slots"])
    )
