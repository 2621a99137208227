"""End-to-end tests in headless Chromium (Debian's package, driven by Playwright).

The game server runs in the test's event loop on 127.0.0.1 (port 0); Chromium is the
system one (``/usr/bin/chromium``), never a downloaded build. With
``SUNSHARE_SCREENSHOTS=1`` the scenario also saves the README screenshots to
``docs/screenshots/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
import os
from pathlib import Path
import re
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.models import DailyReading, ScoreEntry
from game_server.services import GameService

from .conftest import NOW, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium is missing: install Debian's package "
        "(apt-get install chromium) to run the browser tests",
    ),
]
"""The marks of every browser test (the Home Assistant card's included)."""
pytestmark = BROWSER_MARKS


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Return a headless Chromium driven by Playwright."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: Any, base: str, *, phone: bool = False) -> Any:
    """Return a page in its own context (own cookies), French, desktop or phone."""
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = await browser.new_context(
        base_url=base, locale="fr-FR", viewport=size, device_scale_factor=1
    )
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


async def register(page: Any, username: str, display: str, **extra: str) -> None:
    """Fill in and send the registration form."""
    await page.goto("/register")
    await page.fill("#f-username", username)
    await page.fill("#f-display_name", display)
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirm", PASSWORD)
    if "prm" in extra:
        await page.fill("#f-prm", extra["prm"])
    await page.fill("#f-adults", extra.get("adults", "2"))
    await page.fill("#f-children", extra.get("children", "1"))
    await page.check("input[name=electric_heating]")
    await page.fill("#f-solar_kwc", extra.get("solar_kwc", "3"))
    await page.fill("#f-city", "Nantes")
    await page.fill("#f-postcode", "44000")
    await page.click("button[type=submit]")


async def seed_history(service: GameService, username: str, scale: float) -> None:
    """Store a month of readings and scores for a player (what HA and scoring send)."""
    user = await service.storage.get_user_by_username(username)
    assert user is not None
    season = await service.current_season()
    assert season is not None
    for n in range(22):
        day = NOW.date() - timedelta(days=21 - n)
        await service.storage.upsert_reading(
            DailyReading(
                user_id=user.id,
                day=day,
                import_kwh=round(scale * (6 + (n * 7) % 5), 2),
                export_kwh=round(scale * (3 + (n * 5) % 9), 2),
                production_kwh=round(scale * (8 + (n * 5) % 9), 2),
            )
        )
    entries = [
        ScoreEntry(
            season_id=season.id,
            user_id=user.id,
            challenge=challenge,
            month="2026-11",
            points=round(points * scale, 1),
        )
        for challenge, points in (
            ("piggy_bank", 64),
            ("self_consumption", 38),
            ("sobriety", 25),
            ("actions", 40),
            ("shedding", 12),
        )
    ]
    await service.storage.replace_scores(season.id, user.id, entries)


async def shoot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for the README when asked to (SUNSHARE_SCREENSHOTS=1)."""
    if os.environ.get("SUNSHARE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


async def test_register_team_join_dashboards_admin(
    browser: Any, client: TestClient[Any, Any], service: GameService, admin: str
) -> None:
    """Register → create team → second player joins → dashboards → admin sees both."""
    base = str(client.make_url("")).rstrip("/")
    alice = await new_page(browser, base)
    await register(alice, "alice", "Alice Martin", prm="12345678901234")
    await alice.wait_for_url(re.compile(r"/dashboard$"))
    assert "Bienvenue, Alice Martin" in await alice.inner_text("main")
    await alice.click("nav >> text=Mon équipe")
    await alice.fill("#f-team-name", "Les Tournesols")
    await alice.click("#create-team button")
    await alice.wait_for_selector("#invite-code")
    code = (await alice.inner_text("#invite-code")).strip()
    assert re.fullmatch(r"[A-Z0-9]{10}", code)

    bob = await new_page(browser, base, phone=True)
    await register(bob, "bob", "Bob Durand", prm="22345678901234", solar_kwc="0")
    await bob.wait_for_url(re.compile(r"/dashboard$"))
    await bob.goto("/team")
    await bob.fill("#f-invite", code)
    await bob.click("#join-team button")
    await bob.wait_for_selector("#members")
    members = await bob.inner_text("#members")
    assert "Alice Martin" in members and "Bob Durand" in members

    # Data arrives (as from Home Assistant and the scoring job): dashboards show it.
    await seed_history(service, "alice", 1.0)
    await seed_history(service, "bob", 0.8)
    await alice.goto("/dashboard")
    assert await alice.locator("svg.chart").count() == 3
    score = await alice.inner_text("#score")
    assert "179 pts" in score
    # The tips carousel moves with its buttons.
    from playwright.async_api import expect

    assert (await alice.inner_text("#tips .counter")).strip() == "1 / 8"
    await alice.click("#tips [data-next]")
    await expect(alice.locator("#tips .counter")).to_have_text("2 / 8")
    await alice.click("#tips [data-prev]")
    await expect(alice.locator("#tips .counter")).to_have_text("1 / 8")
    await alice.goto("/team")
    podium = await alice.inner_text("#podium")
    assert "Alice Martin" in podium and "Bob Durand" in podium
    await bob.goto("/dashboard")
    assert "Bonjour Bob Durand" in await bob.inner_text("h1")
    await bob.goto("/leaderboard")
    assert "Les Tournesols" in await bob.inner_text("#team-podium")

    boss = await new_page(browser, base)
    await boss.goto("/login")
    await boss.fill("#f-username", admin)
    await boss.fill("#f-password", PASSWORD)
    await boss.click("main button[type=submit]")
    await boss.wait_for_url(re.compile(r"/dashboard$"))
    await boss.click("nav >> text=Administration")
    kpis = await boss.inner_text("#kpis")
    assert re.search(r"\b2\s+Joueurs inscrits", kpis)
    await boss.goto("/admin/users")
    users = await boss.inner_text("#users")
    assert "Alice Martin" in users and "Bob Durand" in users
    assert users.count("Les Tournesols") == 2


async def test_forms_show_their_errors(
    browser: Any, client: TestClient[Any, Any]
) -> None:
    """A form rejecting bad input shows its message next to the field."""
    base = str(client.make_url("")).rstrip("/")
    page = await new_page(browser, base)
    await page.goto("/register")
    await page.fill("#f-username", "carol")
    await page.fill("#f-display_name", "Carol")
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirm", "something else entirely")
    await page.fill("#f-prm", "1234")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#e-password_confirm")
    assert "Les deux mots de passe ne sont pas identiques." in await page.inner_text(
        "#e-password_confirm"
    )
    # Fix the passwords; the service then refuses the PRM with its own message.
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirm", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#e-prm")
    assert "14 chiffres" in await page.inner_text("#e-prm")
    assert await page.get_attribute("#f-prm", "aria-invalid") == "true"
    # Wrong login shows its message too.
    await page.goto("/login")
    await page.fill("#f-username", "nobody")
    await page.fill("#f-password", "not the password")
    await page.click("main button[type=submit]")
    await page.wait_for_selector(".flash.error")
    assert "Identifiant ou mot de passe incorrect." in await page.inner_text(
        ".flash.error"
    )


async def test_declaring_a_malus_asks_first(
    browser: Any, client: TestClient[Any, Any], service: GameService
) -> None:
    """An action that costs points shows it in red and asks before it is declared."""
    base = str(client.make_url("")).rstrip("/")
    page = await new_page(browser, base)
    await register(page, "dave", "Dave")
    await page.wait_for_url(re.compile(r"/dashboard$"))
    pool = page.locator('#actions-malus li[data-action="heated_pool"]')
    assert "−100 pts" in await pool.inner_text()
    color = await pool.locator(".points").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(192, 57, 43)"
    good = page.locator('#actions-good li[data-action="tap_aerators"] .points')
    assert await good.inner_text() == "+10 pts"

    messages: list[str] = []

    async def answer(dialog: Any, accept: bool) -> None:
        """Note the confirmation's text; accept or dismiss it."""
        messages.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", lambda dialog: answer(dialog, False))
    await pool.locator("button").click()
    assert messages == ["Cela retire 100 pts à votre score. La déclarer ?"]
    assert await service.storage.list_action_declarations() == []

    page.once("dialog", lambda dialog: answer(dialog, True))
    await pool.locator("button").click()
    await page.wait_for_selector(".flash.info")
    assert "cette action coûte 100 pts" in await page.inner_text(".flash.info")
    assert await page.locator(".flash.error").count() == 0
    declared = await service.storage.list_action_declarations()
    assert [d.action_id for d in declared] == ["heated_pool"]


@pytest.mark.skipif(
    os.environ.get("SUNSHARE_SCREENSHOTS") != "1",
    reason="refreshes docs/screenshots only when SUNSHARE_SCREENSHOTS=1",
)
async def test_demo_screenshots(browser: Any, tmp_path: Path) -> None:
    """Take the README screenshots on the demo season, scored by the scoring job."""
    from game_server.app import SERVICE_KEY, Settings, create_app
    from game_server.demo import DEMO_PASSWORD
    from game_server.scoring_job import job_for

    from .conftest import without_scoring_job

    app = create_app(Settings(data_dir=tmp_path, demo=True, clock=lambda: NOW))
    without_scoring_job(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        service = app[SERVICE_KEY]
        await job_for(service.storage).recompute_all(service.today())
        base = str(client.make_url("")).rstrip("/")

        async def signed_in(username: str, *, phone: bool = False) -> Any:
            """Return a page signed in as a demo account."""
            page = await new_page(browser, base, phone=phone)
            await page.goto("/login")
            await page.fill("#f-username", username)
            await page.fill("#f-password", DEMO_PASSWORD)
            await page.click("main button[type=submit]")
            await page.wait_for_url(re.compile(r"/dashboard$"))
            return page

        players = [
            u for u in await service.storage.list_users() if u.mode.value == "full"
        ]
        sunny = max(players, key=lambda u: (u.solar_kwc, u.username))
        amelie = await signed_in(sunny.username)
        await shoot(amelie, "dashboard")
        await amelie.goto("/team")
        await shoot(amelie, "team")
        await amelie.goto("/leaderboard")
        await shoot(amelie, "leaderboard")
        phone = await signed_in("bruno", phone=True)
        await shoot(phone, "dashboard-phone", full_page=False)
        boss = await signed_in("admin")
        await boss.goto("/admin")
        await shoot(boss, "admin")
        await boss.goto("/admin/users")
        await boss.click("#users tbody tr:nth-child(2) summary")
        await shoot(boss, "admin-users")
