"""Data sent to and read from the game server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

GAME_TIME_ZONE = ZoneInfo("Europe/Paris")
"""The game's days are Paris calendar days, whatever Home Assistant's time zone."""
SLOT = timedelta(minutes=30)


def game_day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return a game day's start and end (local midnights, Europe/Paris) in UTC."""
    start = datetime.combine(day, time(), GAME_TIME_ZONE).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), GAME_TIME_ZONE)
    return start, end.astimezone(UTC)


def game_day_half_hours(day: date) -> int:
    """Return the half-hours a game day's slots must hold: 48, 46 or 50 (clock changes)."""
    start, end = game_day_bounds(day)
    return int((end - start) / SLOT)


def game_today(now: datetime) -> date:
    """Return the game day an aware instant falls in."""
    return now.astimezone(GAME_TIME_ZONE).date()


def _rounded(values: tuple[float | None, ...]) -> list[float | None]:
    """Return half-hour values rounded to 0.1 Wh (float noise around zero dropped)."""
    return [None if value is None else round(value, 4) + 0.0 for value in values]


@dataclass(frozen=True, kw_only=True, slots=True)
class DailyReading:
    """A household's energy for one local day (kWh), with optional half-hours."""

    day: date
    import_kwh: float
    export_kwh: float = 0.0
    production_kwh: float = 0.0
    battery_charge_kwh: float | None = None
    battery_discharge_kwh: float | None = None
    import_slots: tuple[float | None, ...] | None = None
    export_slots: tuple[float | None, ...] | None = None
    t_mean_c: float | None = None
    source: str = "local"

    def __post_init__(self) -> None:
        """Refuse half-hours that are not the game day's real count (46/48/50)."""
        expected = game_day_half_hours(self.day)
        for name in ("import_slots", "export_slots"):
            slots = getattr(self, name)
            if slots is not None and len(slots) != expected:
                msg = (
                    f"{name} of {self.day} must hold {expected} half-hours "
                    f"(Europe/Paris day), not {len(slots)}"
                )
                raise ValueError(msg)

    def as_json(self) -> dict[str, Any]:
        """Return the body of ``PUT /api/v1/readings/{day}``."""
        body: dict[str, Any] = {
            "import_kwh": round(self.import_kwh, 4),
            "export_kwh": round(self.export_kwh, 4),
            "production_kwh": round(self.production_kwh, 4),
            "source": self.source,
        }
        for key in ("battery_charge_kwh", "battery_discharge_kwh", "t_mean_c"):
            if (value := getattr(self, key)) is not None:
                body[key] = round(value, 4)
        if self.import_slots is not None:
            body["slots"] = {
                "import": _rounded(self.import_slots),
                "export": (
                    None if self.export_slots is None else _rounded(self.export_slots)
                ),
            }
        return body

    @classmethod
    def from_json(cls, day: date, body: dict[str, Any]) -> DailyReading:
        """Return the day an ``as_json`` body describes (ValueError when malformed)."""
        try:
            slots = body.get("slots") or {}
            return cls(
                day=day,
                import_kwh=float(body["import_kwh"]),
                export_kwh=float(body.get("export_kwh") or 0.0),
                production_kwh=float(body.get("production_kwh") or 0.0),
                battery_charge_kwh=_number(body.get("battery_charge_kwh")),
                battery_discharge_kwh=_number(body.get("battery_discharge_kwh")),
                import_slots=_slots(slots.get("import")),
                export_slots=_slots(slots.get("export")),
                t_mean_c=_number(body.get("t_mean_c")),
                source=str(body.get("source") or "local"),
            )
        except (AttributeError, KeyError, TypeError) as err:
            raise ValueError(f"not a reading of {day}: {err}") from err


def _number(value: Any) -> float | None:
    """Return an optional number of a JSON body."""
    return None if value is None else float(value)


def _slots(values: Any) -> tuple[float | None, ...] | None:
    """Return optional half-hour values of a JSON body."""
    if values is None:
        return None
    return tuple(None if value is None else float(value) for value in values)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReadingResult:
    """What the game server did with one day of a bulk upload."""

    day: date
    result: str
    """``created``, ``replaced``, ``unchanged`` or ``error`` (refused, not stored)."""
    code: str | None = None
    """The refusal's error code (``slot_count``, ``day_too_old``…)."""
    message: str | None = None

    @property
    def refused(self) -> bool:
        """Return whether the server refused the day (sending it again won't help)."""
        return self.result == "error"


@dataclass(frozen=True, kw_only=True, slots=True)
class ShedEvent:
    """A shedding event reported by the relay (idempotent by its client id)."""

    id: str
    start: datetime
    end: datetime
    declared_w: float
    measured_w: float | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the body of ``POST /api/v1/shedding-events``."""
        return {
            "id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "declared_w": self.declared_w,
            "measured_w": self.measured_w,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class PeakEvent:
    """A peak announced by the game (or one of the season's peak windows)."""

    id: str
    start: datetime
    end: datetime
    multiplier: float
    title: str
    """The admins' note about the peak (``Peak event`` when there is none)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PeakEvent:
        """Build a peak event from the API's JSON."""
        return cls(
            id=str(data["id"]),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            multiplier=float(data.get("multiplier", 3)),
            title=str(data.get("title") or data.get("note") or "Peak event"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogueAction:
    """An action of the game's catalogue the player can declare."""

    id: str
    level: int
    recurring: bool
    """Declared once a week (else once a season)."""
    titles: dict[str, str]
    """Title by language (``fr``, ``en``)."""
    declared: bool = False
    """Already declared this season."""
    declared_this_week: bool = False
    base_points: float = 0.0
    """Points of a confirmed declaration; negative when declaring it costs points."""
    malus: bool = False
    """Declaring this action costs points (the server's flag, else base_points < 0)."""

    def title(self, language: str) -> str:
        """Return the title in a language, else in English, else the id."""
        for key in (language, language.split("-", maxsplit=1)[0], "en"):
            if text := self.titles.get(key):
                return text
        return self.id

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogueAction:
        """Build a catalogue action from the API's JSON."""
        titles = data.get("title")
        base_points = float(data.get("base_points") or 0)
        malus = data.get("malus")
        return cls(
            id=str(data["id"]),
            level=int(data.get("level") or 0),
            recurring=bool(data.get("recurring")),
            titles={
                str(language): str(text)
                for language, text in (
                    titles if isinstance(titles, dict) else {}
                ).items()
                if text
            },
            declared=bool(data.get("declared")),
            declared_this_week=bool(data.get("declared_this_week")),
            base_points=base_points,
            malus=malus if isinstance(malus, bool) else base_points < 0,
        )
