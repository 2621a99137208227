"""Checks of the add-on that can be made without Docker: config, schema, translations, launch."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import importlib.machinery
import importlib.util
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import time
from types import ModuleType
from typing import Any
import urllib.request

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"
SCHEMAS = Path(__file__).parent / "schemas"
LAUNCHER = ADDON / "rootfs" / "usr" / "bin" / "sunshare-game-start"
SERVICE = ADDON / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d" / "sunshare-game"


def _load_yaml(path: Path) -> Any:
    """Load a YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """Return the add-on's config.yaml."""
    data: dict[str, Any] = _load_yaml(ADDON / "config.yaml")
    return data


def _launcher() -> ModuleType:
    """Import the launcher script (it has no .py suffix) as a module."""
    loader = importlib.machinery.SourceFileLoader("sunshare_game_start", str(LAUNCHER))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_config_validates_against_linter_schema(config: dict[str, Any]) -> None:
    """config.yaml passes the add-on linter's JSON schema (no unknown keys)."""
    schema = json.loads((SCHEMAS / "addon-config.schema.json").read_text())
    jsonschema.validate(config, schema)


def test_no_key_left_at_its_default_value(config: dict[str, Any]) -> None:
    """Like the linter: a key set to its default value must be removed."""
    schema = json.loads((SCHEMAS / "addon-config.schema.json").read_text())
    at_default = [
        key
        for key, value in config.items()
        if "default" in schema["properties"].get(key, {})
        and schema["properties"][key]["default"] == value
    ]
    assert at_default == []


def test_linter_rules_beyond_the_schema(config: dict[str, Any]) -> None:
    """The linter's other rules: supported arches, s6 v3 init, ingress without webui."""
    assert set(config["arch"]) == {"aarch64", "amd64"}
    assert config["init"] is False
    assert config["ingress"] is True
    assert "webui" not in config
    assert "watchdog" not in config
    assert not (ADDON / "build.yaml").exists()  # deprecated since the 2026 builder
    assert config["slug"] == "sunshare_game"
    assert re.fullmatch(r"\d+\.\d+\.\d+", config["version"])


def test_options_schema_and_translations_agree(config: dict[str, Any]) -> None:
    """Every option has a schema entry and a name and description in English and French."""
    assert set(config["options"]) == set(config["schema"])
    for language in ("en", "fr"):
        translations = _load_yaml(ADDON / "translations" / f"{language}.yaml")
        assert set(translations["configuration"]) == set(config["options"]), language
        for option, texts in translations["configuration"].items():
            assert texts["name"].strip(), (language, option)
            assert texts["description"].strip(), (language, option)
        assert set(translations["network"]) == set(config["ports"]), language


def test_secrets_are_password_fields(config: dict[str, Any]) -> None:
    """The Enedis credentials are entered as passwords, never shown in clear."""
    assert config["schema"]["enedis_client_id"] == "password"
    assert config["schema"]["enedis_client_secret"] == "password"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("", True),
        ("mongodb://user:pw@db:27017/sunshare", True),
        ("mongodb+srv://cluster.example.org/sunshare", True),
        ("postgres://db/sunshare", False),
        ("sqlite:///data/x", False),
    ],
)
def test_database_url_option_pattern(
    config: dict[str, Any], value: str, valid: bool
) -> None:
    """The database option accepts empty (SQLite) or a MongoDB URL only."""
    pattern = re.fullmatch(r"match\((.*)\)", config["schema"]["database_url"])
    assert pattern is not None
    assert bool(re.fullmatch(pattern.group(1), value)) is valid


def test_dockerfile_builds_from_the_addon_folder_alone(config: dict[str, Any]) -> None:
    """The image installs the game server from the wheel in dist/, nothing downloaded.

    Every version agreeing is checked in tests/addon/test_release.py.
    """
    dockerfile = (ADDON / "Dockerfile").read_text(encoding="utf-8")
    assert "HEALTHCHECK" in dockerfile
    assert re.search(
        r"^FROM ghcr\.io/home-assistant/\$\{BUILD_ARCH\}-base-python:3\.13",
        dockerfile,
        re.M,
    )
    # No download of this repository (a tag or release that may not exist).
    assert "curl" not in dockerfile.split("HEALTHCHECK")[0]
    assert "archive/refs" not in dockerfile
    copied = re.findall(r"^COPY (dist/\S+) ", dockerfile, re.M)
    assert copied == ["dist/sunshare_game_server-${BUILD_VERSION}-py3-none-any.whl"]
    wheel = copied[0].replace("${BUILD_VERSION}", config["version"])
    assert (ADDON / wheel).is_file()


