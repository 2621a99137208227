"""Tests of the pulse counter on its own: energy, power, decay, missed pulses, restore."""

from __future__ import annotations

from custom_components.sunshare.gpio import EdgeEvent
from custom_components.sunshare.pulse_meter.meter import PulseMeter

S = 1_000_000_000


def _pulse(seqno: int, at_s: float) -> EdgeEvent:
    """Return the falling edge of a pulse."""
    return EdgeEvent(
        line=17,
        rising=False,
        timestamp_ns=int(at_s * S),
        line_seqno=seqno,
        global_seqno=seqno,
    )


def test_power_needs_two_pulses_then_decays() -> None:
    """Power is unknown after one pulse, measured after two, bounded once they stop."""
    meter = PulseMeter(energy_per_pulse_wh=2.0)
    changes: list[float] = []
    remove = meter.add_listener(lambda: changes.append(meter.energy_wh))
    meter.handle_event(_pulse(1, 0.0), received_at=100.0)
    assert meter.power_w(100.0) is None
    meter.handle_event(_pulse(2, 7.2), received_at=107.2)
    assert meter.power_w(107.2) == 1000.0  # 2 Wh in 7.2 s
    assert meter.power_w(114.0) == 1000.0  # still within the last interval
    assert meter.power_w(127.2) == 360.0  # 2 Wh / 20 s
    assert changes == [2.0, 4.0]
    remove()
    meter.handle_event(_pulse(3, 8.0), received_at=108.0)
    assert changes == [2.0, 4.0]


def test_gap_in_sequence_numbers_counts_missed_pulses() -> None:
    """Missed pulses add energy and spread the interval for power."""
    meter = PulseMeter(energy_per_pulse_wh=1.0)
    meter.handle_event(_pulse(1, 0.0), received_at=0.0)
    meter.handle_event(_pulse(4, 10.8), received_at=10.8)
    assert (meter.pulses, meter.missed, meter.energy_wh) == (4, 2, 4.0)
    assert meter.power_w(10.8) == 1000.0  # 3 pulses over 10.8 s
    # A request whose first event is not number 1 already lost events.
    fresh = PulseMeter(energy_per_pulse_wh=1.0)
    fresh.handle_event(_pulse(3, 0.0), received_at=0.0)
    assert fresh.missed == 2


def test_restore_adds_once_and_set_total_wins() -> None:
    """Restored totals add to pulses seen since start, once; a reading replaces it."""
    meter = PulseMeter(energy_per_pulse_wh=1.0)
    meter.handle_event(_pulse(1, 0.0), received_at=0.0)
    meter.restore(energy_wh=500.0, pulses=500, missed=1)
    meter.restore(energy_wh=500.0, pulses=500, missed=1)
    assert (meter.energy_wh, meter.pulses, meter.missed) == (501.0, 501, 1)
    other = PulseMeter(energy_per_pulse_wh=1.0)
    other.set_total(42_000.0)
    other.restore(energy_wh=500.0, pulses=5, missed=0)
    assert other.energy_wh == 42_000.0
    assert other.as_dict(0.0)["restored"] is True
