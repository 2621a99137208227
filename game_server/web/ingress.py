"""Home Assistant ingress and trusted proxies: URL prefix, client address, remote user.

Headers set by a proxy are believed only when the TCP peer is one of the configured trusted
addresses (Home Assistant's Supervisor is 172.30.32.2); from anyone else they are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
import ipaddress
import re

from aiohttp import web

SUPERVISOR_ADDRESS = "172.30.32.2"
_PREFIX = re.compile(r"^(?:/[A-Za-z0-9._~-]+)+$")
MAX_PREFIX_CHARS = 200


@dataclass(frozen=True, slots=True)
class RemoteUser:
    """The Home Assistant user a trusted ingress proxy says is browsing."""

    id: str
    name: str
    display_name: str


def peer_address(request: web.Request) -> str:
    """Return the TCP peer's address."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return request.remote or ""


def is_trusted_peer(request: web.Request, trusted: frozenset[str]) -> bool:
    """Return whether the request comes straight from a trusted proxy."""
    address = peer_address(request)
    try:
        normalised = str(ipaddress.ip_address(address.split("%")[0]))
    except ValueError:
        return False
    if normalised.startswith("::ffff:"):
        normalised = normalised.removeprefix("::ffff:")
    return normalised in trusted


def ingress_prefix(request: web.Request, trusted: frozenset[str]) -> str:
    """Return the URL prefix under which the browser sees us ('' when direct)."""
    if not is_trusted_peer(request, trusted):
        return ""
    value = request.headers.get("X-Ingress-Path", "").rstrip("/")
    if len(value) > MAX_PREFIX_CHARS or not _PREFIX.fullmatch(value):
        return ""
    return value


def client_address(request: web.Request, trusted: frozenset[str]) -> str:
    """Return the browser's address (X-Forwarded-For's last hop behind a trusted proxy)."""
    address = peer_address(request)
    if is_trusted_peer(request, trusted):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass
    return address


def is_https(request: web.Request, trusted: frozenset[str]) -> bool:
    """Return whether the browser reached us over HTTPS."""
    if request.secure:
        return True
    if is_trusted_peer(request, trusted):
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        return proto.casefold() == "https"
    return False


def remote_user(request: web.Request, trusted: frozenset[str]) -> RemoteUser | None:
    """Return the user named by a trusted ingress proxy's headers, if any."""
    if not is_trusted_peer(request, trusted):
        return None
    user_id = request.headers.get("X-Remote-User-Id", "").strip()
    name = request.headers.get("X-Remote-User-Name", "").strip()
    if not user_id or not name or len(user_id) > 100 or len(name) > 100:
        return None
    display = request.headers.get("X-Remote-User-Display-Name", "").strip()[:100]
    return RemoteUser(id=user_id, name=name, display_name=display or name)
