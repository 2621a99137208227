"""Benchmark: full score recompute of a season for 10,000 households in 1,000 teams.

120 season days with half-hourly data and a year of daily reference data per household,
five shedding events each. Measures the pure rules library (peer aggregates, every
household's score cards, team scores and ranking) on one core. Target: under 60 s.

Run: ``.venv/bin/python -m benchmarks.rules_season [--households N]``.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
import random
import time

from game_server.rules import (
    DayData,
    HouseholdInput,
    HouseholdProfile,
    SeasonSettings,
    SheddingEvent,
    TeamMember,
    rank_teams,
    score_household,
    team_score,
)
from game_server.rules.models import PARIS
from game_server.rules.peers import peer_aggregates

SEASON = SeasonSettings(start=date(2027, 1, 1), end=date(2027, 4, 30))
AS_OF = date(2027, 4, 30)


def build(households: int, seed: int = 1) -> list[HouseholdInput]:
    """Generate the season's households (slot profiles shared from a pool to save memory)."""
    rng = random.Random(seed)
    pool = [tuple(rng.uniform(0.05, 0.9) for _ in range(48)) for _ in range(400)]
    result = []
    for index in range(households):
        solar = index % 3 == 0
        days: dict[date, DayData] = {}
        for offset in range(-365, 120):
            day = SEASON.start + timedelta(days=offset)
            slots = rng.choice(pool)
            total = sum(slots)
            days[day] = DayData(
                day=day,
                import_kwh=total,
                export_kwh=rng.uniform(0, 4) if solar else 0.0,
                production_kwh=rng.uniform(2, 9) if solar else 0.0,
                import_slots=slots if offset >= -30 else None,
                t_mean_c=rng.uniform(-3, 16),
            )
        events = [
            SheddingEvent(
                id=f"{index}-{n}",
                start=datetime(2027, 1, 4, 19, tzinfo=PARIS) + timedelta(weeks=n),
                end=datetime(2027, 1, 4, 20, 30, tzinfo=PARIS) + timedelta(weeks=n),
                declared_w=2000,
                measured_w=rng.uniform(1200, 2400),
            )
            for n in range(5)
        ]
        profile = HouseholdProfile(
            adults=rng.randint(1, 4),
            children=rng.randint(0, 3),
            electric_heating=rng.random() < 0.4,
            solar_kwc=3.0 if solar else 0.0,
        )
        result.append(
            HouseholdInput(profile=profile, days=days, shedding_events=events)
        )
    return result


def main() -> None:
    """Build the data set, time the recompute, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--team-size", type=int, default=10)
    args = parser.parse_args()
    started = time.perf_counter()
    households = build(args.households)
    print(
        f"generated {len(households)} households in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    peers = peer_aggregates(households, SEASON, as_of=AS_OF)
    aggregates = time.perf_counter() - started
    started = time.perf_counter()
    scores = [score_household(h, SEASON, peers, as_of=AS_OF) for h in households]
    scoring = time.perf_counter() - started
    started = time.perf_counter()
    teams = [
        team_score(
            f"team-{first // args.team_size}",
            [
                TeamMember(
                    user_id=str(i),
                    points=scores[i].total,
                    valid_day_share=scores[i].valid_day_share,
                    kwh_saved=scores[i].kwh_saved,
                )
                for i in range(first, min(first + args.team_size, len(scores)))
            ],
        )
        for first in range(0, len(scores), args.team_size)
    ]
    ranking = rank_teams(teams)
    ranking_time = time.perf_counter() - started
    total = aggregates + scoring + ranking_time
    print(f"peer aggregates:    {aggregates:6.1f} s")
    print(
        f"household scores:   {scoring:6.1f} s ({1000 * scoring / len(households):.2f} ms each)"
    )
    print(f"teams and ranking:  {ranking_time:6.2f} s ({len(ranking)} teams)")
    print(f"full recompute:     {total:6.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
