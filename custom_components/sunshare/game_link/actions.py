"""Declaring catalogue actions: the shared path, the action select and its button.

The select offers the season's catalogue (titles in Home Assistant's language, falling
back to English, then the id), each option with its signed points; the actions that cost
points come last and say so. The button declares the selected action for today through
the same path as the ``sunshare.declare_action`` action: sent at once, or kept in the
persistent outbox while the server is unreachable. Declaring is idempotent on the server
(a one-off action once a season, a recurring one once a week).
"""

from __future__ import annotations

from datetime import date

from homeassistant.components.button import ButtonEntity
from homeassistant.components.select import SelectEntity
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.game import (
    CatalogueAction,
    GameAuthError,
    GameError,
    game_today,
)

from .const import CONF_URL
from .coordinator import GameCoordinator
from .entity import GameEntity
from .runtime import GameConfigEntry

# Added to the option of an action that costs points (the titles come in fr and en).
MALUS_MARKS = {"fr": "coûte des points", "en": "costs points"}


async def async_declare_action(
    hass: HomeAssistant,
    entry: GameConfigEntry,
    action_id: str,
    day: date,
    evidence: str | None = None,
) -> bool:
    """Declare an action for an entry; return True if sent, False if queued.

    A refused token starts the reauth flow; a refused declaration (unknown action,
    already declared) raises a translated ``ServiceValidationError``.
    """
    try:
        return await entry.runtime_data.uploader.async_declare_action(
            action_id, day, evidence
        )
    except GameAuthError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="game_auth_failed",
            translation_placeholders={"url": entry.data[CONF_URL]},
        ) from err
    except GameError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="game_action_refused",
            translation_placeholders={"action_id": action_id, "message": str(err)},
        ) from err


def signed_points(points: float) -> str:
    """Return base points with their sign: ``+10 pts``, ``−30 pts`` (true minus)."""
    sign = "+" if points > 0 else "−" if points < 0 else ""
    return f"{sign}{abs(points):g} pts"


def malus_mark(language: str) -> str:
    """Return the words that mark an option costing points, in a language."""
    for key in (language, language.split("-", maxsplit=1)[0]):
        if key in MALUS_MARKS:
            return MALUS_MARKS[key]
    return MALUS_MARKS["en"]


def action_labels(
    catalogue: list[CatalogueAction], language: str
) -> dict[str, CatalogueAction]:
    """Return the catalogue by option label, the actions costing points last.

    A label is the title with the signed base points, e.g. ``Fit aerators on taps
    (+10 pts)``; an action that costs points says so, e.g. ``Heat a swimming pool
    (−100 pts, costs points)``, so it never reads as a good deed. Titles that appear
    twice get their id too.
    """
    ordered = [a for a in catalogue if not a.malus] + [a for a in catalogue if a.malus]
    titles = [action.title(language) for action in ordered]
    labels: dict[str, CatalogueAction] = {}
    for title, action in zip(titles, ordered, strict=True):
        details = [] if titles.count(title) == 1 else [action.id]
        details.append(signed_points(action.base_points))
        if action.malus:
            details.append(malus_mark(language))
        labels[f"{title} ({', '.join(details)})"] = action
    return labels


class ActionSelect(GameEntity, SelectEntity):
    """The catalogue action to declare with the button."""

    _attr_translation_key = "game_action"

    def __init__(self, coordinator: GameCoordinator) -> None:
        """Offer the coordinator's catalogue."""
        super().__init__(coordinator, "action")
        self._runtime = coordinator.config_entry.runtime_data

    def _labels(self) -> dict[str, CatalogueAction]:
        """Return the current catalogue by label."""
        data = self.coordinator.data
        catalogue = data.catalogue if data else []
        return action_labels(catalogue, self.hass.config.language)

    @property
    def options(self) -> list[str]:
        """Return the catalogue's labels (title and signed points)."""
        return list(self._labels())

    @property
    def current_option(self) -> str | None:
        """Return the title of the selected action (None if none or gone)."""
        for label, action in self._labels().items():
            if action.id == self._runtime.selected_action:
                return label
        return None

    async def async_select_option(self, option: str) -> None:
        """Remember the chosen action for the button."""
        action = self._labels().get(option)
        if action is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="game_action_unknown",
                translation_placeholders={"option": option},
            )
        self._runtime.selected_action = action.id
        self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Show the selection again when the button clears it."""
        await super().async_added_to_hass()
        listeners = self._runtime.selection_listeners
        listeners.append(self.async_write_ha_state)
        self.async_on_remove(lambda: listeners.remove(self.async_write_ha_state))


class DeclareActionButton(GameEntity, ButtonEntity):
    """Declare the selected catalogue action for today."""

    _attr_translation_key = "game_declare_action"

    def __init__(self, coordinator: GameCoordinator) -> None:
        """Declare what the entry's action select holds."""
        super().__init__(coordinator, "declare_action")

    async def async_press(self) -> None:
        """Declare the selected action, then clear the selection.

        Clearing it keeps a second press from declaring the action twice; the server
        refuses a repeat anyway (once a season, or once a week when recurring).
        """
        entry = self.coordinator.config_entry
        action_id = entry.runtime_data.selected_action
        if action_id is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="game_no_action_selected"
            )
        await async_declare_action(
            self.hass, entry, action_id, game_today(dt_util.utcnow())
        )
        entry.runtime_data.selected_action = None
        for listener in list(entry.runtime_data.selection_listeners):
            listener()
        await self.coordinator.async_request_refresh()


async def async_setup_select(
    hass: HomeAssistant, entry: GameConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the action select."""
    async_add_entities([ActionSelect(entry.runtime_data.coordinator)])


async def async_setup_button(
    hass: HomeAssistant, entry: GameConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the declare button."""
    async_add_entities([DeclareActionButton(entry.runtime_data.coordinator)])
