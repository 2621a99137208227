"""A persistent outbox of uploads to the game server, with retries and backoff.

Nothing is queued in memory only: the owner saves ``as_data()`` after every change and
restores it at start, so pending uploads survive a restart. Items are keyed: putting an
item with a key already pending replaces it (a day re-sent after late statistics replaces
the older version instead of queueing both).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FIRST_DELAY = 30.0
MAX_DELAY = 3600.0


@dataclass(kw_only=True, slots=True)
class OutboxItem:
    """One pending upload."""

    key: str
    kind: str
    """``reading``, ``shedding_event`` or ``action``."""
    payload: dict[str, Any]
    attempts: int = 0
    next_try: float = 0.0
    last_error: str | None = None


class Outbox:
    """Pending uploads, oldest first, each retried with exponential backoff."""

    def __init__(self, data: list[dict[str, Any]] | None = None) -> None:
        """Restore the pending items saved by ``as_data``."""
        self._items: dict[str, OutboxItem] = {}
        for raw in data or []:
            item = OutboxItem(**raw)
            self._items[item.key] = item

    def __len__(self) -> int:
        """Return how many uploads are pending."""
        return len(self._items)

    def put(self, kind: str, key: str, payload: dict[str, Any]) -> None:
        """Queue an upload (replacing a pending one with the same key), due at once."""
        self._items.pop(key, None)
        self._items[key] = OutboxItem(key=key, kind=kind, payload=payload)

    def due(self, now: float) -> list[OutboxItem]:
        """Return the items whose retry time has come, oldest first."""
        return [item for item in self._items.values() if item.next_try <= now]

    def done(self, key: str) -> None:
        """Forget an item that was delivered (or refused for good)."""
        self._items.pop(key, None)

    def failed(
        self, key: str, now: float, error: str, retry_after: float | None = None
    ) -> float:
        """Schedule the next try of an item (30 s doubling to 1 h); return its delay."""
        item = self._items[key]
        item.attempts += 1
        delay: float = min(MAX_DELAY, FIRST_DELAY * 2.0 ** (item.attempts - 1))
        if retry_after is not None:
            delay = max(delay, retry_after)
        item.next_try = now + delay
        item.last_error = error
        return delay

    def retry_now(self) -> None:
        """Make every pending item due at once (after a restart, or the server is back)."""
        for item in self._items.values():
            item.next_try = 0.0

    def next_due(self) -> float | None:
        """Return when the earliest pending item is due (None when empty)."""
        return min((item.next_try for item in self._items.values()), default=None)

    def as_data(self) -> list[dict[str, Any]]:
        """Return the pending items as JSON-ready data."""
        return [asdict(item) for item in self._items.values()]
