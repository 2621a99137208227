"""The trusted proxies come from the server settings (``--trusted-proxy``)."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from game_server.app import Settings, create_app
from game_server.cli import build_parser

PREFIX = "/api/hassio_ingress/tok3n"


async def _login_page(settings: Settings) -> str:
    """Return the login page fetched from 127.0.0.1 with an ingress prefix."""
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        response = await client.get("/login", headers={"X-Ingress-Path": PREFIX})
        assert response.status == 200
        return await response.text()


async def test_trusted_proxy_from_settings(tmp_path: Path) -> None:
    """A proxy named in the settings is believed; by default only the Supervisor is."""
    trusted = Settings(
        data_dir=tmp_path / "a", trusted_proxies=frozenset({"127.0.0.1"})
    )
    assert f'action="{PREFIX}/login"' in await _login_page(trusted)
    default = Settings(data_dir=tmp_path / "b")
    assert default.trusted_proxies == frozenset({"172.30.32.2"})
    assert PREFIX not in await _login_page(default)


def test_trusted_proxy_option() -> None:
    """``--trusted-proxy`` can be repeated; the default is the Supervisor's address."""
    args = build_parser().parse_args(
        ["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.2"]
    )
    assert args.trusted_proxy == ["127.0.0.1", "10.0.0.2"]
    assert build_parser().parse_args([]).trusted_proxy is None
