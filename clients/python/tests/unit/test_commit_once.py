"""A transaction commits once, in both clients: a second commit() while one is in flight, or after a
commit whose answer was lost, never sends a second Commit that the server would apply as a new
transaction (a transaction that only wrote begins with its Commit). And an asyncio transaction's
concurrent first reads begin ONE transaction, so a read-only transaction's reads share a snapshot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import impossibledb
from conftest import NO_WAIT
from fake_server import FakeServer
from impossibledb.v1 import transaction_service_pb2 as ts


class LosingServer:
    """FakeServer behind a connection that can lose Commit's answer after the commit was applied.

    A Commit naming a transaction already committed answers the first outcome again without
    applying anything, as ImpossibleDB does."""

    def __init__(self) -> None:
        self.server = FakeServer()
        self.lose_next_commit_answer = False
        self.commit_delay_s = 0.0
        self.committed: dict[str, ts.CommitResponse] = {}

    def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        if method == "Commit" and request.transaction in self.committed:
            self.server.calls.append((method, request))
            return self.committed[request.transaction]
        response = self.server.call(method, request, timeout_ms)
        if method == "Commit":
            if request.transaction:
                self.committed[request.transaction] = response
            if self.lose_next_commit_answer:
                self.lose_next_commit_answer = False
                raise impossibledb.Unavailable("the connection broke before the answer arrived")
        return response

    async def acall(self, method: str, request: Any, timeout_ms: int) -> Any:
        if method in ("Commit", "GetDocuments"):
            await asyncio.sleep(self.commit_delay_s)
        return self.call(method, request, timeout_ms)

    def close(self) -> None:
        self.server.close()


class AsyncLosing:
    def __init__(self, losing: LosingServer) -> None:
        self.losing = losing

    async def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        return await self.losing.acall(method, request, timeout_ms)

    async def close(self) -> None:
        self.losing.close()


def commits(losing: LosingServer) -> list[Any]:
    return [request for name, request in losing.server.calls if name == "Commit"]



def test_write_only_commit_after_a_lost_answer_is_refused_not_applied_again() -> None:
    losing = LosingServer()
    client = impossibledb.Client("http://fake", transport=losing, retry=NO_WAIT)
    tx = client.transaction()
    tx.set("c/n", {"n": 1})
    losing.lose_next_commit_answer = True
    with pytest.raises(impossibledb.Unavailable):
        tx.commit()
    with pytest.raises(impossibledb.FailedPrecondition, match="outcome is unknown"):
        tx.commit()
    assert len(commits(losing)) == 1
    assert losing.server.data("c", "n") == {"n": 1}


def test_commit_with_an_id_after_a_lost_answer_learns_the_outcome_from_the_same_id() -> None:
    losing = LosingServer()
    client = impossibledb.Client("http://fake", transport=losing, retry=NO_WAIT)
    tx = client.transaction()
    tx.get("c/n")
    tx.set("c/n", {"n": 1})
    losing.lose_next_commit_answer = True
    with pytest.raises(impossibledb.Unavailable):
        tx.commit()
    results = tx.commit()
    assert [r.id for r in results] == ["n"]
    assert [c.transaction for c in commits(losing)] == [tx.id, tx.id]
    with pytest.raises(impossibledb.FailedPrecondition, match="committed"):
        tx.commit()
    assert len(commits(losing)) == 2


def test_commit_after_an_aborted_commit_is_refused_and_rollback_still_releases_locks(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("c", "n", {"n": 0})
    tx = client.transaction()
    tx.get("c/n")
    server.put("c", "n", {"n": 5})  # another writer
    tx.set("c/n", {"n": 1})
    with pytest.raises(impossibledb.Aborted):
        tx.commit()
    with pytest.raises(impossibledb.FailedPrecondition, match="refused"):
        tx.commit()
    tx.rollback()
    assert server.count("Commit") == 1
    assert server.count("Rollback") == 1
    assert server.data("c", "n") == {"n": 5}


async def test_async_two_commits_at_once_send_one_commit() -> None:
    losing = LosingServer()
    losing.commit_delay_s = 0.02
    aclient = impossibledb.AsyncClient("http://fake", transport=AsyncLosing(losing), retry=NO_WAIT)
    tx = aclient.transaction()
    tx.set("c/n", {"n": 1})
    first, second = await asyncio.gather(tx.commit(), tx.commit(), return_exceptions=True)
    assert not isinstance(first, BaseException)
    assert isinstance(second, impossibledb.FailedPrecondition)
    assert len(commits(losing)) == 1


async def test_async_write_only_commit_after_a_lost_answer_is_refused() -> None:
    losing = LosingServer()
    aclient = impossibledb.AsyncClient("http://fake", transport=AsyncLosing(losing), retry=NO_WAIT)
    tx = aclient.transaction()
    tx.set("c/n", {"n": 1})
    losing.lose_next_commit_answer = True
    with pytest.raises(impossibledb.Unavailable):
        await tx.commit()
    with pytest.raises(impossibledb.FailedPrecondition, match="outcome is unknown"):
        await tx.commit()
    assert len(commits(losing)) == 1


async def test_async_concurrent_first_reads_begin_one_transaction() -> None:
    losing = LosingServer()
    losing.commit_delay_s = 0.02
    losing.server.put("c", "a", {"n": 1})
    losing.server.put("c", "b", {"n": 2})
    aclient = impossibledb.AsyncClient("http://fake", transport=AsyncLosing(losing), retry=NO_WAIT)
    tx = aclient.transaction(read_only=True)
    a, b = await asyncio.gather(tx.get("c/a"), tx.get("c/b"))
    assert (a.data, b.data) == ({"n": 1}, {"n": 2})  # type: ignore[union-attr]
    began = [r for name, r in losing.server.calls if name == "GetDocuments" and r.HasField("new_transaction")]
    assert len(began) == 1, "one read began the transaction; the other joined it"
    joined = [r for name, r in losing.server.calls if name == "GetDocuments" and not r.HasField("new_transaction")]
    assert [r.transaction for r in joined] == [tx.id]


def test_a_batch_is_sent_once_unless_an_atomic_commit_was_refused(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("c", "n", {"n": 0})
    batch = client.batch().set("c/a", {"n": 1})
    batch.commit()
    for again in (batch.commit, batch.commit_nonatomic):
        with pytest.raises(impossibledb.FailedPrecondition, match="already sent"):
            again()
    with pytest.raises(impossibledb.FailedPrecondition, match="already sent"):
        batch.set("c/b", {"n": 2})
    assert server.count("CommitBatch") == 1 and server.count("BatchWriteDocuments") == 0
    # A refused atomic commit applied nothing: the batch may go again.
    refused = client.batch().set("c/x", {"n": 1}).create("c/n", {"n": 2})
    with pytest.raises(impossibledb.AlreadyExists):
        refused.commit()
    outcomes = refused.commit_nonatomic()
    assert len(outcomes) == 2


async def test_async_batch_committed_twice_at_once_sends_once(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    batch = aclient.batch().set("c/a", {"n": 1})
    first, second = await asyncio.gather(batch.commit(), batch.commit(), return_exceptions=True)
    assert not isinstance(first, BaseException)
    assert isinstance(second, impossibledb.FailedPrecondition)
    assert server.count("CommitBatch") == 1


def test_a_batch_refuses_a_second_write_of_a_document_when_it_is_added(client: impossibledb.Client, server: FakeServer) -> None:
    # The server refuses the whole batch in these words; the batch says so at once, and sends nothing.
    batch = client.batch().set("c/a", {"n": 1}).set("c/b", {"n": 1})
    with pytest.raises(impossibledb.InvalidArgument, match=r"\] writes\[2\] writes c/a again; a batch may write each document once$"):
        batch.update("c/a", {"n": 2})
    assert len(batch) == 2, "the refused write was not added"
    batch.delete("d/a")  # the same id in another collection is another document
    batch.commit()
    assert server.count("CommitBatch") == 1


async def test_an_async_batch_refuses_a_second_write_of_a_document_when_it_is_added(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    batch = aclient.batch().create("c/a", {"n": 1})
    with pytest.raises(impossibledb.InvalidArgument, match=r"\] writes\[1\] writes c/a again"):
        batch.delete("c/a")
    assert len(batch) == 1


def test_the_sync_and_async_batches_keep_their_writes_in_one_shared_state(client: impossibledb.Client, aclient: impossibledb.AsyncClient) -> None:
    # One place decides when a batch takes a write or may be sent (_batchstate.py), not a copy per class.
    from impossibledb._batchstate import BatchState

    assert type(client.batch()._state) is BatchState
    assert type(aclient.batch()._state) is BatchState


class _DeadlineRecorder:
    """The fake server, recording each call's deadline (the client's own deadline is 50 ms)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.deadlines: list[tuple[str, int]] = []

    def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        self.deadlines.append((method, timeout_ms))
        return self.server.call(method, request, timeout_ms)

    def close(self) -> None:
        self.server.close()


