"""Values that would change on the wire are refused, with the field named, before anything is sent."""

from __future__ import annotations

import datetime
import decimal
import enum
import math

import pytest

import impossibledb
from fake_server import FakeServer
from impossibledb.values import from_typed_fields, to_typed_fields, check_data, from_struct, to_struct


class Color(enum.IntEnum):
    RED = 1


def cyclic() -> dict[str, object]:
    node: dict[str, object] = {"name": "loop"}
    node["self"] = node
    return node


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("data", "field", "why"),
    [
        ({"n": 2**63}, '"n"', "64-bit"),
        ({"n": -(2**63) - 1}, '"n"', "64-bit"),
        ({"a": {"b": [1, 2**64]}}, '"a.b[1]"', "64-bit"),
        ({"x": math.nan}, '"x"', "finite"),
        ({"x": math.inf}, '"x"', "finite"),
        ({"x": -math.inf}, '"x"', "finite"),
        ({"profile": {"born": datetime.date(2000, 1, 2)}}, '"profile.born"', "isoformat"),
        ({"at": datetime.datetime(2026, 1, 1)}, '"at"', "naive"),
        ({"at": [datetime.datetime(1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))]}, '"at[0]"', "0001-01-01 to 9999-12-31"),
        ({"blob": memoryview(b"\x00\x01")}, '"blob"', "memoryview"),
        ({"t": datetime.time(12, 0)}, '"t"', "not an instant"),
        ({"tags": {"a", "b"}}, '"tags"', "set"),
        ({"pair": (1, 2)}, '"pair"', "tuple"),
        ({"price": decimal.Decimal("1.10")}, '"price"', "Decimal"),
        ({"color": Color.RED}, '"color"', "subclass"),
        ({"odd key": {1: "one"}}, "\"[\\\"odd key\\\"]\"", "must be str"),
        ({"s": "half \ud83d"}, '"s"', "surrogate"),
        ({"loop": cyclic()}, '"loop.self"', "cycle"),
        ({"deep": nested(impossibledb.VALUE_DEPTH_MAX + 1)}, "field", "VALUE_DEPTH_MAX"),
    ],
)
def test_refused_with_the_field_path(data: dict[str, object], field: str, why: str) -> None:
    with pytest.raises(TypeError) as raised:
        check_data("users/alice", data)
    message = str(raised.value)
    assert message.startswith("users/alice: "), message
    assert field in message and why in message, message


def test_accepted_values_come_back_equal_and_ints_stay_ints() -> None:
    data = {
        "name": "Alice",
        "age": 30,
        "big": impossibledb.INT_SAFE_MAX,
        "small": -impossibledb.INT_SAFE_MAX,
        "ratio": 0.25,
        "whole_float": 2.0,
        "on": True,
        "none": None,
        "tags": ["a", 1, [2, {"deep": False}]],
        "address": {"city": "Lisbon", "first name": "x", "emoji": "\U0001f600"},
    }
    # The typed form (what a write holding an int sends) keeps ints ints and floats floats.
    back = from_typed_fields(to_typed_fields(check_data("users/alice", data)))
    assert back == data
    assert type(back["age"]) is int and type(back["big"]) is int and type(back["ratio"]) is float and type(back["whole_float"]) is float
    assert type(back["on"]) is bool
    # The JSON form holds doubles only: every number reads back as a float, so writing it back keeps it a double.
    json_back = from_struct(to_struct(check_data("users/alice", data)))
    assert json_back == data
    assert type(json_back["age"]) is float and type(json_back["whole_float"]) is float


def test_a_document_must_be_a_dict() -> None:
    with pytest.raises(TypeError, match="must be a dict"):
        check_data("users/alice", ["not", "a", "dict"])


def test_nothing_is_sent_when_a_value_is_refused(client: impossibledb.Client, server: FakeServer) -> None:
    alice = client.collection("users").document("alice")
    with pytest.raises(TypeError, match='users/alice: field "joined"'):
        alice.set({"joined": datetime.datetime.now()})
    with pytest.raises(TypeError, match='users/alice: field "n"'):
        alice.update({"n": 2**64}, mask=["n"])
    with pytest.raises(TypeError, match="orders/o1"):
        client.batch().set("orders/o1", {"qty": math.nan})
    tx = client.transaction()
    with pytest.raises(TypeError, match='carts/c1: field "items"'):
        tx.set("carts/c1", {"items": {"a", "b"}})
    with pytest.raises(TypeError, match="where"):
        client.collection("users").where("born", "==", datetime.date(2000, 1, 1))
    assert server.calls == []


def test_where_without_a_value_only_for_exists(client: impossibledb.Client) -> None:
    users = client.collection("users")
    assert users.where("email", "exists").to_proto().where.field_filter.field == "email"
    with pytest.raises(TypeError, match="needs a value"):
        users.where("age", ">")
    with pytest.raises(impossibledb.InvalidArgument, match="unknown operator"):
        users.where("age", "=>", 3)  # type: ignore[arg-type]


def test_queries_are_immutable(client: impossibledb.Client) -> None:
    base = client.collection("users").where("status", "==", "active")
    adults = base.where("age", ">", 21).limit(5)
    assert len(base.to_proto().where.composite_filter.filters) == 0 and base.to_proto().limit == 0
    assert len(adults.to_proto().where.composite_filter.filters) == 2 and adults.to_proto().limit == 5
