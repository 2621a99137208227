"""The dashboard's meter card: enter the PRM, verify it with Enedis, come back verified.

A real game server with Enedis Data Connect pointing at the fake platform (over real
local HTTP), browsed like a browser: the card's state for each step, the ingress prefix,
both languages, and the round trip consent page → callback → dashboard.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestClient, TestServer
import pytest
from yarl import URL

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.enedis import EnedisOptions, setup_enedis
from game_server.enedis.config import (
    CALLBACK_PATH,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    DataConnectConfig,
    Environment,
)
from game_server.services import GameService, Registration
from game_server.web import configure_web
from tests.fakes.enedis_dataconnect import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeDataConnect,
    running_dataconnect,
)
from tests.fakes.enedis_gateway import DEFAULT_PRM

from .conftest import PASSWORD, Browser, without_scoring_job

OTHER_PRM = "22516914714270"
CARD = 'id="meter-verification"'
CTA = {"fr": "Vérifier mon compteur avec Enedis", "en": "Verify my meter with Enedis"}
HINT = {
    "fr": "Saisissez d&#39;abord le numéro PRM",
    "en": "Enter your Linky meter&#39;s PRM number first",
}
VERIFIED = {"fr": "PRM vérifié", "en": "PRM verified"}


class Game:
    """A running game server and a way to open browsers on it."""

    def __init__(self, client: TestClient[Any, Any], fake: FakeDataConnect | None):
        """Wrap the test client and the fake Enedis platform (None: not configured)."""
        self.client = client
        self.fake = fake
        self.sessions: list[ClientSession] = []

    @property
    def service(self) -> GameService:
        """Return the game service."""
        assert self.client.app is not None
        found: GameService = self.client.app[SERVICE_KEY]
        return found

    async def player(
        self, username: str, prm: str | None, *, verified: bool = False
    ) -> None:
        """Register a player with a PRM (verified or not) or none."""
        user = await self.service.register(
            Registration(
                username=username,
                password=PASSWORD,
                display_name=username.title(),
                prm=prm,
            )
        )
        if verified:
            user.prm_verified = True
            await self.service.storage.update_user(user)

    async def browser(self, username: str, lang: str = "fr") -> Browser:
        """Return a browser signed in as a player, in a language."""
        base = str(self.client.make_url("")).rstrip("/")
        session = ClientSession(base_url=base, cookie_jar=CookieJar(unsafe=True))
        self.sessions.append(session)
        browser = Browser(session)
        await browser.get(f"/lang/{lang}?next=/login")
        status, _ = await browser.login(username)
        assert status == 200
        return browser


@asynccontextmanager
async def running_game(
    tmp_path: Path,
    clock: Callable[[], datetime],
    *,
    dataconnect: bool,
    web_pages: bool = True,
) -> AsyncIterator[Game]:
    """Run a game server with (or without) Enedis Data Connect credentials."""
    async with running_dataconnect() as fake:
        app = create_app(Settings(data_dir=tmp_path, clock=clock, web_pages=web_pages))
        without_scoring_job(app)
        if dataconnect:
            config = DataConnectConfig(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                environment=Environment.SANDBOX,
                public_url="https://game.example.org",
                api_url=fake.root_url,
                authorize_url=fake.authorize_url,
            )
            setup_enedis(app, config, options=EnedisOptions(run_reconciliation=False))
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            fake.redirect_url = str(client.make_url(CALLBACK_PATH))
            game = Game(client, fake if dataconnect else None)
            try:
                yield game
            finally:
                for session in game.sessions:
                    await session.close()


@pytest.fixture(autouse=True)
def _no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the Enedis settings of the environment out of these servers."""
    monkeypatch.delenv(ENV_CLIENT_ID, raising=False)
    monkeypatch.delenv(ENV_CLIENT_SECRET, raising=False)


@pytest.fixture(params=[True, False], ids=["dataconnect", "no-dataconnect"])
async def any_game(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Callable[[], datetime]
) -> AsyncIterator[Game]:
    """Run a game server with, then without, Enedis Data Connect credentials."""
    async with running_game(tmp_path, clock, dataconnect=request.param) as game:
        yield game


@pytest.fixture
async def game(tmp_path: Path, clock: Callable[[], datetime]) -> AsyncIterator[Game]:
    """Run a game server with Enedis Data Connect on the fake platform."""
    async with running_game(tmp_path, clock, dataconnect=True) as game:
        yield game


