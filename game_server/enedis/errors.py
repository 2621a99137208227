"""Typed errors of the server's Data Connect client, with messages a player can act on.

They extend the integration's Enedis errors (``custom_components.sunshare.enedis``), so
code that catches :class:`EnedisError` catches these too.
"""

from __future__ import annotations

from custom_components.sunshare.enedis import (
    EnedisAuthError,
    EnedisError,
    EnedisRateLimitedError,
)


class ApplicationAuthError(EnedisError):
    """Enedis refused the server's client id/secret (``invalid_client``, ...)."""


class ConsentRevokedError(EnedisAuthError):
    """The consent was revoked or expired, or the player no longer holds the meter."""


class ConsentNotPropagatedError(EnedisError):
    """Enedis has not yet attached the meter to the consent; try again in a minute."""


class QuotaExceededError(EnedisRateLimitedError):
    """The server's Enedis quota (per second or per hour) is used up."""


class InvalidStateError(EnedisError):
    """A consent ``state`` or correction token is forged, expired or already used."""
