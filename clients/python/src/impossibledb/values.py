"""The one gate every user value passes before it is put on the wire.

A document holds null, booleans, 64-bit integers, doubles, timestamps,
strings, bytes, references, geo points, arrays and maps. In Python:

- None, bool (never a number, though bool is an int in Python), int
  (INT64_MIN to INT64_MAX; beyond, store it as str), float (finite), str;
- datetime.datetime with a timezone, stored as a timestamp to the
  microsecond (which is what a datetime holds), 0001-01-01 to 9999-12-31
  in UTC. A naive datetime (no tzinfo) is refused rather than guessed:
  attach one, e.g. value.replace(tzinfo=datetime.timezone.utc);
- bytes and bytearray, stored as bytes (read back as bytes);
- GeoPoint (a geo point) and any DocumentPath, DocumentReference included
  (a reference, read back as a DocumentPath);
- list, and dict with str keys.

Anything else is refused, with a TypeError that names the document and the
field path, before anything is sent: float NaN and inf; date and time
(which are not instants: use a datetime); memoryview; set, frozenset,
tuple (they would come back as a list, or not at all: pass a list); dict
keys that are not str; str with lone surrogates (which UTF-8 cannot carry);
any other class (Decimal, an Enum, a dataclass, numpy numbers...),
including subclasses of int, float, str and datetime, whose type would be
lost; cycles, and nesting deeper than VALUE_DEPTH_MAX.

Two wire forms: the JSON form (google.protobuf.Struct, whose numbers are
doubles) and the typed form (Value). A document or query operand whose
values are all JSON values (None, bool, float, str, list, dict) travels in
the JSON form, as before typed values existed; one holding an int, a
datetime, bytes, a reference or a geo point anywhere travels in the typed
form (see needs_typed).

Reading: the typed form gives back the types above (timestamps as
datetimes in UTC). A document of JSON values only has no typed form; its
numbers are doubles and come back as float (30.0), so writing back what
was read keeps every value's type (an int would be stored as an integer).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Union

from google.protobuf import struct_pb2

from ._limits import INT64_MAX, INT64_MIN, INT_SAFE_MAX, TIMESTAMP_SECONDS_MAX, TIMESTAMP_SECONDS_MIN, VALUE_DEPTH_MAX
from ._types import DocumentPath, GeoPoint
from .v1 import document_pb2 as doc
from .v1 import search_pb2

__all__ = [
    "JsonValue",
    "Value",
    "check_data",
    "check_value",
    "from_struct",
    "from_typed",
    "from_typed_fields",
    "from_value",
    "needs_typed",
    "to_struct",
    "to_typed",
    "to_typed_fields",
    "to_value",
]

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"]]
"""A value of a document's JSON form."""

Value = Union[None, bool, int, float, str, bytes, datetime.datetime, GeoPoint, DocumentPath, list["Value"], dict[str, "Value"]]
"""A value a document field can hold."""

_Segment = Union[str, int]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def check_data(where: str, data: object) -> dict[str, Value]:
    """Checks a document's data (or a patch) and returns it unchanged.

    `where` starts the error's text, such as "users/alice". Raises TypeError
    naming the field when a value cannot be stored exactly (see the
    module's docstring for the list).
    """
    if not isinstance(data, dict):
        raise TypeError(f"{where}: the document data is a {type(data).__name__}; it must be a dict")
    _walk(where, data, [], set(), 1)
    return data


def check_value(where: str, value: object) -> Value:
    """Checks one value that is not a whole document (a query operand) and returns it."""
    _walk(where, value, [], set(), 1)
    return value  # type: ignore[return-value]  # checked by _walk just above


def needs_typed(value: Value) -> bool:
    """Whether a checked value holds, anywhere, a value the JSON form cannot carry exactly (int, datetime, bytes, reference, geo point)."""
    if isinstance(value, dict):
        return any(needs_typed(item) for item in value.values())
    if isinstance(value, list):
        return any(needs_typed(item) for item in value)
    return value is not None and type(value) is not bool and type(value) is not float and type(value) is not str


