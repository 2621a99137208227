"""Deprecation watch: fail a test during which Home Assistant reports our code.

Home Assistant announces a breaking change a few releases ahead in two ways:

- ``homeassistant.helpers.frame.report_usage`` logs "Detected that custom integration
  'sunshare' … This will stop working in Home Assistant X" (or "Detected code that …"
  for code outside any integration, such as a test), and only raises in some cases;
- Python ``DeprecationWarning``: ``pyproject.toml`` turns those attributed to our
  modules (``custom_components``, ``game_server``, ``tests``, ``scripts``) into errors.

This plugin watches the first: every report logged while a test runs (set-up and
teardown included) fails that test, so the next breaking change is seen on the
current lane a release before it breaks.
"""

from __future__ import annotations

from collections.abc import Iterator
import logging

import pytest

FRAME_LOGGER = "homeassistant.helpers.frame"
OUR_DOMAIN = "sunshare"


def is_report_about_us(record: logging.LogRecord) -> bool:
    """Return whether a log record is a Home Assistant usage report about our code."""
    if record.name != FRAME_LOGGER or record.levelno < logging.WARNING:
        return False
    message = record.getMessage()
    return (
        f"custom integration '{OUR_DOMAIN}'" in message
        # Code in no integration: the tests, or our code called from them.
        or message.startswith("Detected code that")
    )


class ReportCollector(logging.Handler):
    """Keep the usage reports about our code."""

    def __init__(self) -> None:
        """Collect from WARNING on."""
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep a matching record's message."""
        if is_report_about_us(record):
            self.reports.append(record.getMessage())


@pytest.fixture(autouse=True)
def deprecation_watch() -> Iterator[ReportCollector]:
    """Fail the test if Home Assistant reported a deprecated use by our code."""
    collector = ReportCollector()
    logger = logging.getLogger(FRAME_LOGGER)
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
    if collector.reports:
        pytest.fail(
            "Home Assistant reported a deprecated or wrong use:\n"
            + "\n".join(collector.reports),
            pytrace=False,
        )
