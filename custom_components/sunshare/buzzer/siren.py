"""The siren entity of a buzzer entry."""

from __future__ import annotations

from typing import Any

from homeassistant.components.siren import SirenEntity
from homeassistant.components.siren.const import (
    ATTR_DURATION,
    ATTR_TONE,
    SirenEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from custom_components.sunshare.const import DOMAIN, MANUFACTURER
from custom_components.sunshare.gpio_entry import CONF_LINE

from .const import (
    ALARM_PATTERN,
    BEEP_PATTERN,
    BEEP_PAUSE_S,
    MAX_REPEATS,
    REPEAT_PAUSE_S,
    SAFETY_MAX_DURATION_S,
    TONE_BEEP,
    TONES,
)
from .player import Steps, build_steps
from .runtime import BuzzerConfigEntry


def tone_steps(tone: str | None, duration: float | None) -> Steps:
    """Return what a siren turn-on plays: the tone once, or repeated for a duration."""
    beep = tone == TONE_BEEP
    pattern = BEEP_PATTERN if beep else ALARM_PATTERN
    pause = BEEP_PAUSE_S if beep else REPEAT_PAUSE_S
    if duration:
        return build_steps(
            pattern, MAX_REPEATS, pause, min(duration, SAFETY_MAX_DURATION_S)
        )
    return build_steps(pattern, 1, pause, SAFETY_MAX_DURATION_S)


class BuzzerSiren(SirenEntity):
    """A buzzer sounding the alarm and beep tones."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_should_poll = False
    _attr_translation_key = "buzzer"
    _attr_supported_features = (
        SirenEntityFeature.TURN_ON
        | SirenEntityFeature.TURN_OFF
        | SirenEntityFeature.TONES
        | SirenEntityFeature.DURATION
    )

    def __init__(self, entry: BuzzerConfigEntry) -> None:
        """Bind the siren to its entry's player."""
        self._player = entry.runtime_data.player
        self._attr_available_tones = list(TONES)
        self._attr_unique_id = f"{entry.entry_id}_buzzer"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=MANUFACTURER,
            model="Buzzer",
            model_id=f"GPIO {entry.data[CONF_LINE]}",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the player's changes."""
        self.async_on_remove(self._player.async_add_listener(self.async_write_ha_state))

    @property
    def is_on(self) -> bool:
        """Return whether an alarm is sounding."""
        return self._player.playing

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Sound a tone (default: the alarm), once or for a duration in seconds."""
        self._player.play(tone_steps(kwargs.get(ATTR_TONE), kwargs.get(ATTR_DURATION)))

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the alarm at once."""
        self._player.stop()


async def async_setup_sirens(
    hass: HomeAssistant, entry: BuzzerConfigEntry, add: AddEntitiesCallback
) -> None:
    """Add the buzzer's siren."""
    add([BuzzerSiren(entry)])
