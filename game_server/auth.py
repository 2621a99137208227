"""Passwords (argon2id), per-device API tokens (stored hashed) and role checks."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from game_server.models import Membership, Role, Team, User

TOKEN_PREFIX = "ssg_"  # noqa: S105
_HASHER = PasswordHasher()
_dummy_hash: str | None = None


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
