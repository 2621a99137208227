"""Tests of the relay config flow: creation, line tests, errors, reconfigure, options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip

from .conftest import ENTRY_ID, LINE

USER_INPUT: dict[str, Any] = {
    "name": "Water heater",
    "backend": "simulated",
    "chip": "sim0",
    "line": LINE,
    "active_level": "low",
    "declared_power": 2400,
    "max_duration": 90,
    "startup_state": "powered",
}


async def relay_form(hass: HomeAssistant) -> str:
    """Open the flow, pick the relay in the menu, return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "relay" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "relay"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "relay"
    assert result["errors"] == {}
    return str(result["flow_id"])


async def test_create_entry(hass: HomeAssistant, chip: SimulatedChip) -> None:
    """A free line creates a relay entry that holds the line, load powered."""
    flow_id = await relay_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Water heater"
    assert result["data"] == {
        "kind": "relay",
        "backend": "simulated",
        "chip": "sim0",
        "line": LINE,
        "name": "Water heater",
        "active_level": "low",
        "declared_power": 2400.0,
    }
    assert result["options"] == {"max_duration": 90, "startup_state": "powered"}
    entry = result["result"]
    assert entry.unique_id == f"gpio:simulated:sim0:{LINE}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert chip.consumer(LINE) == "sunshare"
    assert chip.level(LINE)  # active low, inactive: high, load powered


@pytest.mark.parametrize(
    ("break_it", "changes", "error"),
    [
        (lambda chip: setattr(chip, "present", False), {}, "chip_not_found"),
        (
            lambda chip: setattr(chip, "permission_denied", True),
            {},
            "permission_denied",
        ),
        (lambda chip: chip.claim_external(LINE), {}, "line_busy"),
        (lambda chip: None, {"line": 99}, "line_not_found"),
    ],
    ids=["chip_not_found", "permission_denied", "line_busy", "line_not_found"],
)
async def test_line_errors_recover(
    hass: HomeAssistant,
    chip: SimulatedChip,
    break_it: Any,
    changes: dict[str, Any],
    error: str,
) -> None:
    """Each hardware error is shown on the form, and fixing it creates the entry."""
    flow_id = await relay_form(hass)
    break_it(chip)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**USER_INPUT, **changes}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    chip.present = True
    chip.permission_denied = False
    if chip.consumer(LINE) is not None:
        chip.release_external(LINE)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_name_required(hass: HomeAssistant, chip: SimulatedChip) -> None:
    """A blank load name is refused, then a real one accepted."""
    flow_id = await relay_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**USER_INPUT, "name": "   "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": "load_name_required"}
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_line_twice_aborts(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> None:
    """A line already configured (by any GPIO kind) cannot be added again."""
    mock_entry.add_to_hass(hass)
    flow_id = await relay_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_the_relay(
    hass: HomeAssistant, mock_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Reconfigure changes the line and load; a busy line is refused first."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    result = await mock_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_relay"
    new = {
        "name": "Radiators",
        "backend": "simulated",
        "chip": "sim0",
        "line": 5,
        "active_level": "high",
        "declared_power": 1500,
    }
    chip.claim_external(5)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "line_busy"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**new, "name": ""}
    )
    assert result["errors"] == {"name": "load_name_required"}
    chip.release_external(5)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert mock_entry.title == "Radiators"
    assert mock_entry.unique_id == "gpio:simulated:sim0:5"
    assert mock_entry.data["declared_power"] == 1500.0
    assert mock_entry.state is ConfigEntryState.LOADED
    assert chip.consumer(5) == "sunshare"
    assert chip.consumer(LINE) is None


async def test_reconfigure_same_line(
    hass: HomeAssistant, mock_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Keeping the line the entry holds is accepted (it is busy only with itself)."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    result = await mock_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **{k: mock_entry.data[k] for k in ("backend", "chip", "line")},
            "name": "Water heater",
            "active_level": "high",
            "declared_power": 3000,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_entry.data["declared_power"] == 3000.0


async def test_reconfigure_onto_another_entry_aborts(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> None:
    """Reconfiguring onto a line another entry uses aborts."""
    mock_entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN,
        data={"kind": "pulse_meter"},
        unique_id="gpio:simulated:sim0:6",
    ).add_to_hass(hass)
    result = await mock_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "name": "Water heater",
            "backend": "simulated",
            "chip": "sim0",
            "line": 6,
            "active_level": "high",
            "declared_power": 2000,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_flow(
    hass: HomeAssistant, mock_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Options choose the power source and limits, then reload the entry."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    hass.states.async_set("sensor.power", "1000", {"unit_of_measurement": "W"})
    result = await hass.config_entries.options.async_init(ENTRY_ID)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "relay_options"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "power_entity": "sensor.power",
            "max_duration": 45,
            "startup_state": "shedding",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mock_entry.options == {
        "power_entity": "sensor.power",
        "max_duration": 45,
        "startup_state": "shedding",
    }
    shedder = mock_entry.runtime_data.shedder
    assert shedder.settings.power_entity == "sensor.power"
    assert shedder.settings.max_duration.total_seconds() == 45 * 60
    # Reloaded with "load cut" on start-up.
    assert shedder.active is not None

    # Clearing the power source removes it.
    result = await hass.config_entries.options.async_init(ENTRY_ID)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"max_duration": 45, "startup_state": "powered"}
    )
    await hass.async_block_till_done()
    assert "power_entity" not in mock_entry.options
