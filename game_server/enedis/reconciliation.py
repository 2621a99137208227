"""Daily reconciliation of players' reported days with Enedis certified data (rules §6).

Every day after Enedis publishes D-1 (about 08:00 Paris; the job runs at ``run_at``,
08:30 by default), :class:`ReconciliationJob` reads the daily consumption of every
verified player for the last ``lookback_days`` days (late meters show up a day later)
and stores each certified day **beside** the household's own reading
(``GameService.record_enedis_reading``): neither ever overwrites the other, and the
scoring job reconciles them with :func:`game_server.rules.reconcile.reconcile_day`
whatever order they arrived in. The job reports each new certified day:

* within tolerance of the household's day → nothing to say;
* beyond tolerance → the day is **flagged** (the Enedis import is scored instead):
  an ``enedis.reconcile_flag`` audit entry with both values;
* no local day → the Enedis value fills it (``filled``), not flagged.

When a player's flagged days (recomputed from the stored values, so a local day sent
after the Enedis one counts too) make :func:`~game_server.rules.reconcile.needs_review`
true, an ``enedis.needs_review`` audit entry asks the admins to look. A quota error
stops the run (the rest waits for the next one); a revoked consent is reported and the
player skipped. The clock and the sleep function are injectable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import logging
from typing import Final

from custom_components.sunshare.enedis import (
    PARIS,
    EnedisError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    Measure,
)
from game_server.errors import GameError
from game_server.leases import new_holder_id
from game_server.models import User
from game_server.rules.reconcile import needs_review, reconcile_day
from game_server.scoring_job import day_from_reading
from game_server.services import REVIEW_SCAN_DAYS, GameService

from .dataconnect import DataConnectClient
from .errors import ConsentRevokedError

_LOGGER = logging.getLogger(__name__)

RUN_AT: Final = time(8, 30)
"""Local (Paris) time of the daily run: D-1 is published from about 08:00."""
LOOKBACK_DAYS: Final = 3
FLAG_ACTION: Final = "enedis.reconcile_flag"
REVIEW_ACTION: Final = "enedis.needs_review"
RUN_LEASE_NAME: Final = "enedis.reconcile"
RUN_LEASE: Final = timedelta(hours=12)
"""How long the day's run lease lasts (not released: it marks the day's run done)."""

type Now = Callable[[], datetime]
type Sleep = Callable[[float], Awaitable[None]]


@dataclass
class ReconcileReport:
    """What one run did."""

    days: list[date] = field(default_factory=list)
    checked: int = 0
    """Player-days compared with Enedis."""
    filled: dict[str, list[date]] = field(default_factory=dict)
    """Days with no local data, filled by the Enedis value (user id → days)."""
    flagged: dict[str, list[date]] = field(default_factory=dict)
    """Days whose Enedis value is scored instead of the local one (user id → days)."""
    review: list[str] = field(default_factory=list)
    """Players whose flags call for an admin review."""
    revoked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)
    """Players not reached because the quota ran out."""


class ReconciliationJob:
    """Fetch certified days for verified players and reconcile them."""

    def __init__(
        self,
        service: GameService,
        client: DataConnectClient,
        *,
        now: Now | None = None,
        sleep: Sleep = asyncio.sleep,
        run_at: time = RUN_AT,
        lookback_days: int = LOOKBACK_DAYS,
    ) -> None:
        """Use the game service, the Data Connect client and a UTC clock."""
        self.service = service
        self.client = client
        self._now: Now = now or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self.run_at = run_at
        self.lookback_days = lookback_days
        self.last_report: ReconcileReport | None = None
        self.holder = new_holder_id()
        """This job's id on the store's ``enedis.reconcile`` lease."""

    def next_run(self, after: datetime) -> datetime:
        """Return the first run instant (UTC) strictly after ``after``."""
        local = after.astimezone(PARIS)
        day = local.date()
        while True:
            candidate = datetime.combine(day, self.run_at, tzinfo=PARIS)
            if candidate > local:
                return candidate.astimezone(UTC)
            day += timedelta(days=1)

    async def run_forever(self) -> None:
        """Run every day at ``run_at`` (Paris) until cancelled.

        Several server processes on one store: the day's run is done by the one that
        takes the ``enedis.reconcile`` lease (``RUN_LEASE``, kept until it expires, so
        a process waking a little later does not run it again); the others skip it.
        """
        while True:
            now = self._now()
            await self._sleep((self.next_run(now) - now).total_seconds())
            try:
                if await self._take_run():
                    await self.run_once()
            except Exception:
                _LOGGER.exception("Enedis reconciliation failed; next run tomorrow")

    async def _take_run(self) -> bool:
        """Take the day's run lease; False (logged) when another process has it."""
        lease = await self.service.storage.acquire_lease(
            RUN_LEASE_NAME,
            self.holder,
            RUN_LEASE.total_seconds(),
            now=self._now(),
        )
        if lease is None:
            _LOGGER.info("Enedis reconciliation run by another server process")
            return False
        return True

    async def run_once(self, last_day: date | None = None) -> ReconcileReport:
        """Reconcile the ``lookback_days`` days up to ``last_day`` (default D-1)."""
        today = self._now().astimezone(PARIS).date()
        last = last_day or today - timedelta(days=1)
        first = last - timedelta(days=self.lookback_days - 1)
        report = ReconcileReport(
            days=[first + timedelta(days=i) for i in range(self.lookback_days)]
        )
        users = [
            u
            for u in await self.service.storage.list_users()
            if u.prm and u.prm_verified and not u.disabled
        ]
        for index, user in enumerate(users):
            try:
                await self._reconcile_user(user, first, last, report)
            except EnedisRateLimitedError as err:
                report.deferred = [u.id for u in users[index:]]
                _LOGGER.warning(
                    "Enedis quota reached; %d players wait for the next run: %s",
                    len(report.deferred),
                    err,
                )
                break
            except ConsentRevokedError:
                report.revoked.append(user.id)
                _LOGGER.info("Enedis consent of %s is gone; skipped", user.id)
                continue
            except EnedisNoDataError:
                continue
            except EnedisError as err:
                report.failed[user.id] = str(err)
                _LOGGER.warning("Enedis data of %s unavailable: %s", user.id, err)
                continue
            if report.flagged.get(user.id):
                await self._check_review(user, report)
        self.last_report = report
        _LOGGER.info(
            "Enedis reconciliation %s–%s: %d days checked, %d players flagged",
            first,
            last,
            report.checked,
            len(report.flagged),
        )
        return report

    async def _check_review(self, user: User, report: ReconcileReport) -> None:
        """Ask the admins to review a player whose recent flagged days are too many."""
        status = await self.service.review_status(user.id)
        found = status.get(user.id)
        if found is None or not needs_review(f.day for f in found.flagged):
            return
        report.review.append(user.id)
        await self.service.audit(
            None,
            REVIEW_ACTION,
            "user",
            user.id,
            days=[f.day.isoformat() for f in found.flagged],
            window_days=REVIEW_SCAN_DAYS,
        )

    async def _reconcile_user(
        self, user: User, first: date, last: date, report: ReconcileReport
    ) -> None:
        """Reconcile one player's days."""
        values = await self.client.daily(
            Measure.DAILY_CONSUMPTION, user.prm or "", first, last + timedelta(days=1)
        )
        for value in values:
            if value.energy_wh is None:
                continue
            enedis_kwh = value.energy_wh / 1000
            try:
                _stored, changed = await self.service.record_enedis_reading(
                    user, value.day, enedis_kwh
                )
            except GameError as err:
                report.failed[user.id] = err.message
                _LOGGER.warning(
                    "Cannot store the Enedis day %s of %s: %s", value.day, user.id, err
                )
                continue
            if not changed:
                continue
            report.checked += 1
            reading = await self.service.storage.get_reading(user.id, value.day)
            if reading is None:
                report.filled.setdefault(user.id, []).append(value.day)
                continue
            local = day_from_reading(reading)
            if not reconcile_day(local, enedis_kwh).flagged:
                continue
            report.flagged.setdefault(user.id, []).append(value.day)
            await self.service.audit(
                None,
                FLAG_ACTION,
                "user",
                user.id,
                day=value.day.isoformat(),
                local_kwh=local.import_kwh,
                enedis_kwh=round(enedis_kwh, 3),
            )
