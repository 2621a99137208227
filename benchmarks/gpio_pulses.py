"""Benchmark: pulses counted per second through the gpiod backend code and the meter.

Events are queued on a fake chip (the fake ``gpiod`` module of the tests, with a real
pipe fd watched by the event loop) in bursts the size of the kernel buffer, then read by
the backend's fd reader and counted by the pulse meter. A 1000 imp/kWh meter at 36 kW
gives 10 pulses/s; target: over 20,000 pulses/s on one core, so event handling is
never the bottleneck.

Run: ``.venv/bin/python -m benchmarks.gpio_pulses [--pulses N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time

from custom_components.sunshare.gpio import (
    BackendKind,
    Edge,
    EdgeEvent,
    InputConfig,
    gpiod_backend,
    open_backend,
)
from custom_components.sunshare.pulse_meter.meter import PulseMeter
from tests.gpio.fake_gpiod import FakeGpio

LINE = 17
BURST = 16  # the kernel's event buffer for one line


async def run(pulses: int) -> float:
    """Count ``pulses`` pulses and return the pulses per second."""
    with tempfile.TemporaryDirectory() as dev_dir:
        world = FakeGpio(dev_dir)
        gpiod, line_module = world.module()
        sys.modules["gpiod"], sys.modules["gpiod.line"] = gpiod, line_module
        FakeGpio.current = world
        gpiod_backend.DEV_DIR = dev_dir
        chip = world.add_chip(0, "pinctrl-rp1")
        backend = open_backend(BackendKind.GPIOD)
        meter = PulseMeter(energy_per_pulse_wh=1.0)
        loop = asyncio.get_running_loop()
        burst_read = asyncio.Event()

        def count(event: EdgeEvent) -> None:
            """Count a pulse; signal when the whole burst was read."""
            meter.handle_event(event, loop.time())
            if meter.pulses % BURST == 0 or meter.pulses == pulses:
                burst_read.set()

        backend.request_input(InputConfig(line=LINE, edge=Edge.FALLING), count)
        start = time.perf_counter()
        for first in range(0, pulses, BURST):
            burst_read.clear()
            for index in range(first, min(first + BURST, pulses)):
                chip.emit(LINE, False, index * 100_000_000)
                chip.emit(LINE, True, index * 100_000_000 + 50_000_000)
            await burst_read.wait()
        elapsed = time.perf_counter() - start
        backend.close()
        assert meter.pulses == pulses
        assert meter.missed == 0
        return pulses / elapsed


def main() -> None:
    """Run the benchmark and print the result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pulses", type=int, default=100_000)
    args = parser.parse_args()
    rate = asyncio.run(run(args.pulses))
    print(f"{args.pulses} pulses counted: {rate:,.0f} pulses/s (target > 20,000)")


if __name__ == "__main__":
    main()
