"""Constants for the Sunshare integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "sunshare"
LOGGER: Final = logging.getLogger(__package__)

MANUFACTURER: Final = "Sunshare"

# Every config entry stores which kind of thing it configures under this key.
CONF_KIND: Final = "kind"


class EntryKind(StrEnum):
    """What a Sunshare config entry configures (one name per concept across code, UI, docs)."""

    LINKY = "linky"
    """A Linky meter read through its TIC (téléinformation client) output."""
    PULSE_METER = "pulse_meter"
    """A pulse meter (S0 output or LED photodiode) on a GPIO line."""
    BUZZER = "buzzer"
    """A buzzer on a GPIO line, for alarms."""
    RELAY = "relay"
    """A load-shedding relay on a GPIO line."""
    ENEDIS = "enedis"
    """Enedis metering data imported through a gateway."""
    GAME = "game"
    """The link to a Sunshare game server."""
