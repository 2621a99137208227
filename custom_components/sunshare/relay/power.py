"""Time-weighted mean of a power signal sampled at its state changes (no HA imports).

A power entity only reports changes: between two changes its value holds. The mean over
a window is therefore weighted by how long each value held within the window. Gaps
(``None``: unknown or unavailable) count neither in the sum nor in the covered time.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(slots=True)
class PowerSeries:
    """Samples ``(time, watts)`` of a power signal, oldest first, times in seconds."""

    retention: float = 300.0
    """How long samples are kept (seconds); only the last one older than that stays."""
    times: list[float] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)

    def add(self, at: float, watts: float | None) -> None:
        """Record that the signal took a value (None: unknown) at a time."""
        if self.times and at < self.times[-1]:
            at = self.times[-1]  # out-of-order: keep the series monotonic
        if self.times and at == self.times[-1]:
            self.values[-1] = watts
        else:
            self.times.append(at)
            self.values.append(watts)
        self._prune(at - self.retention)

    def _prune(self, before: float) -> None:
        """Forget samples older than ``before`` except the one holding at that time."""
        keep_from = bisect_right(self.times, before) - 1
        if keep_from > 0:
            del self.times[:keep_from]
            del self.values[:keep_from]

    def mean(self, start: float, end: float) -> float | None:
        """Return the time-weighted mean over ``[start, end]``, None without data."""
        if end <= start or not self.times:
            return None
        total = 0.0
        covered = 0.0
        index = max(bisect_right(self.times, start) - 1, 0)
        for position in range(index, len(self.times)):
            seg_start = max(self.times[position], start)
            seg_end = (
                self.times[position + 1] if position + 1 < len(self.times) else end
            )
            seg_end = min(seg_end, end)
            if seg_end <= seg_start:
                if self.times[position] >= end:
                    break
                continue
            value = self.values[position]
            if value is not None:
                total += value * (seg_end - seg_start)
                covered += seg_end - seg_start
        return total / covered if covered > 0 else None
