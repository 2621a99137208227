"""Runtime of a Linky meter entry: the TIC reader, the latest value of every label.

The reader runs in the event loop; each decoded frame updates the table of labels (values
already known stay until replaced, so short frames hide nothing), announces labels seen for
the first time (their entities are then added) and notifies the entities, which apply the
write-rate policy.

A watchdog checks every few seconds how long ago the last frame came: after
``LINK_TIMEOUT`` the meter link sensor turns off, after ``NO_FRAME_ISSUE_AFTER`` a repair
issue says what to check; the next frame turns the sensor on and deletes the issue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from custom_components.sunshare.teleinfo.address import parse_address
from custom_components.sunshare.teleinfo.labels import label_info
from custom_components.sunshare.teleinfo.models import Frame, Mode
from custom_components.sunshare.teleinfo.transport import LinkProblem, TeleinfoReader

from .const import (
    CONF_INDEX_INTERVAL,
    CONF_MAX_INTERVAL,
    CONF_MODE,
    CONF_PORT,
    CONF_POWER_DEADBAND,
    CONF_POWER_INTERVAL,
    DEFAULT_INDEX_INTERVAL,
    DEFAULT_MAX_INTERVAL,
    DEFAULT_POWER_DEADBAND,
    DEFAULT_POWER_INTERVAL,
    LINK_CHECK_INTERVAL,
    LINK_TIMEOUT,
    MODE_AUTO,
    NO_FRAME_ISSUE_AFTER,
)
from .descriptions import describe
from .issues import async_clear_no_frame_issue, async_raise_no_frame_issue
from .policy import RatePolicy

QUALITY_ALPHA = 1 / 16
"""Weight of the latest frame in the link quality average."""
UNKNOWN_LABEL_FRAMES = 3
"""Frames a label missing from the catalogue must come in before it gets an entity."""


@dataclass(frozen=True, slots=True)
class LabelValue:
    """The latest data and timestamp received for one label."""

    value: str
    timestamp: datetime | None


def rate_policy(options: dict[str, Any]) -> RatePolicy:
    """Return the write-rate policy of an entry's options."""
    return RatePolicy(
        power_interval=float(options.get(CONF_POWER_INTERVAL, DEFAULT_POWER_INTERVAL)),
        power_deadband=float(options.get(CONF_POWER_DEADBAND, DEFAULT_POWER_DEADBAND)),
        index_interval=float(options.get(CONF_INDEX_INTERVAL, DEFAULT_INDEX_INTERVAL)),
        max_interval=float(options.get(CONF_MAX_INTERVAL, DEFAULT_MAX_INTERVAL)),
    )


def entry_mode(data: dict[str, Any]) -> Mode | None:
    """Return the fixed mode of an entry, or None to detect it."""
    mode = data.get(CONF_MODE, MODE_AUTO)
    return None if mode == MODE_AUTO else Mode(mode)


def is_short_frame(labels: set[str] | dict[str, Any]) -> bool:
    """Return whether a frame is a three-phase short frame (it carries ADIR1-3)."""
    return any(label.startswith("ADIR") for label in labels)


