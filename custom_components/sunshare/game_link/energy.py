"""Read a household's daily energy from Home Assistant's long-term statistics.

By default the sources are those of the Energy dashboard (grid consumption and return,
solar production, battery in and out), so the game works with any meter Home Assistant
supports. Daily totals come from the hourly statistics; the 48 half-hours of import and
export come from the 5-minute statistics, which the recorder keeps for 10 days by default,
so only recent days carry half-hours. Days are the game's days, Europe/Paris calendar days
whatever Home Assistant's time zone (46 or 50 half-hours on clock-change days, in real time
order), so the server receives each day's real number of half-hours.

The day's mean outdoor temperature (for degree-days) comes from a temperature sensor's
hourly statistics, or, for a ``weather`` entity (which has no statistics), from the
recorder's state history: the time-weighted mean of its ``temperature`` attribute,
converted to °C from its ``temperature_unit``. While Home Assistant was stopped (from
the end of a recorder run to the next recorded state) the temperature is unknown. A
weather entity's day with less than ``MIN_WEATHER_COVERAGE`` of known temperature has no
mean (the rules fall back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import math
from typing import Any

from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.db_schema import RecorderRuns
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.models import process_timestamp
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfTemperature
from homeassistant.core import HomeAssistant, State, split_entity_id
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter

from custom_components.sunshare.game.models import DailyReading, game_day_bounds

HOUR = timedelta(hours=1)
SLOT = timedelta(minutes=30)
SHORT_TERM = timedelta(minutes=5)
# A day carries half-hours only when at least 90 % of its 5-minute rows exist.
SLOT_COVERAGE = 0.9
# A day is sent only when its last hour has been compiled and at most a few hours (a
# sensor unavailable for a while) lack a row: their energy is in the next row anyway.
DAY_COVERAGE = 0.75
WEATHER_DOMAIN = "weather"
# A weather entity's day needs this much known temperature to have a mean.
MIN_WEATHER_COVERAGE = timedelta(hours=12)
ATTR_TEMPERATURE = "temperature"
ATTR_TEMPERATURE_UNIT = "temperature_unit"


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergySources:
    """Statistic ids of each energy flow (several meters of one flow add up)."""

    grid_import: tuple[str, ...] = ()
    grid_export: tuple[str, ...] = ()
    solar: tuple[str, ...] = ()
    battery_charge: tuple[str, ...] = ()
    battery_discharge: tuple[str, ...] = ()
    temperature: str | None = None
    """Outdoor temperature for degree-days: a sensor (hourly mean statistics) or a
    ``weather`` entity (its ``temperature`` attribute in the state history)."""

    @property
    def temperature_is_weather(self) -> bool:
        """Return whether the temperature comes from a weather entity's history."""
        return (
            self.temperature is not None
            and split_entity_id(self.temperature)[0] == WEATHER_DOMAIN
        )

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


