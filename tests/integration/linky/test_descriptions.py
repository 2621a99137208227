"""Every label of the catalogue has a sensor description with translated names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
import pytest

from custom_components.sunshare.linky.binary_sensor import BINARY_SENSORS
from custom_components.sunshare.linky.descriptions import describe
from custom_components.sunshare.linky.sensor import DERIVED_SENSORS
from custom_components.sunshare.teleinfo.labels import LABELS

INTEGRATION = Path(__file__).resolve().parents[3] / "custom_components" / "sunshare"


def _strings(name: str) -> dict[str, Any]:
    """Load a translation file."""
    data: dict[str, Any] = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", ["strings.json", "translations/fr.json", "icons.json"])
def test_every_entity_has_a_name_and_an_icon(name: str) -> None:
    """Names (English and French) and icons exist for every translation key."""
    section = _strings(name)["entity"]
    keys = {describe(label).translation_key for label in LABELS}
    keys |= {description.translation_key for description in DERIVED_SENSORS}
    keys.add(describe("UNKNOWN").translation_key)
    for key in keys:
        assert key in section["sensor"], (name, key)
    for description in BINARY_SENSORS:
        assert description.translation_key in section["binary_sensor"], name


def test_energy_indexes_work_in_the_energy_dashboard() -> None:
    """Every active energy index is in Wh and total increasing."""
    energy = [label for label, info in LABELS.items() if info.unit == "Wh"]
    assert {"BASE", "EAST", "EASF10", "EASD04", "EAIT", "BBRHPJR"} <= set(energy)
    for label in energy:
        if label in {"GAZ", "AUTRE"}:
            continue
        description = describe(label)
        assert description.device_class is SensorDeviceClass.ENERGY, label
        assert description.state_class is SensorStateClass.TOTAL_INCREASING, label
        assert description.native_unit_of_measurement == "Wh", label


def test_kva_labels_are_converted_to_va() -> None:
    """PREF and PCOUP are sent in kVA and shown in VA."""
    assert describe("PREF").convert("09") == 9000
    assert describe("PCOUP").native_unit_of_measurement == "VA"
    assert describe("EASF07").translation_placeholders == {"index": "07"}
