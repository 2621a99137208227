"""Write Enedis hourly energy as external long-term statistics with continuous sums.

Statistic ids are ``sunshare:<prm>_consumption`` and ``sunshare:<prm>_production`` (Wh,
``has_sum``, source ``sunshare``). Each import reads the stored rows from the first new
hour on and the sum of the row before it (in the recorder's executor), merges the new
days with :func:`~custom_components.sunshare.enedis.hourly.recompute_days` and rewrites
every row from the first changed hour on: a late day shifts the following sums, and a
re-import of the same data writes nothing.

Metadata: ``mean_type`` is ``StatisticMeanType.NONE`` (Home Assistant 2025.4+; older
versions get ``has_mean: False`` instead);
``unit_class`` is set only when the running Home Assistant's ``StatisticMetaData``
declares it (2025.11+, required from 2026.11) — older versions store the metadata with
``StatisticsMeta(**meta)`` and would reject an unknown key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final, cast

from homeassistant.components.recorder import models as recorder_models
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from custom_components.sunshare.enedis.hourly import (
    DayEnergy,
    HourRow,
    first_hour,
    recompute_days,
)

from .const import STATISTICS_SOURCE, Direction

SUPPORTS_UNIT_CLASS: Final = "unit_class" in getattr(
    StatisticMetaData, "__annotations__", {}
)
"""Whether this Home Assistant's statistics metadata has ``unit_class`` (2025.11+)."""
_MEAN_TYPE: Final = getattr(recorder_models, "StatisticMeanType", None)
"""``StatisticMeanType`` (Home Assistant 2025.4+), or None on older versions."""

_LOOKBACK: Final = (timedelta(days=8), timedelta(days=400), timedelta(days=20 * 366))
"""Growing windows searched for the last row before an import."""


def statistic_id(prm: str, direction: Direction) -> str:
    """Return the external statistic id of one PRM and direction."""
    return f"{STATISTICS_SOURCE}:{prm}_{direction.value}"


def statistic_metadata(prm: str, direction: Direction) -> StatisticMetaData:
    """Return the metadata of one PRM and direction for the running Home Assistant."""
    meta: dict[str, Any] = {
        "has_sum": True,
        "name": f"Enedis {direction.value} {prm}",
        "source": STATISTICS_SOURCE,
        "statistic_id": statistic_id(prm, direction),
        "unit_of_measurement": UnitOfEnergy.WATT_HOUR,
    }
    if _MEAN_TYPE is not None:
        meta["mean_type"] = _MEAN_TYPE.NONE
    else:  # pragma: no cover - Home Assistant before 2025.4
        meta["has_mean"] = False
    if SUPPORTS_UNIT_CLASS:  # pragma: no cover - Home Assistant 2025.11+
        meta["unit_class"] = EnergyConverter.UNIT_CLASS
    return cast("StatisticMetaData", meta)


def _row(raw: Mapping[str, Any]) -> HourRow:
    """Return a stored statistics row as an :class:`HourRow`."""
    return HourRow(
        start=dt_util.utc_from_timestamp(raw["start"]),
        energy_wh=float(raw.get("state") or 0.0),
        sum_wh=float(raw.get("sum") or 0.0),
    )


def read_rows_from(
    hass: HomeAssistant, stat_id: str, first: datetime
) -> tuple[list[HourRow], float]:
    """Return the stored rows from ``first`` on and the sum before it (executor)."""
    last = get_last_statistics(hass, 1, stat_id, False, {"state", "sum"}).get(stat_id)
    if not last:
        return [], 0.0
    newest = _row(last[0])
    if newest.start < first:
        return [], newest.sum_wh
    after = statistics_during_period(
        hass, first, None, {stat_id}, "hour", None, {"state", "sum"}
    ).get(stat_id, [])
    for window in _LOOKBACK:
        before = statistics_during_period(
            hass, first - window, first, {stat_id}, "hour", None, {"sum"}
        ).get(stat_id, [])
        if before:
            return [_row(raw) for raw in after], _row(before[-1]).sum_wh
    return [_row(raw) for raw in after], 0.0


class StatisticsWriter:
    """Import hourly energy of one PRM, one import at a time."""

    def __init__(self, hass: HomeAssistant, prm: str) -> None:
        """Bind the writer to a PRM."""
        self._hass = hass
        self.prm = prm
        self._lock = asyncio.Lock()
        self.rows_written = 0
        """Rows written since start-up, for diagnostics."""

    async def async_import(
        self, direction: Direction, days: Mapping[date, DayEnergy]
    ) -> int:
        """Merge new days into the statistics; return the number of rows written."""
        if (first := first_hour(days)) is None:
            return 0
        stat_id = statistic_id(self.prm, direction)
        recorder = get_instance(self._hass)
        async with self._lock:
            existing, base = await recorder.async_add_executor_job(
                read_rows_from, self._hass, stat_id, first
            )
            rows = recompute_days(days, existing, base)
            if not rows:
                return 0
            async_add_external_statistics(
                self._hass,
                statistic_metadata(self.prm, direction),
                [
                    StatisticData(start=row.start, state=row.energy_wh, sum=row.sum_wh)
                    for row in rows
                ],
            )
            # The next import reads these rows back: wait until the recorder thread
            # has processed the import (its queue is FIFO). Recorder's own
            # async_block_till_done returns at once when the import task has left
            # the queue but is still running, which would race with the next read.
            done = asyncio.Event()
            recorder.queue_task(SynchronizeTask(done))
            await done.wait()
        self.rows_written += len(rows)
        return len(rows)
