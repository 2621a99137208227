"""Config and reconfigure flows of the buzzer kind."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
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

from .const import CONF_ACTIVE_LEVEL, CONF_NAME


def buzzer_schema(defaults: dict[str, Any], show_simulated: bool) -> vol.Schema:
    """Return the form describing a buzzer."""
    return vol.Schema(
        {
            vol.Optional(CONF_NAME, default=defaults.get(CONF_NAME, "")): str,
            **line_fields(defaults, show_simulated),
            vol.Required(
                CONF_ACTIVE_LEVEL, default=defaults.get(CONF_ACTIVE_LEVEL, "high")
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=["high", "low"],
                    translation_key="output_active_level",
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            ),
        }
    )


def buzzer_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the entry data of a submitted buzzer form."""
    data = {
        CONF_KIND: EntryKind.BUZZER.value,
        **line_data(user_input),
        CONF_ACTIVE_LEVEL: "low" if user_input[CONF_ACTIVE_LEVEL] == "low" else "high",
    }
    data[CONF_NAME] = str(user_input.get(CONF_NAME) or "").strip() or (
        f"Buzzer (GPIO {data[CONF_LINE]})"
    )
    return data


class BuzzerFlowMixin(ConfigFlow):
    """Steps adding and reconfiguring a buzzer."""

    async def async_step_buzzer(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the buzzer's line, test it, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = buzzer_data(user_input)
            await self.async_set_unique_id(unique_id(data))
            self._abort_if_unique_id_configured()
            error = await async_test_line(
                self.hass,
                BackendKind(data[CONF_BACKEND]),
                data[CONF_CHIP],
                data[CONF_LINE],
            )
            if error is None:
                return self.async_create_entry(title=data[CONF_NAME], data=data)
            errors["base"] = error
        return self.async_show_form(
            step_id="buzzer",
            data_schema=buzzer_schema(user_input or {}, simulated_offered()),
            errors=errors,
        )

    async def async_step_reconfigure_buzzer(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the buzzer's line, level or name."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = buzzer_data(user_input)
            new_id = unique_id(data)
            if any(
                other.unique_id == new_id and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                return self.async_abort(reason="already_configured")
            error = await async_test_line(
                self.hass,
                BackendKind(data[CONF_BACKEND]),
                data[CONF_CHIP],
                data[CONF_LINE],
                own_line=new_id == entry.unique_id,
            )
            if error is None:
                return self.async_update_reload_and_abort(
                    entry, unique_id=new_id, title=data[CONF_NAME], data=data
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="reconfigure_buzzer",
            data_schema=buzzer_schema(
                user_input or dict(entry.data), simulated_offered(entry.data)
            ),
            errors=errors,
        )
