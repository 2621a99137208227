"""Tests for the game link's uploads: days, shedding events, actions, the outbox."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
import uuid

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.db_schema import StatisticsShortTerm
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sunshare.game import GameClient
from custom_components.sunshare.game_link import uploader as uploader_module
from custom_components.sunshare.game_link.energy import day_bounds
from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.models import Season, User
from tests.game.server import RunningServer
from tests.integration.energy_prefs import preferences
from tests.integration.statistics import metadata

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
IMPORT = "sensor.grid_import"
EXPORT = "sensor.grid_export"
SOLAR = "sensor.solar"
STORE_KEY = "sunshare.game.game01"


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run in Europe/Paris on 23 November 2026 at 10:00 with grid import and export."""
    await hass.config.async_set_time_zone("Europe/Paris")
    freezer.move_to(NOW)
    manager = await async_get_manager(hass)
    await manager.async_update(preferences([IMPORT], [EXPORT]))


@pytest.fixture
async def season(game_server: RunningServer) -> Season:
    """Create a season that started on 1 November (reference window: 28 days)."""
    return await game_server.add_season(date(2026, 11, 1), date(2027, 3, 31))


class Meters:
    """Hourly (and 5-minute) energy of the grid import and export statistics.

    Each change of a day re-imports every row with its running sum, like a meter whose
    history was corrected (late statistics): later days keep their own changes.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no energy."""
        self.hass = hass
        self.hourly: dict[str, dict[datetime, float]] = {
            IMPORT: {},
            EXPORT: {},
            SOLAR: {},
        }
        self.short: dict[str, dict[datetime, float]] = {
            IMPORT: {},
            EXPORT: {},
            SOLAR: {},
        }

    def add_day(
        self,
        day: date,
        per_hour: float,
        *,
        five_minutes: bool = False,
        solar: float | None = None,
    ) -> None:
        """Set a day's grid import (``per_hour`` kWh an hour, export a tenth)."""
        start, end = day_bounds(day)
        flows = [(IMPORT, per_hour), (EXPORT, per_hour / 10)]
        if solar is not None:
            flows.append((SOLAR, solar))
        for statistic_id, value in flows:
            hour = start
            while hour < end:
                self.hourly[statistic_id][hour] = value
                hour += timedelta(hours=1)
            if five_minutes and statistic_id != SOLAR:
                step = start
                while step < end:
                    self.short[statistic_id][step] = value / 12
                    step += timedelta(minutes=5)
            self._import(statistic_id)

    def add_row(self, statistic_id: str, hour: datetime, change: float) -> None:
        """Set one hour's change of a statistic."""
        self.hourly[statistic_id][hour] = change
        self._import(statistic_id)

    def _import(self, statistic_id: str) -> None:
        """Import a statistic's rows with running sums (a zero row before the first)."""
        meta = metadata(statistic_id)
        for changes, step, table in (
            (self.hourly[statistic_id], timedelta(hours=1), None),
            (self.short[statistic_id], timedelta(minutes=5), StatisticsShortTerm),
        ):
            if not changes:
                continue
            first = min(changes)
            rows: list[Any] = [{"start": first - step, "sum": 0.0}]
            total = 0.0
            for start in sorted(changes):
                total += changes[start]
                rows.append({"start": start, "sum": total})
            if table is None:
                async_import_statistics(self.hass, meta, rows)
            else:
                get_instance(self.hass).async_import_statistics(meta, rows, table)


@pytest.fixture
def meters(hass: HomeAssistant) -> Meters:
    """Return the household's grid meters."""
    return Meters(hass)


async def _settle(hass: HomeAssistant) -> None:
    """Let the background uploads finish."""
    await hass.async_block_till_done(wait_background_tasks=True)


async def _at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    """Move the clock and run what is due."""
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await _settle(hass)


async def _readings(server: RunningServer, user: User) -> dict[str, Any]:
    """Return the player's stored readings by ISO day."""
    return {
        r.day.isoformat(): r
        for r in await server.service.storage.list_readings(user.id)
    }


