"""The action catalogue shipped with the game (``catalogue.json``, French and English)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import ActionDefinition

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")
DOMAINS = ("heating", "hot_water", "appliances", "lighting", "cooling", "envelope")
BASE_POINTS = {1: 10, 2: 30, 3: 60, 4: 100}


class CatalogueError(ValueError):
    """The catalogue file is not valid."""


def parse_catalogue(data: dict[str, Any]) -> dict[str, ActionDefinition]:
    """Return the actions of a catalogue document, validating every entry."""
    actions: dict[str, ActionDefinition] = {}
    for entry in data.get("actions", []):
        try:
            action = ActionDefinition(
                id=str(entry["id"]),
                domain=str(entry["domain"]),
                level=int(entry["level"]),
                base_points=float(entry["base_points"]),
                recurring=bool(entry.get("recurring", False)),
            )
            titles = entry["title"]
        except (KeyError, TypeError, ValueError) as err:
            raise CatalogueError(f"invalid action entry {entry!r}: {err}") from err
        if action.domain not in DOMAINS:
            raise CatalogueError(f"{action.id}: unknown domain {action.domain}")
        if action.level not in BASE_POINTS:
            raise CatalogueError(f"{action.id}: level must be 1 to 4")
        if not (isinstance(titles, dict) and titles.get("fr") and titles.get("en")):
            raise CatalogueError(f"{action.id}: needs a French and an English title")
        if action.id in actions:
            raise CatalogueError(f"duplicate action id {action.id}")
        actions[action.id] = action
    return actions


def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, ActionDefinition]:
    """Load and validate the catalogue file."""
    return parse_catalogue(json.loads(path.read_text(encoding="utf-8")))


def load_titles(path: Path = CATALOGUE_FILE) -> dict[str, dict[str, str]]:
    """Return each action's titles by language (``{"id": {"fr": …, "en": …}}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(entry["id"]): dict(entry["title"]) for entry in data["actions"]}
