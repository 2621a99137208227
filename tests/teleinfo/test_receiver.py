"""Mode detection and re-detection (sans-I/O receiver), time driven explicitly."""

from __future__ import annotations

import random

from custom_components.sunshare.teleinfo import Mode, TeleinfoReceiver

from .helpers import HISTORIC_CAPTURE, frame, hgroup, sgroup

STANDARD_FRAME = frame(
    sgroup("ADSC", "042264123456"),
    sgroup("VTIC", "02"),
    sgroup("DATE", "", "H261123210000"),
    sgroup("EAST", "012345678"),
    sgroup("SINSTS", "00420"),
)


def noise(size: int, seed: int = 1) -> bytes:
    """Return what a wrong baud rate looks like: random bytes."""
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


def test_auto_detects_historic() -> None:
    receiver = TeleinfoReceiver(None)
    assert receiver.detected_mode is None
    assert receiver.baudrate == 1200
    frames = receiver.feed(HISTORIC_CAPTURE, 0.0)
    assert [f.mode for f in frames] == [Mode.HISTORIC]
    assert receiver.detected_mode is Mode.HISTORIC
    assert receiver.tick(0.1) is False
    assert receiver.counters.frames == 1
    assert receiver.counters.mode_changes == 1


def test_auto_detects_standard_on_content_and_asks_for_9600() -> None:
    # Through a pty the bytes arrive intact at "1200 Bd": the content decides.
    receiver = TeleinfoReceiver(None)
    frames = receiver.feed(b"\x13junk" + STANDARD_FRAME, 0.0)
    assert frames[0].groups["SINSTS"].value == "00420"
    assert receiver.detected_mode is Mode.STANDARD
    assert receiver.baudrate == 9600
    assert receiver.tick(0.1) is True  # reopen at 9600
    assert receiver.tick(0.2) is False
    assert receiver.feed(STANDARD_FRAME, 1.0) != []


def test_frames_split_across_chunks_are_kept_while_detecting() -> None:
    receiver = TeleinfoReceiver(None)
    half = len(STANDARD_FRAME) // 2
    assert receiver.feed(STANDARD_FRAME[:half], 0.0) == []
    assert len(receiver.feed(STANDARD_FRAME[half:], 0.5)) == 1


def test_wrong_baud_rate_alternates_until_it_decodes() -> None:
    receiver = TeleinfoReceiver(None, detect_window=6.0)
    now = 0.0
    for _ in range(5):
        receiver.feed(noise(120, int(now)), now)
        assert receiver.tick(now) is False
        now += 1.0
    receiver.feed(noise(120, 9), now)
    assert receiver.tick(6.0) is True
    assert receiver.baudrate == 9600
    receiver.feed(noise(120, 10), 7.0)
    assert receiver.tick(11.0) is False
    assert receiver.tick(12.0) is True
    assert receiver.baudrate == 1200
    assert receiver.detected_mode is None
    assert receiver.counters.frames == 0
    assert receiver.counters.bytes == 7 * 120


def test_silent_line_never_switches() -> None:
    receiver = TeleinfoReceiver(None)
    assert receiver.tick(0.0) is False
    assert receiver.tick(1000.0) is False
    assert receiver.baudrate == 1200


def test_redetects_after_a_mode_switch() -> None:
    receiver = TeleinfoReceiver(None, redetect_after=15.0, detect_window=6.0)
    now = 0.0
    while now < 10.0:
        assert receiver.feed(HISTORIC_CAPTURE, now)
        assert receiver.tick(now) is False
        now += 2.0
    assert receiver.detected_mode is Mode.HISTORIC
    # Enedis reprograms the meter: the line now carries standard frames. On a real
    # line at 1200 Bd they would be noise; here they arrive intact but do not decode
    # as historic either.
    switched = False
    while not switched:
        receiver.feed(noise(900, int(now)), now)
        switched = receiver.tick(now)
        now += 1.0
        assert now < 40.0
    assert now - 1.0 >= 8.0 + 15.0
    assert receiver.detected_mode is None
    assert receiver.baudrate == 9600
    assert receiver.counters.redetections == 1
    frames = receiver.feed(STANDARD_FRAME, now)
    assert [f.mode for f in frames] == [Mode.STANDARD]
    assert receiver.detected_mode is Mode.STANDARD
    assert receiver.tick(now) is False  # already at 9600
    counters = receiver.counters
    assert counters.mode_changes == 2
    assert counters.frames == 6


def test_fixed_mode_never_switches() -> None:
    receiver = TeleinfoReceiver(Mode.HISTORIC)
    assert receiver.detected_mode is Mode.HISTORIC
    for second in range(60):
        assert receiver.feed(STANDARD_FRAME, float(second)) == []
        assert receiver.tick(float(second)) is False
    assert receiver.baudrate == 1200
    assert receiver.counters.malformed_groups == 5 * 60


def test_single_valid_group_of_noise_does_not_settle_the_mode() -> None:
    receiver = TeleinfoReceiver(None)
    lone = frame(hgroup("PAPP", "00180"))
    assert receiver.feed(lone, 0.0) == []
    assert receiver.detected_mode is None
    # The frames held while detecting come out with the one that settles it.
    frames = receiver.feed(HISTORIC_CAPTURE, 1.0)
    assert len(frames) == 2
    assert receiver.counters.frames == 2


def test_line_reopened_forgets_the_partial_frame() -> None:
    receiver = TeleinfoReceiver(None)
    assert receiver.feed(b"", 0.0) == []
    receiver.feed(HISTORIC_CAPTURE + HISTORIC_CAPTURE[:30], 0.0)
    receiver.line_reopened()
    # Without the reset, the old partial frame would swallow this frame's start.
    assert len(receiver.feed(HISTORIC_CAPTURE[30:] + HISTORIC_CAPTURE, 1.0)) == 1
    detecting = TeleinfoReceiver(None)
    detecting.feed(HISTORIC_CAPTURE[:30], 0.0)
    detecting.line_reopened()
    assert detecting.feed(HISTORIC_CAPTURE[30:], 0.5) == []
