"""Home Assistant adapter of the buzzer kind: setup, unload, diagnostics, services."""

from __future__ import annotations

from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback

from custom_components.sunshare import kinds
from custom_components.sunshare.const import DOMAIN, EntryKind
from custom_components.sunshare.gpio import BackendKind, GpioError, OutputConfig
from custom_components.sunshare.gpio_entry import (
    CONF_BACKEND,
    CONF_CHIP,
    CONF_LINE,
    async_open_backend,
    raise_setup_error,
)
from custom_components.sunshare.service_target import target_entries, with_target
from custom_components.sunshare.validation import vol

from .const import (
    ALARM_PATTERN,
    ATTR_MAX_DURATION,
    ATTR_PATTERN,
    ATTR_PAUSE,
    ATTR_REPEATS,
    CONF_ACTIVE_LEVEL,
    DEFAULT_MAX_DURATION_S,
    MAX_REPEATS,
    MIN_STEP_S,
    REPEAT_PAUSE_S,
    SAFETY_MAX_DURATION_S,
    SERVICE_SOUND_ALARM,
)
from .player import AlarmPlayer, build_steps
from .runtime import BuzzerConfigEntry, BuzzerRuntimeData
from .siren import async_setup_sirens


async def async_setup_entry(hass: HomeAssistant, entry: BuzzerConfigEntry) -> None:
    """Request the buzzer's line, inactive."""
    data = entry.data
    config = OutputConfig(
        line=int(data[CONF_LINE]),
        active_low=data.get(CONF_ACTIVE_LEVEL) == "low",
        initial_active=False,
    )
    try:
        backend = await async_open_backend(
            hass, BackendKind(data[CONF_BACKEND]), data.get(CONF_CHIP)
        )
    except GpioError as err:
        raise_setup_error(err, config.line)
    try:
        line = backend.request_output(config)
    except GpioError as err:
        backend.close()
        raise_setup_error(err, config.line)
    player = AlarmPlayer(hass, line)
    entry.runtime_data = BuzzerRuntimeData(backend=backend, player=player)

    @callback
    def on_stop(event: Event) -> None:
        """Silence the buzzer and release its line when Home Assistant stops."""
        player.release()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, on_stop))


async def async_unload_entry(hass: HomeAssistant, entry: BuzzerConfigEntry) -> None:
    """Silence the buzzer, release the line and close the chip."""
    entry.runtime_data.player.release()
    entry.runtime_data.backend.close()


async def async_diagnostics(
    hass: HomeAssistant, entry: BuzzerConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, the chip and the player's state."""
    return {
        "title": entry.title,
        "data": dict(entry.data),
        "chip": entry.runtime_data.backend.describe(),
        "player": entry.runtime_data.player.diagnostics(),
    }


_SECONDS = vol.All(
    vol.Coerce(float), vol.Range(min=MIN_STEP_S, max=SAFETY_MAX_DURATION_S)
)

SOUND_ALARM_SCHEMA = with_target(
    {
        vol.Optional(ATTR_PATTERN, default=list(ALARM_PATTERN)): vol.All(
            [_SECONDS], vol.Length(min=1, max=100)
        ),
        vol.Optional(ATTR_REPEATS, default=1): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_REPEATS)
        ),
        vol.Optional(ATTR_PAUSE, default=REPEAT_PAUSE_S): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=SAFETY_MAX_DURATION_S)
        ),
        vol.Optional(ATTR_MAX_DURATION, default=DEFAULT_MAX_DURATION_S): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=SAFETY_MAX_DURATION_S)
        ),
    }
)


def register_services(hass: HomeAssistant) -> None:
    """Register ``sunshare.sound_alarm``."""

    async def sound_alarm(call: ServiceCall) -> None:
        """Play a pattern on the targeted buzzers, replacing any alarm playing."""
        entries = target_entries(hass, dict(call.data), EntryKind.BUZZER)
        steps = build_steps(
            call.data[ATTR_PATTERN],
            call.data[ATTR_REPEATS],
            call.data[ATTR_PAUSE],
            call.data[ATTR_MAX_DURATION],
        )
        for entry in entries:
            entry.runtime_data.player.play(steps)

    hass.services.async_register(
        DOMAIN, SERVICE_SOUND_ALARM, sound_alarm, schema=SOUND_ALARM_SCHEMA
    )


kinds.register(
    EntryKind.BUZZER,
    kinds.KindHandler(
        setup_entry=async_setup_entry,
        platforms={Platform.SIREN: async_setup_sirens},
        unload_entry=async_unload_entry,
        diagnostics=async_diagnostics,
        register_services=register_services,
    ),
)
