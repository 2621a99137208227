"""The test lanes match what the project claims to support."""

from __future__ import annotations

import json
from pathlib import Path
import re

ROOT = Path(__file__).resolve().parents[2]


def _pinned(path: Path, package: str) -> str:
    """Return the version a requirements or constraints file pins for a package."""
    match = re.search(
        rf"^{re.escape(package)}==(\S+)$", path.read_text(encoding="utf-8"), re.M
    )
    assert match is not None, f"{path.name} pins no {package}"
    return match.group(1)


def _series(version: str) -> tuple[int, int]:
    """Return a release's year and month."""
    year, month = version.split(".")[:2]
    return int(year), int(month)


def test_minimum_lane_is_the_minimum_hacs_announces() -> None:
    """hacs.json's minimum Home Assistant is the release the minimum lane tests."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    tested = _pinned(ROOT / "constraints_minimum.txt", "homeassistant")
    assert _series(hacs["homeassistant"]) == _series(tested)
    assert f"Home Assistant **{'.'.join(map(str, _series(tested)))}** or newer" in (
        ROOT / "README.md"
    ).read_text(encoding="utf-8")


def test_current_lane_is_newer_and_pairs_with_its_harness() -> None:
    """The current lane's release is the one its test plugin pins, newer than minimum."""
    current = _pinned(ROOT / "constraints.txt", "homeassistant")
    minimum = _pinned(ROOT / "constraints_minimum.txt", "homeassistant")
    assert _series(current) > _series(minimum)
    for requirements, constraints in (
        ("requirements_test.txt", "constraints.txt"),
        ("requirements_test_minimum.txt", "constraints_minimum.txt"),
    ):
        plugin = "pytest-homeassistant-custom-component"
        assert _pinned(ROOT / requirements, plugin) == _pinned(
            ROOT / constraints, plugin
        )
