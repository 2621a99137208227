"""The background task's schedule: full at start and nightly, dirty passes between."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from game_server.rules.models import PARIS
from game_server.scoring_job import job_for, run_forever
from game_server.storage.sqlite import SQLiteStorage


async def test_full_at_start_and_nightly_dirty_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The first pass and the first one after 03:30 each day are full; a failure logs."""
    storage = SQLiteStorage(tmp_path / "s.db")
    await storage.open()
    job = job_for(storage)
    calls: list[tuple[str, date]] = []

    async def full(today: date, season_id: str | None = None) -> list[object]:
        calls.append(("full", today))
        return []

    async def dirty(today: date) -> list[object]:
        calls.append(("dirty", today))
        if len(calls) == 3:
            raise RuntimeError("boom")
        return []

    monkeypatch.setattr(job, "recompute_all", full)
    monkeypatch.setattr(job, "recompute_dirty", dirty)
    moments: Iterator[datetime] = iter(
        datetime(2027, 1, day, hour, minute, tzinfo=PARIS)
        for day, hour, minute in (
            (20, 10, 0),
            (20, 10, 1),
            (21, 1, 0),
            (21, 3, 31),
            (21, 4, 0),
        )
    )

    def clock() -> datetime:
        try:
            return next(moments)
        except StopIteration:
            raise asyncio.CancelledError from None

    with pytest.raises(asyncio.CancelledError):
        await run_forever(storage, clock, interval=0)
    await storage.close()
    assert calls == [
        ("full", date(2027, 1, 20)),
        ("dirty", date(2027, 1, 20)),
        ("dirty", date(2027, 1, 21)),
        ("full", date(2027, 1, 21)),
        ("dirty", date(2027, 1, 21)),
    ]
    assert "Scoring pass failed" in caplog.text
