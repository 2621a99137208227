"""The repository's GitHub Actions workflows are valid and run what they should."""

from __future__ import annotations

from importlib import resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _schema() -> dict[str, Any]:
    """Return the GitHub workflow schema (SchemaStore's, vendored by check-jsonschema)."""
    text = (
        resources.files("check_jsonschema.builtin_schemas.vendor")
        .joinpath("github-workflows.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def _load(path: Path) -> dict[str, Any]:
    """Load a workflow; YAML 1.1 reads the ``on`` key as True, GitHub as "on"."""
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_the_schema(path: Path) -> None:
    """Each workflow validates against GitHub's workflow schema."""
    jsonschema.validate(_load(path), _schema())


def _steps() -> list[dict[str, Any]]:
    """Return every step of every workflow."""
    return [
        step
        for path in WORKFLOWS
        for job in _load(path)["jobs"].values()
        for step in job.get("steps", [])
    ]


def test_the_repository_checks_are_there() -> None:
    """Hassfest, HACS validation, the add-on linter and the test command run."""
    uses = {str(step.get("uses", "")).split("@")[0] for step in _steps()}
    assert {
        "home-assistant/actions/hassfest",
        "hacs/action",
        "frenck/action-addon-linter",
    } <= uses
    runs = [str(step.get("run", "")) for step in _steps()]
    assert "./scripts/test" in runs
    assert any("scripts/release.py check" in run for run in runs)


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls exactly ./scripts/test, the command the README gives."""
    assert "exec ./scripts/test" in (ROOT / ".ci" / "run").read_text()
    assert "./scripts/test" in (ROOT / "README.md").read_text()
