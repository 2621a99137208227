"""Domain models of the game server: accounts, teams, seasons and the data players send.

Every model is a plain dataclass; identifiers are opaque strings (``new_id()``), days are
``date`` objects (local Europe/Paris calendar days) and instants are timezone-aware UTC
``datetime`` objects. ``game_server.codec`` turns them into JSON-ready records and back, for
both storage backends and for the export file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
import secrets
from typing import Any

DEFAULT_CHALLENGES = (
    "piggy_bank",
    "self_consumption",
    "sobriety",
    "actions",
    "shedding",
)


def new_id() -> str:
    """Return a new random identifier (32 hexadecimal characters)."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """Return the current instant in UTC, rounded to the microsecond."""
    return datetime.now(UTC)


class Role(StrEnum):
    """Global role of an account (captain is a per-team role, see ``Team.captain_id``)."""

    PLAYER = "player"
    ADMIN = "admin"


class Mode(StrEnum):
    """How a household takes part in the game."""

    FULL = "full"
    """Boxénergie / Home Assistant pushes daily data."""
    SIMPLIFIED = "simplified"
    """No Home Assistant: weekly meter index entry."""


class Verification(StrEnum):
    """How a declared action was confirmed (same values as the scoring rules)."""

    SELF = "self"
    VERIFIED = "verified"
    SENSOR = "sensor"


class ReadingSource(StrEnum):
    """Where a day's totals come from."""

    LOCAL = "local"
    ENEDIS = "enedis"
    INDEX = "index"


class EquipmentKind(StrEnum):
    """Equipment whose arrival re-baselines a household (same values as the rules)."""

    PV = "pv"
    BATTERY = "battery"
    EV = "ev"
    HEAT_PUMP = "heat_pump"


@dataclass(kw_only=True, slots=True)
class EquipmentChange:
    """A declared equipment change of a household: what arrived, and when."""

    kind: EquipmentKind
    day: date
    """Local day the equipment started being used."""
    note: str = ""


@dataclass(kw_only=True, slots=True)
class User:
    """A player or admin account with its household profile."""

    id: str = field(default_factory=new_id)
    username: str
    display_name: str
    password_hash: str
    role: Role = Role.PLAYER
    disabled: bool = False
    prm: str | None = None
    """Linky delivery point (14 digits); unique across accounts."""
    prm_verified: bool = False
    mode: Mode = Mode.FULL
    adults: int = 1
    """Occupants aged 14 and over."""
    children: int = 0
    """Occupants under 14."""
    electric_heating: bool = False
    electric_hot_water: bool = False
    solar_kwc: float = 0.0
    city: str | None = None
    postcode: str | None = None
    language: str = "fr"
    created_at: datetime = field(default_factory=utcnow)
    equipment_changes: list[EquipmentChange] = field(default_factory=list)
    """Declared equipment changes (the scoring re-baselines from their day)."""
    session_gen: int = 0
    """Raised to end every browser session of the account (sign-out, new password,
    disabled); a session cookie holds the value it was issued under."""

    @property
    def is_admin(self) -> bool:
        """Return whether the account has the admin role."""
        return self.role is Role.ADMIN


@dataclass(kw_only=True, slots=True)
class PeakWindow:
    """A recurring peak window in local time (e.g. weekdays 18:00–20:00, Nov–Mar)."""

    start: str
    """Local start time ``HH:MM``."""
    end: str
    """Local end time ``HH:MM``."""
    months: list[int] = field(default_factory=lambda: [11, 12, 1, 2, 3])
    weekdays: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    """Python weekdays (Monday = 0)."""


def default_peak_windows() -> list[PeakWindow]:
    """Return the spec's default peak window: weekdays 18:00–20:00, November to March."""
    return [PeakWindow(start="18:00", end="20:00")]


