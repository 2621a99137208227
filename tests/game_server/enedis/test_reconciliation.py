"""Tests of the daily reconciliation with Enedis certified data."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from game_server.enedis.reconciliation import (
    FLAG_ACTION,
    REVIEW_ACTION,
    ReconciliationJob,
)
from game_server.models import ReadingSource, Role, Season, User
from game_server.services import ReadingInput
from tests.fakes.enedis_dataconnect import FakeDataConnect
from tests.fakes.enedis_gateway import DEFAULT_PRM

from .conftest import Server

OTHER_PRM = "22516914714270"
D20, D21, D22 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)


def _job(
    server: Server, enedis: FakeDataConnect, lookback: int = 3
) -> ReconciliationJob:
    """Return a job bound to the running server's client."""
    assert server.runtime.client is not None
    return ReconciliationJob(
        server.service, server.runtime.client, now=enedis.now, lookback_days=lookback
    )


def _kwh(enedis: FakeDataConnect, day: date, prm: str = DEFAULT_PRM) -> float:
    """Return the fake's certified import of a day in kWh."""
    wh = enedis.daily_wh(prm, False, day)
    assert wh is not None
    return wh / 1000


async def _report(server: Server, user: User, day: date, kwh: float) -> None:
    """Store a household's day with half-hours, as the integration sends it."""
    await server.service.record_reading(
        user, day, ReadingInput(import_kwh=kwh, import_slots=[kwh / 48] * 48)
    )


async def test_certified_days_stored_beside_local_ones(
    server: Server, enedis: FakeDataConnect
) -> None:
    """Every certified day is stored beside the local one; beyond tolerance flagged."""
    enedis.give_consent(DEFAULT_PRM)
    alice, _ = await server.player("alice", DEFAULT_PRM, verified=True)
    bob, _ = await server.player("bob", OTHER_PRM)
    await _report(server, alice, D20, _kwh(enedis, D20) + 0.3)
    await _report(server, alice, D21, _kwh(enedis, D21) + 5.0)
    await _report(server, bob, D21, 99.0)
    job = _job(server, enedis)
    report = await job.run_once()
    assert report.days == [D20, D21, D22]
    assert report.flagged == {alice.id: [D21]}
    assert report.filled == {alice.id: [D22]}
    assert report.review == []
    storage = server.service.storage
    # The local days are never touched: both values are kept.
    kept = await storage.get_reading(alice.id, D20)
    assert kept is not None and kept.source is ReadingSource.LOCAL
    assert kept.import_kwh == pytest.approx(_kwh(enedis, D20) + 0.3)
    local = await storage.get_reading(alice.id, D21)
    assert local is not None and local.source is ReadingSource.LOCAL
    assert local.import_kwh == pytest.approx(_kwh(enedis, D21) + 5.0)
    assert local.import_slots is not None
    assert await storage.get_reading(alice.id, D22) is None
    certified = await storage.list_enedis_readings(alice.id)
    assert [(c.day, c.import_kwh) for c in certified] == [
        (day, pytest.approx(_kwh(enedis, day))) for day in (D20, D21, D22)
    ]
    assert certified[0].fetched_at == enedis.now()
    assert await storage.list_enedis_readings(bob.id) == []
    untouched = await storage.get_reading(bob.id, D21)
    assert untouched is not None and untouched.import_kwh == 99.0
    assert all(c.query.get("pointId") != OTHER_PRM for c in enedis.calls)
    flags = [e for e in await storage.list_audit() if e.action == FLAG_ACTION]
    assert len(flags) == 1 and flags[0].details["day"] == "2026-11-21"
    assert flags[0].target_id == alice.id
    assert flags[0].details["local_kwh"] == pytest.approx(_kwh(enedis, D21) + 5.0)
    assert flags[0].details["enedis_kwh"] == pytest.approx(_kwh(enedis, D21))
    # A second run changes nothing and flags nothing again.
    again = await job.run_once()
    assert again.flagged == {} and again.filled == {}
    assert len([e for e in await storage.list_audit() if e.action == FLAG_ACTION]) == 1


