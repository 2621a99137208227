"""Constants of the pulse meter kind."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

CONF_ENERGY_PER_PULSE: Final = "energy_per_pulse"
CONF_EDGE: Final = "edge"
CONF_DEBOUNCE: Final = "debounce"

DEFAULT_ENERGY_PER_PULSE: Final = 1.0  # Wh (1000 imp/kWh)
DEFAULT_DEBOUNCE_MS: Final = 20  # S0 pulses last at least 30 ms
DEFAULT_EDGE: Final = "falling"
EDGES: Final = ("falling", "rising")

POWER_UPDATE_INTERVAL: Final = timedelta(seconds=5)
"""How often the power sensor re-evaluates its decay while pulses are missing."""

SERVICE_SET_PULSE_TOTAL: Final = "set_pulse_total"
ATTR_TOTAL: Final = "total"

CONF_NO_PULSE_HOURS: Final = "no_pulse_hours"
"""Option: hours without a pulse before a repair issue is raised (0 or absent: never)."""
MAX_NO_PULSE_HOURS: Final = 8760
"""Longest delay the option accepts (a year)."""
NO_PULSE_CHECK_INTERVAL: Final = timedelta(minutes=1)
"""How often the time since the last pulse is compared with that option."""
ISSUE_NO_PULSE: Final = "pulse_no_pulse"
"""Translation key of the no-pulse repair issue (its id adds the entry id)."""
