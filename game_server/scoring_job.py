"""The scoring job: read a season from storage, score it with ``rules``, store the cards.

``scoring.on_data_changed`` marks a household's (user, month) dirty; ``recompute_dirty``
recomputes the dirty households and, when a month's peer medians (segment consumption,
solar yield) or a team's median temperature change, every household that depends on them;
``recompute_all`` recomputes a whole season. Both are pure functions of what the storage
holds at ``as_of`` (yesterday, local time): the order data arrived in never matters and
re-sending the same data changes nothing (unchanged households are not even rewritten).

The job keeps, per season, each household's small contribution to the peer medians and its
totals, so an incremental pass reads only the households it recomputes, and the
leaderboards (per challenge and overall, players and teams) are served from memory.

Households are read in chunks (a few queries each) and each chunk's changed cards are
written in one transaction; passes over many households run in worker processes that
open the database themselves (``SUNSHARE_SCORING_WORKERS``), with identical results.

Several server processes on one store: the app's task runs each pass through
``ScoringJob.run_pass``, which only the holder of the store's ``scoring`` lease gets to
run (renewed between chunks; a lost lease stops the pass). The others hand their dirty
marks over through the store and serve the leaderboards the holder publishes there.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import (
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
import contextlib
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
import itertools
import json
import logging
import multiprocessing
import os
from pathlib import Path
from statistics import median
from time import monotonic
from typing import Any
import weakref

from game_server import models
from game_server.leases import LeaseKeeper, LeaseLost
from game_server.rules import (
    ActionDefinition,
    ActionRecord,
    Challenge,
    DayData,
    HouseholdInput,
    HouseholdProfile,
    PeakEvent,
    PeerAggregates,
    SeasonSettings,
    SheddingEvent,
    TeamMember,
    Verification,
    rank_teams,
    score_household,
    team_score,
)
from game_server.rules.baseline import is_valid_day, select_reference, shift_year
from game_server.rules.engine import METERED, HouseholdScore
from game_server.rules.models import (
    PARIS,
    Equipment,
    EquipmentChange,
    PeakWindow,
    ScoreCard,
    month_key,
)
from game_server.rules.peers import MIN_SOLAR_HOUSEHOLDS
from game_server.rules.reconcile import reconcile_day
from game_server.storage import Storage

LOGGER = logging.getLogger(__name__)

DIRTY_INTERVAL_S = 60.0
"""How often the app's background task recomputes dirty households."""
NIGHTLY_AT = time(3, 30)
"""Local time of the nightly full recompute (``as_of`` moves to the new yesterday)."""
ROSTER_CHECK_S = 5.0
"""How often a leaderboard request re-reads teams and memberships."""
ACTIVE_AFTER_END = timedelta(days=14)
"""A season keeps being recomputed this long after its end (late data, provisional)."""
CHUNK_HOUSEHOLDS = 200
"""Households read, scored and written together (bounds a pass's memory)."""
POOL_MIN_HOUSEHOLDS = 1000
"""Smaller passes run in-process (starting worker processes takes about a second)."""
WORKERS_ENV = "SUNSHARE_SCORING_WORKERS"
"""Environment variable: processes of a big pass (default: one per core; 0 or 1:
everything in the server's process)."""
INTERVAL_ENV = "SUNSHARE_SCORING_INTERVAL"
"""Environment variable: seconds between two passes (default ``DIRTY_INTERVAL_S``)."""
CHUNK_ENV = "SUNSHARE_SCORING_CHUNK"
"""Environment variable: households per chunk (default ``CHUNK_HOUSEHOLDS``)."""
PAUSE_ENV = "SUNSHARE_SCORING_TEST_PAUSE"
"""Environment variable of tests only: seconds slept after each chunk (a slow pass)."""
LEASE_NAME = "scoring"
"""The lease of the process that runs the scoring passes of a store."""
BOARDS_STATE = "leaderboards"
"""Shared state ``leaderboards/SEASON_ID``: the lease holder's leaderboards."""
BOARD_OVERALL = "overall"
_SCALAR_SETTINGS = {
    f.name
    for f in fields(SeasonSettings)
    if f.type in ("float", "int") and f.name not in ("start", "end")
}


# --- storage models → rules inputs ------------------------------------------------
def day_from_reading(reading: models.DailyReading) -> DayData:
    """Return the rules' day of a stored daily reading."""
    return DayData(
        day=reading.day,
        import_kwh=reading.import_kwh,
        export_kwh=reading.export_kwh,
        production_kwh=reading.production_kwh,
        battery_charge_kwh=reading.battery_charge_kwh or 0.0,
        battery_discharge_kwh=reading.battery_discharge_kwh or 0.0,
        import_slots=None
        if reading.import_slots is None
        else tuple(reading.import_slots),
        export_slots=None
        if reading.export_slots is None
        else tuple(reading.export_slots),
        t_mean_c=reading.t_mean_c,
        source=reading.source.value,
    )


def days_from_indexes(indexes: Sequence[models.MeterIndex]) -> dict[date, DayData]:
    """Spread weekly meter indexes into daily values (source ``index``).

    The difference between two consecutive indexes is shared evenly over the days after
    the first one up to the second one (both read during their day).
    """
    days: dict[date, DayData] = {}
    ordered = sorted(indexes, key=lambda index: index.day)
    for first, second in itertools.pairwise(ordered):
        span = (second.day - first.day).days
        if span <= 0:
            continue
        imported = (second.import_index_kwh - first.import_index_kwh) / span
        exported = 0.0
        if first.export_index_kwh is not None and second.export_index_kwh is not None:
            exported = (second.export_index_kwh - first.export_index_kwh) / span
        for offset in range(1, span + 1):
            day = first.day + timedelta(days=offset)
            days[day] = DayData(
                day=day,
                import_kwh=max(0.0, imported),
                export_kwh=max(0.0, exported),
                source="index",
            )
    return days


