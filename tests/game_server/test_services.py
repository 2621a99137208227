"""The service layer: registration, teams, roles, admin operations and the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from datetime import date
from pathlib import Path
import re
import unicodedata

from hypothesis import given, strategies as st
import mongomock
import pytest

from game_server.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from game_server.models import Membership, Role, Season, Team, User, Verification
from game_server.services import GameService, check_prm
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


async def test_only_the_current_captain_verifies(service: GameService) -> None:
    """A former team's captain can no longer confirm a player's actions (attack).

    Alice captains Bob's team; Bob leaves and joins Carol's team: Alice is refused, Carol
    may verify. Nobody but an admin may verify an action dated outside the current
    season.
    """
    alice, bob, carol = [
        await service.register(registration(n)) for n in ("alice", "bob", "carol")
    ]
    first = await service.create_team(alice, "Les Watts")
    await service.join_team(bob, first.invite_code)
    declaration = await service.declare_action(bob, "heating_19c", date(2026, 11, 20))
    await service.leave_team(bob)
    with pytest.raises(Forbidden, match="current team captain"):
        await service.verify_action(alice, declaration.id)
    second = await service.create_team(carol, "Les Ampères")
    await service.join_team(bob, second.invite_code)
    with pytest.raises(Forbidden):
        await service.verify_action(alice, declaration.id)
    verified = await service.verify_action(carol, declaration.id)
    assert verified.verified_by == carol.id
    # A declaration dated before the season cannot be confirmed by the captain.
    old = await service.declare_action(bob, "lids_on_pans", date(2026, 10, 20))
    with pytest.raises(Forbidden):
        await service.verify_action(carol, old.id)
    admin = await make_admin(service)
    assert (await service.verify_action(admin, old.id)).verified_by == admin.id


async def test_last_seasons_captain_cannot_verify(service: GameService) -> None:
    """Alice captained Bob's team last season; this season Bob plays alone (attack)."""
    alice, bob = [await service.register(registration(n)) for n in ("alice", "bob")]
    last = Season(name="Winter 2025", start=date(2025, 11, 1), end=date(2026, 3, 31))
    await service.storage.add_season(last)
    team = Team(
        name="Old Watts", invite_code="OLDWATTS", captain_id=alice.id, season_id=last.id
    )
    await service.storage.add_team(team)
    for player in (alice, bob):
        await service.storage.add_membership(
            Membership(team_id=team.id, user_id=player.id, season_id=last.id)
        )
    declaration = await service.declare_action(bob, "heating_19c", date(2026, 11, 20))
    with pytest.raises(Forbidden, match="current team captain"):
        await service.verify_action(alice, declaration.id)
    stored = await service.storage.get_action_declaration(declaration.id)
    assert stored is not None and stored.verification is Verification.SELF


FULLWIDTH = {ord("0") + n: 0xFF10 + n for n in range(10)}
ARABIC_INDIC = {ord("0") + n: 0x0660 + n for n in range(10)}


async def test_one_account_per_meter_whatever_the_digits(service: GameService) -> None:
    """A PRM is stored in its canonical 14 ASCII digits (attack: Unicode digits).

    Fullwidth digits (and no-break or ideographic spaces) fold onto the same meter, so
    a second account for it is refused; other scripts' digits are refused outright.
    """
    alice = await service.register(registration("alice", "12345678901234"))
    assert alice.prm == "12345678901234"
    for disguised in (
        "12345678901234".translate(FULLWIDTH),
        "1234\u00a05678\u30009012 34",
        "１２３４ ５６７８ ９０１２ ３４",
    ):
        with pytest.raises(Conflict) as err:
            await service.register(registration("bob", disguised))
        assert err.value.code == "prm_taken"
    for refused in ("12345678901234".translate(ARABIC_INDIC), "1234567890123\u0663"):
        with pytest.raises(Invalid) as invalid:
            await service.register(registration("bob", refused))
        assert invalid.value.field == "prm"
    bob = await service.register(registration("bob"))
    with pytest.raises(Conflict):
        await service.update_profile(bob, prm="12345678901234".translate(FULLWIDTH))
    carol = await service.register(
        registration("carol", "22516914714270".translate(FULLWIDTH))
    )
    assert carol.prm == "22516914714270"


@given(st.text(max_size=40))
def test_a_prm_is_fourteen_ascii_digits_or_refused(text: str) -> None:
    """Whatever comes in, the stored PRM is 14 ASCII digits or the input is refused."""
    accepted: str | None = None
    with contextlib.suppress(Invalid):
        accepted = check_prm(text)
    if accepted is not None:
        assert len(accepted) == 14 and accepted.isascii() and accepted.isdigit()
        assert check_prm(accepted) == accepted
    canonical = re.sub(r"[\s.-]", "", unicodedata.normalize("NFKC", text))
    assert (accepted is not None) == (
        len(canonical) == 14 and canonical.isascii() and canonical.isdigit()
    )


async def test_usernames_fold_compatibility_forms(service: GameService) -> None:
    """ＡＬＩＣＥ (fullwidth) is alice; Cyrillic look-alikes are refused (attack)."""
    alice = await service.register(registration("alice"))
    with pytest.raises(Conflict) as err:
        await service.register(registration("ａｌｉｃｅ"))
    assert err.value.code == "username_taken"
    assert (await service.authenticate("ＡＬＩＣＥ", PASSWORD)).id == alice.id
    for look_alike in ("\u0430lice", "alic\u0435", "\u03bflaf", "bob\u200b"):
        with pytest.raises(Invalid) as invalid:
            await service.register(registration(look_alike))
        assert invalid.value.field == "username"
    kelvin = await service.register(registration("\u212aate"))
    assert kelvin.username == "kate"


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
    from game_server.rules.slots import slot_count

    assert slot_count(date(2026, 11, 20)) == 48
    assert slot_count(date(2026, 3, 29)) == 46
    assert slot_count(date(2026, 10, 25)) == 50
