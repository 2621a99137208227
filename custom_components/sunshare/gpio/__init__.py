"""GPIO hardware layer: input and output lines on a GPIO chip (no Home Assistant imports).

Open a backend with :func:`open_backend` (from an executor: it may scan ``/dev``), then
request lines from the event loop. Backends are not shared: each config entry opens its
own and the chip arbitrates lines (a line held elsewhere is :class:`LineBusyError`).
"""

from __future__ import annotations

from .models import (
    CONTAINER_HINT,
    BackendKind,
    Bias,
    ChipNotFoundError,
    Drive,
    Edge,
    EdgeCallback,
    EdgeEvent,
    EventClock,
    GpioBackend,
    GpioError,
    GpioPermissionError,
    InputConfig,
    InputLine,
    LineBusyError,
    LineNotFoundError,
    OutputConfig,
    OutputLine,
)
from .simulated import (
    DEFAULT_CHIP as DEFAULT_SIMULATED_CHIP,
    DEMO_CHIP,
    OutputChange,
    SimulatedBackend,
    SimulatedChip,
    demo_power_w,
    get_simulated_chip,
    reset_simulated_chips,
)

__all__ = [
    "CONTAINER_HINT",
    "DEFAULT_SIMULATED_CHIP",
    "DEMO_CHIP",
    "BackendKind",
    "Bias",
    "ChipNotFoundError",
    "Drive",
    "Edge",
    "EdgeCallback",
    "EdgeEvent",
    "EventClock",
    "GpioBackend",
    "GpioError",
    "GpioPermissionError",
    "InputConfig",
    "InputLine",
    "LineBusyError",
    "LineNotFoundError",
    "OutputChange",
    "OutputConfig",
    "OutputLine",
    "SimulatedBackend",
    "SimulatedChip",
    "demo_power_w",
    "get_simulated_chip",
    "line_key",
    "open_backend",
    "reset_simulated_chips",
]


def open_backend(
    kind: BackendKind = BackendKind.GPIOD, chip: str | None = None
) -> GpioBackend:
    """Open a GPIO backend on a chip (blocking: call it from an executor).

    ``chip`` is, for gpiod, None or ``"auto"`` (find the Raspberry Pi header chip by its
    label), a path (``/dev/gpiochip0``), a chip name (``gpiochip0``) or a label
    (``pinctrl-rp1``); for the simulated backend, the name of a simulated chip (default
    ``sim0``); it is ignored by RPi.GPIO (BCM numbering of the header). Raise
    ChipNotFoundError, GpioPermissionError or GpioError.
    """
    if kind is BackendKind.SIMULATED:
        return SimulatedBackend(get_simulated_chip(chip or DEFAULT_SIMULATED_CHIP))
    if kind is BackendKind.RPI_GPIO:
        from .rpigpio_backend import RpiGpioBackend

        return RpiGpioBackend()
    from .gpiod_backend import GpiodBackend

    return GpiodBackend(chip)


def line_key(kind: BackendKind, chip: str | None, line: int) -> str:
    """Return a stable identifier of a line, e.g. for config entry unique ids.

    Every GPIO kind (pulse meter, buzzer, relay) uses it, so one line cannot be
    configured twice. The automatic gpiod chip and RPi.GPIO both mean the header.
    """
    if kind is BackendKind.SIMULATED:
        where = f"simulated:{chip or DEFAULT_SIMULATED_CHIP}"
    elif kind is BackendKind.RPI_GPIO or chip in (None, "", "auto"):
        where = "header"
    else:
        where = chip.removeprefix("/dev/") if chip else "header"
    return f"gpio:{where}:{line}"
