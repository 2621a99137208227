"""Home Assistant helpers shared by the GPIO kinds (pulse meter, buzzer, relay).

They open a GPIO backend off the event loop, test a line before a config entry is
created (mapping hardware errors to the config flow's error keys) and build the common
form fields (backend, chip, line). The error keys ``chip_not_found``, ``line_not_found``,
``line_busy``, ``permission_denied`` and ``gpio_error`` are translated in the
``config.error`` section of ``strings.json``; the same keys exist under ``exceptions``
for setup errors.
"""

from __future__ import annotations

from collections.abc import Mapping
import os
from typing import Any, Final, NoReturn

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import selector

from custom_components.sunshare.validation import vol

from .const import DOMAIN, LOGGER
from .gpio import (
    BackendKind,
    ChipNotFoundError,
    GpioBackend,
    GpioError,
    GpioPermissionError,
    LineBusyError,
    LineNotFoundError,
    line_key,
    open_backend,
)

CONF_BACKEND: Final = "backend"
CONF_CHIP: Final = "chip"
CONF_LINE: Final = "line"
CHIP_AUTO: Final = "auto"
DEVELOPMENT_ENV: Final = "SUNSHARE_DEVELOPMENT"
MAX_LINE: Final = 511


def error_key(err: GpioError) -> str:
    """Return the config flow error key (and exception translation key) of an error."""
    if isinstance(err, ChipNotFoundError):
        return "chip_not_found"
    if isinstance(err, LineNotFoundError):
        return "line_not_found"
    if isinstance(err, LineBusyError):
        return "line_busy"
    if isinstance(err, GpioPermissionError):
        return "permission_denied"
    return "gpio_error"


async def async_open_backend(
    hass: HomeAssistant, kind: BackendKind, chip: str | None
) -> GpioBackend:
    """Open a GPIO backend in the executor (it scans and opens /dev/gpiochip*)."""
    return await hass.async_add_executor_job(
        open_backend, kind, None if chip in (None, "", CHIP_AUTO) else chip
    )


async def async_test_line(
    hass: HomeAssistant,
    kind: BackendKind,
    chip: str | None,
    line: int,
    *,
    own_line: bool = False,
) -> str | None:
    """Check that a chip can be opened and a line exists and is free.

    Return None if the line can be used, else the config flow error key. With
    ``own_line`` (reconfiguring an entry on the same line, which it holds), a busy
    line is accepted.
    """
    try:
        backend = await async_open_backend(hass, kind, chip)
    except GpioError as err:
        LOGGER.debug("Cannot open GPIO chip %s (%s): %s", chip, kind, err)
        return error_key(err)
    try:
        backend.check_line(line)
    except LineBusyError as err:
        if not own_line:
            LOGGER.debug("GPIO line %s is busy: %s", line, err)
            return error_key(err)
    except GpioError as err:
        LOGGER.debug("GPIO line %s cannot be used: %s", line, err)
        return error_key(err)
    finally:
        backend.close()
    return None


def raise_setup_error(err: GpioError, line: int) -> NoReturn:
    """Raise the config entry setup error matching a GPIO error (translated)."""
    key = error_key(err)
    placeholders = {"line": str(line), "error": str(err)}
    if key in ("chip_not_found", "line_busy", "gpio_error"):
        # The chip may appear later (module loading) or the other user go away.
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        ) from err
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    ) from err


def unique_id(data: dict[str, Any]) -> str:
    """Return the unique id of a GPIO entry: its backend, chip and line."""
    return line_key(
        BackendKind(data[CONF_BACKEND]), data.get(CONF_CHIP), int(data[CONF_LINE])
    )


def simulated_offered(entry_data: Mapping[str, Any] | None = None) -> bool:
    """Return whether forms offer the simulated backend.

    It switches nothing, so a real relay or buzzer set to it would silently do nothing:
    it is offered only in a development setting (``SUNSHARE_DEVELOPMENT=1`` in Home
    Assistant's environment, as the demo and the tests run it), and when reconfiguring
    an entry that already uses it.
    """
    return os.environ.get(DEVELOPMENT_ENV) == "1" or (
        entry_data is not None
        and entry_data.get(CONF_BACKEND) == BackendKind.SIMULATED.value
    )


def backend_options(show_simulated: bool) -> list[str]:
    """Return the backends offered in a form (simulated only in development)."""
    options = [BackendKind.GPIOD.value, BackendKind.RPI_GPIO.value]
    if show_simulated:
        options.append(BackendKind.SIMULATED.value)
    return options


def line_fields(defaults: dict[str, Any], show_simulated: bool) -> dict[Any, Any]:
    """Return the form fields choosing a backend, a chip and a line."""
    return {
        vol.Required(
            CONF_BACKEND, default=defaults.get(CONF_BACKEND, BackendKind.GPIOD.value)
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=backend_options(show_simulated),
                translation_key="gpio_backend",
                mode=selector.SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Required(
            CONF_CHIP, default=defaults.get(CONF_CHIP, CHIP_AUTO)
        ): selector.TextSelector(),
        vol.Required(
            CONF_LINE, default=defaults.get(CONF_LINE, 17)
        ): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0, max=MAX_LINE, step=1, mode=selector.NumberSelectorMode.BOX
            )
        ),
    }


def line_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the backend, chip and line of a submitted form, normalised."""
    chip = str(user_input.get(CONF_CHIP) or CHIP_AUTO).strip() or CHIP_AUTO
    return {
        CONF_BACKEND: BackendKind(user_input[CONF_BACKEND]).value,
        CONF_CHIP: chip,
        CONF_LINE: int(user_input[CONF_LINE]),
    }
