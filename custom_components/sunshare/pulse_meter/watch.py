"""Optional watch of a pulse meter: a repair issue when no pulse came for too long.

Off by default. With the ``no_pulse_hours`` option set, the time since the last pulse
(or since the entry was set up, as the time of the last pulse is not kept across
restarts) is checked every minute; past the option, a repair issue is raised, and the
next pulse deletes it. The option is read at each check, so changing it needs no reload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.gpio_entry import CONF_LINE

from .const import CONF_NO_PULSE_HOURS, ISSUE_NO_PULSE, NO_PULSE_CHECK_INTERVAL
from .meter import PulseMeter

SECONDS_PER_HOUR = 3600.0


def no_pulse_issue_id(entry_id: str) -> str:
    """Return the id of the no-pulse repair issue of an entry."""
    return f"{ISSUE_NO_PULSE}_{entry_id}"


def no_pulse_hours(options: dict[str, Any]) -> float:
    """Return the hours without a pulse before the issue (0: never)."""
    try:
        hours = float(options.get(CONF_NO_PULSE_HOURS) or 0)
    except (TypeError, ValueError):
        return 0.0
    return max(hours, 0.0)


class NoPulseWatch:
    """Raise and clear the no-pulse repair issue of one pulse meter entry."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], meter: PulseMeter
    ) -> None:
        """Watch ``meter`` under the options of ``entry`` (call ``start``)."""
        self.hass = hass
        self.entry = entry
        self.meter = meter
        self.raised = False
        self._started_at = 0.0
        self._raised_since = 0.0
        self._unsubscribe: list[CALLBACK_TYPE] = []

    def start(self) -> None:
        """Start checking the time since the last pulse."""
        self._started_at = dt_util.utcnow().timestamp()
        self._unsubscribe = [
            async_track_time_interval(
                self.hass,
                self._check,
                NO_PULSE_CHECK_INTERVAL,
                name=f"Pulse meter watch {self.entry.title}",
            ),
            self.meter.add_listener(self._meter_changed),
        ]

    @callback
    def stop(self) -> None:
        """Stop checking and drop the issue (unload or removal)."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self.raised = False
        ir.async_delete_issue(self.hass, DOMAIN, no_pulse_issue_id(self.entry.entry_id))

    @property
    def since(self) -> float:
        """Return when the last pulse came (or the watch started), in seconds."""
        last = self.meter.last_pulse_at
        return last if last is not None else self._started_at

    @callback
    def _check(self, now: datetime) -> None:
        """Raise the issue past the option's delay; clear it if the option is off.

        A delay made longer than the silence so far also clears it.
        """
        hours = no_pulse_hours(dict(self.entry.options))
        since = self.since
        overdue = bool(hours) and (
            dt_util.utcnow().timestamp() - since >= hours * SECONDS_PER_HOUR
        )
        if not overdue:
            self._clear()
        elif not self.raised:
            self.raised = True
            self._raised_since = since
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                no_pulse_issue_id(self.entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_NO_PULSE,
                translation_placeholders={
                    "title": self.entry.title,
                    "line": str(self.entry.data[CONF_LINE]),
                    "hours": f"{hours:g}",
                },
            )

    @callback
    def _meter_changed(self) -> None:
        """Clear the issue at the first pulse after it was raised."""
        if self.raised and self.since > self._raised_since:
            self._clear()

    def _clear(self) -> None:
        """Delete the issue if it is raised."""
        if self.raised:
            self.raised = False
            ir.async_delete_issue(
                self.hass, DOMAIN, no_pulse_issue_id(self.entry.entry_id)
            )
