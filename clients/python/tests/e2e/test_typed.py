"""Typed values through both clients over Connect and gRPC: every type at its edges stored and read back exactly, typed filters, exact integer sums, integer increments, array unions and removals."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

import impossibledb
from helpers import unique_collection

UTC = datetime.timezone.utc


def edges() -> dict[str, Any]:
    """Every type at its edges, in Python's natural types."""
    return {
        "max_int64": 2**63 - 1,
        "min_int64": -(2**63),
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
        "bool": False,
        "text": "é\U0001f600",
        "nested": [[-1, []], {"m": {"t": datetime.datetime(2000, 2, 29, 0, 0, 0, 1, tzinfo=UTC), "b": b"x"}}],
    }


def same(got: object, want: object) -> bool:
    """Equal and of the same type, all the way down (in Python 1 == 1.0 == True, so == alone proves nothing)."""
    if type(got) is not type(want):
        return False
    if isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))  # type: ignore[arg-type]
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)  # type: ignore[attr-defined]
    if isinstance(want, datetime.datetime):
        return got == want and got.utcoffset() == datetime.timedelta(0)  # type: ignore[attr-defined]
    return got == want


def assert_same(how: str, got: dict[str, Any], want: dict[str, Any]) -> None:
    differ = {key: (got.get(key), value) for key, value in want.items() if not same(got.get(key), value)}
    assert not differ and got.keys() == want.keys(), f"{how}: read back differs (got, wrote): {differ}"


async def test_every_type_round_trips(db: Any) -> None:
    docs = db.collection(unique_collection(db.flavour, "typed"))
    want = edges()
    written = await docs.document("set").set(want)
    assert_same("set's answer", written.data, want)
    await docs.document("create").create(want)
    await db.batch().set(f"{docs.name}/batch", want).commit()

    async def write(tx: Any) -> None:
        tx.set(f"{docs.name}/tx", want)

    await db.run_transaction(write)

    got = await docs.document("set").get()
    assert got is not None
    assert_same("get", got.data, want)
    for snapshot in await docs.get_many(["create", "batch", "tx"]):
        assert snapshot is not None
        assert_same(f"get_many {snapshot.id}", snapshot.data, want)
    listed = [snapshot async for snapshot in docs.list_all()]
    assert len(listed) == 4
    for snapshot in listed:
        assert_same(f"list_all {snapshot.id}", snapshot.data, want)


async def test_typed_update_with_a_mask(db: Any) -> None:
    doc = db.collection(unique_collection(db.flavour, "typedupdate")).document("e")
    await doc.set({"name": "launch", "id": "pending"})
    at = datetime.datetime(1969, 7, 16, 13, 32, 0, 1, tzinfo=UTC)
    updated = await doc.update({"id": 2**63 - 2, "at": at, "blob": b""}, mask=["id", "at", "blob"])
    assert_same("update", updated.data, {"name": "launch", "id": 2**63 - 2, "at": at, "blob": b""})


async def test_typed_filters(db: Any) -> None:
    docs = db.collection(unique_collection(db.flavour, "typedquery"))
    base = datetime.datetime(1969, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)
    batch = db.batch()
    for i, id in enumerate(["a", "b", "c", "d"]):
        # n: 2^53 to 2^53+3, which doubles cannot tell apart; at: a microsecond apart across 1970.
        batch.set(f"{docs.name}/{id}", {"n": 2**53 + i, "at": base + datetime.timedelta(microseconds=i)})
    await batch.commit()

    async def ids(query: Any) -> list[str]:
        return [snapshot.id for snapshot in await query.get()]

    assert await ids(docs.where("n", "==", 2**53 + 1)) == ["b"]
    assert await ids(docs.where("n", "in", [2**53, 2**53 + 3])) == ["a", "d"]
    epoch = datetime.datetime(1970, 1, 1, tzinfo=UTC)
    assert await ids(docs.where("at", ">=", epoch).order_by("at", "desc")) == ["d", "c"]
    assert await ids(docs.where("at", "<", epoch).order_by("n", "desc")) == ["b", "a"]


async def test_exact_integer_sums_and_increments(db: Any) -> None:
    docs = db.collection(unique_collection(db.flavour, "typedsum"))
    first = datetime.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    last = datetime.datetime(2100, 1, 1, 0, 0, 0, 999, tzinfo=UTC)
    values = [2**61 + 1, 2**61 + 2, 2**61 + 3]
    for id, n, at in zip("abc", values, [first, last, datetime.datetime(1970, 1, 1, tzinfo=UTC)]):
        await docs.document(id).set({"n": n, "at": at})
    groups = await docs.query().aggregate(
        {"total": impossibledb.sum("n"), "count": impossibledb.count(), "first": impossibledb.min("at"), "last": impossibledb.max("at")}
    )
    results = groups[0].values
    assert same(results["total"], 3 * 2**61 + 6), results
    assert same(results["count"], 3) and same(results["first"], first) and same(results["last"], last), results

    counter = docs.document("counter")
    await counter.set({"n": 2**53})
    for _ in range(3):
        await counter.update({}, transforms=[impossibledb.increment("n", 1)])
    stamped = await counter.update({}, transforms=[impossibledb.server_timestamp("at")])
    assert same(stamped.data["n"], 2**53 + 3), stamped.data
    assert isinstance(stamped.data["at"], datetime.datetime) and stamped.data["at"].tzinfo == UTC
    # The same transforms ride on the writes of batches and transactions.
    await db.batch().update(f"{docs.name}/counter", {}, transforms=[impossibledb.increment("n", 10)]).commit()

    async def bump(tx: Any) -> None:
        tx.update(f"{docs.name}/counter", {}, transforms=[impossibledb.increment("n", 100)])

    await db.run_transaction(bump)
    bumped = await counter.get()
    assert bumped is not None and same(bumped.data["n"], 2**53 + 113), bumped.data
    await counter.set({"n": 2**63 - 1})
    with pytest.raises(impossibledb.OutOfRange):
        await counter.update({}, transforms=[impossibledb.increment("n", 1)])
    after = await counter.get()
    assert after is not None and same(after.data["n"], 2**63 - 1), "a refused increment changes nothing"


async def test_array_union_and_array_remove(db: Any) -> None:
    post = db.collection(unique_collection(db.flavour, "arrays")).document("post")
    await post.set({"tags": ["draft", "a"], "ids": [2**53]})
    at = datetime.datetime(2026, 11, 30, 12, 0, 0, 123_456, tzinfo=UTC)
    # Union: only what the array does not hold, in order; typed elements compare exactly (2**53 + 1 is not 2**53).
    unioned = await post.update({}, transforms=[impossibledb.array_union("tags", "a", "b", "b", at), impossibledb.array_union("ids", 2**53, 2**53 + 1)])
    assert unioned.data["tags"] == ["draft", "a", "b", at] and unioned.data["ids"] == [2**53, 2**53 + 1], unioned.data
    # Remove: every equal element; a missing field becomes [].
    removed = await post.update({}, transforms=[impossibledb.array_remove("tags", "draft", at), impossibledb.array_remove("missing", 1)])
    assert removed.data["tags"] == ["a", "b"] and removed.data["missing"] == [], removed.data

    async def tag(tx: Any) -> None:
        tx.update(post, {}, transforms=[impossibledb.array_union("tags", "c")])

    await db.run_transaction(tag)
    await db.batch().update(post, {}, transforms=[impossibledb.array_remove("tags", "a")]).commit()
    after = await post.get()
    assert after is not None and after.data["tags"] == ["b", "c"], after.data
