"""Errors of the game server client, each with a message a user can act on."""

from __future__ import annotations


class GameError(Exception):
    """Base class of the game client's errors."""

    code: str = "error"
    status: int | None = None
    """The server's HTTP status (None when no answer came)."""

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None
    ) -> None:
        """Keep the message, the server's error code and HTTP status."""
        super().__init__(message)
        if code is not None:
            self.code = code
        self.status = status


class GameConnectionError(GameError):
    """The game server cannot be reached, or answered with a server error (retry later)."""

    code = "cannot_connect"


class GameAuthError(GameError):
    """The password or the API token was refused (sign in again)."""

    code = "invalid_auth"


class GameValidationError(GameError):
    """The server refused the data (it says why); re-sending the same data won't help."""

    code = "invalid_data"


class GameRateLimitedError(GameConnectionError):
    """Too many requests: retry after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        """Keep how long to wait."""
        super().__init__(message)
        self.retry_after = retry_after
