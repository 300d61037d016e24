"""Typed values: Python's natural types to the typed form and back, exactly, at the edges of each type."""

from __future__ import annotations

import asyncio
import datetime

import pytest

import impossibledb
from fake_server import FakeServer
from impossibledb.v1 import document_pb2 as doc
from impossibledb.v1 import query_pb2 as q
from impossibledb.v1 import query_service_pb2 as qs
from impossibledb.values import check_data, from_typed_fields, needs_typed, to_typed, to_typed_fields

UTC = datetime.timezone.utc


def edges() -> dict[str, impossibledb.Value]:
    """Every type at its edges."""
    return {
        "max_int64": 2**63 - 1,
        "min_int64": -(2**63),
        "neg_max_int64": -(2**63 - 1),
        "two_to_53_plus_1": 2**53 + 1,
        "double": 0.1,
        "whole_double": 2.0**60,
        "before_1970": datetime.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        "micro": datetime.datetime(2026, 11, 30, 15, 4, 5, 123_456, tzinfo=UTC),
        "year_1": datetime.datetime(1, 1, 1, tzinfo=UTC),
        "year_9999": datetime.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        "empty_bytes": b"",
        "bytes": b"\x00\x01\xfe\xff",
        "geo": impossibledb.GeoPoint(-33.8688, 151.2093),
        "ref": impossibledb.DocumentPath("users", "alice"),
        "null": None,
        "bool": True,
        "zero": 0,
        "text": "é\U0001f600",
        "nested": [[-1, []], {"m": {"t": datetime.datetime(2000, 2, 29, 0, 0, 0, 1, tzinfo=UTC), "b": b"x"}}],
    }


def same(got: object, want: object) -> bool:
    """Equal and of the same type, all the way down (1 == 1.0 == True in Python, so == alone proves nothing)."""
    if type(got) is not type(want):
        return False
    if isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))  # type: ignore[arg-type]
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)  # type: ignore[attr-defined]
    if isinstance(want, datetime.datetime):
        return got == want and got.utcoffset() == datetime.timedelta(0)  # type: ignore[attr-defined]
    return got == want


def test_every_type_round_trips_exactly() -> None:
    data = edges()
    back = from_typed_fields(to_typed_fields(check_data("t/x", data)))
    for key, want in data.items():
        assert same(back[key], want), (key, back[key], want)


def test_wire_values_at_the_edges() -> None:
    fields = to_typed_fields(check_data("t/x", edges()))
    assert fields["max_int64"].integer_value == 2**63 - 1 and fields["min_int64"].integer_value == -(2**63)
    assert fields["two_to_53_plus_1"].integer_value == 9007199254740993
    # Before 1970: seconds floored, nanos positive, as protobuf's Timestamp has it.
    assert (fields["before_1970"].timestamp_value.seconds, fields["before_1970"].timestamp_value.nanos) == (-1, 999_999_000)
    assert fields["year_1"].timestamp_value.seconds == -62135596800
    assert fields["year_9999"].timestamp_value.seconds == 253402300799
    assert fields["whole_double"].WhichOneof("kind") == "double_value" and fields["zero"].WhichOneof("kind") == "integer_value"
    assert fields["bool"].WhichOneof("kind") == "boolean_value"  # not an integer, though bool is an int in Python
    assert fields["empty_bytes"].WhichOneof("kind") == "bytes_value" and fields["empty_bytes"].bytes_value == b""
    assert fields["ref"].reference_value == doc.DocumentRef(collection="users", id="alice")
    assert fields["null"].WhichOneof("kind") == "null_value"


def test_a_timezone_other_than_utc_is_the_same_instant() -> None:
    lisbon_summer = datetime.timezone(datetime.timedelta(hours=1))
    value = datetime.datetime(2026, 7, 1, 13, 0, 0, 500, tzinfo=lisbon_summer)
    back = from_typed_fields(to_typed_fields({"t": value}))["t"]
    assert back == value and back.tzinfo == UTC and back.hour == 12  # type: ignore[union-attr]


def test_bytearray_and_document_references_are_stored_as_their_types(client: impossibledb.Client) -> None:
    ref = client.document("users", "bob")
    back = from_typed_fields(to_typed_fields(check_data("t/x", {"b": bytearray(b"ab"), "r": ref})))
    assert same(back["b"], b"ab") and same(back["r"], impossibledb.DocumentPath("users", "bob"))


def test_only_documents_with_typed_values_use_the_typed_form(client: impossibledb.Client, server: FakeServer) -> None:
    docs = client.collection("t")
    docs.document("json").set({"name": "a", "score": 1.5, "tags": ["x", {"on": True}], "none": None})
    docs.document("typed").set({"name": "a", "deep": [{"at": datetime.datetime(2026, 1, 1, tzinfo=UTC)}]})
    json_request, typed_request = (request for name, request in server.calls if name == "SetDocument")
    assert json_request.HasField("data") and not json_request.fields
    assert not typed_request.HasField("data") and typed_request.fields["deep"].array_value.values[0].map_value.fields["at"].HasField("timestamp_value")
    assert needs_typed({"a": [1.0, "x"]}) is False and needs_typed({"a": [1.0, 1]}) is True


def test_documents_read_back_in_their_types(client: impossibledb.Client) -> None:
    doc_ref = client.collection("t").document("x")
    written = doc_ref.set(edges())
    read = doc_ref.get()
    assert read is not None
    for snapshot in (written, read):
        for key, want in edges().items():
            assert same(snapshot.data[key], want), (key, snapshot.data[key], want)


