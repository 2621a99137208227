"""Command line of the TIC library: ``decode`` a capture, ``simulate`` a meter.

``python -m custom_components.sunshare.teleinfo decode [--mode auto|historic|standard]
FILE`` prints one JSON object per complete frame (valid groups only), then a summary
line. ``monitor PORT_OR_URL`` prints the same live from a serial port or a
``socket://`` / ``rfc2217://`` URL. ``simulate`` serves a simulated meter on a
pseudo-terminal or a TCP port.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
import contextlib
import json
import sys
from typing import BinaryIO, TextIO

from .models import Counters, Frame, Mode
from .monitor import monitor
from .receiver import TeleinfoReceiver
from .simulator import MODE_NAMES, PROFILE_NAMES, Faults, Profile, Simulator, serve

CHUNK = 64
"""Bytes handed to the receiver at a time when decoding a file."""


def frame_line(frame: Frame) -> str:
    """Return the JSON line printed for a frame."""
    return json.dumps(frame.as_json_dict(), ensure_ascii=False)


def summary_line(counters: Counters) -> str:
    """Return the final JSON summary line."""
    return json.dumps(
        {
            "summary": {
                "frames": counters.frames,
                "groups": counters.groups,
                "checksum_errors": counters.checksum_errors,
                "interrupted": counters.interrupted,
            }
        }
    )


def _mode_argument(value: str) -> Mode | None:
    """Return the mode of a ``--mode`` argument (None for auto)."""
    return None if value == "auto" else Mode(value)


def decode_stream(
    source: BinaryIO, mode: Mode | None, emit: Callable[[str], None]
) -> Counters:
    """Decode a byte stream as received from the line, emitting one line per frame.

    The receiver's clock advances by the time each chunk takes on the line at the
    current baud rate, so auto mode re-detects a mode switch as it would live.
    """
    receiver = TeleinfoReceiver(mode)
    now = 0.0
    # read1 returns what is available (live output from a pipe); read waits for CHUNK.
    read = getattr(source, "read1", source.read)
    while chunk := read(CHUNK):
        now += len(chunk) * 10 / receiver.baudrate
        for frame in receiver.feed(chunk, now):
            emit(frame_line(frame))
        receiver.tick(now)  # a file has no baud rate: nothing to reopen
    return receiver.counters


def _print(out: TextIO) -> Callable[[str], None]:
    """Return a function printing a line and flushing it."""

    def emit(line: str) -> None:
        """Print one line."""
        print(line, file=out, flush=True)

    return emit


def _decode(args: argparse.Namespace) -> int:
    """Run ``decode``."""
    mode = _mode_argument(args.mode)
    emit = _print(sys.stdout)
    try:
        if args.file == "-":
            counters = decode_stream(sys.stdin.buffer, mode, emit)
        else:
            with open(args.file, "rb") as source:
                counters = decode_stream(source, mode, emit)
    except OSError as err:
        print(f"error: cannot read {args.file}: {err.strerror or err}", file=sys.stderr)
        return 2
    emit(summary_line(counters))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    """Run ``simulate`` until interrupted (or ``--frames`` sent)."""
    faults = Faults(
        bad_checksum=args.bad_checksum,
        truncated=args.truncated,
        interrupted=args.interrupted,
        garbage=args.garbage,
        switch_after=args.switch_after,
        overload=args.overload,
    )
    simulator = Simulator(
        Mode(args.mode),
        Profile(args.profile),
        seed=args.seed,
        faults=faults,
        prm=args.prm,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                simulator,
                tcp_port=args.tcp,
                speed=args.speed,
                frames=args.frames,
                announce=_print(sys.stdout),
                pause_signals=True,
            )
        )
    return 0


def _monitor(args: argparse.Namespace) -> int:
    """Run ``monitor`` until interrupted (or ``--frames`` received)."""
    emit = _print(sys.stdout)
    counters = Counters()
    with contextlib.suppress(KeyboardInterrupt):
        counters = asyncio.run(
            monitor(
                args.port,
                _mode_argument(args.mode),
                lambda frame: emit(frame_line(frame)),
                frames=args.frames,
            )
        )
    emit(summary_line(counters))
    return 0


def _probability(value: str) -> float:
    """Parse a probability between 0 and 1."""
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return number


def _prm(value: str) -> str:
    """Parse a 14-digit PRM."""
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError("must be the meter's 14 digits")
    return value


def _positive(value: str) -> float:
    """Parse a strictly positive number."""
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.sunshare.teleinfo",
        description="Linky TIC tools: decode captures, monitor a line, simulate a meter.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    decode = commands.add_parser(
        "decode", help="decode raw TIC bytes from a file ('-' for stdin) to JSON lines"
    )
    decode.add_argument(
        "--mode", choices=["auto", *(m.value for m in Mode)], default="auto"
    )
    decode.add_argument("file", metavar="FILE")
    decode.set_defaults(handler=_decode)

    simulate = commands.add_parser(
        "simulate",
        help="serve a simulated meter on a pty or a TCP port",
        description=(
            "Serve a simulated Linky meter on a pty or a TCP port. SIGUSR1 silences "
            "the line as an unplugged meter would (it keeps measuring), SIGUSR2 "
            "plugs it back; each change prints 'paused' or 'resumed'."
        ),
    )
    simulate.add_argument("--mode", choices=MODE_NAMES, default=Mode.STANDARD.value)
    simulate.add_argument(
        "--profile", choices=PROFILE_NAMES, default=Profile.BASE.value
    )
    where = simulate.add_mutually_exclusive_group()
    where.add_argument(
        "--pty", action="store_true", help="serve on a new pseudo-terminal (default)"
    )
    where.add_argument(
        "--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT (0: any)"
    )
    simulate.add_argument(
        "--speed", type=_positive, default=1.0, help="times faster than real time"
    )
    simulate.add_argument("--frames", type=int, help="stop after this many frames")
    simulate.add_argument("--seed", type=int, help="random seed (reproducible stream)")
    simulate.add_argument(
        "--prm", type=_prm, help="the meter's 14-digit PRM (default: random)"
    )
    simulate.add_argument(
        "--bad-checksum", type=_probability, default=0.0, help="per-group probability"
    )
    simulate.add_argument(
        "--truncated", type=_probability, default=0.0, help="per-frame probability"
    )
    simulate.add_argument(
        "--interrupted",
        type=_probability,
        default=0.0,
        help="per-frame probability of an EOT",
    )
    simulate.add_argument(
        "--garbage", type=_probability, default=0.0, help="per-frame probability"
    )
    simulate.add_argument(
        "--switch-after", type=int, metavar="N", help="switch mode after N frames"
    )
    simulate.add_argument(
        "--overload",
        action="store_true",
        help="three-phase historic: short frames (ADIR1)",
    )
    simulate.set_defaults(handler=_simulate)

    monitor = commands.add_parser(
        "monitor",
        help="decode a serial port or socket:// / rfc2217:// URL live to JSON lines",
    )
    monitor.add_argument(
        "--mode", choices=["auto", *(m.value for m in Mode)], default="auto"
    )
    monitor.add_argument(
        "--frames", type=int, default=None, help="stop after this many frames"
    )
    monitor.add_argument("port", metavar="PORT_OR_URL")
    monitor.set_defaults(handler=_monitor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)
