"""The scoring job's mapping of stored models to the rules' inputs, and its medians."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import random

import pytest

from game_server import models
from game_server.rules import Challenge, DayData, HouseholdInput, HouseholdProfile
from game_server.rules.peers import peer_aggregates, team_temperatures
from game_server.scoring_job import (
    aggregates_of,
    catalogue_definitions,
    contribution,
    days_from_indexes,
    household_input,
    season_settings,
    team_temperature,
)

SEASON = models.Season(name="Winter", start=date(2027, 1, 1), end=date(2027, 2, 28))


def test_meter_indexes_spread_over_their_interval() -> None:
    """Two indexes a week apart give seven days of a seventh of the difference each."""
    days = days_from_indexes(
        [
            models.MeterIndex(
                user_id="u",
                day=date(2027, 1, 8),
                import_index_kwh=1070.0,
                export_index_kwh=None,
            ),
            models.MeterIndex(
                user_id="u",
                day=date(2027, 1, 1),
                import_index_kwh=1000.0,
                export_index_kwh=5.0,
            ),
            models.MeterIndex(
                user_id="u",
                day=date(2027, 1, 11),
                import_index_kwh=1100.0,
                export_index_kwh=8.0,
            ),
        ]
    )
    assert sorted(days) == [date(2027, 1, d) for d in range(2, 12)]
    assert days[date(2027, 1, 2)].import_kwh == pytest.approx(10.0)
    assert days[date(2027, 1, 8)].import_kwh == pytest.approx(10.0)
    assert days[date(2027, 1, 8)].export_kwh == 0.0  # no export index on the 8th
    assert days[date(2027, 1, 9)].import_kwh == pytest.approx(10.0)
    assert all(day.source == "index" for day in days.values())
    assert days_from_indexes([]) == {}


def test_readings_win_over_indexes_and_profile_maps() -> None:
    """A stored reading replaces an index-spread day; the profile follows the account."""
    user = models.User(
        username="zoe",
        display_name="Zoé",
        password_hash="x",
        mode=models.Mode.SIMPLIFIED,
        adults=2,
        children=1,
        electric_heating=True,
        solar_kwc=3.0,
    )
    indexes = [
        models.MeterIndex(user_id=user.id, day=date(2027, 1, 1), import_index_kwh=0),
        models.MeterIndex(user_id=user.id, day=date(2027, 1, 3), import_index_kwh=20),
    ]
    reading = models.DailyReading(
        user_id=user.id,
        day=date(2027, 1, 2),
        import_kwh=7.0,
        battery_charge_kwh=None,
        import_slots=[0.1] * 48,
        source=models.ReadingSource.ENEDIS,
    )
    declaration = models.ActionDeclaration(
        user_id=user.id,
        action_id="tap_aerators",
        day=date(2027, 1, 5),
        verification=models.Verification.VERIFIED,
    )
    event = models.SheddingEvent(
        id="e",
        user_id=user.id,
        start=datetime(2027, 1, 4, 18, tzinfo=UTC),
        end=datetime(2027, 1, 4, 19, tzinfo=UTC),
        declared_w=1000,
    )
    household = household_input(
        user, [reading], indexes=indexes, events=[event], declarations=[declaration]
    )
    assert household.days[date(2027, 1, 2)].import_kwh == 7.0
    assert household.days[date(2027, 1, 2)].source == "enedis"
    assert household.days[date(2027, 1, 2)].import_slots == (0.1,) * 48
    assert household.days[date(2027, 1, 3)].import_kwh == 10.0
    assert household.profile == HouseholdProfile(
        adults=2, children=1, electric_heating=True, solar_kwc=3.0, simplified=True
    )
    assert household.actions[0].verification.value == "verified"
    assert household.shedding_events[0].declared_w == 1000


def test_season_settings_follow_the_season() -> None:
    """Peak windows, peak events, challenges and known extra settings are mapped."""
    season = models.Season(
        name="S",
        start=date(2027, 1, 1),
        end=date(2027, 3, 31),
        challenges=["sobriety", "shedding"],
        peak_windows=[models.PeakWindow(start="07:00", end="09:30", months=[1])],
        settings={"action_cap_share": 0.25, "unknown": 1, "peak_windows": "no"},
    )
    peak = models.PeakEvent(
        season_id=season.id,
        start=datetime(2027, 1, 5, 17, tzinfo=UTC),
        end=datetime(2027, 1, 5, 19, tzinfo=UTC),
        multiplier=4.0,
    )
    settings = season_settings(season, [peak])
    assert settings.challenges == {Challenge.SOBRIETY, Challenge.SHEDDING}
    [window] = settings.peak_windows
    assert (window.start, window.end) == (time(7), time(9, 30))
    assert window.months == {1}
    assert window.weekdays == {0, 1, 2, 3, 4}
    assert settings.peak_events[0].multiplier == 4.0
    assert settings.action_cap_share == 0.25
    assert settings.valid_period_share == 0.8


def test_catalogue_definitions() -> None:
    """Stored actions become the rules' definitions."""
    action = models.CatalogueAction(
        id="pool",
        domain="heating",
        level=1,
        base_points=-20,
        title_fr="Piscine chauffée",
        title_en="Heated pool",
    )
    [definition] = catalogue_definitions([action]).values()
    assert definition.malus
    assert definition.level == 1


def _households(count: int) -> list[HouseholdInput]:
    """Return random households (some solar, some heating, some with temperatures)."""
    rng = random.Random(5)
    result = []
    for index in range(count):
        solar = index % 2 == 0
        days = {}
        for offset in range(-380, 40):
            day = date(2027, 1, 1) + timedelta(days=offset)
            if rng.random() < 0.1:
                continue
            days[day] = DayData(
                day=day,
                import_kwh=rng.uniform(3, 15),
                export_kwh=rng.uniform(0, 3) if solar else 0.0,
                production_kwh=rng.uniform(3, 8) if solar else 0.0,
                t_mean_c=rng.uniform(-2, 12) if rng.random() < 0.7 else None,
            )
        profile = HouseholdProfile(
            adults=rng.randint(1, 3),
            electric_heating=index % 3 == 0,
            solar_kwc=3.0 if solar else 0.0,
        )
        result.append(HouseholdInput(profile=profile, days=days))
    return result


def test_medians_from_contributions_equal_the_rules_medians() -> None:
    """Per-household contributions give exactly ``rules.peers`` medians."""
    households = _households(9)
    settings = season_settings(SEASON)
    as_of = date(2027, 2, 5)
    expected = peer_aggregates(households, settings, as_of=as_of)
    shares = [contribution(h, settings, as_of) for h in households]
    got = aggregates_of(reversed(shares))
    assert got.segment_consumption == expected.segment_consumption
    assert got.solar_yield == expected.solar_yield
    assert got.reference_solar_yield == expected.reference_solar_yield
    assert got.solar_yield  # enough solar households for a median
    assert team_temperature(shares[:4]) == team_temperatures(
        h.days for h in households[:4]
    )
