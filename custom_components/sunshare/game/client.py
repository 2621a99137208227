"""Asynchronous client of the game server's ``/api/v1`` (injected aiohttp session)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
import time
from typing import Any

import aiohttp

from .errors import (
    GameAuthError,
    GameConnectionError,
    GameError,
    GameRateLimitedError,
    GameValidationError,
)
from .models import CatalogueAction, DailyReading, PeakEvent, ReadingResult, ShedEvent

TIMEOUT = aiohttp.ClientTimeout(total=30)
MAX_BATCH_DAYS = 400
"""Days the server takes in one ``PUT /readings`` (its bound)."""
BULK_RETRY_AFTER = 3600.0
"""Seconds before a server without ``PUT /readings`` is asked for it again."""
_NO_ROUTE = frozenset({404, 405})
"""What a server older than ``PUT /readings`` answers it."""


class GameClient:
    """Talk to one game server as one player (bearer API token)."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str | None = None
    ) -> None:
        """Keep the session, the server's base URL and the player's API token."""
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.token_id: str | None = None
        """Id of the token got by ``login`` (to revoke it)."""
        self._single_days_until = 0.0
        """Until this ``time.monotonic()``, days go one by one (an older server)."""

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        """Send a request and return its JSON, mapping failures to typed errors."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with self._session.request(
                method,
                f"{self.base_url}/api/v1{path}",
                json=body,
                headers=headers,
                timeout=TIMEOUT,
            ) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = None
                if response.status < 400:
                    return data
                error = data if isinstance(data, dict) else {}
                message = str(
                    error.get("message") or response.reason or response.status
                )
                code = str(error.get("error") or response.status)
                status = response.status
                if status == 401:
                    raise GameAuthError(message, code=code, status=status)
                if status == 429:
                    retry = float(response.headers.get("Retry-After", "60") or 60)
                    raise GameRateLimitedError(message, retry_after=retry)
                if status >= 500:
                    raise GameConnectionError(message, code=code, status=status)
                raise GameValidationError(message, code=code, status=status)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise GameConnectionError(f"Cannot reach {self.base_url}: {err}") from err

    async def send_json(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        """Send a JSON request to ``/api/v1{path}`` and return the JSON answer."""
        return await self._request(method, path, body)

    async def login(self, username: str, password: str, device_name: str) -> str:
        """Exchange a player's password for a per-device API token and keep it."""
        data = await self._request(
            "POST",
            "/auth/token",
            {"username": username, "password": password, "device_name": device_name},
        )
        if not isinstance(data, dict) or not data.get("token"):
            raise GameError("The game server did not return a token")
        self.token = str(data["token"])
        self.token_id = str(data["id"]) if data.get("id") else None
        return self.token

    async def revoke_token(self, token_id: str) -> None:
        """Revoke one of the player's device tokens."""
        await self._request("DELETE", f"/auth/tokens/{token_id}")

    async def me(self) -> dict[str, Any]:
        """Return the player's account (id, username, team…)."""
        return await self._object("GET", "/me")

    async def score(self) -> dict[str, Any]:
        """Return the player's score, ranks and per-challenge points."""
        return await self._object("GET", "/me/score")

    async def leaderboard(self, challenge: str | None = None) -> dict[str, Any]:
        """Return the season's rankings of players and teams (overall or a challenge)."""
        query = f"?challenge={challenge}" if challenge else ""
        return await self._object("GET", f"/leaderboard{query}")

    async def peak_events(self) -> list[PeakEvent]:
        """Return the current and upcoming peak events."""
        data = await self._request("GET", "/peak-events")
        items = (
            data.get("peak_events", data.get("items", []))
            if isinstance(data, dict)
            else data
        )
        return [PeakEvent.from_json(item) for item in items or []]

    async def catalogue(self) -> list[CatalogueAction]:
        """Return the actions the player can declare, with what they declared."""
        data = await self._object("GET", "/catalogue")
        items = data.get("actions")
        if not isinstance(items, list):
            raise GameError("Unexpected answer from /catalogue")
        return [CatalogueAction.from_json(item) for item in items]

    async def put_reading(self, reading: DailyReading) -> None:
        """Send one day's energy (an idempotent upsert: re-sending replaces it)."""
        await self._request(
            "PUT", f"/readings/{reading.day.isoformat()}", reading.as_json()
        )

    async def put_readings(
        self, readings: Sequence[DailyReading], *, batch_days: int = MAX_BATCH_DAYS
    ) -> list[ReadingResult]:
        """Send many days (idempotent per day); return what became of each, in order.

        Days go by ``PUT /readings`` in batches of ``batch_days`` (at most 400); a batch
        the server finds too large (413) is split in two. A server older than that
        route (404 or 405) gets them one by one by ``PUT /readings/{day}`` instead,
        for an hour before the batch route is tried again. A refused day is a result
        with ``refused`` set; a refused batch, an unreachable server or a revoked
        token raise as every call does (the days of earlier batches were stored).
        """
        size = max(1, min(batch_days, MAX_BATCH_DAYS))
        results: list[ReadingResult] = []
        for at in range(0, len(readings), size):
            results += await self._put_batch(readings[at : at + size])
        return results

    async def _put_batch(self, readings: Sequence[DailyReading]) -> list[ReadingResult]:
        """Send one batch of days (split on 413, one by one to an older server)."""
        if time.monotonic() < self._single_days_until:
            return [await self._put_single(reading) for reading in readings]
        body = {
            "readings": [
                {"day": reading.day.isoformat(), **reading.as_json()}
                for reading in readings
            ]
        }
        try:
            data = await self._request("PUT", "/readings", body)
        except GameValidationError as err:
            if err.status in _NO_ROUTE:
                self._single_days_until = time.monotonic() + BULK_RETRY_AFTER
                return [await self._put_single(reading) for reading in readings]
            if err.status == 413 and len(readings) > 1:
                half = len(readings) // 2
                return [
                    *await self._put_batch(readings[:half]),
                    *await self._put_batch(readings[half:]),
                ]
            raise
        items = data.get("results") if isinstance(data, dict) else None
        if not isinstance(items, list) or len(items) != len(readings):
            raise GameError("Unexpected answer from PUT /readings")
        results: list[ReadingResult] = []
        for reading, item in zip(readings, items, strict=True):
            if not isinstance(item, dict) or not isinstance(item.get("result"), str):
                raise GameError("Unexpected answer from PUT /readings")
            results.append(
                ReadingResult(
                    day=reading.day,
                    result=item["result"],
                    code=None if item.get("error") is None else str(item["error"]),
                    message=(
                        None if item.get("message") is None else str(item["message"])
                    ),
                )
            )
        return results

    async def _put_single(self, reading: DailyReading) -> ReadingResult:
        """Send one day by the single-day route; a refusal is a refused result."""
        try:
            data = await self._request(
                "PUT", f"/readings/{reading.day.isoformat()}", reading.as_json()
            )
        except GameValidationError as err:
            return ReadingResult(
                day=reading.day, result="error", code=err.code, message=str(err)
            )
        created = isinstance(data, dict) and data.get("created") is True
        return ReadingResult(
            day=reading.day, result="created" if created else "replaced"
        )

    async def post_shedding_event(self, event: ShedEvent) -> None:
        """Report a shedding event (idempotent by its id)."""
        await self._request("POST", "/shedding-events", event.as_json())

    async def post_action(
        self, action_id: str, day: date, evidence: str | None
    ) -> None:
        """Declare an energy-saving action."""
        body: dict[str, Any] = {"action_id": action_id, "date": day.isoformat()}
        if evidence:
            body["evidence"] = evidence
        await self._request("POST", "/actions", body)

    async def _object(self, method: str, path: str) -> dict[str, Any]:
        """Return a JSON object answer or raise."""
        data = await self._request(method, path)
        if not isinstance(data, dict):
            raise GameError(f"Unexpected answer from {path}")
        return data
