"""Entities of a Linky meter fed through a real pty: classes, units, values, dynamics."""

from __future__ import annotations

import asyncio

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_HOMEASSISTANT_STOP,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.linky.runtime import LinkyRuntime
from custom_components.sunshare.teleinfo.models import Mode
from custom_components.sunshare.teleinfo.simulator import Faults, Simulator
from tests.integration.registry import device_by_identifier
from tests.teleinfo.tic_bytes import (
    HISTORIC_ADDRESS,
    STANDARD_ADDRESS,
    frame,
    standard_frame,
)
from tests.teleinfo.tic_line import Pty, until

from .conftest import entity_id, send, wh


async def test_standard_entities_have_the_right_classes(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Each label becomes a sensor with its device class, state class and unit."""
    await send(hass, loaded_entry, pty, standard_frame(sinsts=1234, east=12345678))

    east = hass.states.get(entity_id(hass, "EAST"))
    assert east is not None
    assert east.state == "12345.678"  # shown in kWh, the meter's Wh kept
    assert east.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENERGY
    assert east.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert east.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert wh(hass.states.get(entity_id(hass, "EASF02"))) == 12345678 - 12345678 // 2

    pref = hass.states.get(entity_id(hass, "PREF"))
    assert pref.state == "9000"
    assert pref.attributes[ATTR_UNIT_OF_MEASUREMENT] == "VA"
    assert pref.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.APPARENT_POWER

    sinsts = hass.states.get(entity_id(hass, "SINSTS"))
    assert sinsts.state == "1234"
    assert sinsts.attributes["state_class"] == SensorStateClass.MEASUREMENT

    urms = hass.states.get(entity_id(hass, "URMS1"))
    assert urms.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.VOLTAGE
    assert urms.attributes["friendly_name"] == "Linky meter Voltage phase 1"

    smax = hass.states.get(entity_id(hass, "SMAXSN"))
    assert smax.state == "3215"
    assert smax.attributes["timestamp"] == "2024-11-23T06:30:00+01:00"

    assert hass.states.get(entity_id(hass, "LTARF")).state == "HP  BLEU"
    # Without an injection label, net power would repeat SINSTS: no such entity.
    assert (
        er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{STANDARD_ADDRESS}_net_power"
        )
        is None
    )
    assert hass.states.get(entity_id(hass, "mode")).state == "standard"
    assert hass.states.get(entity_id(hass, "link_quality")).state == "100"

    # Noisy or identifying entities exist but are disabled by default.
    registry = er.async_get(hass)
    for key in ("DATE", "ADSC", "PRM", "checksum_errors", "frames"):
        item = registry.async_get(entity_id(hass, key))
        assert item is not None
        assert item.disabled_by is er.RegistryEntryDisabler.INTEGRATION, key
        assert hass.states.get(item.entity_id) is None

    device = device_by_identifier(hass, STANDARD_ADDRESS)
    assert device.name == "Linky meter"
    assert device.serial_number == STANDARD_ADDRESS


async def test_status_register_and_tempo(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    pty: Pty,
    freezer: FrozenDateTimeFactory,
) -> None:
    """STGE gives the Tempo colours, peak signals, producer, clock and contact."""
    # 463A0800: today white, tomorrow blue, PM1 in progress, contact closed.
    await send(hass, loaded_entry, pty, standard_frame(stge="463A0800"))
    today = hass.states.get(entity_id(hass, "tempo_today"))
    assert today.state == "white"
    assert today.attributes["options"] == ["none", "blue", "white", "red"]
    assert hass.states.get(entity_id(hass, "tempo_tomorrow")).state == "blue"
    assert (
        hass.states.get(entity_id(hass, "peak_active", "binary_sensor")).state
        == STATE_ON
    )
    assert (
        hass.states.get(entity_id(hass, "peak_notice", "binary_sensor")).state
        == STATE_OFF
    )
    assert (
        hass.states.get(entity_id(hass, "over_power", "binary_sensor")).state
        == STATE_OFF
    )
    assert (
        hass.states.get(entity_id(hass, "producer", "binary_sensor")).state == STATE_OFF
    )
    assert (
        hass.states.get(entity_id(hass, "dry_contact", "binary_sensor")).state
        == STATE_ON
    )

    freezer.tick(10)  # past the power interval, so the new power is written
    # 833AD581: red today, producer, over-power (bit 7), dry contact open (bit 0).
    await send(
        hass,
        loaded_entry,
        pty,
        standard_frame(stge="833AD581", extra=[("SINSTI", "00500")], sinsts=200),
    )
    assert hass.states.get(entity_id(hass, "tempo_today")).state == "red"
    assert (
        hass.states.get(entity_id(hass, "over_power", "binary_sensor")).state
        == STATE_ON
    )
    assert (
        hass.states.get(entity_id(hass, "producer", "binary_sensor")).state == STATE_ON
    )
    assert (
        hass.states.get(entity_id(hass, "dry_contact", "binary_sensor")).state
        == STATE_OFF
    )
    # Net power is signed: 200 VA drawn, 500 VA injected.
    assert hass.states.get(entity_id(hass, "net_power")).state == "-300"


async def test_new_label_adds_an_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """A label seen for the first time (contract change) gets its sensor at once."""
    await send(hass, loaded_entry, pty, standard_frame())
    registry = er.async_get(hass)
    unique_id = f"{STANDARD_ADDRESS}_EASF04"
    assert registry.async_get_entity_id("sensor", DOMAIN, unique_id) is None
    await send(hass, loaded_entry, pty, standard_frame(extra=[("EASF04", "000001234")]))
    state = hass.states.get(entity_id(hass, "EASF04"))
    assert wh(state) == 1234
    assert state.attributes["friendly_name"] == "Linky meter Supplier index 04"


async def test_entities_come_back_after_restart(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """After a reload, the entities of known labels exist before the first frame."""
    await send(hass, loaded_entry, pty, standard_frame())
    east = entity_id(hass, "EAST")
    pty.replug()
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(east).state == STATE_UNAVAILABLE
    await send(hass, loaded_entry, pty, standard_frame(east=12345999))
    assert wh(hass.states.get(east)) == 12345999


async def test_short_frames_keep_other_values(
    hass: HomeAssistant,
    historic_entry: MockConfigEntry,
    pty: Pty,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Three-phase short frames (ADIR1-3) signal over-current and hide nothing."""
    entry = historic_entry
    long_frame = frame(
        Mode.HISTORIC,
        [
            ("ADCO", HISTORIC_ADDRESS),
            ("OPTARIF", "BASE"),
            ("ISOUSC", "20"),
            ("BASE", "001234567"),
            ("PTEC", "TH.."),
            ("IINST1", "010"),
            ("IINST2", "012"),
            ("IINST3", "008"),
            ("IMAX1", "060"),
            ("IMAX2", "060"),
            ("IMAX3", "060"),
            ("PMAX", "07200"),
            ("PAPP", "06900"),
            ("PPOT", "00"),
        ],
    )
    short_frame = frame(
        Mode.HISTORIC,
        [
            ("ADIR1", "021"),
            ("ADIR2", "000"),
            ("ADIR3", "000"),
            ("ADCO", HISTORIC_ADDRESS),
            ("IINST1", "021"),
            ("IINST2", "012"),
            ("IINST3", "008"),
        ],
    )

    def eid(key: str, domain: str = "sensor") -> str:
        """Return the entity id of a key of the historic meter."""
        return entity_id(hass, key, domain, HISTORIC_ADDRESS)

    await send(hass, entry, pty, long_frame)
    assert hass.states.get(eid("PAPP")).state == "6900"
    assert hass.states.get(eid("over_power", "binary_sensor")).state == STATE_OFF
    freezer.tick(10)
    await send(hass, entry, pty, short_frame * 3)
    assert hass.states.get(eid("PAPP")).state == "6900"
    assert wh(hass.states.get(eid("BASE"))) == 1234567
    assert hass.states.get(eid("IINST1")).state == "21"
    assert hass.states.get(eid("ADIR1")).state == "21"
    assert hass.states.get(eid("over_power", "binary_sensor")).state == STATE_ON
    await send(hass, entry, pty, long_frame)
    assert hass.states.get(eid("ADIR1")).state == "0"
    assert hass.states.get(eid("over_power", "binary_sensor")).state == STATE_OFF
    assert entry.runtime_data.short_frames == 3


async def test_link_lost_and_back(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Unplugging the dongle makes the entities unavailable; they come back alone."""
    await send(hass, loaded_entry, pty, standard_frame(sinsts=800))
    sinsts = entity_id(hass, "SINSTS")
    quality = entity_id(hass, "link_quality")
    assert hass.states.get(sinsts).state == "800"
    pty.close()
    runtime = loaded_entry.runtime_data
    await until(lambda: not runtime.connected)
    await hass.async_block_till_done()
    assert hass.states.get(sinsts).state == STATE_UNAVAILABLE
    assert hass.states.get(quality).state == STATE_UNAVAILABLE
    pty.open()
    # The reader retries after its first backoff delay (1 s): keep the meter talking.
    for _ in range(100):
        pty.write(standard_frame(sinsts=900))
        await asyncio.sleep(0.05)
        if runtime.connected:
            break
    await until(lambda: runtime.connected)
    await hass.async_block_till_done()
    assert hass.states.get(sinsts).state == "900"


async def test_historic_tempo_and_ejp(
    hass: HomeAssistant,
    historic_entry: MockConfigEntry,
    pty: Pty,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Historic Tempo colours come from PTEC/DEMAIN, EJP signals from PEJP/PTEC."""

    def eid(key: str, domain: str = "sensor") -> str:
        """Return the entity id of a key of the historic meter."""
        return entity_id(hass, key, domain, HISTORIC_ADDRESS)

    tempo = [("ADCO", HISTORIC_ADDRESS), ("OPTARIF", "BBR("), ("IINST", "005")]
    await send(
        hass,
        historic_entry,
        pty,
        frame(Mode.HISTORIC, [*tempo, ("PTEC", "HPJW"), ("DEMAIN", "ROUG")]),
    )
    assert hass.states.get(eid("tempo_today")).state == "white"
    assert hass.states.get(eid("tempo_tomorrow")).state == "red"
    await send(
        hass,
        historic_entry,
        pty,
        frame(Mode.HISTORIC, [*tempo, ("PTEC", "TH.."), ("DEMAIN", "----")]),
    )
    assert hass.states.get(eid("tempo_today")).state == "none"
    assert hass.states.get(eid("tempo_tomorrow")).state == "none"

    ejp = [("ADCO", HISTORIC_ADDRESS), ("OPTARIF", "EJP."), ("IINST", "005")]
    await send(
        hass,
        historic_entry,
        pty,
        frame(Mode.HISTORIC, [*ejp, ("PTEC", "HN.."), ("PEJP", "30")]),
    )
    assert hass.states.get(eid("peak_notice", "binary_sensor")).state == STATE_ON
    assert hass.states.get(eid("peak_active", "binary_sensor")).state == STATE_OFF
    assert hass.states.get(eid("PEJP")).state == "30"
    await send(
        hass, historic_entry, pty, frame(Mode.HISTORIC, [*ejp, ("PTEC", "PM..")])
    )
    assert hass.states.get(eid("peak_notice", "binary_sensor")).state == STATE_OFF
    assert hass.states.get(eid("peak_active", "binary_sensor")).state == STATE_ON
    assert hass.states.get(eid("PEJP")).state == "0"


async def test_unknown_and_malformed_values(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """An unknown label still gets a sensor; a malformed STGE or number reads unknown."""
    data = standard_frame(stge="XYZ", extra=[("NEWLBL", "42"), ("SINSTI", "ABCDE")])
    await send(hass, loaded_entry, pty, data * 2)
    # A label missing from the catalogue needs three frames (a corrupted group could
    # pass its checksum once).
    unique_id = f"{STANDARD_ADDRESS}_NEWLBL"
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id) is None
    await send(hass, loaded_entry, pty, data)
    state = hass.states.get(entity_id(hass, "NEWLBL"))
    assert state.state == "42"
    assert state.attributes["friendly_name"] == "Linky meter Label NEWLBL"
    assert hass.states.get(entity_id(hass, "SINSTI")).state == "unknown"
    assert hass.states.get(entity_id(hass, "net_power")).state == "1200"
    producer = hass.states.get(entity_id(hass, "producer", "binary_sensor"))
    assert producer.state == STATE_UNAVAILABLE


async def test_home_assistant_stop_closes_the_line(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Stopping Home Assistant stops the reader (no task left behind)."""
    await send(hass, loaded_entry, pty, standard_frame())
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not loaded_entry.runtime_data.reader.running


async def test_faulty_line_from_the_simulator(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, pty: Pty
) -> None:
    """Garbage, bad checksums and interrupted frames: values stay, errors are counted."""
    simulator = Simulator(
        Mode.STANDARD,
        "base",
        seed=3,
        address=STANDARD_ADDRESS,
        faults=Faults(bad_checksum=0.02, garbage=0.3, interrupted=0.1, truncated=0.1),
    )
    runtime: LinkyRuntime = loaded_entry.runtime_data
    sent = 0

    def all_read() -> bool:
        """Return whether the reader has received every byte sent."""
        return runtime.reader.stats.bytes_received >= sent

    for _ in range(40):
        data = simulator.next_frame()
        pty.write(data)
        sent += len(data)
        # One frame at a time: the pty's buffer is small and the reader shares the loop.
        await until(all_read)
    await hass.async_block_till_done()
    counters = runtime.counters()
    assert counters["checksum_errors"] > 0
    assert counters["interrupted"] > 0
    assert runtime.frames >= 20
    assert runtime.connected
    assert runtime.link_quality < 100
    assert wh(hass.states.get(entity_id(hass, "EAST"))) > 0
    assert hass.states.get(entity_id(hass, "mode")).state == "standard"