async def test_repeated_flags_ask_for_review(
    server: Server, enedis: FakeDataConnect
) -> None:
    """More than 3 flagged days within 14 days call for an admin review."""
    enedis.give_consent(DEFAULT_PRM)
    alice, _ = await server.player("alice", DEFAULT_PRM, verified=True)
    days = [D22 - timedelta(days=i) for i in range(4)]
    for day in days[:3]:
        await _report(server, alice, day, _kwh(enedis, day) * 2 + 1)
    job = _job(server, enedis, lookback=3)
    first = await job.run_once()
    assert len(first.flagged[alice.id]) == 3 and first.review == []
    # One more bad day, found by a later run: 4 flags in the window.
    await _report(server, alice, days[3], _kwh(enedis, days[3]) * 2 + 1)
    second = await job.run_once(last_day=days[3])
    assert second.review == [alice.id]
    review = [
        e
        for e in await server.service.storage.list_audit()
        if e.action == REVIEW_ACTION
    ]
    assert len(review) == 1 and len(review[0].details["days"]) == 4
    status = await server.service.review_status(alice.id, D22)
    assert status[alice.id].needs_review
    assert [f.day for f in status[alice.id].flagged] == sorted(days)


async def test_local_day_after_the_enedis_one_counts_for_review(
    server: Server, enedis: FakeDataConnect
) -> None:
    """A local day sent after its certified value is flagged from the stored values."""
    enedis.give_consent(DEFAULT_PRM)
    alice, _ = await server.player("alice", DEFAULT_PRM, verified=True)
    days = [D22 - timedelta(days=i) for i in range(4)]
    job = _job(server, enedis, lookback=4)
    first = await job.run_once()
    assert sorted(first.filled[alice.id]) == sorted(days) and first.flagged == {}
    # The household's days arrive late (and 3 of them are far off).
    for day in days[:3]:
        await _report(server, alice, day, _kwh(enedis, day) * 2 + 1)
    status = await server.service.review_status(alice.id, D22)
    assert len(status[alice.id].flagged) == 3
    assert not status[alice.id].needs_review
    # Re-sending a local day never erases the certified value.
    await _report(server, alice, days[0], _kwh(enedis, days[0]) * 2 + 2)
    certified = await server.service.storage.list_enedis_readings(alice.id)
    assert [c.day for c in certified] == sorted(days)
    assert certified[-1].import_kwh == pytest.approx(_kwh(enedis, days[0]))
    # The 4th bad day: the next run finds it new on the Enedis side too.
    enedis.current_time += timedelta(days=1)
    await _report(server, alice, days[3], _kwh(enedis, days[3]) * 2 + 1)
    await _report(server, alice, D22 + timedelta(days=1), 1.0)
    second = await job.run_once()
    assert second.flagged == {alice.id: [D22 + timedelta(days=1)]}
    assert second.review == [alice.id]
    status = await server.service.review_status(alice.id, D22 + timedelta(days=1))
    assert len(status[alice.id].flagged) == 5 and status[alice.id].needs_review


async def test_revoked_and_quota(server: Server, enedis: FakeDataConnect) -> None:
    """A lost consent skips the player; a used-up quota defers the rest."""
    alice, _ = await server.player("alice", DEFAULT_PRM, verified=True)
    report = await _job(server, enedis).run_once()
    assert report.revoked == [alice.id]
    enedis.give_consent(DEFAULT_PRM)
    enedis.add_meter(OTHER_PRM)
    enedis.give_consent(OTHER_PRM)
    bob, _ = await server.player("bob", OTHER_PRM, verified=True)
    enedis.max_per_hour_per_api = 1  # the first run used the hour's only call
    report = await _job(server, enedis).run_once()
    assert sorted(report.deferred) == sorted([alice.id, bob.id])


