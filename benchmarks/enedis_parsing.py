"""Parsing speed of Enedis data: two years of 30-minute load curve (rows per second).

Two inputs, generated deterministically: a "Mes mesures" CSV export (one measure per
row, metadata repeated on every row, naive French dates; 35,040 rows = two years) and
the 105 v5 API bodies of 7 days that a full 24-month load-curve backfill receives.
Target: at least 50,000 rows per second on one core for each, so a two-year import
parses in well under a second of executor time.

Run: ``.venv/bin/python -m benchmarks.enedis_parsing [--days N]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
import time
from typing import Any

from custom_components.sunshare.enedis import PARIS, parse_enedis_csv, parse_load_curve

TARGET = 50_000.0
"""Rows (half-hours) per second the parsers must sustain."""
STEP = timedelta(minutes=30)
HEADER = (
    "Date de la mesure;Heure de la mesure;Valeur;Statut de la mesure;PRM;"
    "Type de données;Date de début;Date de fin;Grandeur métier;Grandeur physique;"
    "Statut demandé;Unité;Pas en minutes"
)


def end_labels(first: date, days: int) -> list[datetime]:
    """Return the naive Paris end labels of every half-hour of ``days`` days."""
    start = datetime(first.year, first.month, first.day, tzinfo=PARIS).astimezone(UTC)
    count = int(
        (
            datetime.combine(first + timedelta(days=days), datetime.min.time(), PARIS)
            - start
        )
        / STEP
    )
    return [
        (start + STEP * (i + 1)).astimezone(PARIS).replace(tzinfo=None)
        for i in range(count)
    ]


def csv_export(first: date, days: int) -> str:
    """Return a "Mes mesures" load-curve export of ``days`` days."""
    rows = [HEADER]
    for i, label in enumerate(end_labels(first, days)):
        rows.append(
            f"{label:%d/%m/%Y};{label:%H:%M};{300 + i % 700};Réelle;12345678901234;"
            "Courbe de charge;01/01/2025;01/01/2027;Consommation;Puissance active;"
            "Brut;W;30"
        )
    return "\n".join(rows) + "\n"


def api_bodies(first: date, days: int) -> list[dict[str, Any]]:
    """Return the v5 bodies of ``days`` days fetched 7 days at a time."""
    labels = end_labels(first, days)
    bodies = []
    for offset in range(0, len(labels), 7 * 48):
        chunk = labels[offset : offset + 7 * 48]
        bodies.append(
            {
                "meter_reading": {
                    "reading_type": {"unit": "W"},
                    "interval_reading": [
                        {
                            "value": str(300 + i % 700),
                            "date": f"{label:%Y-%m-%d %H:%M:%S}",
                            "interval_length": "PT30M",
                        }
                        for i, label in enumerate(chunk)
                    ],
                }
            }
        )
    return bodies


def best_rate(run: Callable[[], int], repeat: int = 3) -> float:
    """Return the best rows per second of ``run`` over ``repeat`` runs."""
    best = 0.0
    for _ in range(repeat):
        start = time.process_time()
        rows = run()
        best = max(best, rows / (time.process_time() - start))
    return best


def main() -> None:
    """Measure and print both parsers' throughput."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    first = date(2024, 11, 1)
    text = csv_export(first, args.days)
    bodies = api_bodies(first, args.days)
    csv_rate = best_rate(lambda: len(parse_enedis_csv(text).intervals))
    api_rate = best_rate(lambda: sum(len(parse_load_curve(b)) for b in bodies))
    for name, rate in (("CSV export", csv_rate), ("API bodies", api_rate)):
        verdict = "ok" if rate >= TARGET else "BELOW TARGET"
        print(f"{name}: {rate:,.0f} rows/s (target {TARGET:,.0f}) {verdict}")


if __name__ == "__main__":
    main()
