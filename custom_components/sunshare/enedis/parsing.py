"""Parse gateway responses (v5 and Data Connect 2026 shapes) into normalised types.

Two body shapes are accepted for every measure:

* **v5** — ``{"meter_reading": {"reading_type": {"unit": "W", ...},
  "interval_reading": [{"value": "540", "date": "2026-03-29 01:30:00",
  "interval_length": "PT30M"}, ...]}}``; Conso API returns the ``meter_reading``
  object itself (unwrapped), which is accepted too.
* **DC2026** — ``{"idPrm": ..., "pas": "PT30M", "grandeur": [{"grandeurMetier": "CONS",
  "grandeurPhysique": "PA", "unite": "W", "points": [{"v": "4078",
  "d": "2026-09-29 00:30:00", "p": "PT30M", "n": "B"}]}]}``.

Values may be strings or numbers; ``null`` (or an empty string) is a missing value and
stays ``None``. Power values (``W``, ``kW``) are turned into energy (``Wh``) by
multiplying by the step; energy values (``Wh``, ``kWh``) are kept.

Load-curve labels are Europe/Paris wall-clock times with no offset that mark the
**end** of each interval. :func:`localize_end_labels` attaches Europe/Paris to each end
label first, then the caller subtracts the step in UTC; October's repeated labels
(02:00 and 02:30 on the day clocks go back) are resolved by order: the first occurrence
is summer time (CEST), the second winter time (CET).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
import re
from typing import Any, Final

from .errors import EnedisMalformedResponseError
from .models import PARIS, DailyValue, Interval, MaxPower

DEFAULT_STEP: Final = timedelta(minutes=30)

_DURATION_RE: Final = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?$"
)
_POWER_UNITS: Final = {"W": 1.0, "KW": 1000.0}
_ENERGY_UNITS: Final = {"WH": 1.0, "KWH": 1000.0}


def parse_duration(text: str) -> timedelta:
    """Return the step of an ISO 8601 duration (``PT30M``) or a number of seconds."""
    text = str(text).strip().upper()
    if text.isdigit():
        seconds = int(text)
        if seconds <= 0:
            raise EnedisMalformedResponseError(f"Invalid interval length {text!r}")
        return timedelta(seconds=seconds)
    match = _DURATION_RE.match(text)
    if match is None or not any(match.groupdict().values()):
        raise EnedisMalformedResponseError(f"Invalid interval length {text!r}")
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    step = timedelta(**parts)
    if step <= timedelta(0):
        raise EnedisMalformedResponseError(f"Invalid interval length {text!r}")
    return step


def parse_value(raw: object) -> float | None:
    """Return a number from a string or number value; ``None`` when missing."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise EnedisMalformedResponseError(f"Invalid measure value {raw!r}")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip().replace(",", ".")
        if not text or text.lower() in ("null", "none", "nan"):
            return None
        try:
            return float(text)
        except ValueError:
            pass
    raise EnedisMalformedResponseError(f"Invalid measure value {raw!r}")


def parse_local_datetime(text: object) -> datetime:
    """Return the naive local datetime of an Enedis label (``YYYY-MM-DD HH:MM:SS``)."""
    if not isinstance(text, str):
        raise EnedisMalformedResponseError(f"Invalid date {text!r}")
    try:
        value = datetime.fromisoformat(text.strip().replace("T", " "))
    except ValueError as err:
        raise EnedisMalformedResponseError(f"Invalid date {text!r}") from err
    if value.tzinfo is not None:
        # An explicit offset is honoured; return the Paris wall-clock time.
        return value.astimezone(PARIS).replace(tzinfo=None)
    return value


def parse_day(text: object) -> date:
    """Return the calendar day of a daily label (``YYYY-MM-DD``, time ignored)."""
    if not isinstance(text, str) or len(text.strip()) < 10:
        raise EnedisMalformedResponseError(f"Invalid date {text!r}")
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as err:
        raise EnedisMalformedResponseError(f"Invalid date {text!r}") from err


def localize_end_labels(labels: Sequence[datetime]) -> list[datetime]:
    """Return aware UTC instants for naive Paris end labels, resolving DST by order.

    A label that exists twice (October) is summer time the first time it appears and
    winter time the second time (or when the previous instant already passed it). A
    label that does not exist (March, e.g. 02:00) is read with the offset before the
    change, which is the instant Enedis means.
    """
    result: list[datetime] = []
    seen: set[datetime] = set()
    previous: datetime | None = None
    for label in labels:
        first = label.replace(tzinfo=PARIS, fold=0).astimezone(UTC)
        second = label.replace(tzinfo=PARIS, fold=1).astimezone(UTC)
        instant = first
        if first != second and (
            label in seen or (previous is not None and previous >= first)
        ):
            # Ambiguous and not the first occurrence: the second (CET) reading.
            # In a gap (March) fold=1 gives the later offset; keep fold=0 there.
            instant = max(first, second)
        seen.add(label)
        result.append(instant)
        previous = instant
    return result


def _as_mapping(payload: object, what: str) -> Mapping[str, Any]:
    """Return ``payload`` as a mapping or raise a malformed-response error."""
    if not isinstance(payload, Mapping):
        raise EnedisMalformedResponseError(f"Expected an object for {what}")
    return payload


