"""Connects the end-to-end tests to a running ImpossibleDB, through both Python clients.

Every scenario runs four times: through impossibledb.AsyncClient and
impossibledb.Client over Connect (straight to the Worker at
IMPOSSIBLEDB_URL), and through both over gRPC (GrpcTransport and
AsyncGrpcTransport, grpcio, through the front door at
IMPOSSIBLEDB_GRPC_TARGET). Scenarios are written once, in the async client's shape;
the sync client is reached through SyncAsAsync, which also checks that the
two clients have the same shape. test_raw_stubs.py and test_large_answers.py
call the generated connectrpc and grpcio stubs directly (grpcio through the
front door at IMPOSSIBLEDB_GRPC_TARGET). The suite never skips: without both
variables it stops with a usage error.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

import impossibledb

URL_ENV = "IMPOSSIBLEDB_URL"
GRPC_TARGET_ENV = "IMPOSSIBLEDB_GRPC_TARGET"
# Bounds every call, so a stuck server fails a test instead of hanging it.
CALL_TIMEOUT_MS = 30_000


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(URL_ENV) or not os.environ.get(GRPC_TARGET_ENV):
        raise pytest.UsageError(
            f"{URL_ENV} (the Worker's Connect base URL, e.g. http://127.0.0.1:8787) and "
            f"{GRPC_TARGET_ENV} (the gRPC front door's host:port, e.g. 127.0.0.1:8788) must both be set; "
            "start the server with `npm start`, or run the suite through scripts/test-python.sh "
            "from the end-to-end harness (tests/unit needs neither)"
        )


# Each sync class and the async class whose shape it must have.
TWINS: dict[type, type] = {
    impossibledb.Client: impossibledb.AsyncClient,
    impossibledb.Collection: impossibledb.AsyncCollection,
    impossibledb.DocumentReference: impossibledb.AsyncDocumentReference,
    impossibledb.Query: impossibledb.AsyncQuery,
    impossibledb.Transaction: impossibledb.AsyncTransaction,
    impossibledb.WriteBatch: impossibledb.AsyncWriteBatch,
}


def finish(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Runs a coroutine that never suspends (every await in it reaches a sync call) to its end, without an event loop.

    That is what a scenario's transaction function is when the sync client
    runs it: its awaits are SyncAsAsync calls that return at once.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError("a transaction function awaited something besides the sync client")


class SyncAsAsync:
    """A sync client object in the async client's shape: what the async twin awaits is awaited here too.

    Methods missing from the sync twin fail the test (AttributeError), so
    the two clients cannot drift apart in what the scenarios use.
    """

    def __init__(self, target: Any) -> None:
        self._target = target
        self._twin = TWINS[type(target)]

    def __repr__(self) -> str:
        return f"SyncAsAsync({self._target!r})"

    def __eq__(self, other: object) -> bool:
        return self._target == (other._target if isinstance(other, SyncAsAsync) else other)

    def __len__(self) -> int:
        return len(self._target)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value
        twin = inspect.getattr_static(self._twin, name)
        if name == "run_transaction":
            return self._run_transaction
        if inspect.iscoroutinefunction(twin):
            async def awaited(*args: Any, **kwargs: Any) -> Any:
                return wrap(value(*unwrap(args), **unwrap_values(kwargs)))

            return awaited
        if inspect.isasyncgenfunction(twin):
            async def iterated(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                for item in value(*unwrap(args), **unwrap_values(kwargs)):
                    yield item

            return iterated
        return lambda *args, **kwargs: wrap(value(*unwrap(args), **unwrap_values(kwargs)))

    async def _run_transaction(self, fn: Callable[[Any], Coroutine[Any, Any, Any]], **options: Any) -> Any:
        return self._target.run_transaction(lambda tx: finish(fn(SyncAsAsync(tx))), **options)


def wrap(value: Any) -> Any:
    return SyncAsAsync(value) if type(value) in TWINS else value


def unwrap(values: tuple[Any, ...] | list[Any]) -> list[Any]:
    """Arguments as the sync client takes them: wrapped objects (document references) unwrapped, lists too."""
    out = []
    for value in values:
        if isinstance(value, SyncAsAsync):
            value = value._target
        elif isinstance(value, list) and any(isinstance(item, SyncAsAsync) for item in value):
            value = unwrap(value)
        out.append(value)
    return out


def unwrap_values(kwargs: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(kwargs, unwrap(list(kwargs.values()))))


FLAVOURS = ["async", "sync", "grpc_async", "grpc_sync"]
"""AsyncClient and Client over Connect (to the Worker), then over gRPC with grpcio (through the front door)."""


def new_client(flavour: str) -> Any:
    """A client of a flavour, in the async client's shape; `.flavour` names it."""
    url = os.environ[URL_ENV]
    target = os.environ[GRPC_TARGET_ENV]
    client: Any
    if flavour == "async":
        client = impossibledb.AsyncClient(url, timeout_ms=CALL_TIMEOUT_MS)
    elif flavour == "sync":
        client = SyncAsAsync(impossibledb.Client(url, timeout_ms=CALL_TIMEOUT_MS))
    elif flavour == "grpc_async":
        client = impossibledb.AsyncClient(transport=impossibledb.AsyncGrpcTransport(target), timeout_ms=CALL_TIMEOUT_MS)
    else:
        client = SyncAsAsync(impossibledb.Client(transport=impossibledb.GrpcTransport(target), timeout_ms=CALL_TIMEOUT_MS))
    client.__dict__["flavour"] = flavour
    return client


@pytest.fixture(params=FLAVOURS)
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The client under test, in the async client's shape; `db.flavour` names which."""
    client = new_client(request.param)
    try:
        yield client
    finally:
        await client.close()