@dataclass(frozen=True, kw_only=True, slots=True)
class FlaggedDay:
    """A day whose local import differs from the certified Enedis one beyond tolerance."""

    day: date
    local_kwh: float
    enedis_kwh: float

    def as_dict(self) -> dict[str, Any]:
        """Return the score-card line of the day."""
        return {
            "day": self.day.isoformat(),
            "local_kwh": round(self.local_kwh, 3),
            "enedis_kwh": round(self.enedis_kwh, 3),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredHousehold(HouseholdInput):
    """The rules' input of a household, with what its score cards explain besides."""

    flagged: tuple[FlaggedDay, ...] = ()
    """Days scored with the Enedis value instead of the local one (rules §6)."""


def flagged_days(
    readings: Iterable[models.DailyReading], enedis: Iterable[models.EnedisReading]
) -> list[FlaggedDay]:
    """Return the days whose local import is beyond tolerance of the Enedis one."""
    local = {reading.day: reading for reading in readings}
    found = []
    for certified in sorted(enedis, key=lambda item: item.day):
        reading = local.get(certified.day)
        if reading is None:
            continue
        if reconcile_day(day_from_reading(reading), certified.import_kwh).flagged:
            found.append(
                FlaggedDay(
                    day=certified.day,
                    local_kwh=reading.import_kwh,
                    enedis_kwh=certified.import_kwh,
                )
            )
    return found


def household_input(
    user: models.User,
    readings: Iterable[models.DailyReading],
    *,
    indexes: Sequence[models.MeterIndex] = (),
    events: Iterable[models.SheddingEvent] = (),
    declarations: Iterable[models.ActionDeclaration] = (),
    enedis: Iterable[models.EnedisReading] = (),
) -> StoredHousehold:
    """Return what the rules know of a household.

    Readings win over meter indexes; a certified Enedis day fills a missing day,
    replaces a day spread from meter indexes, and is reconciled with a reading
    (``rules.reconcile.reconcile_day``: beyond tolerance it is scored and flagged).
    """
    days = days_from_indexes(indexes)
    readings = list(readings)
    for reading in readings:
        days[reading.day] = day_from_reading(reading)
    enedis = list(enedis)
    for certified in enedis:
        known = days.get(certified.day)
        if known is None or known.source == models.ReadingSource.INDEX.value:
            export = certified.export_kwh
            if export is None:
                export = known.export_kwh if known is not None else 0.0
            days[certified.day] = DayData(
                day=certified.day,
                import_kwh=certified.import_kwh,
                export_kwh=export,
                source=models.ReadingSource.ENEDIS.value,
            )
        else:
            days[certified.day] = reconcile_day(known, certified.import_kwh)
    changes = sorted(user.equipment_changes, key=lambda c: (c.day, c.kind.value))
    profile = HouseholdProfile(
        adults=user.adults,
        children=user.children,
        electric_heating=user.electric_heating,
        electric_hot_water=user.electric_hot_water,
        solar_kwc=user.solar_kwc,
        simplified=user.mode is models.Mode.SIMPLIFIED,
        equipment_changes=tuple(
            EquipmentChange(equipment=Equipment(change.kind.value), day=change.day)
            for change in changes
        ),
    )
    return StoredHousehold(
        flagged=tuple(flagged_days(readings, enedis)),
        profile=profile,
        days=dict(sorted(days.items())),
        shedding_events=tuple(
            SheddingEvent(
                id=event.id,
                start=event.start,
                end=event.end,
                declared_w=event.declared_w,
                measured_w=event.measured_w,
            )
            for event in sorted(events, key=lambda e: (e.start, e.id))
        ),
        actions=tuple(
            ActionRecord(
                action_id=item.action_id,
                day=item.day,
                verification=Verification(item.verification.value),
            )
            for item in sorted(declarations, key=lambda d: (d.day, d.action_id, d.id))
        ),
    )


def explain_cards(
    cards: Iterable[ScoreCard], household: HouseholdInput, settings: SeasonSettings
) -> None:
    """Write on the energy cards the days scored with their certified Enedis value.

    ``data_quality["flagged_days"]`` lists the month's flagged days (local and Enedis
    imports). The equipment change a card follows is written by the rules themselves
    (``reference["equipment_change"]``).
    """
    if not isinstance(household, StoredHousehold):
        return
    for card in cards:
        if card.challenge not in METERED:
            continue
        flagged = [
            f.as_dict() for f in household.flagged if month_key(f.day) == card.month
        ]
        if flagged:
            card.data_quality["flagged_days"] = flagged


def _clock_time(text: str) -> time:
    """Return a ``HH:MM`` local time (``24:00`` is the end of the day)."""
    if text == "24:00":
        return time.max
    return time.fromisoformat(text)


def season_settings(
    season: models.Season, peak_events: Iterable[models.PeakEvent] = ()
) -> SeasonSettings:
    """Return the rules' settings of a season (unknown or invalid extras are ignored)."""
    extras: dict[str, Any] = {}
    for name, value in season.settings.items():
        if name in _SCALAR_SETTINGS and isinstance(value, int | float):
            extras[name] = value
        else:
            LOGGER.warning("Season %s: ignoring setting %s", season.id, name)
    return SeasonSettings(
        start=season.start,
        end=season.end,
        challenges=frozenset(Challenge(c) for c in season.challenges),
        peak_windows=tuple(
            PeakWindow(
                start=_clock_time(window.start),
                end=_clock_time(window.end),
                months=frozenset(window.months),
                weekdays=frozenset(window.weekdays),
            )
            for window in season.peak_windows
        ),
        peak_events=tuple(
            PeakEvent(start=event.start, end=event.end, multiplier=event.multiplier)
            for event in sorted(peak_events, key=lambda e: (e.start, e.id))
        ),
        **extras,
    )


def catalogue_definitions(
    actions: Iterable[models.CatalogueAction],
) -> dict[str, ActionDefinition]:
    """Return the rules' catalogue from the stored one (disabled actions still score)."""
    return {
        action.id: ActionDefinition(
            id=action.id,
            domain=action.domain,
            level=action.level,
            base_points=action.base_points,
            recurring=action.recurring,
        )
        for action in actions
    }


def history_start(season: models.Season) -> date:
    """Return the first day a season's scores can use (previous-year or short reference)."""
    return min(
        shift_year(season.start) - timedelta(days=1),
        season.start - timedelta(days=season.reference_window_days + 28),
    )


# --- peer medians from per-household contributions --------------------------------
@dataclass(frozen=True, slots=True)
class Contribution:
    """What one household adds to the season's medians (and nothing else of it)."""

    per_unit: dict[str, float]
    """``YYYY-MM|segment`` → mean daily consumption per consumption unit."""
    yields: dict[str, tuple[float, float]]
    """``YYYY-MM`` → (season yield, reference yield) in kWh/kWc/day (solar only)."""
    temperatures: dict[date, float]


def contribution(
    household: HouseholdInput, settings: SeasonSettings, as_of: date
) -> Contribution:
    """Return a household's share of ``rules.peers.peer_aggregates`` (same formulas)."""
    profile = household.profile
    last = min(settings.end, as_of)
    months: dict[str, list[DayData]] = defaultdict(list)
    for day, data in household.days.items():
        if settings.start <= day <= last and is_valid_day(data, settings, slots=False):
            months[month_key(day)].append(data)
    reference = (
        select_reference(household.days, settings) if profile.has_solar else None
    )
    per_unit: dict[str, float] = {}
    yields: dict[str, tuple[float, float]] = {}
    for key, days in months.items():
        consumption = sum(day.consumption_kwh or 0.0 for day in days)
        per_unit[f"{key}|{profile.segment}"] = (
            consumption / len(days) / profile.consumption_units
        )
        if reference is None:
            continue
        ref_days = reference.days_for(day.day for day in days)
        if ref_days:
            kwc = profile.solar_kwc
            yields[key] = (
                sum(d.production_kwh for d in days) / len(days) / kwc,
                sum(d.production_kwh for d in ref_days) / len(ref_days) / kwc,
            )
    temperatures = {
        day: data.t_mean_c
        for day, data in household.days.items()
        if data.t_mean_c is not None
    }
    return Contribution(per_unit=per_unit, yields=yields, temperatures=temperatures)


def aggregates_of(contributions: Iterable[Contribution]) -> PeerAggregates:
    """Return the season's medians over every household's contribution."""
    per_unit: dict[str, list[float]] = defaultdict(list)
    yields: dict[str, list[float]] = defaultdict(list)
    reference_yields: dict[str, list[float]] = defaultdict(list)
    for item in contributions:
        for key, value in item.per_unit.items():
            per_unit[key].append(value)
        for key, (season_yield, ref_yield) in item.yields.items():
            yields[key].append(season_yield)
            reference_yields[key].append(ref_yield)
    return PeerAggregates(
        solar_yield={
            k: median(v) for k, v in yields.items() if len(v) >= MIN_SOLAR_HOUSEHOLDS
        },
        reference_solar_yield={
            k: median(v)
            for k, v in reference_yields.items()
            if len(v) >= MIN_SOLAR_HOUSEHOLDS
        },
        segment_consumption={k: median(v) for k, v in per_unit.items()},
    )


def team_temperature(contributions: Iterable[Contribution]) -> dict[date, float]:
    """Return the median of a team's members' temperatures, per day."""
    readings: dict[date, list[float]] = defaultdict(list)
    for item in contributions:
        for day, value in item.temperatures.items():
            readings[day].append(value)
    return {day: median(values) for day, values in sorted(readings.items())}


def _changed_keys(old: Mapping[str, float], new: Mapping[str, float]) -> set[str]:
    """Return the keys whose value differs between two mappings."""
    return {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}


# --- job state ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Member:
    """A season participant as the leaderboards and the dependencies need it."""

    user_id: str
    team_id: str
    display_name: str
    disabled: bool
    profile: tuple[Any, ...]
    """Profile fields the rules use; a change makes the household dirty."""
    segment: str
    solar: bool
    simplified: bool


@dataclass(slots=True)
class Result:
    """A household's computed season, kept in memory for the leaderboards."""

    totals: dict[str, float]
    total: float
    valid_day_share: float
    kwh_saved: float
    entries: dict[tuple[str, str], str]
    """(challenge, month) → JSON of points and card, to skip unchanged writes."""


@dataclass(slots=True)
class SeasonState:
    """What the job knows about one season between passes."""

    season_id: str
    fingerprint: str
    as_of: date
    settings: SeasonSettings
    catalogue: dict[str, ActionDefinition]
    members: dict[str, Member]
    declarations: dict[str, str]
    contributions: dict[str, Contribution] = field(default_factory=dict)
    aggregates: PeerAggregates = field(default_factory=PeerAggregates)
    team_temperatures: dict[str, dict[date, float]] = field(default_factory=dict)
    team_names: dict[str, str] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)
    boards: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    roster_checked: float = float("-inf")


