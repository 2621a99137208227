"""Pulse counting: energy, power from pulse intervals, missed pulses (no Home Assistant).

One counted edge is one pulse worth ``energy_per_pulse_wh``. Power comes from the kernel
timestamps of consecutive pulses; when pulses stop it decays: once the time since the
last pulse exceeds the last interval, power is at most one pulse's energy over that time.
A gap in the line sequence numbers means the kernel dropped events; as only the counted
edge is requested, each dropped event is a pulse, so it is counted (and reported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.sunshare.gpio import EdgeEvent

SECONDS_PER_HOUR = 3600.0


@dataclass(slots=True)
class PulseMeter:
    """The state of one pulse meter."""

    energy_per_pulse_wh: float
    energy_wh: float = 0.0
    """Energy counted, in Wh (restored across restarts, settable to a meter reading)."""
    pulses: int = 0
    """Pulses counted (missed ones included)."""
    missed: int = 0
    """Pulses the kernel dropped (detected from sequence number gaps)."""
    restored: bool = False
    last_seqno: int = 0
    last_pulse_ns: int | None = None
    """Kernel timestamp of the last pulse."""
    last_pulse_at: float | None = None
    """When the last pulse was received, in seconds on the caller's clock."""
    last_interval_s: float | None = None
    last_power_w: float | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change; return a function removing it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self) -> None:
        """Notify the listeners."""
        for listener in list(self._listeners):
            listener()

    def handle_event(self, event: EdgeEvent, received_at: float) -> None:
        """Count the pulse of an edge event received at ``received_at`` seconds."""
        missed = max(0, event.line_seqno - self.last_seqno - 1)
        self.last_seqno = max(self.last_seqno, event.line_seqno)
        pulses = 1 + missed
        self.missed += missed
        self.pulses += pulses
        self.energy_wh += pulses * self.energy_per_pulse_wh
        if self.last_pulse_ns is not None and event.timestamp_ns > self.last_pulse_ns:
            interval = (event.timestamp_ns - self.last_pulse_ns) / 1e9
            self.last_interval_s = interval / pulses
            self.last_power_w = (
                self.energy_per_pulse_wh * SECONDS_PER_HOUR / self.last_interval_s
            )
        self.last_pulse_ns = event.timestamp_ns
        self.last_pulse_at = received_at
        self._changed()

    def power_w(self, now: float) -> float | None:
        """Return the power at ``now`` seconds: measured, or decayed if pulses stopped.

        None until two pulses have given an interval.
        """
        if (
            self.last_power_w is None
            or self.last_interval_s is None
            or self.last_pulse_at is None
        ):
            return None
        elapsed = now - self.last_pulse_at
        if elapsed > self.last_interval_s:
            return self.energy_per_pulse_wh * SECONDS_PER_HOUR / elapsed
        return self.last_power_w

    def restore(self, energy_wh: float, pulses: int, missed: int) -> None:
        """Add the totals saved before a restart (once; pulses counted since are kept)."""
        if self.restored:
            return
        self.restored = True
        self.energy_wh += energy_wh
        self.pulses += pulses
        self.missed += missed
        self._changed()

    def set_total(self, energy_wh: float) -> None:
        """Set the energy to a meter reading (pulse counts are kept)."""
        self.restored = True
        self.energy_wh = energy_wh
        self._changed()

    def as_dict(self, now: float) -> dict[str, float | int | None]:
        """Return the state for diagnostics."""
        return {
            "energy_per_pulse_wh": self.energy_per_pulse_wh,
            "energy_wh": self.energy_wh,
            "pulses": self.pulses,
            "missed": self.missed,
            "last_seqno": self.last_seqno,
            "last_interval_s": self.last_interval_s,
            "power_w": self.power_w(now),
            "restored": self.restored,
        }
