"""Import every kind's Home Assistant adapter so that each registers its handler.

One line per kind; a kind whose adapter is not written yet is simply absent, and the config
flow menu does not offer it.
"""

from __future__ import annotations
