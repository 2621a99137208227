"""Tests of response parsing and time normalisation (no network)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from custom_components.sunshare.enedis import (
    DailyValue,
    EnedisMalformedResponseError,
    Gateway,
    Interval,
    Measure,
    gateway_base_url,
    local_midnight_utc,
    parse_daily,
    parse_load_curve,
    parse_max_power,
)
from custom_components.sunshare.enedis.parsing import (
    localize_end_labels,
    parse_duration,
    parse_value,
)


def half_hour_labels(day: date, labels: list[str]) -> list[str]:
    """Return full date-time labels for a day, ``24:00`` meaning next midnight."""
    result = []
    for hhmm in labels:
        if hhmm == "24:00":
            result.append(f"{day + timedelta(days=1)} 00:00:00")
        else:
            result.append(f"{day} {hhmm}:00")
    return result


def all_times(skip: tuple[str, ...] = (), repeat: tuple[str, ...] = ()) -> list[str]:
    """Return the ``HH:MM`` end labels 00:30 … 24:00, skipping or repeating some."""
    out: list[str] = []
    for i in range(1, 49):
        hhmm = f"{i // 2:02d}:{30 * (i % 2):02d}"
        if hhmm not in skip:
            out.append(hhmm)
        if repeat and hhmm == repeat[-1]:
            out.extend(repeat)
    return out


def v5_curve(
    labels: list[str], values: list[Any], step: str = "PT30M"
) -> dict[str, Any]:
    """Return a v5 load-curve body."""
    return {
        "meter_reading": {
            "usage_point_id": "12345678901234",
            "reading_type": {"unit": "W", "aggregate": "average"},
            "interval_reading": [
                {"value": v, "date": d, "interval_length": step, "measure_type": "B"}
                for d, v in zip(labels, values, strict=True)
            ],
        }
    }


SPRING_LABELS = half_hour_labels(date(2026, 3, 29), all_times(skip=("02:00", "02:30")))
AUTUMN_LABELS = half_hour_labels(
    date(2026, 10, 25), all_times(repeat=("02:00", "02:30"))
)


def assert_contiguous(intervals: list[Interval]) -> None:
    """Assert every interval lasts 30 min and follows the previous one."""
    for previous, current in pairwise(intervals):
        assert previous.end == current.start
    assert all(i.duration == timedelta(minutes=30) for i in intervals)
    assert all(i.start.tzinfo is UTC for i in intervals)


def test_spring_day_has_46_contiguous_intervals() -> None:
    """The day clocks go forward maps 46 end labels onto 23 hours of UTC intervals."""
    assert len(SPRING_LABELS) == 46
    assert "2026-03-29 03:00:00" in SPRING_LABELS
    intervals = parse_load_curve(v5_curve(SPRING_LABELS, ["1000"] * 46))
    assert len(intervals) == 46
    assert_contiguous(intervals)
    assert intervals[0].start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert intervals[-1].end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    # The label 03:00 (CEST) ends the interval that started at 01:30 CET.
    idx = SPRING_LABELS.index("2026-03-29 03:00:00")
    assert intervals[idx].start == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert intervals[idx].end == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert all(i.energy_wh == 500 for i in intervals)


def test_autumn_day_has_50_intervals_repeated_labels_by_order() -> None:
    """The day clocks go back: repeated 02:00/02:30 are CEST first, then CET."""
    assert len(AUTUMN_LABELS) == 50
    assert AUTUMN_LABELS.count("2026-10-25 02:00:00") == 2
    values = [str(i * 2) for i in range(50)]
    intervals = parse_load_curve(v5_curve(AUTUMN_LABELS, values))
    assert len(intervals) == 50
    assert_contiguous(intervals)
    assert intervals[0].start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert intervals[-1].end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    first = AUTUMN_LABELS.index("2026-10-25 02:00:00")
    assert intervals[first].end == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert intervals[first + 2].end == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    # Order (and so values) are preserved: value i*2 W → i Wh.
    assert [i.energy_wh for i in intervals] == [float(i) for i in range(50)]


def test_repeated_label_after_a_gap_still_resolves_to_winter_time() -> None:
    """A second 02:30 is CET even when the first-occurrence 02:00 CET is missing."""
    labels = ["2026-10-25 02:00:00", "2026-10-25 02:30:00", "2026-10-25 02:30:00"]
    instants = localize_end_labels([datetime.fromisoformat(x) for x in labels])
    assert instants == [
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    ]


def test_nonexistent_spring_label_uses_the_offset_before_the_change() -> None:
    """A 02:00 label on the spring day is the instant 01:00 UTC (= 03:00 CEST)."""
    (instant,) = localize_end_labels([datetime.fromisoformat("2026-03-29 02:00:00")])
    assert instant == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_nulls_stay_missing_and_values_as_numbers_or_strings() -> None:
    """``null`` and empty strings are None, never 0; numbers and strings both parse."""
    labels = half_hour_labels(date(2026, 11, 2), ["00:30", "01:00", "01:30", "02:00"])
    intervals = parse_load_curve(v5_curve(labels, [None, "", 840, "1000.5"]))
    assert [i.energy_wh for i in intervals] == [None, None, 420.0, 500.25]


@pytest.mark.parametrize(
    ("step", "unit", "value", "expected_wh", "minutes"),
    [
        ("PT30M", "W", "1000", 500.0, 30),
        ("PT10M", "W", "600", 100.0, 10),
        ("PT15M", "kW", "2", 500.0, 15),
        ("PT60M", "W", "750", 750.0, 60),
        ("PT1H", "Wh", "321", 321.0, 60),
        ("1800", "W", "400", 200.0, 30),
    ],
)
def test_power_times_step_gives_energy(
    step: str, unit: str, value: str, expected_wh: float, minutes: int
) -> None:
    """Power values are multiplied by the step; energy values are kept."""
    body = v5_curve(["2026-11-02 01:00:00"], [value], step)
    body["meter_reading"]["reading_type"]["unit"] = unit
    (interval,) = parse_load_curve(body)
    assert interval.energy_wh == expected_wh
    assert interval.duration == timedelta(minutes=minutes)
    assert interval.end == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def test_dc2026_load_curve_picks_the_right_grandeur_and_step() -> None:
    """A DC2026 body with CONS and PROD grandeurs gives the asked direction."""
    body = {
        "idPrm": "12345678901234",
        "pas": "PT30M",
        "grandeur": [
            {
                "grandeurMetier": "PROD",
                "grandeurPhysique": "PA",
                "unite": "W",
                "points": [{"v": "9000", "d": "2026-09-29 00:30:00", "p": "PT30M"}],
            },
            {
                "grandeurMetier": "CONS",
                "grandeurPhysique": "PA",
                "unite": "W",
                "points": [
                    {"v": "4078", "d": "2026-09-29 00:30:00", "n": "B"},
                    {"v": None, "d": "2026-09-29 01:00:00", "p": "PT30M"},
                ],
            },
        ],
        "contexte": [],
    }
    consumption = parse_load_curve(body, production=False)
    assert consumption == [
        Interval(
            datetime(2026, 9, 28, 22, 0, tzinfo=UTC),
            datetime(2026, 9, 28, 22, 30, tzinfo=UTC),
            2039.0,
        ),
        Interval(
            datetime(2026, 9, 28, 22, 30, tzinfo=UTC),
            datetime(2026, 9, 28, 23, 0, tzinfo=UTC),
            None,
        ),
    ]
    (production,) = parse_load_curve(body, production=True)
    assert production.energy_wh == 4500.0


def test_daily_both_shapes_and_units() -> None:
    """Daily values are local days in Wh; kWh is converted; unwrapped v5 works."""
    v5 = {
        "usage_point_id": "12345678901234",
        "reading_type": {"unit": "Wh", "aggregate": "sum"},
        "interval_reading": [
            {"value": "540", "date": "2026-05-06"},
            {"value": None, "date": "2026-05-07"},
        ],
    }
    assert parse_daily(v5) == [
        DailyValue(date(2026, 5, 6), 540.0),
        DailyValue(date(2026, 5, 7), None),
    ]
    dc = {
        "grandeur": [
            {
                "grandeurMetier": "CONS",
                "grandeurPhysique": "EA",
                "unite": "kWh",
                "points": [{"v": "33.495", "d": "2026-09-29"}],
            }
        ]
    }
    (value,) = parse_daily(dc, production=False)
    assert value.day == date(2026, 9, 29)
    assert value.energy_wh == pytest.approx(33495.0)


def test_daily_value_bounds_follow_paris_midnight() -> None:
    """A daily value covers local midnight to midnight (23 h on the spring day)."""
    value = DailyValue(date(2026, 3, 29), 1.0)
    assert value.start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert value.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert local_midnight_utc(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, tzinfo=UTC)


def test_max_power_with_time_of_peak() -> None:
    """Max power keeps the unit, the local day and the UTC time of the peak."""
    body = {
        "meter_reading": {
            "reading_type": {"unit": "VA"},
            "interval_reading": [
                {"value": "6012", "date": "2026-11-02 19:12:00"},
                {"value": "5000", "date": "2026-11-03"},
            ],
        }
    }
    first, second = parse_max_power(body)
    assert (first.day, first.power, first.unit) == (date(2026, 11, 2), 6012.0, "VA")
    assert first.at == datetime(2026, 11, 2, 18, 12, tzinfo=UTC)
    assert (second.day, second.at) == (date(2026, 11, 3), None)


def test_empty_dc2026_body_gives_no_values() -> None:
    """A DC2026 body without any grandeur is empty, not an error."""
    assert parse_load_curve({"grandeur": []}) == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"unexpected": 1},
        {"meter_reading": "x"},
        {"meter_reading": {"interval_reading": "x"}},
        {
            "meter_reading": {
                "interval_reading": [{"value": "abc", "date": "2026-01-01 00:30:00"}]
            }
        },
        {
            "meter_reading": {
                "interval_reading": [{"value": True, "date": "2026-01-01 00:30:00"}]
            }
        },
        {"meter_reading": {"interval_reading": [{"value": "1", "date": "yesterday"}]}},
        {"meter_reading": {"interval_reading": [{"value": "1", "date": 12}]}},
        {
            "meter_reading": {
                "interval_reading": [
                    {
                        "value": "1",
                        "date": "2026-01-01 00:30:00",
                        "interval_length": "P",
                    }
                ]
            }
        },
        {
            "meter_reading": {
                "interval_reading": [
                    {
                        "value": "1",
                        "date": "2026-01-01 00:30:00",
                        "interval_length": "0",
                    }
                ]
            }
        },
        {
            "meter_reading": {
                "reading_type": {"unit": "VA"},
                "interval_reading": [{"value": "1", "date": "2026-01-01 00:30:00"}],
            }
        },
        {"grandeur": [{"points": [["bad"]]}]},
    ],
)
def test_malformed_bodies_raise_a_typed_error(body: Any) -> None:
    """Anything that is not metering data raises EnedisMalformedResponseError."""
    with pytest.raises(EnedisMalformedResponseError):
        parse_load_curve(body)


@pytest.mark.parametrize("label", ["2026-13-01", None, "2026"])
def test_malformed_daily_dates(label: Any) -> None:
    """A daily label that is not a date raises EnedisMalformedResponseError."""
    with pytest.raises(EnedisMalformedResponseError):
        parse_daily({"interval_reading": [{"value": "1", "date": label}]})


def test_explicit_offset_in_label_is_honoured() -> None:
    """A label carrying an offset is converted, not re-localised."""
    (interval,) = parse_load_curve(v5_curve(["2026-11-02T01:00:00+00:00"], ["2"]))
    assert interval.end == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_duration_and_value_helpers() -> None:
    """ISO durations and numeric strings (with a decimal comma) parse."""
    assert parse_duration("P1D") == timedelta(days=1)
    assert parse_duration("PT1H30M") == timedelta(minutes=90)
    assert parse_value("1,5") == 1.5
    assert parse_value("null") is None
    with pytest.raises(EnedisMalformedResponseError):
        parse_value({"v": 1})


def test_measure_names_and_gateways() -> None:
    """Both endpoint namings map to measures; gateway presets build base URLs."""
    assert (
        Measure.from_name("courbe_de_charge_production")
        is Measure.PRODUCTION_LOAD_CURVE
    )
    assert Measure.from_name("daily_consumption") is Measure.DAILY_CONSUMPTION
    with pytest.raises(ValueError):
        Measure.from_name("index_consommation")
    assert Measure.CONSUMPTION_LOAD_CURVE.max_days_per_call == 7
    assert Measure.DAILY_PRODUCTION.max_days_per_call == 365
    assert Measure.CONSUMPTION_MAX_POWER.history_months == 36
    assert gateway_base_url(Gateway.CONSO_API) == "https://conso.boris.sh/api"
    assert (
        gateway_base_url(Gateway.SUNSHARE, "https://game.example/")
        == "https://game.example/api/enedis"
    )
    assert (
        gateway_base_url(Gateway.SUNSHARE, "https://game.example/api/enedis")
        == "https://game.example/api/enedis"
    )
    assert gateway_base_url(Gateway.CUSTOM, " http://x:8080/v1/ ") == "http://x:8080/v1"
    with pytest.raises(ValueError):
        gateway_base_url(Gateway.CUSTOM, "")
