"""The password change page and the sign-out in headless Chromium (as in test_browser)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
import pytest

from .conftest import PASSWORD
from .test_browser import CHROMIUM, browser, new_page, register

__all__ = ["browser"]  # the Chromium fixture, shared with test_browser

NEW_PASSWORD = "a much better passphrase"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium is missing: install Debian's package "
        "(apt-get install chromium) to run the browser tests",
    ),
]


async def test_change_password_then_sign_in_with_it(
    browser: Any, client: TestClient[Any, Any]
) -> None:
    """From the menu: change the password, stay signed in, sign out, sign in again."""
    base = str(client.make_url("")).rstrip("/")
    page = await new_page(browser, base)
    await register(page, "paula", "Paula")
    await page.wait_for_url("**/dashboard")
    await page.click("nav >> text=Mot de passe")
    await page.wait_for_url("**/account/password")
    await page.fill("#f-current_password", "not my password")
    await page.fill("#f-new_password", NEW_PASSWORD)
    await page.fill("#f-new_password_confirm", NEW_PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_selector("#e-current_password")
    assert "incorrect" in await page.inner_text("#e-current_password")
    await page.fill("#f-current_password", PASSWORD)
    await page.fill("#f-new_password", NEW_PASSWORD)
    await page.fill("#f-new_password_confirm", NEW_PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url("**/dashboard")
    assert "Votre mot de passe est changé." in await page.inner_text("main")
    await page.click("nav >> text=Se déconnecter")
    await page.wait_for_url("**/login")
    await page.fill("#f-username", "paula")
    await page.fill("#f-password", NEW_PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url("**/dashboard")
    assert "Bonjour Paula" in await page.inner_text("main")
