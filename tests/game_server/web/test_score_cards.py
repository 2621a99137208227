"""The score-card pages over real HTTP: lists, plain-words cards, both languages, access."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import ScoreEntry, User
from game_server.rules.models import Challenge, ScoreCard
from game_server.services import GameService, Registration
from game_server.web import pages_score
from game_server.web.i18n import Translator

from .conftest import (
    NOW,
    PASSWORD,
    Browser,
    MakeBrowser,
    signed_up,
    without_scoring_job,
)

CARD_URL = "/score/piggy_bank/2026-11"


def piggy_card() -> dict[str, Any]:
    """Return a full piggy-bank card, as the rules library writes it."""
    card = ScoreCard(
        challenge=Challenge.PIGGY_BANK,
        month="2026-11",
        points=50.0,
        provisional=True,
        reference={
            "kind": "previous_year",
            "days": 30,
            "first": "2025-11-01",
            "last": "2025-11-30",
            "days_used": 20,
        },
        weather={
            "method": "regression",
            "a": 4.2,
            "b": 0.731,
            "r2": 0.82,
            "days": 30,
            "mean_daily_kwh": 9.5,
        },
        factors={
            "credit_kwh": 12.5,
            "debit_kwh": 80.25,
            "yield_ratio": 1.05,
            "consumption_units": 1.8,
        },
        caps=["clamped to ±50 (raw 61.20)"],
        data_quality={"valid_days": 20, "period_days": 23, "valid_share": 0.8696},
    )
    return card.as_dict()


def other_cards() -> list[tuple[str, float, dict[str, Any]]]:
    """Return an ineligible sobriety card, a shedding card and an actions card."""
    sobriety = ScoreCard(
        challenge=Challenge.SOBRIETY,
        month="2026-11",
        points=0.0,
        eligible=False,
        reason="insufficient_data",
        data_quality={"valid_days": 5, "period_days": 23, "valid_share": 0.2174},
    )
    shedding = ScoreCard(
        challenge=Challenge.SHEDDING,
        month="2026-11",
        points=14.4,
        factors={
            "events": [
                {
                    "start": datetime(2026, 11, 20, 17, 0, tzinfo=UTC).isoformat(),
                    "end": datetime(2026, 11, 20, 18, 30, tzinfo=UTC).isoformat(),
                    "event_ids": ["e1"],
                    "shed_kw": 2.0,
                    "raw_kwh": 3.0,
                    "weighted_kwh": 1.44,
                    "rebound_kwh": 0.0,
                    "points": 14.4,
                    "ignored": None,
                    "notes": [
                        "slot 2026-11-20#37 capped to baseline drop 0.250 kWh",
                        "daily 4 h limit reached",
                    ],
                }
            ]
        },
    )
    actions = ScoreCard(
        challenge=Challenge.ACTIONS,
        month="2026-11",
        points=7.5,
        factors={
            "lines": [
                {
                    "action_id": "mystery_action",
                    "day": "2026-11-10",
                    "verification": "verified",
                    "factor": 1.0,
                    "streak_bonus": 0.1,
                    "points": 5.5,
                },
                {"level": 1, "day": "2026-11-10", "points": 2.0},
            ],
            "level": 1,
            "uncapped_points": 9.0,
        },
        caps=["actions capped at 30% of the season total (× 0.8333)"],
    )
    return [
        ("sobriety", 0.0, sobriety.as_dict()),
        ("shedding", 14.4, shedding.as_dict()),
        ("actions", 7.5, actions.as_dict()),
    ]


async def store(
    service: GameService, user: User, rows: list[tuple[str, float, dict[str, Any]]]
) -> None:
    """Store a player's results of November in the current season."""
    season = await service.current_season()
    assert season is not None
    await service.storage.replace_scores(
        season.id,
        user.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=user.id,
                challenge=challenge,
                month="2026-11",
                points=points,
                card=card,
            )
            for challenge, points, card in rows
        ],
    )


async def account(service: GameService, username: str) -> User:
    """Return a registered account."""
    user = await service.storage.get_user_by_username(username)
    assert user is not None
    return user


async def test_no_score_yet(make_browser: MakeBrowser) -> None:
    """With nothing computed, the list says so and no card exists."""
    browser = await signed_up(make_browser, "alice")
    status, text = await browser.get("/score")
    assert status == 200
    assert "Pas encore de score" in text
    assert "score_card" not in text and "/score/" not in text
    status, text = await browser.get(CARD_URL)
    assert status == 404
    assert "Cette page n&#39;existe pas." in text or "404" in text