@dataclass(kw_only=True, slots=True)
class Season:
    """A game season: dates, enabled challenges, peak windows and settings."""

    id: str = field(default_factory=new_id)
    name: str
    start: date
    end: date
    challenges: list[str] = field(default_factory=lambda: list(DEFAULT_CHALLENGES))
    peak_windows: list[PeakWindow] = field(default_factory=default_peak_windows)
    team_size_limit: int = 6
    reference_window_days: int = 28
    """Readings may go back this many days before the season start (the reference)."""
    require_verified_prm: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    """Extra rule values (names of ``rules.SeasonSettings`` fields)."""
    created_at: datetime = field(default_factory=utcnow)

    def contains(self, day: date) -> bool:
        """Return whether a day is inside the season."""
        return self.start <= day <= self.end


@dataclass(kw_only=True, slots=True)
class Team:
    """A team of one season; its captain is one of its members."""

    id: str = field(default_factory=new_id)
    name: str
    invite_code: str
    captain_id: str | None
    season_id: str
    created_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class Membership:
    """A player's membership of a team (at most one team per season)."""

    team_id: str
    user_id: str
    season_id: str
    joined_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class DailyReading:
    """One household's energy for one local day, in kWh (one per user and day)."""

    user_id: str
    day: date
    import_kwh: float
    export_kwh: float = 0.0
    production_kwh: float = 0.0
    battery_charge_kwh: float | None = None
    battery_discharge_kwh: float | None = None
    import_slots: list[float | None] | None = None
    """Half-hour imports from local midnight (up to 48 values)."""
    export_slots: list[float | None] | None = None
    t_mean_c: float | None = None
    source: ReadingSource = ReadingSource.LOCAL
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class EnedisReading:
    """A household's certified Enedis day (one per user and day).

    It is kept beside the reading the household sent: neither ever overwrites the
    other, and the scoring job reconciles them (``rules.reconcile``).
    """

    user_id: str
    day: date
    import_kwh: float
    """Certified daily consumption drawn from the grid."""
    export_kwh: float | None = None
    """Certified daily injection, when fetched."""
    fetched_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class SheddingEvent:
    """A relay-on interval reported by a household (idempotent by its client id)."""

    id: str
    """Client-chosen UUID."""
    user_id: str
    start: datetime
    end: datetime
    declared_w: float
    measured_w: float | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class CatalogueAction:
    """An energy-saving action of the catalogue (editable by admins)."""

    id: str
    domain: str
    level: int
    base_points: float
    recurring: bool = False
    title_fr: str
    title_en: str
    enabled: bool = True

    @property
    def malus(self) -> bool:
        """Return whether declaring this action costs points (negative base points)."""
        return self.base_points < 0


@dataclass(kw_only=True, slots=True)
class ActionDeclaration:
    """A player's declaration of an action of the catalogue on a day."""

    id: str = field(default_factory=new_id)
    user_id: str
    action_id: str
    day: date
    evidence: str | None = None
    verification: Verification = Verification.SELF
    verified_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class MeterIndex:
    """A meter index typed in by a simplified-mode player (one per user and day)."""

    user_id: str
    day: date
    import_index_kwh: float
    """Cumulative grid import shown on the meter."""
    export_index_kwh: float | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class ApiToken:
    """A per-device API token; only its SHA-256 hash is stored."""

    id: str = field(default_factory=new_id)
    user_id: str
    device_name: str
    token_hash: str
    created_at: datetime = field(default_factory=utcnow)
    last_used_at: datetime | None = None


@dataclass(kw_only=True, slots=True)
class AuditEntry:
    """One admin (or captain) change, shown on the admin page."""

    id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=utcnow)
    actor_id: str | None
    """Who made the change (None for the command line)."""
    action: str
    """What was done, e.g. ``user.disable``, ``team.merge``."""
    target_type: str
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class PeakEvent:
    """A peak announced by the game admins for a season."""

    id: str = field(default_factory=new_id)
    season_id: str
    start: datetime
    end: datetime
    multiplier: float = 3.0
    note: str = ""
    created_at: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True, slots=True)
class ScoreEntry:
    """Points of one challenge for one month, as stored by the scoring job."""

    season_id: str
    user_id: str
    challenge: str
    month: str
    """``YYYY-MM``."""
    points: float
    card: dict[str, Any] = field(default_factory=dict)
    """The score card (``rules.ScoreCard.as_dict()``)."""
    computed_at: datetime = field(default_factory=utcnow)
