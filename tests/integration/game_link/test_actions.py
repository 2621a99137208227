"""The action select, the declare button and the action level, on the real game server."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.game import CatalogueAction
from custom_components.sunshare.game_link.actions import ActionSelect, action_labels
from game_server.models import ScoreEntry, Season, User
from tests.game.server import RunningServer

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run in Europe/Paris on 23 November 2026 at 10:00."""
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to(NOW)


@pytest.fixture
async def season(game_server: RunningServer, player: User) -> Season:
    """Create a season that started three weeks ago."""
    return await game_server.add_season(
        NOW.date() - timedelta(days=23), NOW.date() + timedelta(days=120)
    )


def _entity_id(hass: HomeAssistant, platform: str, suffix: str) -> str:
    """Return the entity id of a game entity by its unique id suffix."""
    entity_id = er.async_get(hass).async_get_entity_id(
        platform, "sunshare", f"game01_{suffix}"
    )
    assert entity_id is not None, suffix
    return entity_id


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[str, str]:
    """Set the entry up; return the select's and the button's entity ids."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return (
        _entity_id(hass, SELECT_DOMAIN, "action"),
        _entity_id(hass, BUTTON_DOMAIN, "declare_action"),
    )


async def _titles(server: RunningServer) -> dict[str, tuple[str, str]]:
    """Return the stored catalogue's (French, English) titles by id."""
    return {
        a.id: (a.title_fr, a.title_en)
        for a in await server.service.storage.list_catalogue()
        if a.enabled
    }


async def _labels(server: RunningServer, language: str) -> list[str]:
    """Return the options expected from the stored catalogue, in their order.

    Each title with its signed base points; the actions that cost points last, marked.
    """
    mark = {"fr": "coûte des points", "en": "costs points"}[language]
    actions = sorted(
        (a for a in await server.service.storage.list_catalogue() if a.enabled),
        key=lambda a: (a.base_points < 0, a.level, a.domain, a.id),
    )
    labels = []
    for action in actions:
        title = action.title_fr if language == "fr" else action.title_en
        if action.base_points < 0:
            labels.append(f"{title} (−{-action.base_points:g} pts, {mark})")
        else:
            labels.append(f"{title} (+{action.base_points:g} pts)")
    return labels


async def test_select_then_press_declares_the_action(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
) -> None:
    """The catalogue's English titles are the options; the button declares today."""
    select_id, button_id = await _setup(hass, game_entry)
    options = hass.states.get(select_id).attributes[ATTR_OPTIONS]
    assert options == await _labels(game_server, "en")
    assert hass.states.get(select_id).state == STATE_UNKNOWN

    aerators = "Fit aerators on taps (+10 pts)"
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: select_id, ATTR_OPTION: aerators},
        blocking=True,
    )
    assert hass.states.get(select_id).state == aerators

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    declared = await game_server.service.storage.list_action_declarations(player.id)
    assert [(d.action_id, d.day) for d in declared] == [
        ("tap_aerators", date(2026, 11, 23))
    ]
    # The selection is cleared so that a second press does not declare it again.
    assert hass.states.get(select_id).state == STATE_UNKNOWN
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button_id}, blocking=True
        )
    assert err.value.translation_key == "game_no_action_selected"

    # Choosing it again: the server refuses a one-off action declared twice.
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: select_id, ATTR_OPTION: aerators},
        blocking=True,
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button_id}, blocking=True
        )
    assert err.value.translation_key == "game_action_refused"
    assert len(await game_server.service.storage.list_action_declarations()) == 1


async def test_french_titles(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
) -> None:
    """With Home Assistant in French, the options are the French titles."""
    hass.config.language = "fr"
    select_id, _button_id = await _setup(hass, game_entry)
    titles = await _titles(game_server)
    options = hass.states.get(select_id).attributes[ATTR_OPTIONS]
    assert options == await _labels(game_server, "fr")
    assert f"{titles['tap_aerators'][0]} (+10 pts)" in options
    assert "Chauffer une piscine (−100 pts, coûte des points)" in options


