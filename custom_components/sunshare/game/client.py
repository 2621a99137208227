"""Asynchronous client of the game server's ``/api/v1`` (injected aiohttp session)."""

from __future__ import annotations

from datetime import date
from typing import Any

import aiohttp

from .errors import (
    GameAuthError,
    GameConnectionError,
    GameError,
    GameRateLimitedError,
    GameValidationError,
)
from .models import CatalogueAction, DailyReading, PeakEvent, ShedEvent

TIMEOUT = aiohttp.ClientTimeout(total=30)


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
                if response.status == 401:
                    raise GameAuthError(message, code=code)
                if response.status == 429:
                    retry = float(response.headers.get("Retry-After", "60") or 60)
                    raise GameRateLimitedError(message, retry_after=retry)
                if response.status >= 500:
                    raise GameConnectionError(message, code=code)
                raise GameValidationError(message, code=code)
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
