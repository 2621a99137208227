"""Fixtures for tests of the Home Assistant integration layer."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components.recorder.core import Recorder
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from tests.integration.reloads import ReloadCounter


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Load the Sunshare custom integration, with the recorder it depends on, in every test."""


@pytest.fixture(autouse=True)
def development_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run Home Assistant as the demo does: the simulated GPIO backend is offered."""
    monkeypatch.setenv("SUNSHARE_DEVELOPMENT", "1")


class ReleaseSnapshotExtension(HomeAssistantSnapshotExtension):
    """Keep one set of snapshots per Home Assistant release series (test lane).

    Registry entries gain fields and change types between releases (``aliases`` is a
    set in 2025.4 and a list in 2026.10), so each lane compares with its own files:
    ``snapshots/<year>.<month>/``. Bumping a lane's release means running the
    snapshot tests once with ``--snapshot-update`` and reviewing the diff.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return the lane's snapshot folder beside the test."""
        series = f"{MAJOR_VERSION}.{MINOR_VERSION}"
        return str(Path(test_location.filepath).parent / "snapshots" / series)


@pytest.fixture
def reloads(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> ReloadCounter:
    """Count entry setups from now on (see tests/integration/reloads.py)."""
    return ReloadCounter(hass, monkeypatch)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Return snapshot assertion fixture with the Home Assistant extension."""
    return snapshot.use_extension(ReleaseSnapshotExtension)
