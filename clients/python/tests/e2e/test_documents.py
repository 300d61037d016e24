"""Documents through both clients: CRUD with preconditions and masks, bad input as typed exceptions, batches."""

from __future__ import annotations

from typing import Any

import pytest

import impossibledb
from helpers import unique_collection


async def test_crud_with_preconditions_and_masks(db: Any) -> None:
    users = db.collection(unique_collection(db.flavour, "crud"))
    alice = users.document("alice")
    data = {"name": "Alice", "email": "alice@example.com", "age": 30, "active": True, "tags": ["admin", "beta"], "address": {"city": "Lisbon"}}

    created = await alice.create(data)
    assert created.data == data and created.version > 0 and created.create_time is not None
    with pytest.raises(impossibledb.AlreadyExists) as raised:
        await alice.create({"name": "Mallory"})
    assert raised.value.code == "already_exists"

    got = await alice.get()
    assert got is not None and (got.collection, got.id, got.version, got.data) == (users.name, "alice", created.version, data)
    assert type(got.data["age"]) is int, "a whole number reads back as int"

    replaced = await alice.set({"name": "Alice", "age": 31}, if_version=created.version)
    assert replaced.data == {"name": "Alice", "age": 31} and replaced.version != created.version
    with pytest.raises(impossibledb.FailedPrecondition):
        await alice.set({"name": "stale"}, if_version=created.version)
    assert (await alice.get()).data == {"name": "Alice", "age": 31}, "a failed precondition writes nothing"

    # The mask names age but the patch has none, so age is removed.
    patched = await alice.update({"email": "alice@example.org"}, mask=["email", "age"], if_exists=True)
    assert patched.data == {"name": "Alice", "email": "alice@example.org"}
    merged = await alice.update({"age": 32})
    assert merged.data == {"name": "Alice", "email": "alice@example.org", "age": 32}, "without a mask, top-level fields merge"

    assert await alice.delete() is True
    assert await alice.get() is None
    assert await alice.delete() is False
    with pytest.raises(impossibledb.NotFound):
        await alice.update({"age": 1})
    with pytest.raises(impossibledb.FailedPrecondition):
        await alice.delete(if_exists=True)


async def test_bad_input_raises_typed_exceptions(db: Any) -> None:
    collection = db.collection(unique_collection(db.flavour, "bad"))
    with pytest.raises(impossibledb.InvalidArgument):
        await db.collection("__reserved").document("x").get()
    with pytest.raises(impossibledb.InvalidArgument):
        await collection.document(".dot-first").set({"a": 1})
    with pytest.raises(impossibledb.InvalidArgument):
        await collection.document("x").set({"__id__": "forged"})
    with pytest.raises(impossibledb.InvalidArgument):
        await collection.document("x").set({"": "empty name"})
    with pytest.raises(impossibledb.InvalidArgument):
        await collection.list(page_token="forged")
    with pytest.raises(impossibledb.InvalidArgument):
        await collection.where("a..b", "==", 1).get()
    # Refused before sending: the wire would round it.
    with pytest.raises(TypeError, match='field "id"'):
        await collection.document("x").set({"id": 2**63})
    assert await collection.document("x").get() is None, "nothing of the bad writes was stored"


async def test_batches_atomic_and_per_shard(db: Any) -> None:
    items = db.collection(unique_collection(db.flavour, "batch"))
    count = 12
    batch = db.batch()
    for i in range(count):
        batch.set(items.document(f"item-{i:02d}"), {"n": i})
    results = await batch.commit()
    assert [r.id for r in results] == [f"item-{i:02d}" for i in range(count)] and all(r.version > 0 for r in results)

    got = await items.get_many(["item-03", "missing", "item-11", "item-00"])
    assert [None if d is None else d.data["n"] for d in got] == [3, None, 11, 0]

    # All or nothing across shards: one failing create leaves every write unapplied.
    failing = db.batch().set(items.document("item-20"), {"n": 20}).create(items.document("item-05"), {"n": -1}).delete(items.document("item-06"))
    with pytest.raises(impossibledb.AlreadyExists):
        await failing.commit()
    assert await items.document("item-20").get() is None
    assert (await items.document("item-06").get()).data == {"n": 6}

    # Per shard: each write reports its own outcome.
    outcomes = await failing.commit_nonatomic()
    assert [o.path.id for o in outcomes] == ["item-20", "item-05", "item-06"]
    assert isinstance(outcomes[1].error, impossibledb.AlreadyExists)
    assert (await items.document("item-05").get()).data == {"n": 5}
    for outcome in (outcomes[0], outcomes[2]):
        # Applied (another shard), or aborted with the failing write (same shard); what is stored must say which.
        stored = await db.document(items.name, outcome.path.id).get()
        if outcome.ok:
            assert (stored is None) == (outcome.path.id == "item-06")
        else:
            assert isinstance(outcome.error, impossibledb.Aborted)
            assert (stored is None) == (outcome.path.id == "item-20")

    listed = [d.id async for d in items.list_all()]
    assert listed == sorted(listed) and "item-00" in listed
    page = await items.list(page_size=3)
    assert len(page.documents) == 3 and page.next_page_token
