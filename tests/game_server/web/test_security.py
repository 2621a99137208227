"""Security of the web pages over real HTTP: CSRF, throttling, access, XSS, ingress."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
import pytest

from game_server.models import ActionDeclaration
from game_server.services import GameService, Registration
from game_server.web import STATE_KEY, configure_web
from game_server.web.ratelimit import Limit, LoginRateLimiter

from .conftest import NOW, PASSWORD, Browser, MakeBrowser, registration
from .test_infra import FakeClock

XSS = '<script>alert("x")</script>'


async def player(make_browser: MakeBrowser, username: str, **changes: str) -> Browser:
    """Return a browser signed in as a new player."""
    browser = await make_browser()
    await browser.get("/register")
    status, text = await browser.post("/register", registration(username, **changes))
    assert status == 200, text
    return browser


async def test_forms_without_valid_csrf_are_refused(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """Every POST without the session's CSRF token is refused and changes nothing."""
    browser = await make_browser()
    await browser.get("/register")
    status, text = await browser.post("/register", registration("eve"), csrf=False)
    assert status == 403
    assert "Accès refusé" in text
    status, _ = await browser.post(
        "/register", {**registration("eve"), "csrf_token": "forged"}, csrf=False
    )
    assert status == 403
    assert await service.storage.get_user_by_username("eve") is None

    alice = await player(make_browser, "alice")
    for path, data in [
        ("/team/create", {"name": "Pirates"}),
        ("/tokens", {"device_name": "stolen"}),
        ("/logout", {}),
    ]:
        status, _ = await alice.post(path, data, csrf=False)
        assert status == 403, path
    user = await service.storage.get_user_by_username("alice")
    assert user is not None
    assert await service.list_tokens(user) == []
    assert await service.storage.list_teams() == []
    # Another session's token is no good either.
    other = await make_browser()
    await other.get("/login")
    status, _ = await alice.post(
        "/team/create", {"name": "Pirates", "csrf_token": other.csrf}
    )
    assert status == 403
    # The session still works with its own token.
    status, text = await alice.post("/team/create", {"name": "Pirates"})
    assert "Pirates" in text


async def test_login_is_throttled(
    client: TestClient[Any, Any], make_browser: MakeBrowser
) -> None:
    """Brute force is throttled per account (and per address), with Retry-After."""
    clock = FakeClock()
    assert client.app is not None
    configure_web(
        client.app,
        limiter=LoginRateLimiter(
            per_account=Limit(3, 600), per_address=Limit(6, 600), clock=clock
        ),
    )
    await player(make_browser, "alice")
    attacker = await make_browser()
    await attacker.get("/login")
    for _ in range(3):
        status, _ = await attacker.post(
            "/login", {"username": "alice", "password": "guess-guess"}
        )
        assert status == 401
    # Now even the right password is refused until the window has passed.
    response = await attacker.client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": attacker.csrf},
    )
    assert response.status == 429
    assert int(response.headers["Retry-After"]) == 600
    assert "Trop de tentatives" in await response.text()
    # Per address: other accounts from the same address are blocked after 6 failures.
    for name in ("bob", "carol", "dave"):
        await attacker.post("/login", {"username": name, "password": "guess-guess"})
    status, _ = await attacker.post("/login", {"username": "zoe", "password": "x" * 12})
    assert status == 429
    clock.now += 601
    status, text = await attacker.post(
        "/login", {"username": "alice", "password": PASSWORD}
    )
    assert status == 200
    assert "Bonjour Alice" in text


