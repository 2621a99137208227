"""Decoder throughput on a standard three-phase stream (frames per second, one core).

The stream is generated deterministically by the simulator (seed 42, fixed start time),
so every run measures the same bytes: a recorded-like capture of 2,000 standard
three-phase frames (53 groups, about 1.2 KiB each). Target: at least 2,000 frames/s
(a meter sends about one per second).

Run: ``.venv/bin/python -m benchmarks.teleinfo_decoder [--frames N] [--chunk BYTES]``.
"""

from __future__ import annotations

import argparse
from datetime import datetime
import time

from custom_components.sunshare.teleinfo import PARIS, FrameDecoder, Mode
from custom_components.sunshare.teleinfo.simulator import Simulator

TARGET = 2000.0
"""Frames per second the decoder must sustain."""


def recorded_stream(frames: int) -> bytes:
    """Return a deterministic standard three-phase capture of ``frames`` frames."""
    simulator = Simulator(
        Mode.STANDARD,
        "three-phase",
        seed=42,
        start=datetime(2026, 1, 15, 8, 0, tzinfo=PARIS),
        address="042276123456",
    )
    return b"".join(simulator.next_frame() for _ in range(frames))


def measure(stream: bytes, chunk: int, repeat: int = 5) -> tuple[float, int]:
    """Return (best frames per second, frames decoded) over ``repeat`` runs."""
    best = 0.0
    decoded = 0
    for _ in range(repeat):
        decoder = FrameDecoder(Mode.STANDARD)
        start = time.process_time()
        decoded = 0
        for offset in range(0, len(stream), chunk):
            decoded += len(decoder.feed(stream[offset : offset + chunk]))
        elapsed = time.process_time() - start
        best = max(best, decoded / elapsed)
        assert decoder.counters.checksum_errors == 0
    return best, decoded


def main() -> None:
    """Measure and print the decoder's throughput."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per feed()")
    args = parser.parse_args()
    stream = recorded_stream(args.frames)
    print(f"stream: {args.frames} frames, {len(stream)} bytes")
    for chunk in sorted({args.chunk, 64}, reverse=True):
        rate, decoded = measure(stream, chunk)
        assert decoded == args.frames
        verdict = "OK" if rate >= TARGET else "BELOW TARGET"
        print(
            f"chunk {chunk:>5} B: {rate:,.0f} frames/s "
            f"({rate * len(stream) / args.frames / 1e6:.2f} MB/s) "
            f"target {TARGET:,.0f}: {verdict}"
        )


if __name__ == "__main__":
    main()
