"""Data types of the scoring rules: inputs (profile, days, events, actions) and score cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Challenge(StrEnum):
    """The five challenges of a season; each has its own leaderboard."""

    PIGGY_BANK = "piggy_bank"
    SELF_CONSUMPTION = "self_consumption"
    SOBRIETY = "sobriety"
    ACTIONS = "actions"
    SHEDDING = "shedding"


class Verification(StrEnum):
    """How a declared action was confirmed (its points factor in ``VERIFICATION_FACTORS``)."""

    SELF = "self"
    VERIFIED = "verified"
    SENSOR = "sensor"


VERIFICATION_FACTORS: dict[Verification, float] = {
    Verification.SELF: 0.5,
    Verification.VERIFIED: 1.0,
    Verification.SENSOR: 1.5,
}


class Equipment(StrEnum):
    """Equipment whose arrival changes a household's consumption pattern."""

    PV = "pv"
    BATTERY = "battery"
    EV = "ev"
    HEAT_PUMP = "heat_pump"


# Which challenges an equipment change affects (they need a new reference after it).
AFFECTED_BY: dict[Equipment, frozenset[Challenge]] = {
    Equipment.PV: frozenset({Challenge.PIGGY_BANK, Challenge.SELF_CONSUMPTION}),
    Equipment.BATTERY: frozenset({Challenge.PIGGY_BANK, Challenge.SELF_CONSUMPTION}),
    Equipment.EV: frozenset({Challenge.SOBRIETY, Challenge.SELF_CONSUMPTION}),
    Equipment.HEAT_PUMP: frozenset({Challenge.SOBRIETY, Challenge.SELF_CONSUMPTION}),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class EquipmentChange:
    """A declared equipment change and the day it happened."""

    equipment: Equipment
    day: date


@dataclass(frozen=True, kw_only=True, slots=True)
class HouseholdProfile:
    """What the rules need to know about a household."""

    adults: int = 1
    """Occupants aged 14 and over (at least 1)."""
    children: int = 0
    """Occupants under 14."""
    electric_heating: bool = False
    electric_hot_water: bool = False
    solar_kwc: float = 0.0
    """Solar peak power in kWc (0 = no solar panels)."""
    simplified: bool = False
    """Simplified mode: no Home Assistant, weekly meter indexes or Enedis data only."""
    equipment_changes: tuple[EquipmentChange, ...] = ()

    @property
    def consumption_units(self) -> float:
        """Return the INSEE/OECD consumption units: 1 + 0.5 per extra adult + 0.3 per child."""
        return 1 + 0.5 * (max(self.adults, 1) - 1) + 0.3 * max(self.children, 0)

    @property
    def has_solar(self) -> bool:
        """Return whether the household has solar panels."""
        return self.solar_kwc > 0

    @property
    def segment(self) -> str:
        """Return the comparison segment: electric heating × electric hot water."""
        heating = "heating" if self.electric_heating else "no_heating"
        water = "hot_water" if self.electric_hot_water else "no_hot_water"
        return f"{heating}/{water}"


@dataclass(frozen=True, kw_only=True, slots=True)
class DayData:
    """One household's energy for one local (Europe/Paris) calendar day, in kWh."""

    day: date
    import_kwh: float | None
    """Drawn from the grid; None when the day's total is missing."""
    export_kwh: float = 0.0
    production_kwh: float = 0.0
    battery_charge_kwh: float = 0.0
    battery_discharge_kwh: float = 0.0
    import_slots: tuple[float | None, ...] | None = None
    """Half-hour imports from local midnight in real time order: 48 on ordinary days, 46 on
    the spring-forward day, 50 on the fall-back day (see ``slots``); None entries missing."""
    export_slots: tuple[float | None, ...] | None = None
    t_mean_c: float | None = None
    """Daily mean outdoor temperature (°C)."""
    source: str = "local"
    """Where the totals come from: ``local``, ``enedis`` or ``index`` (weekly entry)."""
    flagged: bool = False
    """Replaced by the Enedis value at reconciliation (see ``reconcile``)."""

    @property
    def consumption_kwh(self) -> float | None:
        """Return C = import + production − export + battery discharge − charge."""
        if self.import_kwh is None:
            return None
        return (
            self.import_kwh
            + self.production_kwh
            - self.export_kwh
            + self.battery_discharge_kwh
            - self.battery_charge_kwh
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SheddingEvent:
    """A relay-on interval reported by the household's integration."""

    id: str
    start: datetime
    end: datetime
    declared_w: float
    measured_w: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PeakEvent:
    """A peak announced by the game admins or signalled by the meter."""

    start: datetime
    end: datetime
    multiplier: float = 3.0


@dataclass(frozen=True, kw_only=True, slots=True)
class PeakWindow:
    """A recurring peak window in local time (e.g. weekdays 18:00–20:00, Nov–Mar)."""

    start: time
    end: time
    months: frozenset[int]
    weekdays: frozenset[int] = frozenset(range(5))
    """Python weekdays (Monday = 0)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class GreenWindow:
    """A recurring off-peak ("green") window in local time, in some months."""

    start: time
    end: time
    months: frozenset[int] = frozenset(range(1, 13))


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionDefinition:
    """An action of the catalogue."""

    id: str
    domain: str
    """heating, hot_water, appliances, lighting, cooling or envelope."""
    level: int
    """1 sobriety, 2 moderate investment, 3 equipment, 4 renovation."""
    base_points: float
    recurring: bool = False
    """Recurring actions earn points each confirmed week."""

    @property
    def malus(self) -> bool:
        """Return whether this is a malus action (negative points)."""
        return self.base_points < 0


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionRecord:
    """A household's declaration of an action (one per week for recurring actions)."""

    action_id: str
    day: date
    verification: Verification = Verification.SELF


DEFAULT_PEAK_WINDOWS = (
    PeakWindow(start=time(18), end=time(20), months=frozenset({11, 12, 1, 2, 3})),
)
DEFAULT_GREEN_WINDOWS = (
    GreenWindow(start=time(22), end=time(0)),
    GreenWindow(start=time(0), end=time(6)),
    GreenWindow(start=time(11), end=time(17), months=frozenset(range(4, 11))),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class SeasonSettings:
    """A season's dates, challenges and tunable rule values (defaults from the spec)."""

    start: date
    end: date
    challenges: frozenset[Challenge] = frozenset(Challenge)
    peak_windows: tuple[PeakWindow, ...] = DEFAULT_PEAK_WINDOWS
    peak_events: tuple[PeakEvent, ...] = ()
    green_windows: tuple[GreenWindow, ...] = DEFAULT_GREEN_WINDOWS
    valid_period_share: float = 0.8
    valid_slot_share: float = 0.9
    provisional_days: int = 7
    short_reference_days: int = 28
    min_weather_days: int = 14
    min_r2: float = 0.5
    degree_day_base_c: float = 18.0
    action_cap_share: float = 0.3
    index_trust_factor: float = 0.5
    co2_kg_per_kwh: float = 0.052
    target_reduction_pct: float = -8.0
    baseline_days: int = 10
    """Same-type days (weekday/weekend) without events for the shedding slot baseline."""
    max_shedding_minutes_per_day: int = 240


@dataclass(frozen=True, kw_only=True, slots=True)
class PeerAggregates:
    """Aggregates of other participants that the rules use (and nothing else of theirs)."""

    solar_yield: dict[str, float] = field(default_factory=dict)
    """Median daily solar yield (kWh per kWc per day) of the season's solar households,
    keyed by month ``YYYY-MM``; absent when fewer than 3 solar households report."""
    reference_solar_yield: dict[str, float] = field(default_factory=dict)
    """The same median over the reference days used for that month."""
    segment_consumption: dict[str, float] = field(default_factory=dict)
    """Median daily consumption per consumption unit (kWh/UC/day), keyed
    ``YYYY-MM|segment``."""
    team_temperature: dict[date, float] = field(default_factory=dict)
    """Median of the team's temperatures per day, for households without a sensor."""


@dataclass(kw_only=True, slots=True)
class ScoreCard:
    """Points of one challenge for one month, with everything used to compute them."""

    challenge: Challenge
    month: str
    points: float
    eligible: bool = True
    provisional: bool = False
    reason: str | None = None
    """Why the household has no points (``insufficient_data``, ``no_solar``, …)."""
    reference: dict[str, Any] = field(default_factory=dict)
    weather: dict[str, Any] = field(default_factory=dict)
    factors: dict[str, Any] = field(default_factory=dict)
    caps: list[str] = field(default_factory=list)
    data_quality: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the card as JSON-ready data."""
        return {
            "challenge": self.challenge.value,
            "month": self.month,
            "points": round(self.points, 2),
            "eligible": self.eligible,
            "provisional": self.provisional,
            "reason": self.reason,
            "reference": self.reference,
            "weather": self.weather,
            "factors": self.factors,
            "caps": list(self.caps),
            "data_quality": self.data_quality,
        }


def clamp(value: float, low: float, high: float) -> float:
    """Return value limited to [low, high]."""
    return max(low, min(high, value))


def month_key(day: date) -> str:
    """Return the ``YYYY-MM`` key of a day's month."""
    return f"{day.year:04d}-{day.month:02d}"
