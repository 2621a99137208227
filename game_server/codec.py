"""Turn domain models into JSON-ready records and back (storage backends, export file).

A record maps each dataclass field to a JSON value: dates as ``YYYY-MM-DD``, instants as
ISO 8601 strings in UTC, enums as their value, nested dataclasses as records. Decoding is
strict: a missing field without default or a wrong type raises ``CodecError``.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

from game_server import models


class CodecError(ValueError):
    """A record does not match its model."""


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """Return the resolved field types of a dataclass (cached)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls, vars(models))
    return hints


def encode_value(value: Any) -> Any:
    """Return the JSON-ready form of one value."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return to_record(value)
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    raise CodecError(f"cannot encode {type(value).__name__}")


def to_record(obj: Any) -> dict[str, Any]:
    """Return the JSON-ready record of a model instance."""
    return {f.name: encode_value(getattr(obj, f.name)) for f in fields(obj)}


@cache
def _shape(kind: Any) -> tuple[Any, tuple[Any, ...]]:
    """Return a type's origin and arguments (cached: decoding asks for them per value)."""
    return get_origin(kind), get_args(kind)


def _float_list(values: Any, nullable: bool, where: str) -> list[float | None]:
    """Return a list of numbers (or nulls when allowed), checked like ``_decode`` does."""
    if not isinstance(values, list):
        raise CodecError(f"{where}: expected a list")
    result: list[float | None] = []
    for value in values:
        if value is None:
            if not nullable:
                raise CodecError(f"{where}: must not be null")
            result.append(None)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CodecError(f"{where}: expected a number")
        else:
            result.append(float(value))
    return result


_FLOAT_ITEMS = {float: False, float | None: True}


def _decode(kind: Any, value: Any, where: str) -> Any:
    """Return a value decoded to the given type."""
    origin, args = _shape(kind)
    if origin is list and args[0] in _FLOAT_ITEMS:
        # Fast path for half-hour slots (48 numbers a day, the bulk of the data).
        return _float_list(value, _FLOAT_ITEMS[args[0]], where)
    if origin in (Union, types.UnionType):
        options = args
        if value is None:
            if type(None) in options:
                return None
            raise CodecError(f"{where}: must not be null")
        for option in options:
            if option is type(None):
                continue
            return _decode(option, value, where)
    if kind is Any:
        return value
    if origin is list:
        if not isinstance(value, list):
            raise CodecError(f"{where}: expected a list")
        (item_kind,) = args
        return [_decode(item_kind, item, where) for item in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise CodecError(f"{where}: expected an object")
        return dict(value)
    if value is None:
        raise CodecError(f"{where}: must not be null")
    try:
        if isinstance(kind, type) and issubclass(kind, Enum):
            return kind(value)
        # issubclass, not identity: freezegun swaps datetime for a subclass in tests.
        if isinstance(kind, type) and issubclass(kind, datetime):
            parsed = datetime.fromisoformat(str(value))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
        if isinstance(kind, type) and issubclass(kind, date):
            return date.fromisoformat(str(value))
        if kind is bool:
            if isinstance(value, bool):
                return value
            if value in (0, 1):
                return bool(value)
            raise CodecError(f"{where}: expected a boolean")
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CodecError(f"{where}: expected a number")
            return float(value)
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise CodecError(f"{where}: expected an integer")
            return value
        if kind is str:
            if not isinstance(value, str):
                raise CodecError(f"{where}: expected a string")
            return value
        if isinstance(kind, type) and is_dataclass(kind):
            return from_record(kind, value)
    except ValueError as err:
        if isinstance(err, CodecError):
            raise
        raise CodecError(f"{where}: {err}") from err
    raise CodecError(f"{where}: unsupported type {kind!r}")


def from_record[T](cls: type[T], record: dict[str, Any]) -> T:
    """Return the model instance of a record (unknown keys such as ``_id`` ignored)."""
    if not isinstance(record, dict):
        raise CodecError(f"{cls.__name__}: expected an object")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in record:
            if f.default is MISSING and f.default_factory is MISSING:
                raise CodecError(f"{cls.__name__}.{f.name}: missing")
            continue
        values[f.name] = _decode(
            hints[f.name], record[f.name], f"{cls.__name__}.{f.name}"
        )
    return cls(**values)
