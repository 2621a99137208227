"""The Enedis gateway: a verified player reads their own meter with their API token.

``GET /api/enedis/{measure}?prm=&start=&end=`` with ``Authorization: Bearer <API
token>`` (the same per-device tokens and check as ``/api/v1``), for the measures of Conso API:
``daily_consumption``, ``consumption_load_curve``, ``daily_production``,
``production_load_curve`` and ``consumption_max_power``. The answer has Conso API's
shape — the content of Enedis' v5 ``meter_reading`` (``usage_point_id``, ``start``,
``end``, ``quality``, ``reading_type``, ``interval_reading[{value, date,
interval_length?, measure_type?}]``), converted from the Data Connect 2026 body without
touching the labels (load-curve dates stay Paris end-of-interval labels) — so the
integration's Enedis entry (gateway "Sunshare game server") reads it unchanged. Add
``format=dc2026`` to get Enedis' body as is.

A player reads only the PRM of their account, once verified (403 otherwise). Successful
answers are cached in memory for ``ttl`` seconds. Errors are JSON ``{error, message}``
plus ``enedis_code`` when Enedis gave one (e.g. ``ADAM-DC-0008``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import logging
import time
from typing import Any, Final

from aiohttp import web

from custom_components.sunshare.enedis import (
    PARIS,
    EnedisAuthError,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    EnedisTransientError,
    Measure,
    normalize_prm,
)
from game_server.errors import Forbidden, Invalid
from game_server.models import User

from .errors import ApplicationAuthError, ConsentRevokedError

_LOGGER = logging.getLogger(__name__)

GATEWAY_PATH: Final = "/api/enedis"
DEFAULT_TTL: Final = 3600.0
MAX_CACHE_ENTRIES: Final = 2048
FORMATS: Final = ("conso_api", "dc2026")

type CacheKey = tuple[str, str, str, date, date]


class ResponseCache:
    """A small in-memory TTL cache of gateway answers (oldest evicted first)."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        max_entries: int = MAX_CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep at most ``max_entries`` answers for ``ttl`` seconds each."""
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[CacheKey, tuple[float, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> Any | None:
        """Return a fresh cached answer, or None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def put(self, key: CacheKey, value: Any) -> None:
        """Store an answer."""
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every answer."""
        self._entries.clear()

    def __len__(self) -> int:
        """Return how many answers are stored (fresh or not)."""
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class GatewayQuery:
    """A validated gateway request."""

    measure: Measure
    prm: str
    start: date
    end: date
    fmt: str


def parse_query(measure_name: str, query: Any, today: date) -> GatewayQuery:
    """Return the validated request, or raise :class:`Invalid` naming the field."""
    try:
        measure = Measure(measure_name)
    except ValueError as err:
        raise web.HTTPNotFound(reason=f"unknown measure {measure_name}") from err
    try:
        prm = normalize_prm(str(query.get("prm", "")))
    except ValueError as err:
        raise Invalid("prm must be the 14-digit meter number", field="prm") from err
    days: dict[str, date] = {}
    for name in ("start", "end"):
        try:
            days[name] = date.fromisoformat(str(query.get(name, "")))
        except ValueError as err:
            raise Invalid(f"{name} must be a date YYYY-MM-DD", field=name) from err
    start, end = days["start"], days["end"]
    if start >= end:
        raise Invalid("start must be before end (end is exclusive)", field="end")
    if end > today:
        raise Invalid(
            f"end must be at most today ({today}); Enedis data stops at yesterday",
            field="end",
        )
    if (end - start).days > measure.max_days_per_call:
        raise Invalid(
            f"{measure.value} covers at most {measure.max_days_per_call} days per "
            "request",
            field="end",
        )
    fmt = str(query.get("format", "conso_api"))
    if fmt not in FORMATS:
        raise Invalid("format must be conso_api or dc2026", field="format")
    return GatewayQuery(measure, prm, start, end, fmt)


def check_owner(user: User, prm: str) -> None:
    """Raise :class:`Forbidden` unless ``prm`` is the player's verified meter."""
    if user.prm != prm:
        raise Forbidden(
            "you can only read the meter (PRM) registered on your own account",
            field="prm",
            code="not_your_prm",
        )
    if not user.prm_verified:
        raise Forbidden(
            "verify your meter with Enedis on the game server first (dashboard)",
            field="prm",
            code="prm_not_verified",
        )


def error_body(err: EnedisError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Return ``(status, JSON body, headers)`` for an Enedis error."""
    headers: dict[str, str] = {}
    if isinstance(err, ConsentRevokedError):
        status, code = 403, "consent_revoked"
    elif isinstance(err, EnedisRateLimitedError):
        status, code = 429, "quota_exceeded"
        if err.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(err.retry_after)))
    elif isinstance(err, EnedisNoDataError):
        status, code = 404, "no_data"
    elif isinstance(err, ApplicationAuthError):
        status, code = 503, "enedis_misconfigured"
    elif isinstance(err, EnedisAuthError):
        status, code = 403, "enedis_refused"
    elif isinstance(err, EnedisTransientError):
        status, code = 503, "enedis_unavailable"
    elif isinstance(err, EnedisMalformedResponseError):
        status, code = 502, "enedis_bad_response"
    else:
        status, code = 502, "enedis_error"
    body: dict[str, Any] = {"error": code, "message": str(err)}
    if err.code:
        body["enedis_code"] = err.code
    return status, body, headers


def _string(value: object) -> str | None:
    """Return a v5-style string value (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pick(grandeurs: list[dict[str, Any]], measure: Measure) -> dict[str, Any] | None:
    """Return the DC2026 ``grandeur`` of a measure."""
    wanted = "PROD" if measure.is_production else "CONS"
    matching = [g for g in grandeurs if g.get("grandeurMetier", wanted) == wanted]
    if measure is Measure.CONSUMPTION_MAX_POWER:
        physical: tuple[str, ...] = ("PMA",)
    elif measure.is_load_curve:
        physical = ("PA", "EA")
    else:
        physical = ("EA",)
    for grandeur in matching or grandeurs:
        if str(grandeur.get("grandeurPhysique", "")).upper() in physical:
            return grandeur
    candidates = matching or grandeurs
    return candidates[0] if candidates else None


def to_conso_api(query: GatewayQuery, body: Any) -> dict[str, Any]:
    """Return Conso API's (v5 ``meter_reading``) shape of a DC2026 body."""
    if not isinstance(body, dict):
        raise EnedisMalformedResponseError("Enedis answered with something odd")
    if "interval_reading" in body or "meter_reading" in body:
        inner = body.get("meter_reading", body)
        return inner if isinstance(inner, dict) else {}
    grandeurs = [g for g in body.get("grandeur") or [] if isinstance(g, dict)]
    grandeur = _pick(grandeurs, query.measure) or {}
    measure = query.measure
    unit = str(grandeur.get("unite") or ("W" if measure.is_load_curve else "Wh"))
    step = body.get("pas")
    readings: list[dict[str, Any]] = []
    for point in grandeur.get("points") or []:
        if not isinstance(point, dict):
            continue
        item: dict[str, Any] = {
            "value": _string(point.get("v")),
            "date": point.get("d"),
        }
        if measure.is_load_curve:
            item["interval_length"] = point.get("p") or step or "PT30M"
            item["measure_type"] = point.get("n") or "B"
        readings.append(item)
    if measure.is_load_curve:
        reading_type: dict[str, Any] = {
            "measurement_kind": "power",
            "unit": unit,
            "aggregate": "average",
        }
    elif measure is Measure.CONSUMPTION_MAX_POWER:
        reading_type = {
            "measurement_kind": "power",
            "unit": unit if unit != "Wh" else "VA",
            "aggregate": "maximum",
            "measuring_period": "P1D",
        }
    else:
        reading_type = {
            "measurement_kind": "energy",
            "unit": unit,
            "aggregate": "sum",
            "measuring_period": "P1D",
        }
    period = body.get("periode") or {}
    return {
        "usage_point_id": str(body.get("idPrm") or query.prm),
        "start": str(period.get("dateDebut") or query.start.isoformat()),
        "end": str(period.get("dateFin") or query.end.isoformat()),
        "quality": str(body.get("etapeMetier") or "BRUT"),
        "reading_type": reading_type,
        "interval_reading": readings,
    }


def cache_key(query: GatewayQuery) -> CacheKey:
    """Return the cache key of a request."""
    return (query.measure.value, query.fmt, query.prm, query.start, query.end)


def today_paris(now: Callable[[], datetime]) -> date:
    """Return today's Europe/Paris date for a UTC clock."""
    return now().astimezone(PARIS).date()


MEASURE_NAMES: Final = tuple(m.value for m in Measure)
ONE_DAY: Final = timedelta(days=1)
