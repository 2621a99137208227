"""Validate quality_scale.yaml against hassfest's format and rule list (2025.4).

Hassfest only checks this file for core integrations; for a custom integration it is a
self-assessment, held to the same format here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

FILE = (
    Path(__file__).resolve().parents[2]
    / "custom_components/sunshare/quality_scale.yaml"
)

# Rule names of hassfest's ALL_RULES (script/hassfest/quality_scale.py) for 2025.4.
RULES = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules",
        "config-flow", "config-flow-test-coverage", "dependency-transparency",
        "docs-actions", "docs-high-level-description", "docs-installation-instructions",
        "docs-removal-instructions", "entity-event-setup", "entity-unique-id",
        "has-entity-name", "runtime-data", "test-before-configure",
        "test-before-setup", "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery", "discovery-update-info",
        "docs-data-update", "docs-examples", "docs-known-limitations",
        "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
        "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
        "entity-disabled-by-default", "entity-translations", "exception-translations",
        "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip
ALL_RULES = {rule for rules in RULES.values() for rule in rules}


@pytest.fixture(scope="module")
def rules() -> dict[str, object]:
    """Return the rules section of quality_scale.yaml."""
    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    assert set(data) == {"rules"}
    rules: dict[str, object] = data["rules"]
    return rules


def test_every_rule_is_assessed_once_and_only_known_rules(
    rules: dict[str, object],
) -> None:
    """The file lists exactly hassfest's rules."""
    assert set(rules) == ALL_RULES


def test_statuses_follow_the_hassfest_schema(rules: dict[str, object]) -> None:
    """A rule is "done"/"todo", or a mapping with a status; exempt needs a comment."""
    for rule, value in rules.items():
        if isinstance(value, str):
            assert value in {"done", "todo"}, rule
            continue
        assert isinstance(value, dict), rule
        assert set(value) <= {"status", "comment"}, rule
        assert value["status"] in {"done", "todo", "exempt"}, rule
        if value["status"] in {"exempt", "todo"}:
            assert str(value.get("comment", "")).strip(), f"{rule} needs a comment"
