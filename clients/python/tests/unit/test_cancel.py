"""Cancelling the asyncio client over Connect: the real AsyncConnectTransport and connectrpc client, against an in-memory Connect server.

connectrpc turns the CancelledError that cancelling a task throws into a
call or a stream into ConnectError(CANCELED). These tests hold the client to
what asyncio code expects instead: a cancelled listener task ends cancelled
(no reconnect, no more snapshots), asyncio.run() returns with one left
running, and asyncio.timeout() around a call raises TimeoutError. The server
is connectrpc's own ASGI application, reached through pyqwest's in-memory
ASGI transport, so no socket is opened.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from pyqwest import Client
from pyqwest.testing import ASGITransport

import impossibledb
from impossibledb._transport import AsyncConnectTransport
from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc
from impossibledb.v1 import query_service_pb2 as qs
from impossibledb.v1.collection_service_connect import CollectionService, CollectionServiceASGIApplication
from impossibledb.v1.query_service_connect import QueryService, QueryServiceASGIApplication

NO_WAIT = impossibledb.RetryPolicy(random=lambda: 0.0)
MESSAGE_INTERVAL_S = 0.01
"""How often the server's Listen sends a change: often, so a listener that ignored its cancellation would show it at once."""
STOP_WAIT_S = 2.0
"""How long a cancelled task may take to end; it needs a few event loop turns, so this only bounds a broken client."""


class Server(QueryService, CollectionService):
    """Listen sends a new document every MESSAGE_INTERVAL_S, forever; GetDocument never answers, or answers CANCELED itself."""

    def __init__(self) -> None:
        self.listens = 0
        self.sent = 0
        self.cancel_gets = False

    async def listen(self, request: qs.ListenRequest, ctx: Any) -> AsyncIterator[qs.ListenResponse]:
        self.listens += 1
        while True:
            self.sent += 1
            document = doc.Document(collection="c", id=f"d{self.sent}", version=1)
            yield qs.ListenResponse(changes=[qs.DocumentChange(type=qs.DocumentChange.TYPE_ADDED, document=document)], resume_token=f"t{self.sent}")
            await asyncio.sleep(MESSAGE_INTERVAL_S)

    async def get_document(self, request: cs.GetDocumentRequest, ctx: Any) -> cs.GetDocumentResponse:
        if self.cancel_gets:
            raise ConnectError(Code.CANCELED, "the server cancelled it")
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def connect_client(server: Server) -> impossibledb.AsyncClient:
    """An AsyncClient whose Connect transport sends through pyqwest into `server`'s ASGI applications."""
    query_app = QueryServiceASGIApplication(server)
    collection_app = CollectionServiceASGIApplication(server)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        target = query_app if scope["path"].startswith("/impossibledb.v1.QueryService/") else collection_app
        await target(scope, receive, send)

    transport = AsyncConnectTransport("http://in-memory", http_client=Client(transport=ASGITransport(app)))
    return impossibledb.AsyncClient("http://in-memory", transport=transport, retry=NO_WAIT)


RUN_BOUND_S = 10.0
"""How long one scenario, asyncio.run()'s cleanup included, may take: a client that ignores cancellation fails the test instead of hanging the suite."""


