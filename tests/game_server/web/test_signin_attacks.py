"""Attacks on sign-in and sessions, each against a real server on 127.0.0.1 (issue #15).

The server trusts 127.0.0.1 as its proxy, so a test plays several clients by sending
``X-Forwarded-For`` (the web pages and the JSON API read the client address the same way).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from aiohttp import ClientSession, CookieJar, DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher, profiles
from hypothesis import given, settings, strategies as st
import pytest
from yarl import URL

from game_server import auth
from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import Role, Season
from game_server.services import GameService, Registration
from game_server.web import configure_web
from game_server.web.ratelimit import Limit, LoginRateLimiter, RegistrationLimiter
from game_server.web.targets import same_site_path

from .conftest import NOW, PASSWORD, Browser, registration, without_scoring_job
from .test_infra import FakeClock

NEW_PASSWORD = "a much better passphrase"
DAY = 24 * 3600.0


@dataclass
class Site:
    """A running server, its service, the sessions' clock and a browser factory."""

    client: TestClient[Any, Any]
    service: GameService
    session_clock: FakeClock
    base: str
    sessions: list[ClientSession] = field(default_factory=list)

    async def browser(self, address: str | None = None) -> Browser:
        """Return a browser with its own cookie jar (from a client address)."""
        headers = {"X-Forwarded-For": address} if address else None
        session = ClientSession(
            base_url=self.base, cookie_jar=CookieJar(unsafe=True), headers=headers
        )
        self.sessions.append(session)
        return Browser(session)

    async def token(
        self, username: str, password: str = PASSWORD, address: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Ask the API for a device token; return the status and the JSON body."""
        response = await self.client.post(
            "/api/v1/auth/token",
            json={"username": username, "password": password, "device_name": "HA"},
            headers={"X-Forwarded-For": address} if address else None,
        )
        return response.status, await response.json()

    async def player(self, username: str) -> None:
        """Create a player account."""
        await self.service.register(
            Registration(username=username, password=PASSWORD, display_name=username)
        )


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """Run the app (loopback trusted as the proxy) with a season and a fake clock."""
    app = create_app(
        Settings(
            data_dir=tmp_path,
            clock=lambda: NOW,
            trusted_proxies=frozenset({"127.0.0.1"}),
        )
    )
    without_scoring_job(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        service = app[SERVICE_KEY]
        await service.create_season(
            None,
            Season(name="Hiver", start=date(2026, 11, 1), end=date(2027, 3, 31)),
        )
        clock = FakeClock(time.time())
        configure_web(app, clock=clock)
        running = Site(client, service, clock, str(client.make_url("")).rstrip("/"))
        yield running
        for session in running.sessions:
            await session.close()


class CountingVerifier:
    """Wrap ``auth.verify_password``: count the checks and the most run at once."""

    def __init__(self) -> None:
        """Start from zero."""
        self.calls = 0
        self.running = 0
        self.most = 0
        self.on_start: Callable[[], object] = lambda: None
        self._lock = threading.Lock()
        self._real = auth.verify_password

    def __call__(self, password_hash: str | None, password: str) -> bool:
        """Check a password like the real function, counting."""
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        self.on_start()
        try:
            return self._real(password_hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> CountingVerifier:
    """Count every password check the server makes."""
    counting = CountingVerifier()
    monkeypatch.setattr(auth, "verify_password", counting)
    return counting


# --- 1. throttling: atomic, shared by the API and the pages, fair to the owner --------
async def test_concurrent_guesses_are_checked_at_most_up_to_the_limit(
    site: Site, verifier: CountingVerifier
) -> None:
    """40 wrong passwords at once, half by the API, half by the page: 5 are checked."""
    await site.player("alice")
    attacker = await site.browser()
    await attacker.get("/login")
    form = {"username": "alice", "password": "guess-guess", "csrf_token": attacker.csrf}

    async def by_page() -> int:
        """Guess through the sign-in page."""
        response = await attacker.client.post("/login", data=form)
        return response.status

    async def by_api() -> int:
        """Guess through the token endpoint."""
        status, _body = await site.token("alice", "guess-guess")
        return status

    statuses = await asyncio.gather(
        *(by_page() if n % 2 else by_api() for n in range(40))
    )
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) == 5
    assert verifier.calls == 5
    # The right password is refused too from this address, on both doors.
    assert (await site.token("alice"))[0] == 429
    status, text = await attacker.login("alice")
    assert status == 429
    assert "Trop de tentatives" in text
    # The owner, elsewhere, is not locked out by the stranger.
    status, body = await site.token("alice", address="203.0.113.7")
    assert status == 201, body
    owner = await site.browser("203.0.113.7")
    status, text = await owner.login("alice")
    assert status == 200
    assert "Bonjour alice" in text


async def test_page_and_api_share_the_counters(site: Site) -> None:
    """Three guesses on the page and two by the API use up the same five."""
    await site.player("alice")
    attacker = await site.browser()
    for _ in range(3):
        status, _ = await attacker.login("alice", "guess-guess")
        assert status == 401
    for _ in range(2):
        assert (await site.token("alice", "guess-guess"))[0] == 401
    status, _ = await attacker.login("alice", "guess-guess")
    assert status == 429
    assert (await site.token("alice", "guess-guess"))[0] == 429


async def test_distributed_guessing_spares_the_owners_address(site: Site) -> None:
    """Many addresses on one account block strangers, not where the owner signs in."""
    assert site.client.app is not None
    configure_web(site.client.app, limiter=LoginRateLimiter(per_account=Limit(10, 900)))
    await site.player("alice")
    assert (await site.token("alice", address="203.0.113.7"))[0] == 201
    for n in range(5):
        for _ in range(2):
            status, _ = await site.token("alice", "guess", address=f"198.51.100.{n}")
            assert status == 401
    status, body = await site.token("alice", address="198.51.100.99")
    assert status == 429
    assert body["error"] == "too_many_attempts"
    stranger = await site.browser("198.51.100.99")
    status, _ = await stranger.login("alice")
    assert status == 429
    owner = await site.browser("203.0.113.7")
    status, text = await owner.login("alice")
    assert status == 200
    assert "Bonjour alice" in text


async def test_registration_is_throttled_per_address(site: Site) -> None:
    """A third account from one address within the hour is refused; others may go on."""
    assert site.client.app is not None
    configure_web(
        site.client.app, registration_limiter=RegistrationLimiter(Limit(2, 3600))
    )
    for name in ("ann", "ben"):
        browser = await site.browser("198.51.100.1")
        await browser.get("/register")
        status, _ = await browser.post("/register", registration(name))
        assert status == 200
    browser = await site.browser("198.51.100.1")
    await browser.get("/register")
    response = await browser.client.post(
        "/register", data={**registration("cid"), "csrf_token": browser.csrf}
    )
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Trop d&#39;inscriptions" in await response.text()
    assert await site.service.storage.get_user_by_username("cid") is None
    other = await site.browser("198.51.100.2")
    await other.get("/register")
    status, _ = await other.post("/register", registration("cid"))
    assert status == 200


# --- 2. password hashing off the event loop -------------------------------------------
@pytest.fixture
def real_hashing() -> Iterator[None]:
    """Hash with argon2id's production parameters for one test."""
    auth.set_password_hasher(PasswordHasher())
    try:
        yield
    finally:
        auth.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))


