"""Fixtures of the server's Enedis tests: a fake clock, the fake platform, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.enedis import EnedisOptions, EnedisRuntime, setup_enedis
from game_server.enedis.config import CALLBACK_PATH, DataConnectConfig, Environment
from game_server.enedis.dataconnect import DataConnectClient
from game_server.enedis.ratelimit import DataConnectRateLimiter
from game_server.models import User
from game_server.services import GameService, Registration
from tests.fakes.clock import FakeClock
from tests.fakes.enedis_dataconnect import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeDataConnect,
    running_dataconnect,
)


@pytest.fixture
async def enedis(clock: FakeClock) -> AsyncIterator[FakeDataConnect]:
    """Run the fake Enedis platform, recording call times on the fake clock."""
    async with running_dataconnect(clock=clock) as fake:
        yield fake


def make_config(enedis: FakeDataConnect, **changes: Any) -> DataConnectConfig:
    """Return settings pointing at the fake platform."""
    options: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "environment": Environment.SANDBOX,
        "public_url": "https://game.example.org",
        "api_url": enedis.root_url,
        "authorize_url": enedis.authorize_url,
    }
    options.update(changes)
    return DataConnectConfig(**options)


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, enedis: FakeDataConnect, clock: FakeClock
) -> Callable[..., DataConnectClient]:
    """Return a factory of clients bound to the fake platform and the fake clock."""

    def factory(**kwargs: Any) -> DataConnectClient:
        """Build a client; keyword arguments override the defaults."""
        config = kwargs.pop("config", None) or make_config(enedis)
        options: dict[str, Any] = {
            "rate_limiter": DataConnectRateLimiter(clock=clock, sleep=clock.sleep),
            "now": enedis.now,
            "sleep": clock.sleep,
        }
        options.update(kwargs)
        return DataConnectClient(session, config, **options)

    return factory


@dataclass
class Server:
    """A running game server with Enedis mounted, and its parts."""

    client: TestClient[web.Request, web.Application]
    app: web.Application
    runtime: EnedisRuntime

    @property
    def service(self) -> GameService:
        """Return the game service."""
        return self.app[SERVICE_KEY]

    async def player(
        self, username: str, prm: str | None, *, verified: bool = False
    ) -> tuple[User, str]:
        """Register a player (PRM verified or not) and return it with an API token."""
        user = await self.service.register(
            Registration(
                username=username,
                password="correct horse battery",
                display_name=username.title(),
                prm=prm,
            )
        )
        if verified:
            user.prm_verified = True
            await self.service.storage.update_user(user)
        _token, secret = await self.service.issue_token(user, "test device")
        return user, secret


@pytest.fixture
async def server(
    enedis: FakeDataConnect,
    clock: FakeClock,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> AsyncIterator[Server]:
    """Run the game server with Enedis pointing at the fake platform."""
    app = create_app(Settings(data_dir=tmp_path, clock=enedis.now))
    runtime = setup_enedis(
        app,
        make_config(enedis),
        options=EnedisOptions(
            session=session,
            now=enedis.now,
            sleep=clock.sleep,
            monotonic=clock,
            rate_limiter=DataConnectRateLimiter(clock=clock, sleep=clock.sleep),
            propagation_delays=(1.0, 2.0),
            run_reconciliation=False,
        ),
    )
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        enedis.redirect_url = str(client.make_url(CALLBACK_PATH))
        yield Server(client, app, runtime)
