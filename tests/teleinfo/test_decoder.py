"""Streaming decoder: checksums, timestamps, framing, bounds and counters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.sunshare.teleinfo import (
    PARIS,
    FrameDecoder,
    Mode,
    encode_group,
    parse_timestamp,
)

from .helpers import HISTORIC_CAPTURE, chk, frame, hgroup, sgroup


def test_historic_real_capture() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    frames = decoder.feed(HISTORIC_CAPTURE)
    assert len(frames) == 1
    got = frames[0]
    assert got.mode is Mode.HISTORIC
    assert {label: g.value for label, g in got.groups.items()} == {
        "ADCO": "021528603314",
        "OPTARIF": "HC..",
        "ISOUSC": "15",
        "HCHC": "000723392",
        "PTEC": "HP..",
        "PAPP": "00180",
        "HHPHC": "A",
        "MOTDETAT": "000000",
    }
    assert got.address == "021528603314"
    assert got.errors == 0
    counters = decoder.counters
    assert (counters.frames, counters.groups, counters.checksum_errors) == (1, 8, 0)


@pytest.mark.parametrize(
    ("group", "label", "value"),
    [
        (b"\nIINST1 001 I\r", "IINST1", "001"),
        (b"\nIMAX1 060 6\r", "IMAX1", "060"),
        (b"\nPMAX 02726 7\r", "PMAX", "02726"),
        (b"\nPPOT 00 #\r", "PPOT", "00"),
        (b'\nADIR1 001 "\r', "ADIR1", "001"),
        # The checksum character is itself a space: the line ends in two spaces.
        (b"\nHCHC 000723392  \r", "HCHC", "000723392"),
    ],
)
def test_historic_reference_vectors(group: bytes, label: str, value: str) -> None:
    frames = FrameDecoder(Mode.HISTORIC).feed(b"\x02" + group + b"\x03")
    assert frames[0].groups[label].value == value


def test_historic_accepts_mode_1_and_mode_2_sums() -> None:
    # ADCO 021528603314 gives ':' in mode 1 (final SP excluded) and 'Z' in mode 2.
    assert chk(b"ADCO 021528603314") == b":"
    assert chk(b"ADCO 021528603314 ") == b"Z"
    decoder = FrameDecoder(Mode.HISTORIC)
    for mark in (b":", b"Z"):
        got = decoder.feed(b"\x02\nADCO 021528603314 " + mark + b"\r\x03")
        assert got[0].groups["ADCO"].value == "021528603314"
    assert decoder.feed(b"\x02\nADCO 021528603314 Y\r\x03") == []
    assert decoder.counters.checksum_errors == 1


def test_standard_reference_vector() -> None:
    group = b"\nADSC\t021528603314\t" + chk(b"ADSC\t021528603314\t") + b"\r"
    got = FrameDecoder(Mode.STANDARD).feed(frame(group))
    assert got[0].address == "021528603314"


def test_standard_space_checksum_and_empty_date() -> None:
    data = frame(
        b"\nERQ3\t000148499\t \r",
        b"\nDATE\tH240210121355\t\t;\r",
        b"\nDPM1\t 200214060000\t00\t\\\r",
    )
    decoder = FrameDecoder(Mode.STANDARD)
    got = decoder.feed(data)[0]
    assert got.groups["ERQ3"].value == "000148499"
    date = got.groups["DATE"]
    assert date.value == ""
    assert date.timestamp == datetime(2024, 2, 10, 12, 13, 55, tzinfo=PARIS)
    assert date.timestamp.utcoffset().total_seconds() == 3600
    dpm = got.groups["DPM1"]
    assert dpm.value == "00"
    assert dpm.raw_timestamp == " 200214060000"
    assert dpm.timestamp == datetime(2020, 2, 14, 6, 0, tzinfo=PARIS)
    assert decoder.counters.checksum_errors == 0


def test_padding_is_kept_for_the_checksum() -> None:
    # NGTF "TEMPO" padded to 16 characters checks as 'F'; unpadded it gives '&'.
    padded = b"\nNGTF\t     TEMPO      \tF\r"
    assert chk(b"NGTF\t     TEMPO      \t") == b"F"
    assert chk(b"NGTF\tTEMPO\t") == b"&"
    got = FrameDecoder(Mode.STANDARD).feed(frame(padded))[0]
    group = got.groups["NGTF"]
    assert group.value == "TEMPO"
    assert group.raw == "     TEMPO      "
    # The same text with the padding lost in transit fails with the padded checksum.
    decoder = FrameDecoder(Mode.STANDARD)
    assert decoder.feed(frame(b"\nNGTF\tTEMPO\tF\r", padded)) != []
    assert decoder.counters.checksum_errors == 1


def test_bad_checksum_drops_only_that_group() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    got = decoder.feed(frame(b"\nPAPP 00180 +\r", hgroup("IINST", "001")))[0]
    assert list(got.groups) == ["IINST"]
    assert got.errors == 1
    assert decoder.counters.checksum_errors == 1


def test_wrong_separator_is_malformed_not_valid() -> None:
    historic = FrameDecoder(Mode.HISTORIC)
    assert historic.feed(frame(sgroup("SINSTS", "00420"))) == []
    assert historic.counters.malformed_groups == 1
    assert historic.counters.empty_frames == 1
    standard = FrameDecoder(Mode.STANDARD)
    assert standard.feed(frame(hgroup("PAPP", "00420"))) == []
    assert standard.counters.malformed_groups == 1


def test_byte_by_byte_equals_whole() -> None:
    data = HISTORIC_CAPTURE * 3
    whole = FrameDecoder(Mode.HISTORIC).feed(data)
    decoder = FrameDecoder(Mode.HISTORIC)
    pieces = [f for i in range(len(data)) for f in decoder.feed(data[i : i + 1])]
    assert pieces == whole
    assert len(pieces) == 3


def test_a_pause_is_never_a_line_end() -> None:
    # linkytic #26: a read timeout split "BBRHPJW 000047|919 ]" and froze the index.
    group = hgroup("BBRHPJW", "000047919")
    decoder = FrameDecoder(Mode.HISTORIC)
    assert decoder.feed(b"\x02" + group[:12]) == []
    got = decoder.feed(group[12:] + b"\x03")
    assert got[0].groups["BBRHPJW"].value == "000047919"


def test_garbage_before_first_stx_and_partial_first_frame() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    start = b"\xff\x13garbage" + HISTORIC_CAPTURE[40:]  # join mid-frame
    assert decoder.feed(start) == []
    assert decoder.feed(HISTORIC_CAPTURE)[0].address == "021528603314"
    assert decoder.counters.skipped_bytes > 0
    assert decoder.counters.frames == 1


def test_parity_bit_is_masked() -> None:
    # A port opened 8N1 delivers the parity bit as bit 7: masking recovers the frame.
    with_parity = bytes(
        b | 0x80 if i % 2 else b for i, b in enumerate(HISTORIC_CAPTURE)
    )
    got = FrameDecoder(Mode.HISTORIC).feed(with_parity)
    assert len(got) == 1 and len(got[0].groups) == 8


def test_non_printable_byte_rejects_the_group() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    got = decoder.feed(frame(b"\nISOUSC 45 \x7f\r", hgroup("PAPP", "00180")))
    assert list(got[0].groups) == ["PAPP"]
    assert decoder.counters.invalid_bytes == 1


def test_stx_resynchronises_and_eot_interrupts() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    papp = hgroup("PAPP", "00180")
    iinst = hgroup("IINST", "001")
    data = (
        b"\x02"
        + papp
        + papp[:5]
        + frame(iinst)
        + b"\x02"
        + papp
        + b"\x04"
        + frame(papp)
    )
    got = decoder.feed(data)
    assert [list(f.groups) for f in got] == [["IINST"], ["PAPP"]]
    counters = decoder.counters
    assert counters.resyncs == 1
    assert counters.interrupted == 1
    assert counters.frames == 2


def test_lost_cr_merges_nothing() -> None:
    # A corrupted CR: the next LF starts a new group; the cut one is counted.
    decoder = FrameDecoder(Mode.STANDARD)
    cut = sgroup("IRMS1", "003")[:-1]
    got = decoder.feed(frame(cut, sgroup("URMS1", "231")))
    assert list(got[0].groups) == ["URMS1"]
    assert decoder.counters.malformed_groups == 1


def test_lost_lf_is_counted_and_skipped() -> None:
    decoder = FrameDecoder(Mode.STANDARD)
    got = decoder.feed(frame(sgroup("IRMS1", "003")[1:], sgroup("URMS1", "231")))
    assert list(got[0].groups) == ["URMS1"]
    assert decoder.counters.malformed_groups == 1


def test_group_is_bounded_to_128_bytes() -> None:
    decoder = FrameDecoder(Mode.STANDARD)
    huge = sgroup("MSG1", "X" * 200)
    assert decoder.feed(frame(huge, sgroup("URMS1", "231")))[0].groups.keys() == {
        "URMS1"
    }
    assert decoder.counters.oversize_groups == 1


def test_frame_is_bounded_to_2_kib() -> None:
    # A wrong baud rate: an endless stream of bytes without ETX never grows a buffer.
    decoder = FrameDecoder(Mode.HISTORIC)
    noise = bytes(range(0x20, 0x7F)) * 100
    assert decoder.feed(b"\x02" + noise) == []
    assert decoder.counters.oversize_frames == 1
    assert decoder.feed(b"\x03" + HISTORIC_CAPTURE)[0].address == "021528603314"
    assert len(decoder._group) <= 128


@pytest.mark.parametrize(
    ("field", "expected_utc", "degraded"),
    [
        ("H081225223518", datetime(2008, 12, 25, 21, 35, 18, tzinfo=UTC), False),
        ("E090714074553", datetime(2009, 7, 14, 5, 45, 53, tzinfo=UTC), False),
        ("e090714074553", datetime(2009, 7, 14, 5, 45, 53, tzinfo=UTC), True),
        ("h081225223518", datetime(2008, 12, 25, 21, 35, 18, tzinfo=UTC), True),
        # Autumn change: 02:30 happens twice; the season letter says which.
        ("E251026023000", datetime(2025, 10, 26, 0, 30, tzinfo=UTC), False),
        ("H251026023000", datetime(2025, 10, 26, 1, 30, tzinfo=UTC), False),
        # Season not applicable: wall-clock time in Europe/Paris.
        (" 200214060000", datetime(2020, 2, 14, 5, 0, tzinfo=UTC), False),
    ],
)
def test_timestamps(field: str, expected_utc: datetime, degraded: bool) -> None:
    when, is_degraded = parse_timestamp(field)
    assert when is not None
    assert when.astimezone(UTC) == expected_utc
    assert when.tzinfo == PARIS
    assert is_degraded is degraded


@pytest.mark.parametrize(
    "field", ["             ", "X081225223518", "H081325223518", "H0812252235", ""]
)
def test_invalid_timestamps(field: str) -> None:
    assert parse_timestamp(field) == (None, False)


def test_degraded_clock_flag_reaches_the_group() -> None:
    got = FrameDecoder(Mode.STANDARD).feed(
        frame(sgroup("SMAXSN", "05120", "e260715183000"))
    )[0]
    group = got.groups["SMAXSN"]
    assert group.clock_degraded
    assert group.timestamp == datetime(2026, 7, 15, 16, 30, tzinfo=UTC)


def test_short_frame_is_flagged() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    short = frame(
        hgroup("ADIR1", "063"),
        hgroup("ADCO", "042276123456"),
        hgroup("IINST1", "063"),
        hgroup("IINST2", "010"),
        hgroup("IINST3", "005"),
    )
    long_frame = frame(hgroup("ADCO", "042276123456"), hgroup("PTEC", "TH.."))
    got = decoder.feed(short + long_frame)
    assert [f.short for f in got] == [True, False]


def test_counters_as_dict() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    decoder.feed(HISTORIC_CAPTURE)
    data = decoder.counters.as_dict()
    assert data["frames"] == 1
    assert data["groups"] == 8
    assert data["bytes"] == len(HISTORIC_CAPTURE)
    assert set(data) >= {"checksum_errors", "interrupted", "resyncs"}


@pytest.mark.parametrize(
    ("mode", "group"),
    [
        (Mode.HISTORIC, b"\nAB\r"),  # too short
        (Mode.HISTORIC, b"\nPAPP00180 *\r"),  # no separator between label and data
        (Mode.HISTORIC, b"\nPAPP\t00180 *\r"),  # mixed separators
        (Mode.STANDARD, b"\nA\tB\tC\tD\tE\r"),  # too many fields
        (Mode.STANDARD, b"\nPA PP\t001\tE\r"),  # space in the label
        (Mode.STANDARD, b"\n\t001\tE\r"),  # empty label
    ],
)
def test_malformed_groups(mode: Mode, group: bytes) -> None:
    decoder = FrameDecoder(mode)
    assert decoder.feed(b"\x02" + group + b"\x03") == []
    assert decoder.counters.malformed_groups == 1


def test_control_bytes_outside_a_frame_are_skipped() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\x03\x04\n\r") == []
    assert decoder.counters.skipped_bytes == 4
    assert decoder.counters.interrupted == 0


def test_bad_group_split_across_chunks_stays_dropped() -> None:
    decoder = FrameDecoder(Mode.HISTORIC)
    decoder.feed(b"\x02\nPAPP \x01")
    decoder.feed(b"00180 *")
    got = decoder.feed(b"\r" + hgroup("IINST", "001") + b"\x03")
    assert list(got[0].groups) == ["IINST"]
    assert decoder.counters.invalid_bytes == 1
    assert got[0].errors == 1


def test_encode_group_matches_the_hand_made_one() -> None:
    assert encode_group("PAPP", "00180", Mode.HISTORIC) == hgroup("PAPP", "00180")
    assert encode_group("SMAXSN", "05120", Mode.STANDARD, "E260715183000") == sgroup(
        "SMAXSN", "05120", "E260715183000"
    )
