"""Tests for the Sunshare config flow menu and the kind dispatch."""

from __future__ import annotations

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.config_flow import SunshareConfigFlow
from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.kinds import HANDLERS


async def test_user_step_shows_menu_of_implemented_kinds(hass: HomeAssistant) -> None:
    """The first step is a menu offering exactly the kinds that have a user step."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    expected = [
        k.value for k in EntryKind if hasattr(SunshareConfigFlow, f"async_step_{k}")
    ]
    assert result["menu_options"] == expected
    # Every offered kind has a registered setup handler.
    assert {EntryKind(k) for k in result["menu_options"]} <= set(HANDLERS)


async def test_integration_loads(hass: HomeAssistant) -> None:
    """The integration sets up in Home Assistant without any entry."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


async def test_entry_of_unknown_kind_fails_with_clear_error(
    hass: HomeAssistant,
) -> None:
    """An entry whose kind is unknown does not load and reports an error state."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: "toaster"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is config_entries.ConfigEntryState.SETUP_ERROR


async def test_reconfigure_and_reauth_of_kinds_without_them_abort(
    hass: HomeAssistant,
) -> None:
    """Kinds without a reconfigure or reauth step abort with a clear reason."""
    game = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.GAME.value})
    game.add_to_hass(hass)
    result = await game.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_not_supported"

    linky = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.LINKY.value})
    linky.add_to_hass(hass)
    result = await linky.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_not_supported"


async def test_options_are_offered_only_for_kinds_that_have_some(
    hass: HomeAssistant,
) -> None:
    """The options button appears for Linky, pulse meter, relay and game entries only."""
    offered = {
        kind: SunshareConfigFlow.async_supports_options_flow(
            MockConfigEntry(domain=DOMAIN, data={CONF_KIND: kind.value})
        )
        for kind in EntryKind
    }
    assert offered == {
        EntryKind.LINKY: True,
        EntryKind.PULSE_METER: True,
        EntryKind.BUZZER: False,
        EntryKind.RELAY: True,
        EntryKind.ENEDIS: False,
        EntryKind.GAME: True,
    }
