"""The dashboard's piggy bank per year and season, and the admin page's KPIs."""

from __future__ import annotations

from datetime import date
import re
from typing import Any

from game_server.models import DailyReading, ScoreEntry
from game_server.services import GameService, Registration

from .conftest import PASSWORD, MakeBrowser

_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """Return the cells' texts of a table's rows (header included)."""
    start = html.index(f'id="{table_id}"')
    table = html[start : html.index("</table>", start)]
    return [
        [cell.strip() for cell in _CELL.findall(row)] for row in _ROW.findall(table)
    ]


def stat(html: str, key: str) -> str:
    """Return the value shown by an admin KPI card."""
    match = re.search(rf'id="kpi-{key}"><span class="value">([^<]*)</span>', html)
    assert match, key
    return match.group(1)


async def test_dashboard_piggy_bank_per_year_and_season(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """Today 23 Nov 2026, season Hiver 2026 (1 Nov 2026 – 31 Mar 2027).

    Days: 20/11/2025 import 3, export 1; 20/11/2026 10 / 2; 22/11/2026 8 / 5.5;
    piggy-bank card 2026-11: 42 points.
    This year (2026) and the season: −18.0 / +7.5 kWh, balance −10.5, 2 days, 42 points.
    Year 2025: +1.0 / −3.0, balance −2.0, 1 day, no card.
    """
    browser = await make_browser()
    await browser.get("/register")
    form = {
        "username": "alice",
        "display_name": "Alice",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "mode": "full",
        "adults": "1",
        "children": "0",
        "solar_kwc": "3",
    }
    status, _text = await browser.post("/register", form)
    assert status == 200
    user = await service.storage.get_user_by_username("alice")
    assert user is not None
    for day, imported, exported in (
        (date(2025, 11, 20), 3.0, 1.0),
        (date(2026, 11, 20), 10.0, 2.0),
        (date(2026, 11, 22), 8.0, 5.5),
    ):
        await service.storage.upsert_reading(
            DailyReading(
                user_id=user.id, day=day, import_kwh=imported, export_kwh=exported
            )
        )
    season = await service.current_season()
    assert season is not None
    await service.storage.replace_scores(
        season.id,
        user.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=user.id,
                challenge="piggy_bank",
                month="2026-11",
                points=42.0,
            )
        ],
    )
    status, text = await browser.get("/dashboard")
    assert status == 200
    year = text[text.index('id="piggy-year"') :]
    year = year[: year.index("</div>\n    </div>")]
    assert "Cette année" in year
    assert "-10,5 kWh" in year
    assert "−18,0 / +7,5 kWh · 2 j" in year
    assert "42,00 pts" in year
    head = ["Période", "Injecté (kWh)", "Soutiré (kWh)", "Solde (kWh)", "Jours"]
    this_year = ["+7,5", "−18,0", "-10,5", "2", "42,00"]
    assert table_rows(text, "piggy-history") == [
        [*head, "Points tirelire"],
        ["Année 2025", "+1,0", "−3,0", "-2,0", "1", "—"],
        ["Année 2026", *this_year],
        ["Saison Hiver 2026 (01/11/2026 – 31/03/2027)", *this_year],
    ]
    await browser.get("/lang/en?next=/dashboard")
    status, text = await browser.get("/dashboard")
    assert "This year" in text
    assert table_rows(text, "piggy-history")[1][0] == "Year 2025"
    assert "Season Hiver 2026 (01/11/2026 – 31/03/2027)" in text


async def _player(service: GameService, name: str, **profile: Any) -> Any:
    """Register a player through the service."""
    return await service.register(
        Registration(
            username=name, password=PASSWORD, display_name=name.title(), **profile
        )
    )


def _card(season_id: str, user_id: str, challenge: str, **card: Any) -> ScoreEntry:
    """Return a stored card of November 2026."""
    return ScoreEntry(
        season_id=season_id,
        user_id=user_id,
        challenge=challenge,
        month="2026-11",
        points=0.0,
        card=card,
    )


