"""Config, reauth and options flows of the game link ("Join a Sunshare game").

The user gives the game server's URL, their username and password; the flow exchanges
them for a per-device API token (the password is not stored) and reads the player's id
from ``/me``. The entry's unique id is the server URL plus the player id. Options choose
where the household's energy is read: the Energy dashboard (default) or hand-picked
statistics, and an optional outdoor temperature (a temperature sensor or a weather
entity).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.recorder.statistics import async_list_statistic_ids
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant, split_entity_id
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import SelectOptionDict
from yarl import URL

from custom_components.sunshare.const import CONF_KIND, DOMAIN, LOGGER, EntryKind
from custom_components.sunshare.entry_updates import async_update_and_abort
from custom_components.sunshare.game import (
    GameAuthError,
    GameClient,
    GameConnectionError,
    GameError,
    GameRateLimitedError,
)
from custom_components.sunshare.titles import async_device_title
from custom_components.sunshare.validation import vol

from .const import (
    CONF_BATTERY_CHARGE,
    CONF_BATTERY_DISCHARGE,
    CONF_ENERGY_SOURCE,
    CONF_GRID_EXPORT,
    CONF_GRID_IMPORT,
    CONF_PASSWORD,
    CONF_PLAYER_ID,
    CONF_SOLAR,
    CONF_TEMPERATURE,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    EnergySource,
)

MANUAL_FIELDS = (
    CONF_GRID_IMPORT,
    CONF_GRID_EXPORT,
    CONF_SOLAR,
    CONF_BATTERY_CHARGE,
    CONF_BATTERY_DISCHARGE,
)
TEMPERATURE_DOMAINS = ("sensor", "weather")
"""Domains of an outdoor temperature: sensor statistics or weather state history."""


def normalize_url(url: str) -> str | None:
    """Return a server URL without trailing slash, or None if it is not http(s)."""
    text = url.strip().rstrip("/")
    try:
        parsed = URL(text)
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    return text


def device_name(hass: HomeAssistant) -> str:
    """Return the name the API token is listed under on the player's page."""
    return f"Home Assistant ({hass.config.location_name})"[:64]


async def async_sign_in(
    hass: HomeAssistant, url: str, username: str, password: str
) -> tuple[GameClient, dict[str, Any]]:
    """Exchange a password for a device token; return the client and ``/me``."""
    client = GameClient(async_get_clientsession(hass), url)
    await client.login(username, password, device_name(hass))
    return client, await client.me()


async def async_drop_token(client: GameClient) -> None:
    """Revoke a token that will not be used (best effort: it can be revoked later)."""
    if client.token_id is None:
        return
    try:
        await client.revoke_token(client.token_id)
    except GameError as err:
        LOGGER.debug("Could not revoke the unused game token: %s", err)


def _sign_in_error(err: GameError) -> str:
    """Return the form error of a failed sign-in."""
    if isinstance(err, GameAuthError):
        return "game_invalid_auth"
    if isinstance(err, GameRateLimitedError):
        return "game_too_many_attempts"
    if isinstance(err, GameConnectionError):
        return "game_cannot_connect"
    return "game_unexpected"


def _password() -> selector.TextSelector:
    """Return a password text field."""
    return selector.TextSelector(
        selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
    )


