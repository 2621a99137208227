"""``household_input`` with certified Enedis days and equipment changes (no storage)."""

from __future__ import annotations

from datetime import date

import pytest

from game_server import models
from game_server.rules import Challenge, DayData, HouseholdInput, HouseholdProfile
from game_server.rules.models import Equipment, EquipmentChange, ScoreCard
from game_server.scoring_job import (
    FlaggedDay,
    explain_cards,
    flagged_days,
    household_input,
    season_settings,
)

USER = models.User(username="zoe", display_name="Zoé", password_hash="x")
D1, D2, D3, D4, D5 = (date(2027, 1, d) for d in range(1, 6))


def _reading(day: date, kwh: float, **extra: object) -> models.DailyReading:
    """Return a stored local day."""
    return models.DailyReading(user_id=USER.id, day=day, import_kwh=kwh, **extra)  # type: ignore[arg-type]


def _certified(
    day: date, kwh: float, export: float | None = None
) -> models.EnedisReading:
    """Return a stored certified day."""
    return models.EnedisReading(
        user_id=USER.id, day=day, import_kwh=kwh, export_kwh=export
    )


def test_certified_days_reconciled_filled_and_replacing_indexes() -> None:
    """Tolerance keeps the local day; beyond it Enedis; gaps and index days filled."""
    indexes = [
        models.MeterIndex(user_id=USER.id, day=D3, import_index_kwh=0.0),
        models.MeterIndex(
            user_id=USER.id, day=D5, import_index_kwh=20.0, export_index_kwh=None
        ),
    ]
    readings = [
        _reading(D1, 12.4, import_slots=[0.25] * 48, export_kwh=1.0),
        _reading(D2, 10.0, import_slots=[0.2] * 48, export_kwh=1.0),
    ]
    certified = [
        _certified(D1, 12.0),  # tolerance max(0.5, 0.6) = 0.6: kept
        _certified(D2, 12.0),  # 2 kWh off: Enedis scored, flagged
        _certified(D4, 7.0),  # an index-spread day: Enedis replaces it
        _certified(date(2027, 1, 9), 8.0, export=2.5),  # no local day: filled
    ]
    household = household_input(USER, readings, indexes=indexes, enedis=certified)
    days = household.days
    assert days[D1].import_kwh == 12.4 and days[D1].source == "local"
    assert days[D1].import_slots == (0.25,) * 48
    assert (days[D2].import_kwh, days[D2].source, days[D2].flagged) == (
        12.0,
        "enedis",
        True,
    )
    assert days[D2].import_slots is None and days[D2].export_kwh == 1.0
    assert (days[D4].import_kwh, days[D4].source, days[D4].flagged) == (
        7.0,
        "enedis",
        False,
    )
    assert days[D5].source == "index" and days[D5].import_kwh == pytest.approx(10.0)
    filled = days[date(2027, 1, 9)]
    assert (filled.import_kwh, filled.export_kwh, filled.flagged) == (8.0, 2.5, False)
    assert household.flagged == (FlaggedDay(day=D2, local_kwh=10.0, enedis_kwh=12.0),)
    assert flagged_days(readings, certified) == list(household.flagged)


def test_equipment_changes_reach_the_profile() -> None:
    """Declared changes become the rules' equipment changes, sorted by day."""
    user = models.User(
        username="yan",
        display_name="Yan",
        password_hash="x",
        equipment_changes=[
            models.EquipmentChange(kind=models.EquipmentKind.EV, day=D3),
            models.EquipmentChange(kind=models.EquipmentKind.HEAT_PUMP, day=D1),
        ],
    )
    household = household_input(user, [])
    assert household.profile.equipment_changes == (
        EquipmentChange(equipment=Equipment.HEAT_PUMP, day=D1),
        EquipmentChange(equipment=Equipment.EV, day=D3),
    )
    assert {e.value for e in Equipment} == {k.value for k in models.EquipmentKind}


def test_explain_cards_only_for_stored_households() -> None:
    """A plain rules input (no stored data) leaves the cards as the rules wrote them."""
    settings = season_settings(
        models.Season(name="S", start=date(2027, 1, 1), end=date(2027, 3, 31))
    )
    card = ScoreCard(challenge=Challenge.SOBRIETY, month="2027-01", points=1.0)
    plain = HouseholdInput(
        profile=HouseholdProfile(),
        days={D1: DayData(day=D1, import_kwh=1.0, flagged=True)},
    )
    explain_cards([card], plain, settings)
    assert card.as_dict()["reference"] == {} and card.data_quality == {}
    # A change after the card's month does not concern it; actions cards are skipped.
    user = models.User(
        username="x",
        display_name="X",
        password_hash="x",
        equipment_changes=[
            models.EquipmentChange(kind=models.EquipmentKind.EV, day=date(2027, 2, 3))
        ],
    )
    actions = ScoreCard(challenge=Challenge.ACTIONS, month="2027-02", points=0.0)
    explain_cards([card, actions], household_input(user, []), settings)
    assert card.reference == {} and actions.reference == {}