@dataclass(slots=True)
class RecomputeReport:
    """What a pass did (for logs, tests and the benchmark)."""

    season_id: str
    full: bool
    recomputed: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    changed_medians: set[str] = field(default_factory=set)


def _entry_json(points: float, card: dict[str, Any]) -> str:
    """Return the canonical JSON of a stored score (to compare passes)."""
    return json.dumps([round(float(points), 6), card], sort_keys=True, default=str)


def _profile_key(user: models.User) -> tuple[Any, ...]:
    """Return the profile fields the rules use."""
    return (
        user.adults,
        user.children,
        user.electric_heating,
        user.electric_hot_water,
        user.solar_kwc,
        user.mode.value,
    )


def _entries(
    season_id: str, user_id: str, score: HouseholdScore
) -> list[models.ScoreEntry]:
    """Return the score entries (one per card) of a household's season."""
    entries = []
    for card in score.cards:
        data = json.loads(json.dumps(card.as_dict(), default=str))
        entries.append(
            models.ScoreEntry(
                season_id=season_id,
                user_id=user_id,
                challenge=card.challenge.value,
                month=card.month,
                points=round(float(card.points), 6),
                card=data,
            )
        )
    entries.sort(key=lambda e: (e.month, e.challenge))
    return entries


@dataclass(frozen=True, slots=True)
class ScoreTask:
    """Households to score with what they share (pure data: scored in a thread)."""

    season_id: str
    settings: SeasonSettings
    catalogue: dict[str, ActionDefinition]
    as_of: date
    aggregates: PeerAggregates
    team_temperatures: dict[str, dict[date, float]]
    """Team id → median temperature per day."""
    teams: dict[str, str]
    """User id → team id, for every household to score."""
    households: dict[str, HouseholdInput] = field(default_factory=dict)
    """User id → the household's data (a worker process reads it itself)."""