async def test_throttle_uses_forwarded_address_only_from_trusted_proxy(
    client: TestClient[Any, Any], trust_loopback: None
) -> None:
    """Behind the trusted proxy, the per-address limit counts X-Forwarded-For's client."""
    clock = FakeClock()
    assert client.app is not None
    configure_web(
        client.app,
        limiter=LoginRateLimiter(
            per_account=Limit(100, 600), per_address=Limit(2, 600), clock=clock
        ),
    )
    page = await client.get("/login")
    csrf = (await page.text()).split('name="csrf_token" value="')[1].split('"')[0]

    async def attempt(forwarded: str) -> int:
        """Try a wrong password as a forwarded client; return the status."""
        response = await client.post(
            "/login",
            data={
                "username": "x" + forwarded,
                "password": "wrong-wrong",
                "csrf_token": csrf,
            },
            headers={"X-Forwarded-For": f"203.0.113.9, {forwarded}"},
        )
        return response.status

    assert await attempt("198.51.100.1") == 401
    assert await attempt("198.51.100.1") == 401
    assert await attempt("198.51.100.1") == 429
    # Another browser behind the same proxy is not blocked.
    assert await attempt("198.51.100.2") == 401
    # A malformed header falls back to the proxy's own address.
    assert await attempt("not-an-address") == 401


