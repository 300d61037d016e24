"""The seed's transaction, conflicts, and contention without lost updates, through both clients."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import impossibledb
from conftest import new_client
from helpers import unique_collection


async def test_seed_transaction_then_a_conflict_aborts(db: Any) -> None:
    """Read a user, write an order, delete a cart, all or nothing; then a commit that must abort."""
    users = db.collection(unique_collection(db.flavour, "users"))
    orders = db.collection(unique_collection(db.flavour, "orders"))
    carts = db.collection(unique_collection(db.flavour, "carts"))
    await users.document("user123").set({"owner": "alice"})
    await carts.document("cart789").set({"items": 3})

    tx = db.transaction()
    tx.read(users.document("user123")).set(orders.document("order456"), {"product": "Widget", "quantity": 5}).delete(carts.document("cart789"))
    results = await tx.commit()
    assert [r.id for r in results] == ["order456", "cart789"] and results[0].version > 0
    assert (await orders.document("order456").get()).data == {"product": "Widget", "quantity": 5}
    assert await carts.document("cart789").get() is None

    second = db.transaction()
    assert (await second.get(users.document("user123"))).data == {"owner": "alice"}
    await users.document("user123").set({"owner": "bob"})
    second.set(orders.document("order456"), {"product": "Gadget"})
    with pytest.raises(impossibledb.Aborted):
        await second.commit()
    assert (await orders.document("order456").get()).data == {"product": "Widget", "quantity": 5}


async def test_a_document_read_twice_at_two_versions_aborts(db: Any) -> None:
    """The lost update the TypeScript SDK once had: the write was computed from the first read."""
    account = db.collection(unique_collection(db.flavour, "accounts")).document("a")
    await account.set({"balance": 100})
    tx = db.transaction()
    first = await tx.get(account)
    await account.set({"balance": 50})
    again = await tx.get(account)
    assert (first.data, again.data) == ({"balance": 100}, {"balance": 50})
    assert [version for _, version in tx.read_set()] == [first.version, again.version]
    tx.set(account, {"balance": first.data["balance"] - 10})
    with pytest.raises(impossibledb.Aborted):
        await tx.commit()
    assert (await account.get()).data == {"balance": 50}


async def test_transaction_reads_of_missing_documents_are_validated(db: Any) -> None:
    doc = db.collection(unique_collection(db.flavour, "missing")).document("later")
    tx = db.transaction()
    assert await tx.get(doc) is None
    await doc.set({"created": "by someone else"})
    tx.create(db.document(doc.collection, "other"), {"x": 1})
    with pytest.raises(impossibledb.Aborted):
        await tx.commit()


INCREMENTS = 6


async def test_run_transaction_under_contention_loses_no_update(db: Any) -> None:
    counter = db.collection(unique_collection(db.flavour, "counter")).document("c")
    await counter.set({"n": 0, "log": []})

    async def increment(client: Any, worker: int) -> None:
        async def fn(tx: Any) -> None:
            current = await tx.get(db.document(counter.collection, counter.id))
            tx.set(db.document(counter.collection, counter.id), {"n": current.data["n"] + 1, "log": [*current.data["log"], worker]})

        await client.run_transaction(fn, attempts_max=50)

    clients = [new_client(db.flavour) for _ in range(INCREMENTS)]
    try:
        if db.flavour.endswith("async"):
            await asyncio.gather(*(increment(client, worker) for worker, client in enumerate(clients)))
        else:
            errors: list[BaseException] = []

            def run(worker: int) -> None:
                try:
                    asyncio.run(increment(clients[worker], worker))
                except BaseException as error:  # noqa: BLE001  # reported below
                    errors.append(error)

            threads = [threading.Thread(target=run, args=(worker,)) for worker in range(INCREMENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not errors, errors
    finally:
        for client in clients:
            await client.close()
    final = (await counter.get()).data
    assert final["n"] == INCREMENTS, f"lost updates: {final}"
    assert sorted(final["log"]) == list(range(INCREMENTS)), "every increment applied exactly once"
