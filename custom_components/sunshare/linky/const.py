"""Constants of the Linky meter kind."""

from __future__ import annotations

from datetime import timedelta
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

LINK_TIMEOUT: Final = timedelta(seconds=30)
"""Time without a frame after which the meter link sensor turns off (the reader gives
the line up after as long, and a meter sends a frame every one to two seconds)."""
LINK_CHECK_INTERVAL: Final = timedelta(seconds=5)
"""How often the time since the last frame is checked (link sensor, repair issue)."""
NO_FRAME_ISSUE_AFTER: Final = timedelta(minutes=5)
"""Time without a frame (since the last one, or since the entry was set up) after which
a repair issue tells the user what to check: longer than a meter's restart or a dongle
unplugged and plugged back, short enough to be noticed the same day."""
ISSUE_NO_FRAMES: Final = "linky_no_frames"
"""Translation key of that repair issue (its id adds the entry id)."""