def run_bounded(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs main() under its own asyncio.run() in a thread; fails when main fails, or when asyncio.run() has not returned in RUN_BOUND_S.

    asyncio.run() cancels the tasks main() left behind and waits for them,
    so a task that ignores its cancellation keeps it from ever returning.
    """
    failures: list[BaseException] = []
    returned = threading.Event()

    async def recorded() -> None:
        try:
            await main()
        except BaseException as error:
            failures.append(error)

    def run() -> None:
        asyncio.run(recorded())
        returned.set()

    threading.Thread(target=run, daemon=True).start()
    returned.wait(RUN_BOUND_S)
    if failures:
        raise failures[0]
    assert returned.is_set(), f"asyncio.run() did not return in {RUN_BOUND_S} s: a task left running ignored its cancellation"


async def wait_done(task: asyncio.Task[Any]) -> None:
    """Waits up to STOP_WAIT_S for `task` to end, without cancelling it again."""
    await asyncio.wait([task], timeout=STOP_WAIT_S)


def test_cancelling_a_listener_task_stops_it() -> None:
    async def main() -> None:
        server = Server()
        db = connect_client(server)
        snapshots: list[impossibledb.ListenSnapshot] = []

        async def listen() -> None:
            async for snap in db.collection("c").listen():
                snapshots.append(snap)

        task = asyncio.create_task(listen())
        while len(snapshots) < 3:
            await asyncio.sleep(MESSAGE_INTERVAL_S)
        task.cancel()
        await wait_done(task)
        assert task.done(), "task.cancel() stops a listener over Connect"
        assert task.cancelled(), f"the task ends cancelled, not with {task.exception()!r}"
        seen = len(snapshots)
        await asyncio.sleep(10 * MESSAGE_INTERVAL_S)
        assert len(snapshots) == seen, "no snapshot after the task ended"
        assert server.listens == 1, "the listener did not take its cancellation for a broken stream and reconnect"
        await db.close()

    run_bounded(main)


def test_a_timeout_around_a_listener_raises_timeout_error() -> None:
    async def main() -> None:
        db = connect_client(Server())
        snapshots = 0
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(20 * MESSAGE_INTERVAL_S):
                async for _ in db.collection("c").listen():
                    snapshots += 1
        assert snapshots > 0
        await db.close()

    run_bounded(main)


def test_asyncio_run_returns_with_a_listener_task_left_running() -> None:
    # The new user's program: main() starts a listener task and returns.
    async def main() -> None:
        db = connect_client(Server())
        snapshots: list[impossibledb.ListenSnapshot] = []

        async def listen() -> None:
            async for snap in db.collection("c").listen():
                snapshots.append(snap)

        asyncio.create_task(listen())
        while not snapshots:
            await asyncio.sleep(MESSAGE_INTERVAL_S)

    run_bounded(main)


def test_cancelling_a_call_cancels_its_task() -> None:
    async def main() -> None:
        db = connect_client(Server())
        task = asyncio.create_task(db.collection("c").document("d").get())
        await asyncio.sleep(10 * MESSAGE_INTERVAL_S)
        task.cancel()
        await wait_done(task)
        assert task.cancelled(), f"the task ends cancelled, not with {task.exception() if task.done() else 'nothing'!r}"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(10 * MESSAGE_INTERVAL_S):
                await db.collection("c").document("d").get()
        await db.close()

    run_bounded(main)


async def test_a_cancel_from_the_server_is_still_canceled() -> None:
    # Only the task's own cancellation becomes CancelledError: a CANCELED the
    # server answers is an error like any other.
    server = Server()
    server.cancel_gets = True
    db = connect_client(server)
    with pytest.raises(impossibledb.Canceled, match="the server cancelled it"):
        await db.collection("c").document("d").get()
    await db.close()


class CancelAsCanceledTransport:
    """A transport that reports its task's cancellation as connectrpc does, as Canceled: what any user transport may do."""

    def __init__(self) -> None:
        self.listens = 0

    async def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        raise AssertionError(f"unexpected call of {method}")

    async def close(self) -> None:
        pass

    async def listen(self, request: qs.ListenRequest) -> AsyncIterator[qs.ListenResponse]:
        self.listens += 1
        yield qs.ListenResponse(resume_token="t1", current=True)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise impossibledb.Canceled("Request was cancelled") from None


def test_a_listener_stops_when_its_transport_reports_the_cancellation_as_canceled() -> None:
    async def main() -> None:
        transport = CancelAsCanceledTransport()
        db = impossibledb.AsyncClient("http://unused", transport=transport, retry=NO_WAIT)
        started = asyncio.Event()

        async def listen() -> None:
            async for _ in db.collection("c").listen():
                started.set()

        task = asyncio.create_task(listen())
        await started.wait()
        task.cancel()
        await wait_done(task)
        assert task.cancelled(), "the listener stops instead of reconnecting"
        assert transport.listens == 1

    run_bounded(main)