async def test_admin_page_shows_the_kpis(
    make_browser: MakeBrowser, admin: str, service: GameService
) -> None:
    """Alice and Bob in team Soleil, Carol teamless; only Alice sent data this week.

    Cards of November 2026 (default CO₂ factor 0.052 kg/kWh):
    - Alice: sobriety 70 − 66 = 4 kWh saved, 20/22 valid days (good); shedding 3 kWh,
      2 at peak, and an ignored 0.333 kWh event;
    - Bob: sobriety 48 − 45 = 3 kWh saved, 11/22 valid days (partial), one day replaced
      by the Enedis value; shedding 1.5 kWh, 0.5 at peak.
    → 7.0 kWh saved, CO₂ 7 × 0.052 = 0.364 ≈ 0.4 kg, 4.5 kWh shed, 2.5 at peak.
    Players 3 (the admin is not one), active 1, teams 1, active teams 1.
    """
    alice = await _player(service, "alice", prm="11111111111111")
    bob = await _player(service, "bob")
    await _player(service, "carol")
    team = await service.create_team(alice, "Soleil")
    await service.join_team(bob, team.invite_code)
    await service.storage.upsert_reading(
        DailyReading(user_id=alice.id, day=date(2026, 11, 20), import_kwh=10.0)
    )
    boss = await make_browser()
    await boss.login(admin)
    status, text = await boss.get("/admin")
    assert status == 200
    assert "Le calcul des scores n&#39;a pas encore tourné" in text
    assert stat(text, "kwh_saved") == "0,0 kWh"
    assert stat(text, "quality-none") == "2"

    season = await service.current_season()
    assert season is not None
    await service.storage.replace_scores_many(
        season.id,
        {
            alice.id: [
                _card(
                    season.id,
                    alice.id,
                    "sobriety",
                    eligible=True,
                    factors={"expected_kwh": 70.0, "consumption_kwh": 66.0},
                    data_quality={"valid_days": 20, "period_days": 22},
                ),
                _card(
                    season.id,
                    alice.id,
                    "shedding",
                    factors={
                        "events": [
                            {"raw_kwh": 3.0, "peak_kwh": 2.0, "ignored": None},
                            {
                                "raw_kwh": 0.333,
                                "peak_kwh": 0.333,
                                "ignored": "under 15 minutes or 0.1 kWh",
                            },
                        ]
                    },
                ),
            ],
            bob.id: [
                _card(
                    season.id,
                    bob.id,
                    "sobriety",
                    eligible=True,
                    factors={"expected_kwh": 48.0, "consumption_kwh": 45.0},
                    data_quality={
                        "valid_days": 11,
                        "period_days": 22,
                        "flagged_days": [{"day": "2026-11-05"}],
                    },
                ),
                _card(
                    season.id,
                    bob.id,
                    "shedding",
                    factors={
                        "events": [{"raw_kwh": 1.5, "peak_kwh": 0.5, "ignored": None}]
                    },
                ),
            ],
        },
    )
    status, text = await boss.get("/admin")
    assert status == 200
    assert "pas encore tourné" not in text
    assert {
        key: stat(text, key)
        for key in (
            "players",
            "players_active_7d",
            "players_verified",
            "teams",
            "teams_active_7d",
            "kwh_saved",
            "co2_avoided_kg",
            "shedding_kwh",
            "shedding_peak_kwh",
            "quality-good",
            "quality-partial",
            "quality-poor",
            "quality-none",
            "flagged_days",
        )
    } == {
        "players": "3",
        "players_active_7d": "1",
        "players_verified": "0",
        "teams": "1",
        "teams_active_7d": "1",
        "kwh_saved": "7,0 kWh",
        "co2_avoided_kg": "0,4 kg",
        "shedding_kwh": "4,5 kWh",
        "shedding_peak_kwh": "2,5 kWh",
        "quality-good": "1",
        "quality-partial": "1",
        "quality-poor": "0",
        "quality-none": "0",
        "flagged_days": "1",
    }
    assert "Foyers à 80 % de jours valides ou plus" in text
    assert "× 0,052 kg/kWh" in text
    await boss.get("/lang/en?next=/admin")
    status, text = await boss.get("/admin")
    assert "Energy this season" in text
    assert "of which shed at peak" in text
    assert "Households with 80 % valid days or more" in text


async def test_shedding_card_shows_the_energy_at_peak(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """The card's totals and each event's energy at peak read in plain words."""
    browser = await make_browser()
    await browser.get("/register")
    await browser.post(
        "/register",
        {
            "username": "alice",
            "display_name": "Alice",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "mode": "full",
            "adults": "1",
            "children": "0",
            "solar_kwc": "0",
        },
    )
    user = await service.storage.get_user_by_username("alice")
    season = await service.current_season()
    assert user is not None and season is not None
    event = {
        "start": "2026-11-20T18:00:00+00:00",
        "end": "2026-11-20T19:30:00+00:00",
        "event_ids": ["e1"],
        "shed_kw": 2.0,
        "raw_kwh": 3.0,
        "peak_kwh": 2.0,
        "weighted_kwh": 8.0,
        "rebound_kwh": 0.0,
        "points": 80.0,
        "ignored": None,
        "notes": [],
    }
    await service.storage.replace_scores(
        season.id,
        user.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=user.id,
                challenge="shedding",
                month="2026-11",
                points=80.0,
                card={
                    "challenge": "shedding",
                    "month": "2026-11",
                    "points": 80.0,
                    "eligible": True,
                    "factors": {"events": [event], "shed_kwh": 3.0, "peak_kwh": 2.0},
                },
            )
        ],
    )
    await browser.get("/lang/en?next=/dashboard")
    status, text = await browser.get("/score/shedding/2026-11")
    assert status == 200
    assert (
        'Energy shed this month (events that count)</th><td class="num">3.00 kWh'
        in (text)
    )
    assert 'Of which at peak</th><td class="num">2.00 kWh' in text
    assert table_rows(text, "card-events")[0][3] == "Of which at peak (kWh)"
    assert table_rows(text, "card-events")[1][2:4] == ["3.00", "2.00"]
