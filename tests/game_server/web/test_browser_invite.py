"""The team invite link's copy button in headless Chromium (as in test_browser).

The button's script is app.js (the CSP allows only our own script files, no inline
JavaScript): the test also checks that Chromium reported no CSP violation.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
import pytest

from .test_browser import CHROMIUM, browser, register

__all__ = ["browser"]  # the Chromium fixture, shared with test_browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium is missing: install Debian's package "
        "(apt-get install chromium) to run the browser tests",
    ),
]


@pytest.mark.parametrize(
    ("locale", "copied"), [("fr-FR", "Lien copié."), ("en-GB", "Link copied.")]
)
async def test_copy_button_copies_the_invite_link(
    browser: Any, client: TestClient[Any, Any], locale: str, copied: str
) -> None:
    """The captain copies the link; a new player opening it finds the code typed in."""
    base = str(client.make_url("")).rstrip("/")
    context = await browser.new_context(
        base_url=base,
        locale=locale,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = await context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" else None
        ),
    )
    await register(page, "ines", "Inès")
    await page.wait_for_url(re.compile(r"/dashboard$"))
    await page.goto("/team")
    await page.fill("#f-team-name", "Les Tournesols")
    await page.click("#create-team button")
    await page.wait_for_selector("#invite-link")
    link = await page.input_value("#invite-link")
    code = (await page.inner_text("#invite-code")).strip()
    assert link == f"{base}/team?invite={code}"

    await page.click("button[data-copy=invite-link]")
    status = page.locator("#invite [role=status]")
    from playwright.async_api import expect

    await expect(status).to_have_text(copied)
    assert await page.evaluate("navigator.clipboard.readText()") == link
    assert not [p for p in problems if "Content Security Policy" in p], problems

    # A second player opens the copied link: the join form already holds the code.
    other = await browser.new_context(base_url=base, locale=locale)
    mate = await other.new_page()
    mate.set_default_timeout(15_000)
    await register(mate, "jules", "Jules")
    await mate.wait_for_url(re.compile(r"/dashboard$"))
    await mate.goto(link)
    assert await mate.input_value("#f-invite") == code
    await mate.click("#join-team button")
    await mate.wait_for_selector("#members")
    assert "Inès" in await mate.inner_text("#members")
    await other.close()
    await context.close()
