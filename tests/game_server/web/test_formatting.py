"""Numbers, dates and charts in the page language (Babel), without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import jinja2
import pytest

from game_server.models import Season
from game_server.web import formatting
from game_server.web.charts import build_chart
from game_server.web.pages_player import month_series, next_steps

NNBSP = "\u202f"  # French thousands separator (CLDR): narrow no-break space


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["141,25 kWh", f"1{NNBSP}234{NNBSP}567,89", "0,5", "-7,5", "+3,0"]),
        ("en", ["141.25 kWh", "1,234,567.89", "0.5", "-7.5", "+3.0"]),
    ],
)
def test_numbers_follow_the_language(lang: str, expected: list[str]) -> None:
    """Decimal comma or point, thousands separator, signs, trailing zeros."""
    assert [
        formatting.kwh(141.25, lang),
        formatting.number(1234567.891, lang),
        formatting.compact(0.50, lang),
        formatting.signed(-7.5, lang),
        formatting.signed(3, lang),
    ] == expected


def test_number_edge_cases() -> None:
    """Not a number, booleans, infinities and negative zero never leak through."""
    for value in (None, "12", True, float("nan"), float("inf")):
        assert formatting.number(value, "fr") == "—"
        assert formatting.signed(value, "en") == "—"
    assert formatting.number(-0.0, "fr", 1) == "0,0"
    assert formatting.signed(-0.01, "en") == "0.0"
    assert formatting.number(2.5, "fr", 0) == "2"  # banker's rounding, as CLDR
    assert formatting.number(1234, "de") == f"1{NNBSP}234,00"  # unknown → French
    assert formatting.percent(0.425, "fr") == f"42,5{NNBSP}%"
    assert formatting.percent(0.425, "en") == "42.5%"


@pytest.mark.parametrize(
    ("lang", "short", "long", "month", "month_short", "moment"),
    [
        ("fr", "23/11/2026", "23 novembre 2026", "novembre 2026", "nov. 2026",
         "23/11/2026 18:05"),
        ("en", "23/11/2026", "23 November 2026", "November 2026", "Nov 2026",
         "23/11/2026, 18:05"),
    ],
)  # fmt: skip
def test_dates_follow_the_language(  # noqa: PLR0917 - the parametrized columns
    lang: str, short: str, long: str, month: str, month_short: str, moment: str
) -> None:
    """Days, months and instants as each language writes them."""
    day = date(2026, 11, 23)
    assert formatting.day(day, lang) == short
    assert formatting.day("2026-11-23", lang) == short
    assert formatting.day(day, lang, "long") == long
    assert formatting.day_month(date(2026, 11, 3), lang) == "03/11"
    assert formatting.month_name(day, lang) == month
    assert formatting.month_name(day, lang, short=True) == month_short
    assert formatting.instant(datetime(2026, 11, 23, 18, 5, tzinfo=UTC), lang) == (
        moment
    )
    assert formatting.day("not a day", lang) == "not a day"
    assert formatting.day(None, lang) == "—"


@pytest.mark.parametrize(
    ("lang", "expected"), [("fr", "141,25 kWh · 23/11/2026"), ("en", "141.25 kWh")]
)
def test_jinja_filters_read_the_page_language(lang: str, expected: str) -> None:
    """The filters take the language from the template's ``lang`` variable."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(formatting.FILTERS)
    template = env.from_string(
        "{{ v|number(2) }} kWh{% if lang == 'fr' %} · {{ d|day }}{% endif %}"
    )
    assert template.render(lang=lang, v=141.25, d=date(2026, 11, 23)) == expected


def test_line_chart_marks_the_month_in_progress() -> None:
    """The last month is drawn apart (dashed), never as the end of the line."""
    chart = build_chart(
        [("sept.", 40.0), ("oct.", 55.0), ("nov.", 3.0)], last_in_progress=True
    )
    assert [p.partial for p in chart.points] == [False, False, True]
    assert chart.path.count("L") == 1  # the two complete months only
    first, second, last = chart.points
    assert chart.path == f"M{first.x:g},{first.y:g} L{second.x:g},{second.y:g}"
    assert chart.partial_path == f"M{second.x:g},{second.y:g} L{last.x:g},{last.y:g}"
    assert chart.in_progress == last
    plain = build_chart([("sept.", 40.0), ("oct.", 55.0), ("nov.", 3.0)])
    assert plain.in_progress is None
    assert plain.partial_path == ""
    assert plain.path.count("L") == 2


def test_bar_chart_marks_the_month_in_progress() -> None:
    """With a single month (a bar), that bar is the one in progress."""
    chart = build_chart([("nov.", 12.0)], kind="bar", last_in_progress=True)
    assert [b.partial for b in chart.bars] == [True]
    assert chart.in_progress == chart.bars[0]
    only = build_chart([("nov.", 12.0)], last_in_progress=True)
    assert only.path == "" and only.partial_path == ""  # nothing complete to join


def _season() -> Season:
    return Season(name="Hiver", start=date(2026, 11, 1), end=date(2027, 3, 31))


def test_month_series_in_progress_only_for_the_current_month() -> None:
    """The current month of a running season is in progress; past months are not."""
    monthly = {"2026-11": 40.0, "2026-12": 55.0, "2027-01": 3.0}
    series, partial = month_series(monthly, date(2027, 1, 15), _season(), "fr")
    assert series == [("nov. 2026", 40.0), ("déc. 2026", 55.0), ("janv. 2027", 3.0)]
    assert partial is True
    # No stored row yet for January: nothing is plotted at 0 for it.
    series, partial = month_series(
        {"2026-11": 40.0, "2026-12": 55.0}, date(2027, 1, 15), _season(), "en"
    )
    assert series == [("Nov 2026", 40.0), ("Dec 2026", 55.0)]
    assert partial is False
    # After the season, its last month is final.
    series, partial = month_series(monthly, date(2027, 6, 1), _season(), "en")
    assert partial is False and len(series) == 3
    assert month_series({}, date(2027, 1, 15), _season(), "fr") == ([], False)


def test_next_steps_until_all_done() -> None:
    """Token, Home Assistant (a used token) and team; empty once all are done."""
    from game_server.models import ApiToken, Team

    season = _season()
    assert next_steps([], None, season) == [
        ("token", False),
        ("home_assistant", False),
        ("team", False),
    ]
    token = ApiToken(user_id="u", device_name="HA", token_hash="h")
    assert [done for _, done in next_steps([token], None, season)] == [
        True,
        False,
        False,
    ]
    token.last_used_at = datetime(2026, 11, 23, tzinfo=UTC)
    team = Team(season_id=season.id, name="Soleil", captain_id="u", invite_code="C")
    assert next_steps([token], team, season) == []
    # Without a season there is no team to join: that step does not hold it back.
    assert next_steps([token], None, None) == []
