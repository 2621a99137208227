"""Import the project's scripts (``scripts/*.py``) from tests, and read its pins."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import re
import sys
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` as a module (registered as ``<name>``).

    Registered in ``sys.modules`` before it runs, as an import would: dataclasses
    (and pickling) look their module up there.
    """
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def package_name(requirement: str) -> str:
    """Return the lower-case package name of a requirement line."""
    return re.split(r"[<>=!~\[ ]", requirement.strip())[0].lower()


def requirement_lines(path: Path) -> dict[str, str]:
    """Return ``{package: line}`` of a requirements file (comments and -r skipped)."""
    return {
        package_name(line): line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
