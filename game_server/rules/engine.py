"""Score one household for a season: points per challenge per month, with score cards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .actions import cap_actions, score_actions
from .baseline import (
    Reference,
    WeatherModel,
    degree_days,
    fit_weather_model,
    is_valid_day,
    post_change_reference,
    select_reference,
)
from .energy import MonthEnergy, piggy_bank, self_consumption, sobriety
from .models import (
    AFFECTED_BY,
    PARIS,
    ActionDefinition,
    ActionRecord,
    Challenge,
    DayData,
    EquipmentChange,
    HouseholdProfile,
    PeakEvent,
    PeerAggregates,
    ScoreCard,
    SeasonSettings,
    SheddingEvent,
    month_key,
)
from .shedding import score_events

METERED = (Challenge.PIGGY_BANK, Challenge.SELF_CONSUMPTION, Challenge.SOBRIETY)


@dataclass(frozen=True, kw_only=True, slots=True)
class HouseholdInput:
    """Everything known about one household: profile, days (reference and season), events."""

    profile: HouseholdProfile
    days: Mapping[date, DayData]
    shedding_events: Sequence[SheddingEvent] = ()
    actions: Sequence[ActionRecord] = ()


@dataclass(kw_only=True, slots=True)
class HouseholdScore:
    """A household's season: score cards, totals and tallies."""

    cards: list[ScoreCard]
    totals: dict[Challenge, float]
    total: float
    valid_day_share: float
    kwh_saved: float
    """Σ(Ĉ − C) over the months that count: the tie-breaker and an admin KPI."""
    piggy_bank: dict[str, dict[str, float]] = field(default_factory=dict)
    """Tallies for everyone, per month: credit, debit, balance (kWh)."""
    level: int = 0
    provisional: bool = False


def _season_days(settings: SeasonSettings, as_of: date) -> list[date]:
    """Return the season's days up to ``as_of`` (the last day with complete data)."""
    last = min(settings.end, as_of)
    count = (last - settings.start).days + 1
    return [settings.start + timedelta(days=n) for n in range(max(0, count))]


def _month_end(key: str) -> date:
    """Return the last day of a ``YYYY-MM`` month."""
    year, month = int(key[:4]), int(key[5:])
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _change_for(
    profile: HouseholdProfile, challenge: Challenge, settings: SeasonSettings, end: date
) -> tuple[EquipmentChange | None, EquipmentChange | None]:
    """Return the changes affecting a challenge up to a month's end.

    First the latest one before the season (the reference starts on its day), then the
    latest one inside the season up to ``end`` (the challenge waits for a new
    reference: the ``short_reference_days`` days from the change).
    """
    before: EquipmentChange | None = None
    inside: EquipmentChange | None = None
    for change in profile.equipment_changes:
        if challenge not in AFFECTED_BY[change.equipment] or change.day > end:
            continue
        if change.day < settings.start:
            if before is None or change.day > before.day:
                before = change
        elif inside is None or change.day > inside.day:
            inside = change
    return before, inside


def _change_note(change: EquipmentChange, effect: str) -> dict[str, Any]:
    """Return the score-card description of an equipment change and its effect."""
    return {
        "kind": change.equipment.value,
        "day": change.day.isoformat(),
        "effect": effect,
    }


