"""Config flow steps of the Linky meter kind: user, USB discovery, reconfigure, options."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import serialx

from custom_components.sunshare.const import CONF_KIND, EntryKind
from custom_components.sunshare.entry_updates import async_update_and_abort
from custom_components.sunshare.teleinfo.models import Frame
from custom_components.sunshare.teleinfo.transport import (
    TeleinfoLinkError,
    read_first_frame,
)
from custom_components.sunshare.titles import async_device_title
from custom_components.sunshare.validation import vol

from .const import (
    CONF_INDEX_INTERVAL,
    CONF_MAX_INTERVAL,
    CONF_MODE,
    CONF_PORT,
    CONF_POWER_DEADBAND,
    CONF_POWER_INTERVAL,
    CONF_URL,
    DEFAULT_INDEX_INTERVAL,
    DEFAULT_MAX_INTERVAL,
    DEFAULT_POWER_DEADBAND,
    DEFAULT_POWER_INTERVAL,
    FIRST_FRAME_TIMEOUT,
    MODE_AUTO,
    MODES,
    SERIAL_BY_ID,
)
from .runtime import entry_mode

_LOGGER = logging.getLogger(__name__)

# Seconds the flow waits for a frame; tests shorten it.
first_frame_timeout = FIRST_FRAME_TIMEOUT
# Folder of the stable names of USB serial ports; tests point it elsewhere.
serial_by_id_folder = SERIAL_BY_ID


def port_label(port: serialx.SerialPortInfo) -> str:
    """Return a readable name of a serial port: path, maker, product, serial, ids."""
    details = [port.manufacturer, port.product, port.serial_number]
    if port.vid is not None and port.pid is not None:
        details.append(f"{port.vid:04x}:{port.pid:04x}")
    described = " - ".join(item for item in details if item)
    return f"{port.device} ({described})" if described else port.device


def list_ports() -> dict[str, str]:
    """Return the serial ports (by-id path preferred) and a readable name of each."""
    return {port.device: port_label(port) for port in serialx.list_serial_ports()}


def by_id_path(device: str) -> str:
    """Return the /dev/serial/by-id link of a device when there is one."""
    folder = Path(serial_by_id_folder)
    if folder.is_dir():
        target = os.path.realpath(device)
        for link in sorted(folder.iterdir()):
            if link.is_symlink() and os.path.realpath(link) == target:
                return str(link)
    return device


async def async_list_ports(hass: HomeAssistant) -> dict[str, str]:
    """List the serial ports in the executor (it reads sysfs)."""
    try:
        return await hass.async_add_executor_job(list_ports)
    except OSError:
        _LOGGER.debug("Could not list the serial ports", exc_info=True)
        return {}


def _port_schema(ports: dict[str, str], defaults: dict[str, Any]) -> vol.Schema:
    """Return the port, URL and mode form."""
    port = defaults.get(CONF_PORT)
    options = [
        selector.SelectOptionDict(value=device, label=label)
        for device, label in ports.items()
    ]
    is_url = isinstance(port, str) and "://" in port
    return vol.Schema(
        {
            vol.Optional(
                CONF_PORT,
                description={"suggested_value": None if is_url else port},
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=options,
                    custom_value=True,
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(
                CONF_URL, description={"suggested_value": port if is_url else None}
            ): selector.TextSelector(),
            **_mode_field(defaults),
        }
    )


def _mode_field(defaults: dict[str, Any]) -> dict[Any, Any]:
    """Return the mode field."""
    return {
        vol.Required(
            CONF_MODE, default=defaults.get(CONF_MODE, MODE_AUTO)
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(MODES),
                translation_key="linky_mode",
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
    }


def _chosen_port(user_input: dict[str, Any]) -> str | None:
    """Return the URL typed, else the port chosen."""
    url = (user_input.get(CONF_URL) or "").strip()
    port = (user_input.get(CONF_PORT) or "").strip()
    return url or port or None


async def async_test_line(port: str, mode: str) -> tuple[Frame | None, str | None]:
    """Read a frame with an address from a line; return it or an error key."""
    try:
        frame = await read_first_frame(
            port,
            entry_mode({CONF_MODE: mode}),
            first_frame_timeout,
            require=lambda frame: frame.address is not None,
        )
    except TeleinfoLinkError as err:
        _LOGGER.debug("No frame from %s: %s", port, err)
        return None, f"linky_{err.problem.value}"
    return frame, None


class LinkyFlowMixin(ConfigFlow):
    """Config flow steps that add or change a Linky meter."""

    _linky_port = ""
    """Port of the dongle found by USB discovery."""

    async def async_step_linky(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the port (or URL) and mode, read a frame, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            port = _chosen_port(user_input)
            mode = user_input[CONF_MODE]
            if port is None:
                errors["base"] = "linky_port_required"
            else:
                frame, error = await async_test_line(port, mode)
                if frame is not None and frame.address is not None:
                    return await self._linky_create(frame.address, port, mode)
                errors["base"] = error or "linky_no_frame"
        ports = await async_list_ports(self.hass)
        return self.async_show_form(
            step_id="linky",
            data_schema=self.add_suggested_values_to_schema(
                _port_schema(ports, user_input or {}), user_input or {}
            ),
            errors=errors,
        )

    async def _linky_create(
        self, address: str, port: str, mode: str
    ) -> ConfigFlowResult:
        """Create the entry of a meter, or abort if it is already configured."""
        await self.async_set_unique_id(address)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=await async_device_title(self.hass, "linky"),
            data={CONF_KIND: EntryKind.LINKY.value, CONF_PORT: port, CONF_MODE: mode},
        )

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """Offer a TIC dongle that was plugged in."""
        device = await self.hass.async_add_executor_job(
            by_id_path, discovery_info.device
        )
        self._async_abort_entries_match({CONF_PORT: device})
        await self.async_set_unique_id(
            f"usb_{discovery_info.vid}_{discovery_info.pid}_"
            f"{discovery_info.serial_number or device}"
        )
        self._abort_if_unique_id_configured()
        if moved := await self._async_moved_meter(device):
            return moved
        self._linky_port = device
        self.context["title_placeholders"] = {
            "name": discovery_info.description or device
        }
        return await self.async_step_linky_usb()

    async def _async_moved_meter(self, device: str) -> ConfigFlowResult | None:
        """Move a configured meter whose dongle came back on another port.

        A serial port that no longer exists is the sign of a dongle plugged back in
        elsewhere (``/dev/ttyUSB0`` becoming ``/dev/ttyUSB1``): when the meter of such an
        entry answers on ``device``, the entry takes the new port and reloads.
        """
        for entry in self._async_current_entries(include_ignore=False):
            port = entry.data.get(CONF_PORT)
            if (
                entry.data.get(CONF_KIND) != EntryKind.LINKY.value
                or not isinstance(port, str)
                or "://" in port
                or await self.hass.async_add_executor_job(os.path.exists, port)
            ):
                continue
            frame, _error = await async_test_line(device, entry.data[CONF_MODE])
            if frame is not None and frame.address == entry.unique_id:
                # The entry's update listener reloads it on the new port.
                return async_update_and_abort(
                    self,
                    entry,
                    data_updates={CONF_PORT: device},
                    reason="linky_port_updated",
                )
        return None

    async def async_step_linky_usb(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the discovered dongle, choose the mode and read a frame."""
        errors: dict[str, str] = {}
        if user_input is not None:
            mode = user_input[CONF_MODE]
            frame, error = await async_test_line(self._linky_port, mode)
            if frame is not None and frame.address is not None:
                return await self._linky_create(frame.address, self._linky_port, mode)
            errors["base"] = error or "linky_no_frame"
        return self.async_show_form(
            step_id="linky_usb",
            data_schema=vol.Schema(_mode_field(user_input or {})),
            description_placeholders={"port": self._linky_port},
            errors=errors,
        )

    async def async_step_reconfigure_linky(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the port or mode of a meter (the same meter must answer)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            port = _chosen_port(user_input)
            mode = user_input[CONF_MODE]
            if port is None:
                errors["base"] = "linky_port_required"
            else:
                frame, error = await async_test_line(port, mode)
                if frame is not None and frame.address is not None:
                    await self.async_set_unique_id(frame.address)
                    self._abort_if_unique_id_mismatch(reason="linky_wrong_meter")
                    return async_update_and_abort(
                        self,
                        entry,
                        data_updates={CONF_PORT: port, CONF_MODE: mode},
                        reason="reconfigure_successful",
                    )
                errors["base"] = error or "linky_no_frame"
        ports = await async_list_ports(self.hass)
        defaults = user_input or dict(entry.data)
        return self.async_show_form(
            step_id="reconfigure_linky",
            data_schema=_port_schema(ports, defaults),
            errors=errors,
        )


def _seconds(minimum: int, maximum: int) -> selector.NumberSelector:
    """Return a number field in seconds."""
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement="s",
            mode=selector.NumberSelectorMode.BOX,
        )
    )


