"""Runtime data of a buzzer entry: the GPIO backend and the alarm player."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from custom_components.sunshare.gpio import GpioBackend

from .player import AlarmPlayer


@dataclass(kw_only=True, slots=True)
class BuzzerRuntimeData:
    """What a loaded buzzer entry holds."""

    backend: GpioBackend
    player: AlarmPlayer


type BuzzerConfigEntry = ConfigEntry[BuzzerRuntimeData]
