"""Snapshot of every sensor and binary sensor of a standard Tempo producer meter."""

from __future__ import annotations

import dataclasses

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.sunshare import kinds
from custom_components.sunshare.const import EntryKind
from tests.teleinfo.tic_bytes import standard_frame
from tests.teleinfo.tic_line import Pty

from .conftest import linky_entry, send


@pytest.fixture
def enable_all_entities(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enable the entities that are disabled by default, to snapshot them too."""
    monkeypatch.setattr(
        Entity, "entity_registry_enabled_default", property(lambda self: True)
    )


@pytest.fixture
def only_platform(monkeypatch: pytest.MonkeyPatch, platform: Platform) -> None:
    """Load a single platform of the Linky kind (snapshot_platform wants one)."""
    handler = kinds.HANDLERS[EntryKind.LINKY]
    monkeypatch.setitem(
        kinds.HANDLERS,
        EntryKind.LINKY,
        dataclasses.replace(handler, platforms={platform: handler.platforms[platform]}),
    )


@pytest.mark.usefixtures("enable_all_entities", "only_platform")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_entities_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    pty: Pty,
) -> None:
    """Names, classes, units, categories and states of the meter's entities."""
    entry = linky_entry(str(pty.link), mode="standard")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await send(
        hass,
        entry,
        pty,
        standard_frame(
            stge="463A0800",
            extra=[
                ("SINSTI", "00300"),
                ("EAIT", "000123456"),
                ("DPM1", " 241124060000", "00"),
                ("FPM1", " 241125060000", "00"),
            ],
        ),
    )
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)