async def test_a_login_storm_leaves_the_server_responsive(
    site: Site, real_hashing: None, verifier: CountingVerifier
) -> None:
    """While 4 sign-ins hash at production cost, /healthz answers at once."""
    await site.player("alice")
    started = time.perf_counter()
    assert (await site.token("alice"))[0] == 201
    one_login = time.perf_counter() - started
    hashing = asyncio.Event()
    loop = asyncio.get_running_loop()
    verifier.on_start = lambda: loop.call_soon_threadsafe(hashing.set)

    async def login() -> float:
        """Sign in; return when it finished."""
        status, body = await site.token("alice")
        assert status == 201, body
        return time.perf_counter()

    storm = [asyncio.create_task(login()) for _ in range(4)]
    await asyncio.wait_for(hashing.wait(), 60)
    asked = time.perf_counter()
    response = await site.client.get("/healthz")
    answered = time.perf_counter()
    assert response.status == 200
    finished = await asyncio.gather(*storm)
    # Answered while the storm still ran, faster than a single sign-in takes.
    assert answered < max(finished)
    assert answered - asked < one_login
    # Never more than two hashes at once (the other threads stay free).
    assert verifier.most <= auth.HASH_WORKERS


# --- 3. open redirect ----------------------------------------------------------------
EVIL_TARGETS = [
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "/%0D/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "//evil.example",
    "///evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%5C%5Cevil.example",
    "/%2F/evil.example",
    "/%252F%252Fevil.example",
    "/%255C/evil.example",
    "https:evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%E2%80%8B/evil.example",
    "/%00/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
async def test_language_switch_never_leaves_the_site(site: Site, target: str) -> None:
    """Whatever ``next`` holds, the switch answers a path of ours or the home page."""
    url = URL(f"{site.base}/lang/en?next={target}", encoded=True)
    response = await site.client.session.get(url, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"


async def test_language_switch_returns_to_our_pages(site: Site) -> None:
    """Our own paths (with a query) are kept, percent-encoded."""
    for target, location in [
        ("/team", "/team"),
        ("/score?challenge=peak%20shaving", "/score?challenge=peak%20shaving"),
        ("/dashboard#tokens", "/dashboard#tokens"),
        ("/%20/evil.example", "/%20/evil.example"),  # a path of ours, "/ /evil..."
    ]:
        response = await site.client.get(
            "/lang/en", params={"next": target}, allow_redirects=False
        )
        assert response.headers["Location"] == location


_PIECES = st.sampled_from(
    (
        *(
            "/",
            "//",
            "\\",
            "%2F",
            "%5C",
            "%09",
            "%0A",
            "%25",
            "\t",
            "\n",
            "\r",
            " ",
            ":",
        ),
        *("https:", "evil.example", "@", "?", "#", ".", "%", "\x00", "\u200b", "é"),
    )
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(_PIECES, max_size=8).map("".join)))
def test_same_site_path_only_gives_local_paths(target: str) -> None:
    """Any input gives None or a printable ASCII path under our own host."""
    result = same_site_path(target)
    if result is None:
        return
    assert result.startswith("/")
    assert not result.startswith(("//", "/\\"))
    assert all(0x21 <= ord(ch) <= 0x7E for ch in result), result
    assert "\\" not in result
    parts = urlsplit(result)
    assert not parts.scheme and not parts.netloc
    assert urlsplit(urljoin("https://game.example/a/b", result)).netloc == (
        "game.example"
    )


# --- 4. sessions end on the server side ----------------------------------------------
def cookie_of(browser: Browser) -> str:
    """Return a browser's session cookie value (what a thief would copy)."""
    values = [m.value for m in browser.client.cookie_jar if m.key == "sunshare_session"]
    assert len(values) == 1
    return values[0]


async def opens_dashboard(site: Site, cookie: str) -> bool:
    """Return whether a copied cookie, replayed from a clean client, opens the dashboard."""
    async with ClientSession(cookie_jar=DummyCookieJar()) as thief:
        response = await thief.get(
            f"{site.base}/dashboard",
            headers={"Cookie": f"sunshare_session={cookie}"},
            allow_redirects=False,
        )
        return response.status == 200


async def test_logout_ends_copied_cookies(site: Site) -> None:
    """A cookie copied before sign-out no longer opens anything, nor other devices'."""
    await site.player("alice")
    laptop, phone = await site.browser(), await site.browser()
    await laptop.login("alice")
    await phone.login("alice")
    stolen = cookie_of(laptop)
    assert await opens_dashboard(site, stolen)
    status, text = await laptop.post("/logout")
    assert "Vous êtes déconnecté." in text
    assert not await opens_dashboard(site, stolen)
    response = await phone.client.get("/dashboard", allow_redirects=False)
    assert response.headers["Location"].partition("?")[0] == "/login"
    # Signing in again gives a working session; the stolen cookie stays dead.
    status, _ = await laptop.login("alice")
    assert status == 200
    assert await opens_dashboard(site, cookie_of(laptop))
    assert not await opens_dashboard(site, stolen)


async def test_disabling_ends_sessions_for_good(site: Site) -> None:
    """Re-enabling an account does not bring back the sessions it had."""
    await site.player("alice")
    admin = await site.service.register(
        Registration(username="root", password=PASSWORD, display_name="Root"),
        role=Role.ADMIN,
    )
    browser = await site.browser()
    await browser.login("alice")
    stolen = cookie_of(browser)
    user = await site.service.storage.get_user_by_username("alice")
    assert user is not None
    await site.service.set_disabled(admin, user.id, True)
    assert not await opens_dashboard(site, stolen)
    await site.service.set_disabled(admin, user.id, False)
    assert not await opens_dashboard(site, stolen)
    await site.service.reset_password(admin, user.id, NEW_PASSWORD)
    await browser.login("alice", NEW_PASSWORD)
    stolen = cookie_of(browser)
    await site.service.reset_password(admin, user.id, PASSWORD)
    assert not await opens_dashboard(site, stolen)


async def test_sessions_last_14_days_from_sign_in_whatever_the_activity(
    site: Site,
) -> None:
    """Daily use renews the cookie, but never past 14 days after signing in."""
    await site.player("alice")
    browser = await site.browser()
    await browser.login("alice")
    for day in range(1, 14):
        site.session_clock.now += DAY
        response = await browser.client.get("/dashboard", allow_redirects=False)
        assert response.status == 200, day
        # Renewed (a new seal), with only what is left of the 14 days.
        max_age = int(response.cookies["sunshare_session"]["max-age"])
        assert max_age == pytest.approx((14 - day) * DAY, abs=2)
    site.session_clock.now += DAY - 60
    assert (await browser.client.get("/dashboard", allow_redirects=False)).status == 200
    site.session_clock.now += 61
    response = await browser.client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].partition("?")[0] == "/login"


