"""Client of the Sunshare game server's API (pure library: no Home Assistant imports).

Used by the integration's game link to exchange a player's password for a per-device API
token, push daily energy, shedding events and declared actions, and read scores, rankings
and peak events.
"""

from .client import GameClient
from .errors import (
    GameAuthError,
    GameConnectionError,
    GameError,
    GameRateLimitedError,
    GameValidationError,
)
from .models import (
    GAME_TIME_ZONE,
    CatalogueAction,
    DailyReading,
    PeakEvent,
    ReadingResult,
    ShedEvent,
    game_day_bounds,
    game_day_half_hours,
    game_today,
)

__all__ = [
    "GAME_TIME_ZONE",
    "CatalogueAction",
    "DailyReading",
    "GameAuthError",
    "GameClient",
    "GameConnectionError",
    "GameError",
    "GameRateLimitedError",
    "GameValidationError",
    "PeakEvent",
    "ReadingResult",
    "ShedEvent",
    "game_day_bounds",
    "game_day_half_hours",
    "game_today",
]
