"""Constants of the relay kind (load shedding)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

CONF_ACTIVE_LEVEL: Final = "active_level"
CONF_NAME: Final = "name"
CONF_DECLARED_POWER: Final = "declared_power"
CONF_MAX_DURATION: Final = "max_duration"
"""Maximum shedding time, in minutes (an option)."""
CONF_STARTUP_STATE: Final = "startup_state"
CONF_POWER_ENTITY: Final = "power_entity"

DEFAULT_MAX_DURATION_MIN: Final = 120
MAX_MAX_DURATION_MIN: Final = 24 * 60
DEFAULT_DECLARED_POWER_W: Final = 2000
MAX_DECLARED_POWER_W: Final = 36000

MEASURE_WINDOW_S: Final = 60
"""Length of the windows before and after switching used to measure the power drop."""

SERVICE_SHED_LOAD: Final = "shed_load"
SERVICE_STOP_SHEDDING: Final = "stop_shedding"
ATTR_DURATION: Final = "duration"

EVENT_SHEDDING_ENDED: Final = "sunshare_shedding_ended"

STORE_VERSION: Final = 1


class ActiveLevel(StrEnum):
    """Which physical level switches the relay on."""

    HIGH = "high"
    LOW = "low"


class StartupState(StrEnum):
    """State of the relay when Home Assistant starts with no shedding in progress."""

    POWERED = "powered"
    """Loads powered (relay inactive)."""
    SHEDDING = "shedding"
    """Start a shedding event, ended after the maximum shedding time."""


class EndReason(StrEnum):
    """Why a shedding event ended."""

    REQUESTED = "requested"
    """Turned off by a user, an automation or ``sunshare.stop_shedding``."""
    DURATION = "duration"
    """The requested duration elapsed."""
    MAX_DURATION = "max_duration"
    """The maximum shedding time elapsed."""
    UNLOAD = "unload"
    """The config entry was unloaded (reload, disable, removal)."""
