"""Listen end to end, through every flavour: the initial result, a set, an update and a delete, an atomic
batch over several shards and a transaction each as one snapshot, and broken connections that lose and
duplicate nothing (a TCP proxy in the test cuts them)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

import impossibledb
from conftest import CALL_TIMEOUT_MS, GRPC_TARGET_ENV, URL_ENV, SyncAsAsync, new_client
from helpers import unique_collection

BATCH_DOCUMENTS = 16
"""Documents of the atomic batch: with the local 8 shards they land on several."""


def ids(snap: impossibledb.ListenSnapshot) -> list[str]:
    return [d.id for d in snap.documents]


def described(changes: list[impossibledb.DocumentChange]) -> list[str]:
    """Changes as "type id", in id order: one commit's changes to different documents have no defined order."""
    return sorted((f"{c.type} {c.document.id}" for c in changes), key=lambda s: s.split(" ")[1])


async def until(listener: AsyncIterator[impossibledb.ListenSnapshot], want: list[str]) -> list[impossibledb.DocumentChange]:
    """Reads snapshots until the result holds exactly the ids `want`; returns the changes on the way."""
    changes: list[impossibledb.DocumentChange] = []
    while True:
        snap = await anext(listener)
        changes.extend(snap.changes)
        if ids(snap) == want:
            return changes


async def test_listen(db: Any) -> None:
    items = db.collection(unique_collection(db.flavour, "listen"))
    await items.document("a").set({"n": 1})
    everything = items.listen()
    query = items.where("n", ">=", 10).listen()
    try:
        first = await anext(everything)
        assert described(first.changes) == ["added a"] and first.resume_token and not first.reset
        assert ids(await anext(query)) == []

        await items.document("b").set({"n": 2})
        assert described(await until(everything, ["a", "b"])) == ["added b"]
        await items.document("a").update({"n": 11})
        await items.document("b").delete()
        assert described(await until(everything, ["a"])) == ["modified a", "removed b"]
        assert described(await until(query, ["a"])) == ["added a"], "a entered the query's result"

        batch = db.batch()
        names = [f"batch{i:02d}" for i in range(BATCH_DOCUMENTS)]
        for i, name in enumerate(names):
            batch.set(items.document(name), {"n": i})
        await batch.commit()
        snap = await anext(everything)
        assert ids(snap) == ["a", *names], "an atomic batch is one snapshot"
        assert len(snap.changes) == BATCH_DOCUMENTS

        async def fn(tx: Any) -> None:
            tx.set(items.document("batch00"), {"n": 100})
            tx.delete(items.document("batch15"))

        await db.run_transaction(fn)
        snap = await anext(everything)
        assert described(snap.changes) == ["modified batch00", "removed batch15"], "a transaction is one snapshot"
        assert snap.changes[0].transaction_id and snap.changes[0].transaction_id == snap.changes[1].transaction_id
    finally:
        await everything.aclose()
        await query.aclose()


CANCEL_BOUND_S = 15.0
"""How long the cancellation scenario, asyncio.run()'s cleanup included, may take before it fails (rather than hang the suite)."""


@pytest.mark.parametrize("flavour", ["async", "grpc_async"])
def test_cancelling_a_listener_task_stops_it(flavour: str) -> None:
    # The asyncio client only (tasks are asyncio's), over Connect and gRPC.
    # The scenario runs under its own asyncio.run() in a thread: a listener
    # that ignored its cancellation would keep asyncio.run() from returning
    # (it waits for the tasks main() left), so that fails the test here.
    failures: list[BaseException] = []
    returned = threading.Event()

    async def main() -> None:
        db = new_client(flavour)
        items = db.collection(unique_collection(flavour, "cancel"))
        await items.document("a").set({"n": 1})
        snapshots: list[impossibledb.ListenSnapshot] = []
        first = asyncio.Event()

        async def listen() -> None:
            async for snap in items.listen():
                snapshots.append(snap)
                first.set()

        task = asyncio.create_task(listen())
        await asyncio.wait_for(first.wait(), CANCEL_BOUND_S / 3)
        task.cancel()
        await asyncio.wait([task], timeout=CANCEL_BOUND_S / 3)
        assert task.cancelled(), f"{flavour}: task.cancel() ends the listener's task, cancelled ({task!r})"
        seen = len(snapshots)
        await items.document("b").set({"n": 2})
        await asyncio.sleep(0.5)
        assert len(snapshots) == seen, f"{flavour}: no snapshot after the task ended"
        await db.close()

    async def recorded() -> None:
        try:
            await main()
        except BaseException as error:
            failures.append(error)

    def run() -> None:
        asyncio.run(recorded())
        returned.set()

    threading.Thread(target=run, daemon=True).start()
    returned.wait(CANCEL_BOUND_S)
    if failures:
        raise failures[0]
    assert returned.is_set(), f"{flavour}: asyncio.run() did not return in {CANCEL_BOUND_S} s"


