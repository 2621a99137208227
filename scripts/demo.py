"""Run the Sunshare demo: game server, simulated Linky meter, Home Assistant, all local.

Started by ``./scripts/demo``. Everything lives under ``demo-data/`` (recreated on each
run) and every process stops on Ctrl-C. Home Assistant is onboarded and configured through
its own HTTP API, exactly as a person would do it in the UI: the config flows run for real
(test-before-configure included) against the simulator, the simulated GPIO chip and the
game server's Enedis gateway.

One household tells the story: Amélie (player ``amelie`` of the demo season) has solar
panels, so her simulated Linky meter is a producer (it injects in daytime, never at
night) with her PRM; a pulse meter counts her inverter's output (the Energy dashboard's
solar source); a year of her Enedis data comes from a local stand-in for Enedis
(``scripts/demo_enedis.py``) through the game server's gateway. ``--unplug`` and
``--plug`` silence and restore the meter's line while the demo runs.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLIENT_ID = "http://127.0.0.1/"
HA_USER, HA_PASSWORD = "demo", "demo1234"
GAME_PLAYER, GAME_ADMIN, GAME_PASSWORD = "amelie", "admin", "sunshare-demo"
# The household of the demo (game_server/demo.py seeds the same: a test checks it).
HOME_PRM = "30000000000000"
LINKY_PROFILE = "producer"
ENEDIS_HISTORY_DAYS = 365
# The game server's Data Connect application, served by scripts/demo_enedis.py.
ENEDIS_CLIENT_ID, ENEDIS_CLIENT_SECRET = "sunshare-demo", "sunshare-demo-secret"
HA_START_LIMIT = 300.0
"""Seconds Home Assistant may take to answer (its first start compiles a lot)."""
PROGRESS_EVERY = 10.0
"""Seconds between two "still starting" lines."""
SIMULATOR_PID = "linky_simulator.pid"
"""File (in the data folder) holding the simulated meter's process id."""
HA_FATAL_MARKERS: tuple[tuple[str, str], ...] = (
    ("recovery mode", "its configuration was refused and it started in recovery mode"),
    ("Home Assistant core failed to initialize", "its core failed to initialize"),
    ("Failed to create HTTP server", "its web server could not listen on its port"),
    ("Error getting configuration path", "its configuration folder is unusable"),
    ("Fatal Python error", "Python crashed"),
    ("Setup failed for 'http'", "its web server could not be set up"),
    ("Setup failed for 'frontend'", "its web UI could not be set up"),
    ("Setup failed for 'onboarding'", "its onboarding could not be set up"),
    ("Setup failed for 'recorder'", "its database (recorder) could not be set up"),
    ("Setup failed for 'energy'", "its Energy dashboard could not be set up"),
)
"""Log lines after which Home Assistant will not serve the demo (marker, meaning)."""

HA_CONFIGURATION = """\
homeassistant:
  name: Sunshare demo
  latitude: 47.2184
  longitude: -1.5536
  elevation: 10
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
  currency: EUR
  language: fr
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
energy:
history:
logbook:
recorder:
  purge_keep_days: 3
system_health:
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.sunshare: info
"""


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def startup_failure(
    log: str, returncode: int | None, markers: Iterable[tuple[str, str]] = ()
) -> str | None:
    """Return why a process will not serve the demo (from its log and exit), or None.

    An exit is always a failure (the demo's processes run until stopped); otherwise the
    first log line holding one of ``markers`` (case-insensitive) is, with its meaning.
    """
    lines = log.splitlines()
    for line in lines:
        lowered = line.lower()
        for marker, meaning in markers:
            if marker.lower() in lowered:
                return f"{meaning}: {line.strip()}"
    if returncode is not None:
        if returncode < 0:
            with contextlib.suppress(ValueError):
                return f"it was killed by {signal.Signals(-returncode).name}"
        return f"it exited with status {returncode}"
    return None