def test_a_commit_takes_a_deadline_of_its_own_and_a_cut_one_says_its_outcome_is_unknown(server: FakeServer) -> None:
    recorder = _DeadlineRecorder(server)
    client = impossibledb.Client("http://fake", transport=recorder, timeout_ms=50)
    tx = client.transaction()
    tx.get("c/a")
    tx.set("c/a", {"n": 1})
    server.failures.append(impossibledb.DeadlineExceeded("deadline exceeded"))
    with pytest.raises(impossibledb.DeadlineExceeded, match=r"outcome is unknown, it may have been applied; commit\(\) again") as cut:
        tx.commit()
    assert isinstance(cut.value.__cause__, impossibledb.DeadlineExceeded)
    tx.commit(timeout_ms=60_000)
    commits = [ms for method, ms in recorder.deadlines if method == "Commit"]
    assert len(commits) == 2 and commits[0] <= 50 and 50_000 < commits[1] <= 60_000
    batch = client.batch().set("c/b", {"n": 1})
    server.failures.append(impossibledb.Unavailable("connection reset"))
    with pytest.raises(impossibledb.Unavailable, match="outcome is unknown.*read the documents"):
        batch.commit(timeout_ms=70_000)
    assert recorder.deadlines[-1][0] == "CommitBatch" and 60_000 < recorder.deadlines[-1][1] <= 70_000
