"""Scoring hooks of the game server (the scoring job is ``game_server.scoring_job``).

The API and the pages read scores only through these functions. ``on_data_changed`` marks
a household for recomputation; the job fills the ``scores`` collection (score cards) with
``Storage.replace_scores`` and keeps the leaderboards in memory. Before the job's first
pass over a season, the leaderboard is ranked from what the collection holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from game_server.models import ScoreEntry, Season, User
from game_server.storage import Storage


async def on_data_changed(storage: Storage, user_id: str, *days: date) -> None:
    """Mark the months of a household's days dirty for the scoring job.

    A bulk write calls it once with every day it changed.
    """
    from game_server.scoring_job import job_for

    job = job_for(storage)
    for day in days:
        job.mark_dirty(user_id, day)


async def player_score(storage: Storage, season: Season, user: User) -> dict[str, Any]:
    """Return a player's stored points per challenge and month, with their cards."""
    entries = await storage.list_scores(season.id, user.id)
    by_challenge: dict[str, float] = dict.fromkeys(season.challenges, 0.0)
    for entry in entries:
        by_challenge[entry.challenge] = (
            by_challenge.get(entry.challenge, 0.0) + entry.points
        )
    return {
        "season_id": season.id,
        "total": round(sum(by_challenge.values()), 2),
        "challenges": {k: round(v, 2) for k, v in by_challenge.items()},
        "months": [
            {
                "challenge": e.challenge,
                "month": e.month,
                "points": round(e.points, 2),
                "card": e.card,
            }
            for e in entries
        ],
        "computed": bool(entries),
        "action_level": action_level(entries),
    }


def action_level(entries: Iterable[ScoreEntry]) -> int:
    """Return the highest action level a player's action cards record (0 = none)."""
    levels = [0]
    for entry in entries:
        if entry.challenge != "actions":
            continue
        level = entry.card.get("factors", {}).get("level")
        if isinstance(level, int) and not isinstance(level, bool):
            levels.append(level)
    return max(levels)


async def leaderboard(
    storage: Storage, season: Season, challenge: str | None = None
) -> dict[str, Any]:
    """Return players and teams ranked by their stored points (a challenge or all)."""
    from game_server.scoring_job import job_for

    board = await job_for(storage).board(season, challenge)
    if board is not None:
        return dict(board)
    totals: dict[str, float] = defaultdict(float)
    for entry in await storage.list_scores(season.id):
        if challenge is None or entry.challenge == challenge:
            totals[entry.user_id] += entry.points
    users = {u.id: u for u in await storage.list_users()}
    memberships = await storage.list_memberships(season_id=season.id)
    team_of = {m.user_id: m.team_id for m in memberships}
    teams = await storage.list_teams(season.id)
    ranked = sorted(
        (uid for uid in team_of if uid in users and not users[uid].disabled),
        key=lambda uid: (-totals.get(uid, 0.0), users[uid].display_name),
    )
    players: list[dict[str, Any]] = [
        {
            "user_id": uid,
            "display_name": users[uid].display_name,
            "team_id": team_of[uid],
            "points": round(totals.get(uid, 0.0), 2),
        }
        for uid in ranked
    ]
    team_rows: list[dict[str, Any]] = []
    for team in teams:
        member_points = [
            totals.get(uid, 0.0) for uid in ranked if team_of[uid] == team.id
        ]
        score = sum(member_points) / len(member_points) if member_points else 0.0
        members = member_points
        team_rows.append(
            {
                "team_id": team.id,
                "name": team.name,
                "members": len(members),
                "points": round(score, 2),
            }
        )
    team_rows.sort(key=lambda row: (-row["points"], row["name"]))
    for rank, row in enumerate(players, 1):
        row["rank"] = rank
    for rank, row in enumerate(team_rows, 1):
        row["rank"] = rank
    return {
        "season_id": season.id,
        "challenge": challenge,
        "players": players,
        "teams": team_rows,
        "computed": await _any_scores(storage, season),
    }


async def _any_scores(storage: Storage, season: Season) -> bool:
    """Return whether the scoring job has stored anything for the season."""
    return bool(await storage.list_scores(season.id))