def last_log_line(log: str) -> str:
    """Return the last line of a log, or its ``message`` when it is a JSON line."""
    last = next(reversed(log.strip().splitlines()), "").strip()
    if last.startswith("{"):
        with contextlib.suppress(ValueError, AttributeError):
            return str(json.loads(last).get("message", last))
    return last


def log_tail(log: str, lines: int = 20) -> str:
    """Return the last lines of a log, indented."""
    return "\n".join("    " + line for line in log.splitlines()[-lines:])


@dataclass
class Process:
    """A child process of the demo, its log file and how to tell it is ready."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    fatal_markers: tuple[tuple[str, str], ...] = ()
    """Log lines meaning the process will not serve the demo (see startup_failure)."""

    def start(self) -> None:
        """Start the process with its output going to its log file."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("wb")
        self.popen = subprocess.Popen(  # noqa: S603
            self.argv,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=os.environ | {"PYTHONPATH": str(ROOT)} | self.env,
            start_new_session=True,
        )

    def read_log(self) -> str:
        """Return the process's log so far."""
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def check_alive(self, *, starting: bool = False) -> None:
        """Stop the demo, naming the cause and the log, when the process failed.

        Always when it exited; while ``starting``, also when its log shows a fatal
        error (Home Assistant then keeps running, but will never serve the demo).
        """
        if self.popen is None:
            return
        returncode = self.popen.poll()
        if returncode is None and not starting:
            return
        log = self.read_log()
        reason = startup_failure(
            log, returncode, self.fatal_markers if starting else ()
        )
        if reason is not None:
            raise SystemExit(
                f"error: {self.name} failed: {reason}\n"
                f"  log: {self.log}\n  last lines:\n{log_tail(log)}"
            )

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 15 s)."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)


def say(message: str) -> None:
    """Print a progress line at once."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


async def wait_http(process: Process, url: str, limit: float = 180) -> None:
    """Wait until a URL answers (any HTTP status), saying how it goes.

    Fails at once, naming the cause and the log, when the process exits or logs a
    fatal error; prints a progress line every :data:`PROGRESS_EVERY` seconds.
    """
    start = time.monotonic()
    deadline = start + limit
    next_progress = start + PROGRESS_EVERY
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            process.check_alive(starting=True)
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url, allow_redirects=False) as response:
                    if response.status < 500:
                        return
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_EVERY
                last = last_log_line(process.read_log())
                say(
                    f"   {process.name} still starting"
                    f" ({time.monotonic() - start:.0f} s)"
                    + (f"; last log line: {last[:100]}" if last else "")
                )
            await asyncio.sleep(0.5)
    raise SystemExit(
        f"error: {process.name} did not answer {url} within {limit:.0f} s\n"
        f"  log: {process.log}\n  last lines:\n{log_tail(process.read_log())}"
    )


async def wait_for_line(process: Process, marker: str, limit: float = 30) -> str:
    """Wait for a line containing ``marker`` in a process log and return it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        process.check_alive(starting=True)
        for line in process.read_log().splitlines():
            if marker in line:
                return line
        await asyncio.sleep(0.2)
    raise SystemExit(
        f"error: {process.name} did not print {marker!r} within {limit:.0f} s\n"
        f"  log: {process.log}"
    )


