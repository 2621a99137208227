"""Benchmark: days ingested through the game server's API, one by one and in bulk.

The real server (``python -m game_server``, SQLite) runs in its own process on 127.0.0.1;
this process is the clients: ``--connections`` of them at once, each with its own
households. Every day carries its 48 half-hours of import and export (46 or 50 on the
clock-change days), as Home Assistant sends them. Bodies are encoded before the clock
starts, so the figures are the server's (HTTP, JSON, validation, storage).

- single: ``PUT /api/v1/readings/{day}``, one request per day (``--single-households``);
- bulk: ``PUT /api/v1/readings``, one request per household with its ``--days`` days;
- bulk again: the same requests re-sent (every day ``unchanged``: read, not written).

Target: ≥ 20,000 day-records/s through the API.
Run: ``.venv/bin/python -m benchmarks.readings_bulk [--households N] [--days N]
[--single-households N] [--connections N]``.

The server's CPU time is read from ``/proc`` (Linux): days per server CPU second say
what one free core ingests, whatever else the machine runs.

Figures (2 cores shared with other jobs, load average 9.6, 2026-12-08), 1,000 households
× 365 days, the last 10 with half-hours: bulk 21,700 days per server CPU second (7,400/s
wall clock), re-sent unchanged 29,700 per CPU second (11,200/s); single-day route 880 per
CPU second (295/s): 25× faster. ``--households 200 --slot-days 365`` (every day with its
96 half-hours: JSON decoding and encoding of the numbers dominate): 9,000 per CPU second.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
import json
import os
from pathlib import Path
import random
import socket
import subprocess
import sys
import tempfile
import time

import aiohttp

from game_server import auth, models
from game_server.rules.models import PARIS
from game_server.rules.slots import slot_count
from game_server.storage.sqlite import DATABASE_FILE, SQLiteStorage

PASSWORD_HASH = "$argon2id$benchmark"  # noqa: S105 - nobody signs in


async def prepare(folder: Path, households: int) -> list[str]:
    """Store the households (no season: the last 400 days are open); return tokens."""
    storage = SQLiteStorage(folder / DATABASE_FILE)
    await storage.open()
    secrets = []
    try:
        for index in range(households):
            user = models.User(
                username=f"player{index}",
                display_name=f"Player {index}",
                password_hash=PASSWORD_HASH,
            )
            await storage.add_user(user)
            secret = auth.new_token()
            await storage.add_token(
                models.ApiToken(
                    user_id=user.id,
                    device_name="benchmark",
                    token_hash=auth.hash_token(secret),
                )
            )
            secrets.append(secret)
    finally:
        await storage.close()
    return secrets


def day_bodies(days: list[date], seed: int, slot_days: int) -> list[dict[str, object]]:
    """Return plausible days: ``PUT /readings/{day}`` bodies, the last with slots."""
    rng = random.Random(seed)
    bodies: list[dict[str, object]] = []
    for index, day in enumerate(days):
        count = slot_count(day)
        imports = [round(rng.uniform(0.05, 0.9), 3) for _ in range(count)]
        exports = [round(rng.uniform(0.0, 0.2), 3) for _ in range(count)]
        body: dict[str, object] = {
            "import_kwh": round(sum(imports), 3),
            "export_kwh": round(sum(exports), 3),
            "production_kwh": round(sum(exports) + 2.0, 3),
            "t_mean_c": round(rng.uniform(-5, 25), 1),
            "source": "local",
        }
        if index >= len(days) - slot_days:
            body["slots"] = {"import": imports, "export": exports}
        bodies.append(body)
    return bodies


def start_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """Start ``python -m game_server`` on 127.0.0.1 (warnings only in its log)."""
    env = {**os.environ, "SUNSHARE_LOG_LEVEL": "warning"}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "game_server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(folder),
            "--log-format",
            "text",
        ],
        env=env,
    )


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_ready(
    session: aiohttp.ClientSession, base: str, server: subprocess.Popen[bytes]
) -> None:
    """Wait until the server answers ``/healthz``."""
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("the game server stopped")
        try:
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the game server did not start")


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


type Request = tuple[str, bytes, str]
"""URL path, JSON body, token."""


async def run(
    session: aiohttp.ClientSession,
    base: str,
    requests: list[Request],
    connections: int,
    server: int,
    *,
    check: Callable[[int, bytes], Awaitable[None]] | None = None,
) -> tuple[float, float]:
    """Send every request over ``connections`` parallel clients.

    Return the seconds it took and the CPU seconds the ``server`` process used.
    """
    queue = iter(requests)

    async def client() -> None:
        for path, body, token in queue:
            async with session.put(
                f"{base}{path}",
                data=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
            ) as response:
                answer = await response.read()
                if response.status >= 300:
                    raise RuntimeError(f"{path}: {response.status} {answer[:200]!r}")
                if check is not None:
                    await check(response.status, answer)

    cpu = cpu_seconds(server)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return time.perf_counter() - started, cpu_seconds(server) - cpu


async def main_async(  # noqa: PLR0917
    households: int,
    days: int,
    slot_days: int,
    single_households: int,
    connections: int,
    port: int,
) -> None:
    """Measure both routes and print the figures side by side."""
    if not 1 <= days <= 400:
        raise SystemExit("--days: 1 to 400 (the bulk route's bound)")
    today = datetime.now(PARIS).date()
    span = [today - timedelta(days=days - n) for n in range(days)]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        started = time.perf_counter()
        tokens = await prepare(folder, households + single_households)
        bodies = [day_bodies(span, seed, slot_days) for seed in range(households)]
        bulk = [
            (
                "/api/v1/readings",
                json.dumps(
                    {
                        "readings": [
                            {"day": day.isoformat(), **body}
                            for day, body in zip(span, household, strict=True)
                        ]
                    }
                ).encode(),
                tokens[index],
            )
            for index, household in enumerate(bodies)
        ]
        single = [
            (
                f"/api/v1/readings/{day.isoformat()}",
                json.dumps(body).encode(),
                tokens[households + index],
            )
            for index in range(single_households)
            for day, body in zip(span, bodies[index % households], strict=True)
        ]
        size = sum(len(body) for _, body, _ in bulk) / len(bulk)
        print(
            f"prepared:          {time.perf_counter() - started:7.1f} s "
            f"({households} + {single_households} households, {days} days each, "
            f"the last {min(slot_days, days)} with half-hours; "
            f"bulk bodies {size / 1024:.0f} KiB)"
        )
        server = start_server(folder, port)
        base = f"http://127.0.0.1:{port}"
        try:
            connector = aiohttp.TCPConnector(limit=connections)
            timeout = aiohttp.ClientTimeout(total=600)
            async with aiohttp.ClientSession(
                connector=connector, timeout=timeout
            ) as session:
                await wait_ready(session, base, server)
                single_s, single_cpu = await run(
                    session, base, single, connections, server.pid
                )
                outcomes: dict[str, int] = {}

                async def count(status: int, answer: bytes) -> None:
                    for result in json.loads(answer)["results"]:
                        outcomes[result["result"]] = (
                            outcomes.get(result["result"], 0) + 1
                        )

                bulk_s, bulk_cpu = await run(
                    session, base, bulk, connections, server.pid, check=count
                )
                created = dict(outcomes)
                outcomes.clear()
                again_s, again_cpu = await run(
                    session, base, bulk, connections, server.pid, check=count
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    records = households * days
    print(
        f"single-day route:  {len(single) / single_s:9,.0f} records/s, "
        f"{len(single) / single_cpu:,.0f} per server CPU second "
        f"({len(single):,} requests in {single_s:.1f} s, {connections} connections)"
    )
    print(
        f"bulk route:        {records / bulk_s:9,.0f} records/s, "
        f"{records / bulk_cpu:,.0f} per server CPU second "
        f"({records:,} days in {len(bulk):,} requests, {bulk_s:.1f} s; {created}; "
        "target ≥ 20,000)"
    )
    print(
        f"bulk, re-sent:     {records / again_s:9,.0f} records/s, "
        f"{records / again_cpu:,.0f} per server CPU second ({again_s:.1f} s; "
        f"{outcomes})"
    )
    print(f"speed-up:          {single_s / len(single) * records / bulk_s:9.1f} ×")
    print(f"load average:      {os.getloadavg()[0]:9.1f} (cores: {os.cpu_count()})")


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=365, help="days per household")
    parser.add_argument(
        "--slot-days",
        type=int,
        default=10,
        help="last days sent with their half-hours (Home Assistant keeps 5-minute "
        "statistics 10 days; older days go as totals)",
    )
    parser.add_argument(
        "--single-households",
        type=int,
        default=20,
        help="households sent day by day by the single-day route",
    )
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--port", type=int, help="server port (default: a free one)")
    args = parser.parse_args()
    asyncio.run(
        main_async(
            args.households,
            args.days,
            args.slot_days,
            args.single_households,
            args.connections,
            args.port or free_port(),
        )
    )


if __name__ == "__main__":
    main()
