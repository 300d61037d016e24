"""Listeners across a real resharding: a database is grown from 8 to 10 shards (AdminService
StartResharding) under a sync and an asyncio listener, each open since before it began. The server
ends their streams with OutOfRange at the cutover ("the database was resharded while this stream was
open"); each listens again without a token and shows the fresh result as one snapshot with reset=True,
its changes the difference, and goes on listening (docs/realtime.md, docs/databases.md)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import impossibledb
from impossibledb.v1 import admin_service_connect
from impossibledb.v1 import admin_service_pb2 as admin
from helpers import RESHARD_TIMEOUT_S, auth_headers, wait_for_resharding

TIMEOUT_MS = 30_000
# A small database, so the resharding is quick: the listeners' result.
DOCUMENTS = 12

Next = Callable[[], Awaitable[impossibledb.ListenSnapshot]]


def apply(held: dict[str, impossibledb.DocumentSnapshot], snap: impossibledb.ListenSnapshot) -> None:
    """What a user who applies each snapshot's changes holds."""
    for change in snap.changes:
        if change.type == "removed":
            held.pop(change.document.id, None)
        else:
            held[change.document.id] = change.document


async def until_reset(next_snapshot: Next, held: dict[str, impossibledb.DocumentSnapshot]) -> impossibledb.ListenSnapshot:
    """Reads snapshots, applying their changes, until the one flagged reset."""
    while True:
        snap = await asyncio.wait_for(next_snapshot(), RESHARD_TIMEOUT_S)
        apply(held, snap)
        if snap.reset:
            return snap


async def test_listeners_start_over_without_a_token_when_the_database_is_resharded() -> None:
    url = os.environ["IMPOSSIBLEDB_URL"]
    database = f"py-{time.time_ns()}-listen-rs"
    in_database = {**auth_headers(), impossibledb.DATABASE_HEADER: database}
    with admin_service_connect.AdminServiceClientSync(url, timeout_ms=TIMEOUT_MS) as raw:
        raw.create_database(admin.CreateDatabaseRequest(database_id=database), headers=auth_headers())
        try:
            async with impossibledb.AsyncClient(url, database=database, timeout_ms=TIMEOUT_MS) as adb:
                with impossibledb.Client(url, database=database, timeout_ms=TIMEOUT_MS) as sdb:
                    batch = adb.batch()
                    for i in range(DOCUMENTS):
                        batch.set(f"docs/d{i:02d}", {"i": i})
                    await batch.commit()
                    async_listener = adb.collection("docs").listen()
                    sync_listener = sdb.collection("docs").listen()
                    listeners: dict[str, Next] = {
                        "async": lambda: anext(async_listener),
                        "sync": lambda: asyncio.to_thread(next, sync_listener),
                    }
                    try:
                        held: dict[str, dict[str, impossibledb.DocumentSnapshot]] = {name: {} for name in listeners}
                        for name, next_snapshot in listeners.items():
                            first = await next_snapshot()
                            apply(held[name], first)
                            assert (len(first.documents), first.reset, first.partial) == (DOCUMENTS, False, False), name

                        started = raw.start_resharding(admin.StartReshardingRequest(shard_count=10), headers=in_database).resharding
                        # Written while the resharding runs: it reaches each listener as a change, or in the reset's difference.
                        await adb.collection("docs").document("late").set({"i": -1})
                        resets = await asyncio.gather(*(until_reset(next_snapshot, held[name]) for name, next_snapshot in listeners.items()))
                        done = await asyncio.to_thread(wait_for_resharding, raw, in_database, started.id)
                        assert done.state == admin.Resharding.STATE_SUCCEEDED, list(done.errors)

                        want = sorted([f"d{i:02d}" for i in range(DOCUMENTS)] + ["late"])
                        for name, reset in zip(listeners, resets):
                            assert [d.id for d in reset.documents] == want, name
                            assert not reset.partial and reset.resume_token, name
                            assert all(c.transaction_id == "" for c in reset.changes), f"{name}: a difference carries no transaction ids"
                            assert sorted(held[name]) == want, f"{name}: applying every snapshot's changes gives the documents"

                        # The listeners go on, under the new routing table.
                        await adb.collection("docs").document("after").set({"i": 100})
                        for name, next_snapshot in listeners.items():
                            snap = await asyncio.wait_for(next_snapshot(), TIMEOUT_MS / 1000)
                            assert ([(c.type, c.document.id) for c in snap.changes], snap.reset) == ([("added", "after")], False), name
                    finally:
                        await async_listener.aclose()
                        sync_listener.close()  # type: ignore[attr-defined]
        finally:
            raw.delete_database(admin.DeleteDatabaseRequest(name=f"databases/{database}"), headers=auth_headers())
