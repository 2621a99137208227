"""Daily update of Enedis data: fetch after publication, import statistics.

Enedis publishes yesterday's data from about 08:00 Europe/Paris. The coordinator
schedules its next refresh itself (``update_interval`` is recomputed after each
update): once yesterday's day has arrived, the next attempt is tomorrow at 08:00 plus a
per-meter offset of up to an hour (spreading the gateway's load); until it arrives, an
attempt every two hours. A steady day costs one request per direction (two with
production). Library errors become ``ConfigEntryAuthFailed`` (token refused, consent
revoked: Home Assistant starts the reauth flow) or ``UpdateFailed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN, LOGGER
from custom_components.sunshare.enedis import (
    PARIS,
    EnedisAuthError,
    EnedisClient,
    EnedisError,
    EnedisRateLimitedError,
)
from custom_components.sunshare.enedis.hourly import daily_hours, day_totals

from .api import async_fetch_chunk
from .const import (
    CONF_PRM,
    ERROR_RETRY_INTERVAL,
    INITIAL_DAYS,
    PUBLICATION_TIME,
    RETRY_INTERVAL,
    STALE_DAYS,
    Direction,
)
from .statistics import StatisticsNotStoredError, StatisticsWriter
from .store import EnedisState, EnedisStore

if TYPE_CHECKING:
    from .runtime import EnedisConfigEntry

_TOLERANCE = timedelta(minutes=1)
CATCH_UP_DAYS = 31
"""Most days the daily update fetches after a long outage (more: the backfill service)."""


def paris_today(now: datetime) -> date:
    """Return the Europe/Paris day of an aware instant."""
    return now.astimezone(PARIS).date()


def publication_offset(prm: str) -> timedelta:
    """Return the per-meter delay after 08:00 (0–59 min) that spreads gateway load."""
    return timedelta(minutes=int(prm) % 60)


def next_attempt(now: datetime, last_day: date | None, prm: str) -> datetime:
    """Return when to try next, given the newest day every direction has."""
    today = paris_today(now)
    publish = datetime.combine(today, PUBLICATION_TIME, PARIS) + publication_offset(prm)
    if last_day is not None and last_day >= today - timedelta(days=1):
        return publish + timedelta(days=1)
    if now < publish:
        return publish
    return now + RETRY_INTERVAL


def stale_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue raised when data stops arriving."""
    return f"enedis_stale_{entry_id}"


def auth_failed(err: EnedisAuthError) -> ConfigEntryAuthFailed:
    """Return the reauth trigger for a refused token or a revoked consent."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key="enedis_auth_failed",
        translation_placeholders={"error": str(err)},
    )


def update_failed(err: EnedisError | StatisticsNotStoredError) -> UpdateFailed:
    """Return the update failure of any other library or recorder error."""
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="enedis_update_failed",
        translation_placeholders={"error": str(err)},
    )


class EnedisCoordinator(DataUpdateCoordinator[EnedisState]):
    """Fetch new days once a day and import them into the statistics."""

    config_entry: EnedisConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EnedisConfigEntry,
        *,
        client: EnedisClient,
        writer: StatisticsWriter,
        store: EnedisStore,
        state: EnedisState,
    ) -> None:
        """Create the coordinator of an entry with its saved state."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Enedis {entry.data[CONF_PRM]}",
            update_interval=RETRY_INTERVAL,
            always_update=True,
        )
        self.client = client
        self.writer = writer
        self.store = store
        self.state = state
        self.prm: str = entry.data[CONF_PRM]
        self.last_attempt: datetime | None = None
        self.next_planned: datetime | None = None
        self.last_error: str | None = None

    async def async_sync_period(
        self, start: date, end: date, directions: Iterable[Direction] = Direction
    ) -> int:
        """Fetch ``[start, end[`` of each direction and import it; return rows."""
        rows = 0
        for direction in directions:
            if not self.state.available[direction]:
                continue
            data = await async_fetch_chunk(
                self.client,
                self.prm,
                direction,
                start,
                end,
                load_curve=self.state.load_curve[direction],
            )
            self.state.available[direction] = data.available
            self.state.load_curve[direction] = data.load_curve
            rows += await self.writer.async_import(
                direction, daily_hours(data.intervals, data.days)
            )
            self.state.add_totals(direction, day_totals(data.intervals, data.days))
        return rows

    def newest_days(self) -> dict[Direction, date | None]:
        """Return the newest day received of each direction the meter has."""
        return {
            direction: max(self.state.totals[direction], default=None)
            for direction in Direction
            if self.state.available[direction]
        }

    def _lagging(self, yesterday: date) -> dict[Direction, date | None]:
        """Return the directions whose newest day is before yesterday."""
        return {
            direction: newest
            for direction, newest in self.newest_days().items()
            if newest is None or newest < yesterday
        }

    async def _async_update_data(self) -> EnedisState:
        """Fetch the days not received yet, when they may be published."""
        now = dt_util.utcnow()
        today = paris_today(now)
        lagging = self._lagging(today - timedelta(days=1))
        due = bool(lagging) and (
            self.next_planned is None or now >= self.next_planned - _TOLERANCE
        )
        if due:
            self.last_attempt = now
            try:
                # Each direction from its own newest day (one may lag the other).
                for direction, newest in lagging.items():
                    start = today - timedelta(days=INITIAL_DAYS)
                    if newest is not None:
                        start = max(
                            newest + timedelta(days=1),
                            today - timedelta(days=CATCH_UP_DAYS),
                        )
                    await self.async_sync_period(start, today, (direction,))
            except EnedisAuthError as err:
                self.last_error = str(err)
                raise auth_failed(err) from err
            except (EnedisError, StatisticsNotStoredError) as err:
                self.last_error = str(err)
                wait = ERROR_RETRY_INTERVAL
                if isinstance(err, EnedisRateLimitedError) and err.retry_after:
                    wait = max(wait, timedelta(seconds=err.retry_after))
                self._schedule(now, now + wait)
                raise update_failed(err) from err
            finally:
                await self.store.async_save(self.state)
            self.last_error = None
        newest_days = self.newest_days()
        known = [day for day in newest_days.values() if day is not None]
        caught_up = min(known) if known and len(known) == len(newest_days) else None
        self._schedule(now, next_attempt(now, caught_up, self.prm))
        self._check_freshness(today)
        return self.state

    def _schedule(self, now: datetime, when: datetime) -> None:
        """Plan the next refresh at ``when``."""
        self.next_planned = when
        self.update_interval = max(when - now, _TOLERANCE)

    def _check_freshness(self, today: date) -> None:
        """Raise or clear the repair issue about data that stopped arriving."""
        issue_id = stale_issue_id(self.config_entry.entry_id)
        last_day = self.state.last_day
        if last_day is not None and (today - timedelta(days=1) - last_day).days >= (
            STALE_DAYS
        ):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="enedis_stale",
                translation_placeholders={
                    "title": self.config_entry.title,
                    "last_day": last_day.isoformat(),
                    "days": str((today - last_day).days),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
