"""Make the integration's pure Enedis library importable without Home Assistant.

``custom_components/sunshare/enedis/`` imports nothing from Home Assistant, but its
parent package ``custom_components.sunshare`` is the integration, whose ``__init__``
does. The game server (the add-on installs no Home Assistant) therefore registers that
parent as a bare package — its ``__init__`` not run — before importing the library.
Where Home Assistant is installed (tests, development) the real package is used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

PARENT = "custom_components.sunshare"


def ensure_enedis_library() -> None:
    """Import ``custom_components.sunshare`` or register it as a bare package."""
    if PARENT in sys.modules:
        return
    try:
        importlib.import_module(PARENT)
    except ImportError as err:
        if not (err.name or "").startswith("homeassistant"):
            raise
        spec = importlib.util.find_spec(PARENT)
        if spec is None or spec.submodule_search_locations is None:
            raise
        sys.modules[PARENT] = importlib.util.module_from_spec(spec)


ensure_enedis_library()
