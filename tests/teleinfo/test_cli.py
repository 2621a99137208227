"""The ``decode`` and ``simulate`` command lines, run as real subprocesses."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
import selectors
import signal
import subprocess
import sys
import time

import pytest

from custom_components.sunshare.teleinfo import Frame, FrameDecoder, Mode
from custom_components.sunshare.teleinfo.cli import decode_stream
from custom_components.sunshare.teleinfo.simulator import (
    MODE_NAMES,
    PROFILE_NAMES,
    Faults,
    Simulator,
)

from .helpers import HISTORIC_CAPTURE, frame, hgroup, sgroup

ROOT = Path(__file__).resolve().parents[2]
MODULE = "custom_components.sunshare.teleinfo"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line and return its result."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", MODULE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_decode_historic_file(tmp_path: Path) -> None:
    bad = frame(b"\nPAPP 00180 +\r", hgroup("IINST", "001"))
    interrupted = b"\x02" + hgroup("PAPP", "00190") + b"\x04"
    capture = tmp_path / "historic.bin"
    capture.write_bytes(b"\x7f\x00noise" + HISTORIC_CAPTURE + bad + interrupted)
    result = run_cli("decode", "--mode", "historic", str(capture))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["mode"] == "historic"
    assert lines[0]["groups"]["ADCO"] == {"value": "021528603314", "timestamp": None}
    assert lines[0]["groups"]["PTEC"] == {"value": "HP..", "timestamp": None}
    assert lines[1] == {
        "mode": "historic",
        "groups": {"IINST": {"value": "001", "timestamp": None}},
    }
    assert lines[2] == {
        "summary": {"frames": 2, "groups": 9, "checksum_errors": 1, "interrupted": 1}
    }


def test_decode_auto_standard_with_timestamps(tmp_path: Path) -> None:
    data = frame(
        sgroup("ADSC", "042264123456"),
        sgroup("DATE", "", "E260715183000"),
        sgroup("SMAXSN", "05120", "h260115070102"),
        sgroup("NGTF", "     TEMPO      "),
    )
    capture = tmp_path / "standard.bin"
    capture.write_bytes(data * 2)
    result = run_cli("decode", str(capture))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {
        "mode": "standard",
        "groups": {
            "ADSC": {"value": "042264123456", "timestamp": None},
            "DATE": {"value": "", "timestamp": "2026-07-15T18:30:00+02:00"},
            "SMAXSN": {"value": "05120", "timestamp": "2026-01-15T07:01:02+01:00"},
            "NGTF": {"value": "TEMPO", "timestamp": None},
        },
    }
    assert lines[1] == lines[0]
    assert lines[2]["summary"]["frames"] == 2
    assert lines[2]["summary"]["groups"] == 8


def test_decode_missing_file(tmp_path: Path) -> None:
    result = run_cli("decode", str(tmp_path / "nope.bin"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert result.stdout == ""


def test_decode_stream_follows_a_mode_switch() -> None:
    simulator = Simulator(Mode.HISTORIC, "hchp", seed=5, faults=Faults(switch_after=20))
    data = b"".join(simulator.next_frame() for _ in range(60))
    lines: list[str] = []
    counters = decode_stream(io.BytesIO(data), None, lines.append)
    modes = [json.loads(line)["mode"] for line in lines]
    assert modes[:20] == ["historic"] * 20
    assert modes[-30:] == ["standard"] * 30
    assert counters.redetections == 1
    assert counters.frames == len(lines)
    # The fixed-mode decoder sees only the standard part as one mode.
    fixed = FrameDecoder(Mode.STANDARD).feed(data)
    assert len(fixed) == 40


def test_simulate_on_a_pty_subprocess() -> None:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            MODULE,
            "simulate",
            "--mode",
            "standard",
            "--profile",
            "three-phase",
            "--pty",
            "--speed",
            "20",
            "--frames",
            "400",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        announce = process.stdout.readline().split()
        assert announce[0] == "pty"
        fd = os.open(announce[1], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        decoder = FrameDecoder(Mode.STANDARD)
        frames: list[Frame] = []
        deadline = time.monotonic() + 20
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(frames) < 3 and time.monotonic() < deadline:
                if selector.select(timeout=1.0):
                    frames += decoder.feed(os.read(fd, 4096))
        os.close(fd)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert len(frames) >= 3
    assert {"SINSTS1", "IRMS3", "URMS3", "SMAXSN3-1"} <= frames[-1].groups.keys()
    assert decoder.counters.checksum_errors == 0


def test_simulate_pauses_on_sigusr1_like_an_unplugged_meter() -> None:
    """SIGUSR1 silences the simulator's pty, SIGUSR2 brings the frames back."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", MODULE, "simulate", "--pty", "--speed", "20",
         "--prm", "30000000000000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    decoder = FrameDecoder(Mode.STANDARD)
    frames: list[Frame] = []
    try:
        assert process.stdout is not None
        announce = process.stdout.readline().split()
        assert announce[0] == "pty"
        fd = os.open(announce[1], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)

            def read_for(seconds: float) -> bytes:
                """Return what the pty sends during ``seconds``."""
                data = b""
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    if selector.select(timeout=left):
                        data += os.read(fd, 4096)
                return data

            frames += decoder.feed(read_for(1.0))
            process.send_signal(signal.SIGUSR1)
            assert process.stdout.readline().strip() == "paused"
            read_for(0.3)  # the frame on the line when it was paused
            silent = read_for(1.0)
            process.send_signal(signal.SIGUSR2)
            assert process.stdout.readline().strip() == "resumed"
            after = decoder.feed(read_for(1.0))
        os.close(fd)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert frames and after
    assert silent == b""
    assert after[-1].value("PRM") == "30000000000000"
    assert decoder.counters.checksum_errors == 0


@pytest.mark.parametrize(
    ("command", "option", "valid"),
    [
        ([MODULE, "simulate"], "--profile", PROFILE_NAMES),
        ([MODULE, "simulate"], "--mode", MODE_NAMES),
        (["benchmarks.teleinfo_integration"], "--profile", PROFILE_NAMES),
        (["benchmarks.teleinfo_integration"], "--mode", MODE_NAMES),
    ],
)
def test_unknown_profile_or_mode_fails_at_once(
    command: list[str], option: str, valid: tuple[str, ...]
) -> None:
    """The simulator and the benchmark refuse a bad name before doing anything.

    The benchmark used to start Home Assistant and then hang on an unknown profile:
    the timeout turns a hang back into a failure.
    """
    start = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own interpreter and modules
        [sys.executable, "-m", *command, option, "bogus"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - start < 30
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert f"argument {option}: invalid choice: 'bogus'" in result.stderr
    for name in valid:
        assert name in result.stderr
