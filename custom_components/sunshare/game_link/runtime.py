"""Runtime data of a game link entry: the client, the coordinator and the uploader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from custom_components.sunshare.game import GameClient

if TYPE_CHECKING:
    from .coordinator import GameCoordinator
    from .uploader import Uploader


@dataclass(kw_only=True, slots=True)
class GameRuntimeData:
    """What a loaded game link entry holds."""

    client: GameClient
    coordinator: GameCoordinator
    uploader: Uploader


type GameConfigEntry = ConfigEntry[GameRuntimeData]
