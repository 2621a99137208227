"""The pure parts of ``scripts/demo.py``.

Energy sources, the household's story, blueprints, start-up failures, the command line
and unplugging the meter. The whole demo (Home Assistant's first start takes minutes) is not run here.
"""

from __future__ import annotations

from pathlib import Path
import signal
import subprocess
import sys
import time
from types import ModuleType
from typing import Any

import pytest

from game_server.api import user_json
from game_server.demo import HOME_PLAYER, HOME_PRM, HOME_SOLAR_KWC, seed_demo
from game_server.services import GameService
from game_server.storage.sqlite import SQLiteStorage
from tests.scripts import ROOT, load_script


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    """Return ``scripts/demo.py`` as a module."""
    return load_script("demo")


def _entity(entry: str, unique_id: str, entity_id: str) -> dict[str, Any]:
    """Return an entity registry row of the Sunshare platform."""
    return {
        "platform": "sunshare",
        "config_entry_id": entry,
        "unique_id": unique_id,
        "entity_id": entity_id,
    }


REGISTRY = [
    _entity("linky", "042264123456_EASF01", "sensor.linky_index_1"),
    _entity("linky", "042264123456_EAST", "sensor.linky_total_imported"),
    _entity("linky", "042264123456_EAIT", "sensor.linky_total_injected"),
    # The relay's shed energy ends with "_energy" too: it is not solar production.
    _entity("relay", "relay_shed_energy", "sensor.water_heater_shed_energy"),
    _entity("pulse", "pulse_power", "sensor.solar_inverter_power"),
    _entity("pulse", "pulse_energy", "sensor.solar_inverter_energy"),
    _entity("game", "game_piggy_bank_energy", "sensor.game_piggy_bank"),
    {**_entity("other", "x_EAST", "sensor.other_meter"), "platform": "teleinfo"},
]


def test_energy_sources_take_the_pulse_meter_as_solar(demo: ModuleType) -> None:
    """Solar is the pulse meter's energy, whatever order the registry lists."""
    for registry in (REGISTRY, list(reversed(REGISTRY))):
        found = demo.energy_entities(
            registry, linky_entry_id="linky", solar_entry_id="pulse"
        )
        assert found == {
            "import": "sensor.linky_total_imported",
            "export": "sensor.linky_total_injected",
            "solar": "sensor.solar_inverter_energy",
        }
    sources = demo.energy_sources(found, "30000000000000")
    assert sources == [
        {
            "type": "grid",
            "stat_energy_from": "sensor.linky_total_imported",
            "stat_energy_to": "sensor.linky_total_injected",
            "cost_adjustment_day": 0,
        },
        {
            "type": "grid",
            "stat_energy_from": "sunshare:30000000000000_consumption",
            "stat_energy_to": "sunshare:30000000000000_production",
            "cost_adjustment_day": 0,
        },
        {"type": "solar", "stat_energy_from": "sensor.solar_inverter_energy"},
    ]
    # Before the pulse meter's sensor exists: the grid only.
    early = demo.energy_entities(
        REGISTRY[:3], linky_entry_id="linky", solar_entry_id="pulse"
    )
    assert [s["type"] for s in demo.energy_sources(early, None)] == ["grid"]


def test_energy_sources_pass_home_assistants_schema(demo: ModuleType) -> None:
    """The preferences the demo saves are valid (Home Assistant's unified grid format)."""
    from homeassistant.components.energy import data

    if not hasattr(data, "_validate_grid_stat_uniqueness"):
        pytest.skip("this Home Assistant has the legacy grid format")
    found = demo.energy_entities(
        REGISTRY, linky_entry_id="linky", solar_entry_id="pulse"
    )
    sources = demo.energy_sources(found, "30000000000000")
    assert data.ENERGY_SOURCE_SCHEMA(sources)


def test_household_problems(demo: ModuleType) -> None:
    """A producer meter needs solar panels, and the account's verified PRM."""
    account = {
        "prm": "30000000000000",
        "prm_verified": True,
        "household": {"solar_kwc": 3.0},
    }
    prm = "30000000000000"
    assert demo.household_problems("producer", prm, account) == []
    no_panels = {**account, "household": {"solar_kwc": 0.0}}
    [problem] = demo.household_problems("producer", prm, no_panels)
    assert "no solar panels" in problem
    [problem] = demo.household_problems("base", prm, account)
    assert "does not inject" in problem
    assert demo.household_problems("base", prm, no_panels) == []
    [problem] = demo.household_problems("producer", "30000000000001", account)
    assert "PRM" in problem
    [problem] = demo.household_problems(
        "producer", prm, {**account, "prm_verified": False}
    )
    assert "not verified" in problem


