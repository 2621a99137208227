"""The release is consistent, and the game server's wheel runs without Home Assistant."""

from __future__ import annotations

import contextlib
from pathlib import Path
import re
import socket
import subprocess
import sys
import time
import tomllib
from types import ModuleType
import urllib.request
import venv
import zipfile

import pytest

from tests.scripts import load_script, package_name, requirement_lines

ROOT = Path(__file__).resolve().parents[2]


def _release() -> ModuleType:
    """Import scripts/release.py."""
    return load_script("release")


def test_every_version_agrees() -> None:
    """pyproject, manifest, add-on config, Dockerfile, changelog and wheel agree."""
    found = _release().versions()
    expected = found["pyproject.toml"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", expected)
    assert found == dict.fromkeys(found, expected)


def test_wheel_dependencies_match_requirements() -> None:
    """The wheel needs what requirements.txt pins for the game server, same ranges."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = requirement_lines(ROOT / "requirements.txt")
    for dependency in project["dependencies"]:
        assert requirements[package_name(dependency)] == dependency
    wheel = next((ROOT / "addon" / "dist").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(
            f"sunshare_game_server-{project['version']}.dist-info/METADATA"
        ).decode()
    required = {
        package_name(line.removeprefix("Requires-Dist:"))
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    }
    assert required == {package_name(d) for d in project["dependencies"]}


def _free_port() -> int:
    """Return a free TCP port on the loopback address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from the sources and install it in a venv without Home Assistant."""
    folder = tmp_path_factory.mktemp("wheel")
    wheel = _release().build(folder / "dist")
    env_dir = folder / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    # The venv gets pip from this interpreter (no download of pip itself).
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(  # noqa: S603 - our own commands
        [*pip, "install", "--quiet", "--disable-pip-version-check", str(wheel),
         "-c", str(ROOT / "constraints.txt")],
        check=True,
    )  # fmt: skip
    return python


def test_wheel_has_no_home_assistant(installed_wheel: Path) -> None:
    """The add-on's environment: the game server and the Enedis library, no HA."""
    code = (
        "import importlib.util, game_server.enedis.dataconnect;"
        "print(importlib.util.find_spec('homeassistant') is None)"
    )
    result = subprocess.run(  # noqa: S603 - our own command
        [str(installed_wheel), "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"


def test_wheel_serves_the_game(
    installed_wheel: Path, tmp_path: Path, real_sockets: None
) -> None:
    """The installed server starts with the demo season and answers its health check."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [str(installed_wheel), "-m", "game_server", "--host", "127.0.0.1", "--port",
         str(port), "--data-dir", str(tmp_path), "--demo"],
        cwd=tmp_path,  # not the repository: only the installed package is importable
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as answer,
            ):
                assert answer.status == 200
                break
            assert process.poll() is None, (
                process.stdout.read() if process.stdout else ""
            )
            assert time.monotonic() < deadline, "the game server did not start"
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200
            assert b"Sunshare" in page.read()
    finally:
        process.terminate()
        process.wait(timeout=30)
