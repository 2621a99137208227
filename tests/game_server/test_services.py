"""The service layer: registration, teams, roles, admin operations and the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import mongomock
import pytest

from game_server.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from game_server.models import Role, User, Verification
from game_server.services import GameService
from game_server.storage import Storage
from game_server.storage.mongo import MongoStorage
from game_server.storage.sqlite import SQLiteStorage

from .helpers import PASSWORD, add_season, clock, registration


@pytest.fixture(params=["sqlite", "mongomock"])
async def service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[GameService]:
    """Yield a service over each backend, with a season and the catalogue."""
    storage: Storage
    if request.param == "sqlite":
        storage = SQLiteStorage(tmp_path / "game.db")
    else:
        storage = MongoStorage(client=mongomock.MongoClient(), database="services")
    await storage.open()
    service = GameService(storage, clock)
    await service.seed_catalogue()
    await add_season(service, team_size_limit=2)
    yield service
    await storage.close()


async def make_admin(service: GameService) -> User:
    """Register an admin."""
    return await service.register(registration("root"), role=Role.ADMIN)


async def test_registration_rules(service: GameService) -> None:
    alice = await service.register(registration("Alice", "1234 5678 9012 34"))
    assert alice.username == "alice"
    assert alice.prm == "12345678901234"
    assert alice.password_hash.startswith("$argon2id$")
    with pytest.raises(Conflict) as err:
        await service.register(registration("bob", "12345678901234"))
    assert err.value.code == "prm_taken"
    assert "already registered to another account" in err.value.message
    with pytest.raises(Conflict) as err:
        await service.register(registration("ALICE"))
    assert err.value.code == "username_taken"
    for bad, field in (
        (registration("x"), "username"),
        (registration("carol", "123"), "prm"),
    ):
        with pytest.raises(Invalid) as invalid:
            await service.register(bad)
        assert invalid.value.field == field
    weak = registration("carol")
    weak.password = "short"
    with pytest.raises(Invalid):
        await service.register(weak)
    crowded = registration("dave")
    crowded.adults = 0
    with pytest.raises(Invalid) as invalid:
        await service.register(crowded)
    assert invalid.value.field == "adults"
    assert (await service.authenticate("ALICE", PASSWORD)).id == alice.id
    with pytest.raises(Unauthorized):
        await service.authenticate("alice", "wrong password")
    with pytest.raises(Unauthorized):
        await service.authenticate("nobody", PASSWORD)


async def test_teams_size_limit_and_one_team_per_season(service: GameService) -> None:
    alice, bob, carol = [
        await service.register(registration(n)) for n in ("alice", "bob", "carol")
    ]
    team = await service.create_team(alice, "Les Watts")
    assert team.captain_id == alice.id
    with pytest.raises(Conflict) as err:
        await service.create_team(alice, "Second")
    assert err.value.code == "already_in_team"
    with pytest.raises(Conflict) as err:
        await service.create_team(bob, "les watts")
    assert err.value.code == "team_name_taken"
    with pytest.raises(NotFound):
        await service.join_team(bob, "WRONGCODE")
    await service.join_team(bob, team.invite_code.lower())
    with pytest.raises(Conflict) as err:
        await service.join_team(bob, team.invite_code)
    assert err.value.code == "already_in_team"
    with pytest.raises(Conflict) as err:
        await service.join_team(carol, team.invite_code)
    assert err.value.code == "team_full"
    assert [u.username for u in await service.team_members(team)] == ["alice", "bob"]
    # The captain leaves: captaincy passes to the next member.
    await service.leave_team(alice)
    team = await service.get_team(team.id)
    assert team.captain_id == bob.id
    with pytest.raises(NotFound):
        await service.leave_team(alice)
    # The last member leaves: the team is gone.
    await service.leave_team(bob)
    with pytest.raises(NotFound):
        await service.get_team(team.id)


async def test_captain_removes_and_verifies(service: GameService) -> None:
    alice, bob = [await service.register(registration(n)) for n in ("alice", "bob")]
    team = await service.create_team(alice, "Les Watts")
    await service.join_team(bob, team.invite_code)
    declaration = await service.declare_action(bob, "heating_19c", date(2026, 11, 20))
    with pytest.raises(Forbidden):
        await service.verify_action(bob, declaration.id)
    verified = await service.verify_action(alice, declaration.id)
    assert verified.verification is Verification.VERIFIED
    assert verified.verified_by == alice.id
    with pytest.raises(Forbidden):
        await service.verify_action(alice, declaration.id, Verification.SENSOR)
    with pytest.raises(Forbidden):
        await service.remove_member(bob, team.id, alice.id)
    await service.remove_member(alice, team.id, bob.id)
    assert [u.id for u in await service.team_members(team)] == [alice.id]
    audit = await service.storage.list_audit()
    assert [a.action for a in audit] == [
        "team.remove_member",
        "action.verify",
        "season.create",
    ]


async def test_admin_operations_are_audited(service: GameService) -> None:
    admin = await make_admin(service)
    alice, bob, carol = [
        await service.register(registration(n, prm))
        for n, prm in (("alice", "11111111111111"), ("bob", None), ("carol", None))
    ]
    with pytest.raises(Forbidden):
        await service.set_disabled(alice, bob.id, True)
    await service.set_disabled(admin, bob.id, True)
    with pytest.raises(Forbidden):
        await service.authenticate("bob", PASSWORD)
    await service.set_disabled(admin, bob.id, False)
    password = await service.reset_password(admin, bob.id)
    assert (await service.authenticate("bob", password)).id == bob.id
    await service.set_prm_verified(admin, alice.id, True)
    with pytest.raises(Conflict):
        await service.set_prm_verified(admin, bob.id, True)
    red = await service.admin_create_team(admin, "Red")
    blue = await service.admin_create_team(admin, "Blue")
    await service.change_team(admin, alice.id, red.id)
    assert (await service.get_team(red.id)).captain_id == alice.id
    await service.change_team(admin, bob.id, blue.id)
    renamed = await service.rename_team(admin, blue.id, "Navy")
    assert renamed.name == "Navy"
    with pytest.raises(Conflict):
        await service.rename_team(admin, blue.id, "red")
    merged = await service.merge_teams(admin, blue.id, red.id)
    assert {u.id for u in await service.team_members(merged)} == {alice.id, bob.id}
    with pytest.raises(NotFound):
        await service.get_team(blue.id)
    with pytest.raises(Conflict):
        await service.change_team(admin, carol.id, red.id)
    await service.change_team(admin, alice.id, None, red.season_id)
    await service.delete_team(admin, red.id)
    assert await service.storage.list_memberships(season_id=red.season_id) == []
    actions = [a.action for a in await service.storage.list_audit()]
    assert actions[:12] == [
        "team.delete",
        "user.change_team",
        "team.merge",
        "team.rename",
        "user.change_team",
        "user.change_team",
        "team.create",
        "team.create",
        "user.verify_prm",
        "user.reset_password",
        "user.enable",
        "user.disable",
    ]
    assert all(
        a.actor_id == admin.id for a in (await service.storage.list_audit())[:12]
    )


def test_half_hours_follow_daylight_saving() -> None:
    from game_server.services import half_hours

    assert half_hours(date(2026, 11, 20)) == 48
    assert half_hours(date(2026, 3, 29)) == 46
    assert half_hours(date(2026, 10, 25)) == 50
