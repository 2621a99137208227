"""The metered challenges: solar piggy bank, self-consumption / green hours, sobriety (§4.1–4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from functools import cache

from .models import (
    DayData,
    GreenWindow,
    HouseholdProfile,
    ScoreCard,
    SeasonSettings,
    clamp,
)
from .slots import LOCAL_HALF_HOURS, local_half_hours, slot_count


@dataclass(frozen=True, kw_only=True, slots=True)
class MonthEnergy:
    """A household's month, ready for the energy challenges."""

    month: str
    days: tuple[DayData, ...]
    """Valid season days of the month (totals present)."""
    reference: tuple[DayData, ...]
    """Valid reference days that stand for them."""
    expected_kwh: float
    """Ĉ: weather-normalised expected consumption over ``days``."""
    solar_yield_ratio: float
    """Y / Y_ref (1 when fewer than 3 solar households report)."""
    segment_median: float | None
    """K: median daily consumption per consumption unit in the household's segment."""

    @property
    def consumption_kwh(self) -> float:
        """Return C over the month's valid days."""
        return sum(day.consumption_kwh or 0.0 for day in self.days)

    def reference_daily_mean(self, attribute: str) -> float:
        """Return the mean daily value of a reference attribute (0 without reference)."""
        values = [_value(day, attribute) for day in self.reference]
        return sum(values) / len(values) if values else 0.0


def _value(day: DayData, attribute: str) -> float:
    """Return one of a day's energies (consumption included) as a float."""
    if attribute == "consumption":
        return day.consumption_kwh or 0.0
    return float(getattr(day, f"{attribute}_kwh") or 0.0)


def piggy_bank(
    card: ScoreCard, data: MonthEnergy, profile: HouseholdProfile
) -> ScoreCard:
    """Score the solar piggy bank: ``clamp(10·(PB − PB_ref*)/UC, −50, 50)``."""
    n = len(data.days)
    credit = sum(day.export_kwh for day in data.days)
    debit = sum(day.import_kwh or 0.0 for day in data.days)
    credit_ref = data.reference_daily_mean("export") * n
    debit_ref = data.reference_daily_mean("import") * n
    consumption_ref = data.reference_daily_mean("consumption") * n
    weather_ratio = data.expected_kwh / consumption_ref if consumption_ref > 0 else 1.0
    pb = 0.25 * credit - debit
    pb_ref = 0.25 * credit_ref * data.solar_yield_ratio - debit_ref * weather_ratio
    uc = profile.consumption_units
    raw = 10 * (pb - pb_ref) / uc
    card.points = clamp(raw, -50, 50)
    if card.points != raw:
        card.caps.append(f"clamped to ±50 (raw {raw:.2f})")
    card.factors.update(
        credit_kwh=round(credit, 3),
        debit_kwh=round(debit, 3),
        balance_kwh=round(credit - debit, 3),
        credit_ref_kwh=round(credit_ref, 3),
        debit_ref_kwh=round(debit_ref, 3),
        consumption_ref_kwh=round(consumption_ref, 3),
        expected_kwh=round(data.expected_kwh, 3),
        yield_ratio=round(data.solar_yield_ratio, 4),
        pb=round(pb, 3),
        pb_ref=round(pb_ref, 3),
        consumption_units=uc,
    )
    return card


def _heavy_use_malus(data: MonthEnergy, profile: HouseholdProfile) -> float:
    """Return M = 20·max(0, (C/UC)/K − 1), C per day; 0 without a segment median."""
    if not data.days or not data.segment_median:
        return 0.0
    per_unit = data.consumption_kwh / len(data.days) / profile.consumption_units
    return 20 * max(0.0, per_unit / data.segment_median - 1)


def _guarded(delta_pct: float, data: MonthEnergy, card: ScoreCard) -> float:
    """Scale Δ% by Ĉ/C when C > 1.05·Ĉ (no reward for adding load in good hours)."""
    consumption = data.consumption_kwh
    if data.expected_kwh > 0 and consumption > 1.05 * data.expected_kwh:
        card.caps.append("consumption above 105 % of expected: Δ scaled by Ĉ/C")
        return delta_pct * data.expected_kwh / consumption
    return delta_pct