async def test_players_cannot_reach_each_other_or_admin(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """A player never acts on another player's data, another team, or admin pages."""
    alice = await player(make_browser, "alice")
    bob = await player(make_browser, "bob")
    await alice.post("/team/create", {"name": "Alpha"})
    await bob.post("/team/create", {"name": "Bravo"})
    alice_user = await service.storage.get_user_by_username("alice")
    bob_user = await service.storage.get_user_by_username("bob")
    assert alice_user and bob_user
    token, _ = await service.issue_token(alice_user, "Alice's HA")
    alpha = await service.team_of(alice_user)
    assert alpha is not None

    # Bob cannot revoke Alice's token.
    status, text = await bob.post(f"/tokens/{token.id}/revoke")
    assert "Introuvable" in text
    assert [t.id for t in await service.list_tokens(alice_user)] == [token.id]
    # Bob cannot remove Alice from her team.
    status, _ = await bob.post(f"/team/{alpha.id}/members/{alice_user.id}/remove")
    assert status == 403
    assert [m.username for m in await service.team_members(alpha)] == ["alice"]
    # Bob cannot verify Alice's declared action (not his team member).
    declaration = ActionDeclaration(
        user_id=alice_user.id, action_id="heating_19c", day=NOW.date()
    )
    await service.storage.add_action_declaration(declaration)
    status, _ = await bob.post(f"/team/declarations/{declaration.id}/verify")
    assert status == 403
    stored = await service.storage.get_action_declaration(declaration.id)
    assert stored is not None and stored.verification.value == "self"
    # Bob's pages never show Alice's invite code or tokens.
    for path in ("/dashboard", "/team", "/leaderboard"):
        _, text = await bob.get(path)
        assert alpha.invite_code not in text
        assert "Alice&#39;s HA" not in text
    # Admin pages and admin actions are refused.
    for path in (
        "/admin",
        "/admin/users",
        "/admin/teams",
        "/admin/seasons",
        "/admin/catalogue",
        "/admin/audit",
    ):
        status, _ = await bob.get(path)
        assert status == 403, path
    status, _ = await bob.post(
        f"/admin/users/{alice_user.id}/disable", {"disabled": "1"}
    )
    assert status == 403
    status, _ = await bob.post(f"/admin/teams/{alpha.id}/delete")
    assert status == 403
    assert not (await service.get_user(alice_user.id)).disabled
    assert await service.storage.get_team(alpha.id) is not None


async def test_xss_payloads_are_escaped(
    make_browser: MakeBrowser, admin: str, service: GameService
) -> None:
    """Names typed by players render as text on every page, admin included."""
    evil = await player(make_browser, "mallory", display_name=XSS, city=XSS)
    status, text = await evil.post("/team/create", {"name": XSS})
    assert status == 200
    status, _ = await evil.post("/tokens", {"device_name": XSS})
    assert status == 200
    boss = await make_browser()
    await boss.login(admin)
    pages = [(evil, "/dashboard"), (evil, "/team"), (evil, "/leaderboard")]
    pages += [
        (boss, p) for p in ("/admin", "/admin/users", "/admin/teams", "/admin/audit")
    ]
    for browser, path in pages:
        status, text = await browser.get(path)
        assert status == 200, path
        assert XSS not in text, path
        assert "<script>alert" not in text, path
    _, text = await evil.get("/team")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    # The registration form echoes bad input escaped too.
    anon = await make_browser()
    await anon.get("/register")
    _, text = await anon.post("/register", registration(XSS, password="x"))
    assert XSS not in text
    assert "&lt;script&gt;" in text


async def test_oversized_form_refused(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """A form body over the page limit is refused with 413 before any processing."""
    browser = await make_browser()
    await browser.get("/register")
    big = registration("bigfoot", city="x" * 200_000)
    status, text = await browser.post("/register", big)
    assert status == 413
    assert "trop volumineux" in text
    assert await service.storage.get_user_by_username("bigfoot") is None

    # Over the whole app's limit too (1 MiB), sent chunked without a length.
    async def chunks() -> Any:
        for _ in range(40):
            yield b"a" * 65536

    response = await browser.client.post(
        "/login",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 413


async def test_non_form_post_refused(make_browser: MakeBrowser) -> None:
    """A page POST must be a form (no JSON smuggling)."""
    browser = await make_browser()
    await browser.get("/login")
    response = await browser.client.post(
        "/login", json={"username": "a", "password": "b", "csrf_token": browser.csrf}
    )
    assert response.status == 415


async def test_session_cookie_flags_and_tampering(
    client: TestClient[Any, Any], make_browser: MakeBrowser, trust_loopback: None
) -> None:
    """The cookie is HttpOnly, SameSite=Lax, Secure over HTTPS; a forged one is void."""
    alice = await player(make_browser, "alice")
    response = await client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Path=/" in cookie
    response = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"]
    # Security headers on pages.
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # A forged session cookie signs nobody in.
    jar = {c.key: c.value for c in alice.client.cookie_jar}
    value = jar["sunshare_session"]
    forged = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    response = await client.get(
        "/dashboard", cookies={"sunshare_session": forged}, allow_redirects=False
    )
    assert response.status == 303
    response = await client.get(
        "/dashboard", cookies={"sunshare_session": value}, allow_redirects=False
    )
    assert response.status == 200


async def test_secure_flag_ignores_untrusted_forwarded_proto(
    client: TestClient[Any, Any],
) -> None:
    """X-Forwarded-Proto from an untrusted peer does not change the cookie."""
    response = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in response.headers["Set-Cookie"]


async def test_sessions_end_on_disable_and_password_reset(
    make_browser: MakeBrowser, admin: str, service: GameService
) -> None:
    """Disabling an account or resetting its password ends its open sessions."""
    alice = await player(make_browser, "alice")
    user = await service.storage.get_user_by_username("alice")
    assert user is not None
    admin_user = await service.storage.get_user_by_username(admin)
    assert admin_user is not None
    await service.reset_password(admin_user, user.id, "a brand new password")
    response = await alice.client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    status, _ = await alice.login("alice", "a brand new password")
    assert status == 200
    await service.set_disabled(admin_user, user.id, True)
    response = await alice.client.get("/dashboard", allow_redirects=False)
    assert response.status == 303
    status, text = await alice.login("alice", "a brand new password")
    assert status == 403
    assert "Ce compte est désactivé." in text


async def test_ingress_prefix_is_honoured(
    client: TestClient[Any, Any], trust_loopback: None
) -> None:
    """Behind ingress, every link, form, asset, redirect and cookie uses the prefix."""
    prefix = "/api/hassio_ingress/AbC123-xyz_"
    response = await client.get("/register", headers={"X-Ingress-Path": prefix})
    text = await response.text()
    assert response.status == 200
    assert f'action="{prefix}/register"' in text
    assert f'href="{prefix}/static/app.css?v=' in text
    assert f'href="{prefix}/login"' in text
    assert 'href="/login"' not in text
    assert 'action="/' not in text.replace(f'action="{prefix}/', "")
    morsel = response.cookies["sunshare_session"]
    assert morsel["path"] == f"{prefix}/"
    # The browser sends the cookie back on the prefixed URL; Home Assistant strips the
    # prefix before forwarding, so the request reaches us as /register with the cookie.
    client.session.cookie_jar.clear()
    headers = {"X-Ingress-Path": prefix, "Cookie": f"sunshare_session={morsel.value}"}
    csrf = text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post(
        "/register",
        data={**registration("inga"), "csrf_token": csrf},
        headers=headers,
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == f"{prefix}/dashboard"
    # The language switch returns under the prefix too.
    response = await client.get(
        "/lang/en?next=/team", headers=headers, allow_redirects=False
    )
    assert response.headers["Location"] == f"{prefix}/team"


async def test_ingress_headers_ignored_from_untrusted_peer(
    client: TestClient[Any, Any], service: GameService
) -> None:
    """X-Ingress-Path and X-Remote-User-* from an untrusted peer change nothing."""
    await service.register(
        Registration(username="homer", password=PASSWORD, display_name="Homer")
    )
    headers = {
        "X-Ingress-Path": "/api/hassio_ingress/evil",
        "X-Remote-User-Id": "abc",
        "X-Remote-User-Name": "homer",
        "X-Remote-User-Display-Name": "Homer",
    }
    response = await client.get("/dashboard", headers=headers, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].partition("?")[0] == "/login"


async def test_trusted_ingress_user_is_signed_in(
    client: TestClient[Any, Any], service: GameService, trust_loopback: None
) -> None:
    """From the trusted proxy, a Home Assistant user with a game account is signed in."""
    await service.register(
        Registration(username="homer", password=PASSWORD, display_name="Homer")
    )
    headers = {
        "X-Ingress-Path": "/api/hassio_ingress/tok",
        "X-Remote-User-Id": "0123abcd",
        "X-Remote-User-Name": "Homer",
        "X-Remote-User-Display-Name": "Homer S.",
    }
    response = await client.get("/dashboard", headers=headers, allow_redirects=False)
    assert response.status == 200
    assert "Bonjour Homer" in await response.text()
    # An unknown Home Assistant user just gets the login page.
    client.session.cookie_jar.clear()
    response = await client.get(
        "/dashboard",
        headers={**headers, "X-Remote-User-Name": "stranger"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert (
        response.headers["Location"].partition("?")[0]
        == "/api/hassio_ingress/tok/login"
    )


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "x", "/\\evil"]
)
async def test_language_switch_is_no_open_redirect(
    client: TestClient[Any, Any], target: str
) -> None:
    """The language switch only returns to our own paths."""
    response = await client.get(
        "/lang/en", params={"next": target}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/"


async def test_state_is_shared_per_app(client: TestClient[Any, Any]) -> None:
    """The web state holds the session key kept in the data directory."""
    assert client.app is not None
    state = client.app[STATE_KEY]
    assert len(state.key) == 32
    assert "172.30.32.2" in state.config.trusted_proxies


# The Enedis callback is reached without a session: its signed state names the player.
PUBLIC = {"/", "/login", "/register", "/lang/{lang}", "/enedis/callback"}


async def test_every_page_route_requires_the_right_role(
    client: TestClient[Any, Any], make_browser: MakeBrowser
) -> None:
    """Every page route refuses anonymous visitors, and every admin route players."""
    assert client.app is not None
    routes = [
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None
        and route.method in ("GET", "POST")
        and getattr(route.handler, "__sunshare_web__", False)
    ]
    assert len(routes) > 20
    player_browser = await player(make_browser, "alice")
    anonymous = await make_browser()
    await anonymous.get("/login")
    for method, canonical in routes:
        if canonical in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "x", canonical)
        if method == "GET":
            response = await anonymous.client.get(path, allow_redirects=False)
            assert response.status == 303, path
            assert response.headers["Location"].partition("?")[0] == "/login", path
        else:
            # A valid CSRF token, yet no account: sent to the login page.
            status, text = await anonymous.post(path, {})
            assert status == 200, path
            assert "Connexion" in text, path
        if canonical.startswith("/admin"):
            if method == "GET":
                status, _ = await player_browser.get(path)
            else:
                status, _ = await player_browser.post(path, {})
            assert status == 403, (method, path)