def score_household(
    household: HouseholdInput,
    settings: SeasonSettings,
    peers: PeerAggregates,
    *,
    as_of: date,
    catalogue: Mapping[str, ActionDefinition] | None = None,
    peak_events: Sequence[PeakEvent] = (),
) -> HouseholdScore:
    """Return a household's points per challenge and month, with score cards."""
    profile = household.profile
    season_days = _season_days(settings, as_of)
    months: dict[str, list[date]] = defaultdict(list)
    for day in season_days:
        months[month_key(day)].append(day)

    references: dict[date | None, tuple[Reference, WeatherModel]] = {}

    def baseline_for(not_before: date | None) -> tuple[Reference, WeatherModel]:
        if not_before not in references:
            reference = select_reference(
                household.days, settings, not_before=not_before
            )
            model = fit_weather_model(reference.days, settings, peers.team_temperature)
            references[not_before] = (reference, model)
        return references[not_before]

    post_change: dict[date, tuple[Reference, WeatherModel]] = {}

    def post_change_for(change: date) -> tuple[Reference, WeatherModel]:
        if change not in post_change:
            reference = post_change_reference(household.days, settings, change)
            model = fit_weather_model(reference.days, settings, peers.team_temperature)
            post_change[change] = (reference, model)
        return post_change[change]

    cards: list[ScoreCard] = []
    tallies: dict[str, dict[str, float]] = {}
    kwh_saved = 0.0
    valid_total = 0
    for key, month_days in months.items():
        valid = [
            found
            for day in month_days
            if (found := household.days.get(day)) is not None
            and is_valid_day(found, settings, slots=False)
        ]
        valid_total += len(valid)
        share = len(valid) / len(month_days)
        provisional = as_of < _month_end(key) + timedelta(
            days=settings.provisional_days
        )
        quality = {
            "valid_days": len(valid),
            "period_days": len(month_days),
            "valid_share": round(share, 4),
        }
        credit = sum(d.export_kwh for d in valid)
        debit = sum(d.import_kwh or 0.0 for d in valid)
        tallies[key] = {"credit": credit, "debit": debit, "balance": credit - debit}
        for challenge in METERED:
            if challenge not in settings.challenges:
                continue
            card = ScoreCard(
                challenge=challenge,
                month=key,
                points=0.0,
                provisional=provisional,
                data_quality=dict(quality),
            )
            cards.append(card)
            if challenge is Challenge.PIGGY_BANK:
                # The month's tally is kept for everyone, with or without points.
                card.factors.update(
                    credit_kwh=round(credit, 3),
                    debit_kwh=round(debit, 3),
                    balance_kwh=round(credit - debit, 3),
                )
            before, inside = _change_for(profile, challenge, settings, month_days[-1])
            scored, scored_share = valid, share
            if inside is not None:
                # A change inside the season: the challenge waits for a new reference,
                # the days from the change; only the days after it count.
                reference, model = post_change_for(inside.day)
                window_end = inside.day + timedelta(settings.short_reference_days - 1)
                eligible = [day for day in month_days if day > window_end]
                scored = [d for d in valid if d.day > window_end]
                scored_share = len(scored) / len(eligible) if eligible else 0.0
                needed = settings.valid_period_share * settings.short_reference_days
                if not eligible or len(reference.days) < needed:
                    card.reference = {
                        "equipment_change": _change_note(inside, "excluded")
                    }
                    _no_points(card, "equipment_change")
                    continue
                card.data_quality |= {
                    "valid_days": len(scored),
                    "period_days": len(eligible),
                    "valid_share": round(scored_share, 4),
                }
            else:
                # A change before the season re-baselines the reference from its day.
                reference, model = baseline_for(None if before is None else before.day)
            if (
                challenge is not Challenge.SOBRIETY
                and not profile.has_solar
                and (challenge is Challenge.PIGGY_BANK or profile.simplified)
            ):
                _no_points(card, "no_solar")
                continue
            if scored_share < settings.valid_period_share:
                _no_points(card, "insufficient_data")
                continue
            ref_days = reference.days_for(d.day for d in scored)
            card.reference = reference.describe() | {"days_used": len(ref_days)}
            if inside is not None:
                card.reference["equipment_change"] = _change_note(
                    inside, "rebased_in_season"
                )
            elif before is not None:
                card.reference["equipment_change"] = _change_note(before, "rebased")
            card.weather = model.describe()
            needed = settings.valid_period_share * settings.short_reference_days
            if not ref_days or (
                reference.kind == "short" and len(reference.days) < needed
            ):
                _no_points(card, "no_reference")
                continue
            data = _month_energy(
                key,
                valid=scored,
                reference=ref_days,
                model=model,
                settings=settings,
                peers=peers,
                profile=profile,
            )
            if challenge is Challenge.PIGGY_BANK:
                piggy_bank(card, data, profile)
            elif challenge is Challenge.SELF_CONSUMPTION:
                self_consumption(card, data, profile, settings.green_windows, settings)
            else:
                sobriety(card, data, settings)
                if card.eligible:
                    kwh_saved += data.expected_kwh - data.consumption_kwh

    if Challenge.SHEDDING in settings.challenges:
        cards += _shedding_cards(household, settings, months, as_of, peak_events)
    level = 0
    if Challenge.ACTIONS in settings.challenges:
        action_cards, level = _action_cards(
            household, settings, months, as_of, catalogue
        )
        other = sum(c.points for c in cards)
        uncapped = sum(c.points for c in action_cards)
        if not profile.simplified:
            capped = cap_actions(uncapped, other, settings.action_cap_share)
            if capped < uncapped:
                ratio = capped / uncapped
                for card in action_cards:
                    card.factors["uncapped_points"] = round(card.points, 2)
                    card.points *= ratio
                    card.caps.append(
                        f"actions capped at {settings.action_cap_share:.0%} of the season"
                        f" total (× {ratio:.4f})"
                    )
        cards += action_cards

    totals = dict.fromkeys(settings.challenges, 0.0)
    for card in cards:
        totals[card.challenge] = totals.get(card.challenge, 0.0) + card.points
    return HouseholdScore(
        cards=cards,
        totals=totals,
        total=sum(totals.values()),
        valid_day_share=valid_total / len(season_days) if season_days else 0.0,
        kwh_saved=kwh_saved,
        piggy_bank=tallies,
        level=level,
        provisional=any(card.provisional for card in cards),
    )


