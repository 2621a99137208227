"""Fixtures for the game server tests: every test talks real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _loopback_sockets(real_sockets: None) -> None:
    """Let every game server test open loopback sockets."""
