"""Turn domain models into JSON-ready records and back (storage backends, export file).

A record maps each dataclass field to a JSON value: dates as ``YYYY-MM-DD``, instants as
ISO 8601 strings in UTC, enums as their value, nested dataclasses as records. Decoding is
strict: a missing field without default or a wrong type raises ``CodecError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, is_dataclass
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


_PLAIN = frozenset({str, int, float, bool, type(None)})


def encode_value(value: Any) -> Any:
    """Return the JSON-ready form of one value."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {str(key): encode_value(item) for key, item in value.items()}
    if kind is list:
        if set(map(type, value)) <= _PLAIN:  # half-hours: checked in C
            return list(value)
        return [encode_value(item) for item in value]
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
    return {name: encode_value(getattr(obj, name)) for name in _field_names(type(obj))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """Return the field names of a dataclass (cached: records are made in bulk)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


@cache
def _shape(kind: Any) -> tuple[Any, tuple[Any, ...]]:
    """Return a type's origin and arguments (cached: decoders are built per type)."""
    return get_origin(kind), get_args(kind)


type _Decoder = Callable[[Any, str], Any]


def _float_list(values: Any, nullable: bool, where: str) -> list[float | None]:
    """Return a list of numbers (or nulls when allowed), checked like ``_decode`` does."""
    if not isinstance(values, list):
        raise CodecError(f"{where}: expected a list")
    # Half-hour slots are the bulk of the data: check the item types in C first.
    kinds = set(map(type, values))
    if kinds <= _FLOATS:
        return list(values)
    if kinds <= _NUMBERS:
        return list(map(float, values))
    if nullable and kinds <= _NULLABLE_NUMBERS:
        return [None if value is None else float(value) for value in values]
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


_FLOATS = frozenset({float})
_NUMBERS = frozenset({float, int})
_NULLABLE_NUMBERS = frozenset({float, int, type(None)})
_FLOAT_ITEMS = {float: False, float | None: True}


def _parse(parse: Callable[[Any], Any]) -> _Decoder:
    """Return a decoder of a non-null value parsed by ``parse`` (ValueError → CodecError)."""

    def decode(value: Any, where: str) -> Any:
        if value is None:
            raise CodecError(f"{where}: must not be null")
        try:
            return parse(value)
        except CodecError:
            raise
        except ValueError as err:
            raise CodecError(f"{where}: {err}") from err

    return decode


def _parse_datetime(value: Any) -> datetime:
    """Return a stored instant as an aware UTC datetime (naive means UTC)."""
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _decode_any(value: Any, where: str) -> Any:
    """Return a value of type ``Any`` as it is."""
    return value


def _decode_bool(value: Any, where: str) -> bool:
    """Return a boolean (0 and 1 accepted: SQL integers)."""
    if isinstance(value, bool):
        return value
    if value is None:
        raise CodecError(f"{where}: must not be null")
    if value in (0, 1):
        return bool(value)
    raise CodecError(f"{where}: expected a boolean")


def _decode_float(value: Any, where: str) -> float:
    """Return a number as a float."""
    if type(value) is float:
        return value
    if value is None:
        raise CodecError(f"{where}: must not be null")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CodecError(f"{where}: expected a number")
    return float(value)


def _decode_int(value: Any, where: str) -> int:
    """Return an integer."""
    if value is None:
        raise CodecError(f"{where}: must not be null")
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError(f"{where}: expected an integer")
    return value


def _decode_str(value: Any, where: str) -> str:
    """Return a string."""
    if value is None:
        raise CodecError(f"{where}: must not be null")
    if not isinstance(value, str):
        raise CodecError(f"{where}: expected a string")
    return value


def _decode_dict(value: Any, where: str) -> dict[Any, Any]:
    """Return a copy of an object."""
    if not isinstance(value, dict):
        raise CodecError(f"{where}: expected an object")
    return dict(value)


@cache
def _decoder(kind: Any) -> _Decoder:
    """Return (building once per type) the function decoding values of a type."""
    origin, args = _shape(kind)
    if origin is list and args[0] in _FLOAT_ITEMS:
        nullable = _FLOAT_ITEMS[args[0]]
        return lambda value, where: _float_list(value, nullable, where)
    if origin in (Union, types.UnionType):
        options = [option for option in args if option is not type(None)]
        inner = _decoder(options[0])
        if len(options) == len(args):

            def decode_union(value: Any, where: str) -> Any:
                if value is None:
                    raise CodecError(f"{where}: must not be null")
                return inner(value, where)

            return decode_union

        def decode_optional(value: Any, where: str) -> Any:
            return None if value is None else inner(value, where)

        return decode_optional
    if kind is Any:
        return _decode_any
    if origin is list:
        item = _decoder(args[0])

        def decode_list(value: Any, where: str) -> list[Any]:
            if not isinstance(value, list):
                raise CodecError(f"{where}: expected a list")
            return [item(each, where) for each in value]

        return decode_list
    if origin is dict:
        return _decode_dict
    if isinstance(kind, type):
        if issubclass(kind, Enum):
            return _parse(kind)
        # issubclass, not identity: freezegun swaps datetime for a subclass in tests.
        if issubclass(kind, datetime):
            return _parse(_parse_datetime)
        if issubclass(kind, date):
            return _parse(lambda value: date.fromisoformat(str(value)))
        if kind is bool:
            return _decode_bool
        if kind is float:
            return _decode_float
        if kind is int:
            return _decode_int
        if kind is str:
            return _decode_str
        if is_dataclass(kind):
            return _parse(lambda value: from_record(kind, value))

    def unsupported(value: Any, where: str) -> Any:
        if value is None:
            raise CodecError(f"{where}: must not be null")
        raise CodecError(f"{where}: unsupported type {kind!r}")

    return unsupported


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to decode a model: its fields' names, decoders and defaults."""

    hints: dict[str, Any]
    """The resolved types the plan was built from (the cache of ``_hints``)."""
    fields: tuple[tuple[str, _Decoder, str, bool], ...]
    """(name, decoder, error prefix, required) per field."""


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """Return (building once per model) the decoding plan of a model."""
    hints = _hints(cls)
    plan = _PLANS.get(cls)
    # Rebuilt when the resolved types were forgotten (see ``_HINTS``).
    if plan is None or plan.hints is not hints:
        plan = _PLANS[cls] = _Plan(
            hints=hints,
            fields=tuple(
                (
                    f.name,
                    _decoder(hints[f.name]),
                    f"{cls.__name__}.{f.name}",
                    f.default is MISSING and f.default_factory is MISSING,
                )
                for f in fields(cls)
            ),
        )
    return plan


def from_record[T](cls: type[T], record: dict[str, Any]) -> T:
    """Return the model instance of a record (unknown keys such as ``_id`` ignored)."""
    if not isinstance(record, dict):
        raise CodecError(f"{cls.__name__}: expected an object")
    values: dict[str, Any] = {}
    for name, decode, where, required in _plan(cls).fields:
        if name in record:
            values[name] = decode(record[name], where)
        elif required:
            raise CodecError(f"{where}: missing")
    return cls(**values)
