"""Linky meter simulator: realistic TIC frames, fault injection, pty and TCP servers.

:class:`Simulator` builds frames (``next_frame() -> bytes``) of a chosen mode and
profile with correct checksums, evolving power and indexes on a simulated clock that
advances at the real cadence of the line (a frame's bytes at 1200 or 9600 Bd plus the
inter-frame silence). Faults can be injected on purpose: bad checksums, truncated frames,
interrupted frames (EOT), garbage between frames, a switch to the other mode, a
three-phase overload (short frames). :class:`PtyServer` and :class:`TcpServer` send the
frames on a pseudo-terminal or a local TCP port, in real time or ``speed`` times faster;
:meth:`~_Server.pause` and :meth:`~_Server.resume` silence the line as an unplugged
meter would (the command line's ``simulate`` maps them to SIGUSR1 and SIGUSR2).
A producer's solar output follows the sun at Nantes (:func:`solar_production_w`): none
at night, short winter days, long summer ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import math
import os
import random
import signal
import termios
import tty
from typing import Final

from .decoder import encode_group
from .models import BAUDRATES, PARIS, Mode, TempoColor

INTER_FRAME_SILENCE: Final = 0.025
"""Seconds of silence between two frames (16.7 to 33.4 ms on a real meter)."""
_COLOR_CODE: Final = {
    TempoColor.NONE: "B",
    TempoColor.BLUE: "B",
    TempoColor.WHITE: "W",
    TempoColor.RED: "R",
}
_COLOR_WORD: Final = {
    TempoColor.NONE: "BLEU",
    TempoColor.BLUE: "BLEU",
    TempoColor.WHITE: "BLANC",
    TempoColor.RED: "ROUGE",
}
_GARBAGE: Final = bytes(b for b in range(256) if (b & 0x7F) not in b"\x02\x03\x04\n\r")
"""Bytes used as line noise: anything but STX, ETX, EOT, LF and CR (after masking)."""


class Profile(StrEnum):
    """Kind of installation simulated."""

    BASE = "base"
    HCHP = "hchp"
    TEMPO = "tempo"
    PRODUCER = "producer"
    THREE_PHASE = "three-phase"


PROFILE_NAMES: Final = tuple(profile.value for profile in Profile)
"""Names of the profiles, as the command lines and benchmarks accept them."""
MODE_NAMES: Final = tuple(mode.value for mode in Mode)
"""Names of the TIC modes a simulated meter can send."""


def parse_profile(value: Profile | str) -> Profile:
    """Return the profile named ``value``, or raise ValueError listing the valid ones."""
    try:
        return Profile(value)
    except ValueError:
        raise ValueError(
            f"unknown profile {value!r}; valid profiles: {', '.join(PROFILE_NAMES)}"
        ) from None


def parse_mode(value: Mode | str) -> Mode:
    """Return the TIC mode named ``value``, or raise ValueError listing the valid ones."""
    try:
        return Mode(value)
    except ValueError:
        raise ValueError(
            f"unknown mode {value!r}; valid modes: {', '.join(MODE_NAMES)}"
        ) from None


@dataclass(slots=True)
class Faults:
    """Faults to inject, as probabilities (0 to 1) unless stated."""

    bad_checksum: float = 0.0
    """Per group: send a wrong checksum character."""
    truncated: float = 0.0
    """Per frame: cut the frame before its ETX (the next STX resynchronises)."""
    interrupted: float = 0.0
    """Per frame: cut the frame and send EOT."""
    garbage: float = 0.0
    """Per frame: send 1-64 bytes of noise before the frame."""
    switch_after: int | None = None
    """Switch to the other mode after this many frames (Enedis reprogramming)."""
    overload: bool = False
    """Three-phase historic: phase 1 over its setting, 20 short frames per long one."""


@dataclass(slots=True)
class Injected:
    """Faults actually injected so far (to compare with a decoder's counters)."""

    bad_checksums: int = 0
    truncated: int = 0
    interrupted: int = 0
    garbage_frames: int = 0
    garbage_bytes: int = 0
    mode_switches: int = 0
    short_frames: int = 0


@dataclass(slots=True)
class _Energy:
    """Index accumulators in Wh (floats, sent rounded down)."""

    registers: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, wh: float) -> None:
        """Add energy to a register."""
        self.registers[name] = self.registers.get(name, 0.0) + wh

    def get(self, name: str) -> int:
        """Return a register in whole Wh."""
        return int(self.registers.get(name, 0.0))


