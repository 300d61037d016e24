"""Transactions send every version they read, and run_transaction retries conflicts, in both clients."""

from __future__ import annotations

from typing import Any

import pytest

import impossibledb
from fake_server import FakeServer
from impossibledb import _txstate
from impossibledb.v1 import transaction_service_pb2 as ts


def committed_reads(server: FakeServer) -> list[tuple[str, int]]:
    commits = [request for name, request in server.calls if name == "Commit"]
    return [(f"{r.ref.collection}/{r.ref.id}", r.version) for r in commits[-1].reads]


def test_a_document_read_twice_at_two_versions_is_sent_twice_and_aborts(client: impossibledb.Client, server: FakeServer) -> None:
    first = server.put("accounts", "a", {"balance": 100})
    tx = client.transaction()
    assert tx.get("accounts/a").data == {"balance": 100}  # type: ignore[union-attr]
    second = server.put("accounts", "a", {"balance": 50})  # another writer
    assert tx.get("accounts/a").data == {"balance": 50}  # type: ignore[union-attr]
    tx.set("accounts/a", {"balance": 90})
    with pytest.raises(impossibledb.Aborted):
        tx.commit()
    assert committed_reads(server) == [("accounts/a", first), ("accounts/a", second)]
    assert server.data("accounts", "a") == {"balance": 50}, "the other writer's change survives"


def test_reading_the_same_version_again_adds_nothing(client: impossibledb.Client, server: FakeServer) -> None:
    version = server.put("accounts", "a", {"balance": 100})
    tx = client.transaction()
    tx.get("accounts/a")
    tx.get("accounts/a")
    tx.get("accounts/missing")
    tx.set("accounts/a", {"balance": 90})
    tx.commit()
    assert committed_reads(server) == [("accounts/a", version), ("accounts/missing", 0)]
    assert server.data("accounts", "a") == {"balance": 90}


