"""Parse the CSV files households download from their Enedis account.

Supported layouts (``;`` separated; UTF-8 with or without BOM, or Windows-1252):

1. **"Mes données" export** (the long-standing format)::

       Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;
           Grandeur metier;Etape metier;Unite;Pas en minutes
       12345678901234;Courbe de charge;01/09/2025;21/08/2026;Energie active;
           Consommation;Comptage Brut;W;30
       (blank line)
       Horodate;Valeur
       2025-09-01T00:30:00+02:00;270

   ``Type de donnees`` is ``Courbe de charge`` (load curve) or a daily type
   (``Consommation quotidienne``, ``Production quotidienne``, ``Energie ...``);
   ``Grandeur metier`` says consumption or production.
2. **"Mes mesures" table** — every row carries its metadata::

       Date de la mesure;Heure de la mesure;Valeur;Statut de la mesure;PRM;
           Type de données;Date de début;Date de fin;Grandeur métier;
           Grandeur physique;Statut demandé;Unité;Pas en minutes
       05/01/2026;00:30;1200;Réelle;12345678901234;Courbe de charge;...;W;30

3. **Two columns** with the unit in the header: ``Date;Valeur (en Wh)``,
   ``Date;Consommation (en kWh)``, ``horodate ISO fin de pas;puissance moyenne (W)``.

Assumptions (documented in ``docs/enedis.md``): load-curve time stamps mark the **end**
of each step, like the API (an explicit offset is honoured; naive Paris times are
resolved like API labels, repeated October labels by order); a daily row's date (or
the local date of its time stamp) is the day measured; power units (W, kW) are
multiplied by the step, energy units (Wh, kWh) kept; an empty value is missing
(``None``), never zero; decimal commas are accepted. The step comes from ``Pas en
minutes`` or else from the most common gap between time stamps. Index exports
(``EAS F1 ...``) and maximum-power exports are refused with a clear error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import io
from itertools import pairwise
import re
from typing import Final, Literal
import unicodedata

from .errors import EnedisError
from .models import PARIS, DailyValue, Interval
from .parsing import localize_end_labels

CsvKind = Literal["load_curve", "daily"]

_TIME_COLUMNS: Final = (
    "horodate",
    "date",
    "date de la mesure",
    "horodate iso fin de pas",
    "date et heure",
    "debut",
)
_HOUR_COLUMNS: Final = ("heure", "heure de la mesure")
_UNIT_RE: Final = re.compile(r"\((?:en\s+)?(k?wh?|va)\)", re.IGNORECASE)
_FRENCH_DATE_RE: Final = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


class EnedisCsvError(EnedisError):
    """The file is not an Enedis export this parser understands (line given)."""


@dataclass(frozen=True, slots=True)
class EnedisCsvData:
    """What an Enedis CSV export holds, normalised like the API's data."""

    kind: CsvKind
    production: bool
    """True when the file holds production (injection), False for consumption."""
    prm: str | None
    intervals: list[Interval] = field(default_factory=list)
    """Load-curve steps (aware UTC, Wh), sorted; empty for a daily file."""
    days: list[DailyValue] = field(default_factory=list)
    """Daily values (local days, Wh), sorted; empty for a load-curve file."""

    @property
    def first_day(self) -> date | None:
        """Return the first local day in the file."""
        if self.days:
            return self.days[0].day
        if self.intervals:
            return self.intervals[0].start.astimezone(PARIS).date()
        return None

    @property
    def last_day(self) -> date | None:
        """Return the last local day in the file."""
        if self.days:
            return self.days[-1].day
        if self.intervals:
            return self.intervals[-1].start.astimezone(PARIS).date()
        return None


def _norm(text: str) -> str:
    """Return ``text`` lower-cased, without accents and surrounding spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip().strip('"'))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def decode(content: bytes) -> str:
    """Return the text of a CSV file (UTF-8 with or without BOM, or Windows-1252)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, cells)`` for the non-blank lines of the text."""
    text = text.lstrip("\ufeff")
    sample = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if ";" in sample else ("\t" if "\t" in sample else ",")
    for number, cells in enumerate(
        csv.reader(io.StringIO(text), delimiter=delimiter), 1
    ):
        cleaned = [c.strip() for c in cells]
        while cleaned and not cleaned[-1]:
            cleaned.pop()
        if cleaned:
            yield number, cleaned


def _parse_number(text: str, line: int) -> float | None:
    """Return the number in a cell (decimal comma, spaces), ``None`` when empty."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise EnedisCsvError(
            f"Line {line}: {text!r} is not a number", code="csv_value"
        ) from None


