"""The ``sunshare/game/leaderboard`` websocket command, read by the game card.

It answers from the game link coordinator's last poll (never a call to the game server):
the player's season points and ranks, the team's rank and the team's podium (every
member with their points, best first). The card computes the shared places of ties.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.sunshare.validation import vol

from .calendar import LOOKAHEAD, WINDOW_TITLES, window_events
from .coordinator import GameData
from .runtime import GameConfigEntry
from .sensor import rank_in_team, team_rank

COMMAND = "sunshare/game/leaderboard"
ATTR_ENTRY_ID = "entry_id"


def leaderboard_payload(data: GameData | None) -> dict[str, Any]:
    """Return the player's ranks and the team podium from a poll's data."""
    if data is None:
        return {"season": None, "player": None, "team": None, "podium": []}
    me, board = data.me, data.leaderboard
    season = me.get("season")
    team = me.get("team") if isinstance(me.get("team"), dict) else None
    player_id = str(me.get("id"))
    members = [
        row
        for row in board.get("players", [])
        if team is not None and row.get("team_id") == team["id"]
    ]
    teams = board.get("teams", [])
    team_row = next(
        (row for row in teams if team is not None and row.get("team_id") == team["id"]),
        None,
    )
    return {
        "season": (
            {
                "id": season.get("id"),
                "name": season.get("name"),
                "start": season.get("start"),
                "end": season.get("end"),
            }
            if isinstance(season, dict)
            else None
        ),
        "computed": bool(board.get("computed")),
        "as_of": board.get("as_of"),
        "player": {
            "user_id": player_id,
            "display_name": me.get("display_name"),
            "points": data.score.get("total"),
            "rank_in_team": rank_in_team(data),
            "team_size": len(members),
        },
        "team": (
            {
                "team_id": team["id"],
                "name": team.get("name"),
                "rank": team_rank(data),
                "teams": len(teams),
                "points": team_row.get("points") if team_row else None,
            }
            if team is not None
            else None
        ),
        "podium": [
            {
                "user_id": row["user_id"],
                "display_name": row.get("display_name"),
                "points": row.get("points"),
                "me": row["user_id"] == player_id,
            }
            for row in members
        ],
    }


def next_peak(
    data: GameData | None, now: datetime, language: str
) -> dict[str, Any] | None:
    """Return the peak (event or window) in progress, else the next one within 8 days.

    The same peaks as the game link's calendar: announced peak events first, then the
    season's recurring peak windows. Datetimes are ISO 8601 with their offset.
    """
    if data is None:
        return None
    end = now + LOOKAHEAD
    title = WINDOW_TITLES.get(language[:2], WINDOW_TITLES["en"])
    peaks = [
        (peak.start, peak.end, peak.title, peak.multiplier)
        for peak in data.peak_events
        if peak.start < end and peak.end > now
    ]
    windows = [
        (event.start, event.end, event.summary, None)
        for event in window_events(data.me.get("season"), now, end, title)
        if isinstance(event.start, datetime) and isinstance(event.end, datetime)
    ]
    candidates = sorted([*peaks, *windows], key=lambda peak: peak[0])
    if not candidates:
        return None
    start, finish, summary, multiplier = candidates[0]
    return {
        "start": start.isoformat(),
        "end": finish.isoformat(),
        "summary": summary,
        "multiplier": multiplier,
        "in_progress": start <= now,
    }


def _game_entry(hass: HomeAssistant, entry_id: str | None) -> GameConfigEntry | None:
    """Return the loaded game entry asked for (or the first loaded one)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if (
            entry.data.get(CONF_KIND) == EntryKind.GAME
            and entry.state is ConfigEntryState.LOADED
            and entry_id in (None, entry.entry_id)
        ):
            game_entry: GameConfigEntry = entry
            return game_entry
    return None


@websocket_api.websocket_command(
    {vol.Required("type"): COMMAND, vol.Optional(ATTR_ENTRY_ID): str}
)
@callback
def ws_leaderboard(
    hass: HomeAssistant,
    connection: websocket_api.ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Answer the podium and ranks of a game entry from its last poll."""
    entry = _game_entry(hass, msg.get(ATTR_ENTRY_ID))
    if entry is None:
        connection.send_error(
            msg["id"], websocket_api.ERR_NOT_FOUND, "No loaded Sunshare game entry"
        )
        return
    coordinator = entry.runtime_data.coordinator
    connection.send_result(
        msg["id"],
        {
            ATTR_ENTRY_ID: entry.entry_id,
            "title": entry.title,
            "available": coordinator.last_update_success,
            **leaderboard_payload(coordinator.data),
            "next_peak": next_peak(
                coordinator.data, dt_util.utcnow(), hass.config.language
            ),
        },
    )


@callback
def async_register_websocket(hass: HomeAssistant) -> None:
    """Register the game card's websocket command."""
    websocket_api.async_register_command(hass, ws_leaderboard)
