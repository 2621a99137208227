"""Tests of the Enedis CSV export parser on sample files."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from custom_components.sunshare.enedis import PARIS
from custom_components.sunshare.enedis.csv_import import (
    EnedisCsvError,
    parse_enedis_csv,
    read_enedis_csv,
)

FIXTURES = Path(__file__).parent / "fixtures"


def per_day(starts: list[datetime]) -> Counter[date]:
    """Count interval starts per Paris day."""
    return Counter(s.astimezone(PARIS).date() for s in starts)


def test_mes_donnees_load_curve_with_offsets_and_autumn_dst() -> None:
    """The classic export: preamble, W values, end time stamps with offsets."""
    data = read_enedis_csv(str(FIXTURES / "mes_donnees_load_curve.csv"))
    assert (data.kind, data.production, data.prm) == (
        "load_curve",
        False,
        "12345678901234",
    )
    assert per_day([i.start for i in data.intervals]) == {
        date(2026, 10, 24): 48,
        date(2026, 10, 25): 50,
        date(2026, 10, 26): 48,
    }
    assert data.intervals[0].start == datetime(2026, 10, 23, 22, 0, tzinfo=UTC)
    assert data.intervals[0].energy_wh == 100.0  # 200 W over 30 min
    assert data.intervals[10].energy_wh is None  # empty cell: missing, not zero
    assert all(b.start == a.end for a, b in pairwise(data.intervals))
    assert (data.first_day, data.last_day) == (date(2026, 10, 24), date(2026, 10, 26))
    assert data.days == []


def test_mes_mesures_table_cp1252_french_dates_spring_dst() -> None:
    """The per-row table in Windows-1252 with naive French dates on 29 Mar 2026."""
    data = parse_enedis_csv((FIXTURES / "mes_mesures_load_curve.csv").read_bytes())
    assert (data.kind, data.prm) == ("load_curve", "12345678901234")
    assert len(data.intervals) == 46
    assert data.intervals[0].start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert data.intervals[-1].end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert all(b.start == a.end for a, b in pairwise(data.intervals))
    assert [i.energy_wh for i in data.intervals[:3]] == [500.0, 501.0, 502.0]


def test_two_columns_daily_in_kwh() -> None:
    """'Date;Consommation (en kWh)' with French dates and decimal commas."""
    data = read_enedis_csv(str(FIXTURES / "two_columns_daily_kwh.csv"))
    assert data.kind == "daily"
    assert data.prm is None
    assert [(d.day, d.energy_wh) for d in data.days] == [
        (date(2026, 6, 1), 12500.0),
        (date(2026, 6, 2), 9000.0),
        (date(2026, 6, 3), None),
        (date(2026, 6, 4), 10250.0),
    ]


def test_daily_production_across_spring_change() -> None:
    """A daily production export maps each time stamp to its local day."""
    data = read_enedis_csv(str(FIXTURES / "mes_donnees_daily_production.csv"))
    assert (data.kind, data.production, data.prm) == ("daily", True, "10284856584123")
    assert [(d.day, d.energy_wh) for d in data.days] == [
        (date(2026, 3, 28), 8120.0),
        (date(2026, 3, 29), 9050.0),
        (date(2026, 3, 30), 11311.0),
    ]
    assert data.days[1].end - data.days[1].start == timedelta(hours=23)


def test_ten_minute_curve_without_metadata() -> None:
    """Without 'Pas en minutes' the step is the common gap; W × 10 min → Wh."""
    data = read_enedis_csv(str(FIXTURES / "fin_de_pas_10min.csv"))
    assert data.kind == "load_curve"
    assert len(data.intervals) == 12
    assert all(i.duration == timedelta(minutes=10) for i in data.intervals)
    assert data.intervals[0].start == datetime(2026, 1, 4, 23, 0, tzinfo=UTC)
    assert data.intervals[0].energy_wh == 100.0
    assert data.intervals[1].energy_wh == 110.0


def test_one_line_metadata_and_comma_separated_naive_iso() -> None:
    """Metadata pairs on one line; naive ISO labels are Paris end labels."""
    text = (
        "Identifiant PRM;12345678901234;Type de donnees;Courbe de charge de production\n"
        "Horodate;Valeur (en Wh)\n"
        "2026-10-25 02:00:00;10\n"
        "2026-10-25 02:30:00;20\n"
        "2026-10-25 02:00:00;30\n"
    )
    data = parse_enedis_csv(text)
    assert (data.kind, data.production) == ("load_curve", True)
    assert [(i.start, i.energy_wh) for i in data.intervals] == [
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), 10.0),
        (datetime(2026, 10, 25, 0, 0, tzinfo=UTC), 20.0),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 30.0),
    ]


def test_index_export_is_refused() -> None:
    """Index exports are not energy series: a clear error says what to export."""
    with pytest.raises(EnedisCsvError, match="index export") as err:
        read_enedis_csv(str(FIXTURES / "index_export.csv"))
    assert err.value.code == "csv_index"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("hello;world\n1;2\n", "No data table"),
        ("", "No data table"),
        ("Date;Valeur\n", "no rows"),
        ("Date;Valeur\n2026-01-01;abc\n", "Line 2: 'abc' is not a number"),
        ("Date;Valeur\n2026-13-45;1\n", "Line 2: '2026-13-45' is not a date"),
        (
            (
                "Identifiant PRM;Type de donnees;Unite\n1;Consommation quotidienne;VA\n"
                "Date;Valeur\n2026-01-01;1\n"
            ),
            "unexpected unit",
        ),
        (
            (
                "Identifiant PRM;Type de donnees\n1;Puissance maximale quotidienne\n"
                "Horodate;Valeur\n2026-01-01T00:00:00+01:00;1\n"
            ),
            "maximum-power",
        ),
    ],
)
def test_bad_files_give_clear_errors(text: str, match: str) -> None:
    """Malformed files raise EnedisCsvError naming the line and the problem."""
    with pytest.raises(EnedisCsvError, match=match):
        parse_enedis_csv(text)


def test_trailing_section_is_ignored() -> None:
    """Rows after the table that are not dates (another section) end the table."""
    text = "Date;Valeur\n2026-01-01;100\n2026-01-02;200\nPeriode;Calendrier\nDu x;y\n"
    data = parse_enedis_csv(text)
    assert [d.energy_wh for d in data.days] == [100.0, 200.0]
