"""The load shedder: drives the relay, times shedding events and records them.

One :class:`LoadShedder` per relay entry. It owns the GPIO output line (active = loads
cut), persists the shedding in progress in a :class:`~homeassistant.helpers.storage.Store`
so that its planned end holds across a Home Assistant restart, measures the power drop
from an optional power entity and fires ``sunshare_shedding_ended`` for each event.

The end of a shedding event does not depend on the rest of the logic: besides the timer
of its planned end, every event has a hard deadline at its ``max_end`` (start plus the
maximum shedding time) plus :data:`DEADLINE_MARGIN`, a timer that drives the line
inactive (loads powered) whatever happened to the planned end or to the records; only
the normal end of the event cancels it. The line is in its safe state (inactive) when
the shedder starts with nothing to resume, and is released (inactive) when it stops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypedDict
import uuid

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfApparentPower,
    UnitOfPower,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import PowerConverter

from custom_components.sunshare.const import DOMAIN, LOGGER
from custom_components.sunshare.gpio import GpioError, OutputLine

from .const import EVENT_SHEDDING_ENDED, MEASURE_WINDOW_S, STORE_VERSION, EndReason
from .power import PowerSeries


@dataclass(frozen=True, kw_only=True, slots=True)
class SheddingSettings:
    """What a relay entry is configured with (entry data and options)."""

    entry_id: str
    load: str
    """What the relay cuts (e.g. "Water heater")."""
    declared_w: float
    max_duration: timedelta
    power_entity: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ActiveShedding:
    """A shedding event in progress (persisted)."""

    id: str
    start: datetime
    planned_end: datetime
    max_end: datetime
    """Start plus the maximum shedding time: no request can go beyond it."""
    declared_w: float
    power_before_w: float | None = None
    measured_w: float | None = None
    measured: bool = False
    """Whether the power drop measurement is complete."""
    paused_s: float = 0.0
    """Time the relay was released while Home Assistant was stopped."""
    interrupted_at: datetime | None = None
    """When Home Assistant stopped during this event (relay released meanwhile)."""

    def as_store(self) -> dict[str, Any]:
        """Return the JSON form stored on disk."""
        data = asdict(self)
        for key in ("start", "planned_end", "max_end", "interrupted_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> ActiveShedding:
        """Rebuild an event from its stored form."""
        values = dict(data)
        for key in ("start", "planned_end", "max_end", "interrupted_at"):
            if values.get(key) is not None:
                parsed = dt_util.parse_datetime(values[key])
                if parsed is None:
                    raise ValueError(f"bad {key}: {values[key]!r}")
                values[key] = parsed
        return cls(**values)


class SheddingEventData(TypedDict):
    """Payload of ``sunshare_shedding_ended`` (also the last event sensor's attributes)."""

    id: str
    entry_id: str
    load: str
    start: str
    end: str
    duration_s: float
    declared_w: float
    measured_w: float | None
    energy_wh: float
    reason: str


_APPARENT_POWER_FACTOR = {
    UnitOfApparentPower.VOLT_AMPERE: 1.0,
    "kVA": 1000.0,
}


def power_watts(state: State | None) -> float | None:
    """Return a power entity's state in W, None if unknown or not a power."""
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) or UnitOfPower.WATT
    # The Linky meter reports apparent power: taken as W (heating loads are resistive).
    if unit in _APPARENT_POWER_FACTOR:
        return value * _APPARENT_POWER_FACTOR[unit]
    if unit not in PowerConverter.VALID_UNITS:
        return None
    return PowerConverter.convert(value, unit, UnitOfPower.WATT)


DEADLINE_MARGIN = timedelta(seconds=1)
"""How long after its ``max_end`` a shedding event is ended whatever happens."""


