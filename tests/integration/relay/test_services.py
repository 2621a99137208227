"""Tests of the validation of the load-shedding services, and of diagnostics."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.gpio import SimulatedChip
from custom_components.sunshare.validation import vol

from .conftest import ENTRY_ID, LINE
from .test_shedding import SWITCH


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"config_entry_id": ENTRY_ID, "entity_id": SWITCH},
        {"config_entry_id": ENTRY_ID, "duration": 0},
        {"config_entry_id": ENTRY_ID, "duration": "-00:10:00"},
        {"config_entry_id": ENTRY_ID, "duration": "soon"},
        {"entity_id": []},
    ],
    ids=["no_target", "two_targets", "zero", "negative", "not_a_duration", "empty"],
)
async def test_shed_load_rejects_bad_data(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, data: dict[str, Any]
) -> None:
    """Malformed service data is rejected before anything is switched."""
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(DOMAIN, "shed_load", data, blocking=True)
    assert loaded_entry.runtime_data.shedder.active is None


async def test_services_reject_other_targets(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Unknown entries, entries of another kind and foreign entities are refused."""
    other = MockConfigEntry(
        domain=DOMAIN, data={CONF_KIND: EntryKind.BUZZER.value}, entry_id="buzz"
    )
    other.add_to_hass(hass)
    hass.states.async_set("switch.kitchen", "off")
    for service in ("shed_load", "stop_shedding"):
        for data in (
            {"config_entry_id": "nope"},
            {"config_entry_id": "buzz"},
            {"entity_id": "switch.kitchen"},
        ):
            with pytest.raises(ServiceValidationError) as err:
                await hass.services.async_call(DOMAIN, service, data, blocking=True)
            assert err.value.translation_key == "relay_not_found"
    assert loaded_entry.runtime_data.shedder.active is None


async def test_services_reject_an_unloaded_relay(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A relay entry that is not loaded cannot shed."""
    assert await hass.config_entries.async_unload(ENTRY_ID)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "shed_load", {"config_entry_id": ENTRY_ID}, blocking=True
        )
    assert err.value.translation_key == "relay_not_loaded"
    assert err.value.translation_placeholders == {"title": "Water heater"}


async def test_diagnostics(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics show the settings, the chip and the shedding in progress."""
    # Real time here: the diagnostics view imports modules that freezegun upsets.
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    loaded_entry = mock_entry
    await hass.services.async_call(
        DOMAIN, "shed_load", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    assert diagnostics["kind"] == "relay"
    assert diagnostics["data"]["line"] == LINE
    assert diagnostics["options"] == {"max_duration": 120, "startup_state": "powered"}
    assert diagnostics["chip"]["label"] == "simulated"
    shedder = diagnostics["shedder"]
    assert shedder["line_active"] is True
    assert shedder["settings"]["max_duration"] == 7200.0
    assert shedder["settings"]["declared_w"] == 2000.0
    assert shedder["active"]["declared_w"] == 2000.0
    assert shedder["total_energy_wh"] == 0.0


@pytest.mark.parametrize(
    ("break_it", "state"),
    [
        (lambda chip: setattr(chip, "present", False), ConfigEntryState.SETUP_RETRY),
        (lambda chip: chip.claim_external(LINE), ConfigEntryState.SETUP_RETRY),
        (
            lambda chip: setattr(chip, "permission_denied", True),
            ConfigEntryState.SETUP_ERROR,
        ),
    ],
    ids=["chip_not_found", "line_busy", "permission_denied"],
)
async def test_setup_errors(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    break_it: Any,
    state: ConfigEntryState,
) -> None:
    """A missing chip or busy line is retried later; a permission error is final."""
    break_it(chip)
    mock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    assert mock_entry.state is state


async def test_drive_failure_is_logged(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    chip: SimulatedChip,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If the line cannot be driven, the error is logged and nothing crashes."""
    mock_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(ENTRY_ID)
    await hass.async_block_till_done()
    shedder = mock_entry.runtime_data.shedder
    shedder._line.release()  # the line vanished behind the integration's back
    await hass.services.async_call(
        DOMAIN, "shed_load", {"config_entry_id": ENTRY_ID}, blocking=True
    )
    assert "Cannot drive the load-shedding relay" in caplog.text
    assert await hass.config_entries.async_unload(ENTRY_ID)
