"""The demo's Enedis: a local stand-in for Enedis Data Connect with a year of data.

``./scripts/demo`` points the game server's Data Connect application at it
(``SUNSHARE_ENEDIS_API_URL``), so the game server's gateway (``/api/enedis``) serves the
demo household's meter and Home Assistant's Enedis entry imports its history. It answers
what the game server asks:

* ``POST /oauth2/v3/token`` — ``client_credentials`` with the demo's client id and
  secret (``invalid_client`` otherwise);
* ``GET /mesure_synchrone_auto/v2/{consommation_quotidienne, courbe_de_charge_consommation,
  production_quotidienne, courbe_de_charge_production, puissance_conso_max_quotidienne}
  ?pointId=&dateDebut=&dateFin=`` — Data Connect 2026 bodies (``grandeur[].points``,
  load-curve points labelled by their Paris end time, 46 or 50 on clock-change days)
  for the one PRM it knows, any day before today.

The numbers are the household's story, the same every run: a consumption with morning
and evening peaks (more in winter) and solar panels following the sun at Nantes (the
TIC simulator's :func:`solar_production_w`) under a day's weather. Enedis counts what
crosses the meter, so consumption is the load the panels do not cover and production is
the surplus injected into the grid.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
import math
import random
import sys
from typing import Any, Final

from aiohttp import web

# The demo runs this file with the repository on PYTHONPATH.
from custom_components.sunshare.enedis.models import Measure
from custom_components.sunshare.teleinfo.models import PARIS
from custom_components.sunshare.teleinfo.simulator import solar_production_w

CLIENT_ID: Final = "sunshare-demo"
CLIENT_SECRET: Final = "sunshare-demo-secret"  # noqa: S105 - a local demo's
ACCESS_TOKEN: Final = "sunshare-demo-application-token"  # noqa: S105
MEASURES_PATH: Final = "/mesure_synchrone_auto/v2"
STEP: Final = timedelta(minutes=30)
SOLAR_PEAK_W: Final = 3000.0


def half_hours(day: date) -> list[tuple[datetime, datetime]]:
    """Return ``(start UTC, naive Paris end label)`` of every half-hour of a Paris day."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(
        following.year, following.month, following.day, tzinfo=PARIS
    ).astimezone(UTC)
    points = []
    cursor = start
    while cursor < end:
        points.append((cursor, (cursor + STEP).astimezone(PARIS).replace(tzinfo=None)))
        cursor += STEP
    return points


def household_w(prm: str, start_utc: datetime) -> tuple[float, float]:
    """Return the household's average load and solar output (W) over a half-hour."""
    local = start_utc.astimezone(PARIS)
    rng = random.Random(f"{prm} {local.date().isoformat()}")
    weather = rng.uniform(0.25, 1.0)
    winter = 0.5 + 0.5 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365)
    hour = local.hour + local.minute / 60
    load = 300.0 + 500.0 * winter
    if 7 <= hour < 9:
        load += 700.0
    if 18 <= hour < 22:
        load += 1000.0 + 800.0 * winter
    slot = random.Random(f"{prm} {start_utc.isoformat()}")
    load *= slot.uniform(0.8, 1.2)
    middle = start_utc + STEP / 2
    return load, solar_production_w(middle, SOLAR_PEAK_W) * weather


def grid_w(prm: str, start_utc: datetime, production: bool) -> int:
    """Return the average power (W) drawn from (or injected into) the grid."""
    load, solar = household_w(prm, start_utc)
    return round(max(solar - load, 0.0) if production else max(load - solar, 0.0))


def days(start: date, end: date) -> Iterator[date]:
    """Yield the days of ``[start, end[``."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def body(measure: Measure, prm: str, start: date, end: date) -> dict[str, Any]:
    """Return the Data Connect 2026 body of a measure for ``[start, end[``."""
    production = measure.is_production
    points: list[dict[str, Any]] = []
    unit, physical = "Wh", "EA"
    for day in days(start, end):
        slots = half_hours(day)
        if measure.is_load_curve:
            unit, physical = "W", "PA"
            points += [
                {
                    "v": str(grid_w(prm, begin, production)),
                    "d": label.strftime("%Y-%m-%d %H:%M:%S"),
                    "p": "PT30M",
                    "n": "B",
                }
                for begin, label in slots
            ]
        elif measure is Measure.CONSUMPTION_MAX_POWER:
            unit, physical = "VA", "PMA"
            peak = max(slots, key=lambda slot: grid_w(prm, slot[0], False))
            points.append(
                {
                    "v": str(grid_w(prm, peak[0], False)),
                    "d": (peak[1] - STEP).strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
        else:
            energy = sum(grid_w(prm, begin, production) for begin, _ in slots) / 2
            points.append({"v": str(round(energy)), "d": day.isoformat()})
    answer: dict[str, Any] = {
        "idPrm": prm,
        "etapeMetier": "BRUT",
        "periode": {"dateDebut": start.isoformat(), "dateFin": end.isoformat()},
        "modeCalcul": "MESURE" if measure.is_load_curve else "DIFF.INDEX",
        "grandeur": [
            {
                "grandeurMetier": "PROD" if production else "CONS",
                "grandeurPhysique": physical,
                "unite": unit,
                "points": points,
            }
        ],
        "contexte": [],
    }
    if measure.is_load_curve:
        answer["pas"] = "PT30M"
    return answer


def _error(status: int, code: str, message: str) -> web.Response:
    """Return a Data Connect 2026 error body."""
    return web.json_response({"code": code, "message": message}, status=status)


def create_app(prm: str, *, today: date | None = None) -> web.Application:
    """Return the demo platform serving ``prm`` (``today``: Paris today by default)."""

    async def token(request: web.Request) -> web.Response:
        """Issue the application token to the demo's client."""
        form = await request.post()
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(
            {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 12600}
        )

    async def measures(request: web.Request) -> web.Response:
        """Serve one metering request."""
        try:
            measure = Measure.from_name(request.match_info["endpoint"])
        except ValueError:
            return _error(404, "not_found", "Unknown API")
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return _error(401, "invalid_token", "Invalid access token")
        query = request.query
        if query.get("pointId") != prm:
            return _error(403, "ADAM-DC-0008", "No consent for this usage point")
        try:
            start = date.fromisoformat(query.get("dateDebut", ""))
            end = date.fromisoformat(query.get("dateFin", ""))
        except ValueError:
            return _error(400, "ADAM-DC-0001", "Invalid dates")
        last = today or datetime.now(PARIS).date()
        if start >= end or end > last:
            return _error(400, "ADAM-DC-0002", "The end date must be at most today")
        if (end - start).days > measure.max_days_per_call:
            return _error(400, "ADAM-DC-0015", "Period too long")
        return web.json_response(body(measure, prm, start, end))

    app = web.Application()
    app.router.add_post("/oauth2/v3/token", token)
    app.router.add_get(MEASURES_PATH + "/{endpoint}", measures)
    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the demo platform on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--prm", required=True, help="the one meter it serves")
    args = parser.parse_args(argv)

    def announce(_text: str) -> None:
        """Say where it listens (the demo waits for the port itself)."""
        sys.stdout.write(f"listening on 127.0.0.1:{args.port}\n")
        sys.stdout.flush()

    web.run_app(create_app(args.prm), host="127.0.0.1", port=args.port, print=announce)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
