"""A fake monotonic clock and an aiohttp session, shared by the Enedis test suites."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        """Start at an arbitrary instant."""
        self.time = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.time

    async def sleep(self, seconds: float) -> None:
        """Record the sleep and move time forward instead of waiting."""
        self.sleeps.append(seconds)
        self.time += seconds


@pytest.fixture
def clock() -> FakeClock:
    """Return a fresh fake clock."""
    return FakeClock()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an aiohttp session closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session
