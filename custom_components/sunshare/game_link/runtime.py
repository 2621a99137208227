"""Runtime data of a game link entry: the client, the coordinator and the uploader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
    selected_action: str | None = None
    """Catalogue id chosen in the action select, declared by the button."""
    selection_listeners: list[Callable[[], None]] = field(default_factory=list)
    """Called when the button clears the selection (the select writes its state)."""


type GameConfigEntry = ConfigEntry[GameRuntimeData]
