"""Runtime data of a relay entry: the GPIO backend and the load shedder."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from custom_components.sunshare.gpio import GpioBackend

from .shedder import LoadShedder


@dataclass(kw_only=True, slots=True)
class RelayRuntimeData:
    """What a loaded relay entry holds."""

    backend: GpioBackend
    shedder: LoadShedder


type RelayConfigEntry = ConfigEntry[RelayRuntimeData]
