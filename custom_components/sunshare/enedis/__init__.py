"""Enedis metering data through a gateway (pure library, no Home Assistant imports).

Public API: :class:`EnedisClient`, the normalised types (:class:`Interval`,
:class:`DailyValue`, :class:`MaxPower`), :class:`Measure`, :class:`Gateway` presets, the
typed errors, :class:`RateLimiter` and the Enedis CSV export parser
(:mod:`.csv_import`). See ``docs/enedis.md``.
"""

from __future__ import annotations

from .client import (
    EnedisClient,
    available_range,
    classify_error,
    is_valid_prm,
    months_before,
    normalize_prm,
    split_period,
)
from .csv_import import EnedisCsvData, EnedisCsvError, parse_enedis_csv, read_enedis_csv
from .errors import (
    CONSENT_REVOKED,
    NOT_HOLDER,
    EnedisAuthError,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    EnedisTransientError,
    LoadCurveNotActivatedError,
)
from .models import (
    CONSO_API_BASE_URL,
    GATEWAY_NAMING,
    PARIS,
    DailyValue,
    EndpointNaming,
    Gateway,
    Interval,
    MaxPower,
    Measure,
    gateway_base_url,
    local_midnight_utc,
)
from .parsing import parse_daily, parse_load_curve, parse_max_power
from .ratelimit import RateLimiter

__all__ = [
    "CONSENT_REVOKED",
    "CONSO_API_BASE_URL",
    "GATEWAY_NAMING",
    "NOT_HOLDER",
    "PARIS",
    "DailyValue",
    "EndpointNaming",
    "EnedisAuthError",
    "EnedisClient",
    "EnedisCsvData",
    "EnedisCsvError",
    "EnedisError",
    "EnedisMalformedResponseError",
    "EnedisNoDataError",
    "EnedisRateLimitedError",
    "EnedisTransientError",
    "Gateway",
    "Interval",
    "LoadCurveNotActivatedError",
    "MaxPower",
    "Measure",
    "RateLimiter",
    "available_range",
    "classify_error",
    "gateway_base_url",
    "is_valid_prm",
    "local_midnight_utc",
    "months_before",
    "normalize_prm",
    "parse_daily",
    "parse_enedis_csv",
    "parse_load_curve",
    "parse_max_power",
    "read_enedis_csv",
    "split_period",
]
