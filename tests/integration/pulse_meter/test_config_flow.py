"""Tests of the pulse meter config flow: creation, line tests, errors, reconfigure."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare import gpio_entry
from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import GpioError, SimulatedChip, open_backend

from .conftest import LINE

USER_INPUT: dict[str, Any] = {
    "name": "Main meter",
    "backend": "simulated",
    "chip": "sim0",
    "line": LINE,
    "energy_per_pulse": 0.5,
    "edge": "falling",
    "debounce": 30,
}


async def _pulse_meter_form(hass: HomeAssistant) -> str:
    """Open the flow, pick the pulse meter in the menu, return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "pulse_meter" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pulse_meter"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pulse_meter"
    return str(result["flow_id"])


async def test_create_entry(hass: HomeAssistant, chip: SimulatedChip) -> None:
    """A free line creates an entry that counts pulses once set up."""
    flow_id = await _pulse_meter_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Main meter"
    assert result["data"] == {
        "kind": "pulse_meter",
        "name": "Main meter",
        "backend": "simulated",
        "chip": "sim0",
        "line": LINE,
        "energy_per_pulse": 0.5,
        "edge": "falling",
        "debounce": 30,
    }
    entry = result["result"]
    assert entry.unique_id == f"gpio:simulated:sim0:{LINE}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert chip.consumer(LINE) == "sunshare"
    # The line test released the line: only the entry holds it now.
    chip.inject_pulses(LINE, 4, start_ns=0)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.main_meter_energy").state == "2.0"


async def test_title_without_name_and_defaults(hass: HomeAssistant) -> None:
    """Without a name the title names the line; the chip defaults to auto."""
    flow_id = await _pulse_meter_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "backend": "simulated",
            "chip": "  ",
            "line": 4,
            "energy_per_pulse": 1,
            "edge": "rising",
            "debounce": 20,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pulse meter GPIO 4"
    assert result["data"]["chip"] == "auto"
    assert "name" not in result["data"]


@pytest.mark.parametrize("kind", ["pulse_meter", "buzzer", "relay"])
@pytest.mark.parametrize("development", [False, True])
async def test_simulated_backend_only_in_development(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, kind: str, development: bool
) -> None:
    """The simulated backend (it switches nothing) is offered only in development."""
    if development:
        monkeypatch.setenv("SUNSHARE_DEVELOPMENT", "1")
    else:
        monkeypatch.delenv("SUNSHARE_DEVELOPMENT", raising=False)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    backend = result["data_schema"].schema["backend"]
    assert ("simulated" in backend.config["options"]) is development
    assert {"gpiod", "rpi_gpio"} <= set(backend.config["options"])
    hass.config_entries.flow.async_abort(result["flow_id"])


@pytest.mark.parametrize(
    ("break_it", "error"),
    [
        (lambda chip: chip.claim_external(LINE, "pigpiod"), "line_busy"),
        (lambda chip: setattr(chip, "present", False), "chip_not_found"),
        (lambda chip: setattr(chip, "permission_denied", True), "permission_denied"),
    ],
)
async def test_line_errors_recover(
    hass: HomeAssistant, chip: SimulatedChip, break_it: Any, error: str
) -> None:
    """A busy line, a missing chip or a denied chip is reported, then fixed."""
    flow_id = await _pulse_meter_form(hass)
    break_it(chip)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    chip.release_external(LINE)
    chip.present = True
    chip.permission_denied = False
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_missing_line_recovers(hass: HomeAssistant) -> None:
    """A line the chip does not have is reported; a valid one then works."""
    flow_id = await _pulse_meter_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**USER_INPUT, "line": 40}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "line_not_found"}
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_other_gpio_error_recovers(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any other GPIO failure is reported as a generic GPIO error."""
    original = open_backend

    def failing(*args: Any) -> Any:
        raise GpioError("ioctl failed")

    monkeypatch.setattr(gpio_entry, "open_backend", failing)
    flow_id = await _pulse_meter_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["errors"] == {"base": "gpio_error"}
    monkeypatch.setattr(gpio_entry, "open_backend", original)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_line_aborts(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The same line cannot be configured twice."""
    flow_id = await _pulse_meter_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_same_line(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """The entry's own (held) line is accepted; settings change, totals are kept."""
    chip.inject_pulses(LINE, 3, start_ns=0)
    await hass.async_block_till_done()
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_pulse_meter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "energy_per_pulse": 10}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_entry.data["energy_per_pulse"] == 10
    assert hass.states.get("sensor.main_meter_energy").state == "3.0"
    chip.inject_pulses(LINE, 1, start_ns=100 * 10**9)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.main_meter_energy").state == "13.0"


async def test_reconfigure_to_other_line(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Moving to a busy line is refused, to a free one works and frees the old one."""
    chip.claim_external(5, "another program")
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "line": 5}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "line_busy"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "line": 6, "name": ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_entry.unique_id == "gpio:simulated:sim0:6"
    assert loaded_entry.title == "Pulse meter GPIO 6"
    assert chip.consumer(LINE) is None
    assert chip.consumer(6) == "sunshare"


async def test_reconfigure_to_configured_line_aborts(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Moving onto a line another entry has is aborted."""
    other = MockConfigEntry(
        domain=DOMAIN,
        data={"kind": "relay", "backend": "simulated", "chip": "sim0", "line": 6},
        unique_id="gpio:simulated:sim0:6",
    )
    other.add_to_hass(hass)
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "line": 6}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