def _shedding_event(end: datetime) -> dict[str, Any]:
    """Return a ``sunshare_shedding_ended`` payload as the relay fires it."""
    start = end - timedelta(minutes=40)
    return {
        "id": str(uuid.uuid4()),
        "entry_id": "relay01",
        "load": "Water heater",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "duration_s": 2400.0,
        "declared_w": 2000.0,
        "measured_w": 1850.0,
        "energy_wh": 1233.333,
        "reason": "stopped",
    }


async def _restart_server(port: int, data_dir: Path) -> TestServer:
    """Start the game server again on its port with its database."""
    server = TestServer(create_app(Settings(data_dir=data_dir)), port=port)
    await server.start_server(host="127.0.0.1")
    return server


def _storage(server: TestServer) -> Any:
    """Return the storage of a restarted game server."""
    return server.app[SERVICE_KEY].storage


@pytest.fixture
async def stopped_server(
    game_server: RunningServer, tmp_path: Path
) -> tuple[int, Path]:
    """Stop the game server; yield its port and data directory."""
    port = game_server.server.port
    assert port is not None
    await game_server.server.close()
    return port, tmp_path / "server"


async def test_catch_up_then_nightly_upload_and_changed_days(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
    freezer: FrozenDateTimeFactory,
    meters: Meters,
) -> None:
    """Missed days go at start-up, each new day after midnight, changed days again."""
    meters.add_day(date(2026, 11, 21), 0.5)
    meters.add_day(date(2026, 11, 22), 0.25, five_minutes=True)
    await async_wait_recording_done(hass)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)

    readings = await _readings(game_server, player)
    assert sorted(readings) == ["2026-11-21", "2026-11-22"]
    assert readings["2026-11-21"].import_kwh == pytest.approx(12.0)
    assert readings["2026-11-21"].export_kwh == pytest.approx(1.2)
    assert readings["2026-11-21"].import_slots is None
    assert readings["2026-11-22"].import_kwh == pytest.approx(6.0)
    assert readings["2026-11-22"].import_slots == pytest.approx([0.125] * 48)
    assert readings["2026-11-22"].export_slots == pytest.approx([0.0125] * 48)
    first_update = readings["2026-11-21"].updated_at

    # Today's data is not sent before the day is over.
    meters.add_day(date(2026, 11, 23), 1.0)
    await async_wait_recording_done(hass)
    await _at(hass, freezer, datetime.fromisoformat("2026-11-24T00:29:00+01:00"))
    assert "2026-11-23" not in await _readings(game_server, player)

    await _at(hass, freezer, datetime.fromisoformat("2026-11-24T00:30:00+01:00"))
    readings = await _readings(game_server, player)
    assert readings["2026-11-23"].import_kwh == pytest.approx(24.0)
    assert readings["2026-11-21"].updated_at == first_update

    # Enedis statistics arrive late and change an older day: it is sent again.
    meters.add_day(date(2026, 11, 21), 0.75)
    await async_wait_recording_done(hass)
    await _at(hass, freezer, datetime.fromisoformat("2026-11-25T00:30:00+01:00"))
    readings = await _readings(game_server, player)
    assert readings["2026-11-21"].import_kwh == pytest.approx(18.0)
    assert readings["2026-11-21"].updated_at > first_update
    assert len(readings) == 3
    assert hass.data  # the entry stays loaded
    assert game_entry.runtime_data.uploader.as_diagnostics()["pending"] == []


