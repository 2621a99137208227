"""Fixtures for the web page tests: a real app over HTTP on 127.0.0.1 with a season."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import re
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import Role, Season
from game_server.services import GameService, Registration
from game_server.web import configure_web

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form of a page."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class Browser:
    """A test client with one cookie jar, following the pages like a browser."""

    def __init__(self, client: ClientSession) -> None:
        """Wrap a client session."""
        self.client = client
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        """GET a page; remember its CSRF token; return status and text."""
        response = await self.client.get(path, **kwargs)
        text = await response.text()
        match = _CSRF.search(text)
        if match:
            self.csrf = match.group(1)
        return response.status, text

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        csrf: bool = True,
        **kwargs: Any,
    ) -> tuple[int, str]:
        """POST a form with the remembered CSRF token; follow redirects."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        response = await self.client.post(path, data=form, **kwargs)
        text = await response.text()
        match = _CSRF.search(text)
        if match:
            self.csrf = match.group(1)
        return response.status, text

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, str]:
        """Sign in through the login form."""
        await self.get("/login")
        return await self.post("/login", {"username": username, "password": password})


def registration(username: str, **changes: Any) -> dict[str, str]:
    """Return a valid registration form."""
    form = {
        "username": username,
        "display_name": username.title(),
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "prm": "",
        "mode": "full",
        "adults": "2",
        "children": "1",
        "solar_kwc": "3",
        "city": "Nantes",
        "postcode": "44000",
    }
    form.update(changes)
    return form


def without_scoring_job(app: web.Application) -> None:
    """Stop the app from running the background scoring job.

    The pages show what is stored; these tests store scores themselves, so a scoring pass
    landing in the middle of a test must not replace them.
    """
    for ctx in list(app.cleanup_ctx):
        if getattr(ctx, "__name__", "") == "scoring_ctx":
            app.cleanup_ctx.remove(ctx)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """Return the service clock (fixed)."""
    return lambda: NOW


@pytest.fixture
async def client(
    tmp_path: Path, clock: Callable[[], datetime]
) -> AsyncIterator[TestClient[Any, Any]]:
    """Return a client of a running app with a season in progress."""
    app = create_app(Settings(data_dir=tmp_path, clock=clock))
    without_scoring_job(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        service = app[SERVICE_KEY]
        await service.create_season(
            None,
            Season(
                name="Hiver 2026",
                start=date(2026, 11, 1),
                end=date(2027, 3, 31),
                team_size_limit=4,
            ),
        )
        yield test_client


@pytest.fixture
def service(client: TestClient[Any, Any]) -> GameService:
    """Return the running app's service layer."""
    app = client.app
    assert app is not None
    found: GameService = app[SERVICE_KEY]
    return found


@pytest.fixture
def trust_loopback(client: TestClient[Any, Any]) -> None:
    """Trust 127.0.0.1 as the ingress proxy (the Supervisor's role in production)."""
    configure_web(client.app, trusted_proxies=frozenset({"127.0.0.1"}))


@pytest.fixture
async def make_browser(
    client: TestClient[Any, Any],
) -> AsyncIterator[Callable[[], Awaitable[Browser]]]:
    """Return a factory of browsers, each with its own cookie jar."""
    sessions: list[ClientSession] = []
    base = str(client.make_url("")).rstrip("/")

    async def factory() -> Browser:
        """Return a new browser on the running server."""
        session = ClientSession(base_url=base, cookie_jar=CookieJar(unsafe=True))
        sessions.append(session)
        return Browser(session)

    yield factory
    for session in sessions:
        await session.close()


@pytest.fixture
async def admin(service: GameService) -> str:
    """Create an admin account; return its username."""
    await service.register(
        Registration(username="admin", password=PASSWORD, display_name="Admin"),
        role=Role.ADMIN,
    )
    return "admin"


def days_ago(n: int) -> date:
    """Return a day before the test clock's today."""
    return NOW.date() - timedelta(days=n)


MakeBrowser = Callable[[], Awaitable[Browser]]
"""The ``make_browser`` fixture: a factory of browsers, each with its own cookies."""


async def signed_up(
    make_browser: MakeBrowser, username: str, **changes: str
) -> Browser:
    """Return a browser with a freshly registered (and signed-in) player."""
    browser = await make_browser()
    await browser.get("/register")
    status, text = await browser.post("/register", registration(username, **changes))
    assert status == 200, text
    assert "Bonjour" in text or "Hello" in text
    return browser
