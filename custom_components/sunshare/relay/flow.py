"""Config, reconfigure and options flows of the relay kind (load shedding)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.helpers import selector

from custom_components.sunshare.const import CONF_KIND, EntryKind
from custom_components.sunshare.entry_updates import async_update_and_abort
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
    CONF_ACTIVE_LEVEL,
    CONF_DECLARED_POWER,
    CONF_MAX_DURATION,
    CONF_NAME,
    CONF_POWER_ENTITY,
    CONF_STARTUP_STATE,
    DEFAULT_DECLARED_POWER_W,
    DEFAULT_MAX_DURATION_MIN,
    MAX_DECLARED_POWER_W,
    MAX_MAX_DURATION_MIN,
    ActiveLevel,
    StartupState,
)


def _select(options: list[str], translation_key: str) -> selector.SelectSelector:
    """Return a translated drop-down."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options,
            translation_key=translation_key,
            mode=selector.SelectSelectorMode.DROPDOWN,
        )
    )


def _max_duration_field(default: float) -> dict[Any, Any]:
    """Return the field of the maximum shedding time (minutes)."""
    return {
        vol.Required(CONF_MAX_DURATION, default=default): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=1,
                max=MAX_MAX_DURATION_MIN,
                step=1,
                unit_of_measurement="min",
                mode=selector.NumberSelectorMode.BOX,
            )
        )
    }


def _startup_field(default: str) -> dict[Any, Any]:
    """Return the field of the state on start-up."""
    return {
        vol.Required(CONF_STARTUP_STATE, default=default): _select(
            [state.value for state in StartupState], "relay_startup_state"
        )
    }


def device_schema(defaults: dict[str, Any], show_simulated: bool) -> dict[Any, Any]:
    """Return the fields describing the relay and what it cuts."""
    return {
        vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "")): str,
        **line_fields(defaults, show_simulated),
        vol.Required(
            CONF_ACTIVE_LEVEL,
            default=defaults.get(CONF_ACTIVE_LEVEL, ActiveLevel.HIGH.value),
        ): _select([level.value for level in ActiveLevel], "output_active_level"),
        vol.Required(
            CONF_DECLARED_POWER,
            default=defaults.get(CONF_DECLARED_POWER, DEFAULT_DECLARED_POWER_W),
        ): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=1,
                max=MAX_DECLARED_POWER_W,
                step=1,
                unit_of_measurement="W",
                mode=selector.NumberSelectorMode.BOX,
            )
        ),
    }


def device_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the entry data of a submitted relay form."""
    return {
        CONF_KIND: EntryKind.RELAY.value,
        **line_data(user_input),
        CONF_NAME: str(user_input[CONF_NAME]).strip(),
        CONF_ACTIVE_LEVEL: ActiveLevel(user_input[CONF_ACTIVE_LEVEL]).value,
        CONF_DECLARED_POWER: float(user_input[CONF_DECLARED_POWER]),
    }


class RelayFlowMixin(ConfigFlow):
    """Steps adding and reconfiguring a load-shedding relay."""

    async def async_step_relay(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the relay's line and load, test the line, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = device_data(user_input)
            if not data[CONF_NAME]:
                errors[CONF_NAME] = "load_name_required"
            else:
                await self.async_set_unique_id(unique_id(data))
                self._abort_if_unique_id_configured()
                error = await async_test_line(
                    self.hass,
                    BackendKind(data[CONF_BACKEND]),
                    data[CONF_CHIP],
                    data[CONF_LINE],
                )
                if error is None:
                    return self.async_create_entry(
                        title=data[CONF_NAME],
                        data=data,
                        options={
                            CONF_MAX_DURATION: int(user_input[CONF_MAX_DURATION]),
                            CONF_STARTUP_STATE: StartupState(
                                user_input[CONF_STARTUP_STATE]
                            ).value,
                        },
                    )
                errors["base"] = error
        schema = {
            **device_schema(user_input or {}, simulated_offered()),
            **_max_duration_field(
                (user_input or {}).get(CONF_MAX_DURATION, DEFAULT_MAX_DURATION_MIN)
            ),
            **_startup_field(
                (user_input or {}).get(CONF_STARTUP_STATE, StartupState.POWERED.value)
            ),
        }
        return self.async_show_form(
            step_id="relay", data_schema=vol.Schema(schema), errors=errors
        )

    async def async_step_reconfigure_relay(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the relay's line, level, load name or declared power."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = device_data(user_input)
            new_id = unique_id(data)
            if not data[CONF_NAME]:
                errors[CONF_NAME] = "load_name_required"
            elif any(
                other.unique_id == new_id and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                return self.async_abort(reason="already_configured")
            else:
                error = await async_test_line(
                    self.hass,
                    BackendKind(data[CONF_BACKEND]),
                    data[CONF_CHIP],
                    data[CONF_LINE],
                    own_line=new_id == entry.unique_id,
                )
                if error is None:
                    return async_update_and_abort(
                        self,
                        entry,
                        unique_id=new_id,
                        title=data[CONF_NAME],
                        data=data,
                        reason="reconfigure_successful",
                    )
                errors["base"] = error
        defaults = user_input or dict(entry.data)
        return self.async_show_form(
            step_id="reconfigure_relay",
            data_schema=vol.Schema(
                device_schema(defaults, simulated_offered(entry.data))
            ),
            errors=errors,
        )


class RelayOptionsFlow(OptionsFlow):
    """Choose the power source measuring the shed power, and the shedding limits."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start with the relay's options step (its own step id, for translations)."""
        return await self.async_step_relay_options(user_input)

    async def async_step_relay_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the relay's options."""
        if user_input is not None:
            options: dict[str, Any] = {
                CONF_MAX_DURATION: int(user_input[CONF_MAX_DURATION]),
                CONF_STARTUP_STATE: StartupState(user_input[CONF_STARTUP_STATE]).value,
            }
            if power_entity := user_input.get(CONF_POWER_ENTITY):
                options[CONF_POWER_ENTITY] = power_entity
            return self.async_create_entry(data=options)
        current = self.config_entry.options
        schema = {
            vol.Optional(
                CONF_POWER_ENTITY,
                description={"suggested_value": current.get(CONF_POWER_ENTITY)},
            ): selector.EntitySelector(
                selector.EntitySelectorConfig(
                    domain="sensor",
                    device_class=[
                        SensorDeviceClass.POWER,
                        SensorDeviceClass.APPARENT_POWER,
                    ],
                )
            ),
            **_max_duration_field(
                current.get(CONF_MAX_DURATION, DEFAULT_MAX_DURATION_MIN)
            ),
            **_startup_field(
                current.get(CONF_STARTUP_STATE, StartupState.POWERED.value)
            ),
        }
        return self.async_show_form(
            step_id="relay_options", data_schema=vol.Schema(schema)
        )
