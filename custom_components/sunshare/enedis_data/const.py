"""Constants of the Enedis data kind."""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Final

CONF_GATEWAY: Final = "gateway"
CONF_PRM: Final = "prm"
CONF_URL: Final = "url"
CONF_TOKEN: Final = "token"  # noqa: S105 - the key of the token, not a token

SERVICE_IMPORT_HISTORY: Final = "import_history"
SERVICE_IMPORT_FILE: Final = "import_file"
ATTR_START: Final = "start"
ATTR_PATH: Final = "path"

STATISTICS_SOURCE: Final = "sunshare"
"""Source of the external statistics (must be the integration's domain)."""

PUBLICATION_TIME: Final = time(8, 0)
"""Europe/Paris time from which Enedis publishes yesterday's data."""
RETRY_INTERVAL: Final = timedelta(hours=2)
"""Wait between attempts while yesterday's data has not arrived."""
ERROR_RETRY_INTERVAL: Final = timedelta(hours=1)
"""Wait after a failed update (transient or rate-limited error)."""
INITIAL_DAYS: Final = 7
"""Days fetched on the first update (the backfill service fetches more)."""
STALE_DAYS: Final = 3
"""Raise a repair issue when the newest day is older than this many days."""
BACKFILL_PAUSE: Final = 1.0
"""Seconds between two backfill chunks (politeness towards the gateway)."""


class Direction(StrEnum):
    """The two energy directions imported as statistics."""

    CONSUMPTION = "consumption"
    PRODUCTION = "production"
