"""Shared test fixtures.

pytest-homeassistant-custom-component ships its own ``custom_components`` package and puts
it first on the path; importing ours here, before Home Assistant mounts its test config
directory, makes ``custom_components.sunshare`` resolve to this repository's integration.
"""

from __future__ import annotations

import logging

import pytest

import custom_components.sunshare  # noqa: F401

pytest_plugins = [
    "tests.fakes.clock",  # the ``clock`` and ``session`` fixtures
    "tests.deprecation_watch",  # fails tests during which Home Assistant reports us
]

# The Home Assistant test plugin turns SQLAlchemy's statement echo on; it floods the output.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

# The Home Assistant test plugin blocks sockets in every test and allows 127.0.0.1 only
# once re-enabled. Tests that run a real local server (game server, fake Enedis gateway,
# TIC over TCP) request the ``socket_enabled`` fixture, e.g. through ``real_sockets``.


@pytest.fixture
def real_sockets(socket_enabled: None) -> None:
    """Allow real sockets on the loopback address (127.0.0.1) for this test."""
