"""The optional no-pulse repair issue of a pulse meter (off by default)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip
from custom_components.sunshare.pulse_meter.const import NO_PULSE_CHECK_INTERVAL
from custom_components.sunshare.pulse_meter.watch import no_pulse_issue_id

from .conftest import LINE

S = 1_000_000_000


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the no-pulse repair issue of an entry, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, no_pulse_issue_id(entry.entry_id))


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move Home Assistant's clock on and run the timers that fall due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _set_options(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Save the pulse meter's options through the options flow; return the form."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pulse_meter_options"
    form = dict(result)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return form


async def test_off_by_default(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without the option, no issue however long the meter stays silent."""
    assert loaded_entry.options == {}
    chip.inject_pulses(LINE, 1, start_ns=S)
    await hass.async_block_till_done()
    await _advance(hass, freezer, timedelta(days=400))
    assert _issue(hass, loaded_entry) is None
    assert not loaded_entry.runtime_data.watch.raised


async def test_options_flow(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The option is hours; empty or 0 stores nothing (off); saving does not reload."""
    runtime = loaded_entry.runtime_data
    form = await _set_options(hass, loaded_entry, {"no_pulse_hours": 6})
    assert list(form["data_schema"].schema) == ["no_pulse_hours"]
    assert loaded_entry.options == {"no_pulse_hours": 6.0}
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is runtime

    form = await _set_options(hass, loaded_entry, {"no_pulse_hours": 0})
    # The form showed the delay saved before.
    (key,) = form["data_schema"].schema
    assert key.description == {"suggested_value": 6.0}
    assert loaded_entry.options == {}
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 12})
    await _set_options(hass, loaded_entry, {})
    assert loaded_entry.options == {}


async def test_issue_raised_after_the_delay_and_cleared_by_a_pulse(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Past the delay since the last pulse an issue is raised; the next pulse clears it."""
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 6})
    chip.inject_pulses(LINE, 2, start_ns=S)
    await hass.async_block_till_done()

    await _advance(hass, freezer, timedelta(hours=6) - 2 * NO_PULSE_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is None
    await _advance(hass, freezer, 2 * NO_PULSE_CHECK_INTERVAL)
    issue = _issue(hass, loaded_entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.is_fixable is False
    assert issue.translation_key == "pulse_no_pulse"
    assert issue.translation_placeholders == {
        "title": "Main meter",
        "line": str(LINE),
        "hours": "6",
    }

    chip.inject_pulses(LINE, 1, start_ns=100_000 * S)
    await hass.async_block_till_done()
    assert _issue(hass, loaded_entry) is None

    # Silent again: raised again, then dropped when the entry is unloaded.
    await _advance(hass, freezer, timedelta(hours=6, minutes=1))
    assert _issue(hass, loaded_entry) is not None
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert _issue(hass, loaded_entry) is None
    await _advance(hass, freezer, timedelta(hours=12))
    assert _issue(hass, loaded_entry) is None


async def test_issue_without_any_pulse_and_option_changes(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No pulse since setup counts from the setup; a longer delay or 0 clears it."""
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 1})
    await _advance(hass, freezer, timedelta(hours=1, minutes=1))
    assert _issue(hass, loaded_entry) is not None
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 24})
    await _advance(hass, freezer, NO_PULSE_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is None
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 1})
    await _advance(hass, freezer, NO_PULSE_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is not None
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 0})
    await _advance(hass, freezer, NO_PULSE_CHECK_INTERVAL)
    assert _issue(hass, loaded_entry) is None


async def test_issue_deleted_when_the_entry_is_removed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Removing the entry leaves no issue behind."""
    await _set_options(hass, loaded_entry, {"no_pulse_hours": 2})
    await _advance(hass, freezer, timedelta(hours=2, minutes=1))
    assert _issue(hass, loaded_entry) is not None
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, loaded_entry) is None