# --- 5. changing the password -------------------------------------------------------


async def test_change_password_page(site: Site) -> None:
    """The page checks the current password (throttled), ends other sessions/tokens."""
    await site.player("alice")
    browser, other = await site.browser(), await site.browser()
    await browser.login("alice")
    await other.login("alice")
    _status, token = await site.token("alice")
    status, text = await browser.get("/account/password")
    assert status == 200
    assert 'name="current_password"' in text
    assert 'autocomplete="new-password"' in text
    # CSRF as on every form.
    status, _ = await browser.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        csrf=False,
    )
    assert status == 403
    fields = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD + "!",
    }
    status, text = await browser.post("/account/password", fields)
    assert status == 422
    assert "Les deux mots de passe ne sont pas identiques." in text
    status, text = await browser.post(
        "/account/password",
        {**fields, "new_password": "short", "new_password_confirm": "short"},
    )
    assert status == 422
    status, text = await browser.post(
        "/account/password",
        {
            **fields,
            "current_password": "wrong-wrong",
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert status == 403
    assert "Le mot de passe actuel est incorrect." in text
    status, text = await browser.post(
        "/account/password", {**fields, "new_password_confirm": NEW_PASSWORD}
    )
    assert status == 200
    assert "Votre mot de passe est changé." in text
    # This browser stays signed in; the other one and the device token are done.
    assert (await browser.client.get("/dashboard", allow_redirects=False)).status == 200
    response = await other.client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    response = await site.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert response.status == 401
    assert (await site.token("alice"))[0] == 401
    assert (await site.token("alice", NEW_PASSWORD))[0] == 201


async def test_change_password_page_is_throttled(site: Site) -> None:
    """A stolen session cannot guess the current password freely."""
    await site.player("alice")
    thief = await site.browser()
    await thief.login("alice")
    guess = {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    for n in range(5):
        status, _ = await thief.post(
            "/account/password", {**guess, "current_password": f"guess-{n:04d}"}
        )
        assert status == 403
    response = await thief.client.post(
        "/account/password",
        data={**guess, "current_password": PASSWORD, "csrf_token": thief.csrf},
    )
    assert response.status == 429
    assert "Retry-After" in response.headers
    user = await site.service.storage.get_user_by_username("alice")
    assert user is not None
    assert auth.verify_password(user.password_hash, PASSWORD)


async def test_change_password_api(site: Site) -> None:
    """``POST /api/v1/me/password``: this token stays, other tokens and sessions go."""
    await site.player("alice")
    _status, mine = await site.token("alice")
    _status, other = await site.token("alice")
    browser = await site.browser()
    await browser.login("alice")

    async def change(body: dict[str, Any]) -> Any:
        """Call the endpoint with my token."""
        return await site.client.post(
            "/api/v1/me/password",
            json=body,
            headers={"Authorization": f"Bearer {mine['token']}"},
        )

    response = await change({"current_password": "wrong-wrong", "new_password": "x"})
    assert response.status == 422  # the new one is checked first: no guess spent
    response = await change(
        {"current_password": "wrong-wrong", "new_password": NEW_PASSWORD}
    )
    assert response.status == 403
    assert (await response.json())["error"] == "wrong_password"
    response = await change(
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status == 204
    me = await site.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {mine['token']}"}
    )
    assert me.status == 200
    gone = await site.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {other['token']}"}
    )
    assert gone.status == 401
    response = await browser.client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    assert (await site.token("alice", NEW_PASSWORD))[0] == 201
    # Unauthenticated calls are refused before anything is read.
    response = await site.client.post(
        "/api/v1/me/password",
        json={"current_password": NEW_PASSWORD, "new_password": PASSWORD},
    )
    assert response.status == 401
    openapi = await (await site.client.get("/api/v1/openapi.json")).json()
    assert "post" in openapi["paths"]["/api/v1/me/password"]
