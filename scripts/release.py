"""Release helper: check that every version agrees, build the add-on's wheel.

Usage (see CONTRIBUTING.md, "Releasing"):

- ``.venv/bin/python scripts/release.py check``: every place that carries the version
  agrees (pyproject.toml, the integration's manifest, the add-on's config.yaml, its
  Dockerfile and changelog, the wheel in ``addon/dist/``) and the wheel holds exactly
  the current sources; exits 1 with the differences otherwise.
- ``.venv/bin/python scripts/release.py wheel``: build the game server's wheel from the
  current sources into ``addon/dist/`` (replacing the previous one).

The add-on image installs the game server from that wheel, so the add-on builds from
the repository alone, before anything is published.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addon"
DIST = ADDON / "dist"
WHEEL_NAME = "sunshare_game_server-{version}-py3-none-any.whl"


def project_version() -> str:
    """Return the version in pyproject.toml (the source of truth)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def versions() -> dict[str, str | None]:
    """Return the version each file carries."""
    manifest = json.loads(
        (ROOT / "custom_components" / "sunshare" / "manifest.json").read_text("utf-8")
    )
    config = (ADDON / "config.yaml").read_text(encoding="utf-8")
    dockerfile = (ADDON / "Dockerfile").read_text(encoding="utf-8")
    changelog = (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")
    wheels = sorted(DIST.glob("sunshare_game_server-*.whl"))

    def find(pattern: str, text: str) -> str | None:
        match = re.search(pattern, text, re.MULTILINE)
        return match.group(1) if match else None

    return {
        "pyproject.toml": project_version(),
        "custom_components/sunshare/manifest.json": str(manifest["version"]),
        "addon/config.yaml": find(r'^version:\s*"?([^"\s]+)"?', config),
        "addon/Dockerfile (BUILD_VERSION)": find(
            r"^ARG BUILD_VERSION=(\S+)", dockerfile
        ),
        "addon/CHANGELOG.md (newest entry)": find(r"^## (\S+)", changelog),
        "addon/dist (wheel)": (
            wheels[0].name.split("-")[1] if len(wheels) == 1 else None
        ),
    }


def wheel_sources(wheel: Path) -> dict[str, str]:
    """Return ``{path: sha256}`` of the package files inside a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if ".dist-info/" not in name
        }


def tree_sources(names: list[str]) -> dict[str, str]:
    """Return ``{path: sha256}`` of the same files in the working tree."""
    return {
        name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()
        for name in names
        if (ROOT / name).is_file()
    }


def problems() -> list[str]:
    """Return what disagrees (empty when the release is consistent)."""
    found: list[str] = []
    expected = project_version()
    for place, version in versions().items():
        if version != expected:
            found.append(f"{place}: {version} (pyproject.toml: {expected})")
    wheel = DIST / WHEEL_NAME.format(version=expected)
    if wheel.is_file():
        packed = wheel_sources(wheel)
        current = tree_sources(list(packed))
        stale = sorted(name for name in packed if current.get(name) != packed[name])
        found += [f"{wheel.name}: {name} differs from the sources" for name in stale]
        fresh = built_sources()
        found += [
            f"{wheel.name}: lacks {name}"
            for name in sorted(fresh.keys() - packed.keys())
        ]
    return found


SOURCES = ("pyproject.toml", "README.md", "LICENSE", "game_server",
           "custom_components/sunshare/enedis")  # fmt: skip
"""What the wheel is built from (pyproject.toml chooses the packages among them)."""


def build(out: Path) -> Path:
    """Build the wheel from the working tree into ``out``; return its path.

    The build runs on a copy of ``SOURCES``, so that setuptools' build folders never
    land in the working tree.
    """
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder)
        for name in SOURCES:
            source, target = ROOT / name, tree / name
            if source.is_dir():
                shutil.copytree(
                    source, target, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(source, target)
        subprocess.run(  # noqa: S603 - pip on our own tree
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
             str(out), str(tree)],
            check=True,
        )  # fmt: skip
    wheel = out / WHEEL_NAME.format(version=project_version())
    if not wheel.is_file():
        raise SystemExit(f"the build made no {wheel.name}")
    return wheel


def built_sources() -> dict[str, str]:
    """Return the files a wheel built now would hold."""
    with tempfile.TemporaryDirectory() as folder:
        return wheel_sources(build(Path(folder)))


def main() -> int:
    """Run the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "wheel"])
    args = parser.parse_args()
    if args.command == "wheel":
        DIST.mkdir(exist_ok=True)
        for old in DIST.glob("sunshare_game_server-*.whl"):
            old.unlink()
        print(build(DIST).relative_to(ROOT))  # noqa: T201
        return 0
    for problem in problems():
        print(problem)  # noqa: T201
    return 1 if problems() else 0


if __name__ == "__main__":
    raise SystemExit(main())
