"""The one gate every user value passes before it is put on the wire.

Documents travel as google.protobuf.Struct: dicts with str keys, lists,
str, bool, None and IEEE-754 doubles, nothing else. protobuf's own
conversion turns some Python values into something else without a word (an
int beyond 2**53 is rounded, a tuple comes back as a list) and fails deep
inside for others, so the client checks each value first and refuses, with
a TypeError that names the document and the field path, anything the wire
cannot carry exactly:

- int beyond +-INT_SAFE_MAX (2**53 - 1): a double cannot hold it exactly;
  store big integers as str. bool is a bool, never a number.
- float NaN, inf, -inf: JSON and the server have no such numbers.
- datetime, date, time: store value.isoformat() (a str) instead.
- bytes, bytearray, memoryview: store base64 text instead.
- set, frozenset, tuple: they would come back as a list (or not at all);
  pass a list.
- dict keys that are not str, and str with lone surrogates (which UTF-8
  cannot carry).
- any other class (Decimal, an Enum, a dataclass, numpy numbers...),
  including subclasses of int, float and str, whose type would be lost.
- cycles, and nesting deeper than VALUE_DEPTH_MAX.

Reading goes the other way (from_struct): numbers come back as int when
they are whole and within INT_SAFE_MAX, else as float, so what was stored
as 30 reads back as 30, not 30.0.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Union

from google.protobuf import struct_pb2

from ._limits import INT_SAFE_MAX, VALUE_DEPTH_MAX

__all__ = ["JsonValue", "check_data", "check_value", "from_struct", "from_value", "to_struct", "to_value"]

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"]]
"""A value a document field can hold."""

_Segment = Union[str, int]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_data(where: str, data: object) -> dict[str, JsonValue]:
    """Checks a document's data (or a patch) and returns it unchanged.

    `where` starts the error's text, such as "users/alice". Raises TypeError
    naming the field when a value cannot travel exactly (see the module's
    docstring for the list).
    """
    if not isinstance(data, dict):
        raise TypeError(f"{where}: the document data is a {type(data).__name__}; it must be a dict")
    _walk(where, data, [], set(), 1)
    return data


def check_value(where: str, value: object) -> JsonValue:
    """Checks one value that is not a whole document (a query operand) and returns it."""
    _walk(where, value, [], set(), 1)
    return value  # type: ignore[return-value]  # checked by _walk just above


def to_value(value: JsonValue) -> struct_pb2.Value:
    """The wire form of a checked value."""
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
    else:
        out.struct_value.CopyFrom(to_struct(value))
    return out


def to_struct(data: Mapping[str, JsonValue]) -> struct_pb2.Struct:
    """The wire form of checked document data."""
    out = struct_pb2.Struct()
    for key, item in data.items():
        out.fields[key].CopyFrom(to_value(item))
    return out


def from_value(value: struct_pb2.Value) -> JsonValue:
    """Plain Python from a wire value; whole numbers within INT_SAFE_MAX come back as int."""
    kind = value.WhichOneof("kind")
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and abs(number) <= INT_SAFE_MAX:
            return int(number)
        return number
    if kind == "string_value":
        return value.string_value
    if kind == "list_value":
        return [from_value(item) for item in value.list_value.values]
    if kind == "struct_value":
        return from_struct(value.struct_value)
    return None


def from_struct(data: struct_pb2.Struct) -> dict[str, JsonValue]:
    """Plain Python from wire document data."""
    return {key: from_value(item) for key, item in data.fields.items()}


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
    """What is wrong with a value on its own (not its contents), or None when it may travel."""
    kind = type(value)
    if value is None or kind is bool or kind is dict or kind is list:
        return None
    if kind is int:
        if abs(value) > INT_SAFE_MAX:  # type: ignore[arg-type]  # kind is int
            return f"is {value}, an int beyond +-INT_SAFE_MAX (2**53 - 1); numbers travel as doubles, which would round it: store big integers as str"
        return None
    if kind is float:
        return None if math.isfinite(value) else f"is {value}; only finite numbers can be stored"  # type: ignore[arg-type]
    if kind is str:
        if _has_lone_surrogate(value):  # type: ignore[arg-type]
            return "is a str with a lone surrogate, which UTF-8 cannot carry"
        return None
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return f"is a {kind.__name__}; store value.isoformat() (a str) instead"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"is {kind.__name__}; store base64 text (a str) instead"
    if isinstance(value, (set, frozenset, tuple)):
        return f"is a {kind.__name__}; pass a list (a {kind.__name__} would come back as a list)"
    if isinstance(value, (bool, int, float, str, dict, list)):
        return f"is a {kind.__name__}, a subclass of {kind.__mro__[1].__name__} whose type would be lost; convert it first"
    return f"is a {kind.__name__}; only dict, list, str, int, float, bool and None can be stored"


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
