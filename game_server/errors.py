"""Errors of the service layer; the API turns them into ``{error, message}`` JSON."""

from __future__ import annotations


class GameError(Exception):
    """A refused request: HTTP status, machine code and a clear message."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None
    ) -> None:
        """Store the message, the offending field and an optional specific code."""
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class BadRequest(GameError):  # noqa: N818
    """The request is malformed (not JSON, wrong shape)."""


class Unauthorized(GameError):  # noqa: N818
    """Missing or wrong credentials."""

    status = 401
    code = "unauthorized"


class Forbidden(GameError):  # noqa: N818
    """Authenticated, but not allowed."""

    status = 403
    code = "forbidden"


class NotFound(GameError):  # noqa: N818
    """The target does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class Conflict(GameError):  # noqa: N818
    """The change clashes with stored data (PRM already used, team full...)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(GameError):  # noqa: N818
    """The request body is over the size limit."""

    status = 413
    code = "payload_too_large"


class Invalid(GameError):  # noqa: N818
    """A field has a wrong type or value."""

    status = 422
    code = "invalid"


class TooManyRequests(GameError):  # noqa: N818
    """Rate limited; ``retry_after`` seconds until the next try may succeed."""

    status = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, *, retry_after: int = 60, code: str | None = None
    ) -> None:
        """Store the message and the delay before retrying."""
        super().__init__(message, code=code)
        self.retry_after = retry_after
