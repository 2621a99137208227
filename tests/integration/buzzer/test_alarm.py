"""Tests of the buzzer's alarms: pattern timing, tones, overlap, stop and release."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.siren.const import (
    ATTR_DURATION,
    ATTR_TONE,
    DOMAIN as SIREN_DOMAIN,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)

from custom_components.sunshare.buzzer.player import (
    DEADLINE_MARGIN,
    AlarmPlayer,
    build_steps,
)
from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip

from .conftest import ENTRY_ID, LINE

SIREN = "siren.hall_buzzer"


def history(chip: SimulatedChip, start: datetime) -> list[tuple[float, bool]]:
    """Return the line's changes as (seconds since start, active)."""
    return [
        (round((change.at - start).total_seconds(), 3), change.active)
        for change in chip.history(LINE)
    ]


async def run_for(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    step: float = 0.1,
) -> None:
    """Advance the frozen clock in small steps, running what becomes due."""
    for _ in range(round(seconds / step)):
        freezer.tick(timedelta(seconds=step))
        async_fire_time_changed_exact(hass)
        await hass.async_block_till_done()


async def sound(hass: HomeAssistant, **data: Any) -> None:
    """Call ``sunshare.sound_alarm`` on the test buzzer."""
    await hass.services.async_call(
        DOMAIN, "sound_alarm", {"config_entry_id": ENTRY_ID, **data}, blocking=True
    )


async def test_default_alarm_pattern(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The default alarm is three 2 s sounds with 1 s gaps, then silence."""
    assert hass.states.get(SIREN).state == STATE_OFF
    await sound(hass)
    assert hass.states.get(SIREN).state == STATE_ON
    await run_for(hass, freezer, 7.5, step=0.5)
    assert hass.states.get(SIREN).state == STATE_ON
    await run_for(hass, freezer, 0.5, step=0.5)
    assert hass.states.get(SIREN).state == STATE_OFF
    assert history(chip, start) == [
        (0.0, False),  # requested inactive at setup
        (0.0, True),
        (2.0, False),
        (3.0, True),
        (5.0, False),
        (6.0, True),
        (8.0, False),
    ]
    await run_for(hass, freezer, 5, step=1)
    assert len(chip.history(LINE)) == 7


async def test_repeats_pause_and_maximum_time(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A pattern repeats after a pause, and is cut at the maximum total time."""
    await sound(hass, pattern=[1, 0.5, 1], repeats=5, pause=2, max_duration=6)
    await run_for(hass, freezer, 8, step=0.5)
    # The third sound would start at 6.0 s: the maximum time cuts it off.
    assert history(chip, start)[1:] == [
        (0.0, True),
        (1.0, False),
        (1.5, True),
        (2.5, False),
        (4.5, True),
        (5.5, False),
    ]
    assert hass.states.get(SIREN).state == STATE_OFF


async def test_siren_tones_and_duration(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """``beep`` for 3 s beeps 0.2 s every second; the default tone is the alarm."""
    await hass.services.async_call(
        SIREN_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: SIREN, ATTR_TONE: "beep", ATTR_DURATION: 3},
        blocking=True,
    )
    await run_for(hass, freezer, 3.5)
    assert history(chip, start)[1:] == [
        (0.0, True),
        (0.2, False),
        (1.0, True),
        (1.2, False),
        (2.0, True),
        (2.2, False),
    ]
    assert hass.states.get(SIREN).state == STATE_OFF
    assert hass.states.get(SIREN).attributes["available_tones"] == ["alarm", "beep"]

    # The alarm tone for 10 s: 8 s pattern, 1 s pause, then cut at 10 s.
    await hass.services.async_call(
        SIREN_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: SIREN, ATTR_TONE: "alarm", ATTR_DURATION: 10},
        blocking=True,
    )
    await run_for(hass, freezer, 11, step=0.5)
    assert history(chip, start)[7:] == [
        (3.5, True),
        (5.5, False),
        (6.5, True),
        (8.5, False),
        (9.5, True),
        (11.5, False),
        (12.5, True),
        (13.5, False),
    ]

    # No tone, no duration: the alarm once.
    await hass.services.async_call(
        SIREN_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: SIREN}, blocking=True
    )
    await run_for(hass, freezer, 9, step=1)
    assert history(chip, start)[-6:] == [
        (14.5, True),
        (16.5, False),
        (17.5, True),
        (19.5, False),
        (20.5, True),
        (22.5, False),
    ]