def test_next_run_is_after_eight_paris(server: Server, enedis: FakeDataConnect) -> None:
    """Runs are at 08:30 Paris, the next day once past it, across DST."""
    job = _job(server, enedis)
    # 06:00 UTC = 07:00 Paris in winter → 07:30 UTC the same day.
    assert job.next_run(datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) == datetime(
        2026, 11, 23, 7, 30, tzinfo=UTC
    )
    assert job.next_run(datetime(2026, 11, 23, 7, 30, tzinfo=UTC)) == datetime(
        2026, 11, 24, 7, 30, tzinfo=UTC
    )
    # Summer time: 08:30 Paris is 06:30 UTC.
    assert job.next_run(datetime(2026, 3, 28, 9, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 6, 30, tzinfo=UTC
    )


async def test_run_forever_sleeps_until_the_run(
    server: Server, enedis: FakeDataConnect
) -> None:
    """The scheduler sleeps until 08:30 Paris, runs, and sleeps again."""
    enedis.give_consent(DEFAULT_PRM)
    await server.player("alice", DEFAULT_PRM, verified=True)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        """Move the fake's time; stop at the second wait."""
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise asyncio.CancelledError
        enedis.current_time += timedelta(seconds=seconds)

    assert server.runtime.client is not None
    job = ReconciliationJob(
        server.service, server.runtime.client, now=enedis.now, sleep=sleep
    )
    with pytest.raises(asyncio.CancelledError):
        await job.run_forever()
    # 12:00 UTC → 07:30 UTC the next day = 19.5 h, then a full day.
    assert sleeps == [19.5 * 3600, 24 * 3600]
    assert job.last_report is not None
    assert job.last_report.days[-1] == date(2026, 11, 23)


async def test_enedis_outage_and_refused_days_are_reported(
    server: Server, enedis: FakeDataConnect
) -> None:
    """An outage for one player, or a day the service refuses, is reported."""
    enedis.give_consent(DEFAULT_PRM)
    alice, _ = await server.player("alice", DEFAULT_PRM, verified=True)
    enedis.fail_next(500, times=10)
    report = await _job(server, enedis).run_once()
    assert alice.id in report.failed and report.flagged == {}
    enedis.scripted.clear()
    # A day before the season's reference window: the service refuses it.
    await server.service.create_season(
        None,
        Season(
            name="Late",
            start=D22 + timedelta(days=1),
            end=D22 + timedelta(days=90),
            reference_window_days=1,
        ),
    )
    report = await _job(server, enedis).run_once()
    assert report.flagged == {}
    assert "reference window" in report.failed[alice.id]
    stored = await server.service.storage.list_enedis_readings(alice.id)
    assert [c.day for c in stored] == [D22]


async def test_run_forever_survives_a_failed_run(
    server: Server, enedis: FakeDataConnect, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected failure is logged and the next day is still scheduled."""
    assert server.runtime.client is not None
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        """Stop at the second wait."""
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise asyncio.CancelledError

    job = ReconciliationJob(
        server.service, server.runtime.client, now=enedis.now, sleep=sleep
    )

    async def broken(last_day: date | None = None) -> None:
        """Fail like a bug would."""
        raise RuntimeError("boom")

    job.run_once = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(asyncio.CancelledError):
        await job.run_forever()
    assert "reconciliation failed" in caplog.text and len(sleeps) == 2


async def test_status_shows_the_last_run_to_admins(
    server: Server, enedis: FakeDataConnect
) -> None:
    """Admins see the settings, the quota used and the last reconciliation."""
    enedis.give_consent(DEFAULT_PRM)
    alice, token = await server.player("alice", DEFAULT_PRM, verified=True)
    await _report(server, alice, D21, _kwh(enedis, D21) + 5.0)
    assert server.runtime.job is not None
    await server.runtime.job.run_once()
    response = await server.client.get(
        "/api/enedis/status", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 403
    alice.role = Role.ADMIN
    await server.service.storage.update_user(alice)
    response = await server.client.get(
        "/api/enedis/status", headers={"Authorization": f"Bearer {token}"}
    )
    body = await response.json()
    assert body["configured"] is True and body["environment"] == "sandbox"
    assert body["redirect_url"] == "https://game.example.org/enedis/callback"
    assert body["requests_last_hour"]["consommation_quotidienne"] == 1
    assert body["last_reconciliation"]["flagged"] == {alice.id: ["2026-11-21"]}
