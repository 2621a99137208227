"""The solar piggy bank's tallies (rules §4.1): per day, month, calendar year and season.

Tallies are kept for everyone: credit = Σ export, debit = Σ import, balance = credit −
debit (kWh). They are summed over the household's days as the rules see them
(``scoring_job.household_input``: its readings, certified Enedis days reconciled with them
and, in simplified mode, its meter indexes spread over the days), counting the days whose
totals are present — the same days and sums as the ``credit_kwh``, ``debit_kwh`` and
``balance_kwh`` factors of the monthly piggy-bank cards. The points of a period are those
of the stored piggy-bank cards of its months (``None`` when no card was stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from game_server.models import Season
from game_server.rules.models import DayData, month_key


@dataclass(frozen=True, kw_only=True, slots=True)
class Tally:
    """Grid energy over a period: credit (exported) and debit (imported), in kWh."""

    first: date
    last: date
    credit_kwh: float
    debit_kwh: float
    days: int
    """Days of the period with their totals present."""
    points: float | None = None
    """Points of the period's stored piggy-bank cards (None: no card stored)."""

    @property
    def balance_kwh(self) -> float:
        """Return credit minus debit (exported minus imported)."""
        return self.credit_kwh - self.debit_kwh

    def as_dict(self) -> dict[str, Any]:
        """Return the tally as JSON-ready data."""
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "credit_kwh": round(self.credit_kwh, 3),
            "debit_kwh": round(self.debit_kwh, 3),
            "balance_kwh": round(self.balance_kwh, 3),
            "days": self.days,
            "points": None if self.points is None else round(self.points, 2),
        }


def tally(
    days: Iterable[DayData], first: date, last: date, points: float | None = None
) -> Tally:
    """Return the tally of the days between ``first`` and ``last`` (inclusive)."""
    credit = debit = 0.0
    count = 0
    for day in days:
        if first <= day.day <= last and day.import_kwh is not None:
            credit += day.export_kwh
            debit += day.import_kwh
            count += 1
    return Tally(
        first=first,
        last=last,
        credit_kwh=credit,
        debit_kwh=debit,
        days=count,
        points=points,
    )


def _sum(values: Iterable[float]) -> float | None:
    """Return the sum of some points, or None when there are none."""
    found = list(values)
    return sum(found) if found else None


@dataclass(frozen=True, kw_only=True, slots=True)
class SeasonTally:
    """A season's tally with the season it belongs to."""

    season: Season
    tally: Tally

    def as_dict(self) -> dict[str, Any]:
        """Return the season's tally as JSON-ready data."""
        return {
            "season_id": self.season.id,
            "name": self.season.name,
            "start": self.season.start.isoformat(),
            "end": self.season.end.isoformat(),
            **self.tally.as_dict(),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class PiggyBank:
    """A household's piggy bank: latest day, month, year, season, and their history.

    ``years`` and ``seasons`` list every calendar year and started season with data or
    points.
    """

    as_of: date
    day: Tally | None
    month: Tally
    year: Tally
    season: SeasonTally | None
    years: list[Tally]
    seasons: list[SeasonTally]

    def as_dict(self) -> dict[str, Any]:
        """Return the piggy bank as JSON-ready data (the API's answer)."""
        return {
            "as_of": self.as_of.isoformat(),
            "day": None if self.day is None else self.day.as_dict(),
            "month": {"month": month_key(self.month.first), **self.month.as_dict()},
            "year": {"year": self.year.first.year, **self.year.as_dict()},
            "season": None if self.season is None else self.season.as_dict(),
            "years": [
                {"year": item.first.year, **item.as_dict()} for item in self.years
            ],
            "seasons": [item.as_dict() for item in self.seasons],
        }


def household_piggy_bank(
    days: Mapping[date, DayData],
    *,
    today: date,
    seasons: Sequence[Season],
    current: Season | None,
    points: Mapping[str, Mapping[str, float]],
) -> PiggyBank:
    """Return a household's tallies as of ``today``.

    ``seasons`` are the seasons to list (those started), ``current`` the season of the
    ``season`` block, ``points`` each season's stored piggy-bank points by month
    (``season id → YYYY-MM → points``). A calendar year's points add the cards of its
    months over every season; a season's, the cards of that season.
    """
    known = [d for d in days.values() if d.day <= today and d.import_kwh is not None]
    latest = max((d.day for d in known), default=None)
    by_month: dict[str, list[float]] = {}
    for months in points.values():
        for key, value in months.items():
            by_month.setdefault(key, []).append(value)

    def year_tally(year: int) -> Tally:
        return tally(
            known,
            date(year, 1, 1),
            min(date(year, 12, 31), today),
            _sum(v for k, vs in by_month.items() if k[:4] == f"{year:04d}" for v in vs),
        )

    def season_tally(season: Season) -> SeasonTally:
        season_points = points.get(season.id, {})
        return SeasonTally(
            season=season,
            tally=tally(
                known,
                season.start,
                min(season.end, today),
                _sum(season_points.values()),
            ),
        )

    this_month = month_key(today)
    years = {d.day.year for d in known} | {int(k[:4]) for k in by_month}
    listed = [season_tally(season) for season in sorted(seasons, key=_season_order)]
    return PiggyBank(
        as_of=today,
        day=tally(known, latest, latest) if latest is not None else None,
        month=tally(
            known, today.replace(day=1), today, _sum(by_month.get(this_month, []))
        ),
        year=year_tally(today.year),
        season=season_tally(current) if current is not None else None,
        years=[year_tally(year) for year in sorted(years) if year <= today.year],
        seasons=[
            item for item in listed if item.tally.days or item.tally.points is not None
        ],
    )


def _season_order(season: Season) -> tuple[date, str]:
    """Return the sort key of a season (by start)."""
    return season.start, season.id
