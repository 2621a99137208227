"""The deprecation watch sees Home Assistant's reports and warnings about our code."""

from __future__ import annotations

import logging
from pathlib import Path
import warnings

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
import pytest

from tests.deprecation_watch import FRAME_LOGGER, ReportCollector, is_report_about_us

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "sunshare"


def _record(name: str, message: str, level: int = logging.WARNING) -> logging.LogRecord:
    """Return a log record."""
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    ("name", "message", "level", "expected"),
    [
        (FRAME_LOGGER, "Detected that custom integration 'sunshare' calls x", 30, True),
        (FRAME_LOGGER, "Detected code that calls `x`, which is deprecated", 30, True),
        (FRAME_LOGGER, "Detected that integration 'energy' calls x", 30, False),
        (FRAME_LOGGER, "Detected that custom integration 'other' calls x", 30, False),
        (
            FRAME_LOGGER,
            "Detected that custom integration 'sunshare' calls x",
            10,
            False,
        ),
        ("homeassistant.loader", "custom integration 'sunshare' not tested", 30, False),
    ],
)
def test_which_records_are_reports_about_us(
    name: str, message: str, level: int, expected: bool
) -> None:
    """Only the frame helper's warnings about Sunshare or code in no integration."""
    assert is_report_about_us(_record(name, message, level)) is expected


async def test_a_real_report_from_our_code_is_collected(
    hass: HomeAssistant, deprecation_watch: ReportCollector
) -> None:
    """``report_usage`` called from a module of the integration is caught."""
    probe = compile(
        "frame.report_usage('calls a probe of the deprecation watch',"
        " breaks_in_ha_version='2099.1.0')",
        str(INTEGRATION / "_deprecation_watch_probe.py"),
        "exec",
    )
    exec(probe, {"frame": frame})  # noqa: S102 - a frame inside the integration
    assert len(deprecation_watch.reports) == 1
    report = deprecation_watch.reports[0]
    assert "custom integration 'sunshare'" in report
    assert "2099.1.0" in report
    # Seen: clear it so that this test itself passes.
    deprecation_watch.reports.clear()


def test_deprecation_warnings_from_our_modules_are_errors() -> None:
    """pyproject.toml turns a DeprecationWarning attributed to our code into an error."""
    code = compile(
        "warnings.warn('old', DeprecationWarning, stacklevel=1)", "probe.py", "exec"
    )
    with pytest.raises(DeprecationWarning):
        exec(code, {"warnings": warnings, "__name__": "custom_components.sunshare.x"})  # noqa: S102
