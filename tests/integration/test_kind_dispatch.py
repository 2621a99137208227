"""Tests for the dispatch of config entries to their kind's handler."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sunshare import kinds
from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind


class _Probe(SensorEntity):
    """A sensor added by the probe kind."""

    _attr_name = "probe"
    _attr_native_value = 42


@pytest.fixture
def probe_kind(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Register a probe handler for the relay kind and record the calls it gets."""
    calls: list[str] = []

    async def setup(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        calls.append("setup")

    async def unload(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        calls.append("unload")

    async def sensors(
        hass: HomeAssistant, entry: ConfigEntry[Any], add: AddEntitiesCallback
    ) -> None:
        calls.append("sensor")
        add([_Probe()])

    async def diagnostics(
        hass: HomeAssistant, entry: ConfigEntry[Any]
    ) -> dict[str, Any]:
        return {"probe": True}

    monkeypatch.setitem(
        kinds.HANDLERS,
        EntryKind.RELAY,
        kinds.KindHandler(
            setup_entry=setup,
            unload_entry=unload,
            platforms={Platform.SENSOR: sensors},
            diagnostics=diagnostics,
        ),
    )
    return calls


async def test_entry_is_set_up_and_unloaded_by_its_kind(
    hass: HomeAssistant,
    probe_kind: list[str],
    hass_client: ClientSessionGenerator,
) -> None:
    """Setup, platforms, diagnostics and unload all reach the kind's handler."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.RELAY.value})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert probe_kind == ["setup", "sensor"]
    assert hass.states.get("sensor.probe").state == "42"

    assert await get_diagnostics_for_config_entry(hass, hass_client, entry) == {
        "kind": "relay",
        "probe": True,
    }

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert probe_kind == ["setup", "sensor", "unload"]