def test_batches_transactions_and_updates_send_typed_forms(client: impossibledb.Client, server: FakeServer) -> None:
    moment = datetime.datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)
    client.batch().set("t/a", {"n": 2**62}).create("t/b", {"at": moment}).commit()
    client.run_transaction(lambda tx: tx.update("t/a", {"blob": b"\x00"}, mask=["blob"]))
    a, b = client.collection("t").get_many(["a", "b"])
    assert a is not None and b is not None
    assert same(a.data, {"n": 2**62, "blob": b"\x00"}) and same(b.data, {"at": moment})
    commit = next(request for name, request in server.calls if name == "CommitBatch")
    assert commit.writes[0].WhichOneof("operation") == "set_fields" and commit.writes[1].WhichOneof("operation") == "create_fields"


def test_async_client_writes_and_reads_typed_values(aclient: impossibledb.AsyncClient) -> None:
    async def run() -> None:
        ref = aclient.collection("t").document("x")
        await ref.set(edges())
        read = await ref.get()
        assert read is not None and same(read.data, edges())

    asyncio.run(run())


def test_where_sends_typed_operands(client: impossibledb.Client) -> None:
    users = client.collection("users")
    at = users.where("at", ">=", datetime.datetime(2026, 1, 1, tzinfo=UTC)).to_proto().where.field_filter
    assert not at.HasField("value") and at.typed_value.timestamp_value.seconds == 1767225600
    ids = users.where("id", "in", [2**53 + 1, 2.5]).to_proto().where.field_filter
    assert not ids.HasField("value") and [v.WhichOneof("kind") for v in ids.typed_value.array_value.values] == ["integer_value", "double_value"]
    assert ids.typed_value.array_value.values[0].integer_value == 2**53 + 1
    name = users.where("name", "==", "x").to_proto().where.field_filter
    assert name.value.string_value == "x" and not name.HasField("typed_value")
    with pytest.raises(TypeError, match="naive"):
        users.where("at", "<", datetime.datetime(2026, 1, 1))


def test_transforms_are_typed(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("c", "d", {"n": 1})
    client.document("c", "d").update(
        {}, transforms=[impossibledb.increment("n", 2**62), impossibledb.increment("f", 0.5), impossibledb.maximum("hi", 3), impossibledb.minimum("lo", -3), impossibledb.server_timestamp("at")]
    )
    request = next(request for name, request in server.calls if name == "UpdateDocument")
    kinds = [t.WhichOneof("transform_type") for t in request.transforms]
    assert kinds == ["typed_increment", "typed_increment", "typed_maximum", "typed_minimum", "typed_server_timestamp"]
    assert request.transforms[0].typed_increment.integer_value == 2**62 and request.transforms[1].typed_increment.double_value == 0.5
    for bad in (True, "1", 2**63, float("nan")):
        with pytest.raises(TypeError, match="increment"):
            impossibledb.increment("n", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a list"):
        client.batch().set("c/d", {}, transforms=impossibledb.increment("n", 1))  # type: ignore[arg-type]


def test_aggregation_groups_read_typed_results_first(client: impossibledb.Client) -> None:
    from impossibledb._query import groups_of

    group = q.AggregationGroup(typed_key=[to_typed(2**53 + 1)], typed_results={"total": to_typed(2**53 + 1), "first": to_typed(datetime.datetime(1900, 1, 1, tzinfo=UTC))})
    group.key.add().number_value = 2.0**53
    group.results["total"].number_value = 2.0**53
    typed = groups_of(qs.RunAggregationQueryResponse(groups=[group]))[0]
    assert same(typed.key, [2**53 + 1]) and same(typed.values["total"], 2**53 + 1)
    assert same(typed.values["first"], datetime.datetime(1900, 1, 1, tzinfo=UTC))
    json_only = q.AggregationGroup()
    json_only.results["n"].number_value = 3
    # A JSON-only answer holds doubles: floats, whole or not.
    assert same(groups_of(qs.RunAggregationQueryResponse(groups=[json_only]))[0].values, {"n": 3.0})
    # A COUNT is an int whatever form it came in (the server sends a double).
    counted = q.AggregationGroup(typed_results={"n": to_typed(3.0), "mean": to_typed(3.0)})
    assert same(groups_of(qs.RunAggregationQueryResponse(groups=[counted]), frozenset({"n"}))[0].values, {"n": 3, "mean": 3.0})


def test_array_union_and_array_remove_send_typed_elements(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("c", "d", {"tags": ["a"]})
    at = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    client.document("c", "d").update({}, transforms=[impossibledb.array_union("tags", "b", 2**53 + 1, at), impossibledb.array_remove("old", "a", {"k": [1]})])
    request = next(request for name, request in server.calls if name == "UpdateDocument")
    union, remove = request.transforms
    assert (union.field_path, union.WhichOneof("transform_type")) == ("tags", "typed_append_missing_elements")
    assert [v.WhichOneof("kind") for v in union.typed_append_missing_elements.values] == ["string_value", "integer_value", "timestamp_value"]
    assert union.typed_append_missing_elements.values[1].integer_value == 2**53 + 1
    assert (remove.field_path, remove.WhichOneof("transform_type")) == ("old", "typed_remove_all_from_array")
    assert len(remove.typed_remove_all_from_array.values) == 2
    # Elements are checked as document data is, naming the helper and the element.
    with pytest.raises(TypeError, match=r"array_union\('tags', \.\.\.\): element 1.*naive"):
        impossibledb.array_union("tags", "ok", datetime.datetime(2026, 1, 1))
    with pytest.raises(TypeError, match=r"array_remove\('tags', \.\.\.\): element 0"):
        impossibledb.array_remove("tags", {1, 2})
