"""Passwords (argon2id), per-device API tokens (stored hashed) and role checks.

argon2 is slow on purpose (about 0.5 s and 64 MiB per hash with the default profile), so
the server never runs it on its event loop: ``hash_password_async`` and
``verify_password_async`` run it on a thread of its own (argon2 releases the GIL), at
most ``HASH_WORKERS`` at once per loop (a semaphore). A storm of sign-ins then waits for
its turn instead of freezing every other request, and never takes the threads of the
loop's pool that the storage and the scoring job use. Each thread ends with its hash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import hashlib
import secrets
import threading
import weakref

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from game_server.models import Membership, Role, Team, User

TOKEN_PREFIX = "ssg_"  # noqa: S105
HASH_WORKERS = 2
"""Password hashes computed at once, at most (each takes a CPU core and 64 MiB)."""
_HASHER = PasswordHasher()
_dummy_hash: str | None = None
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


class AuthError(Exception):
    """Authentication failed (wrong credentials, disabled account, bad token)."""


class PermissionDenied(Exception):  # noqa: N818
    """The authenticated account may not do this."""


def set_password_hasher(hasher: PasswordHasher) -> None:
    """Use other argon2 parameters (tests use a cheap profile; production the default)."""
    global _HASHER, _dummy_hash  # noqa: PLW0603
    _HASHER = hasher
    _dummy_hash = None


def _dummy() -> str:
    """Return a valid hash of a random password (made once).

    Verifying against it when an account does not exist takes as long as a real check, so
    timing does not reveal which usernames exist.
    """
    global _dummy_hash  # noqa: PLW0603
    if _dummy_hash is None:
        _dummy_hash = _HASHER.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether a password matches its hash (constant work when no hash)."""
    try:
        return _HASHER.verify(password_hash or _dummy(), password) and (
            password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def _off_loop[T](func: Callable[..., T], *args: object) -> T:
    """Run an argon2 call on a thread of its own, ``HASH_WORKERS`` at once at most.

    The turn is given back when the thread is done, not when the caller stops waiting:
    cancelled requests cannot pile up more hashes than ``HASH_WORKERS``.
    """
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        turns = _turns[loop] = asyncio.Semaphore(HASH_WORKERS)
    await turns.acquire()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        """Give the turn back and the result to the caller (on the loop)."""
        turns.release()
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        """Compute, then hand over to the loop."""
        result: T | None = None
        error: BaseException | None = None
        try:
            result = func(*args)
        except Exception as err:  # noqa: BLE001 - handed over to the caller
            error = err
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop is closed: nobody waits any more
            return

    thread = threading.Thread(target=work, name="argon2", daemon=True)
    try:
        thread.start()
    except BaseException:
        turns.release()
        raise
    try:
        return await future
    finally:
        if future.done() and not future.cancelled():
            thread.join()  # it has handed over: it is ending, join at once


async def hash_password_async(password: str) -> str:
    """Return the argon2id hash of a password, computed off the event loop."""
    return await _off_loop(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """Return whether a password matches its hash, checked off the event loop."""
    return await _off_loop(verify_password, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Return whether a hash uses outdated parameters."""
    return _HASHER.check_needs_rehash(password_hash)


def new_token() -> str:
    """Return a new random API token (shown once to the client)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the stored form of an API token (SHA-256; tokens are high-entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_invite_code() -> str:
    """Return a new team invite code (10 characters, no ambiguous letters)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def require_admin(user: User) -> None:
    """Raise PermissionDenied unless the account is an admin."""
    if user.role is not Role.ADMIN:
        raise PermissionDenied("admin role required")


def is_captain(user: User, team: Team) -> bool:
    """Return whether the account captains a team."""
    return team.captain_id == user.id


def require_captain_or_admin(user: User, team: Team) -> None:
    """Raise PermissionDenied unless the account captains the team or is an admin."""
    if not (is_captain(user, team) or user.role is Role.ADMIN):
        raise PermissionDenied("team captain or admin role required")


def can_view_team_private(
    user: User, team: Team, membership: Membership | None
) -> bool:
    """Return whether the account may see a team's private (member) views."""
    return user.role is Role.ADMIN or (
        membership is not None and membership.team_id == team.id
    )