async def test_uploads_survive_a_restart_while_the_server_is_down(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
    stopped_server: tuple[int, Path],
    hass_storage: dict[str, Any],
    meters: Meters,
) -> None:
    """Nothing is lost: pending uploads are saved and sent after a restart."""
    meters.add_day(date(2026, 11, 22), 0.5)
    await async_wait_recording_done(hass)
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)
    shed = _shedding_event(NOW - timedelta(hours=14))
    hass.bus.async_fire("sunshare_shedding_ended", shed)
    await _settle(hass)

    saved = hass_storage[STORE_KEY]["data"]["outbox"]
    assert [item["key"] for item in saved] == [
        "reading:2026-11-22",
        f"shedding_event:{shed['id']}",
    ]
    pending = hass.states.get("sensor.sunshare_game_alice_pending_uploads")
    assert pending is not None and pending.state == "2"
    assert hass.states.get("sensor.sunshare_game_alice_score").state == "unavailable"
    assert all(item["last_error"] for item in saved)
    assert await hass.config_entries.async_unload(game_entry.entry_id)

    port, data_dir = stopped_server
    server = await _restart_server(port, data_dir)
    try:
        assert await hass.config_entries.async_setup(game_entry.entry_id)
        await _settle(hass)
        assert [r.day for r in await _storage(server).list_readings()] == [
            date(2026, 11, 22)
        ]
        events = await _storage(server).list_shedding_events()
        assert [(e.id, e.declared_w, e.measured_w) for e in events] == [
            (shed["id"], 2000.0, 1850.0)
        ]
        assert hass_storage[STORE_KEY]["data"]["outbox"] == []
        assert hass_storage[STORE_KEY]["data"]["sent"].keys() == {"2026-11-22"}
    finally:
        assert await hass.config_entries.async_unload(game_entry.entry_id)
        await server.close()


async def test_retries_with_backoff(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    stopped_server: tuple[int, Path],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed upload is retried after 30 s, then 60 s, until the server is back."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)
    shed = _shedding_event(NOW - timedelta(hours=1))
    hass.bus.async_fire("sunshare_shedding_ended", shed)
    await _settle(hass)
    uploader = game_entry.runtime_data.uploader
    assert [i["attempts"] for i in uploader.as_diagnostics()["pending"]] == [1]

    await _at(hass, freezer, NOW + timedelta(seconds=30))
    assert [i["attempts"] for i in uploader.as_diagnostics()["pending"]] == [2]

    port, data_dir = stopped_server
    server = await _restart_server(port, data_dir)
    try:
        await _at(hass, freezer, NOW + timedelta(seconds=89))
        assert [i["attempts"] for i in uploader.as_diagnostics()["pending"]] == [2]
        await _at(hass, freezer, NOW + timedelta(seconds=91))
        assert uploader.as_diagnostics()["pending"] == []
        assert uploader.as_diagnostics()["last_error"] is None
        events = await _storage(server).list_shedding_events()
        assert [e.id for e in events] == [shed["id"]]
    finally:
        assert await hass.config_entries.async_unload(game_entry.entry_id)
        await server.close()


async def test_refused_upload_is_kept_for_diagnostics(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    meters: Meters,
) -> None:
    """A day the server refuses is logged once and not retried."""
    # Export larger than import: the server refuses the day as inconsistent.
    meters.add_day(date(2026, 11, 22), 0.1)
    start, _ = day_bounds(date(2026, 11, 22))
    meters.add_row(EXPORT, start + timedelta(hours=12), 5.0)
    await async_wait_recording_done(hass)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)

    diagnostics = game_entry.runtime_data.uploader.as_diagnostics()
    assert diagnostics["pending"] == []
    assert diagnostics["rejected"] == [
        {
            "key": "reading:2026-11-22",
            "code": "inconsistent",
            "message": "export and battery charge exceed import and production",
        }
    ]
    assert await game_server.service.storage.list_readings() == []
    # The same refused day is not sent again every night, unless it changes.
    uploader = game_entry.runtime_data.uploader
    assert await uploader.async_queue_days() == 0
    meters.add_day(date(2026, 11, 22), 0.5)
    await async_wait_recording_done(hass)
    assert await uploader.async_queue_days() == 1
    assert [
        r.import_kwh for r in await game_server.service.storage.list_readings()
    ] == [pytest.approx(12.0)]


