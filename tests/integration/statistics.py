"""Statistics metadata for tests, as the running Home Assistant expects it.

Home Assistant 2025.11 added ``unit_class`` to statistics metadata and 2026.10's
``async_import_statistics`` refuses metadata without it; 2025.4 stores the metadata as
given and rejects the unknown key. This builds the metadata for either, like
:func:`custom_components.sunshare.enedis_data.statistics.statistic_metadata` does.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.util.unit_conversion import (
    BaseUnitConverter,
    EnergyConverter,
    TemperatureConverter,
    VolumeConverter,
)

from custom_components.sunshare.enedis_data.statistics import SUPPORTS_UNIT_CLASS

_CONVERTERS: tuple[type[BaseUnitConverter], ...] = (
    EnergyConverter,
    TemperatureConverter,
    VolumeConverter,
)


def unit_class(unit: str) -> str | None:
    """Return the unit class of a unit (None for a unit no converter knows)."""
    for converter in _CONVERTERS:
        if unit in converter.VALID_UNITS:
            return converter.UNIT_CLASS
    return None


def metadata(
    statistic_id: str,
    unit: str = "kWh",
    *,
    name: str | None = None,
    sum_: bool = True,
    source: str = "recorder",
) -> Any:
    """Return the metadata of an energy-like (sum) or a mean statistic."""
    meta: dict[str, Any] = {
        "mean_type": StatisticMeanType.NONE if sum_ else StatisticMeanType.ARITHMETIC,
        "has_sum": sum_,
        "name": name or statistic_id,
        "source": source,
        "statistic_id": statistic_id,
        "unit_of_measurement": unit,
    }
    if SUPPORTS_UNIT_CLASS:
        meta["unit_class"] = unit_class(unit)
    return meta
