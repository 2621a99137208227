"""Data types of the Enedis metering-data library (no Home Assistant imports).

Everything the client and the CSV parser return is normalised to these types:

* :class:`Interval` — one load-curve step with aware **UTC** ``start``/``end`` and the
  energy in **Wh** (``None`` when Enedis reported the point as missing; never 0).
* :class:`DailyValue` — one **local (Europe/Paris) calendar day** of energy in Wh
  (``None`` = missing). Daily values are index differences, so they can differ slightly
  from the sum of that day's load curve.
* :class:`MaxPower` — the daily maximum power in VA (or W, as the gateway reports it),
  with the UTC time of the peak when known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

PARIS: Final = ZoneInfo("Europe/Paris")
"""Time zone of every Enedis label and calendar day."""

DAILY_HISTORY_MONTHS: Final = 36
"""Months of daily energy and max power history the API serves (Enedis: 36 + 15 days)."""
LOAD_CURVE_HISTORY_MONTHS: Final = 24
"""Months of load-curve history the API serves (Enedis: 24 months + 15 days)."""
DAILY_MAX_DAYS_PER_CALL: Final = 365
"""Longest span of days asked for in one daily request."""
LOAD_CURVE_MAX_DAYS_PER_CALL: Final = 7
"""Longest span of days asked for in one load-curve request (ADAM-DC-0015)."""


class Measure(StrEnum):
    """A metering-data endpoint, named as the Conso API (legacy) names it."""

    DAILY_CONSUMPTION = "daily_consumption"
    CONSUMPTION_LOAD_CURVE = "consumption_load_curve"
    DAILY_PRODUCTION = "daily_production"
    PRODUCTION_LOAD_CURVE = "production_load_curve"
    CONSUMPTION_MAX_POWER = "consumption_max_power"

    @property
    def is_load_curve(self) -> bool:
        """Return whether this measure is a load curve (intervals, not days)."""
        return self in (Measure.CONSUMPTION_LOAD_CURVE, Measure.PRODUCTION_LOAD_CURVE)

    @property
    def is_production(self) -> bool:
        """Return whether this measure is about production (injection)."""
        return self in (Measure.DAILY_PRODUCTION, Measure.PRODUCTION_LOAD_CURVE)

    @property
    def synchronous_name(self) -> str:
        """Return the Data Connect 2026 (``mesure_synchrone_auto/v2``) endpoint name."""
        return _SYNCHRONOUS_NAMES[self]

    @property
    def history_months(self) -> int:
        """Return how many months back the API serves this measure."""
        return LOAD_CURVE_HISTORY_MONTHS if self.is_load_curve else DAILY_HISTORY_MONTHS

    @property
    def max_days_per_call(self) -> int:
        """Return the longest span of days one request may cover."""
        if self.is_load_curve:
            return LOAD_CURVE_MAX_DAYS_PER_CALL
        return DAILY_MAX_DAYS_PER_CALL

    @classmethod
    def from_name(cls, name: str) -> Measure:
        """Return the measure for a legacy or Data Connect 2026 endpoint name."""
        for measure in cls:
            if name in (measure.value, measure.synchronous_name):
                return measure
        raise ValueError(f"Unknown Enedis measure {name!r}")


_SYNCHRONOUS_NAMES: Final[dict[Measure, str]] = {
    Measure.DAILY_CONSUMPTION: "consommation_quotidienne",
    Measure.CONSUMPTION_LOAD_CURVE: "courbe_de_charge_consommation",
    Measure.DAILY_PRODUCTION: "production_quotidienne",
    Measure.PRODUCTION_LOAD_CURVE: "courbe_de_charge_production",
    Measure.CONSUMPTION_MAX_POWER: "puissance_conso_max_quotidienne",
}


class EndpointNaming(StrEnum):
    """How a gateway names its endpoints and query parameters."""

    LEGACY = "legacy"
    """``/daily_consumption?prm=&start=&end=`` (Conso API before Oct 2026, Sunshare)."""
    SYNCHRONOUS = "synchronous"
    """``/consommation_quotidienne?pointId=&dateDebut=&dateFin=`` (Data Connect 2026)."""


class Gateway(StrEnum):
    """A gateway that owns an Enedis Data Connect application."""

    SUNSHARE = "sunshare"
    """The Sunshare game server: base URL = server URL + ``/api/enedis``."""
    CONSO_API = "conso_api"
    """Conso API by bokub: ``https://conso.boris.sh/api``."""
    CUSTOM = "custom"
    """Any gateway with the same API, at a URL the user gives."""


CONSO_API_BASE_URL: Final = "https://conso.boris.sh/api"
SUNSHARE_GATEWAY_PATH: Final = "/api/enedis"

GATEWAY_NAMING: Final[dict[Gateway, EndpointNaming]] = {
    Gateway.SUNSHARE: EndpointNaming.LEGACY,
    # Conso API's legacy names stopped working when Enedis cut v5 off (mid-Oct 2026).
    Gateway.CONSO_API: EndpointNaming.SYNCHRONOUS,
    Gateway.CUSTOM: EndpointNaming.LEGACY,
}
"""Default endpoint naming per gateway."""


def gateway_base_url(gateway: Gateway, url: str | None = None) -> str:
    """Return the API base URL of a gateway (``url`` = server URL or custom URL)."""
    if gateway is Gateway.CONSO_API:
        return CONSO_API_BASE_URL
    if not url:
        raise ValueError(f"The {gateway.value} gateway needs a URL")
    url = url.strip().rstrip("/")
    if gateway is Gateway.SUNSHARE and not url.endswith(SUNSHARE_GATEWAY_PATH):
        return url + SUNSHARE_GATEWAY_PATH
    return url


@dataclass(frozen=True, slots=True)
class Interval:
    """One load-curve step: energy in Wh over ``[start, end[`` (aware UTC)."""

    start: datetime
    end: datetime
    energy_wh: float | None
    """Energy over the interval in Wh; ``None`` when missing (not zero)."""

    @property
    def duration(self) -> timedelta:
        """Return the length of the interval."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class DailyValue:
    """The energy of one local (Europe/Paris) calendar day, in Wh (``None`` = missing)."""

    day: date
    energy_wh: float | None

    @property
    def start(self) -> datetime:
        """Return the aware UTC start of the local day (midnight Paris)."""
        return local_midnight_utc(self.day)

    @property
    def end(self) -> datetime:
        """Return the aware UTC end of the local day (next midnight Paris)."""
        return local_midnight_utc(self.day + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class MaxPower:
    """The maximum power of one local calendar day (``None`` = missing)."""

    day: date
    power: float | None
    """Peak power in ``unit`` (Enedis reports VA; some documents say W)."""
    at: datetime | None = None
    """Aware UTC time of the peak, when the gateway gives it."""
    unit: str = "VA"


def local_midnight_utc(day: date) -> datetime:
    """Return midnight Europe/Paris of ``day`` as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