async def test_declare_action(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
) -> None:
    """Declared actions are sent at once; the server's refusal is an error."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)

    response = await hass.services.async_call(
        "sunshare",
        "declare_action",
        {
            "config_entry_id": game_entry.entry_id,
            "action_id": "heating_19c",
            "date": "2026-11-22",
            "evidence": "thermostat photo",
        },
        blocking=True,
        return_response=True,
    )
    assert response == {
        "results": [{"config_entry_id": game_entry.entry_id, "status": "sent"}]
    }
    declared = await game_server.service.storage.list_action_declarations()
    assert [(d.action_id, d.day, d.evidence) for d in declared] == [
        ("heating_19c", date(2026, 11, 22), "thermostat photo")
    ]

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "sunshare",
            "declare_action",
            {
                "config_entry_id": game_entry.entry_id,
                "action_id": "no_such_action",
                "date": "2026-11-22",
            },
            blocking=True,
        )
    assert err.value.translation_key == "game_action_refused"
    assert "unknown action" in str(err.value)

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "sunshare",
            "declare_action",
            {
                "config_entry_id": "nope",
                "action_id": "heating_19c",
                "date": "2026-11-22",
            },
            blocking=True,
        )
    assert err.value.translation_key == "game_not_found"


async def test_action_queued_while_server_down_then_sent(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    stopped_server: tuple[int, Path],
    freezer: FrozenDateTimeFactory,
) -> None:
    """An action declared while the server is down is sent when it is back."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)
    response = await hass.services.async_call(
        "sunshare",
        "declare_action",
        {
            "config_entry_id": game_entry.entry_id,
            "action_id": "heating_19c",
            "date": "2026-11-23",
        },
        blocking=True,
        return_response=True,
    )
    assert response == {
        "results": [{"config_entry_id": game_entry.entry_id, "status": "queued"}]
    }

    port, data_dir = stopped_server
    server = await _restart_server(port, data_dir)
    try:
        # The next poll reaches the server and sends what was waiting.
        await _at(hass, freezer, NOW + timedelta(minutes=15))
        declared = await _storage(server).list_action_declarations()
        assert [d.action_id for d in declared] == ["heating_19c"]
        assert game_entry.runtime_data.uploader.as_diagnostics()["pending"] == []
    finally:
        assert await hass.config_entries.async_unload(game_entry.entry_id)
        await server.close()


async def test_revoked_token_keeps_uploads_and_starts_reauth(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
    hass_storage: dict[str, Any],
) -> None:
    """An upload refused for the token waits for the reauth; nothing is dropped."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)
    await game_server.revoke_tokens(player)

    shed = _shedding_event(NOW - timedelta(hours=1))
    hass.bus.async_fire("sunshare_shedding_ended", shed)
    await _settle(hass)

    flows = hass.config_entries.flow.async_progress_by_handler("sunshare")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    saved = hass_storage[STORE_KEY]["data"]["outbox"]
    assert [item["key"] for item in saved] == [f"shedding_event:{shed['id']}"]


async def test_malformed_shedding_event_is_ignored(
    hass: HomeAssistant, game_entry: MockConfigEntry, season: Season
) -> None:
    """A shedding event without a proper end is logged and not queued."""
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)
    bad = {**_shedding_event(NOW), "end": "yesterday"}
    hass.bus.async_fire("sunshare_shedding_ended", bad)
    await _settle(hass)
    assert game_entry.runtime_data.uploader.as_diagnostics()["pending"] == []


@pytest.mark.parametrize(
    "options",
    [
        {
            "energy_source": "manual",
            "grid_import": [IMPORT],
            "grid_export": [EXPORT],
            "solar": [SOLAR],
        }
    ],
)
async def test_hand_picked_sources_and_self_consumption(
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    meters: Meters,
) -> None:
    """Hand-picked statistics are sent; self-consumption is the last day's share."""
    meters.add_day(date(2026, 11, 22), 0.5, solar=0.2)
    await async_wait_recording_done(hass)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)

    (reading,) = await game_server.service.storage.list_readings()
    assert reading.production_kwh == pytest.approx(4.8)
    assert reading.export_kwh == pytest.approx(1.2)
    state = hass.states.get("sensor.sunshare_game_alice_self_consumption")
    assert state is not None
    assert state.state == "75.0"
    assert state.attributes["day"] == "2026-11-22"
    assert state.attributes["unit_of_measurement"] == "%"
    pending = hass.states.get("sensor.sunshare_game_alice_pending_uploads")
    assert pending is not None and pending.state == "0"


class Requests:
    """The requests the game client sends (method and path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap ``GameClient._request``."""
        self.sent: list[tuple[str, str]] = []
        original = GameClient._request

        async def request(
            client: GameClient, method: str, path: str, body: Any = None
        ) -> Any:
            self.sent.append((method, path))
            return await original(client, method, path, body)

        monkeypatch.setattr(GameClient, "_request", request)

    def puts(self) -> list[str]:
        """Return the paths of the PUT requests."""
        return [path for method, path in self.sent if method == "PUT"]


