"""Build the Enedis client of an entry and fetch one direction's data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis import (
    GATEWAY_NAMING,
    DailyValue,
    EnedisClient,
    EnedisNoDataError,
    Gateway,
    Interval,
    LoadCurveNotActivatedError,
    Measure,
    RateLimiter,
    gateway_base_url,
)
from custom_components.sunshare.enedis.errors import WRONG_DIRECTION
from custom_components.sunshare.enedis.hourly import day_totals

from .const import CONF_GATEWAY, CONF_TOKEN, CONF_URL, Direction

CLIENT_OPTIONS: Final[dict[str, Any]] = {}
"""Extra keyword arguments of every client (tests shorten retries and backoff here)."""
LIMITER_OPTIONS: Final[dict[str, Any]] = {}
"""Keyword arguments of the shared rate limiters (defaults: Enedis' quotas)."""

_LIMITERS: HassKey[dict[str, RateLimiter]] = HassKey(f"{DOMAIN}_enedis_limiters")

DAILY: Final = {
    Direction.CONSUMPTION: Measure.DAILY_CONSUMPTION,
    Direction.PRODUCTION: Measure.DAILY_PRODUCTION,
}
LOAD_CURVE: Final = {
    Direction.CONSUMPTION: Measure.CONSUMPTION_LOAD_CURVE,
    Direction.PRODUCTION: Measure.PRODUCTION_LOAD_CURVE,
}


def base_url(data: Mapping[str, Any]) -> str:
    """Return the API base URL configured in an entry's data."""
    return gateway_base_url(Gateway(data[CONF_GATEWAY]), data.get(CONF_URL))


def create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> EnedisClient:
    """Return a client for an entry's gateway, sharing one rate limiter per gateway."""
    url = base_url(data)
    limiters = hass.data.setdefault(_LIMITERS, {})
    if (limiter := limiters.get(url)) is None:
        limiter = limiters[url] = RateLimiter(**LIMITER_OPTIONS)
    return EnedisClient(
        async_get_clientsession(hass),
        url,
        data[CONF_TOKEN],
        naming=GATEWAY_NAMING[Gateway(data[CONF_GATEWAY])],
        rate_limiter=limiter,
        now=dt_util.utcnow,
        **CLIENT_OPTIONS,
    )


@dataclass(slots=True)
class DirectionData:
    """What the gateway returned for one direction over a period."""

    days: list[DailyValue] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    available: bool = True
    """False when the meter has no data in this direction at all (ADAM-ERR0069)."""
    load_curve: bool = True
    """False when the meter does not record its load curve."""


async def async_fetch_daily(
    client: EnedisClient, prm: str, direction: Direction, start: date, end: date
) -> DirectionData:
    """Return the daily values of ``[start, end[`` (no data is not an error)."""
    result = DirectionData()
    try:
        result.days = await client.fetch_daily(DAILY[direction], prm, start, end)
    except EnedisNoDataError as err:
        result.available = err.code != WRONG_DIRECTION
    return result


async def async_fetch_curve(
    client: EnedisClient, prm: str, direction: Direction, start: date, end: date
) -> tuple[list[Interval], bool]:
    """Return the load curve of ``[start, end[`` and whether the meter records it."""
    try:
        return await client.fetch_load_curve(
            LOAD_CURVE[direction], prm, start, end
        ), True
    except LoadCurveNotActivatedError:
        return [], False
    except EnedisNoDataError:
        return [], True


async def async_fetch_chunk(
    client: EnedisClient,
    prm: str,
    direction: Direction,
    start: date,
    end: date,
    *,
    load_curve: bool = True,
) -> DirectionData:
    """Return the data of ``[start, end[``: load curve first, daily values for the rest.

    Daily values are only asked for the days the load curve does not cover completely
    (not recorded, gaps, ``null`` values, beyond the load-curve history), which keeps
    the steady state at one request per direction and day.
    """
    result = DirectionData(load_curve=load_curve)
    curve_first, _ = client.available_range(LOAD_CURVE[direction])
    if load_curve and end > curve_first:
        result.intervals, result.load_curve = await async_fetch_curve(
            client, prm, direction, max(start, curve_first), end
        )
    covered = set(day_totals(result.intervals))
    missing = [
        start + timedelta(days=n)
        for n in range((end - start).days)
        if start + timedelta(days=n) not in covered
    ]
    if missing:
        daily = await async_fetch_daily(
            client, prm, direction, missing[0], missing[-1] + timedelta(days=1)
        )
        result.days = [value for value in daily.days if value.day not in covered]
        result.available = daily.available or bool(result.intervals)
    return result
