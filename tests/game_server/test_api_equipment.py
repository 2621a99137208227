"""Equipment changes through the JSON API: declare, list, withdraw, validation errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.app import SERVICE_KEY, STORAGE_KEY, Settings, create_app
from game_server.errors import Forbidden, Invalid
from game_server.models import EquipmentKind
from game_server.scoring_job import job_for
from game_server.services import MAX_EQUIPMENT_CHANGES, GameService
from game_server.storage.sqlite import SQLiteStorage

from .helpers import PASSWORD, add_season, clock, registration

URL = "/api/v1/me/equipment-changes"


@dataclass
class Api:
    """A running server, its service and a player's token."""

    client: TestClient[Any, Any]
    service: GameService
    headers: dict[str, str]
    user_id: str

    async def post(self, body: Any) -> tuple[int, Any]:
        """POST an equipment change; return the status and the JSON body."""
        response = await self.client.post(URL, json=body, headers=self.headers)
        return response.status, await response.json()

    async def delete(self, kind: str, day: str) -> int:
        """DELETE an equipment change; return the status."""
        response = await self.client.delete(f"{URL}/{kind}/{day}", headers=self.headers)
        return response.status


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """Run the app on SQLite with a season and a player holding a token."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app)) as client:
        service = app[SERVICE_KEY]
        await add_season(service)
        user = await service.register(registration("alice"))
        response = await client.post(
            "/api/v1/auth/token",
            json={"username": "alice", "password": PASSWORD, "device_name": "HA"},
        )
        token = (await response.json())["token"]
        yield Api(client, service, {"Authorization": f"Bearer {token}"}, user.id)


async def test_declare_list_and_withdraw(api: Api) -> None:
    """A change is created once (idempotent), listed on /me, and withdrawn."""
    status, body = await api.post(
        {"kind": "heat_pump", "date": "2026-11-10", "note": "air-water"}
    )
    assert status == 201
    assert body["created"] is True
    assert body["equipment_changes"] == [
        {"kind": "heat_pump", "date": "2026-11-10", "note": "air-water"}
    ]
    job = job_for(api.client.app[STORAGE_KEY])
    assert job.dirty[api.user_id] == {"2026-11"}
    # The same change again: nothing new (200), the note may be updated.
    status, body = await api.post({"kind": "heat_pump", "date": "2026-11-10"})
    assert (status, body["created"]) == (200, False)
    assert body["note"] == ""
    status, body = await api.post({"kind": "pv", "date": "2025-11-02"})
    assert status == 201
    assert [c["kind"] for c in body["equipment_changes"]] == ["pv", "heat_pump"]
    response = await api.client.get("/api/v1/me", headers=api.headers)
    me = await response.json()
    assert me["household"]["equipment_changes"] == [
        {"kind": "pv", "date": "2025-11-02", "note": ""},
        {"kind": "heat_pump", "date": "2026-11-10", "note": ""},
    ]
    assert await api.delete("pv", "2025-11-02") == 204
    assert await api.delete("pv", "2025-11-02") == 404
    stored = await api.service.storage.get_user(api.user_id)
    assert stored is not None
    assert [(c.kind.value, c.day.isoformat()) for c in stored.equipment_changes] == [
        ("heat_pump", "2026-11-10")
    ]


NOTE = "x" * 201
BAD_REQUESTS: list[tuple[Any, tuple[int, str, str | None, str]]] = [
    ({"kind": "boiler", "date": "2026-11-10"}, (422, "unknown_kind", "kind", "pv")),
    ({"date": "2026-11-10"}, (422, "missing_field", "kind", "required")),
    ({"kind": "ev"}, (422, "missing_field", "date", "required")),
    ({"kind": "ev", "date": "10/11/2026"}, (422, "invalid", "date", "YYYY-MM-DD")),
    ({"kind": "ev", "date": "2026-11-24"}, (422, "day_in_future", "date", "future")),
    (
        {"kind": "ev", "date": "2025-10-30"},
        (422, "day_out_of_window", "date", "2025-10-31"),
    ),
    (
        {"kind": "ev", "date": "2026-11-10", "note": NOTE},
        (422, "invalid", "note", "200"),
    ),
    (
        {"kind": "ev", "date": "2026-11-10", "power": 7},
        (422, "unknown_field", "power", "power"),
    ),
    ([], (400, "invalid_json", None, "object")),
]


@pytest.mark.parametrize(("body", "expected"), BAD_REQUESTS)
async def test_validation_errors(
    api: Api, body: Any, expected: tuple[int, str, str | None, str]
) -> None:
    """Each bad request is refused with a clear message and changes nothing."""
    status, code, field, words = expected
    got, error = await api.post(body)
    assert got == status, error
    assert error["error"] == code
    assert error.get("field") == field
    assert words in error["message"]
    stored = await api.service.storage.get_user(api.user_id)
    assert stored is not None and stored.equipment_changes == []


async def test_limits_and_bad_paths(api: Api) -> None:
    """A household declares a bounded number of changes; bad DELETE paths are clear."""
    for n in range(MAX_EQUIPMENT_CHANGES):
        status, _ = await api.post({"kind": "ev", "date": f"2026-10-{n + 1:02d}"})
        assert status == 201
    status, error = await api.post({"kind": "ev", "date": "2026-11-21"})
    assert (status, error["error"]) == (409, "too_many_changes")
    assert await api.delete("ev", "2026-13-01") == 422
    assert await api.delete("boiler", "2026-10-01") == 404
    response = await api.client.post(URL, json={"kind": "ev", "date": "2026-11-01"})
    assert response.status == 401


async def test_openapi_documents_the_routes(api: Api) -> None:
    """Both routes are in the OpenAPI document with the kinds listed."""
    response = await api.client.get("/api/v1/openapi.json")
    paths = (await response.json())["paths"]
    post = paths[URL]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["kind"]["enum"] == ["pv", "battery", "ev", "heat_pump"]
    assert schema["required"] == ["kind", "date"]
    assert "delete" in paths[URL + "/{kind}/{date}"]


async def test_window_without_season_and_admin_only_for_others(tmp_path: Path) -> None:
    """Without a season the window is the last 400 days; only admins act for others."""
    storage = SQLiteStorage(tmp_path / "game.db")
    await storage.open()
    try:
        service = GameService(storage, clock)
        user = await service.register(registration("bob"))
        other = await service.register(registration("eve"))
        with pytest.raises(Invalid, match="between 2025-10-19 and 2026-11-23"):
            await service.add_equipment_change(user, "ev", date(2025, 10, 18))
        change, created = await service.add_equipment_change(
            user, "ev", date(2025, 10, 19)
        )
        assert created and change.kind is EquipmentKind.EV
        with pytest.raises(Forbidden):
            await service.add_equipment_change(
                user, "pv", date(2026, 11, 1), actor=other
            )
        with pytest.raises(Forbidden):
            await service.remove_equipment_change(
                user, "ev", date(2025, 10, 19), actor=other
            )
        assert [
            c.kind for c in (await service.get_user(user.id)).equipment_changes
        ] == [EquipmentKind.EV]
    finally:
        await storage.close()
