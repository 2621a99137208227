"""Registry of the kinds of config entry the Sunshare integration handles.

Each kind (Linky meter, pulse meter, buzzer, relay, Enedis data, game link) is a thin Home
Assistant adapter over a pure library. The top-level modules (``__init__``, the platform
modules, ``diagnostics``) only dispatch to the handler registered here for an entry's kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import CONF_KIND, DOMAIN, EntryKind

type PlatformSetup = Callable[
    [HomeAssistant, ConfigEntry[Any], AddEntitiesCallback], Awaitable[None]
]
type EntryCallback = Callable[[HomeAssistant, ConfigEntry[Any]], Awaitable[None]]
type DiagnosticsCallback = Callable[
    [HomeAssistant, ConfigEntry[Any]], Awaitable[dict[str, Any]]
]


async def _nothing(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Do nothing (default unload step for kinds that release everything in their platforms)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class KindHandler:
    """How one kind of config entry is set up, unloaded and diagnosed."""

    setup_entry: EntryCallback
    """Connect to the device or service; raise ConfigEntryNotReady/AuthFailed/Error on failure."""
    platforms: Mapping[Platform, PlatformSetup] = field(default_factory=dict)
    """Entity platforms of this kind and the function adding its entities on each."""
    unload_entry: EntryCallback = _nothing
    """Release everything (ports, GPIO lines, listeners) after the platforms are unloaded."""
    remove_entry: EntryCallback | None = None
    """Delete what the entry stored on disk, when the user removes the entry."""
    diagnostics: DiagnosticsCallback | None = None
    """Return redacted diagnostics for an entry of this kind."""
    register_services: Callable[[HomeAssistant], None] | None = None
    """Register the kind's service actions (called once, from ``async_setup``)."""


HANDLERS: dict[EntryKind, KindHandler] = {}


def register(kind: EntryKind, handler: KindHandler) -> None:
    """Register the handler of one kind of config entry."""
    HANDLERS[kind] = handler


def entry_kind(entry: ConfigEntry[Any]) -> EntryKind:
    """Return the kind of a config entry, or raise a translated error if it is unknown."""
    try:
        return EntryKind(entry.data[CONF_KIND])
    except (KeyError, ValueError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_kind",
            translation_placeholders={"kind": str(entry.data.get(CONF_KIND))},
        ) from err


def handler_for(entry: ConfigEntry[Any]) -> KindHandler:
    """Return the handler of an entry's kind."""
    kind = entry_kind(entry)
    if (handler := HANDLERS.get(kind)) is None:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_kind",
            translation_placeholders={"kind": kind.value},
        )
    return handler


async def async_setup_kind_platform(
    platform: Platform,
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the entities an entry's kind has on one platform."""
    if (setup := handler_for(entry).platforms.get(platform)) is not None:
        await setup(hass, entry, async_add_entities)
