"""Batch reads follow unread_refs; queries and listings walk every page; documents come back as plain Python."""

from __future__ import annotations

import pytest

import impossibledb
from fake_server import AsyncFakeServer, FakeServer


def test_get_many_follows_unread_refs_until_every_id_is_answered() -> None:
    server = FakeServer(refs_per_answer=2)
    client = impossibledb.Client("http://fake", transport=server)
    for id in ["a", "b", "d", "e", "f"]:
        server.put("docs", id, {"id": id, "n": 1})
    got = client.collection("docs").get_many(["f", "a", "missing", "b", "d", "e"])
    assert [None if d is None else d.data["id"] for d in got] == ["f", "a", None, "b", "d", "e"]
    assert server.count("BatchGetDocuments") == 3


async def test_async_get_many_follows_unread_refs() -> None:
    server = FakeServer(refs_per_answer=1)
    client = impossibledb.AsyncClient("http://fake", transport=AsyncFakeServer(server))
    server.put("docs", "a", {"n": 1})
    got = await client.collection("docs").get_many(["a", "b", "a"])
    assert [None if d is None else d.id for d in got] == ["a", None, "a"]
    assert server.count("BatchGetDocuments") == 3


def test_stream_walks_every_page(client: impossibledb.Client, server: FakeServer) -> None:
    ids = [f"d{i:03d}" for i in range(25)]
    for id in ids:
        server.put("docs", id, {"n": 1})
    query = client.collection("docs").query()
    assert [d.id for d in query.stream(page_size=10)] == ids
    assert server.count("RunQuery") == 3
    assert [d.id for d in query.get()] == ids


async def test_async_stream_walks_every_page(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    ids = [f"d{i:03d}" for i in range(7)]
    for id in ids:
        server.put("docs", id, {"n": 1})
    assert [d.id async for d in aclient.collection("docs").query().stream(page_size=3)] == ids
    assert server.count("RunQuery") == 3


def test_get_of_a_missing_document_is_none_and_numbers_stay_ints(client: impossibledb.Client, server: FakeServer) -> None:
    alice = client.collection("users").document("alice")
    assert alice.get() is None
    written = alice.set({"age": 30, "score": 1.5})
    assert written.data == {"age": 30, "score": 1.5} and type(written.data["age"]) is int
    assert alice.get() == written


def test_preconditions_and_masks(client: impossibledb.Client, server: FakeServer) -> None:
    alice = client.collection("users").document("alice")
    first = alice.create({"name": "Alice", "age": 30})
    try:
        alice.create({"name": "Mallory"})
        raise AssertionError("create of an existing document succeeded")
    except impossibledb.AlreadyExists as error:
        assert error.code == "already_exists"
    second = alice.update({"email": "a@example.com"}, mask=["email", "age"], if_version=first.version)
    assert second.data == {"name": "Alice", "email": "a@example.com"}
    try:
        alice.set({"name": "stale"}, if_version=first.version)
        raise AssertionError("a stale precondition held")
    except impossibledb.FailedPrecondition:
        pass
    assert alice.delete(if_exists=True) is True


def test_batch_commit_is_all_or_nothing_and_nonatomic_reports_each(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("items", "exists", {"n": 0})
    batch = client.batch().set("items/a", {"n": 1}).create("items/exists", {"n": 2})
    try:
        batch.commit()
        raise AssertionError("the batch committed")
    except impossibledb.AlreadyExists:
        pass
    assert server.data("items", "a") is None, "nothing of a failed atomic batch is applied"
    outcomes = batch.commit_nonatomic()
    assert [o.ok for o in outcomes] == [True, False]
    assert isinstance(outcomes[1].error, impossibledb.AlreadyExists)
    assert outcomes[0].result is not None and outcomes[0].result.version > 0


def test_a_batch_past_the_write_limit_is_refused_before_sending(client: impossibledb.Client, server: FakeServer) -> None:
    batch = client.batch()
    for i in range(impossibledb.WRITES_PER_CALL_MAX):
        batch.set(f"items/i{i}", {"n": i})
    try:
        batch.set("items/one-too-many", {"n": -1})
        raise AssertionError("a batch took a write past the limit")
    except impossibledb.InvalidArgument as error:
        assert "WRITES_PER_CALL_MAX" in error.message
    assert len(batch) == impossibledb.WRITES_PER_CALL_MAX and server.calls == []


def test_order_by_refuses_an_unknown_direction(client: impossibledb.Client) -> None:
    # Any other spelling would otherwise be one of the two without a word.
    for direction in ("DESC", "descending", "sideways", ""):
        with pytest.raises(impossibledb.errors.InvalidArgument, match="direction must be 'asc' or 'desc'"):
            client.collection("users").query().order_by("age", direction)  # type: ignore[arg-type]


def test_collections_have_every_query_builder_of_the_readme(client: impossibledb.Client, aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    for id in ["a", "b", "c"]:
        server.put("docs", id, {"n": 1})
    for docs in (client.collection("docs"), aclient.collection("docs")):
        built = {
            "limit": (docs.limit(5), docs.query().limit(5)),
            "offset": (docs.offset(2), docs.query().offset(2)),
            "select": (docs.select("n", "m"), docs.query().select("n", "m")),
            "filter": (docs.filter("n > 0"), docs.query().filter("n > 0")),
        }
        for name, (from_collection, from_query) in built.items():
            assert type(from_collection) is type(from_query), name
            assert from_collection.to_proto() == from_query.to_proto(), name
    # They chain, and run, as queries do.
    assert [d.id for d in client.collection("docs").limit(2).filter("n > 0").select("n").get()] == ["a", "b", "c"]
    request = next(request for name, request in server.calls if name == "RunQuery")
    assert (request.query.limit, request.query.filter, list(request.query.select.field_paths)) == (2, "n > 0", ["n"])
