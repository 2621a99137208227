"""A fake Enedis metering-data gateway (Conso API style) served over real local HTTP.

It stands in for the Sunshare game server's gateway and for ``conso.boris.sh``: the
real client (:class:`custom_components.sunshare.enedis.EnedisClient`) talks to it over a
socket on ``127.0.0.1`` (port 0). Tests must request the ``real_sockets`` fixture.

Quick start (pure library tests or Home Assistant tests alike)::

    from tests.fakes.enedis_gateway import FakeEnedisGateway, enedis_gateway  # fixture

    async def test_x(enedis_gateway: FakeEnedisGateway) -> None:
        client = EnedisClient(session, enedis_gateway.base_url, enedis_gateway.token,
                              now=enedis_gateway.now)
        ...
        assert enedis_gateway.requests[0].params["start"] == "2026-11-16"

Import ``enedis_gateway`` into a test module or a ``conftest.py`` to use the fixture
(it depends on ``real_sockets``); or use ``async with running_gateway(...) as gw:``.

Constructor options (all attributes can be changed while running):

* ``token`` (``"test-token"``) and ``meters`` (``{prm: FakeMeter}``; default one meter
  ``DEFAULT_PRM`` with consumption, production and load curve): a bearer token other
  than ``token`` gets 401, an unknown PRM 401 (as Conso API does);
* ``fmt``: ``"v5"`` (``meter_reading`` wrapper), ``"v5_unwrapped"`` (Conso API returns
  ``meter_reading``'s content) or ``"dc2026"`` (``grandeur[].points[{v, d, p}]``);
* ``curve_unit``: ``"W"`` (Enedis, average power) or ``"Wh"`` (energy per step);
* ``now``: the fake's current time — a fixed aware datetime (default 2026-11-23 12:00
  UTC; move it by setting ``current_time``) or a callable such as Home Assistant's
  ``dt_util.utcnow`` to follow frozen test time. The fake refuses ``end`` after today
  (Paris) and periods beyond the history limits;
* ``clock``: monotonic clock recorded with each request (inject the test's fake clock);
* ``max_per_second`` / ``max_per_hour``: when set, the fake enforces Enedis' quotas
  on ``clock`` and answers 429 with ``Retry-After`` (every request counts);
* ``prefix``: URL path prefix (default ``/api``); ``base_url`` is the URL to give the
  client. Both legacy (``/daily_consumption?prm&start&end``) and Data Connect 2026
  (``/consommation_quotidienne?pointId&dateDebut&dateFin``) names are served.

Data (deterministic, from :func:`curve_power_w`): 30-minute average power in W per
meter and direction; the daily value of a day is exactly the sum of its load curve in
Wh. DST days come out naturally: 29 Mar 2026 has 46 points, 25 Oct 2026 has 50 (with
``02:00`` and ``02:30`` twice). Per meter: ``missing_days`` (no points, and no daily
value), ``null_days`` (every value ``null``), ``null_labels`` (naive Paris end labels
whose value is ``null``), ``load_curve`` (False → ``STM-ERR-0000014``),
``consumption``/``production`` (False → ``ADAM-ERR0069``). A period with no point at
all answers 404 ``no_data_found``.

Scripted failures: :meth:`FakeEnedisGateway.fail_next` queues responses returned
before normal ones (optionally only for one measure): any status, Enedis ``code``,
``Retry-After`` header, raw body, ``delay`` before answering (to make the
client time out); helpers :meth:`revoke_consent` (403
``ADAM-DC-0008``), :meth:`fail_malformed`. Every request is recorded in
:attr:`FakeEnedisGateway.requests` (:class:`RecordedRequest`: path, measure, params,
clock time, authorization, status returned).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import json
import math
import time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.sunshare.enedis.models import Measure

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_PRM = "12345678901234"
PRODUCTION_PRM = "10284856584123"
DEFAULT_TOKEN = "test-token"
DEFAULT_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STEP = timedelta(minutes=30)

type Format = Literal["v5", "v5_unwrapped", "dc2026"]


def curve_power_w(prm: str, production: bool, start_utc: datetime) -> int:
    """Return the fake average power (W, even) over the half-hour from ``start_utc``."""
    return 2 * (_raw_power_w(prm, production, start_utc) // 2)


def _raw_power_w(prm: str, production: bool, start_utc: datetime) -> int:
    """Return the fake average power before rounding to an even number of W."""
    local = start_utc.astimezone(PARIS)
    hour = local.hour + local.minute / 60
    seed = int(prm[-3:]) % 7
    if production:
        # Daylight bell between 07:00 and 19:00 local, scaled by the day of the year.
        if not 7 <= hour < 19:
            return 0
        season = 0.6 + 0.4 * math.sin(
            (local.timetuple().tm_yday - 80) / 365 * 2 * math.pi
        )
        return round(3000 * season * math.sin((hour - 7) / 12 * math.pi)) + seed
    base = 350 + 40 * seed
    evening = 1200 if 18 <= hour < 22 else 0
    morning = 700 if 7 <= hour < 9 else 0
    return base + evening + morning + (local.day * 13 + int(hour * 2) * 7) % 97


def day_points(day: date) -> list[tuple[datetime, datetime]]:
    """Return ``(start UTC, naive Paris end label)`` for every half-hour of a day."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=PARIS).astimezone(UTC)
    points = []
    cursor = start
    while cursor < end:
        label = (cursor + STEP).astimezone(PARIS).replace(tzinfo=None)
        points.append((cursor, label))
        cursor += STEP
    return points


