"""Daily schedule, reauth trigger, repair issue, sensors and diagnostics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.diagnostics import async_get_config_entry_diagnostics
from custom_components.sunshare.enedis import Measure
from custom_components.sunshare.enedis.models import PARIS
from custom_components.sunshare.enedis_data.const import Direction
from custom_components.sunshare.enedis_data.coordinator import (
    next_attempt,
    publication_offset,
    stale_issue_id,
)
from custom_components.sunshare.enedis_data.store import BackfillProgress
from tests.fakes.enedis_gateway import DEFAULT_PRM, DEFAULT_TOKEN, FakeEnedisGateway

from .conftest import setup_entry


async def move_to(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    gateway: FakeEnedisGateway,
    when: datetime,
) -> None:
    """Move Home Assistant's and the gateway's clocks and run due timers."""
    freezer.move_to(when)
    gateway.current_time = when
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done(wait_background_tasks=True)


def publication(day: date) -> datetime:
    """Return the planned attempt time of the default PRM on a day."""
    return (
        datetime(day.year, day.month, day.day, 8, tzinfo=PARIS)
        + publication_offset(DEFAULT_PRM)
    ).astimezone(UTC)


def state_of(hass: HomeAssistant, key: str) -> str:
    """Return the state of one of the entry's sensors."""
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{DEFAULT_PRM}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_one_attempt_a_day_after_publication(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Yesterday received: nothing until tomorrow 08:xx; then the new day arrives."""
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.state.last_day == date(2026, 11, 22)
    assert coordinator.next_planned == publication(date(2026, 11, 24))
    assert state_of(hass, "last_day") == "2026-11-22"
    assert float(state_of(hass, "yesterday_consumption")) == (
        (gateway.daily_wh(DEFAULT_PRM, False, date(2026, 11, 22)) or 0) / 1000
    )
    assert state_of(hass, "yesterday_production") != "unknown"
    sent = len(gateway.requests)
    await move_to(hass, freezer, gateway, datetime(2026, 11, 23, 20, tzinfo=UTC))
    await move_to(hass, freezer, gateway, datetime(2026, 11, 24, 6, tzinfo=UTC))
    assert len(gateway.requests) == sent
    # After Paris midnight, "yesterday" is the 23rd, not received yet.
    assert state_of(hass, "yesterday_consumption") == "unknown"
    # Tomorrow's data is late: one attempt at 08:xx, then every two hours.
    gateway.meters[DEFAULT_PRM].missing_days = {date(2026, 11, 23)}
    first = publication(date(2026, 11, 24))
    await move_to(hass, freezer, gateway, first)
    assert len(gateway.requests) == sent + 4  # curve then daily, both directions
    assert coordinator.next_planned == first + timedelta(hours=2)
    assert state_of(hass, "yesterday_consumption") == "unknown"
    gateway.meters[DEFAULT_PRM].missing_days = set()
    await move_to(hass, freezer, gateway, first + timedelta(hours=2))
    assert coordinator.state.last_day == date(2026, 11, 23)
    assert len(gateway.requests) == sent + 6
    assert state_of(hass, "last_day") == "2026-11-23"
    assert coordinator.next_planned == publication(date(2026, 11, 25))
    assert gateway.requests[-1].start == date(2026, 11, 23)


async def test_transient_error_retries_in_an_hour(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server error fails the update; the next attempt is an hour later."""
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    gateway.fail_next(500)
    when = publication(date(2026, 11, 24))
    await move_to(hass, freezer, gateway, when)
    assert not coordinator.last_update_success
    assert coordinator.last_error is not None
    assert coordinator.next_planned == when + timedelta(hours=1)
    await move_to(hass, freezer, gateway, when + timedelta(hours=1))
    assert coordinator.last_update_success
    assert coordinator.state.last_day == date(2026, 11, 23)


async def test_revoked_consent_starts_reauth(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """403 ADAM-DC-0008 raises ConfigEntryAuthFailed: a reauth flow starts."""
    await setup_entry(hass, entry)
    gateway.revoke_consent()
    await move_to(hass, freezer, gateway, publication(date(2026, 11, 24)))
    flows = hass.config_entries.flow.async_progress()
    assert [(f["context"]["source"], f["step_id"]) for f in flows] == [
        (SOURCE_REAUTH, "enedis_reauth_confirm")
    ]


async def test_refused_token_at_setup_starts_reauth(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """A 401 at start-up fails the setup with a reauth flow."""
    gateway.token = "rotated"
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["source"] == SOURCE_REAUTH


async def test_repair_issue_when_no_day_for_three_days(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No new day for three days raises a repair issue, cleared when data returns."""
    await setup_entry(hass, entry)
    issues = ir.async_get(hass)
    issue_id = stale_issue_id(entry.entry_id)
    gateway.meters[DEFAULT_PRM].missing_days = {
        date(2026, 11, 23) + timedelta(days=n) for n in range(4)
    }
    await move_to(hass, freezer, gateway, publication(date(2026, 11, 25)))
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    when = publication(date(2026, 11, 26))
    await move_to(hass, freezer, gateway, when)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "enedis_stale"
    assert issue.translation_placeholders == {
        "title": entry.title,
        "last_day": "2026-11-22",
        "days": "4",
    }
    # Removing the entry leaves no issue behind; a restart raises it again.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    gateway.meters[DEFAULT_PRM].missing_days = set()
    await move_to(hass, freezer, gateway, when + timedelta(hours=2))
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert entry.runtime_data.coordinator.state.last_day == date(2026, 11, 25)


async def test_state_survives_a_restart(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """After a reload, the saved newest day avoids fetching the week again."""
    await setup_entry(hass, entry)
    sent = len(gateway.requests)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(gateway.requests) == sent
    assert state_of(hass, "last_day") == "2026-11-22"


async def test_diagnostics_redact_token_and_prm(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """Diagnostics show the state without the token or the PRM."""
    await setup_entry(hass, entry)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["kind"] == "enedis"
    assert diagnostics["data"]["token"] == "**REDACTED**"
    assert diagnostics["data"]["prm"] == "**REDACTED**"
    assert diagnostics["state"]["last_day"] == "2026-11-22"
    text = repr(diagnostics)
    assert DEFAULT_PRM not in text
    assert DEFAULT_TOKEN not in text


def test_next_attempt_plans() -> None:
    """Before 08:xx the attempt waits for publication; after, every two hours."""
    early = datetime(2026, 11, 24, 5, tzinfo=UTC)
    assert next_attempt(early, date(2026, 11, 22), DEFAULT_PRM) == publication(
        date(2026, 11, 24)
    )
    late = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert next_attempt(late, date(2026, 11, 22), DEFAULT_PRM) == late + timedelta(
        hours=2
    )
    assert next_attempt(late, date(2026, 11, 23), DEFAULT_PRM) == publication(
        date(2026, 11, 25)
    )
    empty = BackfillProgress(
        start=date(2026, 1, 1), end=date(2026, 1, 1), cursor=date(2026, 1, 1)
    )
    assert empty.percent == 100.0


async def test_rate_limited_waits_as_asked(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 with a long Retry-After postpones the next attempt accordingly."""
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    gateway.fail_next(429, retry_after=3 * 3600)
    when = publication(date(2026, 11, 24))
    await move_to(hass, freezer, gateway, when)
    assert not coordinator.last_update_success
    assert coordinator.next_planned == when + timedelta(hours=3)


async def test_a_lagging_direction_is_fetched_alone(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Production late while consumption arrived: only production is asked again."""
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    first = publication(date(2026, 11, 24))
    gateway.fail_next(404, code="no_data_found", measure=Measure.PRODUCTION_LOAD_CURVE)
    gateway.fail_next(404, code="no_data_found", measure=Measure.DAILY_PRODUCTION)
    await move_to(hass, freezer, gateway, first)
    assert coordinator.newest_days() == {
        Direction.CONSUMPTION: date(2026, 11, 23),
        Direction.PRODUCTION: date(2026, 11, 22),
    }
    assert coordinator.next_planned == first + timedelta(hours=2)
    gateway.requests.clear()
    await move_to(hass, freezer, gateway, first + timedelta(hours=2))
    assert [r.measure for r in gateway.requests] == [Measure.PRODUCTION_LOAD_CURVE]
    assert gateway.requests[0].start == date(2026, 11, 23)
    assert coordinator.next_planned == publication(date(2026, 11, 25))
