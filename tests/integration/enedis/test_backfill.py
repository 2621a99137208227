"""The history import service: chunks, progress, errors, resume after restart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis import Measure
from custom_components.sunshare.enedis.models import local_midnight_utc
from custom_components.sunshare.enedis_data.const import Direction
from tests.fakes.enedis_gateway import DEFAULT_PRM, FakeEnedisGateway

from .conftest import NOW, assert_continuous, expected_wh, rows, setup_entry

TODAY = date(2026, 11, 23)


async def import_history(
    hass: HomeAssistant, entry: MockConfigEntry, **fields: Any
) -> None:
    """Call the service and wait for the import task to finish."""
    await hass.services.async_call(
        DOMAIN,
        "import_history",
        {"config_entry_id": entry.entry_id, **fields},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def progress_state(hass: HomeAssistant) -> Any:
    """Return the state of the history import sensor."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{DEFAULT_PRM}_history_import"
    )
    assert entity_id is not None
    return hass.states.get(entity_id)


async def test_import_history_in_chunks(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """Past days are fetched in 7-day load-curve chunks; sums stay continuous."""
    await setup_entry(hass, entry)
    assert progress_state(hass).state == "unknown"
    gateway.requests.clear()
    start = TODAY - timedelta(days=20)
    await import_history(hass, entry, start=start.isoformat())
    curve = gateway.requests_for(Measure.CONSUMPTION_LOAD_CURVE)
    assert [(r.start, r.end) for r in curve] == [
        (start, start + timedelta(days=7)),
        (start + timedelta(days=7), start + timedelta(days=14)),
        (start + timedelta(days=14), TODAY),
    ]
    state = progress_state(hass)
    assert state.state == "100.0"
    assert state.attributes["status"] == "done"
    assert state.attributes["requests"] == 6
    consumption = await rows(hass)
    assert len(consumption) == 20 * 24
    assert consumption[0]["start"] == local_midnight_utc(start)
    assert_continuous(consumption)
    assert consumption[-1]["sum"] == pytest.approx(expected_wh(gateway, start, TODAY))
    production = await rows(hass, Direction.PRODUCTION)
    assert_continuous(production)
    # The same import again writes nothing new.
    written = entry.runtime_data.coordinator.writer.rows_written
    await import_history(hass, entry, start=start.isoformat())
    assert entry.runtime_data.coordinator.writer.rows_written == written


async def test_old_days_come_as_daily_values(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """Days beyond the load-curve history are one daily row each."""
    await setup_entry(hass, entry)
    gateway.meters[DEFAULT_PRM].production = False
    gateway.meters[DEFAULT_PRM].load_curve = False
    client = entry.runtime_data.coordinator.client
    curve_first = client.available_range(Measure.CONSUMPTION_LOAD_CURVE)[0]
    start = curve_first - timedelta(days=3)
    gateway.requests.clear()
    backfill = entry.runtime_data.backfill
    await import_history(hass, entry, start=start.isoformat())
    assert backfill.progress is not None
    assert backfill.progress.status == "done"
    daily = gateway.requests_for(Measure.DAILY_CONSUMPTION)
    assert (daily[0].start, daily[0].end) == (start, curve_first)
    old = [r for r in await rows(hass) if r["start"] < local_midnight_utc(curve_first)]
    assert [r["start"] for r in old] == [
        local_midnight_utc(start + timedelta(days=n)) for n in range(3)
    ]
    assert_continuous(await rows(hass))
    # The load curve was refused once, then a year of daily values per request.
    assert len(gateway.requests_for(Measure.CONSUMPTION_LOAD_CURVE)) == 1
    assert [(r.end - r.start).days for r in daily[1:3]] == [7, 365]
    assert len(daily) == 4
    assert daily[-1].end == TODAY
    # Production was refused once (ADAM-ERR0069), then never asked again.
    assert len(gateway.requests_for(Measure.DAILY_PRODUCTION)) == 1
    assert gateway.requests_for(Measure.PRODUCTION_LOAD_CURVE) == []


async def test_history_default_start_and_validation(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """The default start is the history limit; bad targets and periods are refused."""
    await setup_entry(hass, entry)
    backfill = entry.runtime_data.backfill
    assert backfill.first_day() == date(2023, 11, 23)
    with pytest.raises(ServiceValidationError) as err:
        await import_history(hass, entry, start=TODAY.isoformat())
    assert err.value.translation_key == "enedis_import_nothing"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "import_history",
            {"config_entry_id": "nope"},
            blocking=True,
        )
    assert err.value.translation_key == "enedis_not_found"
    # Two calls in a row: the second is refused while the first runs.
    await backfill.async_start(TODAY - timedelta(days=3))
    assert backfill.running
    with pytest.raises(ServiceValidationError) as err:
        await backfill.async_start(None)
    assert err.value.translation_key == "enedis_import_running"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert backfill.progress is not None
    assert backfill.progress.status == "done"


async def test_error_pauses_and_retries(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server error pauses the import; it resumes from the same chunk an hour later."""
    await setup_entry(hass, entry)
    start = TODAY - timedelta(days=14)
    gateway.fail_next(500, measure=Measure.CONSUMPTION_LOAD_CURVE)
    await import_history(hass, entry, start=start.isoformat())
    state = progress_state(hass)
    assert state.attributes["status"] == "waiting"
    assert "temporarily unavailable" in state.attributes["error"]
    assert state.state == "0.0"
    gateway.requests.clear()
    # Calling the action again resumes at once (the planned retry is dropped).
    gateway.fail_next(500, measure=Measure.CONSUMPTION_LOAD_CURVE)
    await import_history(hass, entry)
    assert progress_state(hass).attributes["status"] == "waiting"
    assert len(gateway.requests) == 1
    gateway.requests.clear()
    later = NOW + timedelta(hours=1, minutes=1)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert progress_state(hass).attributes["status"] == "done"
    assert gateway.requests_for(Measure.CONSUMPTION_LOAD_CURVE)[0].start == start
    assert_continuous(await rows(hass))


async def test_revoked_consent_stops_and_starts_reauth(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """Consent revoked during the import: it stops and a reauth flow starts."""
    await setup_entry(hass, entry)
    gateway.revoke_consent()
    await import_history(hass, entry, start=(TODAY - timedelta(days=9)).isoformat())
    assert progress_state(hass).attributes["status"] == "failed"
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    # Calling the service again without a start resumes the unfinished import.
    await import_history(hass, entry)
    assert progress_state(hass).attributes["status"] == "done"


async def test_import_resumes_after_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
) -> None:
    """An import interrupted by a restart continues from its saved cursor."""
    start, cursor = TODAY - timedelta(days=21), TODAY - timedelta(days=14)
    hass_storage[f"{DOMAIN}.enedis.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.enedis.{entry.entry_id}",
        "data": {
            "last_day": "2026-11-22",
            "totals": {
                "consumption": {"2026-11-22": 9000.0},
                "production": {"2026-11-22": 3000.0},
            },
            "backfill": {
                "start": start.isoformat(),
                "end": TODAY.isoformat(),
                "cursor": cursor.isoformat(),
                "status": "running",
                "requests": 2,
            },
        },
    }
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    curve = gateway.requests_for(Measure.CONSUMPTION_LOAD_CURVE)
    assert [r.start for r in curve] == [cursor, cursor + timedelta(days=7)]
    state = progress_state(hass)
    assert state.attributes["status"] == "done"
    assert state.attributes["requests"] == 6
    assert state.attributes["start"] == start.isoformat()
    assert len(await rows(hass)) == 14 * 24


async def test_removing_the_entry_deletes_its_saved_state(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
) -> None:
    """The entry's saved state (newest days, import progress) goes with the entry."""
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    key = f"{DOMAIN}.enedis.{entry.entry_id}"
    assert key in hass_storage
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