class HomeAssistantClient:
    """Onboards a fresh Home Assistant and runs config flows through its HTTP API."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """Keep the session and base URL."""
        self.session = session
        self.base = base
        self.token = ""

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        """POST JSON (authenticated when a token is known) and return the JSON answer."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.post(
            self.base + path, json=payload, headers=headers
        ) as r:
            body = await r.json(content_type=None)
            if r.status >= 400:
                raise SystemExit(f"Home Assistant refused {path}: {r.status} {body}")
            return body

    async def onboard(self) -> None:
        """Create the demo user (the last onboarding step left); keep an access token."""
        answer = await self._post(
            "/api/onboarding/users",
            {
                "client_id": CLIENT_ID,
                "name": "Démo Sunshare",
                "username": HA_USER,
                "password": HA_PASSWORD,
                "language": "fr",
            },
        )
        async with self.session.post(
            self.base + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["auth_code"],
                "client_id": CLIENT_ID,
            },
        ) as response:
            self.token = (await response.json())["access_token"]

    async def confirm_http_settings(self) -> None:
        """Keep the demo's address and port (Home Assistant 2026.10+ asks to confirm).

        From 2026.10 the ``http:`` settings of configuration.yaml are moved to Home
        Assistant's storage as a trial that reverts to the defaults (port 8123, every
        interface) after five minutes unless the user confirms it: the demo confirms it,
        as a person would in the dialog. Older releases have no such command.
        """
        [config] = await self.websocket({"type": "http/config"}, allow_unknown=True)
        if config is not None and config.get("pending") is not None:
            await self.websocket({"type": "http/config/promote"})

    async def websocket(
        self, *messages: dict[str, Any], allow_unknown: bool = False
    ) -> list[Any]:
        """Send commands on Home Assistant's WebSocket API and return their results."""
        results: list[Any] = []
        async with self.session.ws_connect(self.base + "/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise SystemExit("Home Assistant refused the WebSocket login")
            for number, message in enumerate(messages, start=1):
                await ws.send_json({"id": number, **message})
                answer = await ws.receive_json()
                if (
                    allow_unknown
                    and answer.get("error", {}).get("code") == "unknown_command"
                ):
                    results.append(None)
                    continue
                if not answer.get("success"):
                    raise SystemExit(
                        f"Home Assistant refused {message['type']}: {answer}"
                    )
                results.append(answer.get("result"))
        return results

    async def add_entry(
        self, kind: str, steps: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        """Run the Sunshare config flow: choose ``kind`` in the menu, then submit steps."""
        flow = await self._post(
            "/api/config/config_entries/flow",
            # Advanced mode offers the simulated GPIO backend.
            {"handler": "sunshare", "show_advanced_options": True},
        )
        result = await self._post(
            f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": kind}
        )
        for data in steps:
            if result.get("type") != "form":
                break
            result = await self._post(
                f"/api/config/config_entries/flow/{flow['flow_id']}", data
            )
        if result.get("type") != "create_entry":
            raise SystemExit(f"error: adding {kind} failed: {result}")
        entry: dict[str, Any] = result
        return entry

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any]
    ) -> None:
        """Call a Home Assistant action (service)."""
        await self._post(f"/api/services/{domain}/{service}", data)


def prepare_home_assistant(config: Path, port: int) -> None:
    """Write a fresh Home Assistant configuration using this repository's integration."""
    config.mkdir(parents=True)
    (config / "configuration.yaml").write_text(HA_CONFIGURATION.format(port=port))
    (config / "automations.yaml").write_text("[]\n")
    # Every onboarding step but the user is marked done: no default integrations (weather,
    # text-to-speech…) that would need the internet; the user is created through the API.
    (config / ".storage").mkdir()
    (config / ".storage" / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config", "analytics", "integration"]},
            }
        )
    )
    (config / "custom_components").mkdir()
    (config / "custom_components" / "sunshare").symlink_to(
        ROOT / "custom_components" / "sunshare"
    )
    copy_blueprints(ROOT / "blueprints", config / "blueprints")


def copy_blueprints(source: Path, target: Path) -> list[Path]:
    """Copy the repository's blueprints into Home Assistant's ``blueprints`` folder.

    Copies, not a symlink: Home Assistant does not follow a symlinked folder there, so
    a linked folder shows no blueprint. Returns the files written.
    """
    written: list[Path] = []
    for blueprint in sorted(source.rglob("*.yaml")):
        destination = target / blueprint.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blueprint, destination)
        written.append(destination)
    return written


