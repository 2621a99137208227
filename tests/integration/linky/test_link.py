"""A lost meter link you can see: the meter link sensor and the no-frame repair issue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.linky.const import (
    LINK_CHECK_INTERVAL,
    LINK_TIMEOUT,
    NO_FRAME_ISSUE_AFTER,
)
from custom_components.sunshare.linky.issues import (
    async_raise_no_frame_issue,
    no_frame_issue_id,
)
from custom_components.sunshare.linky.runtime import LinkyRuntime
from tests.teleinfo.tic_bytes import HISTORIC_ADDRESS, standard_frame
from tests.teleinfo.tic_line import Pty, until

from .conftest import entity_id, linky_entry, send


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the no-frame repair issue of an entry, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, no_frame_issue_id(entry.entry_id))


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move Home Assistant's clock on and run the timers that fall due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_link_sensor_is_on_while_frames_arrive(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    pty: Pty,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sensor stays available: off before the first frame and after the timeout."""
    link = entity_id(hass, "link", "binary_sensor")
    item = er.async_get(hass).async_get(link)
    assert item is not None
    assert item.entity_category is EntityCategory.DIAGNOSTIC
    assert item.original_device_class == "connectivity"
    assert item.translation_key == "linky_link"
    state = hass.states.get(link)
    assert state is not None
    assert state.state == STATE_OFF  # nothing received yet, but available
    assert state.attributes["friendly_name"] == "Linky meter TIC link"

    await send(hass, loaded_entry, pty, standard_frame())
    assert hass.states.get(link).state == STATE_ON

    # Frames keep coming: the watchdog's checks leave the sensor on.
    for _ in range(3):
        await _advance(hass, freezer, LINK_TIMEOUT / 2)
        await send(hass, loaded_entry, pty, standard_frame())
        assert hass.states.get(link).state == STATE_ON

    # The meter goes quiet: off at the first check past the timeout, not before.
    await _advance(hass, freezer, LINK_TIMEOUT - LINK_CHECK_INTERVAL)
    assert hass.states.get(link).state == STATE_ON
    await _advance(hass, freezer, 2 * LINK_CHECK_INTERVAL)
    assert hass.states.get(link).state == STATE_OFF
    assert _issue(hass, loaded_entry) is None  # too early for a repair

    await send(hass, loaded_entry, pty, standard_frame())
    assert hass.states.get(link).state == STATE_ON


async def test_link_sensor_when_the_dongle_is_pulled(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Unplugged: the meter's values turn unavailable, the link sensor turns off."""
    await send(hass, loaded_entry, pty, standard_frame())
    link = entity_id(hass, "link", "binary_sensor")
    sinsts = entity_id(hass, "SINSTS")
    assert hass.states.get(link).state == STATE_ON
    pty.close()
    runtime: LinkyRuntime = loaded_entry.runtime_data
    await until(lambda: not runtime.connected)
    await hass.async_block_till_done()
    assert hass.states.get(sinsts).state == STATE_UNAVAILABLE
    assert hass.states.get(link).state == STATE_OFF


async def test_repair_issue_after_minutes_without_frames(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    pty: Pty,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Raised after NO_FRAME_ISSUE_AFTER of silence, deleted by the next frame."""
    await send(hass, loaded_entry, pty, standard_frame())
    await _advance(hass, freezer, NO_FRAME_ISSUE_AFTER - 2 * LINK_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is None
    await _advance(hass, freezer, 2 * LINK_CHECK_INTERVAL)
    issue = _issue(hass, loaded_entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.is_fixable is False
    assert issue.translation_key == "linky_no_frames"
    assert issue.translation_placeholders == {
        "title": "Linky meter",
        "port": str(pty.link),
        "minutes": "5",
    }
    assert loaded_entry.runtime_data.no_frame_issue

    # Still silent: raised once, not again at every check.
    await _advance(hass, freezer, LINK_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is not None

    await send(hass, loaded_entry, pty, standard_frame())
    assert _issue(hass, loaded_entry) is None
    assert hass.states.get(entity_id(hass, "link", "binary_sensor")).state == STATE_ON
    assert not loaded_entry.runtime_data.no_frame_issue


async def test_repair_issue_without_any_frame_deleted_on_unload(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A meter that never sent anything since setup is reported too; unload drops it."""
    await _advance(hass, freezer, NO_FRAME_ISSUE_AFTER + LINK_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is not None
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, loaded_entry) is None
    # The watchdog is gone with the entry: no issue comes back.
    await _advance(hass, freezer, 2 * NO_FRAME_ISSUE_AFTER)
    assert _issue(hass, loaded_entry) is None


async def test_repair_issue_deleted_when_the_entry_is_removed(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    """Removing a loaded entry, or one that is not loaded, leaves no issue behind."""
    entry = linky_entry(str(tmp_path / "missing-port"), mode="standard")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _advance(hass, freezer, NO_FRAME_ISSUE_AFTER + LINK_CHECK_INTERVAL)
    assert _issue(hass, entry) is not None
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, entry) is None

    idle = linky_entry(str(tmp_path / "other-port"), HISTORIC_ADDRESS, "historic")
    idle.add_to_hass(hass)
    async_raise_no_frame_issue(hass, idle.entry_id, idle.title, "/dev/ttyUSB0")
    assert _issue(hass, idle) is not None
    await hass.config_entries.async_remove(idle.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, idle) is None
