"""Helpers for the game server tests: a fixed clock, a season and registrations."""

from __future__ import annotations

from datetime import UTC, date, datetime

from game_server.models import Mode, Season
from game_server.services import GameService, Registration

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
PASSWORD = "correct horse battery"


def clock() -> datetime:
    """Return the tests' fixed now."""
    return NOW


def registration(
    name: str, prm: str | None = None, mode: Mode = Mode.FULL
) -> Registration:
    """Return a valid registration form."""
    return Registration(
        username=name,
        password=PASSWORD,
        display_name=name.title(),
        prm=prm,
        mode=mode,
        adults=2,
        children=1,
        solar_kwc=3.0,
    )


async def add_season(service: GameService, team_size_limit: int = 3) -> Season:
    """Create the season in progress on the tests' day."""
    return await service.create_season(
        None,
        Season(
            name="Winter 2026",
            start=date(2026, 11, 1),
            end=date(2027, 3, 31),
            team_size_limit=team_size_limit,
        ),
    )
