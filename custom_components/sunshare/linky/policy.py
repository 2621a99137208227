"""Write-rate policy: when a new value of a Linky entity is written to the state machine.

The meter sends a frame every one to two seconds; writing every value would fill the
recorder of a Raspberry Pi. Each entity has a rate class:

* alerts and slow states (tariff period, colours, messages) are written at once on change;
* measurements (power, current, voltage) are written when they move by at least a
  deadband and the minimum interval has passed since the last write; smaller moves are
  written once the maximum interval has passed;
* energy indexes are written on change at most every index interval, and at the latest
  after the maximum interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Rate(StrEnum):
    """How often the value of an entity may be written."""

    ALERT = "alert"
    STATE = "state"
    MEASUREMENT = "measurement"
    INDEX = "index"


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """The configurable intervals and deadband (seconds and VA/W)."""

    power_interval: float = 5
    power_deadband: float = 100
    index_interval: float = 60
    max_interval: float = 600


type Value = str | int | float | datetime | bool | None


class WriteGate:
    """Remember the last value written by one entity and decide on the next one."""

    __slots__ = ("deadband", "last_time", "last_value", "rate", "written")

    def __init__(self, rate: Rate, deadband: float | None = None) -> None:
        """Gate values of a rate class; ``deadband`` None means the power deadband."""
        self.rate = rate
        self.deadband = deadband
        self.written = False
        self.last_value: Value = None
        self.last_time = 0.0

    def should_write(self, value: Value, now: float, policy: RatePolicy) -> bool:
        """Return whether ``value`` must be written now (and record it if so)."""
        if self.written and value == self.last_value:
            return False
        if self._due(value, now, policy):
            self.mark(value, now)
            return True
        return False

    def mark(self, value: Value, now: float) -> None:
        """Record that ``value`` was written at ``now``."""
        self.written = True
        self.last_value = value
        self.last_time = now

    def reset(self) -> None:
        """Forget the last write (the entity went unavailable)."""
        self.written = False

    def _due(self, value: Value, now: float, policy: RatePolicy) -> bool:
        """Return whether a changed value is due under this gate's rate class."""
        if not self.written or self.rate in (Rate.ALERT, Rate.STATE):
            return True
        elapsed = now - self.last_time
        if elapsed >= policy.max_interval:
            return True
        if self.rate is Rate.INDEX:
            return elapsed >= policy.index_interval
        if elapsed < policy.power_interval:
            return False
        previous = self.last_value
        if not isinstance(value, int | float) or not isinstance(previous, int | float):
            return True
        deadband = policy.power_deadband if self.deadband is None else self.deadband
        return abs(value - previous) >= deadband
