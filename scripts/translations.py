"""Build ``translations/en.json`` from ``strings.json`` and check ``fr.json`` against it.

Like Home Assistant's ``script.translations develop``: ``[%key:...%]`` references are
resolved (``common::…`` from Home Assistant's own strings, ``component::sunshare::…`` from
ours). Usage: ``.venv/bin/python scripts/translations.py [--check]`` (``.venv`` is the
current test lane: en.json takes the current release's shared strings).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "sunshare"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:\-]+)%\]")
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def _lookup(tree: Any, path: list[str]) -> str:
    """Return the string at a ``::``-separated path."""
    for part in path:
        tree = tree[part]
    if not isinstance(tree, str):
        raise TypeError(f"reference {'::'.join(path)} is not a string")
    return tree


def resolve(strings: Any, own: dict[str, Any], common: dict[str, Any]) -> Any:
    """Return ``strings`` with every ``[%key:…%]`` reference replaced by its text."""
    if isinstance(strings, dict):
        return {key: resolve(value, own, common) for key, value in strings.items()}
    if not isinstance(strings, str):
        return strings

    def replace(match: re.Match[str]) -> str:
        path = match.group(1).split("::")
        if path[0] == "common":
            return _lookup(common, path)
        if path[:2] == ["component", "sunshare"]:
            return str(resolve(_lookup(own, path[2:]), own, common))
        raise KeyError(f"unsupported reference {match.group(0)}")

    return REFERENCE.sub(replace, strings)


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    """Return ``{"a.b.c": text}`` for every string in a nested dict."""
    if isinstance(tree, dict):
        flat: dict[str, str] = {}
        for key, value in tree.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): str(tree)}


def _own() -> dict[str, Any]:
    """Return strings.json."""
    own: dict[str, Any] = json.loads(
        (INTEGRATION / "strings.json").read_text(encoding="utf-8")
    )
    return own


def english() -> dict[str, Any]:
    """Return the English translations built from strings.json."""
    own = _own()
    common_file = Path(homeassistant.__file__).parent / "strings.json"
    common = json.loads(common_file.read_text(encoding="utf-8"))
    built: dict[str, Any] = resolve(own, own, common)
    return built


def problems() -> list[str]:
    """Return what is wrong with the translation files (empty when all is well)."""
    found: list[str] = []
    en = english()
    en_file = json.loads((INTEGRATION / "translations" / "en.json").read_text("utf-8"))
    # Home Assistant's shared strings change wording between releases (2026.10:
    # "Re-configuration" became "Reconfiguration"): en.json is built on the current
    # lane, and a string that only refers to a shared one may differ on another lane.
    shared = {
        key
        for key, text in flatten(_own()).items()
        if REFERENCE.fullmatch(text) and text.startswith("[%key:common::")
    }
    flat_en, flat_file = flatten(en), flatten(en_file)
    if flat_file.keys() != flat_en.keys() or any(
        flat_file[key] != text for key, text in flat_en.items() if key not in shared
    ):
        found.append("translations/en.json is out of date: run scripts/translations.py")
    fr = flatten(
        json.loads((INTEGRATION / "translations" / "fr.json").read_text("utf-8"))
    )
    found += [f"fr.json lacks {key}" for key in sorted(flat_en.keys() - fr.keys())]
    found += [f"fr.json has extra {key}" for key in sorted(fr.keys() - flat_en.keys())]
    for key in sorted(flat_en.keys() & fr.keys()):
        if set(PLACEHOLDER.findall(flat_en[key])) != set(PLACEHOLDER.findall(fr[key])):
            found.append(f"fr.json {key}: placeholders differ from English")
        if not fr[key].strip():
            found.append(f"fr.json {key} is empty")
    return found


def main() -> int:
    """Write en.json (or only check with --check) and report problems."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.check:
        path = INTEGRATION / "translations" / "en.json"
        text = json.dumps(english(), indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
    for problem in problems():
        sys.stderr.write(problem + "\n")
    return 1 if problems() else 0


if __name__ == "__main__":
    raise SystemExit(main())
