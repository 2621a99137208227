"""Runtime data of a pulse meter entry: the GPIO backend, its input line and the meter."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from custom_components.sunshare.gpio import GpioBackend, InputLine

from .meter import PulseMeter


@dataclass(kw_only=True, slots=True)
class PulseMeterRuntimeData:
    """What a loaded pulse meter entry holds."""

    backend: GpioBackend
    line: InputLine
    meter: PulseMeter


type PulseMeterConfigEntry = ConfigEntry[PulseMeterRuntimeData]
