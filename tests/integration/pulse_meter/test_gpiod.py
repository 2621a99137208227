"""The pulse meter on the real gpiod backend code, against the fake gpiod module."""

from __future__ import annotations

import asyncio
from pathlib import Path

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import DOMAIN
from tests.gpio.fake_gpiod import FakeChipDevice, FakeGpio, install

from .conftest import ENTRY_DATA, LINE

MS = 1_000_000


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeGpio:
    """Install the fake gpiod module with the chips of a Raspberry Pi 5."""
    fake = install(monkeypatch, str(tmp_path))
    fake.add_chip(0, "pinctrl-rp1", 54)
    fake.add_chip(10, "pinctrl-bcm2712", 22)
    return fake


@pytest.fixture
def header(world: FakeGpio, tmp_path: Path) -> FakeChipDevice:
    """Return the header chip."""
    return world.chips[str(tmp_path / "gpiochip0")]


@pytest.fixture
async def gpiod_entry(hass: HomeAssistant, world: FakeGpio) -> MockConfigEntry:
    """Set up a pulse meter entry on the gpiod backend, chip found automatically."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Main meter",
        data={**ENTRY_DATA, "backend": "gpiod", "chip": "auto"},
        unique_id=f"gpio:header:{LINE}",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _read_events(hass: HomeAssistant, chip: FakeChipDevice) -> None:
    """Run the loop until the request's fd reader has drained the pending events."""
    request = chip.lines[LINE].request
    assert request is not None
    for _ in range(500):
        await asyncio.sleep(0.001)  # a select() round for the fd reader
        if not request._events:
            break
    await hass.async_block_till_done()


async def _pulses(
    hass: HomeAssistant, chip: FakeChipDevice, count: int, start_ms: int = 0
) -> None:
    """Emit S0 pulses (low for 50 ms, one per second) and let the loop read them."""
    for index in range(count):
        at = (start_ms + index * 1000) * MS
        chip.emit(LINE, False, at)
        chip.emit(LINE, True, at + 50 * MS)
    await _read_events(hass, chip)


async def test_pulses_counted_through_gpiod(
    hass: HomeAssistant, gpiod_entry: MockConfigEntry, header: FakeChipDevice
) -> None:
    """The request is configured for S0 pulses and its events are counted."""
    settings = header.lines[LINE].settings
    assert settings is not None
    assert settings.edge_detection.name == "FALLING"
    assert settings.bias.name == "PULL_UP"
    assert settings.debounce_period.total_seconds() == 0.02
    await _pulses(hass, header, 3)
    assert hass.states.get("sensor.main_meter_energy").state == "3.0"
    assert float(hass.states.get("sensor.main_meter_power").state) == 3600.0


async def test_missed_events_from_kernel_overflow(
    hass: HomeAssistant, gpiod_entry: MockConfigEntry, header: FakeChipDevice
) -> None:
    """Events dropped by a full kernel buffer are detected and still counted."""
    for index in range(20):  # before the loop runs: 4 are dropped
        header.emit(LINE, False, index * 100 * MS)
        header.emit(LINE, True, (index * 100 + 40) * MS)
    await _read_events(hass, header)
    assert hass.states.get("sensor.main_meter_missed_pulses").state == "4"
    assert hass.states.get("sensor.main_meter_pulses").state == "20"
    assert hass.states.get("sensor.main_meter_energy").state == "20.0"


async def test_unload_releases_the_request(
    hass: HomeAssistant,
    gpiod_entry: MockConfigEntry,
    header: FakeChipDevice,
    world: FakeGpio,
) -> None:
    """Unloading releases the line request and closes the chip."""
    request = header.lines[LINE].request
    assert request is not None
    assert await hass.config_entries.async_unload(gpiod_entry.entry_id)
    assert gpiod_entry.state is ConfigEntryState.NOT_LOADED
    assert request.released
    assert header.lines[LINE].request is None
    assert world.opened == 0


async def test_config_flow_on_gpiod(
    hass: HomeAssistant, world: FakeGpio, header: FakeChipDevice
) -> None:
    """The flow finds the header chip by label and refuses a line in use."""
    header.hold(LINE, "gpio-keys")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pulse_meter"}
    )
    user_input = {
        "backend": "gpiod",
        "chip": "auto",
        "line": LINE,
        "energy_per_pulse": 1,
        "edge": "falling",
        "debounce": 20,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {"base": "line_busy"}
    del header.consumers[LINE]
    header.denied = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {"base": "permission_denied"}
    header.denied = False
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, "chip": "gpiochip7"}
    )
    assert result["errors"] == {"base": "chip_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"gpio:header:{LINE}"
    await hass.async_block_till_done()
    assert header.lines[LINE].request is not None
    assert world.opened == 1  # only the loaded entry's chip stays open