class LinkyOptionsFlow(OptionsFlow):
    """Change the write-rate policy of a Linky meter."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start with the write-rate policy (the only options step)."""
        return await self.async_step_linky_options(user_input)

    async def async_step_linky_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the write-rate policy."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_MAX_INTERVAL] < max(
                user_input[CONF_POWER_INTERVAL], user_input[CONF_INDEX_INTERVAL]
            ):
                errors["base"] = "linky_max_interval_too_short"
            else:
                return self.async_create_entry(data=user_input)
        options = user_input or dict(self.config_entry.options)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_POWER_INTERVAL,
                    default=options.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL),
                ): _seconds(0, 3600),
                vol.Required(
                    CONF_POWER_DEADBAND,
                    default=options.get(CONF_POWER_DEADBAND, DEFAULT_POWER_DEADBAND),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=0,
                        max=10000,
                        step=1,
                        unit_of_measurement="VA",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_INDEX_INTERVAL,
                    default=options.get(CONF_INDEX_INTERVAL, DEFAULT_INDEX_INTERVAL),
                ): _seconds(0, 86400),
                vol.Required(
                    CONF_MAX_INTERVAL,
                    default=options.get(CONF_MAX_INTERVAL, DEFAULT_MAX_INTERVAL),
                ): _seconds(1, 86400),
            }
        )
        return self.async_show_form(
            step_id="linky_options", data_schema=schema, errors=errors
        )


def options_flow(entry: ConfigEntry[Any]) -> OptionsFlow:
    """Return the options flow of a Linky meter entry."""
    return LinkyOptionsFlow()