class LinkyRuntime:
    """The state of one Linky meter, fed by its TIC reader."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], address: str
    ) -> None:
        """Prepare the runtime of an entry (call ``start`` to read)."""
        self.hass = hass
        self.entry = entry
        self.address = address
        self.policy = rate_policy(dict(entry.options))
        self.values: dict[str, LabelValue] = {}
        self.known_labels: set[str] = set()
        """Labels received, or shown by entities registered before a restart."""
        self.mode: Mode | None = None
        self.frames = 0
        self.short_frames = 0
        self.link_quality = 100.0
        self.last_frame_at: datetime | None = None
        self.last_problem: LinkProblem | None = None
        self.link_up = False
        """Whether frames arrive (the meter link sensor; off after ``LINK_TIMEOUT``)."""
        self.no_frame_issue = False
        """Whether the repair issue about missing frames is raised."""
        self._started_at: datetime | None = None
        self._stop_watchdog: CALLBACK_TYPE | None = None
        self._listeners: set[CALLBACK_TYPE] = set()
        self._link_listeners: set[CALLBACK_TYPE] = set()
        self._label_listeners: set[Callable[[set[str]], None]] = set()
        self._unknown_seen: Counter[str] = Counter()
        self.reader = TeleinfoReader(
            entry.data[CONF_PORT],
            entry_mode(dict(entry.data)),
            on_frame=self._on_frame,
            on_link_lost=self._on_link_lost,
            on_link_restored=self._on_link_restored,
        )

    @property
    def connected(self) -> bool:
        """Return whether frames currently arrive."""
        return self.reader.connected

    def start(self) -> None:
        """Start reading the line and watching for missing frames."""
        self._started_at = dt_util.utcnow()
        if self._stop_watchdog is None:
            self._stop_watchdog = async_track_time_interval(
                self.hass,
                self._check_link,
                LINK_CHECK_INTERVAL,
                name=f"Linky link watchdog {self.entry.title}",
            )
        self.reader.start()

    async def stop(self) -> None:
        """Stop watching, stop reading and close the line."""
        if self._stop_watchdog is not None:
            self._stop_watchdog()
            self._stop_watchdog = None
        await self.reader.stop()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` after each frame and link change; return the remover."""
        self._listeners.add(listener)
        return lambda: self._listeners.discard(listener)

    @callback
    def async_add_link_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when the watchdog turns the link off; return the remover.

        Only the entities showing the link follow it: notifying every entity would
        let the write-rate gates flush held values when frames stop.
        """
        self._link_listeners.add(listener)
        return lambda: self._link_listeners.discard(listener)

    @callback
    def async_add_label_listener(
        self, listener: Callable[[set[str]], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with the labels seen for the first time; return the remover."""
        self._label_listeners.add(listener)
        return lambda: self._label_listeners.discard(listener)

    def counters(self) -> dict[str, int]:
        """Return the decoder's error counters."""
        return self.reader.receiver.counters.as_dict()

    @callback
    def _on_frame(self, frame: Frame) -> None:
        """Store a frame's groups, announce new labels and notify the entities."""
        self.frames += 1
        self.mode = frame.mode
        self.last_frame_at = dt_util.utcnow()
        self.last_problem = None
        self.link_up = True
        if self.no_frame_issue:
            self.no_frame_issue = False
            async_clear_no_frame_issue(self.hass, self.entry.entry_id)
        groups = frame.groups
        short = frame.short or is_short_frame(groups)
        if short:
            self.short_frames += 1
        new = {
            label
            for label in groups
            if label not in self.known_labels and self._confirmed(label)
        }
        self.known_labels |= new
        for label, group in groups.items():
            self.values[label] = LabelValue(group.value, group.timestamp)
        if not short:
            # Event labels (ADPS, PEJP) absent from a long frame are over; ADIR1-3
            # only come in short frames, so a long frame ends them too.
            for label in [
                label
                for label in self.values
                if label not in groups and describe(label).transient
            ]:
                self.values[label] = LabelValue("0", None)
        self._update_quality(frame)
        if new:
            for label_listener in list(self._label_listeners):
                label_listener(new)
        self._notify()

    def _confirmed(self, label: str) -> bool:
        """Return whether a new label may get an entity.

        A label of the catalogue is accepted at once. An unknown one must come in
        ``UNKNOWN_LABEL_FRAMES`` frames first: a corrupted group passes its checksum
        once in 64 times, and must not leave a stray entity behind.
        """
        if label_info(label) is not None:
            return True
        self._unknown_seen[label] += 1
        return self._unknown_seen[label] >= UNKNOWN_LABEL_FRAMES

    def _update_quality(self, frame: Frame) -> None:
        """Average the share of valid groups in the frames received."""
        valid = len(frame.groups)
        sample = 100.0 * valid / (valid + frame.errors) if valid else 0.0
        self.link_quality += QUALITY_ALPHA * (sample - self.link_quality)

    @callback
    def _on_link_lost(self, problem: LinkProblem) -> None:
        """Forget the values (they may be stale) and make the entities unavailable."""
        self.last_problem = problem
        self.link_up = False
        self.values.clear()
        self._notify()

    @callback
    def _check_link(self, now: datetime) -> None:
        """Turn the link sensor off and raise the repair issue when frames stop."""
        since = self.last_frame_at or self._started_at
        if since is None:
            return
        silence = dt_util.utcnow() - since
        if self.link_up and silence > LINK_TIMEOUT:
            self.link_up = False
            for listener in list(self._link_listeners):
                listener()
        if not self.no_frame_issue and silence >= NO_FRAME_ISSUE_AFTER:
            self.no_frame_issue = True
            async_raise_no_frame_issue(
                self.hass, self.entry.entry_id, self.entry.title, self.reader.url
            )

    @callback
    def _on_link_restored(self) -> None:
        """Do nothing: the frame that restored the link notifies the entities."""

    def _notify(self) -> None:
        """Call every entity listener."""
        for listener in list(self._listeners):
            listener()


type LinkyConfigEntry = ConfigEntry[LinkyRuntime]


def device_model(address: str) -> tuple[str | None, str]:
    """Return the manufacturer and model of a meter from its address (ADCO/ADSC)."""
    if (decoded := parse_address(address)) is None:
        return None, "Linky"
    return decoded.manufacturer, decoded.display_model