@dataclass(frozen=True, slots=True)
class Scored:
    """A household's cards as stored, and its figures for the leaderboards."""

    entries: list[models.ScoreEntry]
    result: Result


def score_task(task: ScoreTask) -> dict[str, Scored]:
    """Score households (pure: reads only the task, safe in another thread)."""
    scored: dict[str, Scored] = {}
    for user_id, household in task.households.items():
        peers = replace(
            task.aggregates,
            team_temperature=task.team_temperatures.get(task.teams[user_id], {}),
        )
        score = score_household(
            household, task.settings, peers, as_of=task.as_of, catalogue=task.catalogue
        )
        explain_cards(score.cards, household, task.settings)
        entries = _entries(task.season_id, user_id, score)
        scored[user_id] = Scored(
            entries=entries,
            result=Result(
                totals={str(k): v for k, v in score.totals.items()},
                total=score.total,
                valid_day_share=score.valid_day_share,
                kwh_saved=score.kwh_saved,
                entries={
                    (e.challenge, e.month): _entry_json(e.points, e.card)
                    for e in entries
                },
            ),
        )
    return scored


def default_workers() -> int:
    """Return how many processes run a big pass (``SUNSHARE_SCORING_WORKERS``)."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            LOGGER.warning("%s=%r is not a number: one per core", WORKERS_ENV, raw)
    return os.cpu_count() or 1


# --- worker processes: each opens the database itself, reads and scores chunks -----
@dataclass(slots=True)
class _Worker:
    """A worker process's own event loop and job on its own storage connection."""

    url: str
    loop: asyncio.AbstractEventLoop
    job: ScoringJob


_WORKER: _Worker | None = None


def _worker(url: str) -> _Worker:
    """Return this worker process's job on the database at ``url`` (opened once)."""
    global _WORKER  # noqa: PLW0603 - one storage per worker process
    if _WORKER is None or _WORKER.url != url:
        from game_server.storage import open_storage

        loop = asyncio.new_event_loop()
        storage = open_storage(url, Path())
        loop.run_until_complete(storage.open())
        _WORKER = _Worker(url, loop, ScoringJob(storage))
    return _WORKER


def contributions_in_worker(
    url: str,
    season: models.Season,
    users: list[models.User],
    settings: SeasonSettings,
    as_of: date,
) -> dict[str, Contribution]:
    """Read households and return their contributions (in a worker process)."""
    worker = _worker(url)
    households = worker.loop.run_until_complete(
        worker.job._households(season, users, slots=False)
    )
    return {
        user_id: contribution(household, settings, as_of)
        for user_id, household in households.items()
    }


def score_in_worker(
    url: str, season: models.Season, users: list[models.User], task: ScoreTask
) -> dict[str, Scored]:
    """Read households and score them (in a worker process)."""
    worker = _worker(url)
    households = worker.loop.run_until_complete(worker.job._households(season, users))
    return score_task(replace(task, households=households))


