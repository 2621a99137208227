"""Unit tests of the ingress helpers: which peers are trusted and what they may say."""

from __future__ import annotations

from unittest.mock import Mock

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
import pytest

from game_server.web import ingress

SUPERVISOR = frozenset({ingress.SUPERVISOR_ADDRESS})


def request_from(peer: str, headers: dict[str, str] | None = None) -> web.Request:
    """Return a request whose TCP peer is an address."""
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 40000) if name == "peername" else default
    )
    return make_mocked_request(
        "GET", "/dashboard", headers=headers, transport=transport
    )


@pytest.mark.parametrize(
    ("peer", "trusted"),
    [
        ("172.30.32.2", True),
        ("::ffff:172.30.32.2", True),
        ("172.30.32.3", False),
        ("127.0.0.1", False),
        ("not-an-ip", False),
    ],
)
def test_only_the_supervisor_is_trusted(peer: str, trusted: bool) -> None:
    """Only the configured proxy address is trusted (IPv4-mapped IPv6 included)."""
    request = request_from(peer)
    assert ingress.is_trusted_peer(request, SUPERVISOR) is trusted


def test_prefix_and_remote_user_from_supervisor() -> None:
    """From the Supervisor, the ingress prefix and remote user are read and checked."""
    headers = {
        "X-Ingress-Path": "/api/hassio_ingress/abc_DEF-123/",
        "X-Remote-User-Id": "f00d",
        "X-Remote-User-Name": "homer",
        "X-Forwarded-For": "192.0.2.7",
        "X-Forwarded-Proto": "https",
    }
    request = request_from("172.30.32.2", headers)
    assert (
        ingress.ingress_prefix(request, SUPERVISOR) == "/api/hassio_ingress/abc_DEF-123"
    )
    user = ingress.remote_user(request, SUPERVISOR)
    assert user == ingress.RemoteUser(id="f00d", name="homer", display_name="homer")
    assert ingress.client_address(request, SUPERVISOR) == "192.0.2.7"
    assert ingress.is_https(request, SUPERVISOR)


@pytest.mark.parametrize(
    "prefix",
    [
        "https://evil.example",
        "//evil.example",
        "/ok/<script>",
        "/a b",
        "relative",
        "/" + "a" * 300,
    ],
)
def test_bad_prefixes_are_ignored(prefix: str) -> None:
    """A prefix that is not a plain path is ignored, even from the Supervisor."""
    request = request_from("172.30.32.2", {"X-Ingress-Path": prefix})
    assert ingress.ingress_prefix(request, SUPERVISOR) == ""


def test_untrusted_peer_headers_are_ignored() -> None:
    """From another peer, every proxy header is ignored."""
    headers = {
        "X-Ingress-Path": "/api/hassio_ingress/abc",
        "X-Remote-User-Id": "f00d",
        "X-Remote-User-Name": "homer",
        "X-Forwarded-For": "192.0.2.7",
        "X-Forwarded-Proto": "https",
    }
    request = request_from("198.51.100.4", headers)
    assert ingress.ingress_prefix(request, SUPERVISOR) == ""
    assert ingress.remote_user(request, SUPERVISOR) is None
    assert ingress.client_address(request, SUPERVISOR) == "198.51.100.4"
    assert not ingress.is_https(request, SUPERVISOR)


def test_incomplete_remote_user_is_ignored() -> None:
    """A remote user needs both an id and a name of sane length."""
    for headers in (
        {"X-Remote-User-Name": "homer"},
        {"X-Remote-User-Id": "f00d"},
        {"X-Remote-User-Id": "f00d", "X-Remote-User-Name": "x" * 101},
    ):
        request = request_from("172.30.32.2", headers)
        assert ingress.remote_user(request, SUPERVISOR) is None
