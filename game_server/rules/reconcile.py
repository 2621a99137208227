"""Reconciliation of locally reported days with certified Enedis values (spec §6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from .models import DayData

REVIEW_WINDOW_DAYS = 14
REVIEW_THRESHOLD = 3


def tolerance_kwh(enedis_kwh: float) -> float:
    """Return the tolerance for a day: max(0.5 kWh, 5 % of the Enedis value)."""
    return max(0.5, 0.05 * abs(enedis_kwh))


def reconcile_day(local: DayData, enedis_import_kwh: float | None) -> DayData:
    """Return the day to score: the Enedis import replaces the local one beyond tolerance."""
    if enedis_import_kwh is None:
        return local
    if local.import_kwh is None:
        return replace(local, import_kwh=enedis_import_kwh, source="enedis")
    if abs(local.import_kwh - enedis_import_kwh) <= tolerance_kwh(enedis_import_kwh):
        return local
    return replace(
        local,
        import_kwh=enedis_import_kwh,
        import_slots=None,
        source="enedis",
        flagged=True,
    )


def needs_review(flagged_days: Iterable[date]) -> bool:
    """Return whether more than 3 flagged days fall within some 14-day window."""
    days = sorted(set(flagged_days))
    for index, first in enumerate(days):
        window_end = first + timedelta(days=REVIEW_WINDOW_DAYS - 1)
        if sum(1 for day in days[index:] if day <= window_end) > REVIEW_THRESHOLD:
            return True
    return False
