"""Reconfigure and USB rediscovery reload a loaded meter once; options do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USB, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.sunshare.const import DOMAIN
from tests.integration.reloads import ReloadCounter, load
from tests.teleinfo.tic_bytes import standard_frame
from tests.teleinfo.tic_line import Pty

from .conftest import linky_entry
from .test_config_flow import meter, usb_info


async def test_linky_reconfigure_of_a_loaded_entry(
    hass: HomeAssistant, pty: Pty, tmp_path: Path, reloads: ReloadCounter
) -> None:
    """The loaded meter moves to the new port through one reload."""
    entry = linky_entry(str(tmp_path / "old-port"), mode="standard")
    entry.add_to_hass(hass)
    before = await load(hass, entry)
    reloads.setups.clear()

    result = await entry.start_reconfigure_flow(hass)
    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"url": str(pty.link), "mode": "standard"}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert reloads.setups == [entry.entry_id]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    assert entry.runtime_data.reader.url == str(pty.link)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_linky_usb_rediscovery_of_a_loaded_entry(
    hass: HomeAssistant, pty: Pty, tmp_path: Path, reloads: ReloadCounter
) -> None:
    """A dongle back on another port: the loaded entry reloads once, on that port."""
    entry = linky_entry(str(tmp_path / "ttyUSB0"), mode="standard")
    entry.add_to_hass(hass)
    await load(hass, entry)
    reloads.setups.clear()
    async with meter(pty, standard_frame):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=usb_info(str(pty.link))
        )
        await hass.async_block_till_done()
    assert result["reason"] == "linky_port_updated"
    assert reloads.setups == [entry.entry_id]
    assert entry.runtime_data.reader.url == str(pty.link)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_linky_options_apply_without_reload(
    hass: HomeAssistant, tmp_path: Path, reloads: ReloadCounter
) -> None:
    """New write-rate options change the running policy; the line stays open."""
    entry = linky_entry(str(tmp_path / "port"), mode="standard")
    entry.add_to_hass(hass)
    runtime = await load(hass, entry)
    reloads.setups.clear()
    old_policy = runtime.policy
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**entry.options, **_changed_linky_options(result)}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert reloads.setups == []
    assert entry.runtime_data is runtime
    assert runtime.policy != old_policy
    await hass.config_entries.async_unload(entry.entry_id)


def _changed_linky_options(form: Any) -> dict[str, Any]:
    """Return the options form's defaults with one number changed."""
    values: dict[str, Any] = {}
    for key in form["data_schema"].schema:
        default = key.default() if callable(key.default) else None
        if isinstance(default, int | float) and not isinstance(default, bool):
            values[str(key)] = default + 1
            return values
    raise AssertionError("no number in the Linky options form")
