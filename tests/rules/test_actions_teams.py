"""Hand-computed examples of action points, levels, caps, team scores and reconciliation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from game_server.rules import (
    ActionDefinition,
    ActionRecord,
    Challenge,
    DayData,
    HouseholdInput,
    HouseholdProfile,
    PeerAggregates,
    SeasonSettings,
    TeamMember,
    Verification,
    rank_teams,
    score_household,
    team_score,
)
from game_server.rules.actions import (
    cap_actions,
    score_actions,
    self_declared_factor,
    verification_factor,
)
from game_server.rules.reconcile import needs_review, reconcile_day, tolerance_kwh

CATALOGUE = {
    a.id: a
    for a in (
        ActionDefinition(
            id="a1", domain="heating", level=1, base_points=10, recurring=True
        ),
        ActionDefinition(id="a2", domain="heating", level=1, base_points=10),
        ActionDefinition(id="a3", domain="lighting", level=1, base_points=10),
        ActionDefinition(id="a4", domain="lighting", level=1, base_points=10),
        ActionDefinition(id="m1", domain="heating", level=1, base_points=-50),
    )
}
V, S, SENSOR = Verification.VERIFIED, Verification.SELF, Verification.SENSOR


def _record(action: str, day: int, verification: Verification = V) -> ActionRecord:
    return ActionRecord(
        action_id=action, day=date(2027, 1, day), verification=verification
    )


def test_actions_hand_computed() -> None:
    """Factors 0.5/1/1.5, one-off once, weekly streak +10 %, level 1 bonus 50, full malus.

    4 Jan a1 verified 10, a2 self 5; 5 Jan a3 sensor 15; 6 Jan a4 verified 10 → level 1
    (2 heating + 2 lighting) +50; 7 Jan malus −50; 11 Jan a1 (2nd week) 11; 12 Jan a1 again
    (same week) 0; 12 Jan a2 again 0; 25 Jan a1 (streak broken) 10. Total 61.
    """
    records = [
        _record("a1", 25),
        _record("a1", 4),
        _record("a2", 4, S),
        _record("a3", 5, SENSOR),
        _record("a4", 6),
        _record("m1", 7, S),
        _record("a1", 11),
        _record("a1", 12),
        _record("a2", 12),
    ]
    result = score_actions(records, CATALOGUE)
    assert result.by_month["2027-01"] == pytest.approx(61)
    assert result.level == 1
    assert result.levels[1] == date(2027, 1, 6)
    assert [line["points"] for line in result.lines] == [10, 5, 15, 10, 50, -50, 11, 10]


def test_streak_bonus_is_capped_at_fifty_percent() -> None:
    """Seven consecutive weeks: 10, 11, 12, 13, 14, 15, 15."""
    records = [
        ActionRecord(
            action_id="a1", day=date(2027, 1, 4) + timedelta(weeks=n), verification=V
        )
        for n in range(7)
    ]
    result = score_actions(records, CATALOGUE)
    assert [line["points"] for line in result.lines] == [10, 11, 12, 13, 14, 15, 15]


def test_simplified_mode_caps_the_verification_factor() -> None:
    """In simplified mode, a sensor confirmation counts 1.0, not 1.5."""
    result = score_actions([_record("a3", 5, SENSOR)], CATALOGUE, simplified=True)
    assert result.by_month["2027-01"] == pytest.approx(10)


def test_factor_shown_to_players_is_the_one_scored() -> None:
    """Self-declared, a good deed counts × 0.5; a malus always counts in full."""
    assert self_declared_factor(malus=False) == 0.5
    assert self_declared_factor(malus=True) == 1.0
    assert verification_factor(SENSOR, malus=False) == 1.5
    assert verification_factor(SENSOR, malus=False, simplified=True) == 1.0
    assert verification_factor(SENSOR, malus=True) == 1.0
    for action_id in ("a2", "m1"):
        points = score_actions([_record(action_id, 5, S)], CATALOGUE)
        factor = self_declared_factor(malus=CATALOGUE[action_id].malus)
        assert points.lines[0]["factor"] == factor
        assert points.lines[0]["points"] == CATALOGUE[action_id].base_points * factor


def test_unknown_actions_are_ignored() -> None:
    """An action not in the catalogue earns nothing."""
    assert score_actions([_record("nope", 5)], CATALOGUE).lines == []


def test_action_cap_thirty_percent_of_season_total() -> None:
    """A ≤ 0.3·(O + A): with O = 70, A is capped at 30."""
    assert cap_actions(100, 70, 0.3) == pytest.approx(30)
    assert cap_actions(10, 70, 0.3) == 10
    assert cap_actions(50, -10, 0.3) == 0
    assert cap_actions(-20, 70, 0.3) == -20


def test_engine_applies_the_action_cap_for_metered_households() -> None:
    """Metered household with 20 sobriety points: actions capped at 20·3/7; simplified not."""
    season = SeasonSettings(
        start=date(2027, 1, 1),
        end=date(2027, 3, 31),
        challenges=frozenset({Challenge.SOBRIETY, Challenge.ACTIONS}),
    )
    days = {
        d: DayData(day=d, import_kwh=10)
        for n in range(90)
        if (d := date(2026, 1, 1) + timedelta(n))
    } | {
        d: DayData(day=d, import_kwh=9)
        for n in range(31)
        if (d := season.start + timedelta(n))
    }
    actions = [_record("a2", 4), _record("a3", 5), _record("a4", 6)]
    metered = score_household(
        HouseholdInput(profile=HouseholdProfile(), days=days, actions=actions),
        season,
        PeerAggregates(),
        as_of=date(2027, 1, 31),
        catalogue=CATALOGUE,
    )
    assert metered.totals[Challenge.SOBRIETY] == pytest.approx(20)
    assert metered.totals[Challenge.ACTIONS] == pytest.approx(20 * 3 / 7)
    card = next(c for c in metered.cards if c.challenge is Challenge.ACTIONS)
    assert card.factors["uncapped_points"] == 30
    assert card.caps

    simplified = score_household(
        HouseholdInput(
            profile=HouseholdProfile(simplified=True), days=days, actions=actions
        ),
        season,
        PeerAggregates(),
        as_of=date(2027, 1, 31),
        catalogue=CATALOGUE,
    )
    assert simplified.totals[Challenge.ACTIONS] == pytest.approx(30)


def test_team_score_is_the_mean_of_counted_members() -> None:
    """Members under 80 % valid days don't count, unless in simplified mode."""
    members = [
        TeamMember(user_id="a", points=100, valid_day_share=0.9),
        TeamMember(user_id="b", points=50, valid_day_share=0.5),
        TeamMember(user_id="c", points=20, valid_day_share=0.1, simplified=True),
    ]
    score = team_score("t1", members)
    assert score.score == pytest.approx(60)
    assert (score.counted_members, score.members) == (2, 3)
    assert team_score("empty", []).score == 0