def to_value(value: Value) -> struct_pb2.Value:
    """The JSON form of a checked value that needs_typed() found free of typed values."""
    out = struct_pb2.Value()
    if value is None:
        out.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, (int, float)):
        out.number_value = float(value)
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, list):
        out.list_value.values.extend(to_value(item) for item in value)
    elif isinstance(value, dict):
        out.struct_value.CopyFrom(to_struct(value))
    else:
        raise AssertionError(f"to_value of a typed value {type(value).__name__}: check needs_typed() first")
    return out


def to_struct(data: Mapping[str, Value]) -> struct_pb2.Struct:
    """The JSON form of checked document data free of typed values."""
    out = struct_pb2.Struct()
    for key, item in data.items():
        out.fields[key].CopyFrom(to_value(item))
    return out


def to_typed(value: Value) -> doc.Value:
    """The typed form of a checked value."""
    if value is None:
        return doc.Value(null_value="NULL_VALUE")
    out = doc.Value()
    kind = type(value)
    if kind is bool:
        out.boolean_value = bool(value)
    elif kind is int:
        out.integer_value = value  # type: ignore[assignment]  # kind is int
    elif kind is float:
        out.double_value = value  # type: ignore[assignment]  # kind is float
    elif kind is str:
        out.string_value = value  # type: ignore[assignment]  # kind is str
    elif isinstance(value, (bytes, bytearray)):
        out.bytes_value = bytes(value)
    elif kind is datetime.datetime:
        seconds, micros = _epoch_micros(value)  # type: ignore[arg-type]  # kind is datetime
        out.timestamp_value.seconds = seconds
        out.timestamp_value.nanos = micros * 1000
    elif isinstance(value, GeoPoint):
        out.geo_point_value.CopyFrom(search_pb2.GeoPoint(latitude=value.latitude, longitude=value.longitude))
    elif isinstance(value, DocumentPath):
        out.reference_value.CopyFrom(doc.DocumentRef(collection=value.collection, id=value.id))
    elif isinstance(value, list):
        out.array_value.values.extend(to_typed(item) for item in value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.map_value.fields[key].CopyFrom(to_typed(item))
    else:
        raise AssertionError(f"to_typed of an unchecked {kind.__name__}")
    return out


def to_typed_fields(data: Mapping[str, Value]) -> dict[str, doc.Value]:
    """The typed form of checked document data."""
    return {key: to_typed(item) for key, item in data.items()}


def from_typed(value: doc.Value) -> Value:
    """Python from a typed value: int, float, datetime (UTC), bytes, DocumentPath, GeoPoint, list, dict, str, bool, None."""
    kind = value.WhichOneof("kind")
    if kind == "boolean_value":
        return value.boolean_value
    if kind == "integer_value":
        return value.integer_value
    if kind == "double_value":
        return value.double_value
    if kind == "timestamp_value":
        stamp = value.timestamp_value
        return _EPOCH + datetime.timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    if kind == "string_value":
        return value.string_value
    if kind == "bytes_value":
        return bytes(value.bytes_value)
    if kind == "reference_value":
        return DocumentPath(value.reference_value.collection, value.reference_value.id)
    if kind == "geo_point_value":
        return GeoPoint(value.geo_point_value.latitude, value.geo_point_value.longitude)
    if kind == "array_value":
        return [from_typed(item) for item in value.array_value.values]
    if kind == "map_value":
        return from_typed_fields(value.map_value.fields)
    return None


def from_typed_fields(fields: Mapping[str, doc.Value]) -> dict[str, Value]:
    """Python from a document's typed fields."""
    return {key: from_typed(item) for key, item in fields.items()}


def from_value(value: struct_pb2.Value) -> Value:
    """Plain Python from a JSON-form value. A JSON number is a double, so it is a float, whole or not:
    reading 1.0 back as int would write it back as an integer and change its type."""
    kind = value.WhichOneof("kind")
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "list_value":
        return [from_value(item) for item in value.list_value.values]
    if kind == "struct_value":
        return from_struct(value.struct_value)
    return None


def from_struct(data: struct_pb2.Struct) -> dict[str, Value]:
    """Plain Python from JSON-form document data."""
    return {key: from_value(item) for key, item in data.fields.items()}


def _epoch_micros(value: datetime.datetime) -> tuple[int, int]:
    """(seconds, microseconds) from 1970 of an aware datetime, seconds floored so microseconds are 0..999,999 (protobuf's Timestamp form)."""
    delta = value - _EPOCH
    return delta.days * 86_400 + delta.seconds, delta.microseconds


def _walk(where: str, value: object, path: list[_Segment], ancestors: set[int], depth: int) -> None:
    problem = _scalar_problem(value)
    if problem is not None:
        raise TypeError(f"{where}: {_field_name(path)} {problem}")
    if not isinstance(value, (dict, list)):
        return
    if depth > VALUE_DEPTH_MAX:
        raise TypeError(f"{where}: {_field_name(path)} is nested more than VALUE_DEPTH_MAX ({VALUE_DEPTH_MAX}) levels deep")
    if id(value) in ancestors:
        raise TypeError(f"{where}: {_field_name(path)} contains itself (a cycle); only trees can be stored")
    ancestors.add(id(value))
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(where, item, [*path, index], ancestors, depth + 1)
    else:
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: {_field_name(path)} has the key {key!r} of type {type(key).__name__}; field names must be str")
            if _has_lone_surrogate(key):
                raise TypeError(f"{where}: {_field_name([*path, key])} has a name with a lone surrogate, which UTF-8 cannot carry")
            _walk(where, item, [*path, key], ancestors, depth + 1)
    ancestors.discard(id(value))


def _scalar_problem(value: object) -> str | None:
    """What is wrong with a value on its own (not its contents), or None when it may be stored."""
    kind = type(value)
    if value is None or kind is bool or kind is dict or kind is list or kind is bytes or kind is bytearray:
        return None
    if kind is int:
        if not INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]  # kind is int
            return f"is {value}, an int beyond the 64-bit range (INT64_MIN to INT64_MAX); store it as str"
        return None
    if kind is float:
        return None if math.isfinite(value) else f"is {value}; only finite numbers can be stored"  # type: ignore[arg-type]
    if kind is str:
        if _has_lone_surrogate(value):  # type: ignore[arg-type]
            return "is a str with a lone surrogate, which UTF-8 cannot carry"
        return None
    if kind is datetime.datetime:
        return _datetime_problem(value)  # type: ignore[arg-type]  # kind is datetime
    if isinstance(value, (GeoPoint, DocumentPath)):
        return None
    if isinstance(value, (datetime.date, datetime.time)) and not isinstance(value, datetime.datetime):
        return f"is a {kind.__name__}, not an instant; store a timezone-aware datetime (or value.isoformat(), a str)"
    if isinstance(value, memoryview):
        return "is a memoryview; pass bytes(value)"
    if isinstance(value, (set, frozenset, tuple)):
        return f"is a {kind.__name__}; pass a list (a {kind.__name__} would come back as a list)"
    if isinstance(value, (bool, int, float, str, dict, list, bytes, datetime.datetime)):
        return f"is a {kind.__name__}, a subclass of {kind.__mro__[1].__name__} whose type would be lost; convert it first"
    return f"is a {kind.__name__}; only dict, list, str, int, float, bool, None, datetime, bytes, GeoPoint and DocumentPath can be stored"


def _datetime_problem(value: datetime.datetime) -> str | None:
    if value.tzinfo is None or value.utcoffset() is None:
        return f"is the naive datetime {value.isoformat()}; give it a timezone (value.replace(tzinfo=datetime.timezone.utc) if it is UTC) so the instant is known"
    seconds, _ = _epoch_micros(value)
    if not TIMESTAMP_SECONDS_MIN <= seconds <= TIMESTAMP_SECONDS_MAX:
        return f"is {value.isoformat()}, outside 0001-01-01 to 9999-12-31 in UTC, the range of timestamps"
    return None


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _field_name(path: list[_Segment]) -> str:
    """`field "profile.born"`, `field "tags[2]"`, `field "a[\\"x.y\\"]"`; "the value" at the top."""
    if not path:
        return "the value"
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif _IDENTIFIER.fullmatch(segment):
            text += segment if text == "" else f".{segment}"
        else:
            text += f"[{json.dumps(segment)}]"
    return f"field {json.dumps(text)}"
