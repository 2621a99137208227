"""Send the household's days, shedding events and declared actions to the game server.

Every upload goes through a persistent outbox (``homeassistant.helpers.storage.Store``):
it is saved before the first attempt, retried with exponential backoff while the server is
unreachable and forgotten only once delivered (or refused for good, which is logged once
and kept in the diagnostics). Pending uploads therefore survive a restart.

Days: each night after local midnight the previous complete day is read from the
recorder's statistics and queued; the days before it, back to the season's reference
window, are read again and queued only if they changed since they were last delivered
(late statistics such as Enedis imports) or were never delivered (downtime). Each day is
keyed by its date, so a newer version replaces a pending older one. Pending days go in
batches of ``BATCH_DAYS`` by ``PUT /readings`` (one request, one transaction on the
server, a result per day); a server older than that route gets them one by one.

A weather entity's daily mean temperature comes from the state history, which the
recorder purges after ``purge_keep_days``: the first mean computed for a day is kept
(and saved) and used for that day from then on, so a purged or half-purged history
neither erases nor changes a temperature already sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
import hashlib
import json
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_change,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from custom_components.sunshare.const import DOMAIN, LOGGER
from custom_components.sunshare.game import (
    DailyReading,
    GameAuthError,
    GameClient,
    GameConnectionError,
    GameError,
    GameRateLimitedError,
    ShedEvent,
    game_today,
)
from custom_components.sunshare.game.outbox import Outbox, OutboxItem
from custom_components.sunshare.relay.const import EVENT_SHEDDING_ENDED

from .const import (
    CONF_BATTERY_CHARGE,
    CONF_BATTERY_DISCHARGE,
    CONF_ENERGY_SOURCE,
    CONF_GRID_EXPORT,
    CONF_GRID_IMPORT,
    CONF_SOLAR,
    CONF_TEMPERATURE,
    DEFAULT_CATCH_UP_DAYS,
    STORE_VERSION,
    UPLOAD_DELAY,
    EnergySource,
)
from .energy import (
    EnergySources,
    async_daily_readings,
    async_sources_from_energy_dashboard,
)

if TYPE_CHECKING:
    from .runtime import GameConfigEntry

KIND_READING = "reading"
KIND_SHEDDING = "shedding_event"
KIND_ACTION = "action"
MAX_REJECTED = 20
"""Uploads refused by the server kept for the diagnostics."""
BATCH_DAYS = 100
"""Days sent per request (a catch-up of a season's reference window: a few requests)."""


def payload_hash(payload: dict[str, Any]) -> str:
    """Return a short fingerprint of a payload (to notice a changed day)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def oldest_day(me: dict[str, Any] | None, today: date) -> date:
    """Return the oldest day worth sending (the season's reference window start)."""
    default = today - timedelta(days=DEFAULT_CATCH_UP_DAYS)
    season = (me or {}).get("season")
    if not isinstance(season, dict):
        return default
    try:
        start = date.fromisoformat(str(season["start"]))
        window = int(season.get("reference_window_days", DEFAULT_CATCH_UP_DAYS))
    except (KeyError, TypeError, ValueError):
        return default
    return max(start - timedelta(days=window), today - timedelta(days=400))


async def async_energy_sources(
    hass: HomeAssistant, options: dict[str, Any]
) -> EnergySources:
    """Return the energy sources chosen in the options (Energy dashboard by default)."""
    temperature = options.get(CONF_TEMPERATURE) or None
    if options.get(CONF_ENERGY_SOURCE) == EnergySource.MANUAL:
        return EnergySources(
            grid_import=tuple(options.get(CONF_GRID_IMPORT) or ()),
            grid_export=tuple(options.get(CONF_GRID_EXPORT) or ()),
            solar=tuple(options.get(CONF_SOLAR) or ()),
            battery_charge=tuple(options.get(CONF_BATTERY_CHARGE) or ()),
            battery_discharge=tuple(options.get(CONF_BATTERY_DISCHARGE) or ()),
            temperature=temperature,
        )
    sources = await async_sources_from_energy_dashboard(hass)
    return EnergySources(
        grid_import=sources.grid_import,
        grid_export=sources.grid_export,
        solar=sources.solar,
        battery_charge=sources.battery_charge,
        battery_discharge=sources.battery_discharge,
        temperature=temperature,
    )


class Uploader:
    """The game link's persistent outbox and the jobs that fill and empty it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GameConfigEntry,
        client: GameClient,
        me: Callable[[], dict[str, Any] | None],
    ) -> None:
        """Upload for ``entry`` through ``client``; ``me`` returns the last ``/me``."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._me = me
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.game.{entry.entry_id}"
        )
        self.outbox = Outbox()
        self.sent: dict[str, str] = {}
        """Fingerprint of the last version of each day delivered or refused for good."""
        self.rejected: list[dict[str, Any]] = []
        self.weather_means: dict[str, float] = {}
        """First daily mean of the weather entity ``weather_entity`` by ISO day."""
        self.weather_entity: str | None = None
        self.last_error: str | None = None
        self.last_day: DailyReading | None = None
        """The newest complete day read from the recorder."""
        self._listeners: list[Callable[[], None]] = []
        self.last_delivery: datetime | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._retry: CALLBACK_TYPE | None = None
        self._flushing = False
        self._auth_failed = False

    # --- lifecycle -------------------------------------------------------------------
    async def async_load(self) -> None:
        """Restore the pending uploads and the delivered days saved before."""
        data = await self._store.async_load() or {}
        self.outbox = Outbox(data.get("outbox"))
        self.outbox.retry_now()
        self.sent = dict(data.get("sent", {}))
        self.rejected = list(data.get("rejected", []))
        weather = data.get("weather") or {}
        self.weather_entity = weather.get("entity")
        self.weather_means = dict(weather.get("means", {}))

    @callback
    def async_start(self) -> None:
        """Listen to shedding events, plan the nightly upload and send what is due."""
        self._unsubs.append(
            self.hass.bus.async_listen(EVENT_SHEDDING_ENDED, self._on_shedding_ended)
        )
        self._unsubs.append(
            async_track_time_change(
                self.hass,
                self._nightly,
                hour=0,
                minute=int(UPLOAD_DELAY.total_seconds() // 60),
                second=0,
            )
        )
        self.entry.async_create_background_task(
            self.hass, self.async_queue_days(), f"{DOMAIN} game catch-up"
        )

    @callback
    def async_stop(self) -> None:
        """Stop listening and cancel the planned retry (the outbox stays saved)."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self._cancel_retry()

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after every change of the outbox; return the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def _async_save(self) -> None:
        """Save the outbox, the delivered days and the refused uploads; notify."""
        for listener in list(self._listeners):
            listener()
        await self._store.async_save(
            {
                "outbox": self.outbox.as_data(),
                "sent": self.sent,
                "rejected": self.rejected[-MAX_REJECTED:],
                "weather": {
                    "entity": self.weather_entity,
                    "means": self.weather_means,
                },
            }
        )

    # --- filling the outbox ----------------------------------------------------------
    async def _nightly(self, now: datetime) -> None:
        """Queue the day that just ended (and changed or missed days), then send."""
        await self.async_queue_days()

    async def async_queue_days(self) -> int:
        """Queue every complete day not yet delivered or changed since; return how many."""
        today = game_today(dt_util.utcnow())
        first = oldest_day(self._me(), today)
        sent = dict(self.sent)
        for key in list(sent):
            if date.fromisoformat(key) < first:
                del self.sent[key]
        sources = await async_energy_sources(self.hass, dict(self.entry.options))
        queued = 0
        last = today - timedelta(days=1)
        readings = self._steady_weather_means(
            sources, await async_daily_readings(self.hass, sources, first, last), first
        )
        if readings:
            self.last_day = readings[-1]
        for reading in readings:
            body = reading.as_json()
            day = reading.day.isoformat()
            if sent.get(day) != payload_hash(body):
                self.outbox.put(
                    KIND_READING, f"{KIND_READING}:{day}", {"day": day, "body": body}
                )
                queued += 1
        if queued:
            LOGGER.debug("Game link: %d day(s) to send", queued)
        await self._async_save()
        await self.async_flush()
        return queued

    def _steady_weather_means(
        self, sources: EnergySources, readings: list[DailyReading], first: date
    ) -> list[DailyReading]:
        """Give each day the first weather mean computed for it (history is purged)."""
        if not sources.temperature_is_weather:
            self.weather_entity, self.weather_means = None, {}
            return readings
        if self.weather_entity != sources.temperature:
            self.weather_entity, self.weather_means = sources.temperature, {}
        for key in [k for k in self.weather_means if date.fromisoformat(k) < first]:
            del self.weather_means[key]
        steady: list[DailyReading] = []
        for reading in readings:
            day = reading.day.isoformat()
            if (kept := self.weather_means.get(day)) is not None:
                reading = replace(reading, t_mean_c=kept)
            elif reading.t_mean_c is not None:
                self.weather_means[day] = reading.t_mean_c
            steady.append(reading)
        return steady

    async def _on_shedding_ended(self, event: Event[Any]) -> None:
        """Queue a shedding event the relay reported."""
        data = event.data
        try:
            shed = ShedEvent(
                id=str(data["id"]),
                start=_parse(data["start"]),
                end=_parse(data["end"]),
                declared_w=float(data["declared_w"]),
                measured_w=(
                    None
                    if data.get("measured_w") is None
                    else float(data["measured_w"])
                ),
            )
        except (KeyError, TypeError, ValueError) as err:
            LOGGER.warning("Game link: ignored a malformed shedding event: %s", err)
            return
        self.outbox.put(KIND_SHEDDING, f"{KIND_SHEDDING}:{shed.id}", shed.as_json())
        await self._async_save()
        await self.async_flush()

    async def async_declare_action(
        self, action_id: str, day: date, evidence: str | None
    ) -> bool:
        """Send a declared action now, or queue it if the server is unreachable.

        Return True if delivered, False if queued; a refusal raises ``GameError``.
        """
        payload = {
            "action_id": action_id,
            "date": day.isoformat(),
            "evidence": evidence,
        }
        try:
            await self.client.post_action(action_id, day, evidence)
        except GameConnectionError:
            self.outbox.put(KIND_ACTION, f"{KIND_ACTION}:{action_id}:{day}", payload)
            await self._async_save()
            self._schedule_retry()
            return False
        self.last_delivery = dt_util.utcnow()
        return True

    # --- emptying the outbox ---------------------------------------------------------
    async def async_flush(self) -> None:
        """Send every due upload; plan the next try of those that failed."""
        if self._flushing or self._auth_failed:
            return
        self._flushing = True
        self._cancel_retry()
        try:
            due = self.outbox.due(dt_util.utcnow().timestamp())
            days = [item for item in due if item.kind == KIND_READING]
            for at in range(0, len(days), BATCH_DAYS):
                if not await self._send_days(days[at : at + BATCH_DAYS]):
                    break
            else:
                for item in due:
                    if item.kind != KIND_READING and not await self._send(item):
                        break
        finally:
            self._flushing = False
            await self._async_save()
            self._schedule_retry()

    async def _send_days(self, items: list[OutboxItem]) -> bool:
        """Send pending days in one batch; return False when the server cannot now."""
        days: list[DailyReading] = []
        batch: list[OutboxItem] = []
        for item in items:
            try:
                day = date.fromisoformat(item.payload["day"])
                days.append(DailyReading.from_json(day, item.payload["body"]))
            except (KeyError, TypeError, ValueError) as err:
                self._refused(item, "invalid_data", str(err))
                continue
            batch.append(item)
        if not batch:
            return True
        try:
            results = await self.client.put_readings(days, batch_days=len(days))
        except GameAuthError as err:
            self._auth_error(err)
            return False
        except GameConnectionError as err:
            self._unreachable(batch, err)
            return False
        except GameError as err:
            # The batch as a whole was refused: let each day get its own answer.
            LOGGER.warning(
                "Game link: a batch of days was refused (%s); sending them one by one",
                err,
            )
            for item in batch:
                if not await self._send(item):
                    return False
            return True
        self._delivered()
        for item, result in zip(batch, results, strict=True):
            if result.refused:
                self._refused(item, result.code or "invalid_data", result.message or "")
            else:
                self._settled(item)
        return True

    async def _send(self, item: OutboxItem) -> bool:
        """Send one upload; return False when the server cannot take more now."""
        try:
            await self._deliver(item)
        except GameAuthError as err:
            self._auth_error(err)
            return False
        except GameConnectionError as err:
            self._unreachable([item], err)
            return False
        except GameError as err:
            self._refused(item, err.code, str(err))
            return True
        self._delivered()
        self._settled(item)
        return True

    def _auth_error(self, err: GameAuthError) -> None:
        """Stop sending and ask the user to sign in again (the token was revoked)."""
        self.last_error = str(err)
        self._auth_failed = True
        self.entry.async_start_reauth(self.hass)

    def _unreachable(self, items: list[OutboxItem], err: GameConnectionError) -> None:
        """Plan the next try of uploads the server could not take (and of all due)."""
        now = dt_util.utcnow().timestamp()
        retry = err.retry_after if isinstance(err, GameRateLimitedError) else None
        delay = 0.0
        for item in items:
            delay = self.outbox.failed(item.key, now, str(err), retry)
        if self.last_error is None:
            LOGGER.warning(
                "Game link: the server is unreachable (%s); retrying in %d s",
                err,
                delay,
            )
        self.last_error = str(err)
        # Every other item would fail the same way: try them all at that time.
        failed = {item.key for item in items}
        for other in self.outbox.due(now):
            if other.key not in failed:
                other.next_try = items[0].next_try

    def _delivered(self) -> None:
        """Note that the server took an upload."""
        if self.last_error is not None:
            LOGGER.info("Game link: the server is reachable again")
        self.last_error = None
        self.last_delivery = dt_util.utcnow()

    def _refused(self, item: OutboxItem, code: str, message: str) -> None:
        """Log and keep for the diagnostics an upload refused for good; forget it."""
        LOGGER.error(
            "Game link: the server refused %s (%s): %s", item.key, code, message
        )
        self.rejected.append({"key": item.key, "code": code, "message": message})
        self._settled(item)

    def _settled(self, item: OutboxItem) -> None:
        """Forget a delivered or refused upload; a day is not sent again unchanged."""
        if item.kind == KIND_READING:
            self.sent[item.payload["day"]] = payload_hash(item.payload["body"])
        self.outbox.done(item.key)

    async def _deliver(self, item: OutboxItem) -> None:
        """Send one upload's request."""
        payload = item.payload
        if item.kind == KIND_READING:
            await self.client.send_json(
                "PUT", f"/readings/{payload['day']}", payload["body"]
            )
        elif item.kind == KIND_SHEDDING:
            await self.client.send_json("POST", "/shedding-events", payload)
        else:
            await self.client.post_action(
                payload["action_id"],
                date.fromisoformat(payload["date"]),
                payload.get("evidence"),
            )

    @callback
    def async_server_back(self) -> None:
        """Retry every pending upload now (the coordinator reached the server again)."""
        self.outbox.retry_now()
        self.entry.async_create_background_task(
            self.hass, self.async_flush(), f"{DOMAIN} game flush"
        )

    @callback
    def _cancel_retry(self) -> None:
        """Cancel the planned retry."""
        if self._retry is not None:
            self._retry()
            self._retry = None

    @callback
    def _schedule_retry(self) -> None:
        """Plan a flush when the earliest pending upload is due."""
        self._cancel_retry()
        if self._auth_failed or (due := self.outbox.next_due()) is None:
            return
        at = max(dt_util.utc_from_timestamp(due), dt_util.utcnow())

        async def _retry(now: datetime) -> None:
            """Send what is due."""
            self._retry = None
            await self.async_flush()

        self._retry = async_track_point_in_utc_time(self.hass, _retry, at)

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the outbox state for the diagnostics."""
        return {
            "pending": [
                {
                    "key": item.key,
                    "attempts": item.attempts,
                    "next_try": dt_util.utc_from_timestamp(item.next_try).isoformat(),
                    "last_error": item.last_error,
                }
                for item in self.outbox.due(float("inf"))
            ],
            "days_delivered": sorted(self.sent),
            "rejected": self.rejected[-MAX_REJECTED:],
            "last_error": self.last_error,
            "last_delivery": self.last_delivery.isoformat()
            if self.last_delivery
            else None,
        }


def _parse(value: Any) -> datetime:
    """Return an aware datetime from an ISO string or a datetime."""
    if isinstance(value, datetime):
        return value
    parsed = dt_util.parse_datetime(str(value))
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"not an aware date and time: {value!r}")
    return parsed
