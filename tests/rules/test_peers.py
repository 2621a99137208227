"""Tests for the participants' aggregates (medians) used by the rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from game_server.rules import (
    Challenge,
    DayData,
    HouseholdInput,
    HouseholdProfile,
    SeasonSettings,
    score_household,
)
from game_server.rules.peers import peer_aggregates, team_temperatures

SEASON = SeasonSettings(start=date(2027, 1, 1), end=date(2027, 3, 31))
AS_OF = date(2027, 1, 31)


def _solar(
    kwc: float, production: float, reference_production: float
) -> HouseholdInput:
    """A solar household with constant daily production last year and this season."""
    days = {
        d: DayData(day=d, import_kwh=8, production_kwh=reference_production)
        for n in range(90)
        if (d := date(2026, 1, 1) + timedelta(n))
    } | {
        d: DayData(day=d, import_kwh=8, production_kwh=production)
        for n in range(31)
        if (d := SEASON.start + timedelta(n))
    }
    return HouseholdInput(profile=HouseholdProfile(solar_kwc=kwc), days=days)


def test_median_solar_yield_needs_three_households() -> None:
    """Yields 1, 2, 3 kWh/kWc/day → median 2; reference 1, 1, 1.5 → 1."""
    households = [_solar(2, 2, 2), _solar(3, 6, 3), _solar(1, 3, 1.5)]
    peers = peer_aggregates(households, SEASON, as_of=AS_OF)
    assert peers.solar_yield == {"2027-01": pytest.approx(2)}
    assert peers.reference_solar_yield == {"2027-01": pytest.approx(1)}
    two = peer_aggregates(households[:2], SEASON, as_of=AS_OF)
    assert two.solar_yield == {}
    assert two.reference_solar_yield == {}


def test_segment_median_per_consumption_unit() -> None:
    """Median of daily C/UC by segment: 10/1, 18/1.8 → 10 and the other segment apart."""

    def household(kwh: float, profile: HouseholdProfile) -> HouseholdInput:
        return HouseholdInput(
            profile=profile,
            days={
                d: DayData(day=d, import_kwh=kwh)
                for n in range(31)
                if (d := SEASON.start + timedelta(n))
            },
        )

    peers = peer_aggregates(
        [
            household(10, HouseholdProfile()),
            household(18, HouseholdProfile(adults=2, children=1)),
            household(30, HouseholdProfile(electric_heating=True)),
        ],
        SEASON,
        as_of=AS_OF,
    )
    assert peers.segment_consumption == {
        "2027-01|no_heating/no_hot_water": pytest.approx(10),
        "2027-01|heating/no_hot_water": pytest.approx(30),
    }


def test_team_temperature_median() -> None:
    """The team's median temperature for each day."""
    day = date(2027, 1, 5)
    members = [
        {day: DayData(day=day, import_kwh=1, t_mean_c=t)} for t in (2.0, 4.0, 9.0)
    ] + [{day: DayData(day=day, import_kwh=1)}]
    assert team_temperatures(members) == {day: 4.0}


def test_other_teams_data_only_matters_through_the_medians() -> None:
    """Changing another household's data changes a score only via the peer aggregates."""
    mine = _solar(2, 2, 2)
    others = [_solar(3, 6, 3), _solar(1, 3, 1.5)]
    peers = peer_aggregates([mine, *others], SEASON, as_of=AS_OF)
    settings = SeasonSettings(
        start=SEASON.start, end=SEASON.end, challenges=frozenset({Challenge.PIGGY_BANK})
    )
    before = score_household(mine, settings, peers, as_of=AS_OF)
    # Another household changes its data but the medians stay the same: same score.
    others[1] = _solar(1, 2.5, 1.5)  # yields 1, 2, 2.5: the median stays 2
    same_peers = peer_aggregates([mine, *others], SEASON, as_of=AS_OF)
    assert same_peers.solar_yield == {"2027-01": pytest.approx(2)}
    after = score_household(mine, settings, same_peers, as_of=AS_OF)
    assert [c.as_dict() for c in after.cards] == [c.as_dict() for c in before.cards]