def card(text: str) -> str:
    """Return the meter card of a dashboard ('' when the page has none)."""
    start = text.find(CARD)
    if start < 0:
        return ""
    return text[start : text.index("</section>", start)]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    ("prm", "verified", "step"),
    [
        (None, False, "no_prm"),
        (DEFAULT_PRM, False, "unverified"),
        (DEFAULT_PRM, True, "verified"),
    ],
)
async def test_card_for_each_step(
    any_game: Game, lang: str, prm: str | None, verified: bool, step: str
) -> None:
    """The card follows the step; without Data Connect the dashboard has none."""
    game = any_game
    await game.player("alice", prm, verified=verified)
    browser = await game.browser("alice", lang)
    status, text = await browser.get("/dashboard")
    assert status == 200
    shown = card(text)
    if game.fake is None:
        assert shown == ""
        assert "/enedis/consent" not in text
        assert CTA[lang] not in text
        return
    assert f'data-step="{step}"' in shown
    has_cta = 'href="/enedis/consent"' in shown
    assert has_cta is (step == "unverified")
    assert (CTA[lang] in shown) is (step == "unverified")
    assert (HINT[lang] in shown) is (step == "no_prm")
    assert ('action="/meter-prm"' in shown) is (step == "no_prm")
    if prm is not None:
        assert prm in shown
    assert ('id="meter-verified"' in shown) is (step == "verified")
    if step == "verified":
        assert VERIFIED[lang] in shown


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_ingress_prefix_on_the_links(game: Game, lang: str) -> None:
    """Behind Home Assistant ingress, the card's links carry the ingress prefix."""
    assert game.client.app is not None
    configure_web(game.client.app, trusted_proxies=frozenset({"127.0.0.1"}))
    await game.player("homer", DEFAULT_PRM)
    await game.player("marge", None)
    prefix = "/api/hassio_ingress/tok_EN-1"
    for name, link in (("homer", "/enedis/consent"), ("marge", "/meter-prm")):
        headers = {
            "X-Ingress-Path": prefix,
            "X-Remote-User-Id": f"id-{name}",
            "X-Remote-User-Name": name,
            "Accept-Language": lang,
        }
        response = await game.client.get("/dashboard", headers=headers)
        text = await response.text()
        assert response.status == 200
        shown = card(text)
        assert f'"{prefix}{link}"' in shown, name
        assert f'"{link}"' not in shown
    # The consent route itself answers under the prefix (the proxy strips it).
    response = await game.client.get(
        "/enedis/consent",
        headers={
            "X-Ingress-Path": prefix,
            "X-Remote-User-Id": "id-homer",
            "X-Remote-User-Name": "homer",
        },
        allow_redirects=False,
    )
    assert response.status == 302
    assert response.headers["Location"].startswith(game.fake.authorize_url)


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_enter_prm_then_verify(game: Game, lang: str) -> None:
    """A player enters a PRM (bad input refused, nothing lost), then gets the link."""
    await game.player("alice", None)
    await game.player("bob", OTHER_PRM)
    browser = await game.browser("alice", lang)
    await browser.get("/dashboard")
    status, text = await browser.post("/meter-prm", {"prm": "   "})
    assert status == 200
    missing = {"fr": "Saisissez le PRM", "en": "Enter your meter&#39;s PRM"}
    assert missing[lang] in text
    status, text = await browser.post("/meter-prm", {"prm": "1234"})
    bad = {"fr": "14 chiffres", "en": "14 digits"}
    assert 'class="flash error"' in text and bad[lang] in text
    assert 'data-step="no_prm"' in card(text)
    status, text = await browser.post("/meter-prm", {"prm": OTHER_PRM})
    assert 'class="flash error"' in text
    assert 'data-step="no_prm"' in card(text)
    # Bob's meter in fullwidth digits is the same meter (NFKC): refused as taken; in
    # Arabic-Indic digits it is no PRM at all.
    fullwidth = OTHER_PRM.translate({ord("0") + n: 0xFF10 + n for n in range(10)})
    arabic = OTHER_PRM.translate({ord("0") + n: 0x0660 + n for n in range(10)})
    for disguised, message in ((fullwidth, None), (arabic, bad[lang])):
        status, text = await browser.post("/meter-prm", {"prm": disguised})
        assert status == 200 and 'class="flash error"' in text
        assert message is None or message in text
        assert 'data-step="no_prm"' in card(text)
    status, text = await browser.post("/meter-prm", {"prm": "1234 5678 9012 34"})
    assert 'class="flash success"' in text
    shown = card(text)
    assert 'data-step="unverified"' in shown and DEFAULT_PRM in shown
    assert CTA[lang] in shown
    user = await game.service.storage.get_user_by_username("alice")
    assert user is not None and user.prm == DEFAULT_PRM and not user.prm_verified
    # Once recorded, the PRM is not changed from the card (Enedis' consent does it).
    status, text = await browser.post("/meter-prm", {"prm": "22315546958763"})
    already = {"fr": "Votre compte a déjà un PRM", "en": "Your account already has"}
    assert 'class="flash error"' in text and already[lang] in text
    user = await game.service.storage.get_user_by_username("alice")
    assert user is not None and user.prm == DEFAULT_PRM


