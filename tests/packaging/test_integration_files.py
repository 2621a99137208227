"""Checks of manifest.json, hacs.json, services, translations, icons and brand images.

They repeat, locally, the rules hassfest and the HACS action apply to a custom integration.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from PIL import Image
import pytest
import yaml

from tests.scripts import load_script, package_name, requirement_lines

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "sunshare"
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "render_readme",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}


def _json(path: Path) -> Any:
    """Load a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """Return the integration manifest."""
    data: dict[str, Any] = _json(INTEGRATION / "manifest.json")
    return data


def test_manifest_keys_sorted_domain_and_name_first(manifest: dict[str, Any]) -> None:
    """Hassfest: domain, name, then the other keys in alphabetical order."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_required_values(manifest: dict[str, Any]) -> None:
    """Hassfest and HACS required keys, with valid values."""
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").exists()
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["codeowners"]
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://")
    assert "home-assistant.io/integrations" not in manifest["documentation"]


def test_manifest_requirements_are_compatible_ranges(manifest: dict[str, Any]) -> None:
    """Every requirement is a bounded range (>=tested,<next major) as in requirements.txt.

    Home Assistant core pins some of the same packages (serialx for its own teleinfo
    integration): an exact pin of ours would conflict with the release's pin.
    """
    ranges = requirement_lines(ROOT / "requirements.txt")
    for requirement in manifest["requirements"]:
        assert re.fullmatch(
            r"[A-Za-z0-9_.\-]+>=[0-9][A-Za-z0-9.]*,<[0-9]+", requirement
        ), requirement
        assert ranges[package_name(requirement)] == requirement


def test_manifest_declares_every_integration_imported(manifest: dict[str, Any]) -> None:
    """Every ``homeassistant.components.X`` imported is a dependency or after-dependency."""
    declared = set(manifest.get("dependencies", [])) | set(
        manifest.get("after_dependencies", [])
    )
    # Platforms of entity domains are always available and need not be declared.
    entity_platforms = {
        "sensor", "binary_sensor", "switch", "siren", "calendar", "event", "select",
        "button", "number", "diagnostics", "repairs",
    }  # fmt: skip
    imported: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        imported |= set(
            re.findall(
                r"^\s*(?:from|import) homeassistant\.components\.([a-z_0-9]+)",
                path.read_text(encoding="utf-8"),
                re.MULTILINE,
            )
        )
    assert imported - entity_platforms <= declared


def test_hacs_json() -> None:
    """HACS: only known keys, a name, the minimum Home Assistant version and country."""
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    assert hacs["homeassistant"] == "2025.4.0"
    assert hacs["country"] == "FR"
    assert (ROOT / "README.md").exists()
    assert [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()] == [
        "sunshare"
    ]


def test_services_have_strings_and_icons() -> None:
    """Every service (and field) in services.yaml has strings and an icon (hassfest)."""
    services_file = INTEGRATION / "services.yaml"
    services: dict[str, Any] = (
        yaml.safe_load(services_file.read_text()) or {}
        if services_file.exists()
        else {}
    )
    strings = _json(INTEGRATION / "strings.json").get("services", {})
    icons = _json(INTEGRATION / "icons.json").get("services", {})
    assert set(strings) == set(services)
    for service, spec in services.items():
        assert strings[service]["name"] and strings[service]["description"], service
        assert service in icons, f"{service} has no icon in icons.json"
        fields = dict((spec or {}).get("fields", {}))
        for section in [f for f in fields.values() if "fields" in (f or {})]:
            fields.update(section["fields"])
        for field, field_spec in fields.items():
            if "fields" in (field_spec or {}):
                continue
            text = strings[service]["fields"][field]
            assert text["name"] and text["description"], (service, field)


def test_translations_complete_in_english_and_french() -> None:
    """en.json is built from strings.json; fr.json has the same keys and placeholders."""
    assert load_script("translations").problems() == []


def test_brand_images() -> None:
    """The brand folder ships a 256 px icon and a 512 px @2x icon."""
    with Image.open(INTEGRATION / "brand" / "icon.png") as icon:
        assert icon.size == (256, 256)
    with Image.open(INTEGRATION / "brand" / "icon@2x.png") as icon:
        assert icon.size == (512, 512)
