"""Daily reconciliation of players' reported days with Enedis certified data (rules §6).

Every day after Enedis publishes D-1 (about 08:00 Paris; the job runs at ``run_at``,
08:30 by default), :class:`ReconciliationJob` reads the daily consumption of every
verified player for the last ``lookback_days`` days (late meters show up a day later)
and feeds each day to :func:`game_server.rules.reconcile.reconcile_day`:

* within tolerance → the household's day stays as reported;
* beyond tolerance → the Enedis import replaces it (half-hours dropped, source
  ``enedis``) and the day is **flagged**: an ``enedis.reconcile_flag`` audit entry;
* no local day → the Enedis value is stored (source ``enedis``), not flagged.

When a player's flagged days make :func:`~game_server.rules.reconcile.needs_review`
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
from game_server.models import DailyReading, ReadingSource, User
from game_server.rules.models import DayData
from game_server.rules.reconcile import REVIEW_WINDOW_DAYS, needs_review, reconcile_day
from game_server.services import GameService, ReadingInput

from .dataconnect import DataConnectClient
from .errors import ConsentRevokedError

_LOGGER = logging.getLogger(__name__)

RUN_AT: Final = time(8, 30)
"""Local (Paris) time of the daily run: D-1 is published from about 08:00."""
LOOKBACK_DAYS: Final = 3
FLAG_ACTION: Final = "enedis.reconcile_flag"
REVIEW_ACTION: Final = "enedis.needs_review"
AUDIT_SCAN: Final = 2000
"""Newest audit entries read to find recent flags."""

type Now = Callable[[], datetime]
type Sleep = Callable[[float], Awaitable[None]]


@dataclass
class ReconcileReport:
    """What one run did."""

    days: list[date] = field(default_factory=list)
    checked: int = 0
    """Player-days compared with Enedis."""
    filled: dict[str, list[date]] = field(default_factory=dict)
    """Days with no local data, stored from Enedis (user id → days)."""
    flagged: dict[str, list[date]] = field(default_factory=dict)
    """Days replaced by the Enedis value (user id → days)."""
    review: list[str] = field(default_factory=list)
    """Players whose flags call for an admin review."""
    revoked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)
    """Players not reached because the quota ran out."""


def day_data(reading: DailyReading | None, day: date) -> DayData:
    """Return the rules' view of a stored day (import None when there is none)."""
    if reading is None:
        return DayData(day=day, import_kwh=None)
    return DayData(
        day=day,
        import_kwh=reading.import_kwh,
        export_kwh=reading.export_kwh,
        production_kwh=reading.production_kwh,
        battery_charge_kwh=reading.battery_charge_kwh or 0.0,
        battery_discharge_kwh=reading.battery_discharge_kwh or 0.0,
        import_slots=(
            tuple(reading.import_slots) if reading.import_slots is not None else None
        ),
        export_slots=(
            tuple(reading.export_slots) if reading.export_slots is not None else None
        ),
        t_mean_c=reading.t_mean_c,
        source=reading.source.value,
    )


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
        """Run every day at ``run_at`` (Paris) until cancelled."""
        while True:
            now = self._now()
            await self._sleep((self.next_run(now) - now).total_seconds())
            try:
                await self.run_once()
            except Exception:
                _LOGGER.exception("Enedis reconciliation failed; next run tomorrow")

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
        flags = await self._recent_flags(last)
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
            new_flags = report.flagged.get(user.id, [])
            if new_flags and needs_review([*flags.get(user.id, []), *new_flags]):
                report.review.append(user.id)
                await self.service.audit(
                    None,
                    REVIEW_ACTION,
                    "user",
                    user.id,
                    days=sorted(
                        {d.isoformat() for d in [*flags.get(user.id, []), *new_flags]}
                    ),
                )
        self.last_report = report
        _LOGGER.info(
            "Enedis reconciliation %s–%s: %d days checked, %d players flagged",
            first,
            last,
            report.checked,
            len(report.flagged),
        )
        return report

    async def _recent_flags(self, last: date) -> dict[str, list[date]]:
        """Return the flagged days of the review window, per user id."""
        oldest = last - timedelta(days=REVIEW_WINDOW_DAYS * 2)
        flags: dict[str, list[date]] = {}
        for entry in await self.service.storage.list_audit(limit=AUDIT_SCAN):
            if entry.action != FLAG_ACTION or entry.target_id is None:
                continue
            try:
                day = date.fromisoformat(str(entry.details.get("day")))
            except ValueError:
                continue
            if day >= oldest:
                flags.setdefault(entry.target_id, []).append(day)
        return flags

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
            reading = await self.service.storage.get_reading(user.id, value.day)
            if (
                reading is not None
                and reading.source is ReadingSource.ENEDIS
                and abs(reading.import_kwh - enedis_kwh) < 1e-6
            ):
                continue
            report.checked += 1
            local = day_data(reading, value.day)
            result = reconcile_day(local, enedis_kwh)
            if result is local:
                continue
            stored = ReadingInput(
                import_kwh=enedis_kwh,
                export_kwh=reading.export_kwh if reading else 0.0,
                production_kwh=reading.production_kwh if reading else 0.0,
                battery_charge_kwh=reading.battery_charge_kwh if reading else None,
                battery_discharge_kwh=(
                    reading.battery_discharge_kwh if reading else None
                ),
                import_slots=None,
                export_slots=reading.export_slots if reading else None,
                t_mean_c=reading.t_mean_c if reading else None,
                source=ReadingSource.ENEDIS,
            )
            try:
                await self.service.record_reading(user, value.day, stored)
            except GameError as err:
                report.failed[user.id] = err.message
                _LOGGER.warning(
                    "Cannot store the Enedis day %s of %s: %s", value.day, user.id, err
                )
                continue
            if result.flagged:
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
            else:
                report.filled.setdefault(user.id, []).append(value.day)