async def _through_consent(browser: Browser, game: Game) -> URL:
    """Click the card's link, pass the fake Enedis consent page; return the callback."""
    response = await browser.client.get("/enedis/consent", allow_redirects=False)
    assert response.status == 302
    consent = response.headers["Location"]
    assert game.fake is not None and consent.startswith(game.fake.authorize_url)
    async with (
        ClientSession() as outside,
        outside.get(consent, allow_redirects=False) as page,
    ):
        assert page.status == 302
        callback = URL(page.headers["Location"])
    assert callback.path == CALLBACK_PATH
    return callback.relative()


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_callback_message_reaches_the_dashboard(game: Game, lang: str) -> None:
    """The outcome message is shown once, on the dashboard the callback leads to."""
    await game.player("alice", DEFAULT_PRM)
    browser = await game.browser("alice", lang)
    callback = await _through_consent(browser, game)
    response = await browser.client.get(callback, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    status, text = await browser.get("/dashboard")
    assert status == 200
    message = {
        "fr": f"Votre compteur {DEFAULT_PRM} est vérifié auprès d&#39;Enedis.",
        "en": f"Your meter {DEFAULT_PRM} is verified with Enedis.",
    }
    assert 'class="flash success"' in text and message[lang] in text
    assert 'data-step="verified"' in card(text)
    _, again = await browser.get("/dashboard")
    assert message[lang] not in again
    user = await game.service.storage.get_user_by_username("alice")
    assert user is not None and user.prm_verified
    # The link works once: used again, it comes back with the "invalid link" error.
    _, text = await browser.get(str(callback))
    assert 'class="flash error"' in text and 'data-step="verified"' in card(text)


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_refused_consent_comes_back_with_the_error(game: Game, lang: str) -> None:
    """A refused consent lands on the dashboard with the error; the link stays."""
    await game.player("alice", DEFAULT_PRM)
    browser = await game.browser("alice", lang)
    game.fake.refuse_next()
    callback = await _through_consent(browser, game)
    status, text = await browser.get(str(callback))
    assert status == 200
    refused = {
        "fr": "n&#39;a pas transmis de consentement",
        "en": "did not give consent",
    }
    assert 'class="flash error"' in text and refused[lang] in text
    shown = card(text)
    assert 'data-step="unverified"' in shown and CTA[lang] in shown
    user = await game.service.storage.get_user_by_username("alice")
    assert user is not None and not user.prm_verified


async def test_signed_out_browser_sees_the_message_on_sign_in(game: Game) -> None:
    """A browser without a session (e.g. the player used ingress) still gets it."""
    await game.player("alice", DEFAULT_PRM)
    browser = await game.browser("alice", "en")
    callback = await _through_consent(browser, game)
    async with (
        ClientSession(
            base_url=str(game.client.make_url("")).rstrip("/"),
            cookie_jar=CookieJar(unsafe=True),
        ) as other,
        other.get(callback, headers={"Accept-Language": "en"}) as page,
    ):
        text = await page.text()
        assert page.url.path == "/login"
    assert f"Your meter {DEFAULT_PRM} is verified with Enedis." in text
    user = await game.service.storage.get_user_by_username("alice")
    assert user is not None and user.prm_verified


async def test_without_web_pages_the_callback_shows_its_own_page(
    tmp_path: Path, clock: Callable[[], datetime]
) -> None:
    """A server without web pages (API only) answers the callback with its page."""
    async with running_game(tmp_path, clock, dataconnect=True, web_pages=False) as game:
        await game.player("alice", DEFAULT_PRM)
        user = await game.service.storage.get_user_by_username("alice")
        assert user is not None
        _token, secret = await game.service.issue_token(user, "script")
        response = await game.client.post(
            "/api/enedis/consent", headers={"Authorization": f"Bearer {secret}"}
        )
        consent = (await response.json())["url"]
        async with (
            ClientSession() as outside,
            outside.get(consent, allow_redirects=False) as page,
        ):
            callback = URL(page.headers["Location"]).relative()
        response = await game.client.get(callback, allow_redirects=False)
        text = await response.text()
        assert response.status == 200
        assert 'data-outcome="verified"' in text
        assert (await game.client.get("/enedis/consent")).status == 404
