"""Fixtures for the GPIO hardware layer tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from custom_components.sunshare.gpio import reset_simulated_chips

from .fake_gpiod import FakeGpio, install


@pytest.fixture(autouse=True)
def _fresh_simulated_chips() -> Iterator[None]:
    """Start every test with no simulated chip."""
    reset_simulated_chips()
    yield
    reset_simulated_chips()


@pytest.fixture
def fake_gpiod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeGpio:
    """Install the fake gpiod module with an empty /dev directory."""
    return install(monkeypatch, str(tmp_path))