async def test_cards_in_french(make_browser: MakeBrowser, service: GameService) -> None:
    """The list links every result; a card reads in plain French."""
    browser = await signed_up(make_browser, "alice")
    await store(
        service, await account(service, "alice"), [("piggy_bank", 50.0, piggy_card())]
    )
    status, text = await browser.get("/dashboard")
    assert 'href="/score" id="score-link"' in text
    assert 'href="/score#challenge-piggy_bank"' in text
    status, text = await browser.get("/score")
    assert status == 200
    assert 'id="challenge-piggy_bank"' in text
    assert f'href="{CARD_URL}">novembre 2026</a>' in text
    assert "Provisoire" in text
    # The other challenges are listed honestly, without results.
    assert text.count("Pas encore de résultat pour ce défi.") == 4
    status, text = await browser.get(CARD_URL)
    assert status == 200
    assert "Tirelire solaire · novembre 2026" in text or "novembre 2026" in text
    assert "50,00 pts" in text
    assert "provisoire" in text
    assert "Données valides sur 20 des 23 jours du mois (87 %)." in text
    assert (
        "Référence : la même période l&#39;an dernier, 30 jours du 01/11/2025 au "
        "30/11/2025 ; 20 d&#39;entre eux utilisés pour ce mois." in text
    )
    assert "4,20 kWh par jour plus 0,731 kWh par degré-jour" in text
    assert "R² = 0,82" in text
    assert 'Envoyé au réseau ce mois-ci</th><td class="num">12,50 kWh' in text
    assert 'Pris au réseau ce mois-ci</th><td class="num">80,25 kWh' in text
    assert "Limité à ±50 points (avant la limite : 61,20)." in text
    assert "clamped to" not in text


