"""Tests of meter verification: consent link, callback, mismatch, correction."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from yarl import URL

from game_server.enedis.errors import InvalidStateError
from game_server.enedis.state import StateSigner
from tests.fakes.clock import FakeClock
from tests.fakes.enedis_dataconnect import FakeDataConnect
from tests.fakes.enedis_gateway import DEFAULT_PRM

from .conftest import Server

OTHER_PRM = "22516914714270"
JSON = {"Accept": "application/json"}


async def _consent(server: Server, session: aiohttp.ClientSession, token: str) -> str:
    """Go through the fake consent page; return the callback URL Enedis sends."""
    response = await server.client.post(
        "/api/enedis/consent", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    url = (await response.json())["url"]
    async with session.get(url, allow_redirects=False) as page:
        assert page.status == 302
        location = URL(page.headers["Location"])
    assert str(location).startswith(str(server.client.make_url("/enedis/callback")))
    return str(location.relative())


async def test_consent_url_and_state(server: Server, enedis: FakeDataConnect) -> None:
    """The consent URL carries a short signed state naming the player."""
    user, token = await server.player("alice", DEFAULT_PRM)
    response = await server.client.post(
        "/api/enedis/consent", headers={"Authorization": f"Bearer {token}"}
    )
    url = (await response.json())["url"]
    query = parse_qs(urlsplit(url).query)
    state = query["state"][0]
    assert len(state) <= 100
    assert state.startswith(user.id + ".")
    # Sandbox: the last digit picks the test customer (3 for this PRM).
    assert state.endswith(".3")
    assert "redirect_uri" not in query


async def test_callback_verifies_matching_prm(
    server: Server, enedis: FakeDataConnect, session: aiohttp.ClientSession
) -> None:
    """Consent for the registered PRM marks it verified; the link works once."""
    user, token = await server.player("alice", DEFAULT_PRM)
    callback = await _consent(server, session, token)
    assert "autorisation_id=" in callback
    response = await server.client.get(callback, headers=JSON)
    body = await response.json()
    assert body["outcome"] == "verified" and body["verified"] is True
    assert body["prm"] == DEFAULT_PRM
    stored = await server.service.get_user(user.id)
    assert stored.prm_verified
    audit = await server.service.storage.list_audit()
    assert audit[0].action == "enedis.verify_prm" and audit[0].target_id == user.id
    again = await server.client.get(callback, headers=JSON)
    assert again.status == 400
    assert (await again.json())["outcome"] == "invalid_link"


async def test_callback_html_page_in_player_language(
    server: Server, session: aiohttp.ClientSession
) -> None:
    """Without Accept: JSON, the callback sends the browser back with the message."""
    _user, token = await server.player("alice", DEFAULT_PRM)
    callback = await _consent(server, session, token)
    response = await server.client.get(callback, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    # Signed out in this browser: the dashboard asks to sign in, the message shows.
    page = await server.client.get("/dashboard")
    text = await page.text()
    assert page.status == 200 and "<form" in text
    assert "est vérifié auprès d&#39;Enedis" in text


async def test_propagation_retry_then_verified(
    server: Server,
    enedis: FakeDataConnect,
    session: aiohttp.ClientSession,
    clock: FakeClock,
) -> None:
    """The server retries while Enedis propagates; past that, the link stays valid."""
    user, token = await server.player("alice", DEFAULT_PRM)
    enedis.propagation_calls = 2
    callback = await _consent(server, session, token)
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "verified"
    assert clock.sleeps[-2:] == [1.0, 2.0]
    # Slower propagation: "try again shortly", and trying again works.
    assert (await server.service.get_user(user.id)).prm_verified
    enedis.propagation_calls = 6
    _bob, bob_token = await server.player("bob", None)
    enedis.holder_prm = OTHER_PRM
    callback = await _consent(server, session, bob_token)
    first = await server.client.get(callback, headers=JSON)
    body = await first.json()
    assert body["outcome"] == "not_propagated" and body["retryable"] is True
    html_page = await (await server.client.get(callback)).text()
    assert "Réessayer" in html_page
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "prm_correctable"


async def test_mismatch_offers_correction(
    server: Server, enedis: FakeDataConnect, session: aiohttp.ClientSession
) -> None:
    """Consent for another, unused PRM offers to switch the account to it."""
    user, token = await server.player("alice", OTHER_PRM)
    callback = await _consent(server, session, token)
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "prm_correctable"
    assert body["prm"] == DEFAULT_PRM and body["registered_prm"] == OTHER_PRM
    assert not (await server.service.get_user(user.id)).prm_verified
    # The same link is used up; a new consent shows the offer as a form.
    used = await server.client.get(callback, headers=JSON)
    assert used.status == 400
    page = await (
        await server.client.get(await _consent(server, session, token))
    ).text()
    assert "Utiliser ce compteur" in page and 'name="token"' in page
    response = await server.client.post(
        "/enedis/correct", data={"token": body["correction_token"]}, headers=JSON
    )
    result = await response.json()
    assert result["outcome"] == "prm_corrected" and result["verified"] is True
    stored = await server.service.get_user(user.id)
    assert stored.prm == DEFAULT_PRM and stored.prm_verified
    forged = await server.client.post(
        "/enedis/correct", data={"token": body["correction_token"] + "x"}, headers=JSON
    )
    assert (await forged.json())["outcome"] == "invalid_link"


async def test_mismatch_with_prm_of_another_account(
    server: Server, session: aiohttp.ClientSession
) -> None:
    """Consent for a PRM another account uses is refused, nothing verified."""
    await server.player("bob", DEFAULT_PRM)
    user, token = await server.player("alice", OTHER_PRM)
    callback = await _consent(server, session, token)
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "prm_taken"
    assert body["correction_token"] is None
    assert not (await server.service.get_user(user.id)).prm_verified


async def test_refused_consent_and_forged_state(
    server: Server, enedis: FakeDataConnect, session: aiohttp.ClientSession
) -> None:
    """A refusal and a forged state get clear messages."""
    _user, token = await server.player("alice", DEFAULT_PRM)
    enedis.refuse_next()
    callback = await _consent(server, session, token)
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "consent_refused"
    assert "refused the consent" in body["message"]
    response = await server.client.get(
        "/enedis/callback",
        params={"autorisation_id": "1", "state": "x" * 20},
        headers=JSON,
    )
    assert response.status == 400
    assert (await response.json())["outcome"] == "invalid_link"


def test_state_signer_limits() -> None:
    """States are short, signed, expire, and accept one sandbox digit."""
    now = [1_000_000.0]
    signer = StateSigner.from_secret("secret", clock=lambda: now[0])
    user_id = "a" * 32
    state = signer.make_state(user_id, test_client=7)
    assert len(state) <= 100 and state.endswith(".7")
    read = signer.read_state(state, consume=False)
    assert read.user_id == user_id and read.test_client == 7
    other = StateSigner.from_secret("other", clock=lambda: now[0])
    for bad in (state[:-3] + "abc", state.replace(user_id, "b" * 32), "a.b.c"):
        with pytest.raises(InvalidStateError):
            signer.read_state(bad)
    with pytest.raises(InvalidStateError):
        other.read_state(state)
    signer.read_state(state)
    with pytest.raises(InvalidStateError, match="already used"):
        signer.read_state(state)
    fresh = signer.make_state(user_id)
    now[0] += 3601
    with pytest.raises(InvalidStateError, match="expired"):
        signer.read_state(fresh)
    with pytest.raises(ValueError, match="one digit"):
        signer.make_state(user_id, test_client=12)
    with pytest.raises(ValueError, match="100"):
        signer.make_state("u" * 90)


async def test_enedis_trouble_keeps_the_link_usable(
    server: Server, enedis: FakeDataConnect, session: aiohttp.ClientSession
) -> None:
    """Quota and outages say "try again", and trying again verifies."""
    user, token = await server.player("alice", DEFAULT_PRM)
    callback = await _consent(server, session, token)
    enedis.fail_api("subscribed_services", 429, retry_after=5000)
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "quota" and body["retryable"] is True
    enedis.fail_api("subscribed_services", 500, times=3)
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "unavailable"
    body = await (await server.client.get(callback, headers=JSON)).json()
    assert body["outcome"] == "verified"
    assert (await server.service.get_user(user.id)).prm_verified


async def test_callback_without_consent_id_or_for_disabled_account(
    server: Server, session: aiohttp.ClientSession
) -> None:
    """A callback missing autorisation_id, or for a disabled account, is refused."""
    user, token = await server.player("alice", DEFAULT_PRM)
    callback = await _consent(server, session, token)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    response = await server.client.get(
        "/enedis/callback", params={"state": state}, headers=JSON
    )
    assert (await response.json())["outcome"] == "invalid_link"
    user.disabled = True
    await server.service.storage.update_user(user)
    response = await server.client.get(callback, headers=JSON)
    assert (await response.json())["outcome"] == "invalid_link"
    assert not (await server.service.get_user(user.id)).prm_verified
