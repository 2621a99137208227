"""The Sunshare dashboard strategy and the game card in headless Chromium.

Home Assistant runs in the test's event loop with its real frontend (current lane: the
minimum lane has no ``hass_frontend`` and skips the browser tests), the game link signed
in to the real game server on 127.0.0.1. The browser is given the test user's token as
the frontend stores it, opens a dashboard whose configuration is only
``strategy: {type: custom:sunshare}`` and finds the game card the strategy put in it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import os
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from game_server.models import Season, User
from tests.game.server import RunningServer
from tests.game_server.web.test_browser import BROWSER_MARKS, browser

__all__ = ["browser"]  # the Chromium fixture, shared with the game server's tests

# The minimum lane has no hass_frontend (the frontend cannot be set up there).
pytest.importorskip("hass_frontend")

pytestmark = BROWSER_MARKS


@pytest.fixture
async def season(game_server: RunningServer, player: User) -> Season:
    """A season around today: Alice and Bob tied in a team."""
    today = dt_util.now().date()
    season = await game_server.add_season(
        today - timedelta(days=10), today + timedelta(days=100)
    )
    bob = await game_server.add_player("bob", "Bob")
    team = await game_server.service.create_team(bob, "Les Watts")
    await game_server.service.join_team(player, team.invite_code)
    month = today.strftime("%Y-%m")
    await game_server.set_points(season, player, month, {"piggy_bank": 12.0})
    await game_server.set_points(season, bob, month, {"piggy_bank": 12.0})
    return season


async def test_strategy_dashboard_shows_the_game_card(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    season: Season,
    game_server: RunningServer,
    player: User,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    hass_access_token: str,
    browser: Any,
) -> None:
    """A ``custom:sunshare`` dashboard holds the game card, filled from the game link."""
    await hass.config.async_set_time_zone("Europe/Paris")
    assert await async_setup_component(hass, "frontend", {})
    # What the frontend's shell subscribes to (else it logs unknown commands).
    for component in ("persistent_notification", "labs", "brands"):
        assert await async_setup_component(hass, component, {})
    # The test user exists already: no onboarding page.
    onboarded = patch(
        "homeassistant.components.onboarding.async_is_onboarded", return_value=True
    )
    onboarded.start()
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    ws = await hass_ws_client()
    await ws.send_json_auto_id(
        {
            "type": "lovelace/dashboards/create",
            "url_path": "dashboard-sunshare",
            "title": "Sunshare",
            "mode": "storage",
        }
    )
    assert (await ws.receive_json())["success"]
    await ws.send_json_auto_id(
        {
            "type": "lovelace/config/save",
            "url_path": "dashboard-sunshare",
            "config": {"strategy": {"type": "custom:sunshare"}},
        }
    )
    assert (await ws.receive_json())["success"]

    client = await hass_client()
    base = str(client.make_url("")).rstrip("/")
    tokens = {
        "hassUrl": base,
        "clientId": f"{base}/",
        "access_token": hass_access_token,
        "refresh_token": "",
        "expires": int(time.time() * 1000) + 1_800_000,
        "expires_in": 1800,
        "token_type": "Bearer",
    }
    errors: list[str] = []
    try:
        page = await _open(browser, base, tokens, "en-GB", errors)
        await page.goto("/dashboard-sunshare/sunshare")
        card = page.locator("sunshare-game-card")
        await card.get_by_text("Season score").wait_for()
        assert await card.locator(".total .value").inner_text() == "12"
        # Alice and Bob are tied: both first on the podium.
        await card.locator(".podium li").nth(1).wait_for()
        places = await card.locator(".podium li").evaluate_all(
            "items => items.map(li => [li.dataset.place, li.querySelector('.name')"
            ".textContent.trim()])"
        )
        assert places == [["1", "Alice (you)"], ["1", "Bob"]]
        assert await card.locator(".rank.in-team").inner_text() == "1 of 2"
        assert await card.locator(".rank.team").inner_text() == "1 of 1"
        assert await card.locator(".action select").count() == 1
        # The peak calendar the strategy added next to the card.
        assert await page.locator("hui-calendar-card").count() == 1

        # The visual editor offers the game link.
        options = await page.evaluate(
            """async () => {
              const card = customElements.get("sunshare-game-card");
              const editor = card.getConfigElement();
              editor.hass = document.querySelector("home-assistant").hass;
              editor.setConfig(card.getStubConfig(editor.hass));
              document.body.appendChild(editor);
              await editor.updateComplete;
              const select = editor.shadowRoot.querySelector("select[name=entry_id]");
              return [...select.options].map((o) => [o.value, o.selected]);
            }"""
        )
        assert options == [[game_entry.entry_id, True]]
        await _screenshot(page, "ha-game-dashboard.en.png")

        # Declare an action from the card: pick it, press the button; the game server
        # stores the declaration (through the select and button entities).
        await card.locator(".action select").select_option(index=1)
        await card.locator("button.declare:not([disabled])").click()
        declared = []
        for _ in range(300):
            declared = await game_server.service.storage.list_action_declarations(
                player.id
            )
            if declared:
                break
            await asyncio.sleep(0.1)
        assert len(declared) == 1

        # In French (the browser's language, and Home Assistant's for the calendar).
        hass.config.language = "fr"
        page_fr = await _open(browser, base, tokens, "fr-FR", errors)
        await page_fr.goto("/dashboard-sunshare/sunshare")
        card_fr = page_fr.locator("sunshare-game-card")
        await card_fr.get_by_text("Score de la saison").wait_for()
        assert await card_fr.locator(".rank.in-team").inner_text() == "1 sur 2"
        await _screenshot(page_fr, "ha-game-dashboard.fr.png")
    finally:
        for context in browser.contexts:
            await context.close()
        onboarded.stop()
    assert not errors, errors


async def _open(
    browser: Any, base: str, tokens: dict[str, Any], locale: str, errors: list[str]
) -> Any:
    """Return a page signed in with ``tokens``, in a language, in Paris."""
    context = await browser.new_context(
        base_url=base, locale=locale, timezone_id="Europe/Paris"
    )
    await context.add_init_script(
        f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"
    )
    page = await context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda err: errors.append(f"{err.name}: {err.message}"))
    return page


SCREENSHOTS = Path(__file__).parents[3] / "docs" / "screenshots"


async def _screenshot(page: Any, name: str) -> None:
    """Save a docs screenshot of the dashboard when asked (SUNSHARE_SCREENSHOTS=1)."""
    if os.environ.get("SUNSHARE_SCREENSHOTS") == "1":
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.locator("sunshare-game-card .total .value").wait_for()
        await page.locator("#ha-launch-screen").wait_for(state="detached")
        await page.screenshot(path=str(SCREENSHOTS / name))
