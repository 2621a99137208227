"""STGE, meter address, RELAIS, day profiles, tariff periods and the label catalogue."""

from __future__ import annotations

from datetime import time

import pytest

from custom_components.sunshare.teleinfo import (
    LABELS,
    CplState,
    CutOffState,
    EuridisState,
    Frame,
    Group,
    Kind,
    Mode,
    Period,
    TempoColor,
    closed_relays,
    current_period,
    decode_status,
    label_info,
    labels_for,
    parse_address,
    parse_schedule,
    period_from_ltarf,
    period_from_ptec,
    tempo_colors,
)


def test_stge_white_day_pm1() -> None:
    # Reference: supplier index 3 (= NTARF 03), today white, tomorrow blue, PM1 now.
    status = decode_status("463A0800")
    assert status.supplier_index == 3
    assert status.tempo_today is TempoColor.WHITE
    assert status.tempo_tomorrow is TempoColor.BLUE
    assert status.mobile_peak == 1
    assert status.mobile_peak_notice == 0
    assert status.standard_tic
    assert not status.producer
    assert not status.over_power
    assert status.cut_off is CutOffState.CLOSED


def test_stge_hp_rouge_producer() -> None:
    # Reference "HP ROUGE": supplier index 6, producer, today red, PM2 in progress.
    status = decode_status("833AD501")
    assert status.supplier_index == 6
    assert status.producer
    assert status.tempo_today is TempoColor.RED
    assert status.tempo_tomorrow is TempoColor.NONE
    assert status.mobile_peak == 2
    assert status.dry_contact_open
    assert status.distributor_index == 4
    assert status.euridis is EuridisState.SECURED
    assert status.cpl is CplState.NEW_LOCKED
    assert not status.cpl_synchronised


def test_stge_every_single_bit() -> None:
    assert decode_status(1 << 7).over_power
    assert decode_status(1 << 4).cover_open
    assert decode_status(1 << 6).overvoltage
    assert decode_status(1 << 9).negative_energy
    assert decode_status(1 << 16).clock_degraded
    assert decode_status(1 << 23).cpl_synchronised
    assert decode_status(1 << 28).mobile_peak_notice == 1
    assert decode_status(3 << 28).mobile_peak_notice == 3
    assert decode_status(2 << 21).cpl is CplState.REGISTERED
    assert decode_status(1 << 19).euridis is EuridisState.ON
    assert decode_status(0).euridis is EuridisState.OFF
    assert decode_status(3 << 26).tempo_tomorrow is TempoColor.RED
    cut = [decode_status(n << 1).cut_off for n in range(8)]
    assert cut == list(CutOffState)
    assert decode_status(1 << 1).cut_off_open
    assert decode_status(0xF << 10).supplier_index == 16


