"""Tests of the buzzer's service validation, config flow and diagnostics."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip
from custom_components.sunshare.validation import vol

from .conftest import ENTRY_ID, LINE
from .test_alarm import SIREN

USER_INPUT: dict[str, Any] = {
    "name": "Hall buzzer",
    "backend": "simulated",
    "chip": "sim0",
    "line": LINE,
    "active_level": "high",
}


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the buzzer entry up (real time)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"config_entry_id": ENTRY_ID, "entity_id": SIREN},
        {"config_entry_id": ENTRY_ID, "pattern": []},
        {"config_entry_id": ENTRY_ID, "pattern": [2, -1]},
        {"config_entry_id": ENTRY_ID, "pattern": ["loud"]},
        {"config_entry_id": ENTRY_ID, "repeats": 0},
        {"config_entry_id": ENTRY_ID, "pause": -1},
        {"config_entry_id": ENTRY_ID, "max_duration": 7200},
    ],
    ids=[
        "no_target",
        "two_targets",
        "empty_pattern",
        "negative_step",
        "text_step",
        "no_repeat",
        "negative_pause",
        "too_long",
    ],
)
async def test_sound_alarm_rejects_bad_data(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    data: dict[str, Any],
) -> None:
    """Malformed alarms are rejected and nothing sounds."""
    await setup_entry(hass, mock_entry)
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(DOMAIN, "sound_alarm", data, blocking=True)
    assert not chip.level(LINE)


async def test_sound_alarm_rejects_other_targets(
    hass: HomeAssistant, mock_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Unknown entries, entries of another kind and unloaded buzzers are refused."""
    await setup_entry(hass, mock_entry)
    MockConfigEntry(domain=DOMAIN, data={"kind": "relay"}, entry_id="r").add_to_hass(
        hass
    )
    for data in ({"config_entry_id": "nope"}, {"config_entry_id": "r"}):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, "sound_alarm", data, blocking=True)
        assert err.value.translation_key == "buzzer_not_found"
    # The siren entity is a valid target.
    await hass.services.async_call(
        DOMAIN, "sound_alarm", {"entity_id": SIREN}, blocking=True
    )
    assert chip.level(LINE)
    assert await hass.config_entries.async_unload(ENTRY_ID)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "sound_alarm", {"entity_id": SIREN}, blocking=True
        )
    assert err.value.translation_key == "buzzer_not_loaded"


async def test_diagnostics(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics show the settings, the chip and the alarm playing."""
    await setup_entry(hass, mock_entry)
    await hass.services.async_call(
        DOMAIN, "sound_alarm", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_entry)
    assert diagnostics["kind"] == "buzzer"
    assert diagnostics["data"]["line"] == LINE
    assert diagnostics["chip"]["label"] == "simulated"
    assert diagnostics["player"]["playing"] is True
    assert diagnostics["player"]["line_active"] is True
    assert diagnostics["player"]["changes"] == 6
    assert diagnostics["player"]["end_s"] == 8.0


@pytest.mark.parametrize(
    ("break_it", "state"),
    [
        (lambda chip: setattr(chip, "present", False), ConfigEntryState.SETUP_RETRY),
        (lambda chip: chip.claim_external(LINE), ConfigEntryState.SETUP_RETRY),
    ],
    ids=["chip_not_found", "line_busy"],
)
async def test_setup_errors(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    break_it: Any,
    state: ConfigEntryState,
) -> None:
    """A missing chip or a busy line makes the setup retry later."""
    break_it(chip)
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(ENTRY_ID)
    assert mock_entry.state is state


async def buzzer_form(hass: HomeAssistant) -> str:
    """Open the flow, pick the buzzer in the menu, return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert "buzzer" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "buzzer"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "buzzer"
    return str(result["flow_id"])


async def test_create_entry(hass: HomeAssistant, chip: SimulatedChip) -> None:
    """A free line creates a buzzer entry holding the line, silent."""
    flow_id = await buzzer_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hall buzzer"
    assert result["data"] == {"kind": "buzzer", **USER_INPUT}
    await hass.async_block_till_done()
    assert result["result"].unique_id == f"gpio:simulated:sim0:{LINE}"
    assert chip.consumer(LINE) == "sunshare"
    assert chip.output_active(LINE) is False


async def test_default_name(hass: HomeAssistant, chip: SimulatedChip) -> None:
    """Without a name, the buzzer is named after its line."""
    flow_id = await buzzer_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**USER_INPUT, "name": "", "active_level": "low"}
    )
    assert result["title"] == f"Buzzer (GPIO {LINE})"
    assert result["data"]["active_level"] == "low"


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
    flow_id = await buzzer_form(hass)
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


async def test_same_line_twice_aborts(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> None:
    """A line already configured cannot be added again."""
    mock_entry.add_to_hass(hass)
    flow_id = await buzzer_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure(
    hass: HomeAssistant, mock_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """Reconfigure keeps or moves the line; busy lines and duplicates are refused."""
    await setup_entry(hass, mock_entry)
    MockConfigEntry(
        domain=DOMAIN, data={"kind": "relay"}, unique_id="gpio:simulated:sim0:6"
    ).add_to_hass(hass)
    result = await mock_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_buzzer"
    # Same line (held by this entry): accepted.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "name": "Kitchen buzzer"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert mock_entry.title == "Kitchen buzzer"

    result = await mock_entry.start_reconfigure_flow(hass)
    chip.claim_external(5)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "line": 5}
    )
    assert result["errors"] == {"base": "line_busy"}
    chip.release_external(5)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "line": 5}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert mock_entry.unique_id == "gpio:simulated:sim0:5"
    assert chip.consumer(5) == "sunshare"
    assert chip.consumer(LINE) is None

    result = await mock_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**USER_INPUT, "line": 6}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
