"""Config flow of the Linky meter: user step through a real pty, errors, USB, reconfigure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import os
from pathlib import Path

from homeassistant.config_entries import SOURCE_USB, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import serialx
from serialx import SerialPortInfo

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.linky import flow
from tests.teleinfo.tic_bytes import (
    HISTORIC_ADDRESS,
    STANDARD_ADDRESS,
    historic_frame,
    standard_frame,
)
from tests.teleinfo.tic_line import Pty

from .conftest import linky_entry


@contextlib.asynccontextmanager
async def meter(pty: Pty, make: Callable[[], bytes]) -> AsyncIterator[None]:
    """Send a frame every 20 ms on the pty while the block runs, like a meter."""

    async def talk() -> None:
        """Write frames forever."""
        while True:
            pty.write(make())
            await asyncio.sleep(0.02)

    task = asyncio.create_task(talk())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def start_linky_flow(hass: HomeAssistant) -> str:
    """Open the menu and choose the Linky meter; return the flow id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "linky" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "linky"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "linky"
    return str(result["flow_id"])


async def unload_all(hass: HomeAssistant) -> None:
    """Unload the entries the flows created (their readers run in the background)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_user_flow_reads_a_frame(hass: HomeAssistant, pty: Pty) -> None:
    """A frame is read on the chosen port; the meter address is the unique id."""
    flow_id = await start_linky_flow(hass)
    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"port": str(pty.link), "mode": "auto"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == "Linky meter"
        assert result["data"] == {
            "kind": "linky",
            "port": str(pty.link),
            "mode": "auto",
        }
        assert result["result"].unique_id == STANDARD_ADDRESS
        await hass.async_block_till_done()
    await unload_all(hass)


async def test_url_takes_precedence(
    hass: HomeAssistant, pty: Pty, tmp_path: Path
) -> None:
    """The URL field wins over the port list (here a path, as ser2net is not needed)."""
    flow_id = await start_linky_flow(hass)
    async with meter(pty, historic_frame):
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {
                "port": str(tmp_path / "missing"),
                "url": str(pty.link),
                "mode": "historic",
            },
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["port"] == str(pty.link)
        assert result["data"]["mode"] == "historic"
        assert result["result"].unique_id == HISTORIC_ADDRESS
        await hass.async_block_till_done()
    await unload_all(hass)


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("empty", "linky_port_required"),
        ("missing", "linky_cannot_open"),
        ("silent", "linky_no_signal"),
        ("wrong_mode", "linky_no_frame"),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant, pty: Pty, tmp_path: Path, scenario: str, error: str
) -> None:
    """Each failure shows its error on the form; fixing it creates the entry."""
    flow_id = await start_linky_flow(hass)
    user_input = {"port": str(pty.link), "mode": "auto"}
    if scenario == "empty":
        user_input = {"port": "  ", "mode": "auto"}
    elif scenario == "missing":
        user_input = {"port": str(tmp_path / "missing"), "mode": "auto"}
    if scenario == "wrong_mode":
        # Standard frames while historic is forced: bytes arrive, nothing decodes.
        async with meter(pty, standard_frame):
            result = await hass.config_entries.flow.async_configure(
                flow_id, {"port": str(pty.link), "mode": "historic"}
            )
    else:
        result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"port": str(pty.link), "mode": "auto"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
    await unload_all(hass)


async def test_user_flow_aborts_when_already_configured(
    hass: HomeAssistant, pty: Pty
) -> None:
    """The same meter (same address) cannot be added twice."""
    linky_entry("/dev/old", STANDARD_ADDRESS).add_to_hass(hass)
    flow_id = await start_linky_flow(hass)
    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"port": str(pty.link), "mode": "auto"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


def usb_info(device: str) -> UsbServiceInfo:
    """Return the discovery of a µTeleinfo dongle on ``device``."""
    return UsbServiceInfo(
        device=device,
        vid="0403",
        pid="6015",
        serial_number="TINFO-1234",
        manufacturer="FTDI",
        description="TINFO-1234",
    )


async def test_usb_discovery(hass: HomeAssistant, pty: Pty) -> None:
    """A discovered dongle asks for the mode, reads a frame and creates the entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(str(pty.link))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "linky_usb"
    assert result["description_placeholders"] == {"port": str(pty.link)}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"mode": "standard"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "linky_no_signal"}

    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"mode": "standard"}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["port"] == str(pty.link)
        assert result["result"].unique_id == STANDARD_ADDRESS
        await hass.async_block_till_done()
    await unload_all(hass)


