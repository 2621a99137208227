"""Poll the game server every 15 minutes: the player, score, peak events, catalogue.

A refused token becomes ``ConfigEntryAuthFailed`` (Home Assistant starts the reauth
flow); an unreachable server becomes ``UpdateFailed``: the game entities go unavailable
and recover at the next successful poll. The rest of the integration never waits on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from custom_components.sunshare.const import DOMAIN, LOGGER
from custom_components.sunshare.game import (
    CatalogueAction,
    GameAuthError,
    GameClient,
    GameError,
    PeakEvent,
)

from .const import SCAN_INTERVAL

if TYPE_CHECKING:
    from .runtime import GameConfigEntry


@dataclass(frozen=True, kw_only=True, slots=True)
class GameData:
    """What the game server last told about the player."""

    me: dict[str, Any]
    score: dict[str, Any] = field(default_factory=dict)
    """Season points (empty while the server has no season)."""
    leaderboard: dict[str, Any] = field(default_factory=dict)
    peak_events: list[PeakEvent] = field(default_factory=list)
    catalogue: list[CatalogueAction] = field(default_factory=list)
    """The actions the player can declare (empty while there is no season)."""


class GameCoordinator(DataUpdateCoordinator[GameData]):
    """Read the player's account, score and the peak events from the game server."""

    config_entry: GameConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: GameConfigEntry, client: GameClient
    ) -> None:
        """Poll ``client`` every 15 minutes for ``entry``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} game {entry.title}",
            update_interval=SCAN_INTERVAL,
            always_update=False,
        )
        self.client = client
        self.online_listeners: list[Callable[[], None]] = []

    async def _async_update_data(self) -> GameData:
        """Fetch the player, the score and the peak events."""
        try:
            me = await self.client.me()
            score: dict[str, Any] = {}
            leaderboard: dict[str, Any] = {}
            catalogue: list[CatalogueAction] = []
            if me.get("season"):
                score = await self.client.score()
                leaderboard = await self.client.leaderboard()
                catalogue = await self.client.catalogue()
            events = await self.client.peak_events()
        except GameAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="game_auth_failed",
                translation_placeholders={"url": self.client.base_url},
            ) from err
        except GameError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="game_update_failed",
                translation_placeholders={
                    "url": self.client.base_url,
                    "error": str(err),
                },
            ) from err
        if not self.last_update_success:
            for listener in self.online_listeners:
                listener()
        return GameData(
            me=me,
            score=score,
            leaderboard=leaderboard,
            peak_events=events,
            catalogue=catalogue,
        )
