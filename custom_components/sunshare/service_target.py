"""Resolve the target of a Sunshare service action to loaded config entries of one kind.

A service may name its target by config entry (``config_entry_id``) or by one or more
entities of that entry (``entity_id``); both resolve to loaded entries of the expected
kind, or raise a translated :class:`ServiceValidationError`.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er

from custom_components.sunshare.validation import vol

from .const import CONF_KIND, DOMAIN, EntryKind

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

TARGET_SCHEMA: Final[dict[vol.Marker, Any]] = {
    vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "target"): cv.string,
    vol.Exclusive(ATTR_ENTITY_ID, "target"): vol.All(cv.entity_ids, vol.Length(min=1)),
}


def with_target(schema: dict[vol.Marker, Any]) -> vol.All[Any]:
    """Return a service schema with a target (entry or entities) plus ``schema``."""
    return vol.All(
        vol.Schema({**TARGET_SCHEMA, **schema}),
        cv.has_at_least_one_key(ATTR_CONFIG_ENTRY_ID, ATTR_ENTITY_ID),
    )


def _entry_of_kind(
    hass: HomeAssistant, entry_id: str | None, kind: EntryKind, target: str
) -> ConfigEntry[Any]:
    """Return a loaded entry of ``kind`` or raise a translated validation error."""
    entry = hass.config_entries.async_get_entry(entry_id) if entry_id else None
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.data.get(CONF_KIND) != kind.value
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=f"{kind.value}_not_found",
            translation_placeholders={"target": target},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=f"{kind.value}_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def target_entries(
    hass: HomeAssistant, data: dict[str, Any], kind: EntryKind
) -> list[ConfigEntry[Any]]:
    """Return the loaded entries of ``kind`` a service call targets (no duplicates)."""
    if (entry_id := data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        return [_entry_of_kind(hass, entry_id, kind, entry_id)]
    registry = er.async_get(hass)
    entries: dict[str, ConfigEntry[Any]] = {}
    for entity_id in data[ATTR_ENTITY_ID]:
        registered = registry.async_get(entity_id)
        entry = _entry_of_kind(
            hass,
            registered.config_entry_id if registered else None,
            kind,
            entity_id,
        )
        entries[entry.entry_id] = entry
    return list(entries.values())
