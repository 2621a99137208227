"""Runtime data of an Enedis data entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .backfill import Backfill
    from .coordinator import EnedisCoordinator


@dataclass(kw_only=True, slots=True)
class EnedisRuntimeData:
    """What a loaded Enedis data entry holds."""

    coordinator: EnedisCoordinator
    backfill: Backfill


type EnedisConfigEntry = ConfigEntry[EnedisRuntimeData]
"""A config entry of the Enedis data kind."""
