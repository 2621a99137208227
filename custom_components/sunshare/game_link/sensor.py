"""Sensors of the game link: score, ranks, points per challenge, data quality.

Values are what the game server returns: the season's points (``/me/score``), the
rankings (``/leaderboard``) and the state of the current month's score cards. Until the
server's scoring job has run, points are zero and the data quality says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from custom_components.sunshare.game import game_today

from .coordinator import GameCoordinator, GameData
from .entity import GameEntity, game_device_info
from .runtime import GameConfigEntry
from .uploader import Uploader

POINTS = "points"
CHALLENGES = ("piggy_bank", "self_consumption", "sobriety", "actions", "shedding")


class DataQuality:
    """States of the data-quality sensor."""

    NOT_COMPUTED = "not_computed"
    """The server has not scored the season yet."""
    OK = "ok"
    PROVISIONAL = "provisional"
    """The current month's points may still change (data missing or unconfirmed)."""
    INSUFFICIENT = "insufficient"
    """A challenge of the current month has no points for lack of data."""


def _team_id(data: GameData) -> str | None:
    """Return the player's team id."""
    team = data.me.get("team")
    return str(team["id"]) if isinstance(team, dict) else None


def rank_in_team(data: GameData) -> int | None:
    """Return the player's rank among their team's members."""
    team_id, player_id = _team_id(data), str(data.me.get("id"))
    if team_id is None:
        return None
    members = [
        p for p in data.leaderboard.get("players", []) if p["team_id"] == team_id
    ]
    for rank, player in enumerate(members, 1):
        if player["user_id"] == player_id:
            return rank
    return None


def team_size(data: GameData) -> dict[str, Any] | None:
    """Return ``out_of``: the ranked members of the player's team (rank "x of N")."""
    team_id = _team_id(data)
    if team_id is None or rank_in_team(data) is None:
        return None
    players = data.leaderboard.get("players", [])
    return {"out_of": sum(1 for p in players if p["team_id"] == team_id)}


def team_count(data: GameData) -> dict[str, Any] | None:
    """Return ``out_of``: the teams ranked in the season (team rank "x of N")."""
    if team_rank(data) is None:
        return None
    return {"out_of": len(data.leaderboard.get("teams", []))}


def team_rank(data: GameData) -> int | None:
    """Return the player's team's rank in the season."""
    team_id = _team_id(data)
    for row in data.leaderboard.get("teams", []):
        if row["team_id"] == team_id:
            return int(row["rank"])
    return None


def month_cards(data: GameData) -> list[dict[str, Any]]:
    """Return the score cards of the current month."""
    month = game_today(dt_util.utcnow()).strftime("%Y-%m")
    return [
        entry.get("card") or {}
        for entry in data.score.get("months", [])
        if entry.get("month") == month
    ]


def data_quality(data: GameData) -> str | None:
    """Return the state of the current month's data as the server scored it."""
    if not data.score:
        return None
    if not data.score.get("computed"):
        return DataQuality.NOT_COMPUTED
    cards = month_cards(data)
    if any(card.get("reason") == "insufficient_data" for card in cards):
        return DataQuality.INSUFFICIENT
    if any(card.get("provisional") for card in cards):
        return DataQuality.PROVISIONAL
    return DataQuality.OK


def challenge_points(challenge: str) -> Callable[[GameData], float | None]:
    """Return the function reading a challenge's season points."""

    def points(data: GameData) -> float | None:
        """Return the challenge's points (None when the season does not have it)."""
        value = data.score.get("challenges", {}).get(challenge)
        return None if value is None else float(value)

    return points


def month_points(challenge: str) -> Callable[[GameData], float | None]:
    """Return the function reading a challenge's points of the current month."""

    def points(data: GameData) -> float | None:
        """Return the challenge's points this month."""
        if challenge not in data.score.get("challenges", {}):
            return None
        month = game_today(dt_util.utcnow()).strftime("%Y-%m")
        return sum(
            float(entry["points"])
            for entry in data.score.get("months", [])
            if entry.get("challenge") == challenge and entry.get("month") == month
        )

    return points


def piggy_bank_balance(data: GameData) -> float | None:
    """Return this month's piggy-bank balance (kWh exported − imported), if scored."""
    month = game_today(dt_util.utcnow()).strftime("%Y-%m")
    for entry in data.score.get("months", []):
        if entry.get("challenge") == "piggy_bank" and entry.get("month") == month:
            balance = (entry.get("card") or {}).get("factors", {}).get("balance_kwh")
            return None if balance is None else float(balance)
    return None


@dataclass(frozen=True, kw_only=True)
class GameSensorDescription(SensorEntityDescription):
    """A game link sensor and how it reads the coordinator's data."""

    value_fn: Callable[[GameData], Any]
    attributes_fn: Callable[[GameData], dict[str, Any] | None] = lambda _: None
    """Extra attributes, e.g. ``out_of`` beside a rank (the state stays a number)."""


