"""The piggy bank's yearly tally and the admin KPIs, on both storage engines.

Every figure is worked out by hand in the tests' docstrings and comments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
import uuid

from aiohttp.test_utils import TestClient, TestServer
import mongomock
import pytest

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.kpis import energy_kpis, quality_group
from game_server.models import (
    ActionDeclaration,
    DailyReading,
    EnedisReading,
    Membership,
    MeterIndex,
    Mode,
    PeakEvent,
    Role,
    ScoreEntry,
    Season,
    SheddingEvent,
    Team,
    User,
    Verification,
)
from game_server.rules.models import PARIS
from game_server.scoring_job import job_for
from game_server.services import GameService
from game_server.storage import Storage
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import SQLiteStorage

from .helpers import add_season, clock, registration


@pytest.fixture(params=["sqlite", "mongomock"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Storage]:
    """Yield an opened, empty storage of each backend."""
    backend: Storage
    if request.param == "sqlite":
        backend = SQLiteStorage(tmp_path / "game.db")
    else:
        backend = MongoStorage(client=mongomock.MongoClient(), database="piggy")
    await backend.open()
    yield backend
    await backend.close()


def service_on(storage: Storage, today: date) -> GameService:
    """Return a service whose clock stands at noon (UTC) on ``today``."""
    now = datetime.combine(today, time(12), UTC)
    return GameService(storage, lambda: now)


async def add_user(storage: Storage, name: str, **profile: Any) -> User:
    """Store an account."""
    user = User(username=name, display_name=name.title(), password_hash="x", **profile)
    await storage.add_user(user)
    return user


async def add_days(
    storage: Storage,
    user: User,
    first: date,
    count: int,
    import_kwh: float,
    *,
    export_kwh: float = 0.0,
    production_kwh: float = 0.0,
) -> None:
    """Store ``count`` days of the same energy from ``first`` on."""
    for n in range(count):
        await storage.upsert_reading(
            DailyReading(
                user_id=user.id,
                day=first + timedelta(days=n),
                import_kwh=import_kwh,
                export_kwh=export_kwh,
                production_kwh=production_kwh,
            )
        )


def piggy_entry(season: Season, user: User, month: str, points: float) -> ScoreEntry:
    """Return a stored piggy-bank result."""
    return ScoreEntry(
        season_id=season.id,
        user_id=user.id,
        challenge="piggy_bank",
        month=month,
        points=points,
    )


def figures(tally: Any) -> tuple[float, float, float, int, float | None]:
    """Return a tally's credit, debit, balance, days and points (rounded)."""
    points = None if tally.points is None else round(tally.points, 6)
    return (
        round(tally.credit_kwh, 6),
        round(tally.debit_kwh, 6),
        round(tally.balance_kwh, 6),
        tally.days,
        points,
    )


