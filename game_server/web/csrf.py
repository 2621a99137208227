"""Cross-site request forgery protection: one secret token per session, on every form.

The token is a random value kept in the (encrypted) session; every form carries it in a
hidden ``csrf_token`` field and every unsafe request to a page route must send it back.
"""

from __future__ import annotations

import hmac
import secrets

from .session import Session

FIELD = "csrf_token"
_SESSION_KEY = "csrf"


def csrf_token(session: Session) -> str:
    """Return the session's CSRF token, creating one if needed."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


def csrf_valid(session: Session, submitted: str | None) -> bool:
    """Return whether a submitted token matches the session's (constant time)."""
    expected = session.get(_SESSION_KEY)
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
