"""Tests of the pulse meter entry lifecycle, its service and its diagnostics."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio import SimulatedChip

from .conftest import ENTRY_DATA, LINE


async def test_unload_releases_the_line(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """While loaded the entry holds its line; unloading gives it back."""
    assert chip.consumer(LINE) == "sunshare"
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert chip.consumer(LINE) is None
    # Pulses after unload are not counted anywhere (and do not fail).
    assert chip.inject_edge(LINE, False, 0) is False


@pytest.mark.parametrize(
    ("break_it", "state"),
    [
        (lambda chip: chip.claim_external(LINE), ConfigEntryState.SETUP_RETRY),
        (lambda chip: setattr(chip, "present", False), ConfigEntryState.SETUP_RETRY),
        (
            lambda chip: setattr(chip, "permission_denied", True),
            ConfigEntryState.SETUP_ERROR,
        ),
    ],
)
async def test_setup_errors(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    break_it: object,
    state: ConfigEntryState,
) -> None:
    """A busy line or missing chip is retried; a denied chip is an error."""
    break_it(chip)  # type: ignore[operator]
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_entry.state is state
    assert mock_entry.reason
    chip.present = True  # let the retry timer find nothing to do after the test
    await hass.config_entries.async_unload(mock_entry.entry_id)


async def test_setup_error_when_request_fails(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> None:
    """A line the chip does not have fails the setup and closes the backend."""
    mock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_entry, data={**ENTRY_DATA, "line": 99})
    await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.SETUP_ERROR
    assert "99" in str(mock_entry.reason)


async def test_set_pulse_total(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, chip: SimulatedChip
) -> None:
    """The service sets the energy to a meter reading; pulses add from there."""
    chip.inject_pulses(LINE, 2, start_ns=0)
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN,
        "set_pulse_total",
        {"config_entry_id": loaded_entry.entry_id, "total": 12345.678},
        blocking=True,
    )
    assert hass.states.get("sensor.main_meter_energy").state == "12345678.0"
    assert hass.states.get("sensor.main_meter_pulses").state == "2"
    chip.inject_pulses(LINE, 1, start_ns=10**10)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.main_meter_energy").state == "12345679.0"


async def test_set_pulse_total_validates_its_target(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Unknown, foreign, wrong-kind and unloaded entries are refused clearly."""
    other_kind = MockConfigEntry(domain=DOMAIN, data={"kind": "relay"})
    other_kind.add_to_hass(hass)
    other_domain = MockConfigEntry(domain="demo", data={"kind": "pulse_meter"})
    other_domain.add_to_hass(hass)
    for entry_id in ("nope", other_kind.entry_id, other_domain.entry_id):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                "set_pulse_total",
                {"config_entry_id": entry_id, "total": 1},
                blocking=True,
            )
        assert err.value.translation_key == "pulse_meter_not_found"
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_pulse_total",
            {"config_entry_id": loaded_entry.entry_id, "total": 1},
            blocking=True,
        )
    assert err.value.translation_key == "pulse_meter_not_loaded"


async def test_set_pulse_total_by_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The pulse meter can also be chosen through one of its sensors."""
    await hass.services.async_call(
        DOMAIN,
        "set_pulse_total",
        {"entity_id": "sensor.main_meter_pulses", "total": 2.5},
        blocking=True,
    )
    assert hass.states.get("sensor.main_meter_energy").state == "2500.0"


async def test_diagnostics(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    chip: SimulatedChip,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics show the settings, the chip, the line level and the meter."""
    chip.inject_pulses(LINE, 2, start_ns=0)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert diagnostics["kind"] == "pulse_meter"
    assert diagnostics["data"]["line"] == LINE
    assert diagnostics["chip"] == {"chip": "sim0", "label": "simulated", "lines": 28}
    assert diagnostics["line_active"] is True  # idle high after the pulses
    assert diagnostics["line_error"] is None
    assert diagnostics["meter"]["pulses"] == 2
    assert diagnostics["meter"]["energy_wh"] == 2.0
    assert diagnostics["meter"]["last_interval_s"] == 1.0
    assert diagnostics["meter"]["power_w"] is not None
