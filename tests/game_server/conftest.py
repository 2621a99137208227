"""Fixtures for the game server tests: every test talks real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _loopback_sockets(real_sockets: None) -> None:
    """Let every game server test open loopback sockets."""


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> None:
    """Hash passwords with argon2id's cheapest profile (the default costs 0.5 s here)."""
    from argon2 import PasswordHasher, profiles

    from game_server import auth

    auth.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
