"""What a household reads: kWh indexes, the contract's indexes only, raw registers hidden."""

from __future__ import annotations

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.linky.descriptions import (
    describe,
    phase_attributes,
    relay_attributes,
    schedule_attributes,
    status_attributes,
)
from custom_components.sunshare.teleinfo.models import Mode
from custom_components.sunshare.titles import async_device_title
from tests.integration.registry import device_by_identifier
from tests.teleinfo.tic_bytes import STANDARD_ADDRESS, GroupSpec, frame, standard_frame
from tests.teleinfo.tic_line import Pty

from .conftest import entity_id, linky_entry, send, wh


def _standard(ngtf: str | None, supplier: list[int], distributor: list[int]) -> bytes:
    """Return a standard frame of a calendar, with all ten supplier indexes (in Wh)."""
    groups: list[GroupSpec] = [
        ("ADSC", STANDARD_ADDRESS),
        ("VTIC", "02"),
        ("DATE", "H241123201500", ""),
    ]
    if ngtf is not None:
        groups.append(("NGTF", ngtf.center(16)))
    groups.append(("EAST", f"{sum(supplier):09d}"))
    groups += [(f"EASF{n:02d}", f"{v:09d}") for n, v in enumerate(supplier, 1)]
    groups += [(f"EASD{n:02d}", f"{v:09d}") for n, v in enumerate(distributor, 1)]
    groups += [
        ("IRMS1", "005"),
        ("URMS1", "231"),
        ("SINSTS", "01200"),
        # Supplier index 1, distributor index 1 counting now.
        ("STGE", "003A0001"),
        ("RELAIS", "001"),
        ("NTARF", "01"),
        ("NJOURF", "00"),
        ("NJOURF+1", "00"),
        ("PJOURF+1", "00004001 06004002 22004001 NONUTILE"),
    ]
    return frame(Mode.STANDARD, groups)


def _enabled(hass: HomeAssistant, label: str) -> bool:
    """Return whether the entity of a label is enabled in the registry."""
    entry = er.async_get(hass).async_get(entity_id(hass, label))
    assert entry is not None
    return entry.disabled_by is None


@pytest.mark.parametrize(
    ("ngtf", "used"),
    [
        ("BASE", {1}),
        ("H PLEINE/CREUSE", {1, 2}),
        ("TEMPO", {1, 2, 3, 4, 5, 6}),
        # Unknown calendar: the indexes that have counted something (and NTARF's).
        ("SUPPLIER XYZ", {1, 3}),
        (None, {1, 3}),
    ],
)
async def test_supplier_indexes_the_contract_uses_are_enabled(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    pty: Pty,
    ngtf: str | None,
    used: set[int],
) -> None:
    """EASF01-10 are all sent; those the calendar does not name start disabled."""
    # Index 3 counted something (e.g. before a contract change), 10 never did.
    supplier = [1000, 0, 500, 0, 0, 0, 0, 0, 0, 0]
    await send(hass, loaded_entry, pty, _standard(ngtf, supplier, [1500, 0, 0, 0]))
    enabled = {n for n in range(1, 11) if _enabled(hass, f"EASF{n:02d}")}
    assert enabled == used
    # The total is always enabled; distributor indexes only when they counted.
    assert _enabled(hass, "EAST")
    assert _enabled(hass, "EASD01")
    assert not _enabled(hass, "EASD02")
    assert not _enabled(hass, "EASD04")


async def test_indexes_are_shown_in_kwh_and_stored_in_wh(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Native Wh (full resolution), kWh with three decimals for display."""
    supplier = [1234567, 89, 0, 0, 0, 0, 0, 0, 0, 0]
    await send(hass, loaded_entry, pty, _standard("BASE", supplier, [0, 0, 0, 0]))
    state = hass.states.get(entity_id(hass, "EASF01"))
    assert state is not None
    assert state.state == "1234.567"
    assert wh(state) == 1234567
    entry = er.async_get(hass).async_get(entity_id(hass, "EASF01"))
    assert entry is not None
    assert entry.options["sensor"]["suggested_display_precision"] == 3
    assert entry.options["sensor.private"]["suggested_unit_of_measurement"] == "kWh"
    description = describe("EASF01")
    assert description.native_unit_of_measurement == "Wh"
    assert description.suggested_unit_of_measurement == "kWh"


async def test_raw_registers_are_diagnostic_and_disabled(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """STGE, RELAIS, NJOURF(+1), PJOURF+1 are hidden diagnostics; decoded elsewhere."""
    await send(hass, loaded_entry, pty, _standard("BASE", [1] + [0] * 9, [1, 0, 0, 0]))
    registry = er.async_get(hass)
    for label in ("STGE", "RELAIS", "NJOURF", "NJOURF+1", "PJOURF+1"):
        entry = registry.async_get(entity_id(hass, label))
        assert entry is not None, label
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, label
        assert entry.entity_category is EntityCategory.DIAGNOSTIC, label
    for label in ("PPOT", "PPOINTE"):
        assert describe(label).entity_registry_enabled_default is False
        assert describe(label).entity_category is EntityCategory.DIAGNOSTIC


def test_numbered_indexes_sort_naturally_by_name() -> None:
    """Names sorted as text (Home Assistant's pages) keep the meter's order."""
    for prefix, count in (("EASF", 10), ("EASD", 4)):
        labels = [f"{prefix}{n:02d}" for n in range(1, count + 1)]
        names = []
        for label in labels:
            placeholders = describe(label).translation_placeholders
            assert placeholders is not None
            names.append(f"Index {placeholders['index']}")
        assert sorted(names) == names
        assert names[1] == "Index 02"


def test_registers_are_decoded_into_attributes() -> None:
    """The raw registers' attributes say what they mean; invalid data gives none."""
    status = status_attributes("463A0800")
    assert status["supplier_index"] == 3
    assert status["tempo_today"] == "white"
    assert status["tempo_tomorrow"] == "blue"
    assert status["mobile_peak"] == 1
    assert status["dry_contact"] == "closed"
    assert status_attributes("nonsense") == {}
    assert relay_attributes("140") == {
        "closed_relays": [3, 4, 8],
        "dry_contact": "open",
    }
    assert relay_attributes("999") == {}
    schedule = schedule_attributes("00004001 06004002 NONUTILE")
    assert schedule["slots"][1] == {
        "start": "06:00",
        "supplier_index": 2,
        "dry_contact": 1,
        "virtual_contacts": [],
    }
    assert schedule_attributes("bad") == {}
    assert phase_attributes("0A") == {"absent_phases": [1, 3]}
    assert phase_attributes("00") == {"absent_phases": []}
    assert phase_attributes("zz") == {}


async def test_device_and_entry_title_in_french(hass: HomeAssistant, pty: Pty) -> None:
    """On a French Home Assistant the device and the flow's title both read French."""
    hass.config.language = "fr"
    assert await async_device_title(hass, "linky") == "Compteur Linky"
    assert (
        await async_device_title(hass, "game_link", {"name": "Amélie"})
        == "Jeu Sunshare (Amélie)"
    )
    entry = linky_entry(str(pty.link), mode="standard")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await send(hass, entry, pty, standard_frame())
    assert device_by_identifier(hass, STANDARD_ADDRESS).name == "Compteur Linky"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