class LoadShedder:
    """Drive a load-shedding relay and keep the record of its shedding events."""

    def __init__(
        self,
        hass: HomeAssistant,
        settings: SheddingSettings,
        store: Store[dict[str, Any]],
    ) -> None:
        """Create the shedder; call :meth:`async_load` then :meth:`async_start`."""
        self.hass = hass
        self.settings = settings
        self._store = store
        self._line: OutputLine | None = None
        self.active: ActiveShedding | None = None
        self.total_energy_wh = 0.0
        self.last_event: SheddingEventData | None = None
        self.power = PowerSeries(retention=MEASURE_WINDOW_S * 5)
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsub_end: CALLBACK_TYPE | None = None
        self._unsub_measure: CALLBACK_TYPE | None = None
        self._unsub_power: CALLBACK_TYPE | None = None
        self._unsub_deadline: CALLBACK_TYPE | None = None
        self._shut_down = False

    # --- persistence -----------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the shedding in progress, the energy total and the last event."""
        data = await self._store.async_load() or {}
        self.total_energy_wh = float(data.get("total_energy_wh", 0.0))
        self.last_event = data.get("last_event")
        if (active := data.get("active")) is not None:
            try:
                restored = ActiveShedding.from_store(active)
            except (TypeError, ValueError) as err:
                # A corrupt record must not keep the loads cut: drop it.
                LOGGER.warning("Ignoring a corrupt shedding record: %s", err)
                return
            # The maximum shedding time may have been lowered meanwhile: obey it, and
            # never plan an end past the event's maximum end (whatever was stored).
            max_end = min(restored.max_end, restored.start + self.settings.max_duration)
            self.active = replace(
                restored,
                planned_end=min(restored.planned_end, max_end),
                max_end=max_end,
            )

    async def _async_save(self) -> None:
        """Write the current state to the store."""
        await self._store.async_save(
            {
                "active": self.active.as_store() if self.active else None,
                "total_energy_wh": self.total_energy_wh,
                "last_event": self.last_event,
            }
        )

    # --- life cycle ------------------------------------------------------------------

    def should_start_active(self, now: datetime) -> bool:
        """Return whether the restored shedding is still to continue at ``now``."""
        return self.active is not None and self.active.planned_end > now

    async def async_start(
        self, line: OutputLine, *, shed_on_start: bool = False
    ) -> None:
        """Take the line (requested in the restored state) and resume or end events.

        Unless a shedding event resumes or starts, the line is driven inactive (loads
        powered) before anything else: it may have been requested active for an event
        whose end has passed since.
        """
        self._line = line
        now = dt_util.utcnow()
        active = self.active
        if active is not None and active.planned_end > now:
            paused = 0.0
            if active.interrupted_at is not None:
                paused = max((now - active.interrupted_at).total_seconds(), 0.0)
            self.active = replace(
                active,
                paused_s=active.paused_s + paused,
                interrupted_at=None,
            )
            self._drive(True)
            self._arm()
        elif active is not None or not shed_on_start:
            self._drive(False)
        # Else a shedding starts now: the line was requested active (no glitch).
        if self.settings.power_entity:
            self._track_power(now)
        if active is None:
            if shed_on_start:
                await self.async_shed(None)
        elif active.planned_end <= now:
            # Home Assistant was stopped past the planned end: the relay was released
            # when it stopped, so the event ended then at the latest.
            end = min(active.planned_end, active.interrupted_at or now)
            await self._async_finish(end, self._end_reason(active), line_done=True)
        else:
            await self._async_save()

    @callback
    def abort_start(self) -> None:
        """Give the line back after a failed start: timers cancelled, loads powered."""
        self._cancel_timers()
        self._cancel_deadline()
        if self._unsub_power is not None:
            self._unsub_power()
            self._unsub_power = None
        self._release()

    async def async_stop_for_shutdown(self) -> None:
        """Release the relay when Home Assistant stops, keeping the event to resume."""
        self._shut_down = True
        self._cancel_timers()
        # The loads are powered first; saving the open event comes after.
        self._release()
        self._cancel_deadline()
        if self.active is not None:
            self.active = replace(self.active, interrupted_at=dt_util.utcnow())
            await self._async_save()

    async def async_unload(self) -> None:
        """End any shedding (loads powered), then release the line."""
        self._cancel_timers()
        if self._unsub_power is not None:
            self._unsub_power()
            self._unsub_power = None
        try:
            # After a shutdown the event stays open, to be resumed or ended on start.
            if self.active is not None and not self._shut_down:
                await self._async_finish(dt_util.utcnow(), EndReason.UNLOAD)
        finally:
            self._release()
            self._cancel_deadline()

    # --- commands --------------------------------------------------------------------

    async def async_shed(self, duration: timedelta | None) -> None:
        """Cut the loads for ``duration`` (or the maximum time), bounded by the maximum.

        During a shedding event, a new request moves its planned end, still no later
        than the event's start plus the maximum shedding time.
        """
        now = dt_util.utcnow()
        wanted = now + (duration or self.settings.max_duration)
        if (active := self.active) is not None:
            self.active = replace(active, planned_end=min(wanted, active.max_end))
        else:
            max_end = now + self.settings.max_duration
            self.active = ActiveShedding(
                id=str(uuid.uuid4()),
                start=now,
                planned_end=min(wanted, max_end),
                max_end=max_end,
                declared_w=self.settings.declared_w,
                power_before_w=self._window_mean(now - _WINDOW, now),
            )
            self._drive(True)
        self._arm()
        await self._async_save()
        self._notify()

    async def async_stop(self) -> None:
        """End the shedding in progress at once (loads powered)."""
        if self.active is None:
            return
        self._cancel_timers()
        await self._async_finish(dt_util.utcnow(), EndReason.REQUESTED)

    # --- timers ----------------------------------------------------------------------

    def _arm(self) -> None:
        """Schedule the automatic end and the power measurement of the active event.

        The hard deadline is (re)armed too: it is at the event's ``max_end``, which no
        request moves.
        """
        self._cancel_timers()
        active = self.active
        if active is None:  # pragma: no cover - callers check
            return
        self._arm_deadline(active)
        self._unsub_end = async_track_point_in_utc_time(
            self.hass, self._async_auto_end, active.planned_end
        )
        measure_at = active.start + _WINDOW
        if not active.measured and measure_at < active.planned_end:
            self._unsub_measure = async_track_point_in_utc_time(
                self.hass, self._async_measure, measure_at
            )

    def _cancel_timers(self) -> None:
        """Cancel the scheduled end and measurement."""
        if self._unsub_end is not None:
            self._unsub_end()
            self._unsub_end = None
        if self._unsub_measure is not None:
            self._unsub_measure()
            self._unsub_measure = None

    def _arm_deadline(self, active: ActiveShedding) -> None:
        """Schedule the hard deadline of the active event."""
        self._cancel_deadline()
        self._unsub_deadline = async_track_point_in_utc_time(
            self.hass, self._hard_stop, active.max_end + DEADLINE_MARGIN
        )

    def _cancel_deadline(self) -> None:
        """Cancel the hard deadline (the event ended normally)."""
        if self._unsub_deadline is not None:
            self._unsub_deadline()
            self._unsub_deadline = None

    @callback
    def _hard_stop(self, now: datetime) -> None:
        """Power the loads at the maximum end, whatever the planned end timer did.

        The line is driven inactive first, synchronously; the event is then recorded
        as ended by its maximum duration.
        """
        self._unsub_deadline = None
        self._drive(False)
        self._cancel_timers()
        if self.active is None:
            return
        LOGGER.warning(
            "Load shedding of %s ended by its hard deadline (maximum shedding time)",
            self.settings.load,
        )
        self.hass.async_create_task(
            self._async_finish(now, EndReason.MAX_DURATION, line_done=True),
            f"{DOMAIN} relay hard deadline",
        )

    @staticmethod
    def _end_reason(active: ActiveShedding) -> EndReason:
        """Return why an event reaching its planned end ends."""
        if active.planned_end >= active.max_end:
            return EndReason.MAX_DURATION
        return EndReason.DURATION

    async def _async_auto_end(self, now: datetime) -> None:
        """End the active event at its planned end."""
        self._unsub_end = None
        if (active := self.active) is None:  # pragma: no cover - timer cancelled
            return
        if self._unsub_measure is not None:
            self._unsub_measure()
            self._unsub_measure = None
        await self._async_finish(active.planned_end, self._end_reason(active))

    async def _async_measure(self, now: datetime) -> None:
        """Complete the power drop measurement one window after the start."""
        self._unsub_measure = None
        if (active := self.active) is None:  # pragma: no cover - timer cancelled
            return
        self.active = self._measured(active, active.start + _WINDOW)
        await self._async_save()
        self._notify()

    def _measured(self, active: ActiveShedding, until: datetime) -> ActiveShedding:
        """Return the event with the power drop measured up to ``until``."""
        if active.measured:
            return active
        after = self._window_mean(active.start, until)
        measured = None
        if active.power_before_w is not None and after is not None:
            measured = round(active.power_before_w - after, 1)
        return replace(active, measured_w=measured, measured=True)

    # --- ending ----------------------------------------------------------------------

    async def _async_finish(
        self, end: datetime, reason: EndReason, *, line_done: bool = False
    ) -> None:
        """Restore the loads, record the ended event and announce it."""
        active = self.active
        if active is None:  # pragma: no cover - callers check
            return
        if not line_done:
            self._drive(False)
        self._cancel_deadline()
        active = self._measured(active, min(end, active.start + _WINDOW))
        end = max(end, active.start)
        duration_s = max((end - active.start).total_seconds() - active.paused_s, 0.0)
        power_w = (
            active.measured_w if active.measured_w is not None else active.declared_w
        )
        energy_wh = round(max(power_w, 0.0) * duration_s / 3600, 3)
        event: SheddingEventData = {
            "id": active.id,
            "entry_id": self.settings.entry_id,
            "load": self.settings.load,
            "start": active.start.isoformat(),
            "end": end.isoformat(),
            "duration_s": round(duration_s, 3),
            "declared_w": active.declared_w,
            "measured_w": active.measured_w,
            "energy_wh": energy_wh,
            "reason": reason.value,
        }
        self.active = None
        self.total_energy_wh = round(self.total_energy_wh + energy_wh, 3)
        self.last_event = event
        await self._async_save()
        LOGGER.debug("Shedding event ended: %s", event)
        self.hass.bus.async_fire(EVENT_SHEDDING_ENDED, dict(event))
        self._notify()

    # --- line ------------------------------------------------------------------------

    def _drive(self, active: bool) -> None:
        """Drive the relay (active: loads cut); log a failure once."""
        if self._line is None:
            return
        try:
            self._line.set_active(active)
        except GpioError as err:
            LOGGER.error("Cannot drive the load-shedding relay: %s", err)

    def _release(self) -> None:
        """Release the line; it is left inactive, so the loads are powered."""
        if self._line is not None:
            try:
                self._line.release()
            except GpioError as err:
                LOGGER.error("Cannot release the load-shedding relay: %s", err)
            self._line = None

    @property
    def line_active(self) -> bool | None:
        """Return whether the relay line is driven active, None once released."""
        return None if self._line is None else self._line.is_active

    # --- power source ----------------------------------------------------------------

    def _track_power(self, now: datetime) -> None:
        """Sample the power entity's state changes from now on."""
        if (entity_id := self.settings.power_entity) is None:  # pragma: no cover
            return
        self.power.add(now.timestamp(), power_watts(self.hass.states.get(entity_id)))

        @callback
        def on_change(event: Event[EventStateChangedData]) -> None:
            """Record a new value of the power entity."""
            new_state = event.data["new_state"]
            at = (
                new_state.last_updated_timestamp
                if new_state is not None
                else dt_util.utcnow().timestamp()
            )
            self.power.add(at, power_watts(new_state))

        self._unsub_power = async_track_state_change_event(
            self.hass, [entity_id], on_change
        )

    def _window_mean(self, start: datetime, end: datetime) -> float | None:
        """Return the mean power over a window, None without a power entity or data."""
        if not self.settings.power_entity:
            return None
        mean = self.power.mean(start.timestamp(), end.timestamp())
        return None if mean is None else round(mean, 1)

    # --- entities --------------------------------------------------------------------

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` on every change; return the function removing it."""
        self._listeners.append(update)

        @callback
        def remove() -> None:
            """Stop calling ``update``."""
            self._listeners.remove(update)

        return remove

    def _notify(self) -> None:
        """Tell the entities that the state changed."""
        for update in list(self._listeners):
            update()

    def diagnostics(self) -> dict[str, Any]:
        """Return the shedder's state for diagnostics."""
        return {
            "settings": {
                **asdict(self.settings),
                "max_duration": self.settings.max_duration.total_seconds(),
            },
            "line_active": self.line_active,
            "active": self.active.as_store() if self.active else None,
            "total_energy_wh": self.total_energy_wh,
            "last_event": self.last_event,
            "power_samples": len(self.power.times),
        }


_WINDOW = timedelta(seconds=MEASURE_WINDOW_S)


def shedding_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of a relay entry's shedding state."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.relay.{entry_id}")