async def test_cards_in_english(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """Ineligible, shedding and actions cards read in plain English."""
    browser = await signed_up(make_browser, "alice")
    await store(
        service,
        await account(service, "alice"),
        [("piggy_bank", 50.0, piggy_card()), *other_cards()],
    )
    await browser.get("/lang/en?next=/score")
    status, text = await browser.get("/score")
    assert status == 200
    assert 'href="/score/sobriety/2026-11">November 2026</a>' in text
    assert "No points this month: too few days with valid data" in text
    status, text = await browser.get(CARD_URL)
    assert "Reference: the same period last year, 30 days from 01/11/2025" in text
    assert "Limited to ±50 points (before the limit: 61.20)." in text
    status, text = await browser.get("/score/sobriety/2026-11")
    assert status == 200
    assert "not counted" in text
    assert "Valid data on 5 of the 23 days of the month (22 %)." in text
    status, text = await browser.get("/score/shedding/2026-11")
    assert status == 200
    # 17:00 UTC is 18:00 in Paris.
    assert "20/11/2026 18:00–19:30" in text
    assert "14.40" in text
    assert "Half-hour of 20/11/2026 at 18:30 limited to the real drop" in text
    assert "Only 4 hours of load shedding count per day." in text
    status, text = await browser.get("/score/actions/2026-11")
    assert status == 200
    assert "mystery_action" in text
    assert "confirmed" in text
    assert "+10 %" in text
    assert "Level 1 reached" in text
    assert "Action points are limited to 30 % of the season total: × 0.8333." in text
    assert 'Points before the cap</th><td class="num">9.00 pts' in text


async def test_card_without_details_and_bad_addresses(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """A result stored without a card says so; unknown challenges or months are 404."""
    browser = await signed_up(make_browser, "alice")
    await store(service, await account(service, "alice"), [("piggy_bank", 42.0, {})])
    status, text = await browser.get(CARD_URL)
    assert status == 200
    assert "42,00 pts" in text
    assert "Le détail de ce résultat n&#39;est pas disponible." in text
    for path in (
        "/score/piggy_bank/2026-12",
        "/score/jackpot/2026-11",
        "/score/piggy_bank/2026-13",
        "/score/piggy_bank/november",
    ):
        status, _ = await browser.get(path)
        assert status == 404, path


async def test_card_text_is_escaped(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """Whatever a stored card holds is shown as text, never as markup."""
    browser = await signed_up(make_browser, "alice")
    card = piggy_card() | {
        "eligible": False,
        "reason": "<b>bold</b>",
        "caps": ["<script>alert(1)</script>"],
        "reference": {"kind": "<i>odd</i>", "days": 3, "first": "<x>", "last": None},
    }
    actions = other_cards()[2][2]
    actions["factors"]["lines"][0]["action_id"] = "<img src=x onerror=alert(1)>"
    await store(
        service,
        await account(service, "alice"),
        [("piggy_bank", 0.0, card), ("actions", 7.5, actions)],
    )
    status, text = await browser.get(CARD_URL)
    assert status == 200
    assert "<script>alert" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "raison « &lt;b&gt;bold&lt;/b&gt; »." in text
    assert "Référence « &lt;i&gt;odd&lt;/i&gt; »" in text
    status, text = await browser.get("/score/actions/2026-11")
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


async def test_only_own_cards(
    client: TestClient[Any, Any], make_browser: MakeBrowser, service: GameService
) -> None:
    """Another player cannot see a player's cards; visitors are sent to sign in."""
    await signed_up(make_browser, "alice")
    await store(
        service, await account(service, "alice"), [("piggy_bank", 50.0, piggy_card())]
    )
    bob = await signed_up(make_browser, "bob")
    status, text = await bob.get(CARD_URL)
    assert status == 404
    assert "50.00" not in text and "80.25" not in text
    status, text = await bob.get("/score")
    assert "Pas encore de score" in text
    assert "50.00" not in text
    for path in ("/score", CARD_URL):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].partition("?")[0] == "/login"


async def test_links_under_the_ingress_prefix(
    client: TestClient[Any, Any], service: GameService, trust_loopback: None
) -> None:
    """Behind ingress, the score links stay under the ingress path."""
    await service.register(
        Registration(username="homer", password=PASSWORD, display_name="Homer")
    )
    await store(
        service, await account(service, "homer"), [("piggy_bank", 50.0, piggy_card())]
    )
    prefix = "/api/hassio_ingress/tok"
    headers = {
        "X-Ingress-Path": prefix,
        "X-Remote-User-Id": "0123abcd",
        "X-Remote-User-Name": "homer",
    }
    response = await client.get("/dashboard", headers=headers)
    text = await response.text()
    assert f'href="{prefix}/score" id="score-link"' in text
    response = await client.get("/score", headers=headers)
    text = await response.text()
    assert f'href="{prefix}{CARD_URL}"' in text
    response = await client.get(CARD_URL, headers=headers)
    text = await response.text()
    assert f'href="{prefix}/score#challenge-piggy_bank"' in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_rules_cap_reads_in_plain_words(lang: str) -> None:
    """Each cap and note the rules library writes has a translation."""
    t = Translator(lang)
    texts = [
        "clamped to ±50 (raw -61.20)",
        "consumption above 105 % of expected: Δ scaled by Ĉ/C",
        "Δ clamped to ±30 % (raw 42.10)",
        "reduction clamped to ±30 % (raw -35.00)",
        "weekly meter indexes: × 0.5",
        "actions capped at 30% of the season total (× 0.4286)",
        "slot 2026-11-20#47 capped to baseline drop 0.100 kWh",
        "daily 4 h limit reached",
        "under 15 minutes or 0.1 kWh",
    ]
    plain = [pages_score.plain_cap(t, text) for text in texts]
    assert not set(plain[:-1]) & set(texts)
    assert plain[-1] == t("card.note.too_small")
    assert "23:30" in plain[6]
    assert pages_score.plain_cap(t, "something new") == "something new"


async def test_demo_season_cards_render(tmp_path: Path) -> None:
    """Every card the scoring job writes for the demo season renders in plain words."""
    from game_server.demo import DEMO_PASSWORD
    from game_server.scoring_job import job_for

    app = create_app(Settings(data_dir=tmp_path, demo=True, clock=lambda: NOW))
    without_scoring_job(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        service: GameService = app[SERVICE_KEY]
        await job_for(service.storage).recompute_all(service.today())
        season = await service.current_season()
        assert season is not None
        base = str(client.make_url("")).rstrip("/")
        checked = 0
        for user in (await service.storage.list_users())[:4]:
            rows = (await service.player_score(user, season))["months"]
            if not rows:
                continue
            async with ClientSession(
                base_url=base, cookie_jar=CookieJar(unsafe=True)
            ) as session:
                browser = Browser(session)
                await browser.login(user.username, DEMO_PASSWORD)
                status, text = await browser.get("/score")
                assert status == 200
                for row in rows:
                    path = f"/score/{row['challenge']}/{row['month']}"
                    assert path in text
                    status, page = await browser.get(path)
                    assert status == 200, path
                    card = row["card"]
                    notes = [
                        note
                        for event in card.get("factors", {}).get("events", [])
                        for note in event.get("notes", [])
                    ]
                    for raw in [*card.get("caps", []), *notes]:
                        assert raw not in page, raw
                    assert "None" not in page, path
                    checked += 1
        assert checked > 0


def test_card_view_of_a_card_without_reason() -> None:
    """A card refused without a recorded reason says so rather than showing None."""
    row = {
        "challenge": "sobriety",
        "month": "2026-11",
        "points": 0.0,
        "card": {"eligible": False, "reason": None},
    }
    view = pages_score.card_view(Translator("en"), row, {})
    assert view.status == "No points this month: no reason was recorded."
    assert view.month_label == "November 2026"
    assert not view.eligible and view.detailed


def test_card_view_without_reference_days() -> None:
    """A card whose reference holds no day says so and explains no weather model."""
    row = {
        "challenge": "sobriety",
        "month": "2026-10",
        "points": 0.0,
        "card": ScoreCard(
            challenge=Challenge.SOBRIETY,
            month="2026-10",
            points=0.0,
            eligible=False,
            reason="no_reference",
            reference={"kind": "short", "days": 0, "first": None, "last": None},
            weather={"method": "mean", "a": 0.0, "b": 0.0, "r2": None, "days": 0},
        ).as_dict(),
    }
    view = pages_score.card_view(Translator("fr"), row, {})
    assert view.reference.startswith("Référence : aucun jour utilisable")
    assert view.weather == ""
    assert "None" not in view.status + view.reference