async def test_usb_discovery_of_a_configured_port(
    hass: HomeAssistant, pty: Pty
) -> None:
    """A dongle whose port an entry already uses is not offered again."""
    linky_entry(str(pty.link)).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(str(pty.link))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_usb_rediscovery_on_a_new_port(
    hass: HomeAssistant, pty: Pty, tmp_path: Path
) -> None:
    """A meter whose old port is gone and that answers on the new one is moved there."""
    entry = linky_entry(str(tmp_path / "ttyUSB0"), mode="standard")
    entry.add_to_hass(hass)
    other = linky_entry(
        str(tmp_path / "ttyUSB7"), address="000000000000", mode="standard"
    )
    other.add_to_hass(hass)
    network = linky_entry("socket://192.0.2.1:3333", address="111111111111")
    network.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN, unique_id="relay", data={"kind": "relay", "chip": "demo"}
    ).add_to_hass(hass)
    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=usb_info(str(pty.link))
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "linky_port_updated"
    assert entry.data["port"] == str(pty.link)
    assert other.data["port"] == str(tmp_path / "ttyUSB7")
    assert network.data["port"] == "socket://192.0.2.1:3333"
    await unload_all(hass)


async def test_usb_discovery_keeps_entries_whose_port_exists(
    hass: HomeAssistant, pty: Pty, tmp_path: Path
) -> None:
    """An entry whose port still exists is not probed: the dongle is offered as new."""
    present = tmp_path / "ttyUSB0"
    present.touch()
    entry = linky_entry(str(present), mode="standard")
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(str(pty.link))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "linky_usb"
    assert entry.data["port"] == str(present)


async def test_reconfigure(hass: HomeAssistant, pty: Pty, tmp_path: Path) -> None:
    """The port and mode change when the same meter answers on the new line."""
    entry = linky_entry(str(tmp_path / "old-port"))
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_linky"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": "", "mode": "auto"}
    )
    assert result["errors"] == {"base": "linky_port_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"port": str(tmp_path / "nowhere"), "mode": "auto"}
    )
    assert result["errors"] == {"base": "linky_cannot_open"}

    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"url": str(pty.link), "mode": "standard"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
    assert entry.data["port"] == str(pty.link)
    assert entry.data["mode"] == "standard"
    await unload_all(hass)


async def test_reconfigure_to_another_meter_aborts(
    hass: HomeAssistant, pty: Pty, tmp_path: Path
) -> None:
    """A line leading to a different meter is refused."""
    entry = linky_entry(str(tmp_path / "old-port"), STANDARD_ADDRESS)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    async with meter(pty, historic_frame):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"port": str(pty.link), "mode": "auto"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "linky_wrong_meter"
    assert entry.data["port"] == str(tmp_path / "old-port")


async def test_options_flow(hass: HomeAssistant, tmp_path: Path) -> None:
    """The write-rate policy is validated and stored."""
    entry = linky_entry(str(tmp_path / "port"))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "linky_options"
    schema = result["data_schema"]
    assert schema is not None
    assert schema({})["power_interval"] == 5

    policy = {
        "power_interval": 10,
        "power_deadband": 100,
        "index_interval": 300,
        "max_interval": 120,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], policy
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "linky_max_interval_too_short"}

    policy["max_interval"] = 900
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], policy
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == policy


async def test_usb_discovery_prefers_the_by_id_path(
    hass: HomeAssistant, pty: Pty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dongle discovered as /dev/pts/N (ttyUSB0) is stored under its by-id link."""
    folder = tmp_path / "by-id"
    folder.mkdir()
    (folder / "usb-FTDI_TINFO-1234-if00-port0").symlink_to(pty.link)
    (folder / "usb-other").symlink_to(tmp_path)
    monkeypatch.setattr(flow, "serial_by_id_folder", str(folder))
    device = os.ttyname(pty.slave)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(device)
    )
    assert result["description_placeholders"] == {
        "port": str(folder / "usb-FTDI_TINFO-1234-if00-port0")
    }
    # Without a by-id folder the device path is kept.
    monkeypatch.setattr(flow, "serial_by_id_folder", str(tmp_path / "none"))
    assert flow.by_id_path(device) == device


def test_port_label() -> None:
    """Ports are listed with their maker, product, serial number and USB ids."""
    port = SerialPortInfo(
        device="/dev/serial/by-id/usb-FTDI_TINFO-1234-if00-port0",
        resolved_device="/dev/ttyUSB0",
        vid=0x0403,
        pid=0x6015,
        serial_number="TINFO-1234",
        manufacturer="FTDI",
        product="FT230X Basic UART",
        bcd_device=None,
        interface_description=None,
        interface_num=0,
    )
    assert flow.port_label(port) == (
        "/dev/serial/by-id/usb-FTDI_TINFO-1234-if00-port0 "
        "(FTDI - FT230X Basic UART - TINFO-1234 - 0403:6015)"
    )
    bare = SerialPortInfo(
        device="/dev/ttyAMA0",
        resolved_device="/dev/ttyAMA0",
        vid=None,
        pid=None,
        serial_number=None,
        manufacturer=None,
        product=None,
        bcd_device=None,
        interface_description=None,
        interface_num=None,
    )
    assert flow.port_label(bare) == "/dev/ttyAMA0"


async def test_port_list_failure_still_shows_the_form(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the ports cannot be listed, the form still offers the URL field."""

    def fail() -> list[SerialPortInfo]:
        """Fail like a system without sysfs."""
        raise OSError("no sysfs")

    monkeypatch.setattr(serialx, "list_serial_ports", fail)
    assert await flow.async_list_ports(hass) == {}
    await start_linky_flow(hass)
