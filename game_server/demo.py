"""Demo season: teams, players and 60 days of data, so the pages have something to show.

``seed_demo`` fills an empty storage only (it never touches a database holding accounts).
Every record goes through the service layer, so the demo data passes the same validation
as real data. The numbers come from a seeded random generator: the same demo each time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import logging
import math
import random
import uuid

from game_server.models import Mode, Role, Season, User
from game_server.rules.models import PARIS
from game_server.rules.slots import local_half_hours
from game_server.services import GameService, ReadingInput, Registration

LOGGER = logging.getLogger(__name__)
DEMO_PASSWORD = "sunshare-demo"  # noqa: S105
DEMO_DAYS = 60
TEAMS = {
    "Les Watts Heureux": ["amelie", "bruno", "chloe"],
    "Soleil Levant": ["david", "emma", "farid"],
    "Kilowatt Crew": ["gaelle", "hugo", "ines"],
    "Les Sobres": ["jules", "karima", "leo"],
}
SIMPLIFIED = {"chloe", "karima"}
HOME_PLAYER = "amelie"
"""The player whose Home Assistant ``./scripts/demo`` runs: its simulated Linky meter is
a producer, so she has solar panels, and her meter (PRM :data:`HOME_PRM`) is verified,
so the Enedis gateway serves her data."""
HOME_SOLAR_KWC = 3.0
HOME_PRM = "30000000000000"
ACTIONS = ["heating_19c", "tap_aerators", "defrost_freezer", "switchable_strips"]


async def seed_demo(service: GameService, seed: int = 2026) -> bool:
    """Seed the demo season into an empty storage; return whether it did."""
    if await service.storage.list_users():
        LOGGER.info("Demo not seeded: the database already holds accounts")
        return False
    rng = random.Random(seed)
    today = service.today()
    start = today - timedelta(days=DEMO_DAYS)
    admin = await service.register(
        Registration(username="admin", password=DEMO_PASSWORD, display_name="Admin"),
        role=Role.ADMIN,
    )
    season = await service.create_season(
        admin,
        Season(
            name=f"Démo {start.year}-{start.year + 1}",
            start=start,
            end=start + timedelta(days=150),
            team_size_limit=6,
        ),
    )
    catalogue = {a.id for a in await service.storage.list_catalogue()}
    prm_base = 30000000000000
    for team_index, (team_name, names) in enumerate(TEAMS.items()):
        members: list[User] = []
        for member_index, name in enumerate(names):
            solar = rng.choice([0.0, 3.0, 4.5, 6.0]) if name not in SIMPLIFIED else 0.0
            if name == HOME_PLAYER:
                solar = max(solar, HOME_SOLAR_KWC)
            user = await service.register(
                Registration(
                    username=name,
                    password=DEMO_PASSWORD,
                    display_name=name.title(),
                    prm=str(prm_base + team_index * 10 + member_index),
                    mode=Mode.SIMPLIFIED if name in SIMPLIFIED else Mode.FULL,
                    adults=rng.randint(1, 3),
                    children=rng.randint(0, 3),
                    electric_heating=rng.random() < 0.5,
                    electric_hot_water=rng.random() < 0.6,
                    solar_kwc=solar,
                    city=rng.choice(["Lyon", "Grenoble", "Annecy", "Valence"]),
                )
            )
            if name == HOME_PLAYER:
                user = await service.set_prm_verified(admin, user.id, True)
            members.append(user)
        team = await service.create_team(members[0], team_name)
        for user in members[1:]:
            await service.join_team(user, team.invite_code)
        for user in members:
            await _seed_household(service, rng, user, catalogue)
    LOGGER.info("Demo season %s seeded", season.name)
    return True


async def _seed_household(
    service: GameService, rng: random.Random, user: User, catalogue: set[str]
) -> None:
    """Give a household 60 complete days of readings (or indexes), events and actions.

    The last day is yesterday: today is not over (and its evening peak may be ahead).
    """
    first = service.today() - timedelta(days=DEMO_DAYS)
    base = rng.uniform(8, 22) * (1.6 if user.electric_heating else 1.0)
    index = rng.uniform(5000, 40000)
    for offset in range(DEMO_DAYS):
        day = first + timedelta(days=offset)
        t_mean = 8 + 6 * math.sin(offset / 9) + rng.uniform(-2, 2)
        heating = max(0.0, 18 - t_mean) * (0.9 if user.electric_heating else 0.1)
        consumption = max(2.0, base * rng.uniform(0.85, 1.15) + heating)
        if user.mode is Mode.SIMPLIFIED:
            index += consumption
            if day.weekday() == 6:
                await service.record_meter_index(user, day, round(index, 1))
            continue
        production = user.solar_kwc * max(0.0, rng.gauss(1.6, 0.8))
        self_used = min(production, consumption) * rng.uniform(0.4, 0.8)
        slots = _slots(rng, day, consumption - self_used)
        await service.record_reading(
            user,
            day,
            ReadingInput(
                import_kwh=round(sum(s or 0.0 for s in slots), 3),
                export_kwh=round(production - self_used, 3),
                production_kwh=round(production, 3),
                import_slots=slots,
                t_mean_c=round(t_mean, 1),
            ),
        )
        if day.weekday() < 5 and rng.random() < 0.25:
            begin = datetime.combine(day, time(18, rng.choice([0, 15, 30])), PARIS)
            await service.record_shedding_event(
                user,
                event_id=str(uuid.UUID(int=rng.getrandbits(128))),
                start=begin.astimezone(UTC),
                end=(begin + timedelta(minutes=rng.choice([30, 60, 90]))).astimezone(
                    UTC
                ),
                declared_w=rng.choice([1000.0, 1500.0, 2000.0]),
                measured_w=round(rng.uniform(800, 2100)),
            )
    for action_id in rng.sample(ACTIONS, 2):
        if action_id in catalogue:
            await service.declare_action(
                user, action_id, first + timedelta(days=rng.randint(0, DEMO_DAYS - 1))
            )


def _slots(rng: random.Random, day: date, total: float) -> list[float | None]:
    """Spread a day's import over its half-hours with a morning and an evening peak.

    46 or 50 half-hours on clock-change days, shaped by their local time.
    """
    weights = [
        1.0
        + 1.5 * math.exp(-((h - 15) ** 2) / 8)
        + 2.5 * math.exp(-((h - 38) ** 2) / 10)
        for h in local_half_hours(day)
    ]
    weights = [w * rng.uniform(0.8, 1.2) for w in weights]
    scale = max(total, 0.5) / sum(weights)
    slots: list[float | None] = [round(w * scale, 4) for w in weights]
    return slots
