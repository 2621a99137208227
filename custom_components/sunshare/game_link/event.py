"""Event entity firing when the game announces a peak event and when one starts.

Automations and blueprints use it to shed load at peaks. Which peak events were already
announced and started is saved, so a restart neither repeats nor loses an event: a peak
that started while Home Assistant was down fires ``peak_started`` when it comes back, if
the peak is still in progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.game import PeakEvent

from .const import EVENT_PEAK_ANNOUNCED, EVENT_PEAK_STARTED, STORE_VERSION
from .coordinator import GameCoordinator, GameData
from .entity import GameEntity
from .runtime import GameConfigEntry


def peak_attributes(peak: PeakEvent) -> dict[str, Any]:
    """Return the event data of a peak event."""
    return {
        "id": peak.id,
        "title": peak.title,
        "start": peak.start.isoformat(),
        "end": peak.end.isoformat(),
        "multiplier": peak.multiplier,
    }


class PeakEventEntity(GameEntity, EventEntity):
    """Fires ``peak_announced`` and ``peak_started``."""

    _attr_translation_key = "game_peak"

    def __init__(self, coordinator: GameCoordinator) -> None:
        """Track the peak events of the coordinator."""
        super().__init__(coordinator, "peak")
        self._attr_event_types = [EVENT_PEAK_ANNOUNCED, EVENT_PEAK_STARTED]
        entry_id = coordinator.config_entry.entry_id
        self._store: Store[dict[str, list[str]]] = Store(
            coordinator.hass, STORE_VERSION, f"{DOMAIN}.game.{entry_id}.peaks"
        )
        self._announced: set[str] = set()
        self._started: set[str] = set()
        self._timers: dict[str, tuple[datetime, CALLBACK_TYPE]] = {}

    async def async_added_to_hass(self) -> None:
        """Restore which peaks were already announced and started, then check."""
        await super().async_added_to_hass()
        saved = await self._store.async_load() or {}
        self._announced = set(saved.get("announced", []))
        self._started = set(saved.get("started", []))
        self.async_on_remove(self._cancel_timers)
        self._check_peaks()

    async def async_will_remove_from_hass(self) -> None:
        """Save what was announced and started now: a reload reads it at once."""
        await self._store.async_save(self._data())
        await super().async_will_remove_from_hass()

    @callback
    def _cancel_timers(self) -> None:
        """Cancel the timers of peak starts."""
        for _start, cancel in self._timers.values():
            cancel()
        self._timers.clear()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Check the peak events after each poll."""
        self._check_peaks()
        super()._handle_coordinator_update()

    @callback
    def _check_peaks(self) -> None:
        """Fire for new and started peaks; plan a timer at each upcoming start."""
        data: GameData | None = self.coordinator.data
        if data is None:
            return
        now = dt_util.utcnow()
        current = {peak.id: peak for peak in data.peak_events if peak.end > now}
        changed = False
        for peak in sorted(current.values(), key=lambda item: item.start):
            if peak.id not in self._announced:
                self._announced.add(peak.id)
                changed = True
                if peak.start > now:
                    self._fire(EVENT_PEAK_ANNOUNCED, peak)
            if peak.start <= now:
                if peak.id not in self._started:
                    self._started.add(peak.id)
                    changed = True
                    self._fire(EVENT_PEAK_STARTED, peak)
            elif self._timers.get(peak.id, (None,))[0] != peak.start:
                self._plan(peak)
        for peak_id in list(self._timers):
            if peak_id not in current:
                self._timers.pop(peak_id)[1]()
        # Forget peaks that ended (or were cancelled), keeping the saved sets small.
        for known in (self._announced, self._started):
            if known - set(current):
                known.intersection_update(current)
                changed = True
        if changed:
            self._store.async_delay_save(self._data, 0)

    def _data(self) -> dict[str, list[str]]:
        """Return the saved state."""
        return {"announced": sorted(self._announced), "started": sorted(self._started)}

    @callback
    def _plan(self, peak: PeakEvent) -> None:
        """Fire ``peak_started`` at a peak's start (replacing a planned timer)."""
        if (planned := self._timers.pop(peak.id, None)) is not None:
            planned[1]()

        @callback
        def _start(now: datetime) -> None:
            """Fire at the start of the peak."""
            self._timers.pop(peak.id, None)
            self._check_peaks()

        self._timers[peak.id] = (
            peak.start,
            async_track_point_in_utc_time(self.hass, _start, peak.start),
        )

    @callback
    def _fire(self, event_type: str, peak: PeakEvent) -> None:
        """Fire one event of the entity."""
        self._trigger_event(event_type, peak_attributes(peak))
        self.async_write_ha_state()


async def async_setup_event(
    hass: HomeAssistant, entry: GameConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the peak event entity."""
    async_add_entities([PeakEventEntity(entry.runtime_data.coordinator)])
