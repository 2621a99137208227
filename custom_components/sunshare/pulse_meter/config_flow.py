"""Config flow steps of the pulse meter kind (user step, reconfigure) and its options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_NAME
from homeassistant.helpers import selector

from custom_components.sunshare.const import CONF_KIND, EntryKind
from custom_components.sunshare.gpio import BackendKind
from custom_components.sunshare.gpio_entry import (
    CONF_BACKEND,
    CONF_CHIP,
    CONF_LINE,
    async_test_line,
    line_data,
    line_fields,
    simulated_offered,
    unique_id,
)
from custom_components.sunshare.validation import vol

from .const import (
    CONF_DEBOUNCE,
    CONF_EDGE,
    CONF_ENERGY_PER_PULSE,
    CONF_NO_PULSE_HOURS,
    DEFAULT_DEBOUNCE_MS,
    DEFAULT_EDGE,
    DEFAULT_ENERGY_PER_PULSE,
    EDGES,
    MAX_NO_PULSE_HOURS,
)
from .watch import no_pulse_hours


def _schema(defaults: dict[str, Any], show_simulated: bool) -> vol.Schema:
    """Return the pulse meter form with the given defaults."""
    name = defaults.get(CONF_NAME)
    return vol.Schema(
        {
            vol.Optional(
                CONF_NAME, description={"suggested_value": name} if name else None
            ): selector.TextSelector(),
            **line_fields(defaults, show_simulated),
            vol.Required(
                CONF_ENERGY_PER_PULSE,
                default=defaults.get(CONF_ENERGY_PER_PULSE, DEFAULT_ENERGY_PER_PULSE),
            ): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=0.001,
                    max=100000,
                    step=0.001,
                    unit_of_measurement="Wh",
                    mode=selector.NumberSelectorMode.BOX,
                )
            ),
            vol.Required(
                CONF_EDGE, default=defaults.get(CONF_EDGE, DEFAULT_EDGE)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=list(EDGES), translation_key="pulse_edge"
                )
            ),
            vol.Required(
                CONF_DEBOUNCE, default=defaults.get(CONF_DEBOUNCE, DEFAULT_DEBOUNCE_MS)
            ): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=0,
                    max=1000,
                    step=1,
                    unit_of_measurement="ms",
                    mode=selector.NumberSelectorMode.BOX,
                )
            ),
        }
    )


def _entry_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the config entry data of a submitted pulse meter form."""
    data: dict[str, Any] = {
        CONF_KIND: EntryKind.PULSE_METER.value,
        **line_data(user_input),
        CONF_ENERGY_PER_PULSE: float(user_input[CONF_ENERGY_PER_PULSE]),
        CONF_EDGE: user_input[CONF_EDGE],
        CONF_DEBOUNCE: int(user_input[CONF_DEBOUNCE]),
    }
    if name := str(user_input.get(CONF_NAME) or "").strip():
        data[CONF_NAME] = name
    return data


def _title(data: dict[str, Any]) -> str:
    """Return the entry title: the name given, else the line."""
    return str(data.get(CONF_NAME) or f"Pulse meter GPIO {data[CONF_LINE]}")


class PulseMeterFlowMixin(ConfigFlow):
    """Add or reconfigure a pulse meter."""

    async def async_step_pulse_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the line and counting settings, test the line, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _entry_data(user_input)
            await self.async_set_unique_id(unique_id(data))
            self._abort_if_unique_id_configured()
            error = await async_test_line(
                self.hass,
                BackendKind(data[CONF_BACKEND]),
                data[CONF_CHIP],
                data[CONF_LINE],
            )
            if error is None:
                return self.async_create_entry(title=_title(data), data=data)
            errors["base"] = error
        return self.async_show_form(
            step_id="pulse_meter",
            data_schema=_schema(user_input or {}, simulated_offered()),
            errors=errors,
        )

    async def async_step_reconfigure_pulse_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the line or the settings of a pulse meter; its totals are kept."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _entry_data(user_input)
            new_id = unique_id(data)
            if new_id != entry.unique_id:
                await self.async_set_unique_id(new_id)
                self._abort_if_unique_id_configured()
            error = await async_test_line(
                self.hass,
                BackendKind(data[CONF_BACKEND]),
                data[CONF_CHIP],
                data[CONF_LINE],
                # The loaded entry holds its own line: that is not "busy".
                own_line=new_id == entry.unique_id
                and entry.state is ConfigEntryState.LOADED,
            )
            if error is None:
                return self.async_update_reload_and_abort(
                    entry, unique_id=new_id, title=_title(data), data=data
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="reconfigure_pulse_meter",
            data_schema=_schema(
                user_input or dict(entry.data), simulated_offered(entry.data)
            ),
            errors=errors,
        )


class PulseMeterOptionsFlow(OptionsFlow):
    """Choose after how long without a pulse a repair issue is raised (off by default)."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start with the pulse meter's options step (its own step id, for translations)."""
        return await self.async_step_pulse_meter_options(user_input)

    async def async_step_pulse_meter_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the delay; 0 or empty turns the warning off.

        The watch reads the option at each check: saving needs no reload.
        """
        if user_input is not None:
            hours = no_pulse_hours(user_input)
            return self.async_create_entry(
                data={CONF_NO_PULSE_HOURS: hours} if hours else {}
            )
        hours = no_pulse_hours(dict(self.config_entry.options))
        schema = vol.Schema(
            {
                vol.Optional(
                    CONF_NO_PULSE_HOURS,
                    description={"suggested_value": hours} if hours else None,
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=0,
                        max=MAX_NO_PULSE_HOURS,
                        step=1,
                        unit_of_measurement="h",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="pulse_meter_options", data_schema=schema)
