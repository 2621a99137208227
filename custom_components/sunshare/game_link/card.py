"""Serve the game card's bundle and load it in every dashboard.

The bundle (``custom_components/sunshare/frontend/sunshare-game-card.js``, built from
``frontend/src`` by ``scripts/build_frontend``) defines the ``custom:sunshare-game-card``
card, its editor and the ``custom:sunshare`` dashboard strategy. It is served on a static
path and added to the frontend's extra modules, with its hash in the URL so a new version
is never read from a browser's cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant

from custom_components.sunshare.const import LOGGER

BUNDLE = Path(__file__).parent.parent / "frontend" / "sunshare-game-card.js"
URL = "/sunshare_static/sunshare-game-card.js"


def _bundle_version() -> str | None:
    """Return a short hash of the bundle (None when it is missing)."""
    try:
        return hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the bundle and add it to the frontend (when http and frontend run)."""
    if "http" not in hass.config.components:
        return
    version = await hass.async_add_executor_job(_bundle_version)
    if version is None:
        LOGGER.warning("The game card bundle %s is missing", BUNDLE)
        return
    await hass.http.async_register_static_paths(
        [StaticPathConfig(URL, str(BUNDLE), cache_headers=False)]
    )
    if "frontend" in hass.config.components:
        add_extra_js_url(hass, f"{URL}?v={version}")
