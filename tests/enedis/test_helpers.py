"""Tests of the client's pure helpers: dates, limits, Retry-After, error mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from custom_components.sunshare.enedis import (
    EnedisAuthError,
    EnedisClient,
    EnedisError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    EnedisTransientError,
    LoadCurveNotActivatedError,
    Measure,
    RateLimiter,
    available_range,
    classify_error,
    months_before,
    split_period,
)
from custom_components.sunshare.enedis.client import error_code, parse_retry_after
from custom_components.sunshare.enedis.csv_import import EnedisCsvData, parse_enedis_csv

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 23), 36, date(2023, 11, 23)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2026, 5, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 15), 24, date(2024, 1, 15)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    """Month arithmetic clamps to the last day of shorter months."""
    assert months_before(day, months) == expected


def test_available_range_and_split() -> None:
    """History limits per measure; periods split into bounded chunks."""
    assert available_range(Measure.DAILY_CONSUMPTION, NOW) == (
        date(2023, 11, 23),
        date(2026, 11, 23),
    )
    assert available_range(Measure.PRODUCTION_LOAD_CURVE, NOW)[0] == date(2024, 11, 23)
    assert split_period(date(2026, 1, 1), date(2026, 1, 1), 7) == []
    chunks = split_period(date(2026, 1, 1), date(2026, 1, 20), 7)
    assert [(e - s).days for s, e in chunks] == [7, 7, 5]


def test_parse_retry_after() -> None:
    """Retry-After as seconds, HTTP date (aware or not), or garbage."""
    assert parse_retry_after("12", NOW) == 12.0
    assert parse_retry_after("-3", NOW) == 0.0
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("Mon, 23 Nov 2026 12:01:00 GMT", NOW) == 60.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:01:00 -0000", NOW) == 60.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", NOW) == 0.0


@pytest.mark.parametrize(
    ("status", "body", "measure", "error_type", "code"),
    [
        (403, '{"error": "ADAM_DC_0008"}', None, EnedisAuthError, "ADAM-DC-0008"),
        (403, "ADAM-DC-0007 not holder", None, EnedisAuthError, "ADAM-DC-0007"),
        (403, '{"code": "900908"}', None, EnedisError, "900908"),
        (403, "Forbidden", None, EnedisAuthError, None),
        (
            404,
            '[{"code": "STM-ERR-0000014"}]',
            Measure.CONSUMPTION_LOAD_CURVE,
            LoadCurveNotActivatedError,
            "STM-ERR-0000014",
        ),
        (
            404,
            '{"code": "STM-ERR-0000014"}',
            Measure.DAILY_CONSUMPTION,
            EnedisNoDataError,
            "STM-ERR-0000014",
        ),
        (404, '{"error": "no_data_found"}', None, EnedisNoDataError, "no_data_found"),
        (
            404,
            '{"error": {"code": "STM-ERR-0000020"}}',
            None,
            EnedisNoDataError,
            "STM-ERR-0000020",
        ),
        (403, '{"code": "ADAM-DC-0009"}', None, EnedisNoDataError, "ADAM-DC-0009"),
        (400, '{"error": "ADAM-ERR0123"}', None, EnedisNoDataError, "ADAM-ERR0123"),
        (400, '{"error": "ADAM-ERR0125"}', None, EnedisNoDataError, "ADAM-ERR0125"),
        (404, "Not Found", None, EnedisNoDataError, None),
        (500, '{"code": "ADAM-DC-0500"}', None, EnedisTransientError, None),
        (502, "Bad gateway", None, EnedisTransientError, None),
        (408, "", None, EnedisTransientError, None),
        (429, "Quota Q4 reached", None, EnedisRateLimitedError, None),
        (418, "I'm a teapot", None, EnedisError, None),
    ],
)
def test_classify_error(
    status: int,
    body: str,
    measure: Measure | None,
    error_type: type[EnedisError],
    code: str | None,
) -> None:
    """Each HTTP status and Enedis code maps to its typed error."""
    error = classify_error(status, body, measure=measure)
    assert type(error) is error_type
    assert error.status == status
    if code is not None:
        assert error.code == code
    assert str(error).endswith(")")  # the HTTP status is always quoted for support


def test_error_code_and_messages() -> None:
    """Codes are found anywhere in the body; nested messages are quoted."""
    assert error_code('{"error": {"code": "ADAM_DC_0008"}}') == "ADAM-DC-0008"
    assert error_code("nothing") is None
    error = classify_error(400, '{"errors": [{"message": "dateDebut invalide"}]}')
    assert "dateDebut invalide" in str(error)
    assert "rejected" in str(classify_error(400, "plain text"))
    limited = classify_error(429, "", retry_after=42)
    assert isinstance(limited, EnedisRateLimitedError)
    assert limited.retry_after == 42
    assert "42 s" in str(limited)


async def test_wrong_measure_kinds_are_refused() -> None:
    """Daily methods refuse curve measures and the reverse, before any request."""
    client = EnedisClient(None, "http://127.0.0.1:9", "t", now=lambda: NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="daily energy"):
        await client.fetch_daily(
            Measure.CONSUMPTION_LOAD_CURVE, "1" * 14, date(2026, 1, 1), date(2026, 1, 2)
        )
    with pytest.raises(ValueError, match="load curve"):
        client.iter_load_curve(
            Measure.DAILY_CONSUMPTION, "1" * 14, date(2026, 1, 1), date(2026, 1, 2)
        )


def test_rate_limiter_refuses_zero() -> None:
    """A limiter needs at least one request per window."""
    with pytest.raises(ValueError):
        RateLimiter(per_second=0)


@pytest.mark.parametrize(
    ("text", "check"),
    [
        (
            (
                "Identifiant PRM;Type de donnees;Unite\n1;Courbe de charge;kW\n"
                "Horodate;Valeur\n2026-01-05T01:00:00+01:00;2\n"
            ),
            lambda d: (
                d.intervals[0].energy_wh == 1000.0
                and d.intervals[0].duration == timedelta(minutes=30)
            ),
        ),
        (
            "Date de la mesure;Heure de la mesure;Valeur\n05/01/2026;00:30;100\n",
            lambda d: d.kind == "load_curve" and d.intervals[0].energy_wh == 50.0,
        ),
        (
            "Date;Production\n2026-01-05;100\n2026-01-06;200\n",
            lambda d: (
                d.production and d.kind == "daily" and d.last_day == date(2026, 1, 6)
            ),
        ),
        (
            "Horodate;Puissance moyenne\n2026-01-05 00:30;100\n2026-01-05 01:00;100\n",
            lambda d: (
                d.intervals[0].energy_wh == 50.0 and d.first_day == date(2026, 1, 5)
            ),
        ),
        (
            "Identifiant PRM;Type de donnees\n1;;\nHorodate;Valeur\n2026-01-05;1\n",
            lambda d: d.kind == "daily" and d.first_day == date(2026, 1, 5),
        ),
    ],
)
def test_csv_variants(text: str, check: Any) -> None:
    """Units, hour columns, production headers and guessed kinds."""
    assert check(parse_enedis_csv(text))


def test_csv_header_only_index_and_empty_result() -> None:
    """EAS columns are an index export even without metadata."""
    with pytest.raises(EnedisError, match="index"):
        parse_enedis_csv("Horodate;Type de releve;EAS F1\n2026-01-01;x;1\n")
    assert EnedisCsvData("daily", False, None).first_day is None
    assert EnedisCsvData("daily", False, None).last_day is None
