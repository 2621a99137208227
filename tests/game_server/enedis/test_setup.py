"""Tests of the Enedis settings and of a server without Enedis credentials."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
import pytest

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.enedis import ConfigError, DataConnectConfig, Environment, setup_enedis
from game_server.services import Registration
from game_server.web import configure_web
from tests.fakes.enedis_dataconnect import FakeDataConnect
from tests.fakes.enedis_gateway import DEFAULT_PRM

from .conftest import Server

ENV = {
    "SUNSHARE_ENEDIS_CLIENT_ID": "abc",
    "SUNSHARE_ENEDIS_CLIENT_SECRET": "s3cret",
    "SUNSHARE_PUBLIC_URL": "https://game.example.org/",
}


def test_settings_from_environment() -> None:
    """The add-on's options arrive as environment variables."""
    assert DataConnectConfig.from_env({}) is None
    config = DataConnectConfig.from_env(ENV)
    assert config is not None
    assert config.environment is Environment.PRODUCTION
    assert config.api_base == "https://gw.ext.prod.api.enedis.fr"
    assert config.authorize_endpoint.endswith("/dataconnect/v2/oauth2/authorize")
    assert config.redirect_url == "https://game.example.org/enedis/callback"
    assert "s3cret" not in repr(config)
    sandbox = DataConnectConfig.from_env(
        {**ENV, "SUNSHARE_ENEDIS_ENVIRONMENT": "Sandbox"}
    )
    assert sandbox is not None
    assert sandbox.api_base == "https://gw.ext.prod-sandbox.api.enedis.fr"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SUNSHARE_ENEDIS_CLIENT_SECRET": ""}, "both"),
        ({"SUNSHARE_ENEDIS_ENVIRONMENT": "staging"}, "production' or 'sandbox"),
        ({"SUNSHARE_PUBLIC_URL": "game.example.org"}, "public http"),
    ],
)
def test_incomplete_settings_are_explained(
    changes: dict[str, str], message: str
) -> None:
    """Half-configured Enedis settings fail with a message naming the variable."""
    with pytest.raises(ConfigError, match=message):
        DataConnectConfig.from_env({**ENV, **changes})


async def test_server_without_credentials(tmp_path: Path) -> None:
    """Without credentials every Enedis route answers 503 as JSON."""
    app = create_app(Settings(data_dir=tmp_path))
    setup_enedis(app, from_env=False)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        service = app[SERVICE_KEY]
        user = await service.register(
            Registration(
                username="alice", password="correct horse battery", display_name="A"
            )
        )
        _token, secret = await service.issue_token(user, "test")
        bearer = {"Authorization": f"Bearer {secret}"}
        for method, path, headers in (
            ("GET", "/enedis/callback?state=x", {}),
            ("POST", "/enedis/correct", {}),
            ("POST", "/api/enedis/consent", bearer),
            ("GET", "/api/enedis/daily_consumption?prm=1", bearer),
        ):
            response = await client.request(method, path, headers=headers)
            assert response.status == 503, path
            body = await response.json()
            assert body["error"] == "enedis_not_configured"
            assert "no Enedis Data Connect credentials" in body["message"]


async def test_half_configured_server_keeps_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Wrong Enedis settings turn Enedis off with the reason; the game still runs."""
    monkeypatch.setenv("SUNSHARE_ENEDIS_CLIENT_ID", "abc")
    monkeypatch.delenv("SUNSHARE_ENEDIS_CLIENT_SECRET", raising=False)
    app = create_app(Settings(data_dir=tmp_path))
    runtime = setup_enedis(app)
    assert runtime.config is None
    assert "SUNSHARE_ENEDIS_CLIENT_SECRET" in caplog.text
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        assert (await client.get("/healthz")).status == 200
        response = await client.get("/enedis/callback")
        assert "SUNSHARE_ENEDIS_CLIENT_SECRET" in (await response.json())["message"]


def test_missing_public_url_is_only_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Enedis uses the URL registered on DataHub; the server only reminds it."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SUNSHARE_PUBLIC_URL")
    app = web.Application()
    runtime = setup_enedis(app)
    assert runtime.config is not None and runtime.config.public_url == ""
    assert "/enedis/callback" in caplog.text
    # Mounting again (tests, embedding) replaces the settings, not the routes.
    routes = len(app.router.routes())
    assert setup_enedis(app, from_env=False) is runtime
    assert runtime.config is None and len(app.router.routes()) == routes


async def test_consent_page_without_web_pages(tmp_path: Path) -> None:
    """Without the web pages (no session) the web entry point does not exist."""
    app = create_app(Settings(data_dir=tmp_path, web_pages=False))
    setup_enedis(app, from_env=False)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        response = await client.get("/enedis/consent", allow_redirects=False)
        assert response.status == 404


async def test_consent_page_needs_a_signed_in_player(server: Server) -> None:
    """The web entry point sends anonymous visitors to the login page."""
    response = await server.client.get("/enedis/consent", allow_redirects=False)
    assert response.status in (302, 303)
    assert "login" in response.headers["Location"]


async def test_consent_page_redirects_a_signed_in_player(
    server: Server, enedis: FakeDataConnect
) -> None:
    """A signed-in player (here through trusted ingress) goes to the consent page."""
    user, _token = await server.player("alice", DEFAULT_PRM)
    configure_web(server.app, trusted_proxies=frozenset({"127.0.0.1"}))
    response = await server.client.get(
        "/enedis/consent",
        allow_redirects=False,
        headers={"X-Remote-User-Id": "ha-1", "X-Remote-User-Name": "alice"},
    )
    assert response.status == 302
    location = response.headers["Location"]
    assert location.startswith(enedis.authorize_url + "?")
    assert f"state={user.id}." in location
