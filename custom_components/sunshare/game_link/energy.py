"""Read a household's daily energy from Home Assistant's long-term statistics.

By default the sources are those of the Energy dashboard (grid consumption and return,
solar production, battery in and out), so the game works with any meter Home Assistant
supports. Daily totals come from the hourly statistics; the 48 half-hours of import and
export come from the 5-minute statistics, which the recorder keeps for 10 days by default,
so only recent days carry half-hours. Days are local calendar days of Home Assistant's
time zone (46 or 50 half-hours on DST days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from custom_components.sunshare.game.models import DailyReading

HOUR = timedelta(hours=1)
SLOT = timedelta(minutes=30)
SHORT_TERM = timedelta(minutes=5)
# A day carries half-hours only when at least 90 % of its 5-minute rows exist.
SLOT_COVERAGE = 0.9
# A day is sent only when its last hour has been compiled and at most a few hours (a
# sensor unavailable for a while) lack a row: their energy is in the next row anyway.
DAY_COVERAGE = 0.75


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergySources:
    """Statistic ids of each energy flow (several meters of one flow add up)."""

    grid_import: tuple[str, ...] = ()
    grid_export: tuple[str, ...] = ()
    solar: tuple[str, ...] = ()
    battery_charge: tuple[str, ...] = ()
    battery_discharge: tuple[str, ...] = ()
    temperature: str | None = None
    """Statistic id of an outdoor temperature sensor (hourly means, for degree-days)."""

    @property
    def all_ids(self) -> set[str]:
        """Return every statistic id used."""
        return {
            *self.grid_import,
            *self.grid_export,
            *self.solar,
            *self.battery_charge,
            *self.battery_discharge,
        }


async def async_sources_from_energy_dashboard(hass: HomeAssistant) -> EnergySources:
    """Return the energy flows configured in the Energy dashboard."""
    manager = await async_get_manager(hass)
    grid_import: list[str] = []
    grid_export: list[str] = []
    solar: list[str] = []
    charge: list[str] = []
    discharge: list[str] = []
    prefs: dict[str, Any] = dict(manager.data or {})
    sources: list[dict[str, Any]] = list(prefs.get("energy_sources", []))
    for source in sources:
        if source["type"] == "grid":
            grid_import += [flow["stat_energy_from"] for flow in source["flow_from"]]
            grid_export += [flow["stat_energy_to"] for flow in source["flow_to"]]
        elif source["type"] == "solar":
            solar.append(source["stat_energy_from"])
        elif source["type"] == "battery":
            discharge.append(source["stat_energy_from"])
            charge.append(source["stat_energy_to"])
    return EnergySources(
        grid_import=tuple(grid_import),
        grid_export=tuple(grid_export),
        solar=tuple(solar),
        battery_charge=tuple(charge),
        battery_discharge=tuple(discharge),
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return a local day's start and end in UTC (Home Assistant's time zone)."""
    zone = dt_util.get_default_time_zone()
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _sum(rows: dict[str, list[Any]], ids: Iterable[str]) -> float | None:
    """Return the total change of some statistics (None when none has rows)."""
    total, found = 0.0, False
    for statistic_id in ids:
        for row in rows.get(statistic_id, []):
            if (change := row.get("change")) is not None:
                total += change
                found = True
    return total if found else None


def _complete(
    rows: dict[str, list[Any]], ids: Iterable[str], start: datetime, end: datetime
) -> bool:
    """Return whether a day's hourly rows are all there (its last hour included)."""
    hours = int((end - start) / HOUR)
    last = (end - HOUR).timestamp()
    for statistic_id in ids:
        found = rows.get(statistic_id, [])
        if len(found) < DAY_COVERAGE * hours or found[-1]["start"] < last:
            return False
    return True


