"""Run the Sunshare demo: game server, simulated Linky meter, Home Assistant, all local.

Started by ``./scripts/demo``. Everything lives under ``demo-data/`` (recreated on each
run) and every process stops on Ctrl-C. Home Assistant is onboarded and configured through
its own HTTP API, exactly as a person would do it in the UI: the config flows run for real
(test-before-configure included) against the simulator and the simulated GPIO chip.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
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

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLIENT_ID = "http://127.0.0.1/"
HA_USER, HA_PASSWORD = "demo", "demo1234"
GAME_PLAYER, GAME_ADMIN, GAME_PASSWORD = "amelie", "admin", "sunshare-demo"

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


@dataclass
class Process:
    """A child process of the demo, its log file and how to tell it is ready."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

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

    def check_alive(self) -> None:
        """Stop the demo with the log's tail when the process died."""
        if self.popen is not None and self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace").splitlines()[-20:]
            raise SystemExit(f"{self.name} stopped:\n" + "\n".join(tail))

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


async def wait_http(process: Process, url: str, limit: float = 180) -> None:
    """Wait until a URL answers (any HTTP status), or fail with the process log."""
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            process.check_alive()
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url, allow_redirects=False) as response:
                    if response.status < 500:
                        return
            await asyncio.sleep(0.5)
    raise SystemExit(f"{process.name} did not answer {url} within {limit:.0f} s")


async def wait_for_line(process: Process, marker: str, limit: float = 30) -> str:
    """Wait for a line containing ``marker`` in a process log and return it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        process.check_alive()
        if process.log.exists():
            for line in process.log.read_text(errors="replace").splitlines():
                if marker in line:
                    return line
        await asyncio.sleep(0.2)
    raise SystemExit(f"{process.name} did not print {marker!r} within {limit:.0f} s")


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
            raise SystemExit(f"adding {kind} failed: {result}")
        entry: dict[str, Any] = result
        return entry


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
    (config / "blueprints" / "automation").mkdir(parents=True)
    (config / "blueprints" / "automation" / "sunshare").symlink_to(
        ROOT / "blueprints" / "automation" / "sunshare"
    )


async def run(args: argparse.Namespace) -> None:
    """Start everything, configure Home Assistant, print where to look, wait for Ctrl-C."""
    for port in (args.ha_port, args.game_port):
        with contextlib.closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is in use: stop what runs there first")
    data = ROOT / args.data
    shutil.rmtree(data, ignore_errors=True)
    logs = data / "logs"
    game_port, ha_port, tic_port = args.game_port, args.ha_port, free_port()
    game = Process(
        "game server",
        [PYTHON, "-m", "game_server", "--host", "127.0.0.1", "--port", str(game_port),
         "--data-dir", str(data / "game"), "--demo"],
        logs / "game_server.log",
    )  # fmt: skip
    meter = Process(
        "Linky simulator",
        [PYTHON, "-m", "custom_components.sunshare.teleinfo", "simulate", "--mode",
         "standard", "--profile", "producer", "--tcp", str(tic_port)],
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
    )
    processes = [game, meter, hass]
    try:
        for process in processes:
            process.start()
        await wait_http(game, f"http://127.0.0.1:{game_port}/healthz")
        await wait_http(hass, f"http://127.0.0.1:{ha_port}/api/onboarding")
        async with aiohttp.ClientSession() as session:
            client = HomeAssistantClient(session, f"http://127.0.0.1:{ha_port}")
            await client.onboard()
            await client.confirm_http_settings()
            await configure(client, tic_port=tic_port, game_port=game_port)
        print_welcome(ha_port, game_port)
        while True:
            for process in processes:
                process.check_alive()
            await asyncio.sleep(1)
    finally:
        for process in reversed(processes):
            process.stop()


async def configure(
    client: HomeAssistantClient, *, tic_port: int, game_port: int
) -> None:
    """Add the demo's Sunshare entries through the config flow."""
    await client.add_entry(
        "linky", [{"url": f"socket://127.0.0.1:{tic_port}", "mode": "standard"}]
    )
    # The simulated chip "demo" feeds its input lines with the pulses of a meter.
    gpio = {"backend": "simulated", "chip": "demo"}
    await client.add_entry(
        "pulse_meter",
        [{**gpio, "line": 17, "name": "Solar inverter", "energy_per_pulse": 1,
          "edge": "falling", "debounce": 20}],
    )  # fmt: skip
    await client.add_entry(
        "relay",
        [{**gpio, "line": 22, "name": "Water heater", "active_level": "high",
          "declared_power": 2000, "max_duration": 120, "startup_state": "powered"}],
    )  # fmt: skip
    await client.add_entry(
        "buzzer", [{**gpio, "line": 23, "name": "Buzzer", "active_level": "high"}]
    )
    await client.add_entry(
        "game",
        [{"url": f"http://127.0.0.1:{game_port}", "username": GAME_PLAYER,
          "password": GAME_PASSWORD}],
    )  # fmt: skip
    await configure_energy_dashboard(client)


async def configure_energy_dashboard(client: HomeAssistantClient) -> None:
    """Feed the Energy dashboard: Linky indexes for the grid, the pulse meter for solar."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + 60
    # Linky sensors appear with the meter's first frames.
    while len(found) < 3 and time.monotonic() < deadline:
        [registry] = await client.websocket({"type": "config/entity_registry/list"})
        for entity in registry:
            unique_id = str(entity.get("unique_id"))
            if entity.get("platform") != "sunshare":
                continue
            for key, suffix in (("import", "_EAST"), ("export", "_EAIT")):
                if unique_id.endswith(suffix):
                    found[key] = entity["entity_id"]
            if unique_id.endswith("_energy") and entity["entity_id"].startswith(
                "sensor."
            ):
                found["solar"] = entity["entity_id"]
        await asyncio.sleep(1)
    if "import" not in found:
        raise SystemExit("the Linky meter's index sensor did not appear")
    # One grid connection (Home Assistant 2026.10's unified grid format): the
    # Linky meter's import index and, for a producer, its export index.
    sources: list[dict[str, Any]] = [
        {
            "type": "grid",
            "stat_energy_from": found["import"],
            "stat_energy_to": found.get("export"),
            "cost_adjustment_day": 0,
        }
    ]
    if "solar" in found:
        sources.append({"type": "solar", "stat_energy_from": found["solar"]})
    await client.websocket({"type": "energy/save_prefs", "energy_sources": sources})


def print_welcome(ha_port: int, game_port: int) -> None:
    """Print the URLs and logins of the demo."""
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
                "  Logs             demo-data/logs/",
                "",
            ]
        )
        + "\n"
    )
    sys.stdout.flush()


def main() -> int:
    """Parse arguments and run the demo until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="./scripts/demo")
    parser.add_argument("--ha-port", type=int, default=8123)
    parser.add_argument("--game-port", type=int, default=8099)
    parser.add_argument("--data", default="demo-data")
    args = parser.parse_args()
    # SIGTERM stops the demo like Ctrl-C, so the children are stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
