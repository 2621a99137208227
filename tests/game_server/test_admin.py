"""Seasons, peak events, the action catalogue, profiles, passwords and tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from game_server.codec import CodecError, from_record, to_record
from game_server.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from game_server.models import CatalogueAction, Mode, PeakWindow, Role, Season, User
from game_server.services import GameService
from game_server.storage import StorageError
from game_server.storage.sqlite import SQLiteStorage

from .helpers import NOW, PASSWORD, add_season, clock, registration


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[GameService]:
    """Yield a service over a fresh SQLite file with the catalogue."""
    storage = SQLiteStorage(tmp_path / "game.db")
    await storage.open()
    service = GameService(storage, clock)
    await service.seed_catalogue()
    yield service
    await storage.close()


async def test_seasons_and_peak_events(service: GameService) -> None:
    admin = await service.register(registration("root"), role=Role.ADMIN)
    player = await service.register(registration("alice"))
    assert await service.current_season() is None
    with pytest.raises(Conflict) as err:
        await service.create_team(player, "Early")
    assert err.value.code == "no_season"
    past = Season(name="Past", start=date(2025, 11, 1), end=date(2026, 3, 31))
    await service.create_season(admin, past)
    assert await service.current_season() == past
    future = Season(name="Next", start=date(2027, 11, 1), end=date(2028, 3, 31))
    await service.create_season(admin, future)
    assert await service.current_season() == future
    current = await add_season(service)
    assert await service.current_season() == current
    with pytest.raises(Forbidden):
        await service.create_season(player, replace(current, name="Mine"))
    for bad, field in (
        (replace(current, end=date(2026, 10, 1)), "end"),
        (replace(current, challenges=["golf"]), "challenges"),
        (replace(current, team_size_limit=0), "team_size_limit"),
        (replace(current, reference_window_days=-1), "reference_window_days"),
        (
            replace(current, peak_windows=[PeakWindow(start="20:00", end="18:00")]),
            "peak_windows",
        ),
        (
            replace(current, peak_windows=[PeakWindow(start="7pm", end="8pm")]),
            "peak_windows",
        ),
        (
            replace(
                current,
                peak_windows=[PeakWindow(start="18:00", end="20:00", months=[13])],
            ),
            "peak_windows",
        ),
        (
            replace(
                current,
                peak_windows=[PeakWindow(start="18:00", end="20:00", weekdays=[7])],
            ),
            "peak_windows",
        ),
    ):
        with pytest.raises(Invalid) as invalid:
            await service.update_season(admin, bad)
        assert invalid.value.field == field
    updated = await service.update_season(
        admin, replace(current, team_size_limit=8, challenges=["sobriety"])
    )
    assert (await service.storage.get_season(current.id)) == updated
    with pytest.raises(NotFound):
        await service.update_season(admin, replace(current, id="nope"))

    ongoing = await service.add_peak_event(
        admin, current.id, NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    )
    await service.add_peak_event(
        admin, current.id, NOW - timedelta(hours=3), NOW - timedelta(hours=2)
    )
    upcoming = await service.add_peak_event(
        admin,
        current.id,
        NOW + timedelta(days=1),
        NOW + timedelta(days=1, hours=2),
        2.0,
        "Tempo rouge",
    )
    assert [e.id for e in await service.peak_events()] == [ongoing.id, upcoming.id]
    with pytest.raises(Invalid):
        await service.add_peak_event(admin, current.id, NOW, NOW)
    with pytest.raises(Invalid):
        await service.add_peak_event(
            admin, current.id, NOW, NOW + timedelta(hours=1), multiplier=50
        )
    with pytest.raises(Forbidden):
        await service.add_peak_event(player, current.id, NOW, NOW + timedelta(hours=1))
    await service.delete_peak_event(admin, upcoming.id)
    with pytest.raises(NotFound):
        await service.delete_peak_event(admin, upcoming.id)
    with pytest.raises(Invalid) as invalid:
        await service.leaderboard(updated, "shedding")
    assert invalid.value.field == "challenge"


async def test_catalogue(service: GameService) -> None:
    admin = await service.register(registration("root"), role=Role.ADMIN)
    catalogue = await service.storage.list_catalogue()
    assert {"heating_19c", "attic_insulation"} <= {a.id for a in catalogue}
    assert await service.seed_catalogue() == 0
    action = CatalogueAction(
        id="cold_wash",
        domain="appliances",
        level=1,
        base_points=10,
        title_fr="Laver à 30 °C",
        title_en="Wash at 30 °C",
    )
    await service.save_catalogue_action(admin, action)
    assert await service.storage.get_catalogue_action("cold_wash") == action
    for bad, field in (
        (replace(action, id="Bad Id"), "id"),
        (replace(action, domain="garden"), "domain"),
        (replace(action, level=5), "level"),
        (replace(action, base_points=1000), "base_points"),
        (replace(action, title_fr=" "), "title_fr"),
    ):
        with pytest.raises(Invalid) as invalid:
            await service.save_catalogue_action(admin, bad)
        assert invalid.value.field == field
    await service.delete_catalogue_action(admin, "cold_wash")
    with pytest.raises(NotFound):
        await service.delete_catalogue_action(admin, "cold_wash")
    audit = [a.action for a in await service.storage.list_audit()]
    assert audit == ["catalogue.delete", "catalogue.create"]


async def test_profile_password_and_tokens(service: GameService) -> None:
    admin = await service.register(registration("root"), role=Role.ADMIN)
    alice = await service.register(registration("alice", "11111111111111"))
    bob = await service.register(registration("bob", "22222222222222"))
    alice = await service.update_profile(
        alice, display_name=" Alice B. ", adults=3, mode=Mode.SIMPLIFIED, city="Lyon"
    )
    assert alice.display_name == "Alice B."
    assert (await service.get_user(alice.id)).adults == 3
    with pytest.raises(Conflict) as err:
        await service.update_profile(alice, prm="22222222222222")
    assert err.value.code == "prm_taken"
    with pytest.raises(Invalid):
        await service.update_profile(alice, role=Role.ADMIN)
    with pytest.raises(Invalid):
        await service.update_profile(alice, postcode="<script>")
    with pytest.raises(Invalid):
        await service.update_profile(alice, language="de")
    with pytest.raises(Invalid):
        await service.update_profile(alice, solar_kwc=-1.0)
    await service.set_prm_verified(admin, alice.id, True)
    moved = await service.update_profile(
        await service.get_user(alice.id), prm="33333333333333"
    )
    assert moved.prm_verified is False
    # A wrong current password is refused (403, not 401: the caller is authenticated).
    with pytest.raises(Forbidden):
        await service.change_password(alice, "wrong", "a brand new password")
    await service.change_password(alice, PASSWORD, "a brand new password")
    await service.authenticate("alice", "a brand new password")

    token, secret = await service.create_token("bob", PASSWORD, "Home Assistant")
    user, _token = await service.user_for_token(secret)
    assert user.id == bob.id
    with pytest.raises(Invalid):
        await service.create_token("bob", PASSWORD, "")
    with pytest.raises(NotFound):
        await service.revoke_token(alice, token.id)
    await service.revoke_token(admin, token.id)
    with pytest.raises(NotFound):
        await service.revoke_token(admin, token.id)
    with pytest.raises(Unauthorized):
        await service.user_for_token(secret)
    _token, secret = await service.issue_token(bob, "phone")
    await service.reset_password(admin, bob.id, "handed over password")
    with pytest.raises(Unauthorized):
        await service.user_for_token(secret)
    with pytest.raises(Invalid):
        await service.reset_password(admin, bob.id, "short")
    with pytest.raises(Conflict):
        await service.set_disabled(admin, admin.id, True)
    with pytest.raises(Conflict):
        await service.set_role(admin, admin.id, Role.PLAYER)
    promoted = await service.set_role(admin, bob.id, Role.ADMIN)
    assert promoted.is_admin
    with pytest.raises(NotFound):
        await service.get_user("nope")
    kpis = await service.kpis(await service.current_season())
    assert kpis["players"] == 1
    assert kpis["players_simplified"] == 1


def test_codec_round_trip_and_errors() -> None:
    user = User(username="a", display_name="A", password_hash="h", solar_kwc=3)
    record = to_record(user)
    assert record["role"] == "player"
    assert record["created_at"].endswith("+00:00")
    assert from_record(User, record) == user
    for broken in (
        {**record, "adults": "2"},
        {**record, "adults": True},
        {**record, "solar_kwc": "3"},
        {**record, "disabled": "yes"},
        {**record, "role": "king"},
        {**record, "created_at": "yesterday"},
        {**record, "username": None},
        {**record, "display_name": 5},
        {k: v for k, v in record.items() if k != "username"},
    ):
        with pytest.raises(CodecError):
            from_record(User, broken)
    with pytest.raises(CodecError):
        from_record(User, [])  # type: ignore[arg-type]
    season = Season(name="S", start=date(2026, 1, 1), end=date(2026, 2, 1))
    record = to_record(season)
    assert record["peak_windows"][0]["start"] == "18:00"
    assert from_record(Season, record) == season
    with pytest.raises(CodecError):
        from_record(Season, {**record, "peak_windows": "18:00"})
    with pytest.raises(CodecError):
        from_record(Season, {**record, "settings": []})
    naive = from_record(Season, {**record, "created_at": "2026-01-01T00:00:00"})
    assert naive.created_at.tzinfo is not None


async def test_import_refuses_broken_records(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "game.db")
    await storage.open()
    try:
        document = await storage.export_data()
        document["users"] = [{"username": "x"}]
        with pytest.raises(StorageError, match="users"):
            await storage.import_data(document)
        document["users"] = "nope"
        with pytest.raises(StorageError):
            await storage.import_data(document)
    finally:
        await storage.close()
