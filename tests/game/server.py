"""Run the real game server on 127.0.0.1 for the game client and game link tests.

The server is ``game_server.app.create_app`` with its SQLite storage in a temporary
directory, served by aiohttp's ``TestServer`` on a free port. Players, seasons, teams,
peak events and stored scores are created through the server's own service layer and
storage (the same code its web pages and admin use).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher

from game_server import api, auth, codec
from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import Role, ScoreEntry, Season, User
from game_server.services import GameService, Registration

PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(slots=True)
class RunningServer:
    """A running game server: its URL and its service layer."""

    server: TestServer
    service: GameService
    admin: User

    @property
    def url(self) -> str:
        """Return the server's base URL (no trailing slash)."""
        return str(self.server.make_url("")).rstrip("/")

    async def add_player(self, username: str, display_name: str | None = None) -> User:
        """Register a player whose password is ``PASSWORD``."""
        return await self.service.register(
            Registration(
                username=username,
                password=PASSWORD,
                display_name=display_name or username.title(),
            )
        )

    async def add_season(self, start: date, end: date) -> Season:
        """Create a season (every challenge enabled)."""
        return await self.service.create_season(
            None, Season(name=f"Season {start.year}", start=start, end=end)
        )

    async def add_peak(
        self, season: Season, start: datetime, hours: float = 2, note: str = ""
    ) -> str:
        """Announce a peak event; return its id."""
        event = await self.service.add_peak_event(
            self.admin,
            season_id=season.id,
            start=start,
            end=start + timedelta(hours=hours),
            note=note,
        )
        return event.id

    async def set_points(
        self, season: Season, user: User, month: str, points: dict[str, float]
    ) -> None:
        """Store a player's points of a month per challenge (as the scoring job does)."""
        await self.service.storage.replace_scores(
            season.id,
            user.id,
            [
                ScoreEntry(
                    season_id=season.id,
                    user_id=user.id,
                    challenge=challenge,
                    month=month,
                    points=value,
                )
                for challenge, value in points.items()
            ],
        )

    async def revoke_tokens(self, user: User) -> None:
        """Revoke every API token of a player."""
        for token in await self.service.list_tokens(user):
            await self.service.storage.delete_token(token.id)


def _forget_codec_hints() -> None:
    """Empty the game server codec's cache of resolved field types."""
    cache = getattr(codec, "_HINTS", None)
    if isinstance(cache, dict):
        cache.clear()
    elif hasattr(codec._hints, "cache_clear"):
        codec._hints.cache_clear()


@asynccontextmanager
async def running_game_server(
    data_dir: Path, *, bulk_readings: bool = True
) -> AsyncIterator[RunningServer]:
    """Start the game server on a free loopback port; stop it on exit.

    ``bulk_readings=False`` runs it without ``PUT /api/v1/readings``, as a server of
    an older version.

    Passwords are hashed with argon2's cheapest settings, so tests stay fast. The
    codec's cache of resolved field types is emptied before and after: under freezegun
    (``freezer``) the ``datetime`` class it resolves is the fake one, and a cache kept
    across a frozen and an unfrozen test would make the codec refuse every instant.
    """
    _forget_codec_hints()
    routes = api.ROUTES
    if not bulk_readings:
        routes = tuple(r for r in routes if (r.method, r.path) != ("PUT", "/readings"))
    with patch.object(api, "ROUTES", routes):
        app = create_app(Settings(data_dir=data_dir))
    server = TestServer(app, host="127.0.0.1")
    with patch.object(auth, "_HASHER", FAST_HASHER):
        await server.start_server()
        try:
            service = app[SERVICE_KEY]
            admin = await service.register(
                Registration(username="admin", password=PASSWORD, display_name="Admin"),
                role=Role.ADMIN,
            )
            yield RunningServer(server=server, service=service, admin=admin)
        finally:
            await server.close()
            _forget_codec_hints()