SENSORS: tuple[GameSensorDescription, ...] = (
    GameSensorDescription(
        key="score",
        translation_key="game_score",
        native_unit_of_measurement=POINTS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.score.get("total"),
    ),
    GameSensorDescription(
        key="rank_in_team",
        translation_key="game_rank_in_team",
        value_fn=rank_in_team,
        attributes_fn=team_size,
    ),
    GameSensorDescription(
        key="team_rank",
        translation_key="game_team_rank",
        value_fn=team_rank,
        attributes_fn=team_count,
    ),
    GameSensorDescription(
        key="piggy_bank_month",
        translation_key="game_piggy_bank_month",
        native_unit_of_measurement=POINTS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=month_points("piggy_bank"),
    ),
    GameSensorDescription(
        key="piggy_bank_balance",
        translation_key="game_piggy_bank_balance",
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        device_class=SensorDeviceClass.ENERGY,
        # No state class: the balance restarts every month and can go negative; a
        # long-term statistic of it would mislead.
        value_fn=piggy_bank_balance,
    ),
    GameSensorDescription(
        key="action_level",
        translation_key="game_action_level",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.score.get("action_level"),
    ),
    GameSensorDescription(
        key="data_quality",
        translation_key="game_data_quality",
        device_class=SensorDeviceClass.ENUM,
        options=[
            DataQuality.NOT_COMPUTED,
            DataQuality.OK,
            DataQuality.PROVISIONAL,
            DataQuality.INSUFFICIENT,
        ],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=data_quality,
    ),
    *(
        GameSensorDescription(
            key=f"score_{challenge}",
            translation_key=f"game_score_{challenge}",
            native_unit_of_measurement=POINTS,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=challenge_points(challenge),
        )
        for challenge in CHALLENGES
    ),
)


class UploadSensor(SensorEntity):
    """A value the game link computes itself (available while the server is down)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: UploadSensorDescription

    def __init__(
        self, entry: GameConfigEntry, description: UploadSensorDescription
    ) -> None:
        """Read ``description`` from the entry's uploader."""
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = game_device_info(entry)
        self.entity_description = description
        self._uploader = entry.runtime_data.uploader

    async def async_added_to_hass(self) -> None:
        """Update after every change of the outbox."""
        self.async_on_remove(
            self._uploader.async_add_listener(self.async_write_ha_state)
        )

    @property
    def native_value(self) -> Any:
        """Return the value read from the uploader."""
        return self.entity_description.value_fn(self._uploader)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the day the value is about, if any."""
        return self.entity_description.attributes_fn(self._uploader)


def self_consumption(uploader: Uploader) -> float | None:
    """Return the share of the last complete day's solar production used at home."""
    day = uploader.last_day
    if day is None or day.production_kwh <= 0:
        return None
    used = max(0.0, day.production_kwh - day.export_kwh)
    return round(100 * min(used / day.production_kwh, 1.0), 1)


def _last_day(uploader: Uploader) -> dict[str, Any] | None:
    """Return the day the values are about."""
    day = uploader.last_day
    return {"day": day.day.isoformat()} if day else None


@dataclass(frozen=True, kw_only=True)
class UploadSensorDescription(SensorEntityDescription):
    """A sensor of the game link's own state."""

    value_fn: Callable[[Uploader], Any]
    attributes_fn: Callable[[Uploader], dict[str, Any] | None] = lambda _: None


UPLOAD_SENSORS: tuple[UploadSensorDescription, ...] = (
    UploadSensorDescription(
        key="self_consumption",
        translation_key="game_self_consumption",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=self_consumption,
        attributes_fn=_last_day,
    ),
    UploadSensorDescription(
        key="pending_uploads",
        translation_key="game_pending_uploads",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda uploader: len(uploader.outbox),
    ),
)


class GameSensor(GameEntity, SensorEntity):
    """A value the game server computed for the player."""

    entity_description: GameSensorDescription

    def __init__(
        self, coordinator: GameCoordinator, description: GameSensorDescription
    ) -> None:
        """Read ``description`` from the coordinator's data."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> Any:
        """Return the value read from the last poll."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the extra attributes read from the last poll (rank "x of N")."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.attributes_fn(data)


def _enabled_challenges(data: GameData | None) -> set[str]:
    """Return the challenges of the player's season (every one when unknown)."""
    season = data.me.get("season") if data else None
    if isinstance(season, dict) and isinstance(season.get("challenges"), list):
        return {str(challenge) for challenge in season["challenges"]}
    return set(CHALLENGES)


async def async_setup_sensors(
    hass: HomeAssistant, entry: GameConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the score sensors (one per challenge enabled in the season)."""
    coordinator = entry.runtime_data.coordinator
    enabled = _enabled_challenges(coordinator.data)
    entities: list[SensorEntity] = [
        GameSensor(coordinator, description)
        for description in SENSORS
        if not description.key.startswith("score_")
        or description.key.removeprefix("score_") in enabled
    ]
    entities += [UploadSensor(entry, description) for description in UPLOAD_SENSORS]
    async_add_entities(entities)
