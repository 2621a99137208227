"""Calendar of the game's peak windows and peak events (to shed load at peaks).

Peak windows are the season's recurring windows (e.g. weekdays 18:00–20:00 from November
to March, in the game's Europe/Paris time); peak events are the peaks the admins announce.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from custom_components.sunshare.game import GAME_TIME_ZONE, PeakEvent

from .coordinator import GameData
from .entity import GameEntity
from .runtime import GameConfigEntry

LOOKAHEAD = timedelta(days=8)
WINDOW_TITLES = {"fr": "Heure de pointe", "en": "Peak window"}


def window_events(
    season: dict[str, Any] | None, start: datetime, end: datetime, title: str
) -> list[CalendarEvent]:
    """Return the season's peak windows overlapping [start, end)."""
    if not season or not season.get("peak_windows"):
        return []
    first = max(
        start.astimezone(GAME_TIME_ZONE).date(), date.fromisoformat(season["start"])
    )
    last = min(end.astimezone(GAME_TIME_ZONE).date(), date.fromisoformat(season["end"]))
    events: list[CalendarEvent] = []
    day = first
    while day <= last:
        for window in season["peak_windows"]:
            if (
                day.month not in window["months"]
                or day.weekday() not in (window["weekdays"])
            ):
                continue
            begin = datetime.combine(
                day, time.fromisoformat(window["start"]), GAME_TIME_ZONE
            )
            finish = datetime.combine(
                day, time.fromisoformat(window["end"]), GAME_TIME_ZONE
            )
            if begin < end and finish > start:
                events.append(
                    CalendarEvent(
                        start=begin,
                        end=finish,
                        summary=title,
                        uid=f"window-{day.isoformat()}-{window['start']}",
                    )
                )
        day += timedelta(days=1)
    return events


def _calendar_event(peak: PeakEvent) -> CalendarEvent:
    """Return the calendar event of a peak event."""
    return CalendarEvent(
        start=peak.start,
        end=peak.end,
        summary=peak.title,
        description=f"×{peak.multiplier:g}",
        uid=peak.id,
    )


class PeakCalendar(GameEntity, CalendarEntity):
    """The season's peak windows and the peak events announced by the game."""

    _attr_translation_key = "game_peaks"

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Return the peak windows and peak events overlapping [start, end), by start."""
        data: GameData | None = self.coordinator.data
        if data is None:
            return []
        title = WINDOW_TITLES.get(self.hass.config.language[:2], WINDOW_TITLES["en"])
        peaks = [
            _calendar_event(peak)
            for peak in data.peak_events
            if peak.start < end and peak.end > start
        ]
        windows = window_events(data.me.get("season"), start, end, title)
        # Sorted by start; at the same start a peak event comes before a window.
        return sorted([*peaks, *windows], key=lambda event: event.start_datetime_local)

    @property
    def event(self) -> CalendarEvent | None:
        """Return the peak window or event in progress, else the next one."""
        now = dt_util.utcnow()
        events = self._events(now, now + LOOKAHEAD)
        return events[0] if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the peak windows and peak events overlapping a period."""
        return self._events(start_date, end_date)


async def async_setup_calendar(
    hass: HomeAssistant, entry: GameConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the peak events calendar."""
    async_add_entities([PeakCalendar(entry.runtime_data.coordinator, "peaks")])