def _month_energy(
    key: str,
    *,
    valid: Sequence[DayData],
    reference: Sequence[DayData],
    model: WeatherModel,
    settings: SeasonSettings,
    peers: PeerAggregates,
    profile: HouseholdProfile,
) -> MonthEnergy:
    """Gather what the energy challenges need for one month."""
    dju: list[float | None] = []
    for day in valid:
        t = (
            day.t_mean_c
            if day.t_mean_c is not None
            else peers.team_temperature.get(day.day)
        )
        dju.append(None if t is None else degree_days(t, settings.degree_day_base_c))
    y, y_ref = peers.solar_yield.get(key), peers.reference_solar_yield.get(key)
    ratio = y / y_ref if y and y_ref else 1.0
    return MonthEnergy(
        month=key,
        days=tuple(valid),
        reference=tuple(reference),
        expected_kwh=model.expected(dju),
        solar_yield_ratio=ratio,
        segment_median=peers.segment_consumption.get(f"{key}|{profile.segment}"),
    )


def _no_points(card: ScoreCard, reason: str) -> None:
    """Mark a card as giving no points."""
    card.points = 0.0
    card.eligible = False
    card.reason = reason


def _shedding_cards(
    household: HouseholdInput,
    settings: SeasonSettings,
    months: Mapping[str, list[date]],
    as_of: date,
    peak_events: Sequence[PeakEvent],
) -> list[ScoreCard]:
    """Return one shedding card per month, listing its events."""
    first, last = settings.start, min(settings.end, as_of)
    in_season = [
        event
        for event in household.shedding_events
        if first <= event.start.astimezone(PARIS).date() <= last
    ]
    scores = score_events(in_season, household.days, settings, peak_events)
    cards = []
    for key in months:
        events = [
            s for s in scores if month_key(s.start.astimezone(PARIS).date()) == key
        ]
        rows = [s.as_dict() for s in events]
        counted = [s for s in events if s.ignored is None]
        card = ScoreCard(
            challenge=Challenge.SHEDDING,
            month=key,
            points=sum(s.points for s in events),
            provisional=as_of
            < _month_end(key) + timedelta(days=settings.provisional_days),
            factors={
                "events": rows,
                "shed_kwh": round(sum(s.raw_kwh for s in counted), 3),
                "peak_kwh": round(sum(s.peak_kwh for s in counted), 3),
            },
        )
        cards.append(card)
    return cards


def _action_cards(
    household: HouseholdInput,
    settings: SeasonSettings,
    months: Mapping[str, list[date]],
    as_of: date,
    catalogue: Mapping[str, ActionDefinition] | None,
) -> tuple[list[ScoreCard], int]:
    """Return one actions card per month and the level reached."""
    first, last = settings.start, min(settings.end, as_of)
    records = [r for r in household.actions if first <= r.day <= last]
    result = score_actions(
        records, catalogue or {}, simplified=household.profile.simplified
    )
    cards = []
    for key in months:
        lines = [line for line in result.lines if str(line["day"]).startswith(key)]
        cards.append(
            ScoreCard(
                challenge=Challenge.ACTIONS,
                month=key,
                points=result.by_month.get(key, 0.0),
                provisional=as_of
                < _month_end(key) + timedelta(days=settings.provisional_days),
                factors={"lines": lines, "level": result.level},
            )
        )
    return cards, result.level
