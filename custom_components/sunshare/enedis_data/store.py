"""Persistent state of an Enedis data entry (newest day, daily totals, backfill)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from custom_components.sunshare.const import DOMAIN

from .const import Direction

STORAGE_VERSION: Final = 1
KEEP_DAYS: Final = 14
"""Daily totals kept in the store (the statistics hold the full history)."""


@dataclass(slots=True)
class BackfillProgress:
    """Progress of a history import, saved after every chunk."""

    start: date
    end: date
    """End day, exclusive."""
    cursor: date
    """First day not imported yet."""
    status: str = "running"
    """``running``, ``waiting`` (retry after an error), ``done`` or ``failed``."""
    error: str | None = None
    requests: int = 0

    @property
    def percent(self) -> float:
        """Return the share of days imported, in percent."""
        total = (self.end - self.start).days
        if total <= 0:
            return 100.0
        return round(100 * (self.cursor - self.start).days / total, 1)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "cursor": self.cursor.isoformat(),
            "status": self.status,
            "error": self.error,
            "requests": self.requests,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackfillProgress:
        """Return the progress stored as ``data``."""
        return cls(
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            cursor=date.fromisoformat(data["cursor"]),
            status=data.get("status", "running"),
            error=data.get("error"),
            requests=int(data.get("requests", 0)),
        )


@dataclass(slots=True)
class EnedisState:
    """What an entry remembers across restarts."""

    last_day: date | None = None
    """Newest local day with data (any direction)."""
    totals: dict[Direction, dict[date, float]] = field(
        default_factory=lambda: {direction: {} for direction in Direction}
    )
    """Energy in Wh of the most recent days, per direction."""
    available: dict[Direction, bool] = field(
        default_factory=lambda: dict.fromkeys(Direction, True)
    )
    """False once the gateway said the meter has no data in a direction."""
    load_curve: dict[Direction, bool] = field(
        default_factory=lambda: dict.fromkeys(Direction, True)
    )
    """False once the gateway said the load curve is not recorded."""
    backfill: BackfillProgress | None = None

    def add_totals(self, direction: Direction, totals: dict[date, float]) -> None:
        """Remember new daily totals and move ``last_day`` forward."""
        merged = self.totals[direction] | totals
        self.totals[direction] = dict(sorted(merged.items())[-KEEP_DAYS:])
        if totals and (self.last_day is None or max(totals) > self.last_day):
            self.last_day = max(totals)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "totals": {
                d.value: {day.isoformat(): wh for day, wh in days.items()}
                for d, days in self.totals.items()
            },
            "available": {d.value: v for d, v in self.available.items()},
            "load_curve": {d.value: v for d, v in self.load_curve.items()},
            "backfill": self.backfill.as_dict() if self.backfill else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnedisState:
        """Return the state stored as ``data`` (unknown keys ignored)."""
        state = cls()
        if last := data.get("last_day"):
            state.last_day = date.fromisoformat(last)
        for direction in Direction:
            days = data.get("totals", {}).get(direction.value, {})
            state.totals[direction] = {
                date.fromisoformat(day): float(wh) for day, wh in days.items()
            }
            state.available[direction] = bool(
                data.get("available", {}).get(direction.value, True)
            )
            state.load_curve[direction] = bool(
                data.get("load_curve", {}).get(direction.value, True)
            )
        if backfill := data.get("backfill"):
            state.backfill = BackfillProgress.from_dict(backfill)
        return state


class EnedisStore:
    """Load and save the :class:`EnedisState` of one entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store of an entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.enedis.{entry_id}"
        )

    async def async_load(self) -> EnedisState:
        """Return the saved state, or a fresh one."""
        data = await self._store.async_load()
        return EnedisState.from_dict(data) if data else EnedisState()

    async def async_save(self, state: EnedisState) -> None:
        """Save the state now."""
        await self._store.async_save(state.as_dict())

    async def async_remove(self) -> None:
        """Delete the saved state (the entry was removed)."""
        await self._store.async_remove()
