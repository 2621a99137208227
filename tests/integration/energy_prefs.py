"""Energy-dashboard preferences for tests, in either of Home Assistant's formats.

Before 2026.10 one grid source held every meter (``flow_from`` / ``flow_to`` lists);
from 2026.10 on each grid connection is its own source (``stat_energy_from`` /
``stat_energy_to``) and stored preferences are migrated (store 1.2 → 1.3). Tests set
preferences in the running release's format through the manager, and also write them
to the store in each format to check what upgrading users have.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from homeassistant.components.energy import data as energy_data

UNIFIED_GRID = "stat_energy_from" in energy_data.GridSourceType.__annotations__
"""Whether the running Home Assistant keeps one grid source per connection."""
STORE_KEY = "energy"


def legacy_grid(imports: Sequence[str], exports: Sequence[str]) -> dict[str, Any]:
    """Return one grid source in the format of Home Assistant before 2026.10."""
    return {
        "type": "grid",
        "flow_from": [
            {
                "stat_energy_from": statistic_id,
                "stat_cost": None,
                "entity_energy_price": None,
                "number_energy_price": None,
            }
            for statistic_id in imports
        ],
        "flow_to": [
            {
                "stat_energy_to": statistic_id,
                "stat_compensation": None,
                "entity_energy_price": None,
                "number_energy_price": None,
            }
            for statistic_id in exports
        ],
        "cost_adjustment_day": 0.0,
    }


def unified_grid(
    imports: Sequence[str], exports: Sequence[str]
) -> list[dict[str, Any]]:
    """Return the grid connections in the format of Home Assistant 2026.10+."""
    return [
        {
            "type": "grid",
            "stat_energy_from": imported,
            "stat_energy_to": exported,
            "cost_adjustment_day": 0.0,
        }
        for imported, exported in zip_longest(imports, exports)
    ]


def grid_sources(
    imports: Sequence[str], exports: Sequence[str], *, unified: bool = UNIFIED_GRID
) -> list[dict[str, Any]]:
    """Return the grid sources of some meters in one format (the running one)."""
    if unified:
        return unified_grid(imports, exports)
    return [legacy_grid(imports, exports)]


def preferences(
    imports: Sequence[str],
    exports: Sequence[str] = (),
    *,
    solar: Sequence[str] = (),
    battery: Sequence[tuple[str, str]] = (),
    unified: bool = UNIFIED_GRID,
) -> Any:
    """Return Energy-dashboard preferences; ``battery`` holds (in, out) pairs.

    Typed ``Any``: the manager's update type differs between releases.
    """
    return {
        "energy_sources": [
            *grid_sources(imports, exports, unified=unified),
            *({"type": "solar", "stat_energy_from": stat} for stat in solar),
            *(
                {"type": "battery", "stat_energy_from": out, "stat_energy_to": into}
                for into, out in battery
            ),
        ],
        "device_consumption": [],
    }


def stored_preferences(prefs: dict[str, Any], *, unified: bool) -> dict[str, Any]:
    """Return the energy store's file content holding ``prefs`` in one format."""
    return {
        "version": 1,
        "minor_version": 3 if unified else 1,
        "key": STORE_KEY,
        "data": prefs,
    }
