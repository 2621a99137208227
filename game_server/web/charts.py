"""Server-side SVG charts: turn a series of (label, value) points into drawing data.

No markup is produced here; templates draw the SVG from these numbers, so every label is
escaped by Jinja2 like any other text.

A series may end with a period still in progress (the current month): its point or bar
is marked ``partial``, and a line chart reaches it by a separate dashed segment
(``partial_path``), so a month that has only begun does not read as a fall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math


@dataclass(frozen=True, slots=True)
class Point:
    """A plotted point in SVG coordinates, with its label and value."""

    x: float
    y: float
    label: str
    value: float
    partial: bool = False
    """The period is still in progress (its value is provisional)."""


@dataclass(frozen=True, slots=True)
class Tick:
    """A horizontal grid line and its value."""

    y: float
    value: float


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar (x, y, width, height in SVG units) with its label and value."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    negative: bool
    partial: bool = False
    """The period is still in progress (its value is provisional)."""


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything a template needs to draw a chart."""

    width: int
    height: int
    left: float
    bottom: float
    points: tuple[Point, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    zero_y: float
    path: str
    partial_path: str = ""
    """The dashed segment from the last complete point to the one in progress."""

    @property
    def empty(self) -> bool:
        """Return whether there is nothing to draw."""
        return not self.points and not self.bars

    @property
    def in_progress(self) -> Point | Bar | None:
        """Return the point or bar of the period in progress, if any."""
        partial_points = [point for point in self.points if point.partial]
        if partial_points:
            return partial_points[0]
        return next((bar for bar in self.bars if bar.partial), None)


def nice_step(span: float, count: int = 4) -> float:
    """Return a round grid step (1, 2 or 5 times a power of ten) covering a span."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return float(factor * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def _scale(
    values: Sequence[float], height: int, top: float, bottom: float
) -> tuple[float, float, float, tuple[Tick, ...]]:
    """Return the value range, its step and the ticks for a plot area."""
    low = min(0.0, *values)
    high = max(0.0, *values)
    if high == low:
        high = low + 1.0
    step = nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    plot = bottom - top
    ticks = []
    value = low
    while value <= high + step / 2:
        ticks.append(
            Tick(y=round(bottom - (value - low) / (high - low) * plot, 2), value=value)
        )
        value += step
    return low, high, step, tuple(ticks)


def build_chart(
    series: Sequence[tuple[str, float]],
    *,
    width: int = 600,
    height: int = 220,
    kind: str = "line",
    last_in_progress: bool = False,
) -> Chart:
    """Return a line or bar chart of labelled values.

    With ``last_in_progress`` the last value is a period that has not ended yet: it is
    drawn apart (``partial``), never as the end of the line.
    """
    left, right, top, bottom = 44.0, 8.0, 10.0, float(height - 24)
    if not series:
        return Chart(width, height, left, bottom, (), (), (), bottom, "")
    values = [float(v) for _, v in series]
    low, high, _step, ticks = _scale(values, height, top, bottom)
    plot_w = width - left - right

    def y_of(value: float) -> float:
        """Return the SVG y of a value."""
        return round(bottom - (value - low) / (high - low) * (bottom - top), 2)

    zero_y = y_of(0.0)
    if kind == "bar":
        slot = plot_w / len(series)
        bar_w = min(max(slot * 0.7, 1.0), 80.0)
        bars = []
        for index, (label, value) in enumerate(series):
            y = y_of(value)
            bars.append(
                Bar(
                    x=round(left + index * slot + (slot - bar_w) / 2, 2),
                    y=min(y, zero_y),
                    width=round(bar_w, 2),
                    height=round(abs(zero_y - y), 2),
                    label=label,
                    value=value,
                    negative=value < 0,
                    partial=last_in_progress and index == len(series) - 1,
                )
            )
        return Chart(width, height, left, bottom, (), tuple(bars), ticks, zero_y, "")
    count = len(series)
    points = tuple(
        Point(
            x=round(
                left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2), 2
            ),
            y=y_of(value),
            label=label,
            value=value,
            partial=last_in_progress and index == count - 1,
        )
        for index, (label, value) in enumerate(series)
    )
    complete = [p for p in points if not p.partial]
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{p.x:g},{p.y:g}" for i, p in enumerate(complete)
    )
    partial_path = ""
    if complete and len(complete) < count:
        start, end = complete[-1], points[-1]
        partial_path = f"M{start.x:g},{start.y:g} L{end.x:g},{end.y:g}"
    return Chart(
        width, height, left, bottom, points, (), ticks, zero_y, path, partial_path
    )