def test_ties_go_to_the_team_that_saved_more() -> None:
    """Equal scores rank by kWh saved."""
    a = team_score(
        "a", [TeamMember(user_id="1", points=60, valid_day_share=1, kwh_saved=10)]
    )
    b = team_score(
        "b", [TeamMember(user_id="2", points=60, valid_day_share=1, kwh_saved=20)]
    )
    c = team_score("c", [TeamMember(user_id="3", points=70, valid_day_share=1)])
    assert [t.team_id for t in rank_teams([a, b, c])] == ["c", "b", "a"]


def test_reconciliation_tolerance_and_substitution() -> None:
    """Tolerance max(0.5 kWh, 5 %); beyond it the Enedis value replaces and flags the day."""
    assert tolerance_kwh(4) == 0.5
    assert tolerance_kwh(20) == pytest.approx(1.0)
    local = DayData(
        day=date(2027, 1, 5), import_kwh=10, import_slots=tuple([10 / 48] * 48)
    )
    assert reconcile_day(local, 10.4) is local
    assert reconcile_day(local, None) is local
    replaced = reconcile_day(local, 11)
    assert (replaced.import_kwh, replaced.flagged, replaced.source) == (
        11,
        True,
        "enedis",
    )
    assert replaced.import_slots is None
    missing = reconcile_day(DayData(day=date(2027, 1, 5), import_kwh=None), 9)
    assert (missing.import_kwh, missing.flagged) == (9, False)


def test_review_after_more_than_three_flags_in_fourteen_days() -> None:
    """Four flagged days within 14 days raise the player for review; spread out, not."""
    assert needs_review([date(2027, 1, d) for d in (1, 3, 5, 7)])
    assert needs_review([date(2027, 1, d) for d in (1, 5, 10, 14)])
    assert not needs_review([date(2027, 1, d) for d in (1, 5, 10, 15)])
    assert not needs_review([date(2027, 1, d) for d in (1, 3, 5, 20)])


def test_shipped_catalogue_is_valid_and_seeded_with_the_brief() -> None:
    """The catalogue has the brief's examples, base points by level, fr and en titles."""
    from game_server.rules.catalogue import BASE_POINTS, load_catalogue, load_titles

    catalogue = load_catalogue()
    titles = load_titles()
    for action_id in (
        "heating_19c", "tap_aerators", "defrost_freezer", "switchable_strips",
        "shutters_at_night", "no_air_conditioning", "no_halogen",
        "programmable_thermostat", "hot_fill_appliances", "remove_1kw_appliance",
        "solar_water_heater", "wood_stove", "attic_insulation", "wall_insulation",
    ):  # fmt: skip
        assert action_id in catalogue
        assert titles[action_id]["fr"] and titles[action_id]["en"]
    for action in catalogue.values():
        assert action.malus or action.base_points == BASE_POINTS[action.level]
    assert {a.id for a in catalogue.values() if a.malus} >= {
        "windows_without_walls", "heated_pool", "heating_above_21c"
    }  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    [
        {
            "id": "x",
            "domain": "garden",
            "level": 1,
            "base_points": 10,
            "title": {"fr": "a", "en": "b"},
        },
        {
            "id": "x",
            "domain": "heating",
            "level": 7,
            "base_points": 10,
            "title": {"fr": "a", "en": "b"},
        },
        {
            "id": "x",
            "domain": "heating",
            "level": 1,
            "base_points": 10,
            "title": {"fr": "a"},
        },
        {"id": "x", "domain": "heating", "level": 1},
    ],
)
def test_invalid_catalogue_entries_are_refused(entry: dict[str, object]) -> None:
    """Unknown domain, bad level, missing translation or fields: a clear error."""
    from game_server.rules.catalogue import CatalogueError, parse_catalogue

    with pytest.raises(CatalogueError):
        parse_catalogue({"actions": [entry]})
    ok = {
        "id": "x",
        "domain": "heating",
        "level": 1,
        "base_points": 10,
        "title": {"fr": "a", "en": "b"},
    }
    with pytest.raises(CatalogueError, match="duplicate"):
        parse_catalogue({"actions": [ok, ok]})
