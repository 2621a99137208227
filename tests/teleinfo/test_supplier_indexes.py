"""Supplier calendars (NGTF) name the supplier indexes (EASFnn) a contract counts into."""

from __future__ import annotations

import pytest

from custom_components.sunshare.teleinfo.tariff import supplier_indexes


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        ("      BASE      ", {1}),
        ("H PLEINE/CREUSE", {1, 2}),
        ("HC/HP", {1, 2}),
        ("HEURES CREUSES", {1, 2}),
        ("     TEMPO      ", {1, 2, 3, 4, 5, 6}),
        ("TEMPO 2024", {1, 2, 3, 4, 5, 6}),
        ("EJP", {1, 2}),
        ("", None),
        ("WEEK-END PLUS", None),
    ],
)
def test_supplier_indexes(calendar: str, expected: set[int] | None) -> None:
    """Known calendars give their indexes; an unknown one gives None."""
    result = supplier_indexes(calendar)
    assert (None if result is None else set(result)) == expected