def _slots(
    rows: dict[str, list[Any]], ids: Iterable[str], start: datetime, count: int
) -> tuple[float | None, ...]:
    """Return half-hour totals from 5-minute rows (None where a half-hour has no row)."""
    values: list[float | None] = [None] * count
    first = start.timestamp()
    for statistic_id in ids:
        for row in rows.get(statistic_id, []):
            if (change := row.get("change")) is None:
                continue
            index = int((row["start"] - first) // SLOT.total_seconds())
            if 0 <= index < count:
                values[index] = (values[index] or 0.0) + change
    return tuple(values)


def _between(
    rows: dict[str, list[Any]], start: datetime, end: datetime
) -> dict[str, list[Any]]:
    """Return the rows starting in [start, end)."""
    first, stop = start.timestamp(), end.timestamp()
    return {
        statistic_id: [row for row in found if first <= row["start"] < stop]
        for statistic_id, found in rows.items()
    }


def _day(
    sources: EnergySources,
    day: date,
    hourly: dict[str, list[Any]],
    short: dict[str, list[Any]],
    temperatures: list[Any],
) -> DailyReading | None:
    """Return one day's reading from its hourly, 5-minute and temperature rows."""
    start, end = day_bounds(day)
    imported = _sum(hourly, sources.grid_import)
    if imported is None or not _complete(hourly, sources.grid_import, start, end):
        return None
    means = [mean for row in temperatures if (mean := row.get("mean")) is not None]
    slot_count = int((end - start) / SLOT)
    expected_rows = int((end - start) / SHORT_TERM)
    rows = max((len(short.get(i, [])) for i in sources.grid_import), default=0)
    has_slots = rows >= SLOT_COVERAGE * expected_rows
    return DailyReading(
        day=day,
        import_kwh=imported,
        export_kwh=_sum(hourly, sources.grid_export) or 0.0,
        production_kwh=_sum(hourly, sources.solar) or 0.0,
        battery_charge_kwh=_sum(hourly, sources.battery_charge),
        battery_discharge_kwh=_sum(hourly, sources.battery_discharge),
        import_slots=_slots(short, sources.grid_import, start, slot_count)
        if has_slots
        else None,
        export_slots=_slots(short, sources.grid_export, start, slot_count)
        if has_slots and sources.grid_export
        else None,
        t_mean_c=sum(means) / len(means) if means else None,
    )


def _read(
    hass: HomeAssistant, sources: EnergySources, first: date, last: date
) -> list[DailyReading]:
    """Read complete days from the recorder, three queries in all (recorder executor)."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    units = {"energy": "kWh"}
    energy_ids = sources.all_ids
    hourly = statistics_during_period(
        hass, start, end, energy_ids, "hour", units, {"change"}
    )
    short = statistics_during_period(
        hass,
        start,
        end,
        {*sources.grid_import, *sources.grid_export},
        "5minute",
        units,
        {"change"},
    )
    temperatures: list[Any] = []
    if sources.temperature:
        temperatures = statistics_during_period(
            hass,
            start,
            end,
            {sources.temperature},
            "hour",
            {"temperature": "°C"},
            {"mean"},
        ).get(sources.temperature, [])
    readings: list[DailyReading] = []
    day = first
    while day <= last:
        day_start, day_end = day_bounds(day)
        reading = _day(
            sources,
            day,
            _between(hourly, day_start, day_end),
            _between(short, day_start, day_end),
            _between({"t": temperatures}, day_start, day_end)["t"],
        )
        if reading is not None:
            readings.append(reading)
        day += timedelta(days=1)
    return readings


async def async_daily_readings(
    hass: HomeAssistant, sources: EnergySources, first: date, last: date
) -> list[DailyReading]:
    """Return the complete days from ``first`` to ``last`` (inclusive), oldest first."""
    if not sources.grid_import or last < first:
        return []
    return await get_instance(hass).async_add_executor_job(
        _read, hass, sources, first, last
    )


async def async_daily_reading(
    hass: HomeAssistant, sources: EnergySources, day: date
) -> DailyReading | None:
    """Return a day's energy, or None until the grid import covers the whole day."""
    readings = await async_daily_readings(hass, sources, day, day)
    return readings[0] if readings else None
