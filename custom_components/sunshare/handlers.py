"""Import every kind's Home Assistant adapter so that each registers its handler.

One line per kind; a kind whose adapter is not written yet is simply absent, and the config
flow menu does not offer it.
"""

from __future__ import annotations

from .buzzer import handler as buzzer  # noqa: F401
from .enedis_data import handler as enedis_data  # noqa: F401
from .game_link import handler as game_link  # noqa: F401
from .linky import handler as linky  # noqa: F401
from .pulse_meter import handler as pulse_meter  # noqa: F401
from .relay import handler as relay  # noqa: F401