async def test_the_seeded_household_matches_the_simulated_meter(
    demo: ModuleType, tmp_path: Path
) -> None:
    """The game server's demo player is the household the simulated meter measures."""
    assert demo.GAME_PLAYER == HOME_PLAYER
    assert demo.HOME_PRM == HOME_PRM
    assert demo.LINKY_PROFILE == "producer" and HOME_SOLAR_KWC > 0
    storage = SQLiteStorage(tmp_path / "sunshare.db")
    await storage.open()
    try:
        service = GameService(storage)
        await service.seed_catalogue()
        assert await seed_demo(service)
        user = next(u for u in await storage.list_users() if u.username == HOME_PLAYER)
        assert (
            demo.household_problems(demo.LINKY_PROFILE, HOME_PRM, user_json(user)) == []
        )
        # Her seeded days have production, as a producer's do.
        readings = await storage.list_readings(user.id)
        assert any(r.production_kwh for r in readings)
    finally:
        await storage.close()


def test_blueprints_are_copied_not_linked(demo: ModuleType, tmp_path: Path) -> None:
    """Home Assistant does not follow a symlinked blueprints folder: real copies."""
    config = tmp_path / "homeassistant"
    demo.prepare_home_assistant(config, 18123)
    folder = config / "blueprints" / "automation" / "sunshare"
    source = ROOT / "blueprints" / "automation" / "sunshare"
    expected = sorted(p.name for p in source.glob("*.yaml"))
    assert expected
    assert sorted(p.name for p in folder.iterdir()) == expected
    assert not folder.is_symlink()
    for name in expected:
        assert not (folder / name).is_symlink()
        assert (folder / name).read_bytes() == (source / name).read_bytes()
    assert "server_port: 18123" in (config / "configuration.yaml").read_text()
    # Copying again (a fresh demo folder each run, but idempotent anyway).
    again = demo.copy_blueprints(ROOT / "blueprints", config / "blueprints")
    assert sorted(p.name for p in again) == expected


SLOW_FATAL = """import time
print("Failed to create HTTP server at port 8123: in use", flush=True)
time.sleep(60)
"""
SLOW_START = """import time
print("Setting up stage 2", flush=True)
time.sleep(60)
"""
RECOVERY_LOG = """\
2026-12-08 01:00:00.000 WARNING (MainThread) [homeassistant.loader] We found a custom \
integration sunshare which has not been tested by Home Assistant.
2026-12-08 01:00:01.000 ERROR (MainThread) [homeassistant.bootstrap] Failed to parse \
configuration.yaml: mapping values are not allowed here. Activating recovery mode
"""


def test_startup_failure_from_the_log_or_the_exit(demo: ModuleType) -> None:
    """A fatal log line or an exit names the cause; warnings do not."""
    markers = demo.HA_FATAL_MARKERS
    reason = demo.startup_failure(RECOVERY_LOG, None, markers)
    assert reason.startswith("its configuration was refused")
    assert "Failed to parse configuration.yaml" in reason
    assert demo.startup_failure(RECOVERY_LOG.splitlines()[0], None, markers) is None
    assert demo.startup_failure("", None, markers) is None
    port = "ERROR (MainThread) [homeassistant.components.http] Failed to create HTTP "
    port += "server at port 8123: [Errno 98] address already in use"
    assert "could not listen" in demo.startup_failure(port, None, markers)
    setup = "ERROR (MainThread) [homeassistant.setup] Setup failed for 'recorder': x"
    assert "recorder" in demo.startup_failure(setup, None, markers)
    other = "ERROR (MainThread) [homeassistant.setup] Setup failed for 'camera': x"
    assert demo.startup_failure(other, None, markers) is None
    assert demo.startup_failure("", 1) == "it exited with status 1"
    assert demo.startup_failure("", -9) == "it was killed by SIGKILL"
    # The log's cause comes first: it says more than the exit status.
    assert "recovery mode" in demo.startup_failure(RECOVERY_LOG, 1, markers)


async def test_a_failed_start_is_reported_at_once(
    demo: ModuleType, tmp_path: Path, real_sockets: None
) -> None:
    """A fatal log line stops the wait at once, with the cause and the log's path."""
    process = demo.Process(
        "Home Assistant",
        [sys.executable, "-c", SLOW_FATAL],
        tmp_path / "logs" / "home_assistant.log",
        fatal_markers=demo.HA_FATAL_MARKERS,
    )  # fmt: skip
    process.start()
    started = time.monotonic()
    try:
        with pytest.raises(SystemExit) as err:
            # A port nothing listens on: only the log can end the wait early.
            await demo.wait_http(process, f"http://127.0.0.1:{demo.free_port()}/", 60)
    finally:
        process.stop()
    assert time.monotonic() - started < 30
    message = str(err.value)
    assert "Home Assistant failed: its web server could not listen" in message
    assert str(process.log) in message


