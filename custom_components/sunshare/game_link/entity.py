"""Base class of the game link's entities (one service device per entry)."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from custom_components.sunshare.const import DOMAIN, MANUFACTURER

from .const import CONF_URL, CONF_USERNAME
from .coordinator import GameCoordinator
from .runtime import GameConfigEntry


def player_name(entry: GameConfigEntry) -> str:
    """Return the player's display name (from the server), else their username."""
    data = entry.runtime_data.coordinator.data
    name = data.me.get("display_name") if data is not None else None
    return str(name or entry.data[CONF_USERNAME])


def game_device_info(entry: GameConfigEntry) -> DeviceInfo:
    """Return the device of a game link entry (a service: the player on a server)."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        # "Sunshare game (Alice)" / "Jeu Sunshare (Alice)": the words of the entry's
        # title (see titles.py), in Home Assistant's language.
        translation_key="game_link",
        translation_placeholders={"name": player_name(entry)},
        manufacturer=MANUFACTURER,
        model="Game link",
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=entry.data[CONF_URL],
    )


class GameEntity(CoordinatorEntity[GameCoordinator]):
    """An entity of the game link, unavailable while the game server is down."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: GameCoordinator, key: str) -> None:
        """Name the entity after ``key`` and attach it to the entry's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = game_device_info(entry)
