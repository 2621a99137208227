"""History import (backfill): fetch past days chunk by chunk, resumable after restart.

Days beyond the load-curve history (24 months), and every day of a meter that does not
record its load curve, are fetched as daily values, up to a year per request; other
days as 7-day load-curve chunks (daily values only for the days the curve does not
cover). Every chunk is imported into the statistics, then
the progress (next day to fetch) is saved in the entry's store, so an import
interrupted by a restart resumes where it stopped. A pause between chunks and the
client's shared rate limiter keep the gateway's quota safe. Errors: a refused token or
revoked consent stops the import and starts re-authentication; any other error pauses
it and retries an hour later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN, LOGGER
from custom_components.sunshare.enedis import EnedisAuthError, EnedisError, Measure

from .const import BACKFILL_PAUSE, ERROR_RETRY_INTERVAL, Direction
from .coordinator import paris_today
from .store import BackfillProgress

if TYPE_CHECKING:
    from .coordinator import EnedisCoordinator
    from .runtime import EnedisConfigEntry

DAILY_CHUNK_DAYS = 365
CURVE_CHUNK_DAYS = 7


class Backfill:
    """The history import of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnedisConfigEntry,
        coordinator: EnedisCoordinator,
    ) -> None:
        """Bind the import to an entry and its coordinator (which holds the state)."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._task: asyncio.Task[None] | None = None
        self._retry: CALLBACK_TYPE | None = None
        self._listeners: list[Callable[[], None]] = []
        self.pause = BACKFILL_PAUSE
        """Seconds between two chunks."""

    @property
    def progress(self) -> BackfillProgress | None:
        """Return the progress of the current or last import."""
        return self._coordinator.state.backfill

    @property
    def running(self) -> bool:
        """Return whether an import task is running now."""
        return self._task is not None and not self._task.done()

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` on every progress change; return the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        """Tell the listeners (the progress sensor) that the progress changed."""
        for listener in list(self._listeners):
            listener()

    def first_day(self) -> date:
        """Return the first day the API serves (daily history limit)."""
        return self._coordinator.client.available_range(Measure.DAILY_CONSUMPTION)[0]

    async def async_start(self, start: date | None) -> BackfillProgress:
        """Start an import from ``start`` (default: resume, or the history limit)."""
        if self.running:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="enedis_import_running",
                translation_placeholders={"title": self._entry.title},
            )
        today = paris_today(dt_util.utcnow())
        current = self.progress
        if start is None and current is not None and current.status != "done":
            progress = current
            progress.end = today
        else:
            first = max(start or self.first_day(), self.first_day())
            if first >= today:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="enedis_import_nothing",
                    translation_placeholders={"start": first.isoformat()},
                )
            progress = BackfillProgress(start=first, end=today, cursor=first)
            self._coordinator.state.backfill = progress
        progress.status, progress.error = "running", None
        await self._coordinator.store.async_save(self._coordinator.state)
        self._spawn(progress)
        return progress

    @callback
    def async_resume(self) -> None:
        """Resume an import a restart interrupted (called at setup)."""
        if (progress := self.progress) is not None and progress.status in (
            "running",
            "waiting",
        ):
            self._spawn(progress)

    def _spawn(self, progress: BackfillProgress) -> None:
        """Run the import as a background task of the entry."""
        self._cancel_retry()
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(progress), f"{DOMAIN} Enedis history import"
        )

    def _cancel_retry(self) -> None:
        """Forget a planned retry."""
        if self._retry is not None:
            self._retry()
            self._retry = None

    @callback
    def async_unload(self) -> None:
        """Stop a planned retry (the task itself is cancelled with the entry)."""
        self._cancel_retry()

    def _chunk_end(self, cursor: date, end: date) -> date:
        """Return the end of the chunk starting at ``cursor``."""
        client = self._coordinator.client
        state = self._coordinator.state
        curve_first = client.available_range(Measure.CONSUMPTION_LOAD_CURVE)[0]
        if cursor < curve_first:
            return min(curve_first, cursor + timedelta(days=DAILY_CHUNK_DAYS), end)
        if any(state.available[d] and state.load_curve[d] for d in Direction):
            return min(cursor + timedelta(days=CURVE_CHUNK_DAYS), end)
        # No load curve in any direction: daily values only, a year per request.
        return min(cursor + timedelta(days=DAILY_CHUNK_DAYS), end)

    async def _async_run(self, progress: BackfillProgress) -> None:
        """Import chunk after chunk from the saved cursor."""
        coordinator = self._coordinator
        progress.status, progress.error = "running", None
        self._notify()
        try:
            while progress.cursor < progress.end:
                chunk_end = self._chunk_end(progress.cursor, progress.end)
                before = coordinator.client.request_count
                await coordinator.async_sync_period(progress.cursor, chunk_end)
                progress.requests += coordinator.client.request_count - before
                progress.cursor = chunk_end
                await coordinator.store.async_save(coordinator.state)
                self._notify()
                if progress.cursor < progress.end and self.pause:
                    await asyncio.sleep(self.pause)
            progress.status = "done"
            LOGGER.info(
                "Enedis history import of %s done (%s requests)",
                self._entry.title,
                progress.requests,
            )
        except EnedisAuthError as err:
            progress.status, progress.error = "failed", str(err)
            self._entry.async_start_reauth(self._hass)
        except EnedisError as err:
            progress.status, progress.error = "waiting", str(err)
            LOGGER.warning(
                "Enedis history import of %s paused, retrying in %s: %s",
                self._entry.title,
                ERROR_RETRY_INTERVAL,
                err,
            )
            self._retry = async_call_later(
                self._hass, ERROR_RETRY_INTERVAL, self._async_retry
            )
        await coordinator.store.async_save(coordinator.state)
        coordinator.async_update_listeners()
        self._notify()

    @callback
    def _async_retry(self, _now: datetime) -> None:
        """Resume after a pause caused by an error."""
        self._retry = None
        if (progress := self.progress) is not None:
            self._spawn(progress)