async def test_options_that_cost_points_say_so(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
) -> None:
    """The actions that cost points come last, marked; the button declares them too."""
    select_id, button_id = await _setup(hass, game_entry)
    options = hass.states.get(select_id).attributes[ATTR_OPTIONS]
    assert options[-3:] == [
        "Heat a swimming pool (−100 pts, costs points)",
        "Heat above 21 °C (−30 pts, costs points)",
        "Replace windows without insulating walls (−50 pts, costs points)",
    ]
    good = options[:-3]
    assert all(" (+" in option and option.endswith(" pts)") for option in good)
    assert not any("−" in option or "costs points" in option for option in good)

    pool = options[-3]
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: select_id, ATTR_OPTION: pool},
        blocking=True,
    )
    assert hass.states.get(select_id).state == pool
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    declared = await game_server.service.storage.list_action_declarations(player.id)
    assert [d.action_id for d in declared] == ["heated_pool"]


async def test_unknown_option_is_refused(
    hass: HomeAssistant, game_entry: MockConfigEntry, season: Season
) -> None:
    """A label that is not in the catalogue (it changed meanwhile) is refused."""
    select_id, _button_id = await _setup(hass, game_entry)
    entity = hass.data["domain_entities"][SELECT_DOMAIN][select_id]
    assert isinstance(entity, ActionSelect)
    with pytest.raises(ServiceValidationError) as err:
        await entity.async_select_option("Paint the roof white")
    assert err.value.translation_key == "game_action_unknown"
    assert hass.states.get(select_id).state == STATE_UNKNOWN


async def test_no_season_no_options(
    hass: HomeAssistant, game_entry: MockConfigEntry
) -> None:
    """Without a season there is nothing to declare."""
    select_id, _button_id = await _setup(hass, game_entry)
    assert hass.states.get(select_id).attributes[ATTR_OPTIONS] == []


async def test_action_level_and_piggy_bank_balance(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
) -> None:
    """The level and this month's piggy-bank balance come from the stored cards."""
    await game_server.service.storage.replace_scores(
        season.id,
        player.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=player.id,
                challenge="actions",
                month="2026-11",
                points=40.0,
                card={"factors": {"level": 2, "lines": []}},
            ),
            ScoreEntry(
                season_id=season.id,
                user_id=player.id,
                challenge="piggy_bank",
                month="2026-11",
                points=0.0,
                card={
                    "reason": "no_solar",
                    "factors": {
                        "credit_kwh": 0,
                        "debit_kwh": 12.3,
                        "balance_kwh": -12.3,
                    },
                },
            ),
            ScoreEntry(
                season_id=season.id,
                user_id=player.id,
                challenge="piggy_bank",
                month="2026-10",
                points=0.0,
                card={"factors": {"balance_kwh": 99.0}},
            ),
        ],
    )
    await _setup(hass, game_entry)
    level = hass.states.get(_entity_id(hass, "sensor", "action_level"))
    assert level.state == "2"
    assert level.attributes["friendly_name"] == "Sunshare game (Alice) Action level"
    balance = hass.states.get(_entity_id(hass, "sensor", "piggy_bank_balance"))
    assert balance.state == "-12.3"
    assert balance.attributes["unit_of_measurement"] == "kWh"


def test_labels_stay_unique() -> None:
    """Two actions with the same title get their ids; the malus comes last, marked."""
    twins = [
        CatalogueAction(
            id="a1", level=1, recurring=False, titles={"en": "Same"}, base_points=10
        ),
        CatalogueAction(
            id="a2",
            level=1,
            recurring=False,
            titles={"en": "Same"},
            base_points=-10,
            malus=True,
        ),
        CatalogueAction(
            id="b", level=2, recurring=True, titles={"en": "Other"}, base_points=7.5
        ),
    ]
    assert list(action_labels(twins, "en")) == [
        "Same (a1, +10 pts)",
        "Other (+7.5 pts)",
        "Same (a2, −10 pts, costs points)",
    ]
    # The mark follows the language (its region ignored), the title falls back.
    assert list(action_labels(twins, "fr-CA"))[-1] == (
        "Same (a2, −10 pts, coûte des points)"
    )
    assert list(action_labels(twins, "de"))[-1] == "Same (a2, −10 pts, costs points)"


def test_malus_without_the_flag() -> None:
    """A server that sends no ``malus`` flag: negative base points make a malus."""
    pool = CatalogueAction.from_json(
        {"id": "pool", "base_points": -100, "title": {"en": "Heat a pool"}}
    )
    assert (pool.base_points, pool.malus) == (-100.0, True)
    bare = CatalogueAction.from_json({"id": "bare", "title": {"en": "Bare"}})
    assert (bare.base_points, bare.malus) == (0.0, False)
    assert list(action_labels([bare], "en")) == ["Bare (0 pts)"]
