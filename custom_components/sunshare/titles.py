"""Entry titles in Home Assistant's language, the same words as the devices' names.

A device with a ``translation_key`` is named from ``device.<key>.name`` of the
translations, in the language Home Assistant is set to (2025.4 and later resolve it on
every set-up). An entry's title is a plain string stored once: the flows build it from
that same translation, so that a French Home Assistant shows "Compteur Linky" both as
the entry and as its device. A title the user changes is theirs and is never rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN

DEVICE_NAMES: dict[str, str] = {
    "linky": "Linky meter",
    "game_link": "Sunshare game ({name})",
}
"""English names, used when a translation cannot be loaded (kept as in strings.json)."""


async def async_device_title(
    hass: HomeAssistant, key: str, placeholders: Mapping[str, str] | None = None
) -> str:
    """Return the translated name of device ``key``, for the entry that creates it."""
    translations = await async_get_translations(
        hass, hass.config.language, "device", [DOMAIN]
    )
    template = translations.get(
        f"component.{DOMAIN}.device.{key}.name", DEVICE_NAMES[key]
    )
    try:
        return template.format(**(placeholders or {}))
    except (KeyError, IndexError, ValueError):
        return DEVICE_NAMES[key].format(**(placeholders or {}))
