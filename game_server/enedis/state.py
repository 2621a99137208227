"""Short signed tokens: the consent ``state`` (≤ 100 characters) and PRM corrections.

A consent state is ``<user id>.<nonce>.<expiry>.<signature>`` (about 70 characters),
optionally followed by ``.<digit>``: in the Enedis sandbox the last digit of the state
selects the test customer. The signature is a truncated HMAC-SHA256 over the rest, so the
callback trusts the user id it carries without a session; each nonce is accepted once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
import hashlib
import hmac
import secrets
import time
from typing import Final

from .errors import InvalidStateError

MAX_STATE_LENGTH: Final = 100
STATE_TTL: Final = 3600.0
"""Seconds a player has to go through the Enedis consent page."""
CORRECTION_TTL: Final = 1800.0
"""Seconds a "use this meter instead" offer stays valid."""
_SIG_BYTES: Final = 16


def _b64(data: bytes) -> str:
    """Return unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _to36(number: int) -> str:
    """Return a non-negative integer in base 36."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


@dataclass(frozen=True, slots=True)
class ConsentState:
    """What a valid consent state carries."""

    user_id: str
    nonce: str
    expires: int
    test_client: int | None = None


class StateSigner:
    """Sign and check consent states and PRM-correction tokens."""

    def __init__(
        self,
        key: bytes,
        *,
        clock: Callable[[], float] = time.time,
        state_ttl: float = STATE_TTL,
    ) -> None:
        """Use ``key`` (secret bytes) and a wall clock in seconds."""
        self._key = key
        self._clock = clock
        self.state_ttl = state_ttl
        self._used: dict[str, int] = {}

    @classmethod
    def from_secret(
        cls,
        secret: str,
        *,
        clock: Callable[[], float] = time.time,
        state_ttl: float = STATE_TTL,
    ) -> StateSigner:
        """Derive the signing key from a server secret (e.g. the client secret)."""
        key = hashlib.sha256(b"sunshare-enedis-state\0" + secret.encode()).digest()
        return cls(key, clock=clock, state_ttl=state_ttl)

    def _sign(self, payload: str) -> str:
        """Return the truncated signature of ``payload``."""
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return _b64(digest[:_SIG_BYTES])

    def make_state(self, user_id: str, *, test_client: int | None = None) -> str:
        """Return a new consent state for ``user_id`` (sandbox: ending in a digit)."""
        if "." in user_id or not user_id:
            raise ValueError("A user id must be non-empty and contain no '.'")
        nonce = _b64(secrets.token_bytes(6))
        expires = int(self._clock() + self.state_ttl)
        payload = f"{user_id}.{nonce}.{_to36(expires)}"
        state = f"{payload}.{self._sign(payload)}"
        if test_client is not None:
            if not 0 <= test_client <= 9:
                raise ValueError("The sandbox test client is one digit (0 to 9)")
            state += f".{test_client}"
        if len(state) > MAX_STATE_LENGTH:
            raise ValueError(
                f"The consent state would be {len(state)} characters; Enedis accepts "
                f"{MAX_STATE_LENGTH}"
            )
        return state

    def read_state(self, state: str, *, consume: bool = True) -> ConsentState:
        """Return what a state carries, or raise :class:`InvalidStateError`."""
        invalid = InvalidStateError(
            "This consent link is invalid or has expired; start the meter "
            "verification again from your dashboard."
        )
        if not state or len(state) > MAX_STATE_LENGTH:
            raise invalid
        parts = state.split(".")
        test_client: int | None = None
        if len(parts) == 5 and parts[4].isdigit() and len(parts[4]) == 1:
            test_client = int(parts.pop())
        if len(parts) != 4:
            raise invalid
        user_id, nonce, expires36, signature = parts
        payload = f"{user_id}.{nonce}.{expires36}"
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise invalid
        try:
            expires = int(expires36, 36)
        except ValueError as err:
            raise invalid from err
        now = self._clock()
        if expires < now:
            raise invalid
        self._forget_expired(now)
        if nonce in self._used:
            raise InvalidStateError(
                "This consent link was already used; start the meter verification "
                "again from your dashboard."
            )
        result = ConsentState(user_id, nonce, expires, test_client)
        if consume:
            self.consume(result)
        return result

    def consume(self, state: ConsentState) -> None:
        """Mark a state as used: the same consent link is not accepted twice."""
        self._used[state.nonce] = state.expires

    def _forget_expired(self, now: float) -> None:
        """Drop used nonces whose state expired anyway."""
        for nonce in [n for n, exp in self._used.items() if exp < now]:
            del self._used[nonce]

    def make_correction(self, user_id: str, prm: str) -> str:
        """Return a token that lets ``user_id`` switch their PRM to ``prm``."""
        expires = _to36(int(self._clock() + CORRECTION_TTL))
        payload = f"fix.{user_id}.{prm}.{expires}"
        return f"{payload}.{self._sign(payload)}"

    def read_correction(self, token: str) -> tuple[str, str]:
        """Return ``(user id, PRM)`` of a valid correction token, or raise."""
        parts = token.split(".")
        invalid = InvalidStateError(
            "This offer to change your meter number has expired; verify your meter "
            "again."
        )
        if len(parts) != 5 or parts[0] != "fix":
            raise invalid
        payload = ".".join(parts[:4])
        if not hmac.compare_digest(parts[4], self._sign(payload)):
            raise invalid
        try:
            expires = int(parts[3], 36)
        except ValueError as err:
            raise invalid from err
        if expires < self._clock():
            raise invalid
        return parts[1], parts[2]
