"""Install what the demo's Home Assistant needs beyond the test lane.

Usage: ``.venv/bin/python scripts/demo_requirements.py CONSTRAINTS INTEGRATION …``.

The demo runs Home Assistant with ``--skip-pip`` (nothing installed behind our back), so
this installs, with the release's own ``package_constraints.txt`` (CONSTRAINTS):
``requirements_demo.txt`` (the web UI), then the requirements of the integrations Home
Assistant sets up on every start, read from their manifests. Wheels only: a pinned
version with no wheel for this Python (some audio libraries lag behind a new Python) is
replaced by the newest version that has one, and the script says so.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import subprocess
import sys
import tempfile

import homeassistant.components

ROOT = Path(__file__).resolve().parent.parent


def manifest_requirements(names: list[str]) -> list[str]:
    """Return the requirements of the named integrations, without repeats."""
    base = Path(homeassistant.components.__path__[0])
    found: list[str] = []
    for name in names:
        manifest = json.loads((base / name / "manifest.json").read_text("utf-8"))
        found += [req for req in manifest.get("requirements", []) if req not in found]
    return found


def pip_install(constraints: str, *requirements: str, quiet: bool = False) -> bool:
    """Install wheels only; return whether pip succeeded (``quiet``: no pip errors)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", "--only-binary=:all:", "-c", constraints,
               *requirements]  # fmt: skip
    errors = subprocess.DEVNULL if quiet else None
    return subprocess.run(command, check=False, stderr=errors).returncode == 0  # noqa: S603


def without(constraints: str, name: str) -> str:
    """Return a copy of a constraints file without the line of one package."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    lines = [
        line
        for line in Path(constraints).read_text(encoding="utf-8").splitlines()
        if re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ]", line)[0]).lower() != key
    ]
    copy = Path(tempfile.mkdtemp()) / f"constraints-without-{key}.txt"
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(copy)


def main() -> int:
    """Install the web UI and the integrations' requirements."""
    constraints, names = sys.argv[1], sys.argv[2:]
    if not pip_install(constraints, "-r", str(ROOT / "requirements_demo.txt")):
        return 1
    for requirement in manifest_requirements(names):
        if pip_install(constraints, requirement, quiet=True):
            continue
        name = re.split(r"[<>=!~\[]", requirement)[0]
        sys.stderr.write(
            f"note: {requirement} has no wheel for this Python; the demo uses the "
            f"newest {name} that has one\n"
        )
        if not pip_install(without(constraints, name), name):
            sys.stderr.write(
                f"warning: no wheel of {name}; Home Assistant may log it\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