def _tempo_color(day: datetime) -> TempoColor:
    """Return a deterministic Tempo colour for a day (about 300 blue, 43 white, 22 red)."""
    value = (day.toordinal() * 2654435761) % 365
    if value < 22 and day.month in (11, 12, 1, 2, 3) and day.weekday() < 5:
        return TempoColor.RED
    if value < 65 and day.weekday() != 6:
        return TempoColor.WHITE
    return TempoColor.BLUE


def _season(moment: datetime) -> str:
    """Return E (summer time) or H (winter time) for a Paris datetime."""
    offset = moment.utcoffset()
    return "E" if offset is not None and offset > timedelta(hours=1) else "H"


SOLAR_PEAK_W: Final = 3000.0
"""Output of the simulated producer's panels at a midsummer noon, in W."""
_LATITUDE: Final = math.radians(47.2)
_LONGITUDE_DEG: Final = -1.55
"""Nantes: where the simulated panels are (and the demo's Home Assistant)."""
_TILT_MAX: Final = math.radians(23.44)


def solar_production_w(moment: datetime, peak_w: float = SOLAR_PEAK_W) -> float:
    """Return the solar panels' output in W at ``moment`` (clear sky, Nantes).

    Sunrise and sunset come from the sun's declination on that day (about 08:50 to
    17:20 in December, 06:10 to 22:00 in June, Paris time); the output is a bell
    between them whose height follows the sun's height at noon.
    """
    utc = moment.astimezone(PARIS).utcoffset() or timedelta(0)
    day = moment.astimezone(PARIS).timetuple().tm_yday
    declination = _TILT_MAX * math.sin(2 * math.pi * (284 + day) / 365)
    cos_hour = -math.tan(_LATITUDE) * math.tan(declination)
    half_day_h = math.degrees(math.acos(max(-1.0, min(1.0, cos_hour)))) / 15
    # Solar noon on the local clock: 12:00 UTC, shifted by the longitude.
    noon_h = 12.0 - _LONGITUDE_DEG / 15 + utc.total_seconds() / 3600
    local = moment.astimezone(PARIS)
    hour = local.hour + local.minute / 60 + local.second / 3600
    position = (hour - (noon_h - half_day_h)) / (2 * half_day_h)
    if not 0.0 < position < 1.0:
        return 0.0
    height = math.sin(math.pi / 2 - _LATITUDE + declination)
    summer = math.sin(math.pi / 2 - _LATITUDE + _TILT_MAX)
    return peak_w * height / summer * math.sin(math.pi * position) ** 2


def format_timestamp(moment: datetime) -> str:
    """Return a ``SAAMMJJhhmmss`` timestamp for an aware datetime."""
    local = moment.astimezone(PARIS)
    return _season(local) + local.strftime("%y%m%d%H%M%S")