def test_s6_service_layout() -> None:
    """The s6-overlay v3 service is a longrun started by the user bundle."""
    assert (SERVICE / "type").read_text().strip() == "longrun"
    assert (SERVICE / "dependencies.d" / "base").exists()
    assert (
        ADDON / "rootfs/etc/s6-overlay/s6-rc.d/user/contents.d/sunshare-game"
    ).exists()
    for script in ("run", "finish"):
        path = SERVICE / script
        assert path.read_text().startswith("#!/command/with-contenv bashio"), script
        assert os.access(path, os.X_OK), script
    assert "sunshare-game-start" in (SERVICE / "run").read_text()
    assert os.access(LAUNCHER, os.X_OK)


def test_apparmor_profile_is_named_after_the_slug(config: dict[str, Any]) -> None:
    """The AppArmor profile name is the add-on slug and allows the data folder."""
    profile = (ADDON / "apparmor.txt").read_text(encoding="utf-8")
    assert re.search(rf"^profile {config['slug']} flags=", profile, re.M)
    assert "/data/** rwk" in profile


def test_store_files_exist() -> None:
    """The store shows a README, the documentation tab, an icon and a logo."""
    for name in ("README.md", "DOCS.md", "CHANGELOG.md", "icon.png", "logo.png"):
        assert (ADDON / name).stat().st_size > 0, name
    repository = _load_yaml(ROOT / "repository.yaml")
    assert repository["name"]


def test_launcher_maps_options_to_command_and_environment(tmp_path: Path) -> None:
    """Options become the server's arguments and environment; empty ones are omitted."""
    launcher = _launcher()
    argv, env = launcher.build_command(
        {
            "database_url": "mongodb://db:27017/sunshare",
            "public_url": "https://game.example.org",
            "enedis_client_id": "",
            "enedis_client_secret": "s3cret",
            "enedis_environment": "sandbox",
            "log_level": "debug",
        }
    )
    assert argv[1:3] == ["-m", "game_server"]
    assert argv[argv.index("--port") + 1] == "8099"
    assert argv[argv.index("--data-dir") + 1] == "/data"
    assert argv[argv.index("--database") + 1] == "mongodb://db:27017/sunshare"
    assert env["SUNSHARE_PUBLIC_URL"] == "https://game.example.org"
    assert env["SUNSHARE_ENEDIS_CLIENT_SECRET"] == "s3cret"
    assert env["SUNSHARE_LOG_LEVEL"] == "debug"
    assert "SUNSHARE_ENEDIS_CLIENT_ID" not in env or env[
        "SUNSHARE_ENEDIS_CLIENT_ID"
    ] == os.environ.get("SUNSHARE_ENEDIS_CLIENT_ID")
    argv, _ = launcher.build_command({"database_url": ""})
    assert "--database" not in argv


def _free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _running_launcher(
    data_dir: Path, options: dict[str, Any]
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run the launcher as Supervisor would, against a /data-like folder."""
    (data_dir / "options.json").write_text(json.dumps(options), encoding="utf-8")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        SUNSHARE_DATA_DIR=str(data_dir),
        SUNSHARE_PORT=str(port),
        SUNSHARE_HOST="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(LAUNCHER)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait_for_health(process: subprocess.Popen[bytes], port: int) -> dict[str, Any]:
    """Poll /healthz until the server answers (bounded: 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            process.stdout.read().decode() if process.stdout else ""
        )
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/healthz", timeout=2
            ) as reply,
        ):
            body: dict[str, Any] = json.loads(reply.read())
            return body
        time.sleep(0.2)
    pytest.fail("the game server did not answer /healthz within 30 s")


def test_launcher_starts_the_server_with_the_options_file(
    tmp_path: Path, real_sockets: None
) -> None:
    """The service script's launcher starts the game server on a /data-like folder."""
    with _running_launcher(tmp_path, {"database_url": "", "log_level": "info"}) as (
        process,
        port,
    ):
        assert _wait_for_health(process, port)["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    # The embedded database and the secrets live in the data folder.
    assert any(path.name != "options.json" for path in tmp_path.iterdir())


def test_log_level_option_reaches_the_server(
    tmp_path: Path, real_sockets: None
) -> None:
    """With log_level "warning", the server's INFO lines (access log) are not written."""
    with _running_launcher(tmp_path, {"log_level": "warning"}) as (process, port):
        assert _wait_for_health(process, port)["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        output = process.stdout.read().decode() if process.stdout else ""
    assert '"level": "INFO"' not in output


def test_default_log_level_shows_the_access_log(
    tmp_path: Path, real_sockets: None
) -> None:
    """With log_level "info", the health checks appear in the JSON access log."""
    with _running_launcher(tmp_path, {"log_level": "info"}) as (process, port):
        _wait_for_health(process, port)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        output = process.stdout.read().decode() if process.stdout else ""
    assert '"path": "/healthz"' in output
