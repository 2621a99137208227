"""Equipment changes and certified Enedis days, through the service and the scoring job.

A sobriety-only season from 1 January 2027, scored on 20 February (as of the 19th); no
temperatures, so the expected consumption is the reference's mean daily consumption
(short reference: the 28 days before the season, 4–31 December). Hand-computed values:

- Reference 4 December at 30 kWh, 5–31 December at 12 kWh → mean 354/28 = 12.642857;
  season days at 11.4 kWh → S = 100·(12.642857 − 11.4)/12.642857 = 9.830508 %,
  points = 2·S = 19.661017 per month.
- Heat pump declared on 5 December (inside the reference): the reference restarts on
  that day → 27 days at 12 kWh, mean 12 → S = 100·0.6/12 = 5 % → 10 points per month.
- Heat pump declared on 10 February (in the season): January keeps its points against
  the whole reference, February stops counting (``equipment_change``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from game_server.models import Season, User
from game_server.rules.reconcile import needs_review
from game_server.scoring_job import ScoringJob, job_for
from game_server.services import GameService, ReadingInput, Registration
from game_server.storage.sqlite import SQLiteStorage

NOW = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)
TODAY = date(2027, 2, 20)
START = date(2027, 1, 1)
DEC4 = date(2026, 12, 4)
PASSWORD = "correct horse battery"
NO_CHANGE = 2 * 100 * (354 / 28 - 11.4) / (354 / 28)


def clock() -> datetime:
    """Return the tests' fixed now."""
    return NOW


def days(first: date, last: date) -> list[date]:
    """Return the days from first to last inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Game:
    """A service over SQLite with a sobriety season and a team to join."""

    service: GameService
    season: Season
    invite: str

    @property
    def job(self) -> ScoringJob:
        """Return the storage's scoring job (the one the service marks dirty)."""
        return job_for(self.service.storage)

    async def player(self, name: str) -> User:
        """Register a player in the season's team."""
        user = await self.service.register(
            Registration(username=name, password=PASSWORD, display_name=name.title())
        )
        await self.service.join_team(user, self.invite)
        return user

    async def send(self, user: User, day: date, kwh: float) -> None:
        """Store a household's day as the integration sends it."""
        await self.service.record_reading(user, day, ReadingInput(import_kwh=kwh))

    async def history(self, user: User) -> None:
        """Send the reference (30 kWh then 12 kWh a day) and the season (11.4)."""
        await self.send(user, DEC4, 30.0)
        for day in days(DEC4 + timedelta(days=1), date(2026, 12, 31)):
            await self.send(user, day, 12.0)
        for day in days(START, TODAY - timedelta(days=1)):
            await self.send(user, day, 11.4)

    async def cards(self, user: User) -> dict[str, dict[str, Any]]:
        """Return the user's stored sobriety cards by month, with their points."""
        entries = await self.service.storage.list_scores(self.season.id, user.id)
        return {e.month: {**e.card, "points": e.points} for e in entries}


@pytest.fixture
async def game(tmp_path: Path) -> AsyncIterator[Game]:
    """Yield the game on a real SQLite file."""
    storage = SQLiteStorage(tmp_path / "game.db")
    await storage.open()
    service = GameService(storage, clock)
    season = await service.create_season(
        None,
        Season(
            name="Winter", start=START, end=date(2027, 3, 31), challenges=["sobriety"]
        ),
    )
    captain = await service.register(
        Registration(username="captain", password=PASSWORD, display_name="Captain")
    )
    team = await service.create_team(captain, "Team")
    yield Game(service, season, team.invite_code)
    await storage.close()


async def test_heat_pump_in_the_reference_rebaselines(game: Game) -> None:
    """A heat pump declared in the reference restarts it on its day (hand-computed)."""
    dave = await game.player("dave")
    await game.history(dave)
    await game.job.recompute_all(TODAY)
    before = await game.cards(dave)
    assert before["2027-01"]["points"] == pytest.approx(NO_CHANGE, abs=1e-4)
    assert before["2027-02"]["points"] == pytest.approx(NO_CHANGE, abs=1e-4)
    assert before["2027-01"]["reference"]["days"] == 28

    change, created = await game.service.add_equipment_change(
        dave, "heat_pump", DEC4 + timedelta(days=1), "air-water"
    )
    assert created and change.note == "air-water"
    assert game.job.dirty == {dave.id: {"2026-12"}}
    [report] = await game.job.recompute_dirty(TODAY)
    assert report.full is False and report.recomputed == {dave.id}
    after = await game.cards(dave)
    for month in ("2027-01", "2027-02"):
        card = after[month]
        assert card["points"] == pytest.approx(10.0)
        assert card["factors"]["reduction_pct"] == pytest.approx(5.0)
        assert card["reference"]["days"] == 27
        assert card["reference"]["first"] == "2026-12-05"
        assert card["reference"]["equipment_change"] == {
            "kind": "heat_pump",
            "day": "2026-12-05",
            "effect": "rebased",
        }

    # Withdrawing it restores the whole reference.
    await game.service.remove_equipment_change(dave, "heat_pump", date(2026, 12, 5))
    await game.job.recompute_dirty(TODAY)
    restored = await game.cards(dave)
    assert restored["2027-01"]["points"] == pytest.approx(NO_CHANGE, abs=1e-4)
    assert "equipment_change" not in restored["2027-01"]["reference"]


