"""Constants of the Linky meter kind."""

from __future__ import annotations

from typing import Final

CONF_PORT: Final = "port"
"""Serial device path or URL (``socket://host:port``, ``rfc2217://host:port``)."""
CONF_URL: Final = "url"
"""Free URL field of the config form (takes precedence over the port list)."""
CONF_MODE: Final = "mode"
"""TIC mode: ``auto``, ``historic`` or ``standard``."""
MODE_AUTO: Final = "auto"
MODES: Final = ("auto", "historic", "standard")

CONF_POWER_INTERVAL: Final = "power_interval"
CONF_POWER_DEADBAND: Final = "power_deadband"
CONF_INDEX_INTERVAL: Final = "index_interval"
CONF_MAX_INTERVAL: Final = "max_interval"
DEFAULT_POWER_INTERVAL: Final = 5
"""Seconds: power and current are written at most this often."""
DEFAULT_POWER_DEADBAND: Final = 100
"""VA or W: smaller power moves wait for the maximum interval."""
DEFAULT_INDEX_INTERVAL: Final = 60
"""Seconds: energy indexes are written at most this often."""
DEFAULT_MAX_INTERVAL: Final = 600
"""Seconds: a held change is written at the latest after this long."""
CURRENT_DEADBAND: Final = 2.0
"""A: the meter reports whole amperes; the power shows finer moves."""

FIRST_FRAME_TIMEOUT: Final = 20.0
"""Seconds the config flow waits for a frame (auto mode tries both baud rates)."""
SERIAL_BY_ID: Final = "/dev/serial/by-id"