# --- the piggy bank per calendar year and per season --------------------------------
async def test_piggy_bank_per_calendar_year_and_season(storage: Storage) -> None:
    """Calendar years spanning several seasons, a season spanning two years.

    Today is 10 December 2026. Seasons:
    - S0 spring 2024 (no data, no points: not listed), S4 summer 2027 (not started);
    - S1 winter 2025-26, 1 Nov 2025 – 31 Mar 2026: spans two calendar years;
    - S2 summer 2026, 1 Jun – 31 Aug 2026, and S3 winter 2026-27, 1 Nov 2026 –
      31 Mar 2027 (the current one): with S1, calendar year 2026 spans three seasons.

    Alice's days (import / export, kWh):
    15/12/2025 10 / 2 (S1) · 10/01/2026 8 / 3 (S1) · 31/03/2026 5 / 6 (S1)
    15/04/2026 4 / 7 (no season) · 01/07/2026 local 2 / 9, certified Enedis import 4:
    beyond tolerance max(0.5, 5 % × 4), the rules count 4 (S2) · 02/07/2026 certified
    Enedis day only, import 3, no export (S2) · 01/12/2026 6 / 1 (S3) · 09/12/2026
    7 / 0.5 (S3).

    Year 2025: credit 2, debit 10, balance −8, 1 day.
    Year 2026: credit 3 + 6 + 7 + 9 + 0 + 1 + 0.5 = 26.5, debit 8 + 5 + 4 + 4 + 3 + 6 + 7
    = 37, balance −10.5, 7 days.
    S1: credit 2 + 3 + 6 = 11, debit 10 + 8 + 5 = 23, balance −12, 3 days (two years).
    S2: credit 9 + 0 = 9, debit 4 + 3 = 7, balance +2, 2 days.
    S3 and December: credit 1 + 0.5 = 1.5, debit 6 + 7 = 13, balance −11.5, 2 days.
    Latest day 09/12/2026: credit 0.5, debit 7, balance −6.5.

    Piggy-bank cards: S1 2025-12 +4, 2026-01 −2.5, 2026-03 +1.5 (S1: 3);
    S2 2026-07 +10; S3 2026-12 −1.25; a sobriety card (20 points) never counts.
    Year 2025: 4; year 2026: −2.5 + 1.5 + 10 − 1.25 = 7.75; December: −1.25.
    """
    service = service_on(storage, date(2026, 12, 10))
    seasons = {
        key: Season(name=name, start=start, end=end)
        for key, name, start, end in (
            ("S0", "Printemps 2024", date(2024, 3, 1), date(2024, 5, 31)),
            ("S1", "Hiver 2025", date(2025, 11, 1), date(2026, 3, 31)),
            ("S2", "Été 2026", date(2026, 6, 1), date(2026, 8, 31)),
            ("S3", "Hiver 2026", date(2026, 11, 1), date(2027, 3, 31)),
            ("S4", "Été 2027", date(2027, 6, 1), date(2027, 8, 31)),
        )
    }
    for season in seasons.values():
        await storage.add_season(season)
    alice = await add_user(storage, "alice", solar_kwc=3.0)
    for day, imported, exported in (
        (date(2025, 12, 15), 10.0, 2.0),
        (date(2026, 1, 10), 8.0, 3.0),
        (date(2026, 3, 31), 5.0, 6.0),
        (date(2026, 4, 15), 4.0, 7.0),
        (date(2026, 7, 1), 2.0, 9.0),
        (date(2026, 12, 1), 6.0, 1.0),
        (date(2026, 12, 9), 7.0, 0.5),
    ):
        await add_days(storage, alice, day, 1, imported, export_kwh=exported)
    await storage.upsert_enedis_reading(
        EnedisReading(user_id=alice.id, day=date(2026, 7, 1), import_kwh=4.0)
    )
    await storage.upsert_enedis_reading(
        EnedisReading(user_id=alice.id, day=date(2026, 7, 2), import_kwh=3.0)
    )
    s1, s2, s3 = seasons["S1"], seasons["S2"], seasons["S3"]
    await storage.replace_scores(
        s1.id,
        alice.id,
        [
            piggy_entry(s1, alice, "2025-12", 4.0),
            piggy_entry(s1, alice, "2026-01", -2.5),
            piggy_entry(s1, alice, "2026-03", 1.5),
        ],
    )
    await storage.replace_scores(
        s2.id, alice.id, [piggy_entry(s2, alice, "2026-07", 10)]
    )
    sobriety = ScoreEntry(
        season_id=s3.id,
        user_id=alice.id,
        challenge="sobriety",
        month="2026-12",
        points=20.0,
    )
    await storage.replace_scores(
        s3.id, alice.id, [piggy_entry(s3, alice, "2026-12", -1.25), sobriety]
    )

    piggy = await service.piggy_bank(alice)
    assert piggy.as_of == date(2026, 12, 10)
    assert piggy.day is not None
    assert (piggy.day.first, figures(piggy.day)) == (
        date(2026, 12, 9),
        (0.5, 7.0, -6.5, 1, None),
    )
    assert figures(piggy.month) == (1.5, 13.0, -11.5, 2, -1.25)
    assert figures(piggy.year) == (26.5, 37.0, -10.5, 7, 7.75)
    assert [(t.first.year, figures(t)) for t in piggy.years] == [
        (2025, (2.0, 10.0, -8.0, 1, 4.0)),
        (2026, (26.5, 37.0, -10.5, 7, 7.75)),
    ]
    assert piggy.season is not None
    assert piggy.season.season.id == s3.id
    assert figures(piggy.season.tally) == (1.5, 13.0, -11.5, 2, -1.25)
    assert [(s.season.name, figures(s.tally)) for s in piggy.seasons] == [
        ("Hiver 2025", (11.0, 23.0, -12.0, 3, 3.0)),
        ("Été 2026", (9.0, 7.0, 2.0, 2, 10.0)),
        ("Hiver 2026", (1.5, 13.0, -11.5, 2, -1.25)),
    ]
    document = piggy.as_dict()
    assert document["year"] == {
        "year": 2026,
        "first": "2026-01-01",
        "last": "2026-12-10",
        "credit_kwh": 26.5,
        "debit_kwh": 37.0,
        "balance_kwh": -10.5,
        "days": 7,
        "points": 7.75,
    }
    assert document["month"]["month"] == "2026-12"
    assert [(y["year"], y["last"]) for y in document["years"]] == [
        (2025, "2025-12-31"),
        (2026, "2026-12-10"),
    ]
    assert document["seasons"][0] | {"season_id": "-"} == {
        "season_id": "-",
        "name": "Hiver 2025",
        "start": "2025-11-01",
        "end": "2026-03-31",
        "first": "2025-11-01",
        "last": "2026-03-31",
        "credit_kwh": 11.0,
        "debit_kwh": 23.0,
        "balance_kwh": -12.0,
        "days": 3,
        "points": 3.0,
    }
    assert document["season"]["last"] == "2026-12-10"


