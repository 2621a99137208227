"""Write Enedis hourly energy as external long-term statistics with continuous sums.

Statistic ids are ``sunshare:<prm>_consumption`` and ``sunshare:<prm>_production`` (Wh,
``has_sum``, source ``sunshare``). Each import reads the stored rows from the first new
hour on and the sum of the row before it (in the recorder's executor), merges the new
days with :func:`~custom_components.sunshare.enedis.hourly.recompute_days` and rewrites
every row from the first changed hour on: a late day shifts the following sums, and a
re-import of the same data writes nothing. An import returns once the recorder has
stored its rows (read back through the public statistics API, at most
``STORE_TIMEOUT``), so the next import never reads stale rows and a stuck recorder
fails the import instead of hanging the entry's setup.

Metadata: ``mean_type`` is ``StatisticMeanType.NONE`` (Home Assistant 2025.4+; older
versions get ``has_mean: False`` instead);
``unit_class`` is set only when the running Home Assistant's ``StatisticMetaData``
declares it (2025.11+, required from 2026.11) — older versions store the metadata with
``StatisticsMeta(**meta)`` and would reject an unknown key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
import math
import time
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.components.recorder import models as recorder_models
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis.hourly import (
    DayEnergy,
    HourRow,
    first_hour,
    recompute_days,
)

from .const import STATISTICS_SOURCE, Direction

if TYPE_CHECKING:
    from homeassistant.components.recorder.core import Recorder

SUPPORTS_UNIT_CLASS: Final = "unit_class" in getattr(
    StatisticMetaData, "__annotations__", {}
)
"""Whether this Home Assistant's statistics metadata has ``unit_class`` (2025.11+)."""
_MEAN_TYPE: Final = getattr(recorder_models, "StatisticMeanType", None)
"""``StatisticMeanType`` (Home Assistant 2025.4+), or None on older versions."""

_LOOKBACK: Final = (timedelta(days=8), timedelta(days=400), timedelta(days=20 * 366))
"""Growing windows searched for the last row before an import."""
STORE_TIMEOUT: Final = 120.0
"""Seconds an import waits for the recorder to store its rows before failing."""
_FIRST_POLL: Final = 0.02
_MAX_POLL: Final = 1.0


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


class StatisticsNotStoredError(HomeAssistantError):
    """The recorder did not store imported statistics within ``STORE_TIMEOUT``."""

    def __init__(self, stat_id: str) -> None:
        """Name the statistic that was not stored."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="enedis_statistics_not_stored",
            translation_placeholders={"statistic_id": stat_id},
        )


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


def rows_stored(hass: HomeAssistant, stat_id: str, rows: Sequence[HourRow]) -> bool:
    """Return whether the recorder holds exactly ``rows`` from the first on (executor)."""
    stored = statistics_during_period(
        hass, rows[0].start, None, {stat_id}, "hour", None, {"state", "sum"}
    ).get(stat_id, [])
    if len(stored) < len(rows):
        return False
    return all(
        found.start == row.start
        and math.isclose(found.energy_wh, row.energy_wh, abs_tol=1e-6)
        and math.isclose(found.sum_wh, row.sum_wh, abs_tol=1e-6)
        for found, row in zip(map(_row, stored), rows, strict=False)
    )


def wait_rows_stored(
    hass: HomeAssistant, stat_id: str, rows: Sequence[HourRow], timeout: float
) -> bool:
    """Poll until the recorder holds ``rows``; False after ``timeout`` s (executor).

    The import is a task in the recorder's queue; the public statistics API is the
    only way to see that it ran. Polling happens in the executor, with the thread's
    own sleep, so it neither blocks the event loop nor depends on the loop's clock;
    the time waited is the sum of the sleeps, so a frozen clock (tests) cannot make it
    wait forever.

    Polling stops as soon as Home Assistant is stopping: the recorder then closes its
    database, and a query running in another thread at that moment can crash SQLite
    (seen as a segmentation fault on Home Assistant 2025.4).
    """
    waited, delay = 0.0, _FIRST_POLL
    while not hass.is_stopping and not rows_stored(hass, stat_id, rows):
        if waited >= timeout:
            return False
        time.sleep(delay)
        waited += delay
        delay = min(delay * 2, _MAX_POLL)
    return not hass.is_stopping


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
            # The next import reads these rows back: wait until the recorder has
            # stored them (read through the public statistics API), so that imports
            # never race. A recorder that never catches up fails this import after
            # STORE_TIMEOUT instead of hanging the caller (entry setup included).
            await self._async_wait_stored(recorder, stat_id, rows)
        self.rows_written += len(rows)
        return len(rows)

    async def _async_wait_stored(
        self, recorder: Recorder, stat_id: str, rows: Sequence[HourRow]
    ) -> None:
        """Return once the recorder holds ``rows``; raise after ``STORE_TIMEOUT``."""
        if not await recorder.async_add_executor_job(
            wait_rows_stored, self._hass, stat_id, rows, STORE_TIMEOUT
        ):
            raise StatisticsNotStoredError(stat_id)
