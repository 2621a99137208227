"""Numbers and dates in the page language, formatted by Babel (CLDR data).

French pages write ``141,25 kWh`` and ``1 234,5`` (a narrow no-break space between
thousands), English ones ``141.25 kWh`` and ``1,234.5``; dates follow each language's
habits (``23/11/2026``, ``novembre 2026``). Page code calls these functions with the
page language; templates use the same functions as Jinja filters (``FILTERS``), which
read the language from the template's ``lang`` variable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
import math
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal
import jinja2

from .i18n import DEFAULT_LANGUAGE, LANGUAGES

# The Babel locale of each page language: players are in France, so English pages use
# British day-first dates.
LOCALES: dict[str, Locale] = {"fr": Locale.parse("fr_FR"), "en": Locale.parse("en_GB")}
MISSING = "—"


def locale_of(lang: str) -> Locale:
    """Return the Babel locale of a page language (the default one if unknown)."""
    return LOCALES[lang if lang in LANGUAGES else DEFAULT_LANGUAGE]


def _real(value: object) -> float | None:
    """Return a finite number as a float (None for anything else, booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number_ = float(value)
    return number_ if math.isfinite(number_) else None


def _pattern(digits: int, *, keep_zeros: bool = True) -> str:
    """Return a CLDR decimal pattern with grouping and ``digits`` decimals."""
    if digits <= 0:
        return "#,##0"
    return "#,##0." + ("0" if keep_zeros else "#") * digits


def number(value: object, lang: str, digits: int = 2) -> str:
    """Return a number with fixed decimals ("141,25"); "—" when it is not one."""
    real = _real(value)
    if real is None:
        return MISSING
    if real == 0:
        real = 0.0  # never "-0,0"
    return format_decimal(real, format=_pattern(digits), locale=locale_of(lang))


def compact(value: object, lang: str, digits: int = 3) -> str:
    """Return a number with up to ``digits`` decimals, trailing zeros dropped ("0,5")."""
    real = _real(value)
    if real is None:
        return MISSING
    if real == 0:
        real = 0.0
    return format_decimal(
        real, format=_pattern(digits, keep_zeros=False), locale=locale_of(lang)
    )


def signed(value: object, lang: str, digits: int = 1) -> str:
    """Return a number with its sign always written ("+1,5", "-7,5", "0,0")."""
    real = _real(value)
    if real is None:
        return MISSING
    body = _pattern(digits)
    rounded = round(real, max(digits, 0))
    if rounded == 0:
        return format_decimal(0.0, format=body, locale=locale_of(lang))
    return format_decimal(real, format=f"+{body};-{body}", locale=locale_of(lang))


def kwh(value: object, lang: str, digits: int = 2) -> str:
    """Return an energy in kWh ("141,25 kWh")."""
    return f"{number(value, lang, digits)} kWh"


def percent(share: object, lang: str, digits: int = 1) -> str:
    """Return a 0–1 share as a percentage ("42,5 %" in French, "42.5%" in English)."""
    real = _real(share)
    if real is None:
        return MISSING
    text = number(100 * real, lang, digits)
    return f"{text}\u202f%" if lang == "fr" else f"{text}%"


def day(value: date | str | None, lang: str, style: str = "short") -> str:
    """Return a day ("23/11/2026"; ``style`` "medium" or "long" spells the month)."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format=style, locale=locale_of(lang))


def day_month(value: date | None, lang: str) -> str:
    """Return a day without its year ("23/11")."""
    if value is None:
        return MISSING
    return format_skeleton("ddMM", value, locale=locale_of(lang))


def instant(value: datetime | None, lang: str) -> str:
    """Return a date and time ("23/11/2026 18:00"), in the time zone it carries."""
    if value is None:
        return MISSING
    return format_datetime(value, format="short", locale=locale_of(lang))


def time_of_day(value: datetime, lang: str) -> str:
    """Return a time of day ("18:00")."""
    return format_datetime(value, format="HH:mm", locale=locale_of(lang))


def month_name(value: date, lang: str, *, short: bool = False) -> str:
    """Return a month and its year ("novembre 2026", or "nov. 2026" when short)."""
    return format_skeleton("yMMM" if short else "yMMMM", value, locale=locale_of(lang))


def _lang(context: jinja2.runtime.Context) -> str:
    """Return the page language of a template context."""
    lang = context.get("lang")
    return lang if isinstance(lang, str) else DEFAULT_LANGUAGE


def _filter(function: Callable[..., str]) -> Callable[..., str]:
    """Return a Jinja filter calling ``function(value, lang, *args)``."""

    @jinja2.pass_context
    def run(context: jinja2.runtime.Context, value: Any, *args: Any, **kw: Any) -> str:
        return function(value, _lang(context), *args, **kw)

    run.__doc__ = function.__doc__
    return run


FILTERS: dict[str, Callable[..., str]] = {
    name: _filter(function)
    for name, function in (
        ("number", number),
        ("compact", compact),
        ("signed", signed),
        ("kwh", kwh),
        ("percent", percent),
        ("day", day),
        ("day_month", day_month),
        ("instant", instant),
        ("month_name", month_name),
    )
}
"""The Jinja filters: ``{{ value|number(2) }}``, ``{{ d|day }}``…"""