def test_queued_reads_are_made_and_validated_at_commit(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("users", "user123", {"name": "Alice"})
    server.put("carts", "cart789", {"items": 2})
    tx = client.transaction()
    tx.read("users/user123").set("orders/order456", {"product": "Widget", "quantity": 5}).delete("carts/cart789")
    results = tx.commit()
    assert [r.id for r in results] == ["order456", "cart789"]
    assert committed_reads(server)[0][0] == "users/user123"
    assert server.data("orders", "order456") == {"product": "Widget", "quantity": 5}
    assert server.data("carts", "cart789") is None
    with pytest.raises(impossibledb.FailedPrecondition, match="committed"):
        tx.set("orders/o2", {})


def test_transaction_reads_follow_unread_refs() -> None:
    server = FakeServer(refs_per_answer=2)
    client = impossibledb.Client("http://fake", transport=server)
    versions = {id: server.put("docs", id, {"id": id}) for id in ["a", "b", "d", "e"]}
    tx = client.transaction()
    got = tx.get_many([f"docs/{id}" for id in ["a", "b", "c", "d", "e"]])
    assert [None if d is None else d.id for d in got] == ["a", "b", None, "d", "e"]
    assert server.count("GetDocuments") == 3
    assert tx.read_set() == [(impossibledb.DocumentPath("docs", id), versions.get(id, 0)) for id in ["a", "b", "c", "d", "e"]]


def transfer(amount: int) -> Any:
    def fn(tx: impossibledb.Transaction) -> int:
        source = tx.get("accounts/from")
        target = tx.get("accounts/to")
        assert source is not None and target is not None
        tx.update("accounts/from", {"balance": int(source.data["balance"]) - amount})  # type: ignore[call-overload]
        tx.update("accounts/to", {"balance": int(target.data["balance"]) + amount})  # type: ignore[call-overload]
        return amount

    return fn


def test_run_transaction_retries_a_conflict_and_loses_no_update(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("accounts", "from", {"balance": 100})
    server.put("accounts", "to", {"balance": 0})
    interfered = []

    def other_writer(request: ts.CommitRequest) -> None:
        # Just before the first commit, someone else moves 30 out of "from".
        if not interfered:
            interfered.append(True)
            server.put("accounts", "from", {"balance": 70})

    server.before["Commit"] = other_writer
    assert client.run_transaction(transfer(10)) == 10
    assert server.count("Commit") == 2 and server.count("BeginTransaction") == 0
    assert server.data("accounts", "from") == {"balance": 60.0}, "the retry read 70, not 100"
    assert server.data("accounts", "to") == {"balance": 10.0}


def test_run_transaction_names_the_aborted_attempt_to_the_next(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("accounts", "from", {"balance": 100})
    server.put("accounts", "to", {"balance": 0})
    server.failures = []
    attempts = []

    def fn(tx: impossibledb.Transaction) -> None:
        attempts.append(tx)
        tx.get("accounts/from")
        if len(attempts) < 3:
            server.put("accounts", "from", {"balance": 100 - len(attempts)})
        tx.set("accounts/to", {"balance": 1})

    client.run_transaction(fn)
    # Each attempt begins with its first read, naming the attempt before it.
    begun = [request.new_transaction.retry_of for name, request in server.calls if name == "GetDocuments" and request.HasField("new_transaction")]
    assert begun == ["", "tx-1", "tx-2"]


def test_a_run_whose_first_read_aborted_keeps_the_priority_of_the_runs_before(client: impossibledb.Client, server: FakeServer) -> None:
    # Under contention a retry's first (locking) read can abort before the
    # answer names its id; the next run must still name an earlier attempt,
    # or it starts over as the youngest transaction and can starve.
    server.put("accounts", "a", {"n": 0})
    runs = []

    def fn(tx: impossibledb.Transaction) -> None:
        runs.append(tx)
        if len(runs) == 2:
            server.failures.append(impossibledb.Aborted("documents stayed locked by transactions in progress"))
        tx.get("accounts/a")
        if len(runs) == 1:
            server.put("accounts", "a", {"n": 1})  # another writer: the first commit aborts
        tx.set("accounts/a", {"n": 2})

    client.run_transaction(fn)
    begun = [request.new_transaction.retry_of for name, request in server.calls if name == "GetDocuments" and request.HasField("new_transaction")]
    assert begun == ["", "tx-1", "tx-1"]


async def test_async_run_whose_first_read_aborted_keeps_the_priority(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    server.put("accounts", "a", {"n": 0})
    runs = []

    async def fn(tx: impossibledb.AsyncTransaction) -> None:
        runs.append(tx)
        if len(runs) == 2:
            server.failures.append(impossibledb.Aborted("documents stayed locked by transactions in progress"))
        await tx.get("accounts/a")
        if len(runs) == 1:
            server.put("accounts", "a", {"n": 1})
        tx.set("accounts/a", {"n": 2})

    await aclient.run_transaction(fn)
    begun = [request.new_transaction.retry_of for name, request in server.calls if name == "GetDocuments" and request.HasField("new_transaction")]
    assert begun == ["", "tx-1", "tx-1"]


def test_run_transaction_gives_up_after_attempts_max(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("accounts", "a", {"n": 0})

    def always_conflicting(tx: impossibledb.Transaction) -> None:
        tx.get("accounts/a")
        server.put("accounts", "a", {"n": 1})
        tx.set("accounts/a", {"n": 2})

    with pytest.raises(impossibledb.Aborted) as raised:
        client.run_transaction(always_conflicting, attempts_max=3)
    assert server.count("Commit") == 3
    assert server.data("accounts", "a") == {"n": 1.0}
    # Not the last attempt's words alone, which tell the caller to retry what run_transaction just retried.
    last = "accounts/a changed since version"
    assert raised.value.message.startswith(
        "the transaction gave up after 3 attempts, each aborted (run_transaction's attempts_max argument, 10 by default, allows more); the last attempt: " + last
    )
    assert isinstance(raised.value.__cause__, impossibledb.Aborted) and raised.value.__cause__.message.startswith(last)


async def test_async_run_transaction_gives_up_saying_after_how_many_attempts(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    server.put("accounts", "a", {"n": 0})

    async def always_conflicting(tx: impossibledb.AsyncTransaction) -> None:
        await tx.get("accounts/a")
        server.put("accounts", "a", {"n": 1})
        tx.set("accounts/a", {"n": 2})

    with pytest.raises(impossibledb.Aborted, match=r"gave up after 2 attempts, each aborted \(run_transaction's attempts_max argument") as raised:
        await aclient.run_transaction(always_conflicting, attempts_max=2)
    assert isinstance(raised.value.__cause__, impossibledb.Aborted)


def test_run_transaction_raises_other_errors_at_once_and_rolls_back(client: impossibledb.Client, server: FakeServer) -> None:
    def failing(tx: impossibledb.Transaction) -> None:
        tx.get("accounts/a")
        raise ValueError("no such account")

    with pytest.raises(ValueError, match="no such account"):
        client.run_transaction(failing)
    assert server.count("GetDocuments") == 1 and server.count("Rollback") == 1 and server.count("Commit") == 0


def test_begin_request_works_without_a_retry_of_field() -> None:
    request = _txstate.begin_request(read_only=True, timeout_ms=1_500, retry_of="tx-1")
    assert request.options.read_only and request.options.timeout.seconds == 1 and request.options.timeout.nanos == 500_000_000


async def test_async_run_transaction_retries_a_conflict(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    server.put("accounts", "from", {"balance": 100})
    server.put("accounts", "to", {"balance": 0})
    server.before["Commit"] = lambda request: server.put("accounts", "from", {"balance": 70}) if server.count("Commit") == 1 else None

    async def fn(tx: impossibledb.AsyncTransaction) -> None:
        source = await tx.get("accounts/from")
        assert source is not None
        tx.update("accounts/from", {"balance": int(source.data["balance"]) - 10})  # type: ignore[call-overload]

    await aclient.run_transaction(fn)
    assert server.count("Commit") == 2
    assert server.data("accounts", "from") == {"balance": 60.0}


async def test_async_read_twice_aborts(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    server.put("accounts", "a", {"balance": 100})
    tx = aclient.transaction()
    await tx.get("accounts/a")
    server.put("accounts", "a", {"balance": 50})
    await tx.get("accounts/a")
    tx.set("accounts/a", {"balance": 90})
    with pytest.raises(impossibledb.Aborted):
        await tx.commit()
    assert len(committed_reads(server)) == 2


def test_run_transaction_commits_once_when_fn_commits_itself(client: impossibledb.Client, server: FakeServer) -> None:
    def fn(tx: impossibledb.Transaction) -> list[impossibledb.WriteResult]:
        tx.set("orders/o1", {"qty": 1})
        return tx.commit()

    results = client.run_transaction(fn)
    assert [r.id for r in results] == ["o1"] and server.count("Commit") == 1


def test_a_read_modify_write_makes_two_calls_and_never_begin_transaction(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("accounts", "a", {"balance": 100})

    def fn(tx: impossibledb.Transaction) -> None:
        source = tx.get("accounts/a")
        assert source is not None
        tx.update("accounts/a", {"balance": int(source.data["balance"]) - 10})  # type: ignore[call-overload]

    client.run_transaction(fn, timeout_ms=5_000)
    assert [name for name, _ in server.calls] == ["GetDocuments", "Commit"]
    (_, read), (_, commit) = server.calls
    assert read.HasField("new_transaction") and read.transaction == "" and read.new_transaction.timeout.seconds == 5
    assert commit.transaction == "tx-1" and not commit.HasField("new_transaction")
    assert server.data("accounts", "a") == {"balance": 90.0}


def test_a_transaction_that_never_reads_begins_with_its_commit(client: impossibledb.Client, server: FakeServer) -> None:
    tx = client.transaction(read_only=False)
    tx.set("orders/o1", {"qty": 1})
    tx.commit()
    assert [name for name, _ in server.calls] == ["Commit"]
    commit = server.calls[0][1]
    assert commit.transaction == "" and commit.HasField("new_transaction") and not commit.new_transaction.read_only


async def test_async_read_modify_write_makes_two_calls(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    server.put("accounts", "a", {"balance": 100})

    async def fn(tx: impossibledb.AsyncTransaction) -> None:
        await tx.get("accounts/a")
        tx.set("accounts/a", {"balance": 1})

    await aclient.run_transaction(fn)
    assert [name for name, _ in server.calls] == ["GetDocuments", "Commit"]
    assert server.calls[0][1].HasField("new_transaction") and server.calls[1][1].transaction == "tx-1"


def test_run_transaction_retries_a_commit_of_fn_s_own_that_fn_caught(client: impossibledb.Client, server: FakeServer) -> None:
    # The function's own commit is the run's: its Aborted, swallowed by fn,
    # must still run fn again rather than return as if it had committed.
    server.put("accounts", "a", {"n": 0})
    runs = []

    def fn(tx: impossibledb.Transaction) -> int:
        runs.append(tx)
        tx.get("accounts/a")
        if len(runs) == 1:
            server.put("accounts", "a", {"n": 1})  # another writer: this commit aborts
        tx.set("accounts/a", {"n": 2})
        try:
            tx.commit()
        except impossibledb.Aborted:
            pass
        return len(runs)

    assert client.run_transaction(fn) == 2
    assert server.data("accounts", "a") == {"n": 2.0}


def test_run_transaction_raises_the_error_of_fn_s_own_failed_commit(client: impossibledb.Client, server: FakeServer) -> None:
    server.failures.append(impossibledb.Unavailable("the connection broke before the answer arrived"))

    def fn(tx: impossibledb.Transaction) -> None:
        tx.set("accounts/a", {"n": 2})
        try:
            tx.commit()
        except impossibledb.Unavailable:
            pass

    with pytest.raises(impossibledb.Unavailable):
        client.run_transaction(fn)
    assert server.count("Commit") == 1


async def test_async_run_transaction_retries_a_commit_of_fn_s_own_that_fn_caught(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    server.put("accounts", "a", {"n": 0})
    runs = []

    async def fn(tx: impossibledb.AsyncTransaction) -> int:
        runs.append(tx)
        await tx.get("accounts/a")
        if len(runs) == 1:
            server.put("accounts", "a", {"n": 1})
        tx.set("accounts/a", {"n": 2})
        try:
            await tx.commit()
        except impossibledb.Aborted:
            pass
        return len(runs)

    assert await aclient.run_transaction(fn) == 2
    assert server.data("accounts", "a") == {"n": 2.0}


def test_run_transaction_returns_fn_s_value_without_committing_after_fn_rolled_back(client: impossibledb.Client, server: FakeServer) -> None:
    server.put("accounts", "a", {"n": 0})

    def fn(tx: impossibledb.Transaction) -> str:
        tx.get("accounts/a")
        tx.set("accounts/a", {"n": 2})
        tx.rollback()
        return "abandoned"

    assert client.run_transaction(fn) == "abandoned"
    assert server.count("Commit") == 0
    assert server.data("accounts", "a") == {"n": 0.0}


def test_a_transaction_refuses_a_second_write_of_a_document_when_it_is_made(client: impossibledb.Client, server: FakeServer) -> None:
    # The server refuses the whole Commit in these words; the transaction says so at once.
    tx = client.transaction()
    tx.set("accounts/a", {"n": 1})
    with pytest.raises(impossibledb.InvalidArgument, match=r"\] writes\[1\] writes accounts/a again; a transaction may write each document once$"):
        tx.delete("accounts/a")
    tx.set("other/a", {"n": 1})
    tx.commit()
    assert server.data("accounts", "a") == {"n": 1.0}