def self_consumption(
    card: ScoreCard,
    data: MonthEnergy,
    profile: HouseholdProfile,
    green_windows: Sequence[GreenWindow],
    settings: SeasonSettings,
) -> ScoreCard:
    """Score self-consumption (solar: import share R) or green-hours share G (no solar)."""
    if profile.has_solar:
        consumption = data.consumption_kwh
        ref_consumption = sum(day.consumption_kwh or 0.0 for day in data.reference)
        if consumption <= 0 or ref_consumption <= 0:
            return _ineligible(card, "no_consumption")
        ratio = sum(day.import_kwh or 0.0 for day in data.days) / consumption
        ratio_ref = (
            sum(day.import_kwh or 0.0 for day in data.reference) / ref_consumption
        )
        expected_ratio = ratio_ref * (1 / data.solar_yield_ratio) ** 0.5
        if expected_ratio <= 0:
            return _ineligible(card, "no_reference_import")
        delta = 100 * (expected_ratio - ratio) / expected_ratio
        card.factors.update(
            import_share=round(ratio, 4),
            import_share_ref=round(ratio_ref, 4),
            expected_import_share=round(expected_ratio, 4),
        )
    else:
        share = green_share(data.days, green_windows, settings)
        share_ref = green_share(data.reference, green_windows, settings)
        if share is None or share_ref is None or share_ref <= 0:
            return _ineligible(card, "no_half_hour_data")
        delta = 100 * (share - share_ref) / share_ref
        card.factors.update(
            green_share=round(share, 4), green_share_ref=round(share_ref, 4)
        )
    delta = _guarded(delta, data, card)
    malus = _heavy_use_malus(data, profile)
    clamped = clamp(delta, -30, 30)
    if clamped != delta:
        card.caps.append(f"Δ clamped to ±30 % (raw {delta:.2f})")
    card.points = 2 * (clamped - malus)
    card.factors.update(
        delta_pct=round(delta, 3),
        malus=round(malus, 3),
        segment_median_kwh_per_uc=data.segment_median,
        expected_kwh=round(data.expected_kwh, 3),
    )
    return card


def sobriety(card: ScoreCard, data: MonthEnergy, settings: SeasonSettings) -> ScoreCard:
    """Score sobriety: ``2·clamp(100·(Ĉ − C)/Ĉ, −30, 30)`` (× trust factor on indexes)."""
    if data.expected_kwh <= 0:
        return _ineligible(card, "no_reference")
    consumption = data.consumption_kwh
    reduction = 100 * (data.expected_kwh - consumption) / data.expected_kwh
    clamped = clamp(reduction, -30, 30)
    if clamped != reduction:
        card.caps.append(f"reduction clamped to ±30 % (raw {reduction:.2f})")
    points = 2 * clamped
    if any(day.source == "index" for day in data.days):
        points *= settings.index_trust_factor
        card.caps.append(f"weekly meter indexes: × {settings.index_trust_factor}")
    card.points = points
    card.factors.update(
        consumption_kwh=round(consumption, 3),
        expected_kwh=round(data.expected_kwh, 3),
        reduction_pct=round(reduction, 3),
        target_pct=settings.target_reduction_pct,
    )
    return card


def _in_window(slot_start: time, window: GreenWindow) -> bool:
    """Return whether a slot starting at a local time lies in a window (end 00:00 = 24:00)."""
    if window.end == time(0):
        return slot_start >= window.start
    return window.start <= slot_start < window.end


@cache
def green_mask(month: int, windows: tuple[GreenWindow, ...]) -> tuple[bool, ...]:
    """Return, for each local half-hour (0–47) of a day in ``month``, whether it is green."""
    active = [w for w in windows if month in w.months]
    return tuple(
        any(_in_window(time(index // 2, 30 * (index % 2)), w) for w in active)
        for index in range(LOCAL_HALF_HOURS)
    )


def green_share(
    days: Sequence[DayData], windows: Sequence[GreenWindow], settings: SeasonSettings
) -> float | None:
    """Return the share of consumption in green slots over days with enough slots.

    Each slot is classified by the local time it starts at (``slots.local_half_hours``):
    all 46 or 50 slots of a clock-change day count.
    """
    green = total = 0.0
    for day in days:
        slots = day.import_slots
        if not slots:
            continue
        present = [v for v in slots if v is not None]
        if len(present) < settings.valid_slot_share * slot_count(day.day):
            continue
        mask = green_mask(day.day.month, tuple(windows))
        for value, half_hour in zip(slots, local_half_hours(day.day), strict=False):
            if value is not None:
                total += value
                if mask[half_hour]:
                    green += value
    return green / total if total > 0 else None


def _ineligible(card: ScoreCard, reason: str) -> ScoreCard:
    """Mark a card as giving no points, with the reason."""
    card.points = 0.0
    card.eligible = False
    card.reason = reason
    return card