def _parse_time(text: str, line: int) -> datetime:
    """Return an ISO or French (dd/mm/yyyy [HH:MM[:SS]]) time stamp (maybe naive)."""
    text = text.strip()
    match = _FRENCH_DATE_RE.match(text)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            return datetime(  # noqa: DTZ001  # naive Paris wall-clock time
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
            )
        return datetime.fromisoformat(
            text.replace(" ", "T", 1) if "T" not in text else text
        )
    except ValueError:
        raise EnedisCsvError(
            f"Line {line}: {text!r} is not a date", code="csv_date"
        ) from None


def _kind_from_type(data_type: str) -> CsvKind | None:
    """Return the kind a ``Type de donnees`` value announces, if any."""
    value = _norm(data_type)
    if not value:
        return None
    if "index" in value:
        raise EnedisCsvError(
            "This is an index export; export the daily consumption or the load curve "
            "instead.",
            code="csv_index",
        )
    if "puissance max" in value:
        raise EnedisCsvError(
            "This is a maximum-power export; export the daily consumption or the load "
            "curve instead.",
            code="csv_max_power",
        )
    if "courbe" in value or "horaire" in value:
        return "load_curve"
    if "quotidien" in value or "journali" in value or "jour" in value:
        return "daily"
    return None


def _unit_factor(unit: str, step: timedelta, line: int) -> float:
    """Return the factor turning a value in ``unit`` over ``step`` into Wh."""
    key = _norm(unit).replace(" ", "")
    if key in ("wh", ""):
        return 1.0
    if key == "kwh":
        return 1000.0
    if key == "w":
        return step / timedelta(hours=1)
    if key == "kw":
        return 1000.0 * step / timedelta(hours=1)
    raise EnedisCsvError(f"Line {line}: unexpected unit {unit!r}", code="csv_unit")


@dataclass
class _Meta:
    """Metadata gathered from the preamble or the per-row columns."""

    prm: str | None = None
    kind: CsvKind | None = None
    production: bool = False
    unit: str = ""
    step_minutes: int | None = None

    def update(self, values: dict[str, str]) -> None:
        """Merge the metadata found in one ``{normalised header: value}`` mapping."""
        for key, value in values.items():
            if not value:
                continue
            if key in ("identifiant prm", "prm", "point de livraison"):
                self.prm = re.sub(r"\D", "", value) or self.prm
            elif key in ("type de donnees", "type de donnee"):
                self.kind = _kind_from_type(value) or self.kind
                if "production" in _norm(value) or "injection" in _norm(value):
                    self.production = True
            elif key == "grandeur metier":
                self.production = _norm(value).startswith(("prod", "inj"))
            elif key in ("unite", "unite de mesure"):
                self.unit = value
            elif key == "pas en minutes":
                digits = re.sub(r"\D", "", value)
                self.step_minutes = int(digits) if digits else self.step_minutes


def parse_enedis_csv(content: str | bytes) -> EnedisCsvData:
    """Parse an Enedis CSV export into load-curve intervals or daily values."""
    text = decode(content) if isinstance(content, bytes) else content
    meta = _Meta()
    rows = list(_rows(text))
    header: list[str] | None = None
    header_line = 0
    data: list[tuple[int, list[str]]] = []
    index = 0
    while index < len(rows):
        line, cells = rows[index]
        if header is None:
            normalised = [_norm(c) for c in cells]
            if normalised[0] == "identifiant prm" and re.fullmatch(
                r"\d{14}", cells[1] if len(cells) > 1 else ""
            ):
                # "Identifiant PRM;123...;Type de donnees;Courbe de charge" on one line.
                meta.update(dict(zip(normalised[::2], cells[1::2], strict=False)))
                index += 1
                continue
            if normalised[0] in ("identifiant prm", "prm") and index + 1 < len(rows):
                meta.update(dict(zip(normalised, rows[index + 1][1], strict=False)))
                index += 2
                continue
            if _base_name(normalised[0]) in _TIME_COLUMNS and len(cells) >= 2:
                header, header_line = normalised, line
        elif not _looks_like_time(cells[0]):
            break  # another section (e.g. calendar periods) starts
        else:
            data.append((line, cells))
        index += 1
    if header is None:
        raise EnedisCsvError(
            "No data table found: this does not look like an Enedis export "
            "(expected a 'Horodate;Valeur' or 'Date;Valeur' header).",
            code="csv_format",
        )
    if any("eas" in h.split() or h.startswith("eas ") for h in header):
        _kind_from_type("index")
    return _build(meta, header, header_line, data)


def _base_name(header: str) -> str:
    """Return a header without its unit in parentheses."""
    return _UNIT_RE.sub("", header).replace("(w)", "").strip()


def _looks_like_time(cell: str) -> bool:
    """Return whether a cell starts like a date."""
    return bool(re.match(r"^\d{1,4}[-/]\d{1,2}[-/]\d{1,4}", cell.strip()))