def _env_number(name: str, default: float) -> float:
    """Return a positive number from the environment (``default`` when unset or bad)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        LOGGER.warning("%s=%r is not a positive number: %g", name, raw, default)
        return default
    return value


def _chunk_size() -> int:
    """Return the households of a chunk (``SUNSHARE_SCORING_CHUNK``)."""
    return max(1, int(_env_number(CHUNK_ENV, CHUNK_HOUSEHOLDS)))


@dataclass(frozen=True, slots=True)
class PassOutcome:
    """What ``ScoringJob.run_pass`` did: a full or incremental pass, and its reports."""

    full: bool
    reports: list[RecomputeReport]


def _chunks[T](items: Sequence[T], size: int) -> list[Sequence[T]]:
    """Return consecutive slices of at most ``size`` items."""
    return [items[i : i + size] for i in range(0, len(items), size)]


class ScoringJob:
    """Incremental scoring of the seasons held by one storage."""

    def __init__(self, storage: Storage, *, workers: int | None = None) -> None:
        """Score the seasons of a storage (big passes in ``workers`` processes)."""
        self.storage = storage
        self.workers = default_workers() if workers is None else workers
        """Processes of a big pass; 0 or 1: everything in this process."""
        self.pool_min_households = POOL_MIN_HOUSEHOLDS
        self._pool: ProcessPoolExecutor | None = None
        self.dirty: dict[str, set[str]] = defaultdict(set)
        """user id → months (``YYYY-MM``) whose data changed since the last pass."""
        self.states: dict[str, SeasonState] = {}
        self.lock = asyncio.Lock()
        self._users: dict[str, models.User] = {}
        """The accounts read by the last ``_members`` call."""
        self.lease: LeaseKeeper | None = None
        """The store's scoring lease while ``run_pass`` runs a pass (None: no lease)."""
        self._keeper: LeaseKeeper | None = None
        self._pause = _env_number(PAUSE_ENV, 0.0)
        self._published: dict[str, str] = {}
        """Shared-state name → JSON of the leaderboards last published there."""
        self._shared: dict[str, tuple[float, dict[str, Any] | None]] = {}
        """Season id → (when read, document) of the holder's published leaderboards."""

    async def _between_chunks(self) -> None:
        """Renew the scoring lease between chunks (``LeaseLost``: stop the pass)."""
        if self.lease is not None:
            await self.lease.renew()
        if self._pause:
            await asyncio.sleep(self._pause)

    def keeper(self) -> LeaseKeeper:
        """Return this job's hold on the store's scoring lease (one holder id)."""
        if self._keeper is None:
            self._keeper = LeaseKeeper(self.storage, LEASE_NAME)
        return self._keeper

    async def run_pass(self, today: date, *, full: bool) -> PassOutcome | None:
        """Run a pass if this process holds the scoring lease; None when another does.

        Several server processes on one store: the lease holder runs every pass
        (full or of the dirty households) and keeps the lease from one pass to the
        next; the others hand their dirty marks over through the store and skip. A
        process that takes the lease (first pass, or take-over from a dead holder)
        starts with a full pass: what it kept in memory may be stale.
        """
        keeper = self.keeper()
        was_held = keeper.held
        lease = await keeper.acquire()
        if lease is None:
            await self.hand_over_marks()
            self.states.clear()  # the holder's passes make them stale
            return None
        if not was_held or lease.previous_holder != keeper.holder:
            self.states.clear()
            self._published.clear()  # another holder may have published since
            full = True
        for user_id, months in (await self.storage.take_scoring_marks()).items():
            self.dirty[user_id] |= months
        self.lease = keeper
        try:
            if full:
                reports = await self.recompute_all(today)
            else:
                reports = await self.recompute_dirty(today)
        except LeaseLost:
            LOGGER.warning("Scoring pass stopped: another process took the lease over")
            self.states.clear()
            await self.hand_over_marks()
            return None
        finally:
            self.lease = None
        await self._publish_boards()
        return PassOutcome(full, reports)

    async def _publish_boards(self) -> None:
        """Store the leaderboards that changed, for the processes that do not score."""
        for season_id, state in self.states.items():
            document = {
                "boards": {
                    BOARD_OVERALL if key is None else key: board
                    for key, board in state.boards.items()
                }
            }
            text = json.dumps(document, sort_keys=True)
            name = f"{BOARDS_STATE}/{season_id}"
            if self._published.get(name) != text:
                await self.storage.put_shared_state(name, document)
                self._published[name] = text

    async def _shared_board(
        self, season: models.Season, challenge: str | None
    ) -> dict[str, Any] | None:
        """Return a leaderboard the lease holder published (read every few seconds)."""
        now = monotonic()
        cached = self._shared.get(season.id)
        if cached is None or now - cached[0] >= ROSTER_CHECK_S:
            document = await self.storage.get_shared_state(
                f"{BOARDS_STATE}/{season.id}"
            )
            cached = self._shared[season.id] = (now, document)
        boards = (cached[1] or {}).get("boards")
        if not isinstance(boards, dict):
            return None
        board = boards.get(BOARD_OVERALL if challenge is None else challenge)
        return board if isinstance(board, dict) else None

    async def hand_over_marks(self) -> None:
        """Give the dirty marks to the store (for the process running the passes)."""
        marks, self.dirty = self.dirty, defaultdict(set)
        if not marks:
            return
        try:
            await self.storage.add_scoring_marks(marks)
        except BaseException:
            for user_id, months in marks.items():
                self.dirty[user_id] |= months
            raise

    async def release(self) -> None:
        """Give the scoring lease up (at shutdown: another process takes it at once)."""
        if self._keeper is not None and self._keeper.held:
            await self.hand_over_marks()
            await self._keeper.release()

    def mark_dirty(self, user_id: str, day: date) -> None:
        """Note that a household's data of a day changed."""
        self.dirty[user_id].add(month_key(day))

    def close(self) -> None:
        """Stop the worker processes (the next big pass starts them again)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    @contextlib.contextmanager
    def _pool_guard(self) -> Iterator[None]:
        """Fall back to in-process scoring for good when a worker process dies."""
        try:
            yield
        except BrokenProcessPool:
            LOGGER.warning(
                "A scoring worker process died; scoring in the server's process "
                "from the next pass on"
            )
            self.workers = 1
            pool, self._pool = self._pool, None
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def _executor(self, households: int) -> tuple[Executor, str] | None:
        """Return the process pool and database URL for a big pass, else None."""
        url = self.storage.worker_url()
        if self.workers <= 1 or households < self.pool_min_households or url is None:
            return None
        if self._pool is None:
            # spawn: never fork the server's process (event loop, threads, sockets).
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool, url

    # --- loading ------------------------------------------------------------------
    async def _context(
        self, season: models.Season, as_of: date
    ) -> tuple[str, SeasonSettings, dict[str, ActionDefinition]]:
        """Return the season's fingerprint, settings and catalogue."""
        peaks = await self.storage.list_peak_events(season.id)
        catalogue = await self.storage.list_catalogue()
        settings = season_settings(season, peaks)
        fingerprint = json.dumps(
            [
                models_record(season, exclude=("name", "created_at")),
                [models_record(p, exclude=("note", "created_at")) for p in peaks],
                [models_record(a, exclude=("title_fr", "title_en")) for a in catalogue],
                as_of.isoformat(),
            ],
            sort_keys=True,
            default=str,
        )
        return fingerprint, settings, catalogue_definitions(catalogue)

    async def _members(self, season: models.Season) -> dict[str, Member]:
        """Return the season's participants (players in a team); keep the accounts."""
        users = {user.id: user for user in await self.storage.list_users()}
        self._users = users
        members: dict[str, Member] = {}
        for membership in await self.storage.list_memberships(season_id=season.id):
            user = users.get(membership.user_id)
            if user is None:
                continue
            profile = HouseholdProfile(
                adults=user.adults,
                children=user.children,
                electric_heating=user.electric_heating,
                electric_hot_water=user.electric_hot_water,
                solar_kwc=user.solar_kwc,
            )
            members[user.id] = Member(
                user_id=user.id,
                team_id=membership.team_id,
                display_name=user.display_name,
                disabled=user.disabled,
                profile=_profile_key(user),
                segment=profile.segment,
                solar=profile.has_solar,
                simplified=user.mode is models.Mode.SIMPLIFIED,
            )
        return members

    async def _declarations(self, season: models.Season) -> dict[str, str]:
        """Return each household's declared actions and their verification, as text."""
        found: dict[str, list[str]] = defaultdict(list)
        for item in await self.storage.list_action_declarations(
            start=season.start, end=season.end
        ):
            found[item.user_id].append(
                f"{item.id}:{item.action_id}:{item.day}:{item.verification.value}"
            )
        return {user: "|".join(sorted(items)) for user, items in found.items()}

    async def _households(
        self,
        season: models.Season,
        users: Sequence[models.User],
        *,
        slots: bool = True,
    ) -> dict[str, HouseholdInput]:
        """Load several households' data for a season (one query per kind of data).

        ``slots=False`` loads only what the day totals need (no half-hours, shedding
        events or declared actions): enough for ``contribution``.
        """
        first = history_start(season)
        ids = [user.id for user in users]
        readings = await self.storage.readings_by_user(
            ids, first, season.end, slots=slots, stamps=False
        )
        simplified = [u.id for u in users if u.mode is models.Mode.SIMPLIFIED]
        indexes: dict[str, list[models.MeterIndex]] = {}
        if simplified:
            indexes = await self.storage.meter_indexes_by_user(simplified)
        last_index = season.end + timedelta(days=7)
        events: dict[str, list[models.SheddingEvent]] = defaultdict(list)
        declarations: dict[str, list[models.ActionDeclaration]] = defaultdict(list)
        if slots:
            events.update(
                await self.storage.shedding_events_by_user(
                    ids,
                    datetime.combine(first, time(), PARIS).astimezone(UTC),
                    datetime.combine(
                        season.end + timedelta(days=1), time(), PARIS
                    ).astimezone(UTC),
                )
            )
            declarations.update(
                await self.storage.action_declarations_by_user(
                    ids, season.start, season.end
                )
            )
        enedis = await self.storage.enedis_readings_by_user(ids, first, season.end)
        return {
            user.id: household_input(
                user,
                readings[user.id],
                indexes=[
                    index
                    for index in indexes.get(user.id, ())
                    if first <= index.day <= last_index
                ],
                events=events[user.id],
                declarations=declarations[user.id],
                enedis=enedis[user.id],
            )
            for user in users
        }

    # --- passes -------------------------------------------------------------------
    async def recompute_all(
        self, today: date, season_id: str | None = None
    ) -> list[RecomputeReport]:
        """Recompute every household of the active seasons (or of one season)."""
        async with self.lock:
            self.dirty.clear()
            with self._pool_guard():
                return [
                    await self._full(season, today - timedelta(days=1))
                    for season in await self._active_seasons(today, season_id)
                ]

    async def recompute_dirty(self, today: date) -> list[RecomputeReport]:
        """Recompute the dirty households and whatever depends on their medians."""
        async with self.lock:
            dirty = dict(self.dirty)
            self.dirty.clear()
            reports = []
            try:
                with self._pool_guard():
                    for season in await self._active_seasons(today, None):
                        as_of = today - timedelta(days=1)
                        state = self.states.get(season.id)
                        fingerprint, _, _ = await self._context(season, as_of)
                        if state is None or state.fingerprint != fingerprint:
                            reports.append(await self._full(season, as_of))
                        else:
                            reports.append(
                                await self._incremental(season, state, set(dirty))
                            )
            except BaseException:
                # Keep the marks for the next pass (a failed pass loses nothing).
                for user_id, months in dirty.items():
                    self.dirty[user_id] |= months
                raise
            return reports

    async def _active_seasons(
        self, today: date, season_id: str | None
    ) -> list[models.Season]:
        """Return the seasons to score: started, and not long over."""
        seasons = await self.storage.list_seasons()
        if season_id is not None:
            return [s for s in seasons if s.id == season_id]
        return [s for s in seasons if s.start < today <= s.end + ACTIVE_AFTER_END]

    async def _full(self, season: models.Season, as_of: date) -> RecomputeReport:
        """Recompute a whole season from storage."""
        fingerprint, settings, catalogue = await self._context(season, as_of)
        old = self.states.get(season.id)
        state = SeasonState(
            season_id=season.id,
            fingerprint=fingerprint,
            as_of=as_of,
            settings=settings,
            catalogue=catalogue,
            members=await self._members(season),
            declarations=await self._declarations(season),
            team_names=await self._team_names(season),
        )
        if old is not None:
            state.results = old.results
        else:
            state.results = await self._stored_results(season)
        report = RecomputeReport(season.id, full=True)
        users = self._users
        # Two passes over chunks of households: the day totals for the medians, then
        # everything to score (a whole season's half-hours would take gigabytes).
        members = [users[user_id] for user_id in state.members]
        pool = self._executor(len(members))
        if pool is not None:
            loop = asyncio.get_running_loop()
            executor, url = pool
            for found in await asyncio.gather(
                *(
                    loop.run_in_executor(
                        executor,
                        contributions_in_worker,
                        url,
                        season,
                        list(chunk),
                        settings,
                        as_of,
                    )
                    for chunk in _chunks(members, _chunk_size())
                )
            ):
                state.contributions.update(found)
        else:
            for chunk in _chunks(members, _chunk_size()):
                await self._between_chunks()
                totals = await self._households(season, chunk, slots=False)
                for user_id, household in totals.items():
                    state.contributions[user_id] = contribution(
                        household, settings, as_of
                    )
        state.aggregates = aggregates_of(state.contributions.values())
        state.team_temperatures = self._team_temperatures(state)
        await self._score_users(season, state, members, report)
        for stale in set(state.results) - set(state.members):
            del state.results[stale]
        self.states[season.id] = state
        self._build_boards(season, state)
        LOGGER.info(
            "Scored season %s as of %s: %d households, %d rewritten",
            season.name,
            as_of,
            len(report.recomputed),
            len(report.written),
        )
        return report

    async def _incremental(
        self, season: models.Season, state: SeasonState, dirty: set[str]
    ) -> RecomputeReport:
        """Recompute dirty households and those whose medians changed."""
        report = RecomputeReport(season.id, full=False)
        members = await self._members(season)
        declarations = await self._declarations(season)
        for user_id, member in members.items():
            previous = state.members.get(user_id)
            if (
                previous is None
                or previous.profile != member.profile
                or previous.team_id != member.team_id
                or declarations.get(user_id) != state.declarations.get(user_id)
            ):
                dirty.add(user_id)
        gone = (set(state.contributions) | set(state.results)) - set(members)
        team_names = await self._team_names(season)
        roster_changed = members != state.members or team_names != state.team_names
        state.team_names = team_names
        state.members = members
        state.declarations = declarations
        for user_id in gone:
            state.contributions.pop(user_id, None)
            state.results.pop(user_id, None)
        dirty &= set(members)
        if not dirty and not gone:
            if roster_changed:
                self._build_boards(season, state)
            return report
        users = self._users
        inputs = await self._households(season, [users[u] for u in sorted(dirty)])
        for user_id, household in inputs.items():
            state.contributions[user_id] = contribution(
                household, state.settings, state.as_of
            )
        aggregates = aggregates_of(state.contributions.values())
        temperatures = self._team_temperatures(state)
        affected = set(dirty)
        segments = _changed_keys(
            state.aggregates.segment_consumption, aggregates.segment_consumption
        )
        solar = _changed_keys(
            state.aggregates.solar_yield, aggregates.solar_yield
        ) | _changed_keys(
            state.aggregates.reference_solar_yield, aggregates.reference_solar_yield
        )
        report.changed_medians = segments | solar
        changed_segments = {key.split("|", 1)[1] for key in segments}
        changed_teams = {
            team
            for team in temperatures.keys() | state.team_temperatures.keys()
            if temperatures.get(team) != state.team_temperatures.get(team)
        }
        for user_id, member in members.items():
            if (
                member.segment in changed_segments
                or (solar and member.solar)
                or member.team_id in changed_teams
            ):
                affected.add(user_id)
        state.aggregates = aggregates
        state.team_temperatures = temperatures
        await self._score_users(
            season, state, [users[u] for u in sorted(affected)], report, inputs
        )
        self._build_boards(season, state)
        return report

    def _team_temperatures(self, state: SeasonState) -> dict[str, dict[date, float]]:
        """Return each team's median temperature per day."""
        by_team: dict[str, list[Contribution]] = defaultdict(list)
        for user_id, member in state.members.items():
            if user_id in state.contributions:
                by_team[member.team_id].append(state.contributions[user_id])
        return {team: team_temperature(items) for team, items in by_team.items()}

    async def _stored_results(self, season: models.Season) -> dict[str, Result]:
        """Return what the storage already holds (so unchanged scores are not rewritten)."""
        results: dict[str, Result] = {}
        for entry in await self.storage.list_scores(season.id):
            result = results.setdefault(
                entry.user_id,
                Result(
                    totals={}, total=0.0, valid_day_share=0.0, kwh_saved=0.0, entries={}
                ),
            )
            result.entries[(entry.challenge, entry.month)] = _entry_json(
                entry.points, entry.card
            )
        return results

    async def _score_users(
        self,
        season: models.Season,
        state: SeasonState,
        users: Sequence[models.User],
        report: RecomputeReport,
        loaded: Mapping[str, HouseholdInput] | None = None,
    ) -> None:
        """Score households chunk by chunk, each chunk's changed cards in one write.

        Big passes run in worker processes, each reading its chunks from the database
        (at most two chunks per worker in flight); otherwise a chunk is scored in a
        thread (the event loop keeps serving requests) while the next one is read.
        """
        loaded = loaded or {}
        loop = asyncio.get_running_loop()
        pool = self._executor(len(users))
        in_flight = 2 * self.workers if pool is not None else 1
        pending: list[asyncio.Future[dict[str, Scored]]] = []
        try:
            for chunk in _chunks(users, _chunk_size()):
                await self._between_chunks()
                if pool is not None:
                    executor, url = pool
                    task = self._task(state, [user.id for user in chunk], {})
                    future = loop.run_in_executor(
                        executor, score_in_worker, url, season, list(chunk), task
                    )
                else:
                    missing = [user for user in chunk if user.id not in loaded]
                    read = await self._households(season, missing) if missing else {}
                    households = {
                        user.id: loaded[user.id] if user.id in loaded else read[user.id]
                        for user in chunk
                    }
                    task = self._task(state, list(households), households)
                    future = loop.run_in_executor(None, score_task, task)
                while len(pending) >= in_flight:
                    await self._store(season, state, await pending.pop(0), report)
                pending.append(future)
            while pending:
                await self._store(season, state, await pending.pop(0), report)
        finally:
            for future in pending:
                future.cancel()

    @staticmethod
    def _task(
        state: SeasonState,
        user_ids: list[str],
        households: dict[str, HouseholdInput],
    ) -> ScoreTask:
        """Return the scoring task of households (with their teams' data only)."""
        teams = {user_id: state.members[user_id].team_id for user_id in user_ids}
        return ScoreTask(
            season_id=state.season_id,
            settings=state.settings,
            catalogue=state.catalogue,
            as_of=state.as_of,
            aggregates=state.aggregates,
            team_temperatures={
                team: state.team_temperatures[team]
                for team in set(teams.values())
                if team in state.team_temperatures
            },
            teams=teams,
            households=households,
        )

    async def _store(
        self,
        season: models.Season,
        state: SeasonState,
        scored: dict[str, Scored],
        report: RecomputeReport,
    ) -> None:
        """Keep scored households' figures; store the changed cards in one batch."""
        changed: dict[str, list[models.ScoreEntry]] = {}
        for user_id, item in scored.items():
            previous = state.results.get(user_id)
            if previous is None or previous.entries != item.result.entries:
                changed[user_id] = item.entries
        if changed:
            await self.storage.replace_scores_many(season.id, changed)
        for user_id, item in scored.items():
            state.results[user_id] = item.result
        report.recomputed |= set(scored)
        report.written |= set(changed)

    # --- leaderboards -------------------------------------------------------------
    @staticmethod
    def _build_boards(season: models.Season, state: SeasonState) -> None:
        """Rank players and teams per challenge and overall (served from memory)."""
        state.boards = {
            challenge: build_board(season, state, challenge)
            for challenge in (None, *season.challenges)
        }

    async def _team_names(self, season: models.Season) -> dict[str, str]:
        """Return the season's team names by id."""
        return {team.id: team.name for team in await self.storage.list_teams(season.id)}

    async def board(
        self, season: models.Season, challenge: str | None
    ) -> dict[str, Any] | None:
        """Return a computed leaderboard, or None before the first pass.

        Teams and memberships are checked at most every ``ROSTER_CHECK_S`` (a new team
        or member shows then, with the points computed so far); points change at each
        pass. A process that does not hold the scoring lease serves the leaderboards
        the holder published in the store (read at most every ``ROSTER_CHECK_S``).
        """
        state = self.states.get(season.id)
        if state is None:
            if self._keeper is not None and not self._keeper.held:
                # Another server process scores this store: serve what it published.
                return await self._shared_board(season, challenge)
            return None
        now = monotonic()
        if now - state.roster_checked < ROSTER_CHECK_S:
            return state.boards.get(challenge)
        state.roster_checked = now
        team_names = await self._team_names(season)
        teams_of = {
            m.user_id: m.team_id
            for m in await self.storage.list_memberships(season_id=season.id)
        }
        known = {user_id: m.team_id for user_id, m in state.members.items()}
        if team_names != state.team_names or teams_of != known:
            members = await self._members(season)
            for user_id, member in members.items():
                old = state.members.get(user_id)
                if old is None or (old.team_id, old.profile) != (
                    member.team_id,
                    member.profile,
                ):
                    self.dirty[user_id].add(month_key(season.start))
            state.team_names = team_names
            state.members = members
            self._build_boards(season, state)
        return state.boards.get(challenge)


