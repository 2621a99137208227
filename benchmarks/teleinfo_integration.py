"""Measure the Linky integration per hour of simulated TIC stream: CPU and state writes.

Run from the repository root: ``.venv/bin/python -m benchmarks.teleinfo_integration``
(options: ``--hours``, ``--mode``, ``--profile``; an unknown mode or profile stops it at
once with the list of valid names). A real Home Assistant instance with
the recorder (SQLite in a temporary folder) sets up a Linky meter entry on a pseudo-terminal; the
simulator's frames are written on the pty and Home Assistant's clock (``dt_util.utcnow``) advances by each
frame's real duration, so the write-rate policy sees an hour of meter time. The figures:
frames per simulated hour, recorded state changes per hour (the target is at most 1,000
for a single-phase standard meter with the default options) and CPU seconds per hour.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import tempfile
import termios
import time

from homeassistant import loader
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.sunshare  # noqa: F401  # resolve our integration first
from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.linky.runtime import LinkyRuntime
from custom_components.sunshare.teleinfo.models import Mode
from custom_components.sunshare.teleinfo.simulator import (
    MODE_NAMES,
    PROFILE_NAMES,
    Simulator,
)


def prime(slave: int) -> None:
    """Move the pty to another speed so the next 7E1 opening is accepted (sandbox)."""
    attributes = termios.tcgetattr(slave)
    attributes[4] = attributes[5] = termios.B38400
    termios.tcsetattr(slave, termios.TCSANOW, attributes)


async def wait_for(condition, limit: float = 10.0) -> None:
    """Poll ``condition`` with executor pauses (they work under a frozen clock)."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic_ns() + int(limit * 1e9)
    while not condition():
        if time.monotonic_ns() > deadline:
            raise TimeoutError("condition not met")
        await loop.run_in_executor(None, time.sleep, 0.0005)


async def run(hours: float, mode: Mode, profile: str) -> dict[str, float]:
    """Feed ``hours`` of simulated frames to a Linky entry and return the figures.

    The simulator is built first: a bad mode or profile raises ValueError before Home
    Assistant starts (an error inside the test instance would leave it hanging).
    """
    simulator = Simulator(
        mode, profile, seed=1, start=datetime(2026, 1, 15, 8, tzinfo=UTC)
    )
    master, slave = os.openpty()
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            recorder_helper.async_initialize_recorder(hass)
            database = f"sqlite:///{Path(config_dir) / 'recorder.db'}"
            assert await async_setup_component(
                hass, "recorder", {"recorder": {"db_url": database}}
            )
            entry = MockConfigEntry(
                domain=DOMAIN,
                title="Linky meter",
                unique_id=simulator.address,
                data={"kind": "linky", "port": os.ttyname(slave), "mode": mode.value},
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            runtime: LinkyRuntime = entry.runtime_data
            await wait_for(lambda: runtime.reader.stats.opens >= 1)
            figures = await feed(
                hass,
                runtime,
                simulator=simulator,
                master=master,
                slave=slave,
                hours=hours,
            )
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await hass.async_stop()
    os.close(master)
    os.close(slave)
    return figures


async def feed(
    hass: HomeAssistant,
    runtime: LinkyRuntime,
    *,
    simulator: Simulator,
    master: int,
    slave: int,
    hours: float,
) -> dict[str, float]:
    """Write frames for ``hours`` of meter time, advancing Home Assistant's clock."""
    writes: Counter[str] = Counter()
    registry = er.async_get(hass)

    @callback
    def count(event: Event[EventStateChangedData]) -> None:
        """Count the state changes of the meter's entities (what the recorder stores)."""
        entity = registry.async_get(event.data["entity_id"])
        if entity is not None and entity.platform == DOMAIN:
            writes[entity.unique_id.removeprefix(f"{runtime.address}_")] += 1

    # Warm up: the first frame creates the entities (not counted).
    os.write(master, simulator.next_frame())
    prime(slave)
    await wait_for(lambda: runtime.frames >= 1)
    await hass.async_block_till_done()
    hass.bus.async_listen(EVENT_STATE_CHANGED, count)

    simulated = 0.0
    frames = 0
    start = dt_util.utcnow()
    real_utcnow = dt_util.utcnow
    # Home Assistant's clock (what the write-rate policy reads) follows the meter's.
    dt_util.utcnow = lambda: start + timedelta(seconds=simulated)  # type: ignore[assignment]
    cpu = time.process_time()
    try:
        while simulated < hours * 3600:
            frame = simulator.next_frame()
            simulated += simulator.interval
            expected = runtime.frames + 1
            os.write(master, frame)
            await wait_for(lambda expected=expected: runtime.frames >= expected)
            await hass.async_block_till_done()
            frames += 1
    finally:
        cpu = time.process_time() - cpu
        dt_util.utcnow = real_utcnow
    per_hour = 3600 / simulated
    return {
        "frames_per_hour": frames * per_hour,
        "state_writes_per_hour": sum(writes.values()) * per_hour,
        "cpu_seconds_per_hour": cpu * per_hour,
        "entities": len(runtime.known_labels),
        **{f"writes[{key}]": count * per_hour for key, count in writes.most_common(8)},
    }


def main() -> None:
    """Parse the options, run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--mode", choices=MODE_NAMES, default="standard")
    parser.add_argument("--profile", choices=PROFILE_NAMES, default="base")
    args = parser.parse_args()
    figures = asyncio.run(run(args.hours, Mode(args.mode), args.profile))
    print(f"Linky integration, {args.mode} {args.profile}, {args.hours:g} h simulated:")
    for name, value in figures.items():
        print(f"  {name:32} {value:10.1f}")


if __name__ == "__main__":
    main()
