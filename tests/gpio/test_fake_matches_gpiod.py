"""The fake gpiod module keeps the real library's names (checked against gpiod 2.5)."""

from __future__ import annotations

import dataclasses
import inspect

import gpiod
from gpiod import line as real_line

from . import fake_gpiod


def test_enums_have_the_library_members() -> None:
    """Every enum of gpiod.line used by the backend has the same members."""
    for name in ("Direction", "Bias", "Drive", "Edge", "Clock", "Value"):
        real = {member.name for member in getattr(real_line, name)}
        fake = {member.name for member in getattr(fake_gpiod, name)}
        assert fake == real, name
    assert {m.name for m in gpiod.EdgeEvent.Type} == {
        m.name for m in fake_gpiod.EdgeEvent.Type
    }


def test_records_have_the_library_fields() -> None:
    """Settings and events have the library's fields; infos a subset of them."""
    fields = lambda cls: {f.name for f in dataclasses.fields(cls)}  # noqa: E731
    assert fields(fake_gpiod.LineSettings) == fields(gpiod.LineSettings)
    assert fields(fake_gpiod.EdgeEvent) == fields(gpiod.EdgeEvent)
    assert fields(fake_gpiod.ChipInfo) == fields(gpiod.ChipInfo)
    assert fields(fake_gpiod.LineInfo) <= fields(gpiod.LineInfo)


def test_methods_have_the_library_signatures() -> None:
    """The methods the backend calls take the library's parameters."""
    for real_cls, fake_cls, methods in (
        (gpiod.Chip, fake_gpiod.Chip, ("get_info", "get_line_info", "request_lines")),
        (
            gpiod.LineRequest,
            fake_gpiod.LineRequest,
            ("read_edge_events", "get_value", "set_value", "release"),
        ),
    ):
        for method in methods:
            real = list(inspect.signature(getattr(real_cls, method)).parameters)
            fake = list(inspect.signature(getattr(fake_cls, method)).parameters)
            assert fake == real, f"{real_cls.__name__}.{method}"
    for prop in ("fd",):
        assert isinstance(getattr(gpiod.LineRequest, prop), property)
        assert isinstance(getattr(fake_gpiod.LineRequest, prop), property)
