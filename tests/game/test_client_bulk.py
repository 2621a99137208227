"""The game client's bulk upload of days, against the real game server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from custom_components.sunshare.game import (
    DailyReading,
    GameAuthError,
    GameClient,
    ReadingResult,
    client as client_module,
    game_day_half_hours,
)
from game_server.app import SETTINGS_KEY
from tests.game.server import PASSWORD, RunningServer, running_game_server

pytestmark = pytest.mark.usefixtures("real_sockets")


async def _client(server: RunningServer, session: aiohttp.ClientSession) -> GameClient:
    """Return a client signed in as a new player ``alice``."""
    await server.add_player("alice", "Alice")
    client = GameClient(session, server.url)
    await client.login("alice", PASSWORD, "Home Assistant (test)")
    return client


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """Run the game server (with ``PUT /readings``)."""
    async with running_game_server(tmp_path) as running:
        yield running


@pytest.fixture
async def older_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """Run the game server as a version without ``PUT /readings``."""
    async with running_game_server(tmp_path, bulk_readings=False) as running:
        yield running


def _days(count: int) -> list[DailyReading]:
    """Return ``count`` past days the server accepts (no season: 400 days back)."""
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=2 + n) for n in reversed(range(count))]
    return [
        DailyReading(
            day=day,
            import_kwh=10.0 + n / 100,
            export_kwh=1.0,
            import_slots=(0.125,) * game_day_half_hours(day),
        )
        for n, day in enumerate(days)
    ]


async def _stored(server: RunningServer) -> dict[date, Any]:
    """Return alice's stored readings by day."""
    user = await server.service.storage.get_user_by_username("alice")
    assert user is not None
    return {r.day: r for r in await server.service.storage.list_readings(user.id)}


class Requests:
    """Count the requests the client sends (method and path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap ``GameClient._request``."""
        self.sent: list[tuple[str, str]] = []
        original = GameClient._request

        async def request(
            client: GameClient, method: str, path: str, body: Any = None
        ) -> Any:
            self.sent.append((method, path))
            return await original(client, method, path, body)

        monkeypatch.setattr(GameClient, "_request", request)

    def paths(self, method: str = "PUT") -> list[str]:
        """Return the paths of the requests with a method."""
        return [path for m, path in self.sent if m == method]


async def test_days_go_in_batches_with_a_result_each(
    server: RunningServer,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await _client(server, session)
    requests = Requests(monkeypatch)
    days = _days(250)

    results = await client.put_readings(days, batch_days=100)

    assert requests.paths() == ["/readings"] * 3
    assert [r.day for r in results] == [d.day for d in days]
    assert {r.result for r in results} == {"created"}
    assert not any(r.refused for r in results)
    stored = await _stored(server)
    assert sorted(stored) == [d.day for d in days]
    assert stored[days[7].day].import_kwh == pytest.approx(10.07)
    assert stored[days[7].day].import_slots == [0.125] * len(days[7].import_slots or ())

    # Re-sent as they are: unchanged; one changed day: replaced.
    again = await client.put_readings(days)
    assert {r.result for r in again} == {"unchanged"}
    changed = [*days[:3], DailyReading(day=days[3].day, import_kwh=3.0), *days[4:]]
    results = await client.put_readings(changed)
    assert [r.result for r in results][2:5] == ["unchanged", "replaced", "unchanged"]
    assert requests.paths() == ["/readings"] * 5


async def test_a_refused_day_is_a_refused_result(
    server: RunningServer, session: aiohttp.ClientSession
) -> None:
    client = await _client(server, session)
    days = _days(3)
    future = datetime.now(UTC).date() + timedelta(days=3)
    bad = DailyReading(day=future, import_kwh=1.0)

    results = await client.put_readings([days[0], bad, *days[1:]])

    assert results[1] == ReadingResult(
        day=future,
        result="error",
        code="day_in_future",
        message="the day is in the future",
    )
    assert results[1].refused
    assert [r.result for r in results] == ["created", "error", "created", "created"]
    assert sorted(await _stored(server)) == [d.day for d in days]


async def test_a_batch_too_large_for_the_server_is_split(
    server: RunningServer,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 413 (body over the server's limit) halves the batch until it fits."""
    client = await _client(server, session)
    requests = Requests(monkeypatch)
    settings = server.server.app[SETTINGS_KEY]
    monkeypatch.setattr(settings, "max_body_bytes", 10_000)
    days = _days(60)  # about 500 bytes each with their half-hours

    results = await client.put_readings(days)

    assert {r.result for r in results} == {"created"}
    assert len(requests.paths()) > 2
    assert sorted(await _stored(server)) == [d.day for d in days]


async def test_an_older_server_gets_the_days_one_by_one(
    older_server: RunningServer,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """404 on ``PUT /readings``: the single-day route, for an hour; then again."""
    client = await _client(older_server, session)
    requests = Requests(monkeypatch)
    days = _days(3)
    future = datetime.now(UTC).date() + timedelta(days=3)

    results = await client.put_readings(
        [*days, DailyReading(day=future, import_kwh=1.0)]
    )

    assert requests.paths() == [
        "/readings",
        *(f"/readings/{d.day.isoformat()}" for d in days),
        f"/readings/{future.isoformat()}",
    ]
    assert [r.result for r in results] == ["created"] * 3 + ["error"]
    assert results[3].code == "day_in_future"
    assert sorted(await _stored(older_server)) == [d.day for d in days]

    # The server is not asked for the batch route again for an hour...
    requests.sent.clear()
    results = await client.put_readings(days[:1])
    assert requests.paths() == [f"/readings/{days[0].day.isoformat()}"]
    assert [r.result for r in results] == ["replaced"]
    # ... then it is.
    client._single_days_until -= client_module.BULK_RETRY_AFTER
    requests.sent.clear()
    await client.put_readings(days[:1])
    assert requests.paths() == ["/readings", f"/readings/{days[0].day.isoformat()}"]


async def test_a_revoked_token_raises(
    server: RunningServer, session: aiohttp.ClientSession
) -> None:
    client = await _client(server, session)
    user = await server.service.storage.get_user_by_username("alice")
    assert user is not None
    await server.revoke_tokens(user)
    with pytest.raises(GameAuthError):
        await client.put_readings(_days(2))


def test_a_reading_survives_its_json() -> None:
    """``from_json(as_json())`` gives the same day (the outbox keeps the JSON)."""
    day = date(2026, 10, 25)  # 50 half-hours
    reading = DailyReading(
        day=day,
        import_kwh=12.34567,
        export_kwh=1.5,
        production_kwh=3.0,
        battery_charge_kwh=0.5,
        battery_discharge_kwh=None,
        import_slots=(0.1234567,) * 49 + (None,),
        export_slots=(0.0,) * 50,
        t_mean_c=-2.25,
        source="enedis",
    )
    body = reading.as_json()
    assert DailyReading.from_json(day, body).as_json() == body
    with pytest.raises(ValueError, match="half-hours"):
        DailyReading.from_json(date(2026, 10, 26), body)
    with pytest.raises(ValueError, match="not a reading"):
        DailyReading.from_json(day, {"export_kwh": 1.0})