async def test_heat_pump_mid_season_stops_the_challenge(game: Game) -> None:
    """A heat pump in the season: earlier months count, later ones are excluded."""
    erin = await game.player("erin")
    await game.history(erin)
    await game.service.add_equipment_change(erin, "heat_pump", date(2027, 2, 10))
    await game.job.recompute_all(TODAY)
    cards = await game.cards(erin)
    january, february = cards["2027-01"], cards["2027-02"]
    assert january["points"] == pytest.approx(NO_CHANGE, abs=1e-4)
    assert january["eligible"] is True
    assert "equipment_change" not in january["reference"]
    assert february["points"] == 0.0
    assert (february["eligible"], february["reason"]) == (False, "equipment_change")
    assert february["reference"]["equipment_change"] == {
        "kind": "heat_pump",
        "day": "2027-02-10",
        "effect": "excluded",
    }
    # Solar panels do not affect sobriety: nothing changes for it.
    await game.service.remove_equipment_change(erin, "heat_pump", date(2027, 2, 10))
    await game.service.add_equipment_change(erin, "pv", date(2027, 2, 10))
    await game.job.recompute_dirty(TODAY)
    cards = await game.cards(erin)
    assert cards["2027-02"]["points"] == pytest.approx(NO_CHANGE, abs=1e-4)
    assert "equipment_change" not in cards["2027-02"]["reference"]


async def _season_with_flags(game: Game, user: User, enedis_first: bool) -> None:
    """Send the history and certified January days, in either order.

    Certified days equal the local ones except 10 January (local 10.6, within
    tolerance of 11.0) and 20–21 January (local 5.0, Enedis 11.4: flagged).
    """
    certified = dict.fromkeys(days(date(2027, 1, 5), date(2027, 1, 25)), 11.4)
    certified[date(2027, 1, 10)] = 11.0
    local_changes = {
        date(2027, 1, 10): 10.6,
        date(2027, 1, 20): 5.0,
        date(2027, 1, 21): 5.0,
    }

    async def certify() -> None:
        for day, kwh in certified.items():
            await game.service.record_enedis_reading(user, day, kwh)

    if enedis_first:
        await certify()
    await game.history(user)
    for day, kwh in local_changes.items():
        await game.send(user, day, kwh)
    if not enedis_first:
        await certify()


async def test_enedis_days_reconciled_whatever_the_order(game: Game) -> None:
    """Within tolerance the local value counts; beyond, Enedis counts and is shown."""
    local_first = await game.player("frank")
    enedis_first = await game.player("grace")
    await _season_with_flags(game, local_first, enedis_first=False)
    await _season_with_flags(game, enedis_first, enedis_first=True)
    await game.job.recompute_all(TODAY)
    first, second = await game.cards(local_first), await game.cards(enedis_first)
    january = first["2027-01"]
    # Scored January: 10 January local (10.6), 20–21 January Enedis (11.4), others
    # 11.4 → C = 30·11.4 − 0.8 = 341.2 against Ĉ = 31·354/28.
    expected = 31 * 354 / 28
    points = 2 * 100 * (expected - (31 * 11.4 - 0.8)) / expected
    assert january["points"] == pytest.approx(points, abs=1e-4)
    assert january["data_quality"]["flagged_days"] == [
        {"day": "2027-01-20", "local_kwh": 5.0, "enedis_kwh": 11.4},
        {"day": "2027-01-21", "local_kwh": 5.0, "enedis_kwh": 11.4},
    ]
    assert "flagged_days" not in first["2027-02"]["data_quality"]
    assert first == second
    # Both values stay stored: the local day is untouched, Enedis kept beside it.
    storage = game.service.storage
    for user in (local_first, enedis_first):
        local = await storage.get_reading(user.id, date(2027, 1, 20))
        assert local is not None and local.import_kwh == 5.0
        [certified] = await storage.list_enedis_readings(
            user.id, date(2027, 1, 20), date(2027, 1, 20)
        )
        assert certified.import_kwh == 11.4


async def test_resending_the_local_day_keeps_the_enedis_value(game: Game) -> None:
    """A later local upload neither erases nor changes the certified value."""
    hank = await game.player("hank")
    day = date(2027, 1, 12)
    stored, changed = await game.service.record_enedis_reading(hank, day, 9.0)
    assert changed and stored.fetched_at == NOW
    await game.send(hank, day, 15.0)
    await game.send(hank, day, 16.0)
    [certified] = await game.service.storage.list_enedis_readings(hank.id)
    assert (certified.day, certified.import_kwh) == (day, 9.0)
    again, changed = await game.service.record_enedis_reading(hank, day, 9.0)
    assert not changed and again == certified
    status = await game.service.review_status(hank.id, date(2027, 1, 20))
    assert [f.day for f in status[hank.id].flagged] == [day]
    assert status[hank.id].flagged[0].local_kwh == 16.0


async def test_review_after_four_flagged_days_in_fourteen(game: Game) -> None:
    """Three flagged days in 14 are fine; a fourth calls for a review."""
    ivy = await game.player("ivy")
    bad = [date(2027, 2, 1), date(2027, 2, 5), date(2027, 2, 9), date(2027, 2, 14)]
    for day in bad[:3]:
        await game.send(ivy, day, 20.0)
        await game.service.record_enedis_reading(ivy, day, 10.0)
    # Within tolerance (0.5 kWh for small days): not flagged.
    await game.send(ivy, date(2027, 2, 2), 1.4)
    await game.service.record_enedis_reading(ivy, date(2027, 2, 2), 1.0)
    status = (await game.service.review_status())[ivy.id]
    assert [f.day for f in status.flagged] == bad[:3]
    assert status.needs_review is False
    await game.service.record_enedis_reading(ivy, bad[3], 10.0)
    await game.send(ivy, bad[3], 2.0)
    status = (await game.service.review_status())[ivy.id]
    assert [f.day for f in status.flagged] == bad
    assert status.needs_review is True
    assert needs_review(f.day for f in status.flagged)
    # Flagged days further apart than 14 days do not count together.
    assert not needs_review([*bad[:3], bad[0] + timedelta(days=14)])
