"""A pseudo-terminal standing for a TIC dongle, for transport and integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import os
from pathlib import Path
import termios
import time


class Pty:
    """A pseudo-terminal reachable through a stable symlink (like /dev/serial/by-id).

    The sandbox kernel these tests run on refuses a 7E1 ``tcsetattr`` on a pty whose
    settings already read back as the normalised result of the same request (EINVAL), so
    a reopened line would fail. Each ``write`` therefore moves the terminal to another
    speed (a pty ignores speed), so the next opening changes something and succeeds;
    ``replug`` swaps in a fresh terminal, as a dongle unplugged and plugged back would.
    """

    def __init__(self, link: Path) -> None:
        """Create the first terminal behind ``link``."""
        self.link = link
        self.master = -1
        self.slave = -1
        self.open()

    def open(self) -> None:
        """Create a new terminal and point the link at it (the dongle is plugged)."""
        self.master, self.slave = os.openpty()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self.slave))

    def close(self) -> None:
        """Close the terminal and remove the link (the dongle is unplugged)."""
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self.slave = -1
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()

    def replug(self) -> None:
        """Swap in a fresh terminal behind the same link."""
        self.close()
        self.open()

    def write(self, data: bytes) -> None:
        """Send bytes as the meter would."""
        os.write(self.master, data)
        self.prime()

    def prime(self) -> None:
        """Move the terminal to 38400 Bd so that the next 7E1 opening is accepted."""
        attributes = termios.tcgetattr(self.slave)
        attributes[4] = attributes[5] = termios.B38400
        termios.tcsetattr(self.slave, termios.TCSANOW, attributes)


async def until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Wait, polling every 10 ms, until ``condition`` holds; fail after ``limit`` s.

    The pause runs in the executor so that it also works under a frozen clock (the
    ``freezer`` fixture freezes the event loop's time, which ``asyncio.sleep`` uses).
    """
    loop = asyncio.get_running_loop()
    for _ in range(int(limit / 0.01)):
        if condition():
            return
        await loop.run_in_executor(None, time.sleep, 0.01)
    raise AssertionError("condition not met in time")