async def test_piggy_bank_of_a_simplified_household(storage: Storage) -> None:
    """Meter indexes count like the rules spread them.

    Indexes 1,000 kWh on 1 Dec 2026 and 1,020 kWh on 5 Dec: (1020 − 1000) / 4 = 5 kWh on
    each of 2–5 Dec, no export index: debit 20, credit 0, balance −20, 4 days; no card.
    """
    service = service_on(storage, date(2026, 12, 10))
    await add_season(service)
    bob = await add_user(storage, "bob", mode=Mode.SIMPLIFIED)
    for day, index in ((date(2026, 12, 1), 1000.0), (date(2026, 12, 5), 1020.0)):
        await storage.upsert_meter_index(
            MeterIndex(user_id=bob.id, day=day, import_index_kwh=index)
        )
    piggy = await service.piggy_bank(bob)
    assert piggy.day is not None
    assert (piggy.day.first, figures(piggy.day)) == (
        date(2026, 12, 5),
        (0.0, 5.0, -5.0, 1, None),
    )
    for tally in (piggy.month, piggy.year, piggy.years[0], piggy.seasons[0].tally):
        assert figures(tally) == (0.0, 20.0, -20.0, 4, None)
    assert len(piggy.years) == len(piggy.seasons) == 1
    # Nothing at all: an empty piggy bank, honest about it.
    carol = await add_user(storage, "carol")
    empty = await service.piggy_bank(carol)
    assert empty.day is None
    assert figures(empty.year) == (0.0, 0.0, 0.0, 0, None)
    assert empty.years == empty.seasons == []
    assert empty.season is not None
    assert empty.season.tally.days == 0