async def test_catch_up_goes_in_batches(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
    meters: Meters,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Missed days go by ``PUT /readings``, in batches of ``BATCH_DAYS``.

    A day the server refuses is kept for the diagnostics; only it is left out.
    """
    monkeypatch.setattr(uploader_module, "BATCH_DAYS", 5)
    requests = Requests(monkeypatch)
    days = [date(2026, 11, 10) + timedelta(days=n) for n in range(12)]
    for day in days:
        meters.add_day(day, 0.5)
    # Export larger than import on one day: the server refuses that day.
    start, _ = day_bounds(days[4])
    meters.add_row(EXPORT, start + timedelta(hours=12), 30.0)
    await async_wait_recording_done(hass)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)

    assert requests.puts() == ["/readings"] * 3
    readings = await _readings(game_server, player)
    assert sorted(readings) == [d.isoformat() for d in days if d != days[4]]
    assert readings["2026-11-10"].import_kwh == pytest.approx(12.0)
    diagnostics = game_entry.runtime_data.uploader.as_diagnostics()
    assert diagnostics["pending"] == []
    assert diagnostics["rejected"] == [
        {
            "key": f"reading:{days[4].isoformat()}",
            "code": "inconsistent",
            "message": "export and battery charge exceed import and production",
        }
    ]
    saved = hass_storage[STORE_KEY]["data"]
    assert saved["outbox"] == []
    assert sorted(saved["sent"]) == [d.isoformat() for d in days]

    # A re-send after late statistics: only the changed days, in one batch.
    requests.sent.clear()
    meters.add_day(days[1], 0.75)
    meters.add_day(days[2], 0.75)
    await async_wait_recording_done(hass)
    assert await game_entry.runtime_data.uploader.async_queue_days() == 2
    assert requests.puts() == ["/readings"]
    readings = await _readings(game_server, player)
    assert readings[days[1].isoformat()].import_kwh == pytest.approx(18.0)


@pytest.mark.parametrize("game_server", ["older"], indirect=True)
async def test_an_older_server_gets_the_days_one_by_one(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    player: User,
    season: Season,
    meters: Meters,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server without ``PUT /readings`` (404) gets each day by its own route."""
    requests = Requests(monkeypatch)
    days = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
    for day in days:
        meters.add_day(day, 0.5)
    await async_wait_recording_done(hass)

    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)

    assert requests.puts() == [
        "/readings",
        *(f"/readings/{day.isoformat()}" for day in days),
    ]
    assert sorted(await _readings(game_server, player)) == [d.isoformat() for d in days]
    assert game_entry.runtime_data.uploader.as_diagnostics()["pending"] == []


async def test_days_wait_while_the_server_is_down(
    *,
    hass: HomeAssistant,
    game_entry: MockConfigEntry,
    game_server: RunningServer,
    season: Season,
    stopped_server: tuple[int, Path],
    meters: Meters,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A batch that cannot be sent stays pending, every day retried together."""
    for day in (date(2026, 11, 21), date(2026, 11, 22)):
        meters.add_day(day, 0.5)
    await async_wait_recording_done(hass)
    assert await hass.config_entries.async_setup(game_entry.entry_id)
    await _settle(hass)
    uploader = game_entry.runtime_data.uploader
    pending = uploader.as_diagnostics()["pending"]
    assert [(i["key"], i["attempts"]) for i in pending] == [
        ("reading:2026-11-21", 1),
        ("reading:2026-11-22", 1),
    ]

    port, data_dir = stopped_server
    server = await _restart_server(port, data_dir)
    try:
        await _at(hass, freezer, NOW + timedelta(seconds=31))
        assert uploader.as_diagnostics()["pending"] == []
        stored = await _storage(server).list_readings()
        assert [r.day for r in stored] == [date(2026, 11, 21), date(2026, 11, 22)]
    finally:
        assert await hass.config_entries.async_unload(game_entry.entry_id)
        await server.close()