class Simulator:
    """Generate the frames of a simulated Linky meter."""

    def __init__(
        self,
        mode: Mode | str = Mode.STANDARD,
        profile: Profile | str = Profile.BASE,
        *,
        seed: int | None = None,
        faults: Faults | None = None,
        start: datetime | None = None,
        address: str | None = None,
        prm: str | None = None,
    ) -> None:
        """Create a meter; ``start`` is its clock's first reading (default: now).

        ``address`` (ADSC/ADCO) and ``prm`` (the meter's 14-digit PRM) are random
        unless given.

        An unknown ``mode`` or ``profile`` raises ValueError naming the valid ones.
        """
        self.mode = parse_mode(mode)
        self.profile = parse_profile(profile)
        self.faults = faults if faults is not None else Faults()
        self.injected = Injected()
        self.random = random.Random(seed)
        self.clock = (
            (start or datetime.now(PARIS)).astimezone(PARIS).replace(microsecond=0)
        )
        self.three_phase = self.profile is Profile.THREE_PHASE
        self.producer = self.profile is Profile.PRODUCER
        type_code = "76" if self.three_phase else "64"
        self.address = address or f"0422{type_code}{self.random.randrange(10**6):06d}"
        random_prm = f"{self.random.randrange(10**14):014d}"
        self.prm = prm or random_prm
        self.frames_sent = 0
        self._short_left = 0
        self._energy = _Energy()
        self._load = 600.0
        self._day_max: dict[str, tuple[int, datetime]] = {}
        self._yesterday_max: dict[str, tuple[int, datetime]] = {}
        self._day = self.clock.date()
        self._last_interval = 1.0
        self._voltage_period: datetime | None = None
        self._voltage_sums: list[int] = []
        self._voltage_count = 0
        self._voltage_means: list[int] | None = None
        for register, start_wh in (
            ("BASE", 12_345_678),
            ("HC", 8_123_456),
            ("HP", 6_234_567),
            ("INJ", 1_234_567),
            ("HCJB", 3_456_789),
            ("HPJB", 4_567_890),
            ("HCJW", 456_789),
            ("HPJW", 567_890),
            ("HCJR", 123_456),
            ("HPJR", 234_567),
        ):
            self._energy.add(register, float(start_wh))

    # ------------------------------------------------------------------ physics
    @property
    def pref_kva(self) -> int:
        """Return the subscribed power in kVA."""
        return 12 if self.three_phase else 9

    def _production(self) -> float:
        """Return the solar production in W at the simulated time (producer only)."""
        if not self.producer:
            return 0.0
        return solar_production_w(self.clock)

    def _step_load(self) -> None:
        """Move the household load by a random walk with occasional appliances."""
        self._load += self.random.gauss(0.0, 40.0)
        if self.random.random() < 0.02:
            self._load += self.random.choice((-1500.0, 1500.0, 2000.0, -2000.0))
        limit = self.pref_kva * 1000.0 * (1.2 if self.faults.overload else 0.9)
        self._load = min(max(self._load, 150.0), limit)
        if self.faults.overload:
            self._load = max(self._load, self.pref_kva * 1000.0 * 1.05)

    def _color(self, day: datetime) -> TempoColor:
        """Return the Tempo colour of a day (Tempo days run 06:00 to 06:00)."""
        return _tempo_color(day - timedelta(hours=6))

    def _off_peak(self) -> bool:
        """Return whether the simulated time is in off-peak hours (22:00-06:00)."""
        return self.clock.hour >= 22 or self.clock.hour < 6

    def _advance(self, seconds: float) -> None:
        """Advance the simulated clock and integrate energy over the interval."""
        self._step_load()
        net = self._load - self._production()
        hours = seconds / 3600.0
        if net >= 0:
            self._energy.add("BASE", net * hours)
            if self.profile in (Profile.HCHP, Profile.TEMPO):
                self._energy.add(self._register(), net * hours)
        else:
            self._energy.add("INJ", -net * hours)
        self.clock += timedelta(seconds=seconds)
        if self.clock.date() != self._day:
            self._day = self.clock.date()
            self._yesterday_max = self._day_max
            self._day_max = {}

    def _register(self) -> str:
        """Return the register counting now (HC/HP, or the Tempo one)."""
        period = "HC" if self._off_peak() else "HP"
        if self.profile is not Profile.TEMPO:
            return period
        return period + "J" + _COLOR_CODE[self._color(self.clock)]

    def _track_max(self, name: str, value: int) -> tuple[int, datetime]:
        """Record a daily maximum and return it with its time."""
        best = self._day_max.get(name)
        if best is None or value > best[0]:
            best = (value, self.clock)
            self._day_max[name] = best
        return best

    # ------------------------------------------------------------------ frames
    def next_frame(self) -> bytes:
        """Return the next frame's bytes as sent on the line (faults included)."""
        faults = self.faults
        if faults.switch_after is not None and self.frames_sent == faults.switch_after:
            self.mode = Mode.STANDARD if self.mode is Mode.HISTORIC else Mode.HISTORIC
            self.injected.mode_switches += 1
        self._advance(self._last_interval)
        groups = self._groups()
        rng = self.random
        truncated = rng.random() < faults.truncated
        interrupted = not truncated and rng.random() < faults.interrupted
        encoded = [self._encode(label, value, stamp) for label, value, stamp in groups]
        if not truncated and not interrupted and faults.bad_checksum > 0:
            encoded = [self._corrupt(group) for group in encoded]
        body = b"".join(encoded)
        if truncated or interrupted:
            cut = rng.randrange(1, max(2, len(body)))
            frame = b"\x02" + body[:cut] + (b"\x04" if interrupted else b"")
            if truncated:
                self.injected.truncated += 1
            else:
                self.injected.interrupted += 1
        else:
            frame = b"\x02" + body + b"\x03"
        if rng.random() < faults.garbage:
            noise = bytes(rng.choice(_GARBAGE) for _ in range(rng.randint(1, 64)))
            frame = noise + frame
            self.injected.garbage_frames += 1
            self.injected.garbage_bytes += len(noise)
        self.frames_sent += 1
        self._last_interval = self.line_seconds(len(frame)) + INTER_FRAME_SILENCE
        return frame

    def line_seconds(self, size: int) -> float:
        """Return how long ``size`` bytes take on the line (10 bits per character)."""
        return size * 10 / BAUDRATES[self.mode]

    @property
    def interval(self) -> float:
        """Return the real time between the starts of the last two frames (seconds)."""
        return self._last_interval

    def _encode(self, label: str, value: str, stamp: str | None) -> bytes:
        """Encode one group in the current mode."""
        return encode_group(label, value, self.mode, stamp)

    def _corrupt(self, group: bytes) -> bytes:
        """Replace a group's checksum by a wrong one, with the configured probability."""
        if self.random.random() >= self.faults.bad_checksum:
            return group
        good = group[-2]
        wrong = (good - 0x20 + self.random.randint(1, 63)) % 64 + 0x20
        self.injected.bad_checksums += 1
        return group[:-2] + bytes([wrong]) + group[-1:]

    def _groups(self) -> list[tuple[str, str, str | None]]:
        """Return the (label, value, timestamp) groups of the next frame."""
        if self.mode is Mode.HISTORIC:
            return self._historic()
        return self._standard()

    def _currents(self, apparent: float) -> list[int]:
        """Return the RMS current of each phase for an apparent power."""
        if not self.three_phase:
            return [round(apparent / 230.0)]
        shares = (0.5, 0.3, 0.2)
        return [round(apparent * share / 230.0) for share in shares]

    def _historic(self) -> list[tuple[str, str, str | None]]:
        """Return the groups of a historic frame."""
        drawn = max(self._load - self._production(), 0.0)
        papp = int(round(drawn / 10.0) * 10)
        currents = self._currents(drawn)
        if self.three_phase and self.faults.overload:
            if self._short_left > 0:
                self._short_left -= 1
                self.injected.short_frames += 1
                return [
                    ("ADIR1", f"{currents[0]:03d}", None),
                    ("ADCO", self.address, None),
                    *(
                        (f"IINST{n}", f"{i:03d}", None)
                        for n, i in enumerate(currents, 1)
                    ),
                ]
            self._short_left = 20
        groups: list[tuple[str, str, str | None]] = [("ADCO", self.address, None)]
        off = self._off_peak()
        if self.profile is Profile.HCHP:
            groups += [
                ("OPTARIF", "HC..", None),
                ("ISOUSC", "45", None),
                ("HCHC", f"{self._energy.get('HC'):09d}", None),
                ("HCHP", f"{self._energy.get('HP'):09d}", None),
                ("PTEC", "HC.." if off else "HP..", None),
            ]
        elif self.profile is Profile.TEMPO:
            color = self._color(self.clock)
            tomorrow = self._color(self.clock + timedelta(days=1))
            code = _COLOR_CODE[color]
            demain = _COLOR_WORD[tomorrow][:4] if self.clock.hour >= 20 else "----"
            groups += [("OPTARIF", "BBR(", None), ("ISOUSC", "45", None)]
            groups += [
                (f"BBR{p}J{c}", f"{self._energy.get(f'{p}J{c}'):09d}", None)
                for c in "BWR"
                for p in ("HC", "HP")
            ]
            groups += [
                ("PTEC", f"{'HC' if off else 'HP'}J{code}", None),
                ("DEMAIN", demain, None),
            ]
        else:
            groups += [
                ("OPTARIF", "BASE", None),
                ("ISOUSC", "20" if self.three_phase else "45", None),
                ("BASE", f"{self._energy.get('BASE'):09d}", None),
                ("PTEC", "TH..", None),
            ]
        if self.three_phase:
            groups += [
                (f"IINST{n}", f"{i:03d}", None) for n, i in enumerate(currents, 1)
            ]
            groups += [(f"IMAX{n}", "060", None) for n in (1, 2, 3)]
            groups += [
                ("PMAX", f"{self._track_max('PMAX', papp)[0]:05d}", None),
                ("PAPP", f"{papp:05d}", None),
                ("HHPHC", "A", None),
                ("MOTDETAT", "000000", None),
                ("PPOT", "00", None),
            ]
            return groups
        groups.append(("IINST", f"{currents[0]:03d}", None))
        if currents[0] > 45:
            groups.append(("ADPS", f"{currents[0]:03d}", None))
        groups += [
            ("IMAX", "090", None),
            ("PAPP", f"{papp:05d}", None),
            ("HHPHC", "A", None),
            ("MOTDETAT", "000000", None),
        ]
        return groups

    def _standard(self) -> list[tuple[str, str, str | None]]:
        """Return the groups of a standard frame."""
        stamp = format_timestamp(self.clock)
        production = self._production()
        net = self._load - production
        drawn = max(net, 0.0)
        injected = max(-net, 0.0)
        sinsts = int(drawn)
        off = self._off_peak()
        supplier_index = 1
        ngtf, ltarf = "BASE", "BASE"
        color = self._color(self.clock)
        tomorrow = self._color(self.clock + timedelta(days=1))
        indexes = [self._energy.get("BASE")] + [0] * 9
        if self.profile is Profile.HCHP:
            ngtf = "H PLEINE/CREUSE"
            ltarf = "HEURE CREUSE" if off else "HEURE PLEINE"
            supplier_index = 1 if off else 2
            indexes = [self._energy.get("HC"), self._energy.get("HP")] + [0] * 8
        elif self.profile is Profile.TEMPO:
            ngtf = "TEMPO"
            names = [f"{p}J{c}" for c in "BWR" for p in ("HC", "HP")]
            period = "HC" if off else "HP"
            ltarf = f"{period}  {_COLOR_WORD[color]}"
            supplier_index = names.index(f"{period}J{_COLOR_CODE[color]}") + 1
            indexes = [self._energy.get(n) for n in names] + [0] * 4
        groups: list[tuple[str, str, str | None]] = [
            ("ADSC", self.address, None),
            ("VTIC", "02", None),
            ("DATE", "", stamp),
            ("NGTF", ngtf.center(16), None),
            ("LTARF", ltarf.center(16), None),
            ("EAST", f"{self._energy.get('BASE'):09d}", None),
        ]
        groups += [(f"EASF{n:02d}", f"{v:09d}", None) for n, v in enumerate(indexes, 1)]
        distributor = [self._energy.get("HC"), self._energy.get("HP"), 0, 0]
        if self.profile not in (Profile.HCHP, Profile.TEMPO):
            distributor = [self._energy.get("BASE"), 0, 0, 0]
        groups += [
            (f"EASD{n:02d}", f"{v:09d}", None) for n, v in enumerate(distributor, 1)
        ]
        if self.producer:
            groups.append(("EAIT", f"{self._energy.get('INJ'):09d}", None))
            groups += [
                (f"ERQ{n}", f"{self._energy.get('BASE') // (10 * n):09d}", None)
                for n in (1, 2, 3, 4)
            ]
        phases = (1, 2, 3) if self.three_phase else (1,)
        currents = self._currents(drawn if drawn else injected)
        groups += [(f"IRMS{n}", f"{currents[n - 1]:03d}", None) for n in phases]
        voltages = [230 + self.random.randint(-4, 6) for _ in phases]
        groups += [(f"URMS{n}", f"{voltages[n - 1]:03d}", None) for n in phases]
        groups += [
            ("PREF", f"{self.pref_kva:02d}", None),
            ("PCOUP", f"{self.pref_kva:02d}", None),
            ("SINSTS", f"{sinsts:05d}", None),
        ]
        if self.three_phase:
            shares = (0.5, 0.3, 0.2)
            groups += [
                (f"SINSTS{n}", f"{int(sinsts * shares[n - 1]):05d}", None)
                for n in phases
            ]
        value, when = self._track_max("SMAXSN", sinsts)
        groups.append(("SMAXSN", f"{value:05d}", format_timestamp(when)))
        if self.three_phase:
            for n in phases:
                v, w = self._track_max(
                    f"SMAXSN{n}", int(sinsts * (0.5, 0.3, 0.2)[n - 1])
                )
                groups.append((f"SMAXSN{n}", f"{v:05d}", format_timestamp(w)))
        yesterday = self._yesterday_max.get("SMAXSN", (value, when - timedelta(days=1)))
        groups.append(
            ("SMAXSN-1", f"{yesterday[0]:05d}", format_timestamp(yesterday[1]))
        )
        if self.three_phase:
            for n in phases:
                v, w = self._yesterday_max.get(
                    f"SMAXSN{n}", (value // 3, when - timedelta(days=1))
                )
                groups.append((f"SMAXSN{n}-1", f"{v:05d}", format_timestamp(w)))
        if self.producer:
            sinsti = int(injected)
            v, w = self._track_max("SMAXIN", sinsti)
            groups += [
                ("SINSTI", f"{sinsti:05d}", None),
                ("SMAXIN", f"{v:05d}", format_timestamp(w)),
                ("SMAXIN-1", f"{v:05d}", format_timestamp(w - timedelta(days=1))),
            ]
        curve = self.clock.replace(minute=self.clock.minute // 30 * 30, second=0)
        groups += [
            ("CCASN", f"{int(drawn):05d}", format_timestamp(curve)),
            (
                "CCASN-1",
                f"{int(drawn * 0.9):05d}",
                format_timestamp(curve - timedelta(minutes=30)),
            ),
        ]
        if self.producer:
            groups += [
                ("CCAIN", f"{int(injected):05d}", format_timestamp(curve)),
                (
                    "CCAIN-1",
                    f"{int(injected * 0.9):05d}",
                    format_timestamp(curve - timedelta(minutes=30)),
                ),
            ]
        mean = self.clock.replace(minute=self.clock.minute // 10 * 10, second=0)
        averages = self._mean_voltages(mean, voltages)
        groups += [
            (f"UMOY{n}", f"{averages[n - 1]:03d}", format_timestamp(mean))
            for n in phases
        ]
        stge = self._stge(supplier_index, sinsts, injected > 0, color, tomorrow)
        groups.append(("STGE", f"{stge:08X}", None))
        if self.profile is Profile.TEMPO and color is not TempoColor.BLUE:
            start = self.clock.replace(hour=6, minute=0, second=0)
            if self.clock.hour < 6:
                start -= timedelta(days=1)
            end = start + timedelta(days=1)
            groups += [
                ("DPM1", "00", format_timestamp(start)),
                ("FPM1", "00", format_timestamp(end)),
            ]
        groups += [
            ("MSG1", "PAS DE          MESSAGE         ", None),
            ("PRM", self.prm, None),
            ("RELAIS", "001" if off else "000", None),
            ("NTARF", f"{supplier_index:02d}", None),
            ("NJOURF", "00", None),
            ("NJOURF+1", "00", None),
            ("PJOURF+1", self._schedule(), None),
        ]
        if self.profile is Profile.TEMPO:
            groups.append(("PPOINTE", self._schedule(peak=True), None))
        return groups

    def _schedule(self, *, peak: bool = False) -> str:
        """Return a PJOURF+1/PPOINTE day profile (11 blocks)."""
        if self.profile is Profile.HCHP or self.profile is Profile.TEMPO:
            first, second = (0x4003, 0x0004) if peak else (0x4001, 0x0002)
            blocks = [f"0000{first:04X}", f"0600{second:04X}", f"2200{first:04X}"]
        else:
            blocks = ["00004001"]
        blocks += ["NONUTILE"] * (11 - len(blocks))
        return " ".join(blocks)

    def _mean_voltages(self, period: datetime, voltages: list[int]) -> list[int]:
        """Return UMOY: the mean voltages of the last complete 10-minute period.

        Like a real meter, the value only changes when a period ends; before the first
        one ends, the current voltages stand in.
        """
        period = period.replace(microsecond=0)
        if period != self._voltage_period:
            if self._voltage_count:
                self._voltage_means = [
                    round(total / self._voltage_count) for total in self._voltage_sums
                ]
            self._voltage_period = period
            self._voltage_sums = [0] * len(voltages)
            self._voltage_count = 0
        self._voltage_sums = [
            total + volts
            for total, volts in zip(self._voltage_sums, voltages, strict=True)
        ]
        self._voltage_count += 1
        return self._voltage_means or voltages

    def _stge(
        self,
        supplier_index: int,
        sinsts: int,
        injecting: bool,
        color: TempoColor,
        tomorrow: TempoColor,
    ) -> int:
        """Return the STGE register for the current state."""
        colors = {
            TempoColor.NONE: 0,
            TempoColor.BLUE: 1,
            TempoColor.WHITE: 2,
            TempoColor.RED: 3,
        }
        word = 1 << 17  # standard TIC
        word |= (supplier_index - 1) << 10
        word |= 3 << 19  # Euridis on with security
        word |= 2 << 21  # CPL registered
        word |= 1 << 23  # CPL synchronised
        if sinsts > self.pref_kva * 1000:
            word |= 1 << 7
        if self.producer:
            word |= 1 << 8
        if injecting:
            word |= 1 << 9
        if self.profile is Profile.TEMPO:
            word |= colors[color] << 24
            if self.clock.hour >= 20:
                word |= colors[tomorrow] << 26
            if tomorrow is not TempoColor.BLUE and self.clock.hour >= 20:
                word |= 1 << 28
            if color is not TempoColor.BLUE:
                word |= 1 << 30
        return word


# ---------------------------------------------------------------------- servers
class _Server:
    """Send a simulator's frames at its cadence (or ``speed`` times faster)."""

    def __init__(
        self,
        simulator: Simulator,
        *,
        speed: float = 1.0,
        frames: int | None = None,
    ) -> None:
        """Prepare to send ``frames`` frames (None: until stopped)."""
        self.simulator = simulator
        self.speed = speed
        self.frames = frames
        self.sent = 0
        self.dropped_bytes = 0
        self.paused = False
        """Whether the line is silent (an unplugged meter); see :meth:`pause`."""
        self.silenced_frames = 0
        """Frames the meter made while paused (measured but never sent)."""
        self._task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()

    def pause(self) -> None:
        """Stop sending, as if the meter were unplugged; it keeps measuring.

        The simulated clock and indexes go on: after :meth:`resume` the frames carry
        the time and the energy of a meter that never stopped.
        """
        self.paused = True

    def resume(self) -> None:
        """Send frames again (the meter plugged back)."""
        self.paused = False

    async def _run(self) -> None:
        """Emit frames until stopped or ``frames`` were sent."""
        try:
            while self.frames is None or self.sent < self.frames:
                frame = self.simulator.next_frame()
                if self.paused:
                    self.silenced_frames += 1
                else:
                    self._send(frame)
                    self.sent += 1
                await asyncio.sleep(self.simulator.interval / self.speed)
        finally:
            self.done.set()

    def _send(self, frame: bytes) -> None:
        """Write one frame to the line (dropping what the line cannot take)."""
        raise NotImplementedError

    def _start_task(self) -> None:
        """Start the emission task."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _stop_task(self) -> None:
        """Cancel the emission task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class PtyServer(_Server):
    """Serve the frames on a new pseudo-terminal; readers open :attr:`path`."""

    path: str

    async def start(self) -> str:
        """Open the pty (slave in raw mode), start sending; return the slave path."""
        master, slave = os.openpty()
        tty.setraw(slave, termios.TCSANOW)
        os.set_blocking(master, False)
        self._master: int | None = master
        self._slave: int | None = slave
        self.path = os.ttyname(slave)
        self._start_task()
        return self.path

    def _send(self, frame: bytes) -> None:
        """Write without blocking; a line nobody reads drops bytes, as a meter does."""
        if self._master is None:
            return
        try:
            written = os.write(self._master, frame)
        except BlockingIOError:
            written = 0
        except OSError:
            written = 0
        self.dropped_bytes += len(frame) - written

    async def stop(self) -> None:
        """Stop sending and close the pty (readers then get an error or EOF)."""
        await self._stop_task()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None


class TcpServer(_Server):
    """Serve the frames to every client of a TCP port on 127.0.0.1 (raw TIC bytes)."""

    port: int
    MAX_BACKLOG: Final = 64 * 1024
    """Bytes a slow client may lag behind before frames to it are dropped."""

    async def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1 (port 0: any free port), start sending; return the port."""
        self._clients: set[asyncio.StreamWriter] = set()
        self._server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._start_task()
        return self.port

    @property
    def url(self) -> str:
        """Return the serial URL of this server (``socket://127.0.0.1:PORT``)."""
        return f"socket://127.0.0.1:{self.port}"

    @property
    def clients(self) -> int:
        """Return the number of connected clients."""
        return len(self._clients)

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Register a client until it disconnects."""
        self._clients.add(writer)
        try:
            while await reader.read(1024):
                pass  # a meter ignores what it receives
        except ConnectionError:
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    def _send(self, frame: bytes) -> None:
        """Send a frame to every client that keeps up."""
        for writer in list(self._clients):
            if writer.is_closing():
                self._clients.discard(writer)
            elif writer.transport.get_write_buffer_size() > self.MAX_BACKLOG:
                self.dropped_bytes += len(frame)
            else:
                writer.write(frame)

    async def disconnect_clients(self) -> None:
        """Close every client connection (the server keeps listening)."""
        for writer in list(self._clients):
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        self._clients.clear()

    async def stop(self) -> None:
        """Stop sending, close the clients and stop listening."""
        await self._stop_task()
        self._server.close()
        await self.disconnect_clients()
        await self._server.wait_closed()


async def serve(
    simulator: Simulator,
    *,
    tcp_port: int | None = None,
    speed: float = 1.0,
    frames: int | None = None,
    announce: Callable[[str], None] = print,
    pause_signals: bool = False,
) -> None:
    """Serve a simulator on a pty (default) or a TCP port until cancelled or done.

    With ``pause_signals`` (the command line), SIGUSR1 silences the line as an
    unplugged meter would and SIGUSR2 resumes it; each change is announced
    (``paused`` / ``resumed``).
    """
    server: PtyServer | TcpServer
    if tcp_port is not None:
        server = TcpServer(simulator, speed=speed, frames=frames)
    else:
        server = PtyServer(simulator, speed=speed, frames=frames)
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    # Before the announce: whoever reads it may signal at once.
    if pause_signals:
        for number, action, word in (
            (signal.SIGUSR1, server.pause, "paused"),
            (signal.SIGUSR2, server.resume, "resumed"),
        ):

            def change(action: Callable[[], None] = action, word: str = word) -> None:
                """Pause or resume the line and say so."""
                action()
                announce(word)

            loop.add_signal_handler(number, change)
            handled.append(number)
    started = False
    try:
        if isinstance(server, TcpServer):
            port = await server.start(tcp_port or 0)
            started = True
            announce(f"tcp {port} {server.url}")
        else:
            path = await server.start()
            started = True
            announce(f"pty {path}")
        await server.done.wait()
    finally:
        for number in handled:
            loop.remove_signal_handler(number)
        if started:
            await server.stop()