class GameFlowMixin(ConfigFlow):
    """Steps joining a Sunshare game and signing in again."""

    async def async_step_game(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server URL, the username and the password; get a token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = normalize_url(user_input[CONF_URL])
            username = user_input[CONF_USERNAME].strip()
            if url is None:
                errors[CONF_URL] = "game_invalid_url"
            else:
                try:
                    client, player = await async_sign_in(
                        self.hass, url, username, user_input[CONF_PASSWORD]
                    )
                except GameError as err:
                    errors["base"] = _sign_in_error(err)
                else:
                    player_id = str(player["id"])
                    unique_id = f"{url}#{player_id}"
                    await self.async_set_unique_id(unique_id)
                    if self.hass.config_entries.async_entry_for_domain_unique_id(
                        DOMAIN, unique_id
                    ):
                        await async_drop_token(client)
                    self._abort_if_unique_id_configured()
                    name = player.get("display_name") or username
                    return self.async_create_entry(
                        title=await async_device_title(
                            self.hass, "game_link", {"name": name}
                        ),
                        data={
                            CONF_KIND: EntryKind.GAME.value,
                            CONF_URL: url,
                            CONF_USERNAME: username,
                            CONF_PLAYER_ID: player_id,
                            CONF_TOKEN: client.token,
                        },
                    )
        defaults = user_input or {}
        return self.async_show_form(
            step_id="game",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_URL, default=defaults.get(CONF_URL, "")
                    ): selector.TextSelector(
                        selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
                    ),
                    vol.Required(
                        CONF_USERNAME, default=defaults.get(CONF_USERNAME, "")
                    ): str,
                    vol.Required(CONF_PASSWORD): _password(),
                }
            ),
            errors=errors,
        )

    async def async_step_reauth_game(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start signing in again when the server refuses the token (revoked)."""
        return await self.async_step_game_reauth_confirm()

    async def async_step_game_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password again and get a new token for the same player."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                client, player = await async_sign_in(
                    self.hass,
                    entry.data[CONF_URL],
                    entry.data[CONF_USERNAME],
                    user_input[CONF_PASSWORD],
                )
            except GameError as err:
                errors["base"] = _sign_in_error(err)
            else:
                if str(player["id"]) != entry.data[CONF_PLAYER_ID]:
                    await async_drop_token(client)
                    return self.async_abort(reason="game_wrong_player")
                return async_update_and_abort(
                    self,
                    entry,
                    data_updates={CONF_TOKEN: client.token},
                    reason="reauth_successful",
                )
        return self.async_show_form(
            step_id="game_reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): _password()}),
            errors=errors,
            description_placeholders={
                CONF_USERNAME: entry.data[CONF_USERNAME],
                CONF_URL: entry.data[CONF_URL],
            },
        )


async def async_energy_statistics(hass: HomeAssistant) -> list[SelectOptionDict]:
    """Return the recorder's energy statistics (entities and imported) as options."""
    found = await async_list_statistic_ids(hass, statistic_type="sum")
    return sorted(
        (
            SelectOptionDict(
                value=item["statistic_id"],
                label=f"{item.get('name') or item['statistic_id']}"
                f" ({item['statistic_id']})",
            )
            for item in found
            if item.get("unit_class") == "energy"
        ),
        key=lambda option: option["label"].lower(),
    )


def _statistics(options: list[SelectOptionDict]) -> selector.SelectSelector:
    """Return a picker of several statistics (other statistic ids may be typed)."""
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=options,
            multiple=True,
            custom_value=True,
            mode=selector.SelectSelectorMode.DROPDOWN,
        )
    )


class GameOptionsFlow(OptionsFlow):
    """Choose the energy sources and the outdoor temperature sensor of the game link."""

    def __init__(self) -> None:
        """Start with no answer yet."""
        self._options: dict[str, Any] = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start with the game link's options step (its own step id, for translations)."""
        return await self.async_step_game_options(user_input)

    async def async_step_game_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the Energy dashboard or hand-picked statistics, and a temperature."""
        current = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            temperature = user_input.get(CONF_TEMPERATURE)
            if temperature and split_entity_id(temperature)[0] not in (
                TEMPERATURE_DOMAINS
            ):
                errors[CONF_TEMPERATURE] = "game_temperature_invalid"
            else:
                self._options = {
                    CONF_ENERGY_SOURCE: EnergySource(
                        user_input[CONF_ENERGY_SOURCE]
                    ).value
                }
                if temperature:
                    self._options[CONF_TEMPERATURE] = temperature
                if self._options[CONF_ENERGY_SOURCE] == EnergySource.MANUAL:
                    return await self.async_step_game_sources()
                return self.async_create_entry(data=self._options)
        defaults = user_input or current
        schema = {
            vol.Required(
                CONF_ENERGY_SOURCE,
                default=defaults.get(
                    CONF_ENERGY_SOURCE, EnergySource.ENERGY_DASHBOARD.value
                ),
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[source.value for source in EnergySource],
                    translation_key="game_energy_source",
                    mode=selector.SelectSelectorMode.LIST,
                )
            ),
            vol.Optional(
                CONF_TEMPERATURE,
                description={"suggested_value": defaults.get(CONF_TEMPERATURE)},
            ): selector.EntitySelector(
                selector.EntitySelectorConfig(
                    filter=[
                        {
                            "domain": "sensor",
                            "device_class": SensorDeviceClass.TEMPERATURE,
                        },
                        {"domain": "weather"},
                    ]
                )
            ),
        }
        return self.async_show_form(
            step_id="game_options", data_schema=vol.Schema(schema), errors=errors
        )

    async def async_step_game_sources(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the statistics of each energy flow by hand (grid import required)."""
        current = self.config_entry.options
        if user_input is not None and user_input.get(CONF_GRID_IMPORT):
            for key in MANUAL_FIELDS:
                self._options[key] = list(user_input.get(key) or [])
            return self.async_create_entry(data=self._options)
        errors = {CONF_GRID_IMPORT: "game_grid_import_required"} if user_input else {}
        defaults = user_input or current
        statistics = await async_energy_statistics(self.hass)
        schema: dict[Any, Any] = {
            vol.Required(
                CONF_GRID_IMPORT,
                description={"suggested_value": defaults.get(CONF_GRID_IMPORT)},
            ): _statistics(statistics)
        }
        for key in MANUAL_FIELDS[1:]:
            schema[
                vol.Optional(key, description={"suggested_value": defaults.get(key)})
            ] = _statistics(statistics)
        return self.async_show_form(
            step_id="game_sources", data_schema=vol.Schema(schema), errors=errors
        )