async def test_piggy_bank_api(tmp_path: Path) -> None:
    """``GET /me/piggy-bank``: today 23 Nov 2026, season Winter 2026 (Nov–Mar).

    Days: 20/11/2025 import 3, export 1; 20/11/2026 10 / 2; 22/11/2026 8 / 5.5.
    Piggy-bank card 2026-11: 42 points.
    Latest day: credit 5.5, debit 8, balance −2.5. November, 2026 and the season:
    credit 7.5, debit 18, balance −10.5, 2 days, 42 points. 2025: 1 / 3 / −2, 1 day.
    """
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        service: GameService = app[SERVICE_KEY]
        season = await add_season(service)
        user = await service.register(registration("alice"))
        _token, secret = await service.issue_token(user, "HA")
        for day, imported, exported in (
            (date(2025, 11, 20), 3.0, 1.0),
            (date(2026, 11, 20), 10.0, 2.0),
            (date(2026, 11, 22), 8.0, 5.5),
        ):
            await add_days(service.storage, user, day, 1, imported, export_kwh=exported)
        await service.storage.replace_scores(
            season.id, user.id, [piggy_entry(season, user, "2026-11", 42.0)]
        )
        response = await client.get("/api/v1/me/piggy-bank")
        assert response.status == 401
        response = await client.get(
            "/api/v1/me/piggy-bank", headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status == 200
        body = await response.json()
    assert body["as_of"] == "2026-11-23"
    assert body["day"] == {
        "first": "2026-11-22",
        "last": "2026-11-22",
        "credit_kwh": 5.5,
        "debit_kwh": 8.0,
        "balance_kwh": -2.5,
        "days": 1,
        "points": None,
    }
    expected = {"credit_kwh": 7.5, "debit_kwh": 18.0, "balance_kwh": -10.5}
    for block in (body["month"], body["year"], body["season"]):
        assert block | expected == block
        assert (block["days"], block["points"]) == (2, 42.0)
    assert body["month"]["month"] == "2026-11"
    assert body["season"]["name"] == "Winter 2026"
    assert [(y["year"], y["balance_kwh"], y["points"]) for y in body["years"]] == [
        (2025, -2.0, None),
        (2026, -10.5, 42.0),
    ]
    assert [s["season_id"] for s in body["seasons"]] == [season.id]


async def test_openapi_documents_the_piggy_bank(tmp_path: Path) -> None:
    """The OpenAPI document lists the route with its blocks."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=False))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        doc = await (await client.get("/api/v1/openapi.json")).json()
    operation = doc["paths"]["/api/v1/me/piggy-bank"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {
        "as_of",
        "day",
        "month",
        "year",
        "season",
        "years",
        "seasons",
    }
    assert "credit_kwh" in schema["properties"]["year"]["properties"]
    assert "401" in operation["responses"]


# --- admin KPIs ---------------------------------------------------------------------
def _paris(day: date, hour: int, minute: int = 0) -> datetime:
    """Return a Paris local time as UTC."""
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(UTC)


async def _event(
    storage: Storage,
    user: User,
    start: datetime,
    end: datetime,
    *,
    declared_w: float,
    measured_w: float | None,
) -> None:
    """Store a shedding event."""
    await storage.add_shedding_event(
        SheddingEvent(
            id=str(uuid.uuid4()),
            user_id=user.id,
            start=start,
            end=end,
            declared_w=declared_w,
            measured_w=measured_w,
        )
    )


async def test_admin_kpis_from_the_stored_cards(storage: Storage) -> None:
    """Every KPI of a small season, after the scoring job stored its cards.

    A one-week season, 1–7 Feb 2027 (today 8 Feb: scored as of 7 Feb), CO₂ factor
    0.1 kg/kWh (season setting). Short references: the 28 days before the season (no
    data a year earlier), no temperature: Ĉ = mean reference day × valid days.

    Households (team):
    - Alice (Soleil, captain; PRM verified): reference 10 kWh/day; season 7 days of
      9 kWh, but 3 Feb is certified 12 by Enedis (flagged: 1 day) → C = 6 × 9 + 12 = 66,
      Ĉ = 10 × 7 = 70: saved 4. 7/7 valid days: good.
    - Bob (Soleil): reference 12; 4 days of 13 (1–4 Feb): 4/7 = 57 % valid, under the
      80 % of a counted month: his sobriety card does not count; data: partial.
    - Carol (Lune; solar 3 kWc): reference import 6, production 4, export 2 → C_ref 8;
      6 days (1–6 Feb) of import 5.5, production 4, export 2 → C = 6 × 7.5 = 45,
      Ĉ = 8 × 6 = 48: saved 3. 6/7 = 86 %: good. Her piggy bank: credit 12, debit 33,
      PB = 0.25 × 12 − 33 = −30, PB_ref* = 0.25 × 12 − 36 × 48/48 = −33, points
      10 × 3 / 1 UC = 30.
    - Dave (Lune): disabled: reference 20, 7 days of 10 (would save 70) — left out.
    - Eve (Étoile): 2 days (1–2 Feb) of 7 kWh, no reference: 2/7 = 29 %: poor.
    - Frank (Étoile, simplified): one meter index on 5 Feb (no day to spread): active,
      no valid day: none. George (Nuage, PRM verified): nothing: none, inactive.

    kWh saved 4 + 3 = 7 → CO₂ avoided 7 × 0.1 = 0.7 kg. Households 6 (Dave disabled).
    Shedding (peak window weekdays 18:00–20:00; announced peak Thu 4 Feb 12:00–13:00
    × 2):
    - Alice Tue 2 Feb 19:00–20:30, 2 kW declared, 2.1 kW measured: P 2 kW, 3 kWh, of
      which 19:00–20:00 at peak: 2 kWh;
    - Carol Sat 6 Feb 18:00–19:00, 3 kW declared, unmeasured: P 1.5 kW, 1.5 kWh, weekend:
      0 at peak;
    - Carol Thu 4 Feb 12:30–13:30, 1 kW: 1 kWh, 12:30–13:00 at peak: 0.5 kWh;
    - Bob Wed 3 Feb 19:00–19:10: under 15 minutes, ignored;
    - Dave Mon 1 Feb 18:00–20:00, 3 kW: disabled, left out;
    - Alice 20 Jan: before the season.
    Shed 3 + 1.5 + 1 = 5.5 kWh, at peak 2 + 0.5 = 2.5 kWh (declared power × time would
    say 3.15 + 3 + 1 + 0.33 + 6 = 13.5). Events reported in the season: 5.
    Actions in the season: Alice 2 (one confirmed by the captain), Carol 1 (sensor),
    Bob 1 → 4 declared, 2 confirmed (Alice's action of 20 Jan is before the season).
    Players: 7 (the admin is not one), active since 1 Feb: all but George → 6;
    verified 2, simplified 1, disabled 1. Teams 4, active 3 (not Nuage).
    """
    today = date(2027, 2, 8)
    service = service_on(storage, today)
    start = date(2027, 2, 1)
    season = Season(
        name="Février 2027",
        start=start,
        end=date(2027, 2, 7),
        settings={"co2_kg_per_kwh": 0.1},
    )
    await storage.add_season(season)
    await service.seed_catalogue()
    await add_user(storage, "root", role=Role.ADMIN)
    alice = await add_user(storage, "alice", prm="11111111111111", prm_verified=True)
    bob = await add_user(storage, "bob")
    carol = await add_user(storage, "carol", solar_kwc=3.0)
    dave = await add_user(storage, "dave", disabled=True)
    eve = await add_user(storage, "eve")
    frank = await add_user(storage, "frank", mode=Mode.SIMPLIFIED)
    george = await add_user(storage, "george", prm="22222222222222", prm_verified=True)
    for name, members in (
        ("Soleil", (alice, bob)),
        ("Lune", (carol, dave)),
        ("Étoile", (eve, frank)),
        ("Nuage", (george,)),
    ):
        team = Team(
            name=name,
            invite_code=name.upper(),
            captain_id=members[0].id,
            season_id=season.id,
        )
        await storage.add_team(team)
        for member in members:
            await storage.add_membership(
                Membership(team_id=team.id, user_id=member.id, season_id=season.id)
            )
    reference = start - timedelta(days=28)
    await add_days(storage, alice, reference, 28, 10.0)
    await add_days(storage, alice, start, 7, 9.0)
    await storage.upsert_enedis_reading(
        EnedisReading(user_id=alice.id, day=date(2027, 2, 3), import_kwh=12.0)
    )
    await add_days(storage, bob, reference, 28, 12.0)
    await add_days(storage, bob, start, 4, 13.0)
    await add_days(storage, carol, reference, 28, 6.0, export_kwh=2, production_kwh=4)
    await add_days(storage, carol, start, 6, 5.5, export_kwh=2, production_kwh=4)
    await add_days(storage, dave, reference, 28, 20.0)
    await add_days(storage, dave, start, 7, 10.0)
    await add_days(storage, eve, start, 2, 7.0)
    await storage.upsert_meter_index(
        MeterIndex(user_id=frank.id, day=date(2027, 2, 5), import_index_kwh=5000)
    )
    await storage.add_peak_event(
        PeakEvent(
            season_id=season.id,
            start=_paris(date(2027, 2, 4), 12),
            end=_paris(date(2027, 2, 4), 13),
            multiplier=2.0,
        )
    )
    for user, day, (h0, m0), (h1, m1), declared, measured in (
        (alice, date(2027, 2, 2), (19, 0), (20, 30), 2000, 2100),
        (alice, date(2027, 1, 20), (19, 0), (20, 0), 1000, 1000),
        (carol, date(2027, 2, 6), (18, 0), (19, 0), 3000, None),
        (carol, date(2027, 2, 4), (12, 30), (13, 30), 1000, 1000),
        (bob, date(2027, 2, 3), (19, 0), (19, 10), 2000, 2000),
        (dave, date(2027, 2, 1), (18, 0), (20, 0), 3000, 3000),
    ):
        await _event(
            storage,
            user,
            _paris(day, h0, m0),
            _paris(day, h1, m1),
            declared_w=declared,
            measured_w=measured,
        )
    for user, action, day, verification in (
        (alice, "tap_aerators", date(2027, 2, 2), Verification.VERIFIED),
        (alice, "defrost_freezer", date(2027, 2, 3), Verification.SELF),
        (carol, "no_halogen", date(2027, 2, 4), Verification.SENSOR),
        (bob, "switchable_strips", date(2027, 2, 5), Verification.SELF),
        (alice, "led_lighting", date(2027, 1, 20), Verification.VERIFIED),
    ):
        await storage.add_action_declaration(
            ActionDeclaration(
                user_id=user.id, action_id=action, day=day, verification=verification
            )
        )

    counters = {
        "players": 7,
        "players_active_7d": 6,
        "players_verified": 2,
        "players_simplified": 1,
        "players_disabled": 1,
        "teams": 4,
        "teams_active_7d": 3,
        "actions_declared": 4,
        "actions_verified": 2,
        "shedding_events": 5,
        "households": 6,
        "co2_kg_per_kwh": 0.1,
        "valid_period_share": 0.8,
    }
    # Before the scoring job: no card, no energy figure.
    before = await service.kpis(season)
    assert before | counters == before
    assert before["scores_computed"] is False
    assert (before["kwh_saved"], before["shedding_kwh"]) == (0, 0)
    assert before["data_quality"] == {"good": 0, "partial": 0, "poor": 0, "none": 6}

    await job_for(storage).recompute_all(today)
    kpis = await service.kpis(season)
    assert kpis | counters == kpis
    assert kpis["scores_computed"] is True
    assert kpis["kwh_saved"] == pytest.approx(7)
    assert kpis["co2_avoided_kg"] == pytest.approx(0.7)
    assert kpis["shedding_kwh"] == pytest.approx(5.5)
    assert kpis["shedding_peak_kwh"] == pytest.approx(2.5)
    assert kpis["data_quality"] == {"good": 2, "partial": 1, "poor": 1, "none": 2}
    assert kpis["flagged_days"] == 1
    assert "shedding_kwh_reported" not in kpis

    # The same season seen by the players: the piggy bank's season tally is the sum of
    # the month cards' factors, with their points.
    for user, credit, debit, points in ((carol, 12, 33, 30), (alice, 0, 66, 0)):
        [card] = await storage.list_scores(season.id, user.id, "piggy_bank")
        factors = card.card["factors"]
        assert (factors["credit_kwh"], factors["debit_kwh"]) == (credit, debit)
        piggy = await service.piggy_bank(user)
        assert piggy.season is not None
        assert figures(piggy.season.tally) == (
            credit,
            debit,
            credit - debit,
            6 if user is carol else 7,
            points,
        )
    [shedding] = await storage.list_scores(season.id, carol.id, "shedding")
    assert shedding.card["factors"]["shed_kwh"] == pytest.approx(2.5)
    assert shedding.card["factors"]["peak_kwh"] == pytest.approx(0.5)
    # Without a season, the counters still answer (all teams, every action), with the
    # rules' default CO₂ factor and no energy figure.
    without = await service.kpis(None)
    assert (without["actions_declared"], without["teams"]) == (5, 4)
    assert (without["co2_kg_per_kwh"], without["kwh_saved"]) == (0.052, 0)


# --- the card aggregation, case by case ----------------------------------------------
def _card(
    user: str, challenge: str, *, month: str = "2027-01", **card: Any
) -> ScoreEntry:
    """Return a stored card."""
    return ScoreEntry(
        season_id="s",
        user_id=user,
        challenge=challenge,
        month=month,
        points=0.0,
        card=card,
    )


def test_energy_kpis_case_by_case() -> None:
    """Hand-built cards of households a, b, c (x is not a participant).

    - Sobriety: a eligible 100 − 90 = +10; b eligible 50 − 55 = −5; c not eligible
      (its factors ignored); x eligible +1000 (not a participant) → 10 − 5 = 5.
    - Shedding: a counts 3 (peak 2) and 1.5 (an older card without ``peak_kwh``: 0 at
      peak), its ignored 0.333 is left out; b 2 kWh, peak 1 → 6.5 kWh, 3 at peak.
    - Quality: a January 31/31 from its sobriety card, and its piggy-bank card of the
      same month shortened by an equipment change (10/14) is not the month's figure;
      February 20/28 → a: 51/59 = 86 % good. b: 15/31 = 48 % poor, one flagged day on
      each of its January cards (counted once). c: 16/31 = 52 % partial. d (no card):
      none.
    """
    full_month = {"valid_days": 31, "period_days": 31}
    entries = [
        _card(
            "a",
            "sobriety",
            eligible=True,
            factors={"expected_kwh": 100.0, "consumption_kwh": 90.0},
            data_quality=full_month,
        ),
        _card(
            "a",
            "piggy_bank",
            data_quality={"valid_days": 10, "period_days": 14},
        ),
        _card(
            "a",
            "sobriety",
            month="2027-02",
            eligible=False,
            data_quality={"valid_days": 20, "period_days": 28},
        ),
        _card(
            "b",
            "sobriety",
            eligible=True,
            factors={"expected_kwh": 50, "consumption_kwh": 55},
            data_quality={
                "valid_days": 15,
                "period_days": 31,
                "flagged_days": [{"day": "2027-01-03"}],
            },
        ),
        _card(
            "b",
            "piggy_bank",
            data_quality={
                "valid_days": 15,
                "period_days": 31,
                "flagged_days": [{"day": "2027-01-03"}],
            },
        ),
        _card(
            "c",
            "sobriety",
            eligible=False,
            factors={"expected_kwh": 10, "consumption_kwh": 0},
            data_quality={"valid_days": 16, "period_days": 31},
        ),
        _card(
            "x",
            "sobriety",
            eligible=True,
            factors={"expected_kwh": 1000, "consumption_kwh": 0},
            data_quality=full_month,
        ),
        _card(
            "a",
            "shedding",
            factors={
                "events": [
                    {"raw_kwh": 3.0, "peak_kwh": 2.0, "ignored": None},
                    {"raw_kwh": 1.5, "ignored": None},
                    {"raw_kwh": 0.333, "peak_kwh": 0.333, "ignored": "too small"},
                    "not an event",
                ]
            },
        ),
        _card("b", "shedding", factors={"events": [{"raw_kwh": 2, "peak_kwh": 1}]}),
        _card("c", "shedding", factors={"events": "broken"}),
        _card("c", "actions", factors={"lines": []}),
    ]
    result = energy_kpis(entries, {"a", "b", "c", "d"})
    assert result.households == 4
    assert result.kwh_saved == pytest.approx(5)
    assert result.shed_kwh == pytest.approx(6.5)
    assert result.shed_peak_kwh == pytest.approx(3)
    assert result.quality == {"good": 1, "partial": 1, "poor": 1, "none": 1}
    assert result.flagged_days == 1
    assert energy_kpis([], ()).quality == dict.fromkeys(
        ("good", "partial", "poor", "none"), 0
    )


def test_quality_groups() -> None:
    """The season's valid period share (80 % by default) separates good from partial."""
    assert quality_group(0.8, 0.8) == "good"
    assert quality_group(0.79, 0.8) == "partial"
    assert quality_group(0.5, 0.8) == "partial"
    assert quality_group(0.49, 0.8) == "poor"
    assert quality_group(0.01, 0.8) == "poor"
    assert quality_group(0.0, 0.8) == "none"
    assert quality_group(0.7, 0.6) == "good"
