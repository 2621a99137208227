"""The relay always releases: hard deadline, fail-safe start and stop, property tests.

Every shedding event has a hard deadline at its start plus the maximum shedding time
plus :data:`DEADLINE_MARGIN`: whatever happens to the timer of its planned end or to
the records, the line is inactive (loads powered) from then on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
import gc
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed_exact,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip
from custom_components.sunshare.relay.const import EVENT_SHEDDING_ENDED
from custom_components.sunshare.relay.shedder import DEADLINE_MARGIN, LoadShedder

from .conftest import ENTRY_ID, LINE, STORE_KEY
from .test_restart import active_event, setup, stored
from .test_shedding import SWITCH, changes

MAX_30 = {"max_duration": 30, "startup_state": "powered"}
MAX_1 = {"max_duration": 1, "startup_state": "powered"}
TINY = timedelta(milliseconds=1)
SLACK = timedelta(microseconds=1)


async def move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    """Move the frozen clock to ``when`` and run what is due by then.

    The loop's time is a float (about 2e-7 s apart at today's timestamps): a timer
    due at ``when`` may be set for a little later, so what is due within
    :data:`SLACK` after ``when`` runs too (every time here is a whole millisecond).
    """
    freezer.move_to(when)
    async_fire_time_changed_exact(hass, when + SLACK)
    await hass.async_block_till_done()


async def turn_on(hass: HomeAssistant) -> None:
    """Turn the load-shedding switch on (shedding for the maximum time)."""
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )


async def shed(hass: HomeAssistant, seconds: float | None) -> None:
    """Call ``sunshare.shed_load``, with a duration in seconds or none."""
    data: dict[str, Any] = {"config_entry_id": ENTRY_ID}
    if seconds is not None:
        data["duration"] = {"seconds": seconds}
    await hass.services.async_call(DOMAIN, "shed_load", data, blocking=True)


class PlannedEndBrokenError(RuntimeError):
    """What the broken planned end raises."""


def broken_end(failure: str) -> Callable[[LoadShedder, datetime], Any]:
    """Return a replacement of the planned end's handler that does nothing or raises."""

    async def end(self: LoadShedder, now: datetime) -> None:
        if failure == "raise":
            raise PlannedEndBrokenError("planned end broken")

    return end