def grid_statistics(source: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return the import and export statistic ids of one grid source of the prefs.

    Two formats exist. Home Assistant before 2026.10 kept every grid meter in one
    source, ``{"type": "grid", "flow_from": [...], "flow_to": [...]}``; from 2026.10
    on each grid connection is its own source, ``{"type": "grid",
    "stat_energy_from": ..., "stat_energy_to": ...}``, either of which may be None
    (export-only or power-only connections), and stored preferences are migrated to it.
    """
    if "flow_from" in source or "flow_to" in source:
        return (
            [flow["stat_energy_from"] for flow in source.get("flow_from") or []],
            [flow["stat_energy_to"] for flow in source.get("flow_to") or []],
        )
    imports = [source["stat_energy_from"]] if source.get("stat_energy_from") else []
    exports = [source["stat_energy_to"]] if source.get("stat_energy_to") else []
    return imports, exports


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
            imports, exports = grid_statistics(source)
            grid_import += imports
            grid_export += exports
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
    """Return a game day's start and end in UTC (Europe/Paris days, see ``game.models``)."""
    return game_day_bounds(day)


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


def time_weighted_mean(
    samples: Sequence[tuple[float, float | None]],
    start: float,
    end: float,
    min_seconds: float,
) -> float | None:
    """Return the time-weighted mean of step samples over [start, end), or None.

    ``samples`` are ``(timestamp, value)`` sorted by time; each value holds until the
    next sample (the last one until ``end``); None is a gap. Fewer than ``min_seconds``
    of known values give None.
    """
    weighted = covered = 0.0
    for index, (at, value) in enumerate(samples):
        until = samples[index + 1][0] if index + 1 < len(samples) else end
        low, high = max(at, start), min(until, end)
        if value is None or high <= low:
            continue
        weighted += value * (high - low)
        covered += high - low
    if covered <= 0 or covered < min_seconds:
        return None
    return weighted / covered


def _celsius(state: State, default_unit: str) -> float | None:
    """Return a weather state's temperature in °C (None when unknown or invalid)."""
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    raw = state.attributes.get(ATTR_TEMPERATURE)
    unit = state.attributes.get(ATTR_TEMPERATURE_UNIT) or default_unit
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or unit not in TemperatureConverter.VALID_UNITS:
        return None
    return TemperatureConverter.convert(value, unit, UnitOfTemperature.CELSIUS)


def _weather_samples(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[tuple[float, float | None]]:
    """Return a weather entity's temperatures (°C) from the state history."""
    history = get_significant_states(
        hass,
        start,
        end,
        [entity_id],
        include_start_time_state=True,
        significant_changes_only=False,
        no_attributes=False,
    )
    default_unit = hass.config.units.temperature_unit
    samples: list[tuple[float, float | None]] = [
        (state.last_updated_timestamp, _celsius(state, default_unit))
        for state in history.get(entity_id, [])
        if isinstance(state, State)
    ]
    # Home Assistant stopped: unknown until the first state recorded after the restart.
    samples += [(stop, None) for stop in _recorder_stops(hass, start, end)]
    return sorted(samples, key=lambda sample: sample[0])


def _recorder_stops(hass: HomeAssistant, start: datetime, end: datetime) -> list[float]:
    """Return when the recorder stopped between ``start`` and ``end`` (timestamps)."""
    with session_scope(hass=hass, read_only=True) as session:
        ends = (
            session.query(RecorderRuns.end)
            .filter(RecorderRuns.end.is_not(None), RecorderRuns.end > start)
            .all()
        )
    first, last = start.timestamp(), end.timestamp()
    stops = [process_timestamp(row.end).timestamp() for row in ends if row.end]
    return [stop for stop in stops if first < stop < last]


def _statistics_mean(rows: list[Any]) -> float | None:
    """Return the mean of a day's hourly mean rows (None without rows)."""
    means = [mean for row in rows if (mean := row.get("mean")) is not None]
    return sum(means) / len(means) if means else None


def _day(
    sources: EnergySources,
    day: date,
    hourly: dict[str, list[Any]],
    short: dict[str, list[Any]],
    t_mean_c: float | None,
) -> DailyReading | None:
    """Return one day's reading from its hourly and 5-minute rows and its mean °C."""
    start, end = day_bounds(day)
    imported = _sum(hourly, sources.grid_import)
    if imported is None or not _complete(hourly, sources.grid_import, start, end):
        return None
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
        t_mean_c=t_mean_c,
    )


def _read(
    hass: HomeAssistant, sources: EnergySources, first: date, last: date
) -> list[DailyReading]:
    """Read complete days from the recorder in a few queries (recorder executor)."""
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
    weather: list[tuple[float, float | None]] = []
    if sources.temperature and sources.temperature_is_weather:
        weather = _weather_samples(hass, sources.temperature, start, end)
    elif sources.temperature:
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
        if sources.temperature_is_weather:
            t_mean_c = time_weighted_mean(
                weather,
                day_start.timestamp(),
                min(day_end, dt_util.utcnow()).timestamp(),
                MIN_WEATHER_COVERAGE.total_seconds(),
            )
        else:
            t_mean_c = _statistics_mean(
                _between({"t": temperatures}, day_start, day_end)["t"]
            )
        reading = _day(
            sources,
            day,
            _between(hourly, day_start, day_end),
            _between(short, day_start, day_end),
            t_mean_c,
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