async def run(args: argparse.Namespace) -> None:
    """Start everything, configure Home Assistant, print where to look, wait for Ctrl-C."""
    for port in (args.ha_port, args.game_port):
        with contextlib.closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"error: port {port} is in use: stop what runs there")
    data = ROOT / args.data
    shutil.rmtree(data, ignore_errors=True)
    logs = data / "logs"
    game_port, ha_port = args.game_port, args.ha_port
    tic_port, enedis_port = free_port(), free_port()
    game_url = f"http://127.0.0.1:{game_port}"
    enedis = Process(
        "Enedis stand-in",
        [PYTHON, str(ROOT / "scripts" / "demo_enedis.py"), "--port", str(enedis_port),
         "--prm", HOME_PRM],
        logs / "enedis.log",
    )  # fmt: skip
    game = Process(
        "game server",
        [PYTHON, "-m", "game_server", "--host", "127.0.0.1", "--port", str(game_port),
         "--data-dir", str(data / "game"), "--demo"],
        logs / "game_server.log",
        env=game_server_environment(game_url, f"http://127.0.0.1:{enedis_port}"),
    )  # fmt: skip
    meter = Process(
        "Linky simulator",
        [PYTHON, "-m", "custom_components.sunshare.teleinfo", "simulate", "--mode",
         "standard", "--profile", LINKY_PROFILE, "--prm", HOME_PRM, "--tcp",
         str(tic_port)],
        logs / "linky_simulator.log",
    )  # fmt: skip
    prepare_home_assistant(data / "homeassistant", ha_port)
    hass = Process(
        "Home Assistant",
        [
            PYTHON,
            "-m",
            "homeassistant",
            "-c",
            str(data / "homeassistant"),
            "--skip-pip",
        ],
        logs / "home_assistant.log",
        # A development setting: the GPIO forms offer the simulated backend.
        env={"SUNSHARE_DEVELOPMENT": "1"},
        fatal_markers=HA_FATAL_MARKERS,
    )
    processes = [enedis, game, meter, hass]
    try:
        say(f">> starting the Enedis stand-in, the game server, the Linky simulator "
            f"and Home Assistant (logs in {logs})")  # fmt: skip
        for process in processes:
            process.start()
        meter_pid = meter.popen.pid if meter.popen is not None else 0
        (data / SIMULATOR_PID).write_text(f"{meter_pid}\n")
        await wait_http(enedis, f"http://127.0.0.1:{enedis_port}/")
        await wait_http(game, f"{game_url}/healthz")
        say(f"   game server ready at {game_url}")
        await wait_for_line(meter, "tcp ")
        say(f"   Linky simulator ready on socket://127.0.0.1:{tic_port}")
        async with aiohttp.ClientSession() as session:
            token = await game_token(session, game_url)
            for problem in household_problems(
                LINKY_PROFILE, HOME_PRM, await game_me(session, game_url, token)
            ):
                say(f"warning: {problem}")
        say(">> waiting for Home Assistant (the first start takes a minute or two)")
        await wait_http(
            hass, f"http://127.0.0.1:{ha_port}/api/onboarding", limit=HA_START_LIMIT
        )
        say(f"   Home Assistant answers at http://127.0.0.1:{ha_port}")
        async with aiohttp.ClientSession() as session:
            client = HomeAssistantClient(session, f"http://127.0.0.1:{ha_port}")
            say(">> onboarding Home Assistant and adding the Sunshare entries")
            await client.onboard()
            await client.confirm_http_settings()
            await configure(
                client,
                tic_port=tic_port,
                game_url=game_url,
                game_token=token,
                today=datetime.now(ZoneInfo("Europe/Paris")).date(),
            )
        print_welcome(ha_port, game_port, meter_pid, args.data)
        while True:
            for process in processes:
                process.check_alive()
            await asyncio.sleep(1)
    finally:
        for process in reversed(processes):
            process.stop()
        (data / SIMULATOR_PID).unlink(missing_ok=True)


