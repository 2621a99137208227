"""Typed errors of the Enedis metering-data library.

Every error carries a message a user can act on (``str(error)``), the Enedis or gateway
error ``code`` when one was returned, and the HTTP ``status`` when there was a response.

Hierarchy::

    EnedisError
    ├── EnedisAuthError               token refused, consent revoked/expired, not holder
    ├── EnedisNoDataError             nothing for this period (no_data_found, ...)
    │   └── LoadCurveNotActivatedError   load curve not recorded for this meter
    ├── EnedisRateLimitedError        429 / local quota; ``retry_after`` seconds
    ├── EnedisTransientError          5xx, network error, timeout (retry later)
    └── EnedisMalformedResponseError  the body is not what the API documents
"""

from __future__ import annotations

from typing import Final

CONSENT_REVOKED: Final = "ADAM-DC-0008"
"""403: no consent can be found (revoked or expired)."""
NOT_HOLDER: Final = "ADAM-DC-0007"
"""403: the customer is no longer the holder of the meter (moved house)."""
BEFORE_CONSENT: Final = "ADAM-DC-0009"
"""403: the period starts before the consent."""
UNKNOWN_PRM: Final = "STM-ERR-0000019"
"""404: unknown user or PRM."""
NO_DATA_FOUND: Final = "no_data_found"
NO_MEASURE: Final = "STM-ERR-0000020"
"""404: no measure found for this usage point."""
NO_COMMUNICATING_METER: Final = "STM-ERR-0000014"
"""No communicating meter, or load curve not activated."""
WRONG_DIRECTION: Final = "ADAM-ERR0069"
"""400: consumption asked for a production-only PRM, or the reverse."""
BEFORE_ACTIVATION: Final = "ADAM-ERR0123"
"""400: the period starts before the meter's last activation."""
API_NOT_SUBSCRIBED: Final = "900908"
"""403: the gateway's application is not subscribed to this API on DataHub."""
HISTORY_LIMIT_CODES: Final = ("ADAM-ERR0125", "ADAM-DC-0016")
"""400: the period starts beyond the history the API serves."""


class EnedisError(Exception):
    """Base error of the Enedis client; ``str()`` is a message a user can act on."""

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None
    ) -> None:
        """Store the message, the Enedis error code and the HTTP status."""
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class EnedisAuthError(EnedisError):
    """The gateway refused the token, or the consent is revoked/expired/not held.

    ``code`` is ``ADAM-DC-0008`` (consent revoked or expired), ``ADAM-DC-0007`` (not
    the holder any more), ``STM-ERR-0000019`` (unknown PRM for this token) or ``None``
    for a plain 401/403. The fix is always user action: new token or new consent.
    """


class EnedisNoDataError(EnedisError):
    """Enedis has no data for this meter and period (not a failure of the gateway)."""


class LoadCurveNotActivatedError(EnedisNoDataError):
    """The meter does not record its load curve (hourly recording is off)."""


class EnedisRateLimitedError(EnedisError):
    """Too many requests; try again after ``retry_after`` seconds (when known)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        """Store the message and the delay before the next attempt."""
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class EnedisTransientError(EnedisError):
    """The gateway or Enedis failed temporarily (5xx, network, timeout)."""


class EnedisMalformedResponseError(EnedisError):
    """The gateway answered with a body that cannot be read as metering data."""
