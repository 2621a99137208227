"""Pure tests of the gateway helpers: shape conversion, error mapping, cache."""

from __future__ import annotations

from datetime import date

import pytest

from custom_components.sunshare.enedis import (
    EnedisAuthError,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisTransientError,
    Measure,
    parse_daily,
    parse_load_curve,
)
from game_server.enedis.errors import ApplicationAuthError
from game_server.enedis.gateway import (
    GatewayQuery,
    ResponseCache,
    error_body,
    to_conso_api,
)

PRM = "12345678901234"


def _query(measure: Measure) -> GatewayQuery:
    """Return a query for one day."""
    return GatewayQuery(
        measure, PRM, date(2026, 11, 20), date(2026, 11, 21), "conso_api"
    )


def test_production_curve_picks_the_production_grandeur() -> None:
    """A body with both directions gives the production points, as W power."""
    body = {
        "idPrm": PRM,
        "pas": "PT30M",
        "grandeur": [
            {
                "grandeurMetier": "CONS",
                "grandeurPhysique": "PA",
                "unite": "W",
                "points": [{"v": "999", "d": "2026-11-20 00:30:00"}],
            },
            {
                "grandeurMetier": "PROD",
                "grandeurPhysique": "PA",
                "unite": "W",
                "points": [{"v": 1200.0, "d": "2026-11-20 12:30:00"}, None],
            },
        ],
    }
    result = to_conso_api(_query(Measure.PRODUCTION_LOAD_CURVE), body)
    assert result["interval_reading"] == [
        {
            "value": "1200",
            "date": "2026-11-20 12:30:00",
            "interval_length": "PT30M",
            "measure_type": "B",
        }
    ]
    assert result["start"] == "2026-11-20" and result["quality"] == "BRUT"
    (interval,) = parse_load_curve(result)
    assert interval.energy_wh == 600


def test_daily_and_max_power_reading_types() -> None:
    """Daily energy is a sum in Wh; max power a maximum in VA; nulls stay null."""
    daily = to_conso_api(
        _query(Measure.DAILY_CONSUMPTION),
        {
            "grandeur": [
                {"grandeurPhysique": "EA", "points": [{"v": None, "d": "2026-11-20"}]}
            ]
        },
    )
    assert daily["reading_type"]["aggregate"] == "sum"
    assert daily["reading_type"]["unit"] == "Wh"
    assert parse_daily(daily)[0].energy_wh is None
    peak = to_conso_api(
        _query(Measure.CONSUMPTION_MAX_POWER),
        {"grandeur": [{"grandeurPhysique": "PMA", "points": []}]},
    )
    assert peak["reading_type"] == {
        "measurement_kind": "power",
        "unit": "VA",
        "aggregate": "maximum",
        "measuring_period": "P1D",
    }
    empty = to_conso_api(_query(Measure.DAILY_CONSUMPTION), {"grandeur": []})
    assert empty["interval_reading"] == [] and empty["usage_point_id"] == PRM


def test_v5_bodies_pass_through_and_junk_is_refused() -> None:
    """A v5 body (older API) is unwrapped; a non-object is malformed."""
    inner = {"interval_reading": [], "reading_type": {"unit": "Wh"}}
    assert (
        to_conso_api(_query(Measure.DAILY_CONSUMPTION), {"meter_reading": inner})
        == inner
    )
    assert to_conso_api(_query(Measure.DAILY_CONSUMPTION), inner) == inner
    with pytest.raises(EnedisMalformedResponseError):
        to_conso_api(_query(Measure.DAILY_CONSUMPTION), [])


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ApplicationAuthError("x", code="invalid_client"), 503, "enedis_misconfigured"),
        (EnedisAuthError("x", code="STM-ERR-0000019"), 403, "enedis_refused"),
        (EnedisTransientError("x"), 503, "enedis_unavailable"),
        (EnedisMalformedResponseError("x"), 502, "enedis_bad_response"),
        (EnedisError("x", code="900908"), 502, "enedis_error"),
    ],
)
def test_error_mapping(error: EnedisError, status: int, code: str) -> None:
    """Every Enedis error becomes a JSON answer with a status and a code."""
    got_status, body, headers = error_body(error)
    assert (got_status, body["error"], headers) == (status, code, {})
    assert body.get("enedis_code") == error.code


def test_cache_expiry_and_eviction() -> None:
    """Answers expire after the TTL; the oldest go first beyond the size limit."""
    now = [0.0]
    cache = ResponseCache(10, max_entries=2, clock=lambda: now[0])
    keys = [
        (
            "daily_consumption",
            "conso_api",
            PRM,
            date(2026, 11, d),
            date(2026, 11, d + 1),
        )
        for d in (1, 2, 3)
    ]
    for index, key in enumerate(keys):
        cache.put(key, index)
    assert len(cache) == 2 and cache.get(keys[0]) is None
    assert cache.get(keys[2]) == 2
    now[0] = 10
    assert cache.get(keys[2]) is None and len(cache) == 1
    cache.clear()
    assert len(cache) == 0 and (cache.hits, cache.misses) == (1, 2)