@pytest.fixture(autouse=True)
def broken_end_errors(hass: HomeAssistant) -> Iterator[list[BaseException]]:
    """Collect the errors of a broken planned end instead of failing the test.

    Home Assistant logs an action that raises; its test harness makes any such error
    fail the test, which these tests cause on purpose. Other errors still fail it.
    """
    loop = hass.loop
    handler = loop.get_exception_handler()
    errors: list[BaseException] = []

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), PlannedEndBrokenError):
            errors.append(context["exception"])
        elif handler is not None:
            handler(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
    yield errors
    # A failed task is reported when it is collected: collect it while handled here.
    gc.collect()
    loop.set_exception_handler(handler)


@pytest.mark.parametrize("options", [MAX_30])
@pytest.mark.parametrize("failure", ["nothing", "raise"])
async def test_hard_deadline_wins_over_a_broken_planned_end(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broken_end_errors: list[BaseException],
    failure: str,
) -> None:
    """If the planned end does nothing or fails, the line goes off at max_end + margin.

    The event is then recorded as ended by the maximum duration, at that time.
    """
    monkeypatch.setattr(LoadShedder, "_async_auto_end", broken_end(failure))
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await turn_on(hass)
    max_end = start + timedelta(minutes=30)
    deadline = max_end + DEADLINE_MARGIN
    await move_to(hass, freezer, max_end)
    assert chip.output_active(LINE) is True  # the planned end did not work
    gc.collect()
    assert len(broken_end_errors) == (failure == "raise")
    await move_to(hass, freezer, deadline - TINY)
    assert chip.output_active(LINE) is True
    await move_to(hass, freezer, deadline)
    assert chip.output_active(LINE) is False
    assert changes(chip) == [(start, False), (start, True), (deadline, False)]
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert [event.data["reason"] for event in events] == ["max_duration"]
    assert events[0].data["end"] == deadline.isoformat()
    assert "ended by its hard deadline" in caplog.text


@pytest.mark.parametrize("options", [MAX_30])
async def test_hard_deadline_drives_off_a_line_the_records_lost(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """If the state machine loses its event while the line is active, it still ends."""
    shedder: LoadShedder = loaded_entry.runtime_data.shedder
    await turn_on(hass)
    shedder.active = None  # the records lost the event, the line is still active
    await move_to(hass, freezer, start + timedelta(minutes=30))
    assert chip.output_active(LINE) is True
    await move_to(hass, freezer, start + timedelta(minutes=30) + DEADLINE_MARGIN)
    assert chip.output_active(LINE) is False


@pytest.mark.parametrize("options", [MAX_30])
async def test_deadline_ignores_extensions_and_ends_with_its_event(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A normal end cancels the deadline; the next event has its own one.

    The first event stops after 5 min; the second starts at 10 min, is extended past
    its maximum, and its planned end is broken: the first event's deadline (30 min)
    does not touch it, its own (10 + 30 min, + margin) ends it.
    """
    shedder: LoadShedder = loaded_entry.runtime_data.shedder
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await shed(hass, 600)
    await move_to(hass, freezer, start + timedelta(minutes=5))
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )
    assert shedder._unsub_deadline is None

    monkeypatch.setattr(LoadShedder, "_async_auto_end", broken_end("nothing"))
    await move_to(hass, freezer, start + timedelta(minutes=10))
    await shed(hass, 60)
    await move_to(hass, freezer, start + timedelta(minutes=15))
    await shed(hass, 3600)  # moved to the maximum end, not beyond
    await move_to(hass, freezer, start + timedelta(minutes=30) + DEADLINE_MARGIN)
    assert chip.output_active(LINE) is True  # the first deadline was cancelled
    second_deadline = start + timedelta(minutes=40) + DEADLINE_MARGIN
    await move_to(hass, freezer, second_deadline - TINY)
    assert chip.output_active(LINE) is True
    await move_to(hass, freezer, second_deadline)
    assert chip.output_active(LINE) is False
    assert [event.data["reason"] for event in events] == ["requested", "max_duration"]
    assert shedder.active is None
    assert shedder._unsub_deadline is None


@pytest.mark.parametrize("options", [MAX_30])
async def test_restored_event_keeps_its_hard_deadline(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An event resumed after a restart still ends at its start + maximum + margin."""
    began = start - timedelta(minutes=10)
    hass_storage[STORE_KEY] = stored(
        active_event(began, began + timedelta(minutes=30), None, max_minutes=30)
    )
    monkeypatch.setattr(LoadShedder, "_async_auto_end", broken_end("raise"))
    await setup(hass, mock_entry)
    assert chip.output_active(LINE) is True
    deadline = began + timedelta(minutes=30) + DEADLINE_MARGIN
    await move_to(hass, freezer, deadline - TINY)
    assert chip.output_active(LINE) is True
    await move_to(hass, freezer, deadline)
    assert chip.output_active(LINE) is False
    assert hass.states.get(SWITCH).state == STATE_OFF


@pytest.mark.parametrize(
    ("began_ago", "planned", "max_minutes", "interrupted"),
    [
        # The stored maximum end (30 min) is before the planned end and long past,
        # though the current maximum (120 min) would let the planned end run on.
        (timedelta(hours=1), timedelta(minutes=90), 30, None),
        (timedelta(hours=1), timedelta(minutes=90), 30, timedelta(minutes=20)),
        # A consistent record, long past.
        (timedelta(hours=3), timedelta(minutes=90), 120, timedelta(minutes=150)),
    ],
)
async def test_restored_event_past_its_max_end_ends_at_once(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_storage: dict[str, Any],
    began_ago: timedelta,
    planned: timedelta,
    max_minutes: int,
    interrupted: timedelta | None,
) -> None:
    """After a restart past an event's maximum end, the loads are never cut again.

    The line is requested inactive and the event is closed at once, at its maximum
    end at the latest (earlier if planned so, or if Home Assistant stopped before).
    """
    began = start - began_ago
    max_end = began + timedelta(minutes=max_minutes)
    stopped = None if interrupted is None else began + interrupted
    hass_storage[STORE_KEY] = stored(
        active_event(began, began + planned, stopped, max_minutes=max_minutes)
    )
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await setup(hass, mock_entry)
    assert changes(chip) == [(start, False)]
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert len(events) == 1
    expected_end = min(max_end, began + planned, stopped or max_end)
    assert events[0].data["end"] == expected_end.isoformat()
    assert hass_storage[STORE_KEY]["data"]["active"] is None


async def test_line_requested_active_for_an_ended_event_is_driven_off(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the planned end passes between requesting the line and starting, it ends.

    The line was requested active (the event was still running when the line was
    requested); the shedder finds it over and drives the line off before anything
    else.
    """
    began = start - timedelta(minutes=10)
    hass_storage[STORE_KEY] = stored(active_event(began, start, None))
    monkeypatch.setattr(LoadShedder, "should_start_active", lambda self, now: True)
    events = async_capture_events(hass, EVENT_SHEDDING_ENDED)
    await setup(hass, mock_entry)
    assert changes(chip) == [(start, True), (start, False)]
    assert hass.states.get(SWITCH).state == STATE_OFF
    assert [event.data["reason"] for event in events] == ["duration"]


@pytest.mark.parametrize(
    "options", [{"max_duration": 120, "power_entity": "sensor.household_power"}]
)
async def test_failed_start_gives_the_line_back(
    *,
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A setup failing after the line was requested active leaves the loads powered.

    No timer or listener of the failed entry is left behind (the test harness checks
    the timers).
    """
    began = start - timedelta(minutes=10)
    hass_storage[STORE_KEY] = stored(
        active_event(began, start + timedelta(minutes=20), None)
    )

    async def failing_save(self: LoadShedder) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LoadShedder, "_async_save", failing_save)
    mock_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_entry.state is ConfigEntryState.SETUP_ERROR
    assert changes(chip) == [(start, True), (start, False)]
    assert chip.consumer(LINE) is None


async def test_stop_releases_the_line_even_if_saving_fails(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When Home Assistant stops, the loads are powered before the event is saved."""
    shedder: LoadShedder = loaded_entry.runtime_data.shedder
    await turn_on(hass)
    assert chip.output_active(LINE) is True

    async def failing_save(self: LoadShedder) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LoadShedder, "_async_save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        await shedder.async_stop_for_shutdown()
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None
    assert shedder._unsub_deadline is None


async def test_unload_releases_the_line_even_if_saving_fails(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unloading during a shedding releases the line even if the record fails."""
    await turn_on(hass)

    async def failing_save(self: LoadShedder) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LoadShedder, "_async_save", failing_save)
    await hass.config_entries.async_unload(ENTRY_ID)
    await hass.async_block_till_done()
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None
    assert loaded_entry.runtime_data.shedder._unsub_deadline is None


# --- property: the line is off by start + maximum + margin ----------------------------

MAXIMUM = timedelta(minutes=1)
"""The maximum shedding time of the property test's entry (``MAX_1``)."""
SECONDS = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(150), places=3)


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """One request of the sequence: after ``delay``, shed, switch on or stop."""

    delay: Decimal
    kind: str
    duration: Decimal | None = None


REQUESTS = st.lists(
    st.builds(
        Request,
        delay=st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3),
        kind=st.sampled_from(["shed", "switch_on", "stop", "switch_off"]),
        duration=st.none() | SECONDS,
    ),
    min_size=1,
    max_size=8,
)


def exact(value: Decimal) -> timedelta:
    """Return a decimal number of seconds as an exact duration."""
    return timedelta(microseconds=int(value * 1_000_000))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("options", [MAX_1])
@settings(
    max_examples=40,
    deadline=None,
    # One Home Assistant for every example: each starts with no shedding in progress.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(requests=REQUESTS, failure=st.sampled_from([None, "nothing", "raise"]))
async def test_the_line_is_off_by_start_plus_maximum(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
    requests: list[Request],
    failure: str | None,
) -> None:
    """Whatever the requests, the line is inactive at start + maximum + margin.

    Requests (shed with or without a duration, switch on, stop, switch off) come at
    arbitrary times with arbitrary durations. With a working planned end, the line is
    inactive from each event's planned end (the last request's, bounded by start +
    maximum); with a planned end that does nothing or raises, from start + maximum +
    margin (the hard deadline). The clock is stopped at each of these instants and
    at each request, and the line checked there.
    """
    shedder: LoadShedder = loaded_entry.runtime_data.shedder
    await shedder.async_stop()  # a clean start (a failed example may leave one)
    assert chip.output_active(LINE) is False
    now = dt_util.utcnow()
    event_start: datetime | None = None
    planned_end: datetime | None = None

    def must_be_off_at() -> datetime | None:
        """Return when the line must be inactive at the latest, None if it is."""
        if event_start is None:
            return None
        if failure is None and planned_end is not None:
            return planned_end
        return event_start + MAXIMUM + DEADLINE_MARGIN

    async def run_until(when: datetime) -> None:
        """Move the clock to ``when``, stopping at every instant the line must be off."""
        nonlocal event_start, planned_end
        while (limit := must_be_off_at()) is not None and limit <= when:
            await move_to(hass, freezer, limit)
            assert chip.output_active(LINE) is False, (limit, event_start, requests)
            event_start = planned_end = None
        await move_to(hass, freezer, when)
        if event_start is not None:
            assert chip.output_active(LINE) is True

    with patch.object(
        LoadShedder,
        "_async_auto_end",
        LoadShedder._async_auto_end if failure is None else broken_end(failure),
    ):
        for request in requests:
            now += exact(request.delay)
            await run_until(now)
            if request.kind in ("stop", "switch_off"):
                if request.kind == "stop":
                    await hass.services.async_call(
                        DOMAIN, "stop_shedding", {"entity_id": SWITCH}, blocking=True
                    )
                else:
                    await hass.services.async_call(
                        SWITCH_DOMAIN,
                        SERVICE_TURN_OFF,
                        {ATTR_ENTITY_ID: SWITCH},
                        blocking=True,
                    )
                assert chip.output_active(LINE) is False
                event_start = planned_end = None
                continue
            duration = (
                exact(request.duration)
                if request.kind == "shed" and request.duration is not None
                else MAXIMUM
            )
            if request.kind == "shed":
                await shed(
                    hass, None if request.duration is None else float(request.duration)
                )
            else:
                await turn_on(hass)
            if event_start is None:
                event_start = now
            planned_end = min(now + duration, event_start + MAXIMUM)
            assert chip.output_active(LINE) is True
            assert hass.states.get(SWITCH).state == STATE_ON
        end = now + MAXIMUM + DEADLINE_MARGIN
        await run_until(end)
    assert chip.output_active(LINE) is False
    assert shedder.active is None
    assert hass.states.get(SWITCH).state == STATE_OFF