def game_server_environment(game_url: str, enedis_url: str) -> dict[str, str]:
    """Return the game server's settings: Data Connect served by the Enedis stand-in."""
    return {
        "SUNSHARE_ENEDIS_CLIENT_ID": ENEDIS_CLIENT_ID,
        "SUNSHARE_ENEDIS_CLIENT_SECRET": ENEDIS_CLIENT_SECRET,
        "SUNSHARE_ENEDIS_ENVIRONMENT": "sandbox",
        "SUNSHARE_ENEDIS_API_URL": enedis_url,
        "SUNSHARE_PUBLIC_URL": game_url,
    }


async def game_token(session: aiohttp.ClientSession, game_url: str) -> str:
    """Return an API token of the demo player (what the Enedis entry uses)."""
    async with session.post(
        f"{game_url}/api/v1/auth/token",
        json={
            "username": GAME_PLAYER,
            "password": GAME_PASSWORD,
            "device_name": "Home Assistant (Enedis)",
        },
    ) as response:
        body = await response.json(content_type=None)
        if response.status >= 400:
            raise SystemExit(f"error: the game server refused the demo login: {body}")
        token: str = body["token"]
        return token


async def game_me(
    session: aiohttp.ClientSession, game_url: str, token: str
) -> dict[str, Any]:
    """Return the demo player's account as the game server shows it."""
    async with session.get(
        f"{game_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        body: dict[str, Any] = await response.json(content_type=None)
        if response.status >= 400:
            raise SystemExit(f"error: the game server refused /api/v1/me: {body}")
        account: dict[str, Any] = body.get("user", body)
        return account


def household_problems(
    linky_profile: str, prm: str, account: Mapping[str, Any]
) -> list[str]:
    """Return how the game's household contradicts the simulated installation.

    A producer meter means solar panels; the meter's PRM is the account's, verified
    (or the Enedis gateway refuses it).
    """
    problems: list[str] = []
    household = account.get("household") or {}
    solar = float(household.get("solar_kwc") or 0)
    if linky_profile == "producer" and solar <= 0:
        problems.append(
            "the Linky meter is a producer but the game's household has no solar panels"
        )
    if linky_profile != "producer" and solar > 0:
        problems.append(
            f"the game's household has {solar:g} kWc of solar panels but the Linky "
            f"meter ({linky_profile}) does not inject"
        )
    if account.get("prm") != prm:
        problems.append(
            f"the game account's PRM ({account.get('prm')}) is not the meter's ({prm})"
        )
    elif not account.get("prm_verified"):
        problems.append(
            "the game account's PRM is not verified: the Enedis gateway will refuse it"
        )
    return problems


async def configure(
    client: HomeAssistantClient,
    *,
    tic_port: int,
    game_url: str,
    game_token: str,
    today: date,
) -> None:
    """Add the demo's Sunshare entries through the config flow."""
    say("   Linky meter (simulated, TIC on a local TCP port)")
    linky = await client.add_entry(
        "linky", [{"url": f"socket://127.0.0.1:{tic_port}", "mode": "standard"}]
    )
    # Device names in French, the demo Home Assistant's language.
    # Simulated GPIO chips: "demo-solar" feeds its input lines with the pulses of a
    # meter on the solar inverter (following the sun, as the Linky producer's panels).
    gpio = {"backend": "simulated", "chip": "demo"}
    say("   pulse meter on the solar inverter, water-heater relay, buzzer")
    solar = await client.add_entry(
        "pulse_meter",
        [{**gpio, "chip": "demo-solar", "line": 17, "name": "Onduleur solaire",
          "energy_per_pulse": 1, "edge": "falling", "debounce": 20}],
    )  # fmt: skip
    await client.add_entry(
        "relay",
        [{**gpio, "line": 22, "name": "Chauffe-eau", "active_level": "high",
          "declared_power": 2000, "max_duration": 120, "startup_state": "powered"}],
    )  # fmt: skip
    await client.add_entry(
        "buzzer", [{**gpio, "line": 23, "name": "Sirène", "active_level": "high"}]
    )
    say("   game link")
    await client.add_entry(
        "game",
        [{"url": game_url, "username": GAME_PLAYER, "password": GAME_PASSWORD}],
    )
    say("   Enedis data through the game server's gateway")
    enedis = await client.add_entry(
        "enedis",
        [{"gateway": "sunshare", "url": game_url, "token": game_token,
          "prm": HOME_PRM}],
    )  # fmt: skip
    start = today - timedelta(days=ENEDIS_HISTORY_DAYS)
    await client.call_service(
        "sunshare",
        "import_history",
        {"config_entry_id": entry_id(enedis), "start": start.isoformat()},
    )
    say(f"   Enedis history import started from {start} (its progress: the entry's "
        "History import sensor)")  # fmt: skip
    say("   Energy dashboard")
    await configure_energy_dashboard(
        client, linky_entry_id=entry_id(linky), solar_entry_id=entry_id(solar)
    )


def entry_id(flow_result: Mapping[str, Any]) -> str:
    """Return the config entry id of a finished config flow."""
    result = flow_result.get("result")
    if isinstance(result, Mapping) and "entry_id" in result:
        return str(result["entry_id"])
    return str(result)


def energy_entities(
    registry: Iterable[Mapping[str, Any]], *, linky_entry_id: str, solar_entry_id: str
) -> dict[str, str]:
    """Return the entity ids feeding the Energy dashboard, by role.

    ``import`` and ``export``: the Linky entry's total indexes (EAST, EAIT); ``solar``:
    the pulse meter's energy sensor. Other Sunshare energy sensors (the relay's shed
    energy, the game link's) are not sources.
    """
    found: dict[str, str] = {}
    for entity in registry:
        if entity.get("platform") != "sunshare":
            continue
        unique_id = str(entity.get("unique_id"))
        entity_id = str(entity.get("entity_id"))
        owner = entity.get("config_entry_id")
        if owner == linky_entry_id:
            for role, suffix in (("import", "_EAST"), ("export", "_EAIT")):
                if unique_id.endswith(suffix):
                    found[role] = entity_id
        elif (
            owner == solar_entry_id
            and unique_id == f"{solar_entry_id}_energy"
            and entity_id.startswith("sensor.")
        ):
            found["solar"] = entity_id
    return found


def energy_sources(entities: Mapping[str, str], enedis_prm: str | None) -> list[Any]:
    """Return the Energy dashboard's sources (Home Assistant 2026.10's grid format).

    Two grid connections that never overlap in time: the Linky meter's indexes (live,
    from the demo's start) and the Enedis statistics (history, up to yesterday); the
    pulse meter on the inverter is the solar production.
    """
    sources: list[Any] = [
        {
            "type": "grid",
            "stat_energy_from": entities["import"],
            "stat_energy_to": entities.get("export"),
            "cost_adjustment_day": 0,
        }
    ]
    if enedis_prm is not None:
        sources.append(
            {
                "type": "grid",
                "stat_energy_from": f"sunshare:{enedis_prm}_consumption",
                "stat_energy_to": f"sunshare:{enedis_prm}_production",
                "cost_adjustment_day": 0,
            }
        )
    if "solar" in entities:
        sources.append({"type": "solar", "stat_energy_from": entities["solar"]})
    return sources


async def configure_energy_dashboard(
    client: HomeAssistantClient, *, linky_entry_id: str, solar_entry_id: str
) -> None:
    """Feed the Energy dashboard: Linky and Enedis for the grid, the pulse meter for solar."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + 60
    # Linky sensors appear with the meter's first frames.
    while len(found) < 3 and time.monotonic() < deadline:
        [registry] = await client.websocket({"type": "config/entity_registry/list"})
        found = energy_entities(
            registry, linky_entry_id=linky_entry_id, solar_entry_id=solar_entry_id
        )
        if len(found) < 3:
            await asyncio.sleep(1)
    if "import" not in found:
        raise SystemExit("error: the Linky meter's index sensor did not appear")
    if "solar" not in found:
        say("warning: the pulse meter's energy sensor did not appear: no solar source")
    await client.websocket(
        {"type": "energy/save_prefs", "energy_sources": energy_sources(found, HOME_PRM)}
    )


def print_welcome(ha_port: int, game_port: int, meter_pid: int, data: str) -> None:
    """Print the URLs, the logins, and how to unplug the meter."""
    where = "" if data == "demo-data" else f" --data {data}"
    sys.stdout.write(
        "\n".join(
            [
                "",
                "Sunshare demo is running (Ctrl-C stops everything):",
                f"  Home Assistant   http://127.0.0.1:{ha_port}   login {HA_USER} / {HA_PASSWORD}",
                (
                    f"  Game server      http://127.0.0.1:{game_port}   player {GAME_PLAYER},"
                    f" admin {GAME_ADMIN}, password {GAME_PASSWORD}"
                ),
                f"  Logs             {data}/logs/",
                "",
                "Unplug the Linky meter (its line goes silent, the meter keeps counting):",
                (
                    f"  ./scripts/demo --unplug{where}      plug it back:"
                    f" ./scripts/demo --plug{where}"
                ),
                f"  (or kill -USR1 {meter_pid} / kill -USR2 {meter_pid})",
                "  The meter's TIC link sensor shows Disconnected after 30 s; a repair",
                "  issue (Settings > Repairs) appears after 5 min without frames and goes",
                "  away with the next frame.",
                "",
            ]
        )
        + "\n"
    )
    sys.stdout.flush()


def signal_meter(data: Path, number: signal.Signals) -> str:
    """Send a signal to the running demo's simulated meter; return what happened."""
    pid_file = data / SIMULATOR_PID
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        raise SystemExit(
            f"error: no demo is running ({pid_file} is missing): start ./scripts/demo"
        ) from None
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        raise SystemExit(
            f"error: the simulated meter (pid {pid}) is not running"
        ) from None
    if number is signal.SIGUSR1:
        return f"Linky meter unplugged (pid {pid}): its line is silent"
    return f"Linky meter plugged back (pid {pid})"


def build_parser() -> argparse.ArgumentParser:
    """Return the command line's parser."""
    parser = argparse.ArgumentParser(
        prog="./scripts/demo",
        description=(
            "Run the Sunshare demo on this machine: the game server with a demo season, "
            "a simulated Linky meter (standard mode, producer), a local stand-in for "
            "Enedis with a year of data, and Home Assistant configured with every "
            "Sunshare entry and the Energy dashboard. Ctrl-C stops everything."
        ),
        epilog=(
            "While the demo runs, './scripts/demo --unplug' silences the meter's line "
            "(as if its cable were pulled) and './scripts/demo --plug' restores it."
        ),
    )
    parser.add_argument(
        "--ha-port",
        type=int,
        default=8123,
        help="Home Assistant's port on 127.0.0.1 (default: %(default)s)",
    )
    parser.add_argument(
        "--game-port",
        type=int,
        default=8099,
        help="the game server's port on 127.0.0.1 (default: %(default)s)",
    )
    parser.add_argument(
        "--data",
        default="demo-data",
        help=(
            "folder for every file of the demo, relative to the repository; emptied "
            "at each start (default: %(default)s)"
        ),
    )
    plug = parser.add_mutually_exclusive_group()
    plug.add_argument(
        "--unplug",
        action="store_true",
        help="unplug the running demo's Linky meter (its line goes silent), then exit",
    )
    plug.add_argument(
        "--plug",
        action="store_true",
        help="plug the running demo's Linky meter back, then exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the demo until Ctrl-C (or signal its meter)."""
    args = build_parser().parse_args(argv)
    if args.unplug or args.plug:
        number = signal.SIGUSR1 if args.unplug else signal.SIGUSR2
        say(signal_meter(ROOT / args.data, number))
        return 0
    # SIGTERM stops the demo like Ctrl-C, so the children are stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