def _as_list(payload: object, what: str) -> list[Any]:
    """Return ``payload`` as a list or raise a malformed-response error."""
    if not isinstance(payload, list):
        raise EnedisMalformedResponseError(f"Expected a list for {what}")
    return payload


class _RawPoint:
    """One point as read from either shape, before normalisation."""

    __slots__ = ("label", "step", "value")

    def __init__(self, label: object, value: object, step: object) -> None:
        """Store the raw label, value and step."""
        self.label = label
        self.value = value
        self.step = step


def _extract(
    payload: object, *, production: bool | None, quantities: Iterable[str]
) -> tuple[str, object, list[_RawPoint]]:
    """Return ``(unit, default step, points)`` from a v5 or DC2026 body."""
    body = _as_mapping(payload, "the response")
    if "meter_reading" in body:
        body = _as_mapping(body["meter_reading"], "meter_reading")
    if "interval_reading" in body:
        reading_type = body.get("reading_type") or {}
        unit = str(_as_mapping(reading_type, "reading_type").get("unit") or "")
        step = _as_mapping(reading_type, "reading_type").get("measuring_period")
        points = [
            _RawPoint(
                _as_mapping(item, "interval_reading").get("date"),
                item.get("value"),
                item.get("interval_length"),
            )
            for item in _as_list(body["interval_reading"], "interval_reading")
        ]
        return unit, step, points
    if "grandeur" in body:
        grandeurs = [
            _as_mapping(g, "grandeur") for g in _as_list(body["grandeur"], "grandeur")
        ]
        grandeur = _pick_grandeur(grandeurs, production, tuple(quantities))
        if grandeur is None:
            return "", body.get("pas"), []
        points = [
            _RawPoint(
                _as_mapping(item, "points").get("d"), item.get("v"), item.get("p")
            )
            for item in _as_list(grandeur.get("points", []), "points")
        ]
        return str(grandeur.get("unite") or ""), body.get("pas"), points
    raise EnedisMalformedResponseError(
        "The response has neither meter_reading nor grandeur"
    )


def _pick_grandeur(
    grandeurs: list[Mapping[str, Any]],
    production: bool | None,
    quantities: tuple[str, ...],
) -> Mapping[str, Any] | None:
    """Return the DC2026 ``grandeur`` that holds the wanted measure."""
    if production is not None:
        wanted = "PROD" if production else "CONS"
        matching = [
            g for g in grandeurs if str(g.get("grandeurMetier", wanted)) == wanted
        ]
        grandeurs = matching or grandeurs
    for grandeur in grandeurs:
        if str(grandeur.get("grandeurPhysique", "")).upper() in quantities:
            return grandeur
    return grandeurs[0] if grandeurs else None


def _energy_factor(unit: str, step: timedelta) -> float:
    """Return the factor that turns a value in ``unit`` over ``step`` into Wh."""
    key = unit.strip().upper()
    if key in _ENERGY_UNITS:
        return _ENERGY_UNITS[key]
    if key in _POWER_UNITS:
        return _POWER_UNITS[key] * step / timedelta(hours=1)
    raise EnedisMalformedResponseError(f"Unexpected unit {unit!r} for energy")


def parse_load_curve(
    payload: object, *, production: bool | None = None, default_unit: str = "W"
) -> list[Interval]:
    """Return the load-curve intervals of a v5 or DC2026 body, sorted by start."""
    unit, body_step, points = _extract(
        payload, production=production, quantities=("PA", "EA")
    )
    unit = unit or default_unit
    fallback = parse_duration(str(body_step)) if body_step else DEFAULT_STEP
    steps = [parse_duration(str(p.step)) if p.step else fallback for p in points]
    ends = localize_end_labels([parse_local_datetime(p.label) for p in points])
    by_start: dict[datetime, Interval] = {}
    for point, step, end in zip(points, steps, ends, strict=True):
        value = parse_value(point.value)
        energy = None if value is None else value * _energy_factor(unit, step)
        by_start[end - step] = Interval(start=end - step, end=end, energy_wh=energy)
    return [by_start[start] for start in sorted(by_start)]


def parse_daily(
    payload: object, *, production: bool | None = None, default_unit: str = "Wh"
) -> list[DailyValue]:
    """Return the daily energy values of a v5 or DC2026 body, sorted by day."""
    unit, _step, points = _extract(payload, production=production, quantities=("EA",))
    factor = _energy_factor(unit or default_unit, timedelta(days=1))
    by_day: dict[date, DailyValue] = {}
    for point in points:
        value = parse_value(point.value)
        day = parse_day(point.label)
        by_day[day] = DailyValue(day, None if value is None else value * factor)
    return [by_day[day] for day in sorted(by_day)]


def parse_max_power(payload: object) -> list[MaxPower]:
    """Return the daily maximum power of a v5 or DC2026 body, sorted by day."""
    unit, _step, points = _extract(payload, production=False, quantities=("PMA",))
    by_day: dict[date, MaxPower] = {}
    for point in points:
        value = parse_value(point.value)
        label = point.label
        at: datetime | None = None
        if isinstance(label, str) and len(label.strip()) > 10:
            local = parse_local_datetime(label)
            at = localize_end_labels([local])[0]
            day = local.date()
        else:
            day = parse_day(label)
        by_day[day] = MaxPower(day=day, power=value, at=at, unit=unit or "VA")
    return [by_day[day] for day in sorted(by_day)]
