"""Where a page may send the browser back to: only paths of this site.

Every redirect to a target the visitor chose (``?next=`` of the language switch) goes
through ``same_site_path``. Browsers are lenient with URLs: they drop tabs and line breaks
anywhere (``/<TAB>/evil.example`` becomes ``//evil.example``, another host), trim
surrounding spaces and controls, read a backslash as ``/`` and ``https:evil.example`` as an
absolute URL. So a target is refused — not cleaned — when it holds a control, format,
white space or backslash character, or when it or any percent-decoded form of it (for
whatever decodes it again) holds a control or a backslash, does not start with exactly one
``/``, or has a scheme or a host. What passes is sent percent-encoded (ASCII only).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit

MAX_TARGET_CHARS = 2000
_DECODE_ROUNDS = 4
"""Percent-decoded forms checked (``%252F`` is ``%2F`` once decoded, ``/`` twice)."""
_SAFE = "/?&=#%;:@!$'()*+,-._~"
"""Characters kept as they are when the target is sent (the rest is percent-encoded)."""


def _unsafe_char(ch: str) -> bool:
    """Return whether a character may change how a browser reads a URL."""
    # Cc controls, Cf formats (zero-width, bidi), Zs/Zl/Zp separators, and "\".
    return ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in "CZ"


def _leaves_site(text: str) -> bool:
    """Return whether a path-like text names another site (or is no path)."""
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return True
    try:
        parts = urlsplit(text)
    except ValueError:
        return True
    return bool(parts.scheme or parts.netloc)


def same_site_path(target: str | None) -> str | None:
    """Return a target as a path of this site to redirect to, or None when refused.

    The result starts with a single ``/``, holds printable ASCII only, and no browser
    reads a scheme or a host in it.
    """
    if not target or len(target) > MAX_TARGET_CHARS:
        return None
    if any(_unsafe_char(ch) for ch in target):
        return None
    form = target
    for _ in range(_DECODE_ROUNDS):
        # Decoded forms may hold spaces (``%20`` stays encoded on the way out), but no
        # control character, backslash or other host, should anything decode them.
        if _leaves_site(form) or any(
            unicodedata.category(ch) in {"Cc", "Cf"} for ch in form
        ):
            return None
        try:
            decoded = unquote(form, errors="strict")
        except UnicodeDecodeError:
            return None
        if decoded == form:
            break
        form = decoded
    else:
        return None  # still encoded after every round: nothing a page would link to
    return quote(target, safe=_SAFE)
