"""Fixtures of the Linky meter tests: a pty standing for the dongle, a configured entry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.linky import flow
from custom_components.sunshare.linky.runtime import LinkyRuntime
from tests.teleinfo.tic_bytes import HISTORIC_ADDRESS, STANDARD_ADDRESS
from tests.teleinfo.tic_line import Pty, until


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[Pty]:
    """Return a pseudo-terminal behind a by-id-like symlink."""
    terminal = Pty(tmp_path / "usb-Cartelectronic_TIC-if00")
    yield terminal
    terminal.close()


@pytest.fixture(autouse=True)
def short_first_frame_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the config flow give up quickly when nothing decodes."""
    monkeypatch.setattr(flow, "first_frame_timeout", 0.5)


def linky_entry(
    port: str, address: str = STANDARD_ADDRESS, mode: str = "auto", **options
) -> MockConfigEntry:
    """Return a Linky meter entry (not added yet)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Linky meter",
        unique_id=address,
        data={"kind": "linky", "port": port, "mode": mode},
        options=options,
    )


async def _loaded(
    hass: HomeAssistant, pty: Pty, address: str
) -> AsyncIterator[MockConfigEntry]:
    """Set up an entry and wait until its line is open (before any frozen clock).

    serialx sleeps briefly after opening a port, which a frozen event-loop clock
    (``freezer``) would never end: tests request ``freezer`` after this fixture.
    """
    # A fixed mode: in auto mode the switch to 9600 Bd after detection flushes the
    # port's input, which could drop a frame a test has just written.
    mode = "standard" if address == STANDARD_ADDRESS else "historic"
    entry = linky_entry(str(pty.link), address, mode)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await until(lambda: entry.runtime_data.reader.stats.opens >= 1)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, pty: Pty) -> AsyncIterator[MockConfigEntry]:
    """Set up a standard-mode Linky meter entry reading the pty."""
    async for entry in _loaded(hass, pty, STANDARD_ADDRESS):
        yield entry


@pytest.fixture
async def historic_entry(
    hass: HomeAssistant, pty: Pty
) -> AsyncIterator[MockConfigEntry]:
    """Set up a historic-mode Linky meter entry reading the pty."""
    async for entry in _loaded(hass, pty, HISTORIC_ADDRESS):
        yield entry


async def send(
    hass: HomeAssistant, entry: MockConfigEntry, pty: Pty, data: bytes
) -> None:
    """Send frames on the line and wait until the entry has decoded them all."""
    runtime: LinkyRuntime = entry.runtime_data
    await until(lambda: runtime.reader.stats.opens >= 1)
    expected = runtime.frames + data.count(b"\x03")
    pty.write(data)
    await until(lambda: runtime.frames >= expected)
    await hass.async_block_till_done()


def entity_id(
    hass: HomeAssistant,
    key: str,
    domain: str = "sensor",
    address: str = STANDARD_ADDRESS,
) -> str:
    """Return the entity id of a Linky entity from its key (label or derived name)."""
    found = er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"{address}_{key}")
    assert found is not None, key
    return found


def wh(state: State | None) -> int:
    """Return the value of an energy index, shown in kWh, in the meter's Wh."""
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "kWh", state
    return round(float(state.state) * 1000)
