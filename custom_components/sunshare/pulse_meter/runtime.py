"""Runtime data of a pulse meter entry: GPIO backend, input line, meter, no-pulse watch."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from custom_components.sunshare.gpio import GpioBackend, InputLine

from .meter import PulseMeter
from .watch import NoPulseWatch


@dataclass(kw_only=True, slots=True)
class PulseMeterRuntimeData:
    """What a loaded pulse meter entry holds."""

    backend: GpioBackend
    line: InputLine
    meter: PulseMeter
    watch: NoPulseWatch


type PulseMeterConfigEntry = ConfigEntry[PulseMeterRuntimeData]