def _build(
    meta: _Meta, header: list[str], header_line: int, data: list[tuple[int, list[str]]]
) -> EnedisCsvData:
    """Turn the data rows into the normalised result."""
    columns = {name: i for i, name in enumerate(header)}
    time_col = 0
    hour_col = next((columns[h] for h in _HOUR_COLUMNS if h in columns), None)
    value_col = next(
        (
            i
            for i, h in enumerate(header)
            if i not in (time_col, hour_col)
            and (
                h.startswith(
                    ("valeur", "consommation", "production", "puissance", "energie")
                )
            )
        ),
        1 if hour_col != 1 else 2,
    )
    unit_match = _UNIT_RE.search(header[value_col])
    if unit_match and not meta.unit:
        meta.unit = unit_match.group(1)
    if "puissance moyenne" in header[value_col] and not meta.unit:
        meta.unit = "W"
    if "production" in header[value_col] or "injection" in header[value_col]:
        meta.production = True
    stamps: list[datetime] = []
    values: list[float | None] = []
    row_steps: list[int | None] = []
    meta_columns = [
        i
        for i, name in enumerate(header)
        if i not in (time_col, hour_col, value_col) and name != "pas en minutes"
    ]
    step_col = columns.get("pas en minutes")
    seen_meta: set[tuple[str, ...]] = set()
    steps_cache: dict[str, int | None] = {}
    for line, cells in data:
        row_meta = tuple(cells[i] if i < len(cells) else "" for i in meta_columns)
        if row_meta not in seen_meta:  # the same metadata repeats on every row
            seen_meta.add(row_meta)
            meta.update(
                dict(zip((header[i] for i in meta_columns), row_meta, strict=True))
            )
        stamp_text = cells[time_col]
        if hour_col is not None and hour_col < len(cells) and cells[hour_col]:
            stamp_text = f"{stamp_text} {cells[hour_col]}"
        stamps.append(_parse_time(stamp_text, line))
        raw = cells[value_col] if value_col < len(cells) else ""
        values.append(_parse_number(raw, line))
        step_text = (
            cells[step_col] if step_col is not None and step_col < len(cells) else ""
        )
        if step_text not in steps_cache:
            digits = re.sub(r"\D", "", step_text)
            steps_cache[step_text] = int(digits) if digits else None
        row_steps.append(steps_cache[step_text])
    if not stamps:
        raise EnedisCsvError(
            f"Line {header_line}: the table has no rows.", code="csv_empty"
        )
    kind = meta.kind or _guess_kind(stamps, hour_col is not None)
    if kind == "daily":
        factor = _unit_factor(meta.unit or "Wh", timedelta(days=1), header_line)
        by_day: dict[date, DailyValue] = {}
        for stamp, value in zip(stamps, values, strict=True):
            day = (stamp.astimezone(PARIS) if stamp.tzinfo else stamp).date()
            by_day[day] = DailyValue(day, None if value is None else value * factor)
        days = [by_day[d] for d in sorted(by_day)]
        return EnedisCsvData("daily", meta.production, meta.prm, days=days)
    ends = _to_utc(stamps)
    default_step = _step(meta.step_minutes, ends)
    by_start: dict[datetime, Interval] = {}
    for end, value, row_step, (line, _cells) in zip(
        ends, values, row_steps, data, strict=True
    ):
        step = timedelta(minutes=row_step) if row_step else default_step
        factor = _unit_factor(meta.unit or "W", step, line)
        start = end - step
        by_start[start] = Interval(
            start, end, None if value is None else value * factor
        )
    intervals = [by_start[s] for s in sorted(by_start)]
    return EnedisCsvData("load_curve", meta.production, meta.prm, intervals=intervals)


def _guess_kind(stamps: list[datetime], has_hour_column: bool) -> CsvKind:
    """Return the kind of a file without metadata from its time stamps."""
    if has_hour_column:
        return "load_curve"
    times = {(s.hour, s.minute) for s in stamps}
    return "daily" if len(times) == 1 else "load_curve"


def _to_utc(stamps: list[datetime]) -> list[datetime]:
    """Return aware UTC instants; naive stamps are Paris end labels."""
    naive = [s for s in stamps if s.tzinfo is None]
    resolved = iter(localize_end_labels(naive))
    return [
        s.astimezone(UTC) if s.tzinfo is not None else next(resolved) for s in stamps
    ]


def _step(step_minutes: int | None, ends: list[datetime]) -> timedelta:
    """Return the load-curve step: declared, or the most common gap, or 30 min."""
    if step_minutes:
        return timedelta(minutes=step_minutes)
    ordered = sorted(set(ends))
    gaps = Counter(b - a for a, b in pairwise(ordered))
    if gaps:
        return gaps.most_common(1)[0][0]
    return timedelta(minutes=30)


def read_enedis_csv(path: str) -> EnedisCsvData:
    """Read and parse an Enedis CSV export from disk (blocking: use an executor)."""
    with open(path, "rb") as file:
        return parse_enedis_csv(file.read())