async def test_listen_resumes_from_a_token(db: Any) -> None:
    items = db.collection(unique_collection(db.flavour, "resume"))
    await items.document("a").set({"n": 1})
    first = items.listen()
    token = (await anext(first)).resume_token
    await first.aclose()
    await items.document("b").set({"n": 2})
    resumed = items.listen(resume_token=token)
    try:
        snap = await anext(resumed)
        assert described(snap.changes) == ["added b"] and not snap.reset, "only the changes since the token"
    finally:
        await resumed.aclose()


class CuttingProxy:
    """A TCP proxy to one upstream whose connections the test can cut, breaking streams under the client."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._server = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._server.getsockname()[1]}"
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    def cut(self) -> int:
        """Closes every connection so far; returns how many sockets were open."""
        with self._lock:
            cut, self._sockets = self._sockets, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        return len(cut)

    def close(self) -> None:
        self._server.close()
        self.cut()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass  # cut


def client_through(flavour: str, proxy: CuttingProxy) -> Any:
    """A client of the flavour whose connections all go through the proxy."""
    address = proxy.address
    client: Any
    if flavour == "async":
        client = impossibledb.AsyncClient(f"http://{address}", timeout_ms=CALL_TIMEOUT_MS)
    elif flavour == "sync":
        client = SyncAsAsync(impossibledb.Client(f"http://{address}", timeout_ms=CALL_TIMEOUT_MS))
    elif flavour == "grpc_async":
        client = impossibledb.AsyncClient(transport=impossibledb.AsyncGrpcTransport(address), timeout_ms=CALL_TIMEOUT_MS)
    else:
        client = SyncAsAsync(impossibledb.Client(transport=impossibledb.GrpcTransport(address), timeout_ms=CALL_TIMEOUT_MS))
    return client


async def test_listen_reconnects_without_loss_or_duplicates(db: Any) -> None:
    upstream = os.environ[GRPC_TARGET_ENV] if db.flavour.startswith("grpc") else os.environ[URL_ENV].removeprefix("http://")
    proxy = CuttingProxy(upstream)
    watcher = client_through(db.flavour, proxy)
    items = db.collection(unique_collection(db.flavour, "reconnect"))
    reconnects: list[str] = []
    listener = watcher.collection(items.name).listen(on_reconnect=lambda error, wait_ms: reconnects.append(repr(error)))
    try:
        await anext(listener)
        written: list[str] = []
        changes: list[impossibledb.DocumentChange] = []
        for round in range(3):
            # The listener's stream is open and idle: cut it (twice), then
            # write, so the writes can only reach it through a new stream
            # that resumes from its last token.
            if round < 2:
                assert proxy.cut() > 0, f"round {round}: the listener's connection goes through the proxy"
            for i in range(3):
                await items.document(f"r{round}_{i}").set({"round": round})
                written.append(f"r{round}_{i}")
            changes += await until(listener, written)
        assert described(changes) == [f"added {name}" for name in written], "every write exactly once"
        assert len(reconnects) >= 2, f"one reconnect per cut at least; saw {reconnects}"
    finally:
        await listener.aclose()
        await watcher.close()
        proxy.close()
