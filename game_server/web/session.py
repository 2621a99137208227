"""Browser sessions kept in an encrypted, authenticated cookie (AES-256-GCM).

The session is a small JSON object sealed with AES-GCM: the cookie value is
``base64url(nonce || ciphertext+tag)``; the issue time travels inside the sealed payload so
a stolen old cookie expires. Nothing readable or forgeable leaves the server. The key is
32 random bytes generated on first start and kept in the data directory (mode 0600).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, MutableMapping
import json
import logging
import os
from pathlib import Path
import secrets
import time
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LOGGER = logging.getLogger(__name__)

SECRET_FILE = "session.key"  # noqa: S105 - a file name, not a secret
KEY_BYTES = 32
NONCE_BYTES = 12
_AAD = b"sunshare-session-v1"
MAX_COOKIE_CHARS = 3800
"""Browsers keep about 4 KiB per cookie; a session never needs more."""


class SessionSecretError(RuntimeError):
    """The session secret file exists but cannot be used."""


def load_or_create_secret(data_dir: Path) -> bytes:
    """Return the session key of a data directory, creating it (mode 0600) if missing."""
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode("ascii") + "\n")
    LOGGER.info("Generated a new session key in %s", path)
    return key


def _read_secret(path: Path) -> bytes:
    """Return the key stored in an existing secret file (and tighten its mode)."""
    text = path.read_text(encoding="ascii").strip()
    try:
        key = base64.b64decode(text, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as err:
        raise SessionSecretError(f"{path} is not a valid session key") from err
    if len(key) != KEY_BYTES:
        raise SessionSecretError(f"{path} must hold {KEY_BYTES} bytes")
    if path.stat().st_mode & 0o077:
        LOGGER.warning("Restricting the permissions of %s to 0600", path)
        path.chmod(0o600)
    return key


class SessionCodec:
    """Seal and open session cookies with AES-GCM and a maximum age."""

    def __init__(
        self,
        key: bytes,
        *,
        max_age: float = 14 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Remember the key, the maximum age in seconds and the clock."""
        if len(key) != KEY_BYTES:
            raise ValueError(f"the session key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self.max_age = max_age
        self._clock = clock

    def seal(self, data: dict[str, Any]) -> str:
        """Return the cookie value holding a session."""
        payload = json.dumps(
            {"iat": int(self._clock()), "d": data}, separators=(",", ":")
        ).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, payload, _AAD)
        return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def open(self, value: str) -> dict[str, Any] | None:
        """Return the session of a cookie value, or None if forged, damaged or expired."""
        if not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) <= NONCE_BYTES:
            return None
        try:
            payload = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD)
            decoded = json.loads(payload)
        except (InvalidTag, ValueError):
            return None
        if not isinstance(decoded, dict):
            return None
        issued, data = decoded.get("iat"), decoded.get("d")
        if not isinstance(issued, int) or not isinstance(data, dict):
            return None
        age = self._clock() - issued
        if age > self.max_age or age < -60:
            return None
        return data


class Session(MutableMapping[str, Any]):
    """A request's session: a dict that remembers whether it changed."""

    def __init__(self, data: dict[str, Any] | None = None, *, new: bool = True) -> None:
        """Wrap the opened data."""
        self._data: dict[str, Any] = dict(data or {})
        self.new = new
        self.changed = False

    def __getitem__(self, key: str) -> Any:
        """Return a value."""
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        """Set a value and mark the session changed."""
        self._data[key] = value
        self.changed = True

    def __delitem__(self, key: str) -> None:
        """Delete a value and mark the session changed."""
        del self._data[key]
        self.changed = True

    def __iter__(self) -> Iterator[str]:
        """Iterate over the keys."""
        return iter(self._data)

    def __len__(self) -> int:
        """Return the number of keys."""
        return len(self._data)

    def clear(self) -> None:
        """Forget everything (log out) and mark the session changed."""
        self._data.clear()
        self.changed = True

    def as_dict(self) -> dict[str, Any]:
        """Return a copy of the data."""
        return dict(self._data)
