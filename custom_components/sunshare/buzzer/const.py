"""Constants of the buzzer kind."""

from __future__ import annotations

from typing import Final

CONF_ACTIVE_LEVEL: Final = "active_level"
CONF_NAME: Final = "name"

TONE_ALARM: Final = "alarm"
TONE_BEEP: Final = "beep"
TONES: Final = [TONE_ALARM, TONE_BEEP]

ALARM_PATTERN: Final = (2.0, 1.0, 2.0, 1.0, 2.0)
"""The default alarm: 3 × 2 s on, with 1 s gaps (seconds: on, off, on, …)."""
BEEP_PATTERN: Final = (0.2,)
"""One short beep."""
REPEAT_PAUSE_S: Final = 1.0
"""Silence between two repetitions of a pattern."""
BEEP_PAUSE_S: Final = 0.8
"""Silence between beeps when beeping for a duration (one beep a second)."""

DEFAULT_MAX_DURATION_S: Final = 300.0
SAFETY_MAX_DURATION_S: Final = 3600.0
"""No alarm sounds longer than this, whatever is asked."""
MIN_STEP_S: Final = 0.05
MAX_REPEATS: Final = 1000

SERVICE_SOUND_ALARM: Final = "sound_alarm"
ATTR_PATTERN: Final = "pattern"
ATTR_REPEATS: Final = "repeats"
ATTR_PAUSE: Final = "pause"
ATTR_MAX_DURATION: Final = "max_duration"
