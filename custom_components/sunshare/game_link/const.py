"""Constants of the game link kind."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

CONF_URL: Final = "url"
CONF_USERNAME: Final = "username"
CONF_PASSWORD: Final = "password"  # noqa: S105
CONF_TOKEN: Final = "token"  # noqa: S105
CONF_PLAYER_ID: Final = "player_id"

# Options.
CONF_ENERGY_SOURCE: Final = "energy_source"
CONF_GRID_IMPORT: Final = "grid_import"
CONF_GRID_EXPORT: Final = "grid_export"
CONF_SOLAR: Final = "solar"
CONF_BATTERY_CHARGE: Final = "battery_charge"
CONF_BATTERY_DISCHARGE: Final = "battery_discharge"
CONF_TEMPERATURE: Final = "temperature"

SCAN_INTERVAL: Final = timedelta(minutes=15)
STORE_VERSION: Final = 1
DEFAULT_CATCH_UP_DAYS: Final = 28
"""Days re-read after downtime when the server does not tell its reference window."""
UPLOAD_DELAY: Final = timedelta(minutes=30)
"""After local midnight, wait this long so the recorder has compiled the last hour."""

EVENT_PEAK_ANNOUNCED: Final = "peak_announced"
EVENT_PEAK_STARTED: Final = "peak_started"

SERVICE_DECLARE_ACTION: Final = "declare_action"
ATTR_ACTION_ID: Final = "action_id"
ATTR_DATE: Final = "date"
ATTR_EVIDENCE: Final = "evidence"


class EnergySource(StrEnum):
    """Where the game link reads the household's energy."""

    ENERGY_DASHBOARD = "energy_dashboard"
    MANUAL = "manual"
