"""Live decoding of a TIC line for the ``monitor`` command (serial port or URL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import sys
from typing import TextIO

from .models import Counters, Frame, Mode
from .transport import LinkProblem, TeleinfoReader, redact


async def monitor(
    url: str,
    mode: Mode | None,
    emit: Callable[[Frame], None],
    *,
    frames: int | None = None,
    log: TextIO = sys.stderr,
) -> Counters:
    """Print frames from a line until ``frames`` are received (forever if None)."""
    done = asyncio.Event()
    received = 0

    def on_frame(frame: Frame) -> None:
        """Emit a frame and stop after the requested count."""
        nonlocal received
        received += 1
        emit(frame)
        if frames is not None and received >= frames:
            done.set()

    def on_lost(problem: LinkProblem) -> None:
        """Tell the user the link is down (once per loss)."""
        print(f"link lost: {problem.value}; retrying", file=log, flush=True)

    def on_restored() -> None:
        """Tell the user frames decode (again)."""
        print(f"receiving frames from {redact(url)}", file=log, flush=True)

    reader = TeleinfoReader(
        url,
        mode,
        on_frame=on_frame,
        on_link_lost=on_lost,
        on_link_restored=on_restored,
    )
    reader.start()
    try:
        await done.wait()
    finally:
        await reader.stop()
    return reader.receiver.counters