@dataclass
class FakeMeter:
    """One meter (PRM) of the fake gateway and its data quirks."""

    consumption: bool = True
    production: bool = True
    load_curve: bool = True
    missing_days: set[date] = field(default_factory=set)
    null_days: set[date] = field(default_factory=set)
    null_labels: set[datetime] = field(default_factory=set)
    activation: date | None = None
    """No data before this day (ADAM-ERR0123 when the period starts before it)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    path: str
    measure: Measure | None
    params: dict[str, str]
    time: float
    authorization: str | None
    status: int

    @property
    def start(self) -> date:
        """Return the requested first day."""
        return date.fromisoformat(self.params.get("start") or self.params["dateDebut"])

    @property
    def end(self) -> date:
        """Return the requested end day (exclusive)."""
        return date.fromisoformat(self.params.get("end") or self.params["dateFin"])


@dataclass
class ScriptedResponse:
    """A response to return instead of the normal one."""

    status: int
    body: str
    headers: dict[str, str]
    measure: Measure | None = None
    delay: float = 0.0
    """Seconds the fake waits before answering (to trigger client timeouts)."""


class FakeEnedisGateway:
    """The fake gateway application and its state; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        meters: dict[str, FakeMeter] | None = None,
        fmt: Format = "v5",
        curve_unit: Literal["W", "Wh"] = "W",
        now: datetime | Callable[[], datetime] = DEFAULT_NOW,
        clock: Callable[[], float] = time.monotonic,
        prefix: str = "/api",
        max_per_second: int | None = None,
        max_per_hour: int | None = None,
    ) -> None:
        """Build the application (not started)."""
        self.token = token
        self.meters = meters if meters is not None else {DEFAULT_PRM: FakeMeter()}
        self.fmt: Format = fmt
        self.curve_unit = curve_unit
        self._now_func = None if isinstance(now, datetime) else now
        self.current_time = now if isinstance(now, datetime) else now()
        self.clock = clock
        self.prefix = prefix.rstrip("/")
        self.max_per_second = max_per_second
        self.max_per_hour = max_per_hour
        self.requests: list[RecordedRequest] = []
        self.scripted: deque[ScriptedResponse] = deque()
        self.app = web.Application()
        self.app.router.add_get(self.prefix + "/{endpoint}", self._handle)
        self._server: TestServer | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving on 127.0.0.1 (port 0) and return :attr:`base_url`."""
        self._server = TestServer(self.app, host="127.0.0.1", port=0)
        await self._server.start_server()
        return self.base_url

    async def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            await self._server.close()
            self._server = None

    @property
    def base_url(self) -> str:
        """Return the base URL to give the client (``http://127.0.0.1:PORT/api``)."""
        if self._server is None:
            raise RuntimeError("The fake gateway is not started")
        return str(self._server.make_url(self.prefix))

    def now(self) -> datetime:
        """Return the fake's current time (pass as the client's ``now``)."""
        if self._now_func is not None:
            return self._now_func()
        return self.current_time

    @property
    def today(self) -> date:
        """Return today's Paris date according to the fake's clock."""
        return self.now().astimezone(PARIS).date()

    # -- scripting -------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        code: str | None = None,
        message: str = "scripted failure",
        retry_after: str | float | None = None,
        body: str | None = None,
        times: int = 1,
        measure: Measure | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue ``times`` responses with ``status`` (Enedis ``code``, raw ``body``)."""
        if body is None:
            error: dict[str, Any] = {"message": message}
            if code is not None:
                error = {"code": code, "message": message}
            body = json.dumps(
                {
                    "status": status,
                    "message": "The Enedis API returned an error",
                    "error": error,
                }
            )
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        for _ in range(times):
            self.scripted.append(
                ScriptedResponse(status, body, headers, measure, delay)
            )

    def revoke_consent(self, *, times: int = 1) -> None:
        """Queue 403 ``ADAM-DC-0008`` (no consent) responses."""
        self.fail_next(
            403, code="ADAM-DC-0008", message="No consent can be found", times=times
        )

    def fail_malformed(
        self, body: str = "<html>Maintenance</html>", times: int = 1
    ) -> None:
        """Queue 200 responses with an unreadable body."""
        for _ in range(times):
            self.scripted.append(
                ScriptedResponse(200, body, {"Content-Type": "text/html"})
            )

    def requests_for(self, measure: Measure) -> list[RecordedRequest]:
        """Return the recorded requests of one measure."""
        return [r for r in self.requests if r.measure is measure]

    # -- data ------------------------------------------------------------------------

    def curve_points(
        self, prm: str, production: bool, start: date, end: date
    ) -> list[tuple[datetime, datetime, int | None]]:
        """Return ``(start UTC, Paris end label, W or None)`` for days ``[start, end[``."""
        meter = self.meters[prm]
        points: list[tuple[datetime, datetime, int | None]] = []
        day = start
        while day < end:
            if day not in meter.missing_days and (
                meter.activation is None or day >= meter.activation
            ):
                for start_utc, label in day_points(day):
                    value: int | None = curve_power_w(prm, production, start_utc)
                    if day in meter.null_days or label in meter.null_labels:
                        value = None
                    points.append((start_utc, label, value))
            day += timedelta(days=1)
        return points

    def daily_wh(self, prm: str, production: bool, day: date) -> int | None:
        """Return the fake daily energy (Wh): the sum of the day's load curve."""
        meter = self.meters[prm]
        if day in meter.null_days:
            return None
        return sum(
            curve_power_w(prm, production, start_utc) // 2
            for start_utc, _label in day_points(day)
        )

    # -- HTTP ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        """Serve one metering-data request."""
        endpoint = request.match_info["endpoint"]
        params = dict(request.query)
        try:
            measure: Measure | None = Measure.from_name(endpoint)
        except ValueError:
            measure = None
        delay = next(
            (
                s.delay
                for s in self.scripted
                if s.measure is None or s.measure is measure
            ),
            0.0,
        )
        response = self._respond(request, measure, params)
        if delay:
            await asyncio.sleep(delay)
        self.requests.append(
            RecordedRequest(
                path=request.path,
                measure=measure,
                params=params,
                time=self.clock(),
                authorization=request.headers.get("Authorization"),
                status=response.status,
            )
        )
        return response

    def _respond(
        self, request: web.Request, measure: Measure | None, params: dict[str, str]
    ) -> web.Response:
        """Return the scripted or normal response to a request."""
        if (limited := self._quota_response()) is not None:
            return limited
        for scripted in list(self.scripted):
            if scripted.measure is None or scripted.measure is measure:
                self.scripted.remove(scripted)
                return web.Response(
                    status=scripted.status, text=scripted.body, headers=scripted.headers
                )
        if measure is None:
            return _error(404, "not_found", "Unknown endpoint")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(
                401,
                None,
                "Votre token est invalide ou ne permet pas d'accéder à ce PRM",
            )
        prm = params.get("prm") or params.get("pointId") or ""
        try:
            start = date.fromisoformat(params.get("start") or params["dateDebut"])
            end = date.fromisoformat(params.get("end") or params["dateFin"])
        except (KeyError, ValueError):
            return _error(400, None, "Paramètres invalides")
        if prm not in self.meters:
            return _error(
                401,
                None,
                "Votre token est invalide ou ne permet pas d'accéder à ce PRM",
            )
        meter = self.meters[prm]
        if start >= end:
            return _error(400, "ADAM-DC-0001", "dateFin ne peut être égale à dateDebut")
        if end > self.today:
            return _error(
                400, "ADAM-DC-0002", "La date de fin doit être au plus aujourd'hui"
            )
        months = 24 if measure.is_load_curve else 36
        limit = _months_before(self.today, months) - timedelta(days=15)
        if start < limit:
            return _error(400, "ADAM-DC-0016", "Date de début hors de l'historique")
        if measure.is_load_curve and (end - start).days > 7:
            return _error(400, "ADAM-DC-0015", "Période de plus de 7 jours")
        if (
            meter.activation is not None
            and start < meter.activation
            and end <= meter.activation
        ):
            return _error(400, "ADAM-ERR0123", "Date antérieure à la mise en service")
        production = measure.is_production
        if (production and not meter.production) or (
            not production and not meter.consumption
        ):
            return _error(400, "ADAM-ERR0069", "Sens de mesure incompatible")
        if measure.is_load_curve and not meter.load_curve:
            return _error(404, "STM-ERR-0000014", "Courbe de charge non activée")
        body = self._body(measure, prm, start, end)
        if body is None:
            return _error(404, "no_data_found", "no measure found for this usage point")
        return web.json_response(body)

    def _quota_response(self) -> web.Response | None:
        """Return a 429 when the enforced quotas are exceeded (Enedis Q3/Q4)."""
        now = self.clock()
        for limit, window, name in (
            (self.max_per_second, 1.0, "Quota Q3 reached"),
            (self.max_per_hour, 3600.0, "Quota Q4 reached"),
        ):
            if limit is None:
                continue
            recent = [r.time for r in self.requests if r.time > now - window]
            if len(recent) >= limit:
                response = _error(429, None, name)
                retry = max(1, math.ceil(min(recent) + window - now))
                response.headers["Retry-After"] = str(retry)
                return response
        return None

    def _body(
        self, measure: Measure, prm: str, start: date, end: date
    ) -> dict[str, Any] | None:
        """Return the body in the current format, or ``None`` when there is no point."""
        production = measure.is_production
        meter = self.meters[prm]
        rows: list[tuple[str, int | None, str | None]]
        unit: str
        if measure.is_load_curve:
            factor = 0.5 if self.curve_unit == "Wh" else 1.0
            rows = [
                (
                    label.strftime("%Y-%m-%d %H:%M:%S"),
                    None if value is None else round(value * factor),
                    "PT30M",
                )
                for _s, label, value in self.curve_points(prm, production, start, end)
            ]
            unit = self.curve_unit
        else:
            rows = []
            day = start
            while day < end:
                if day not in meter.missing_days and (
                    meter.activation is None or day >= meter.activation
                ):
                    if measure is Measure.CONSUMPTION_MAX_POWER:
                        peak = max(
                            curve_power_w(prm, False, s)
                            for s, _label in day_points(day)
                        )
                        value = None if day in meter.null_days else peak
                        rows.append((f"{day.isoformat()} 19:12:00", value, None))
                    else:
                        rows.append(
                            (day.isoformat(), self.daily_wh(prm, production, day), None)
                        )
                day += timedelta(days=1)
            unit = "VA" if measure is Measure.CONSUMPTION_MAX_POWER else "Wh"
        if not rows:
            return None
        if self.fmt == "dc2026":
            return self._dc2026(measure, prm, start, end, rows=rows, unit=unit)
        return self._v5(measure, prm, start, end, rows=rows, unit=unit)

    def _v5(
        self,
        measure: Measure,
        prm: str,
        start: date,
        end: date,
        *,
        rows: list[tuple[str, int | None, str | None]],
        unit: str,
    ) -> dict[str, Any]:
        """Return a v5 ``meter_reading`` body."""
        readings: list[dict[str, Any]] = []
        for label, value, step in rows:
            item: dict[str, Any] = {
                "value": None if value is None else str(value),
                "date": label,
            }
            if step is not None:
                item |= {"interval_length": step, "measure_type": "B"}
            readings.append(item)
        reading = {
            "usage_point_id": prm,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "quality": "BRUT",
            "reading_type": {
                "measurement_kind": "power" if measure.is_load_curve else "energy",
                "unit": unit,
                "aggregate": "average" if measure.is_load_curve else "sum",
                **({} if measure.is_load_curve else {"measuring_period": "P1D"}),
            },
            "interval_reading": readings,
        }
        if self.fmt == "v5_unwrapped":
            return reading
        return {"meter_reading": reading}

    def _dc2026(
        self,
        measure: Measure,
        prm: str,
        start: date,
        end: date,
        *,
        rows: list[tuple[str, int | None, str | None]],
        unit: str,
    ) -> dict[str, Any]:
        """Return a Data Connect 2026 ``grandeur`` body."""
        points: list[dict[str, Any]] = []
        for label, value, step in rows:
            point: dict[str, Any] = {
                "v": None if value is None else str(value),
                "d": label,
            }
            if step is not None:
                point |= {"p": step, "n": "B"}
            points.append(point)
        if measure is Measure.CONSUMPTION_MAX_POWER:
            physical = "PMA"
        elif measure.is_load_curve and unit == "W":
            physical = "PA"
        else:
            physical = "EA"
        body: dict[str, Any] = {
            "idPrm": prm,
            "etapeMetier": "BRUT",
            "periode": {"dateDebut": start.isoformat(), "dateFin": end.isoformat()},
            "modeCalcul": "MESURE" if measure.is_load_curve else "DIFF.INDEX",
            "grandeur": [
                {
                    "grandeurMetier": "PROD" if measure.is_production else "CONS",
                    "grandeurPhysique": physical,
                    "unite": unit,
                    "points": points,
                }
            ],
            "contexte": [],
        }
        if measure.is_load_curve:
            body["pas"] = "PT30M"
        return body


def _error(status: int, code: str | None, message: str) -> web.Response:
    """Return a Conso-API-style error response wrapping an Enedis error."""
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error = {"code": code, "message": message}
    return web.json_response(
        {
            "status": status,
            "message": "The Enedis API returned an error",
            "error": error,
        },
        status=status,
    )


def _months_before(day: date, months: int) -> date:
    """Return the same day ``months`` earlier (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@asynccontextmanager
async def running_gateway(**kwargs: Any) -> AsyncIterator[FakeEnedisGateway]:
    """Run a :class:`FakeEnedisGateway` for the duration of the block."""
    gateway = FakeEnedisGateway(**kwargs)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.close()


@pytest.fixture
async def enedis_gateway(real_sockets: None) -> AsyncIterator[FakeEnedisGateway]:
    """Run a default fake gateway (v5 format, one meter ``DEFAULT_PRM``)."""
    async with running_gateway() as gateway:
        yield gateway
