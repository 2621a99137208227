"""Config flow for Sunshare: a menu of what can be added, one config entry per thing.

Each kind contributes its steps through a mixin class (``async_step_<kind>`` for the user
step, ``async_step_reconfigure_<kind>`` and ``async_step_reauth_<kind>`` where it has them)
and its options flow through ``OPTIONS_FLOWS``. The menu offers only the kinds that have a
user step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback

from .buzzer.flow import BuzzerFlowMixin
from .const import CONF_KIND, DOMAIN, EntryKind
from .enedis_data.flow import EnedisFlowMixin
from .game_link.flow import GameFlowMixin
from .linky.flow import LinkyFlowMixin
from .pulse_meter.config_flow import PulseMeterFlowMixin
from .relay.flow import RelayFlowMixin

# Options flow factory of each kind that has options (filled in by the kinds' flow modules).
OPTIONS_FLOWS: dict[EntryKind, Callable[[ConfigEntry[Any]], OptionsFlow]] = {}


# Each kind's flow mixin is added to the bases below, before ConfigFlow.
class SunshareConfigFlow(
    BuzzerFlowMixin,
    EnedisFlowMixin,
    GameFlowMixin,
    LinkyFlowMixin,
    PulseMeterFlowMixin,
    RelayFlowMixin,
    ConfigFlow,
    domain=DOMAIN,
):
    """Add a Linky meter, a GPIO device, Enedis data or a game link."""

    VERSION = 1
    MINOR_VERSION = 1

    def _kind_step(self, prefix: str, kind: EntryKind) -> Any:
        """Return the bound step method ``async_step_<prefix><kind>`` or None."""
        return getattr(self, f"async_step_{prefix}{kind.value}", None)

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the menu of what can be added."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                kind.value for kind in EntryKind if self._kind_step("", kind)
            ],
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Dispatch reconfiguration to the entry's kind."""
        kind = EntryKind(self._get_reconfigure_entry().data[CONF_KIND])
        if (step := self._kind_step("reconfigure_", kind)) is None:
            return self.async_abort(reason="reconfigure_not_supported")
        result: ConfigFlowResult = await step(user_input)
        return result

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Dispatch re-authentication to the entry's kind."""
        kind = EntryKind(entry_data[CONF_KIND])
        if (step := self._kind_step("reauth_", kind)) is None:
            return self.async_abort(reason="reauth_not_supported")
        result: ConfigFlowResult = await step(entry_data)
        return result

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> OptionsFlow:
        """Return the options flow of the entry's kind."""
        return OPTIONS_FLOWS[EntryKind(config_entry.data[CONF_KIND])](config_entry)

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Offer options only for kinds that have some."""
        kind = config_entry.data.get(CONF_KIND)
        return any(kind == known.value for known in OPTIONS_FLOWS)