async def test_an_exit_is_reported_with_the_log(
    demo: ModuleType, tmp_path: Path, real_sockets: None
) -> None:
    """A process that exits while the demo waits for it: status, log path and tail."""
    process = demo.Process(
        "game server",
        [
            sys.executable,
            "-c",
            "print('cannot open the database'); raise SystemExit(3)",
        ],
        tmp_path / "game_server.log",
    )
    process.start()
    assert process.popen is not None
    process.popen.wait(timeout=30)
    with pytest.raises(SystemExit) as err:
        await demo.wait_http(process, f"http://127.0.0.1:{demo.free_port()}/", 60)
    message = str(err.value)
    assert "game server failed: it exited with status 3" in message
    assert str(process.log) in message and "cannot open the database" in message
    # After the start, an exit is reported the same way.
    with pytest.raises(SystemExit, match="exited with status 3"):
        process.check_alive()


async def test_progress_lines_while_waiting(
    demo: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    real_sockets: None,
) -> None:
    """A slow start prints where it is, with the last log line."""
    monkeypatch.setattr(demo, "PROGRESS_EVERY", 0.3)
    process = demo.Process(
        "Home Assistant",
        [sys.executable, "-c", SLOW_START],
        tmp_path / "home_assistant.log",
    )  # fmt: skip
    process.start()
    try:
        with pytest.raises(SystemExit, match="did not answer"):
            await demo.wait_http(process, f"http://127.0.0.1:{demo.free_port()}/", 1.5)
    finally:
        process.stop()
    out = capsys.readouterr().out
    assert "Home Assistant still starting (" in out
    assert "last log line: Setting up stage 2" in out


def test_last_log_line(demo: ModuleType) -> None:
    """Progress lines show the last log line, or a JSON line's message."""
    assert demo.last_log_line("a\nb\n\n") == "b"
    assert demo.last_log_line("") == ""
    game = '{"time": "2026-12-08T01:28:25+0000", "message": "Demo season seeded"}'
    assert demo.last_log_line("x\n" + game + "\n") == "Demo season seeded"
    assert demo.last_log_line("{not json") == "{not json"


def test_help_describes_every_option(demo: ModuleType) -> None:
    """``--help`` says what each option does."""
    parser = demo.build_parser()
    text = parser.format_help()
    for action in parser._actions:  # argparse has no public listing
        assert action.help, action.option_strings
        for option in action.option_strings:
            assert option in text
    assert "--unplug" in text and "--plug" in text
    assert "Ctrl-C" in text


def test_unplug_and_plug_signal_the_running_meter(
    demo: ModuleType, tmp_path: Path
) -> None:
    """``--unplug``/``--plug`` pause and resume the demo's simulated meter."""
    with pytest.raises(SystemExit, match="no demo is running"):
        demo.signal_meter(tmp_path, signal.SIGUSR1)
    meter = subprocess.Popen(
        [sys.executable, "-m", "custom_components.sunshare.teleinfo", "simulate",
         "--profile", "producer", "--tcp", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert meter.stdout is not None
        assert meter.stdout.readline().startswith("tcp ")
        (tmp_path / demo.SIMULATOR_PID).write_text(f"{meter.pid}\n")
        said = demo.signal_meter(tmp_path, signal.SIGUSR1)
        assert said.startswith("Linky meter unplugged")
        assert meter.stdout.readline().strip() == "paused"
        said = demo.signal_meter(tmp_path, signal.SIGUSR2)
        assert said.startswith("Linky meter plugged back")
        assert meter.stdout.readline().strip() == "resumed"
    finally:
        meter.terminate()
        meter.wait(timeout=10)
    with pytest.raises(SystemExit, match="is not running"):
        demo.signal_meter(tmp_path, signal.SIGUSR1)


def test_main_unplug_without_a_demo(demo: ModuleType, tmp_path: Path) -> None:
    """``./scripts/demo --unplug`` with no demo running says so."""
    with pytest.raises(SystemExit, match="no demo is running"):
        demo.main(["--unplug", "--data", str(tmp_path)])


def test_game_server_environment_points_at_the_stand_in(demo: ModuleType) -> None:
    """The game server's Data Connect settings are complete and valid."""
    from game_server.enedis import DataConnectConfig

    env = demo.game_server_environment("http://127.0.0.1:8099", "http://127.0.0.1:1")
    config = DataConnectConfig.from_env(env)
    assert config is not None
    assert config.api_base == "http://127.0.0.1:1"
    assert config.redirect_url == "http://127.0.0.1:8099/enedis/callback"
    enedis = load_script("demo_enedis")
    assert (config.client_id, config.client_secret) == (
        enedis.CLIENT_ID,
        enedis.CLIENT_SECRET,
    )


def test_entry_id_of_a_flow_result(demo: ModuleType) -> None:
    """The entry id of a finished flow, as Home Assistant's HTTP API answers it."""
    assert (
        demo.entry_id({"type": "create_entry", "result": {"entry_id": "abc"}}) == "abc"
    )
