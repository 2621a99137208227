"""The schema library of the integration's forms and service actions, as ``vol``.

Home Assistant 2026.10 replaced voluptuous with probatio, which keeps voluptuous's
public API: at start-up Home Assistant makes ``import voluptuous`` return probatio's
shim (the very same classes), and its own signatures are typed with probatio's classes.
We import probatio where the running Home Assistant ships it, and voluptuous on older
releases (2025.4 to 2026.9), so the code runs unchanged on both and is type-checked
against the current release.
"""

from __future__ import annotations

try:
    import probatio as vol
except ImportError:  # pragma: no cover - Home Assistant before 2026.10
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]
