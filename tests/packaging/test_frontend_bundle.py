"""The game card's bundle is committed, built from the current sources, self-contained."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import re

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
BUNDLE = ROOT / "custom_components" / "sunshare" / "frontend" / "sunshare-game-card.js"


def sources_hash() -> str:
    """Return the sha256 of the sources as ``frontend/build.mjs`` computes it."""
    files = sorted(
        [
            *(p.relative_to(FRONTEND).as_posix() for p in FRONTEND.glob("src/**/*.js")),
            "build.mjs",
            "package.json",
            "package-lock.json",
        ]
    )
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((FRONTEND / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def test_bundle_is_built_from_the_current_sources() -> None:
    """The hash in the bundle's first line is the sources' (else run build_frontend)."""
    first_line = BUNDLE.read_text(encoding="utf-8").split("\n", 1)[0]
    match = re.fullmatch(
        r"// sunshare-game-card ([0-9a-f]{64}) \(sources sha256\)", first_line
    )
    assert match, first_line
    assert match[1] == sources_hash(), "stale bundle: run ./scripts/build_frontend"


def test_bundle_defines_the_card_editor_and_strategy_without_a_cdn() -> None:
    """The elements are defined; Lit is bundled, nothing is imported at run time."""
    text = BUNDLE.read_text(encoding="utf-8")
    for name in (
        "sunshare-game-card",
        "sunshare-game-card-editor",
        "ll-strategy-dashboard-sunshare",
        "sunshare/game/leaderboard",
    ):
        assert f'"{name}"' in text, name
    assert not re.search(r"\bimport\s*[\"'({]|from\s*[\"']https?:", text)
    assert "https://cdn" not in text and "unpkg.com" not in text


def test_lockfile_pins_the_declared_packages() -> None:
    """package-lock.json is committed and matches package.json's dev dependencies."""
    package = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    root = lock["packages"][""]
    assert root["devDependencies"] == package["devDependencies"]
    for name, version in package["devDependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