async def test_new_alarm_replaces_the_running_one(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An alarm started while another sounds replaces it; the old timings are gone."""
    await sound(hass)
    await run_for(hass, freezer, 3.5, step=0.5)  # second sound of the first alarm
    await sound(hass, pattern=[1])
    await run_for(hass, freezer, 6, step=0.5)
    assert history(chip, start)[1:] == [
        (0.0, True),
        (2.0, False),
        (3.0, True),  # still on when the new alarm starts at 3.5
        (4.5, False),
    ]
    assert hass.states.get(SIREN).state == STATE_OFF


async def test_turn_off_stops_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Turning the siren off silences it immediately and for good."""
    await sound(hass, repeats=10)
    await run_for(hass, freezer, 1, step=0.5)
    await hass.services.async_call(
        SIREN_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SIREN}, blocking=True
    )
    assert hass.states.get(SIREN).state == STATE_OFF
    assert chip.output_active(LINE) is False
    await run_for(hass, freezer, 10, step=1)
    assert history(chip, start)[1:] == [(0.0, True), (1.0, False)]
    # Turning off a silent buzzer changes nothing.
    await hass.services.async_call(
        SIREN_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: SIREN}, blocking=True
    )
    assert len(chip.history(LINE)) == 3


async def test_unload_silences_and_releases(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unloading during an alarm leaves the line inactive and free."""
    await sound(hass)
    await run_for(hass, freezer, 0.5, step=0.5)
    assert chip.level(LINE)
    assert await hass.config_entries.async_unload(ENTRY_ID)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None
    await run_for(hass, freezer, 10, step=1)
    assert history(chip, start)[1:] == [(0.0, True), (0.5, False)]


async def test_home_assistant_stop_silences(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """When Home Assistant stops, the buzzer is silenced and its line released."""
    await sound(hass)
    assert chip.level(LINE)
    await hass.async_stop()
    assert not chip.level(LINE)
    assert chip.consumer(LINE) is None


async def test_active_low_buzzer(
    hass: HomeAssistant,
    start: datetime,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
) -> None:
    """An active-low buzzer is driven low to sound."""
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_entry, data={**mock_entry.data, "active_level": "low"}
    )
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    assert chip.level(LINE)
    await sound(hass)
    assert not chip.level(LINE)


def test_build_steps() -> None:
    """Patterns become timed changes; odd cases give a silent alarm."""
    assert build_steps([], 1, 1, 10).changes == ()
    assert build_steps([1], 0, 1, 10).changes == ()
    assert build_steps([1], 1, 1, 0).changes == ()
    # A pattern ending on a gap keeps the gap before the pause.
    steps = build_steps([1, 2], 2, 1, 100)
    assert steps.changes == ((0, True), (1, False), (4, True), (5, False))
    assert steps.end == 7
    # Cut in the middle of a sound: it ends at the maximum time.
    steps = build_steps([5], 1, 1, 2)
    assert steps.changes == ((0, True), (2, False))
    assert steps.end == 2


async def test_empty_alarm_and_drive_failure(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An empty alarm silences the buzzer; a line that fails is logged, not raised."""
    player = loaded_entry.runtime_data.player
    await sound(hass)
    player.play(build_steps([], 1, 1, 10))
    assert not player.playing
    assert chip.output_active(LINE) is False
    player._line.release()  # the line vanished behind the integration's back
    await sound(hass)
    assert "Cannot drive the buzzer line" in caplog.text


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("pattern", "repeats", "pause"),
    [([0.2, 0.2, 0.2], 3, 0.0), ([0.1, 0.1, 0.1], 5, 0.1), ([0.5, 0.5], 4, 0.3)],
)
async def test_decimal_patterns_end(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
    pattern: list[float],
    repeats: int,
    pause: float,
) -> None:
    """Step times that are not whole microseconds in binary still end the alarm.

    0.2 + 0.2 + 0.2 is 0.6000000000000001 s: compared with a time rounded to the
    microsecond, the same step was rescheduled forever (line active, a core busy).
    """
    steps = build_steps(pattern, repeats, pause, 60)
    await sound(hass, pattern=pattern, repeats=repeats, pause=pause, max_duration=60)
    await run_for(hass, freezer, steps.end + 1, step=0.05)
    assert hass.states.get(SIREN).state == STATE_OFF
    changes = history(chip, start)[1:]
    assert len(changes) == len(steps.changes)
    last_offset, last_active = steps.changes[-1]
    assert last_active is False
    assert changes[-1] == (pytest.approx(last_offset, abs=0.051), False)


async def test_hard_deadline_wins_over_a_stuck_step_machine(
    *,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    start: datetime,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the steps stop advancing, the line still goes off at end + margin."""
    monkeypatch.setattr(AlarmPlayer, "_advance", lambda self, now: None)
    await sound(hass, pattern=[1, 1], repeats=1, max_duration=30)
    monkeypatch.undo()
    player = loaded_entry.runtime_data.player
    assert player.playing
    await run_for(hass, freezer, 2 + DEADLINE_MARGIN.total_seconds() + 0.5, step=0.25)
    assert not player.playing
    assert hass.states.get(SIREN).state == STATE_OFF
    assert history(chip, start)[-1][1] is False
