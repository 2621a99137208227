"""Config, reauth and reconfigure flows of the Enedis data kind.

The user picks a gateway (the Sunshare game server, Conso API or a custom URL), pastes
the token the gateway gave and the meter's 14-digit PRM. The flow fetches the last days
before creating the entry; the entry's unique id is the PRM.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers import selector
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import CONF_KIND, EntryKind
from custom_components.sunshare.enedis import (
    PARIS,
    EnedisAuthError,
    EnedisError,
    EnedisMalformedResponseError,
    EnedisNoDataError,
    Gateway,
    Measure,
    normalize_prm,
)
from custom_components.sunshare.validation import vol

from .api import create_client
from .const import CONF_GATEWAY, CONF_PRM, CONF_TOKEN, CONF_URL

TEST_DAYS = 7
"""Days fetched to test the settings."""


def _gateway_fields(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    """Return the gateway, URL and token fields."""
    return {
        vol.Required(
            CONF_GATEWAY, default=defaults.get(CONF_GATEWAY, Gateway.SUNSHARE.value)
        ): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[gateway.value for gateway in Gateway],
                translation_key="enedis_gateway",
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
        vol.Optional(
            CONF_URL, description={"suggested_value": defaults.get(CONF_URL)}
        ): selector.TextSelector(
            selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
        ),
        vol.Required(CONF_TOKEN, default=defaults.get(CONF_TOKEN, "")): _password(),
    }


def _password() -> selector.TextSelector:
    """Return a password text field."""
    return selector.TextSelector(
        selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
    )


async def async_test_settings(flow: ConfigFlow, data: Mapping[str, Any]) -> str | None:
    """Fetch the last days with ``data``; return an error key or ``None``."""
    client = create_client(flow.hass, data)
    client.max_retries = 0
    today = dt_util.utcnow().astimezone(PARIS).date()
    start = today - timedelta(days=TEST_DAYS)
    try:
        for measure in (Measure.DAILY_CONSUMPTION, Measure.DAILY_PRODUCTION):
            try:
                await client.fetch_daily(measure, data[CONF_PRM], start, today)
            except EnedisNoDataError:
                continue
            return None
    except EnedisAuthError:
        return "enedis_invalid_auth"
    except EnedisMalformedResponseError:
        return "enedis_invalid_response"
    except EnedisError:
        return "enedis_cannot_connect"
    return "enedis_no_data"


def _check_gateway(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the errors of the gateway fields."""
    if (
        Gateway(user_input[CONF_GATEWAY]) is not Gateway.CONSO_API
        and not (user_input.get(CONF_URL) or "").strip()
    ):
        return {CONF_URL: "enedis_url_required"}
    return {}


def _gateway_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the entry data of the gateway fields."""
    gateway = Gateway(user_input[CONF_GATEWAY])
    url = (user_input.get(CONF_URL) or "").strip()
    return {
        CONF_GATEWAY: gateway.value,
        CONF_URL: url if gateway is not Gateway.CONSO_API else None,
        CONF_TOKEN: user_input[CONF_TOKEN].strip(),
    }


class EnedisFlowMixin(ConfigFlow):
    """Steps adding, re-authenticating and reconfiguring Enedis data."""

    async def async_step_enedis(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the gateway, the token and the PRM, then test them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _check_gateway(user_input)
            try:
                prm = normalize_prm(user_input[CONF_PRM])
            except ValueError:
                errors[CONF_PRM] = "enedis_invalid_prm"
            if not errors:
                await self.async_set_unique_id(prm)
                self._abort_if_unique_id_configured()
                data = {
                    CONF_KIND: EntryKind.ENEDIS.value,
                    CONF_PRM: prm,
                    **_gateway_data(user_input),
                }
                if (error := await async_test_settings(self, data)) is None:
                    return self.async_create_entry(title=f"Enedis {prm}", data=data)
                errors["base"] = error
        defaults = user_input or {}
        return self.async_show_form(
            step_id="enedis",
            data_schema=vol.Schema(
                {
                    **_gateway_fields(defaults),
                    vol.Required(CONF_PRM, default=defaults.get(CONF_PRM, "")): str,
                }
            ),
            errors=errors,
        )

    async def async_step_reauth_enedis(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication when the token is refused or consent revoked."""
        return await self.async_step_enedis_reauth_confirm()

    async def async_step_enedis_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token and test it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_TOKEN: user_input[CONF_TOKEN].strip()}
            if (error := await async_test_settings(self, data)) is None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_TOKEN: data[CONF_TOKEN]}
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="enedis_reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): _password()}),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_reconfigure_enedis(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the gateway, its URL or the token of an entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _check_gateway(user_input)
            if not errors:
                data = {**entry.data, **_gateway_data(user_input)}
                if (error := await async_test_settings(self, data)) is None:
                    return self.async_update_reload_and_abort(entry, data=data)
                errors["base"] = error
        return self.async_show_form(
            step_id="reconfigure_enedis",
            data_schema=vol.Schema(_gateway_fields(user_input or entry.data)),
            errors=errors,
            description_placeholders={"prm": entry.data[CONF_PRM]},
        )
