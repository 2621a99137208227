"""Linky TIC (télé-information client) protocol library, without Home Assistant.

Decode both modes (historic 1200 Bd, standard 9600 Bd), detect the mode, describe every
label, decode STGE, RELAIS, day profiles and the meter address, and simulate a meter.
"""

from .address import MeterAddress, parse_address
from .decoder import FrameDecoder, checksum, encode_group, parse_group, parse_timestamp
from .labels import LABELS, Kind, LabelInfo, label_info, labels_for
from .models import (
    BAUDRATES,
    MAX_FRAME_BYTES,
    MAX_GROUP_BYTES,
    PARIS,
    Counters,
    Frame,
    Group,
    Mode,
    TempoColor,
)
from .receiver import TeleinfoReceiver
from .stge import CplState, CutOffState, EuridisState, Status, decode_status
from .tariff import (
    Period,
    ScheduleSlot,
    closed_relays,
    current_period,
    parse_schedule,
    period_from_ltarf,
    period_from_ptec,
    tempo_colors,
)

__all__ = [
    "BAUDRATES",
    "LABELS",
    "MAX_FRAME_BYTES",
    "MAX_GROUP_BYTES",
    "PARIS",
    "Counters",
    "CplState",
    "CutOffState",
    "EuridisState",
    "Frame",
    "FrameDecoder",
    "Group",
    "Kind",
    "LabelInfo",
    "MeterAddress",
    "Mode",
    "Period",
    "ScheduleSlot",
    "Status",
    "TeleinfoReceiver",
    "TempoColor",
    "checksum",
    "closed_relays",
    "current_period",
    "decode_status",
    "encode_group",
    "label_info",
    "labels_for",
    "parse_address",
    "parse_group",
    "parse_schedule",
    "parse_timestamp",
    "period_from_ltarf",
    "period_from_ptec",
    "tempo_colors",
]