def models_record(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a model's record without some fields (for fingerprints)."""
    from game_server.codec import to_record

    return {k: v for k, v in to_record(obj).items() if k not in exclude}


def build_board(
    season: models.Season,
    state: SeasonState,
    challenge: str | None,
) -> dict[str, Any]:
    """Return the players' and teams' ranking of a challenge (or overall)."""

    def points_of(user_id: str) -> float:
        result = state.results.get(user_id)
        if result is None:
            return 0.0
        return result.total if challenge is None else result.totals.get(challenge, 0.0)

    active = [m for m in state.members.values() if not m.disabled]
    active.sort(
        key=lambda m: (-round(points_of(m.user_id), 6), m.display_name, m.user_id)
    )
    players = [
        {
            "rank": rank,
            "user_id": m.user_id,
            "display_name": m.display_name,
            "team_id": m.team_id,
            "points": round(points_of(m.user_id), 2),
        }
        for rank, m in enumerate(active, 1)
    ]
    by_team: dict[str, list[TeamMember]] = defaultdict(list)
    for m in active:
        result = state.results.get(m.user_id)
        by_team[m.team_id].append(
            TeamMember(
                user_id=m.user_id,
                points=points_of(m.user_id),
                valid_day_share=result.valid_day_share if result else 0.0,
                kwh_saved=result.kwh_saved if result else 0.0,
                simplified=m.simplified,
            )
        )
    team_names = state.team_names
    scores = [team_score(team_id, by_team.get(team_id, [])) for team_id in team_names]
    teams = [
        {
            "rank": rank,
            "team_id": item.team_id,
            "name": team_names[item.team_id],
            "members": item.members,
            "counted_members": item.counted_members,
            "points": round(item.score, 2),
            "kwh_saved": round(item.kwh_saved, 2),
        }
        for rank, item in enumerate(rank_teams(scores), 1)
    ]
    return {
        "season_id": season.id,
        "challenge": challenge,
        "as_of": state.as_of.isoformat(),
        "players": players,
        "teams": teams,
        "computed": True,
    }


# --- one job per storage, and the app's background task -------------------------
_JOBS: weakref.WeakKeyDictionary[Storage, ScoringJob] = weakref.WeakKeyDictionary()


def job_for(storage: Storage) -> ScoringJob:
    """Return the scoring job of a storage (created on first use)."""
    job = _JOBS.get(storage)
    if job is None:
        job = _JOBS[storage] = ScoringJob(storage)
    return job


def paris_today(clock: Callable[[], datetime] | None = None) -> date:
    """Return today's local date (from a UTC clock)."""
    now = clock() if clock is not None else datetime.now(UTC)
    return now.astimezone(PARIS).date()


async def run_forever(
    storage: Storage,
    clock: Callable[[], datetime] | None = None,
    interval: float | None = None,
) -> None:
    """Recompute everything now and nightly, and dirty households every ``interval``.

    Each pass is run by the process holding the store's scoring lease only
    (``ScoringJob.run_pass``): several servers on one store score it once.
    ``interval`` defaults to ``SUNSHARE_SCORING_INTERVAL`` or ``DIRTY_INTERVAL_S``.
    """
    if interval is None:
        interval = _env_number(INTERVAL_ENV, DIRTY_INTERVAL_S)
    job = job_for(storage)
    full_day: date | None = None
    while True:
        try:
            now = (clock() if clock is not None else datetime.now(UTC)).astimezone(
                PARIS
            )
            today = now.date()
            full = full_day is None or (today != full_day and now.time() >= NIGHTLY_AT)
            outcome = await job.run_pass(today, full=full)
            if outcome is not None and outcome.full:
                full_day = today
        except Exception:  # log once, keep the job alive
            LOGGER.exception("Scoring pass failed; retrying at the next interval")
        await asyncio.sleep(interval)


async def scoring_ctx(app: Any) -> AsyncIterator[None]:
    """Run the scoring task while the app runs (an aiohttp cleanup context)."""
    from game_server.app import SETTINGS_KEY, STORAGE_KEY

    task = asyncio.create_task(
        run_forever(app[STORAGE_KEY], app[SETTINGS_KEY].clock), name="scoring"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        job = job_for(app[STORAGE_KEY])
        try:
            # Another server process on the store takes the passes over at once.
            await job.release()
        except Exception:  # the store may be gone: the lease then expires
            LOGGER.exception("Cannot release the scoring lease")
        # Stop the worker processes of big passes (waits for a running chunk).
        await asyncio.to_thread(job.close)
