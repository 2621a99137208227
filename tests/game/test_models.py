"""The game client's data: a reading holds its game day's real number of half-hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.sunshare.game import (
    DailyReading,
    game_day_bounds,
    game_day_half_hours,
    game_today,
)


@pytest.mark.parametrize(
    ("day", "count"),
    [
        (date(2026, 11, 20), 48),
        (date(2026, 3, 29), 46),  # spring forward: 02:00–03:00 does not exist
        (date(2026, 10, 25), 50),  # fall back: 02:00–03:00 happens twice
        (date(2027, 3, 28), 46),
        (date(2027, 10, 31), 50),
    ],
)
def test_reading_refuses_another_count(day: date, count: int) -> None:
    assert game_day_half_hours(day) == count
    DailyReading(day=day, import_kwh=1.0, import_slots=(0.0,) * count)
    for wrong in (count - 1, count + 1, 0):
        with pytest.raises(ValueError, match=f"must hold {count} half-hours"):
            DailyReading(day=day, import_kwh=1.0, import_slots=(0.0,) * wrong)
        with pytest.raises(ValueError, match="export_slots"):
            DailyReading(
                day=day,
                import_kwh=1.0,
                import_slots=(0.0,) * count,
                export_slots=(0.0,) * wrong,
            )


@given(
    st.integers(
        min_value=int(datetime(2000, 1, 1, tzinfo=UTC).timestamp()),
        max_value=int(datetime(2100, 1, 1, tzinfo=UTC).timestamp()),
    )
)
def test_every_instant_falls_in_its_game_day(timestamp: int) -> None:
    """An instant lies within the bounds of the game day it falls in; days tile time."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    day = game_today(moment)
    start, end = game_day_bounds(day)
    assert start <= moment < end
    assert game_day_bounds(day + timedelta(days=1))[0] == end
    assert (end - start) / timedelta(minutes=30) == game_day_half_hours(day)
    assert game_day_half_hours(day) in {46, 48, 50}