@pytest.mark.parametrize("bad", ["463A080", "ZZZZZZZZ", "463A08000"])
def test_stge_invalid(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_status(bad)


def test_meter_address() -> None:
    address = parse_address("042276123456")
    assert address is not None
    assert address.manufacturer == "Landis+Gyr / Siemens Metering"
    assert address.year == 2022
    assert address.type_code == "76"
    assert address.is_linky
    assert address.three_phase is True
    assert address.serial == "123456"
    assert not address.is_g1_pilot
    pilot = parse_address("021967000001")
    assert pilot is not None and pilot.is_g1_pilot
    unknown = parse_address("995599000001")
    assert unknown is not None
    assert unknown.manufacturer is None
    assert unknown.three_phase is None
    assert unknown.display_model == "Meter type 99"
    assert parse_address("12345") is None
    assert parse_address("04227612345X") is None


def test_relays_bitmap() -> None:
    # Reference: "140" means relays 3, 4 and 8 closed.
    assert closed_relays("140") == {3, 4, 8}
    assert closed_relays("001") == {1}
    assert closed_relays(0) == frozenset()
    with pytest.raises(ValueError):
        closed_relays("256")


def test_day_profile() -> None:
    value = "00004001 06000002 2200C003 " + " ".join(["NONUTILE"] * 8)
    slots = parse_schedule(value)
    assert [s.start for s in slots] == [time(0, 0), time(6, 0), time(22, 0)]
    assert [s.supplier_index for s in slots] == [1, 2, 3]
    assert slots[0].dry_contact == 1
    assert slots[2].dry_contact == 3
    assert slots[1].virtual_contacts == frozenset()
    assert parse_schedule("0000" + "0010 NONUTILE")[0].virtual_contacts == {2}
    assert parse_schedule("00000400")[0].virtual_contacts == {8}
    assert parse_schedule(" ".join(["NONUTILE"] * 11)) == []
    with pytest.raises(ValueError):
        parse_schedule("0000400")


@pytest.mark.parametrize(
    ("ptec", "period"),
    [
        ("TH..", Period.BASE),
        ("HC..", Period.OFF_PEAK),
        ("HP..", Period.PEAK),
        ("HN..", Period.NORMAL),
        ("PM..", Period.MOBILE_PEAK),
        ("HCJB", Period.OFF_PEAK_BLUE),
        ("HPJR", Period.PEAK_RED),
    ],
)
def test_ptec(ptec: str, period: Period) -> None:
    assert period_from_ptec(ptec) is period


@pytest.mark.parametrize(
    ("ltarf", "period"),
    [
        ("HP ROUGE", Period.PEAK_RED),
        ("    HC  BLEU    ", Period.OFF_PEAK_BLUE),
        ("HEURES CREUSES", Period.OFF_PEAK),
        ("HEURE PLEINE", Period.PEAK),
        ("BASE", Period.BASE),
        ("HP BLANC", Period.PEAK_WHITE),
        ("POINTE MOBILE", Period.MOBILE_PEAK),
        ("HEURES NORMALES", Period.NORMAL),
        ("SUPER ECO", Period.OTHER),
        ("", Period.OTHER),
    ],
)
def test_ltarf(ltarf: str, period: Period) -> None:
    assert period_from_ltarf(ltarf) is period


def _frame(mode: Mode, **values: str) -> Frame:
    """Build a frame from label=value pairs."""
    return Frame(mode, {k: Group(k, v) for k, v in values.items()})


def test_current_period_and_tempo_colours() -> None:
    historic = _frame(Mode.HISTORIC, PTEC="HPJW", DEMAIN="ROUG")
    assert current_period(historic) is Period.PEAK_WHITE
    assert tempo_colors(historic) == (TempoColor.WHITE, TempoColor.RED)
    assert tempo_colors(_frame(Mode.HISTORIC, PTEC="HC..")) == (None, None)
    standard = _frame(Mode.STANDARD, LTARF="HP ROUGE", STGE="833AD501")
    assert current_period(standard) is Period.PEAK_RED
    assert tempo_colors(standard) == (TempoColor.RED, TempoColor.NONE)
    assert tempo_colors(_frame(Mode.STANDARD, STGE="bad")) == (None, None)
    assert current_period(_frame(Mode.STANDARD)) is None


REFERENCE_LABELS = [
    "ADCO",
    "OPTARIF",
    "ISOUSC",
    "BASE",
    "HCHC",
    "HCHP",
    "EJPHN",
    "EJPHPM",
    "BBRHCJB",
    "BBRHPJB",
    "BBRHCJW",
    "BBRHPJW",
    "BBRHCJR",
    "BBRHPJR",
    "PEJP",
    "PTEC",
    "DEMAIN",
    "IINST",
    "IINST1",
    "IINST2",
    "IINST3",
    "ADPS",
    "ADIR1",
    "ADIR2",
    "ADIR3",
    "IMAX",
    "IMAX1",
    "IMAX2",
    "IMAX3",
    "PAPP",
    "PMAX",
    "HHPHC",
    "MOTDETAT",
    "PPOT",
    "ADSC",
    "VTIC",
    "DATE",
    "NGTF",
    "LTARF",
    "EAST",
    "EASF01",
    "EASF02",
    "EASF03",
    "EASF04",
    "EASF05",
    "EASF06",
    "EASF07",
    "EASF08",
    "EASF09",
    "EASF10",
    "EASD01",
    "EASD02",
    "EASD03",
    "EASD04",
    "EAIT",
    "ERQ1",
    "ERQ2",
    "ERQ3",
    "ERQ4",
    "IRMS1",
    "IRMS2",
    "IRMS3",
    "URMS1",
    "URMS2",
    "URMS3",
    "UMOY1",
    "UMOY2",
    "UMOY3",
    "PREF",
    "PCOUP",
    "SINSTS",
    "SINSTS1",
    "SINSTS2",
    "SINSTS3",
    "SMAXSN",
    "SMAXSN1",
    "SMAXSN2",
    "SMAXSN3",
    "SMAXSN-1",
    "SMAXSN1-1",
    "SMAXSN2-1",
    "SMAXSN3-1",
    "SINSTI",
    "SMAXIN",
    "SMAXIN-1",
    "CCASN",
    "CCASN-1",
    "CCAIN",
    "CCAIN-1",
    "STGE",
    "DPM1",
    "DPM2",
    "DPM3",
    "FPM1",
    "FPM2",
    "FPM3",
    "MSG1",
    "MSG2",
    "PRM",
    "RELAIS",
    "NTARF",
    "NJOURF",
    "NJOURF+1",
    "PJOURF+1",
    "PPOINTE",
    "SINST1",
    "SMAXN",
    "SMAXN-1",
]

TIMESTAMPED = [
    "DATE",
    "SMAXSN",
    "SMAXSN1",
    "SMAXSN2",
    "SMAXSN3",
    "SMAXSN-1",
    "SMAXSN1-1",
    "SMAXSN2-1",
    "SMAXSN3-1",
    "SMAXIN",
    "SMAXIN-1",
    "CCASN",
    "CCASN-1",
    "CCAIN",
    "CCAIN-1",
    "UMOY1",
    "UMOY2",
    "UMOY3",
    "DPM1",
    "DPM2",
    "DPM3",
    "FPM1",
    "FPM2",
    "FPM3",
    "SMAXN",
    "SMAXN-1",
]


def test_catalogue_covers_the_reference() -> None:
    assert set(REFERENCE_LABELS) <= set(LABELS)
    assert {i.label for i in LABELS.values() if i.timestamped} == set(TIMESTAMPED)


def test_catalogue_units_and_kinds() -> None:
    assert label_info("EASF10") is not None
    east = LABELS["EAST"]
    assert (east.unit, east.kind, east.numeric) == ("Wh", Kind.ENERGY, True)
    assert LABELS["ERQ1"].unit == "varh" and LABELS["ERQ1"].producer
    assert LABELS["PREF"].unit == "kVA"
    assert LABELS["PAPP"].kind is Kind.APPARENT_POWER
    assert LABELS["CCASN"].kind is Kind.POWER and LABELS["CCASN"].unit == "W"
    assert LABELS["URMS2"].three_phase and LABELS["URMS2"].phase == 2
    assert not LABELS["URMS1"].three_phase
    assert LABELS["ADIR2"].short_frame and LABELS["ADIR2"].kind is Kind.ALERT
    assert LABELS["SINST1"].pilot
    assert LABELS["STGE"].kind is Kind.STATUS
    assert not LABELS["PTEC"].numeric
    assert label_info("NOPE") is None
    assert all(Mode.HISTORIC in i.modes for i in labels_for(Mode.HISTORIC))
    assert "EAST" not in {i.label for i in labels_for(Mode.HISTORIC)}
