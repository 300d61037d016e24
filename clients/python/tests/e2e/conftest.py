"""Connects the tests to a running ImpossibleDB, through every Python client.

Every scenario runs three times: connectrpc's async client and its sync
client (Connect protocol, straight to the Worker at IMPOSSIBLEDB_URL), and
grpcio (gRPC, through the front door at IMPOSSIBLEDB_GRPC_TARGET). The suite
never skips: without both variables it stops with a usage error.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import grpc
import pytest
from connectrpc.errors import ConnectError

from impossibledb.v1 import (
    collection_service_connect,
    collection_service_pb2_grpc,
    query_service_connect,
    query_service_pb2_grpc,
    transaction_service_connect,
    transaction_service_pb2_grpc,
)

URL_ENV = "IMPOSSIBLEDB_URL"
GRPC_TARGET_ENV = "IMPOSSIBLEDB_GRPC_TARGET"
# Bounds every call, so a stuck server fails a test instead of hanging it.
CALL_TIMEOUT_S = 30

# Every RPC the scenarios call, by service: (connectrpc name, grpcio name).
RPCS = {
    "collection": [
        ("get_document", "GetDocument"),
        ("batch_get_documents", "BatchGetDocuments"),
        ("list_documents", "ListDocuments"),
        ("create_document", "CreateDocument"),
        ("set_document", "SetDocument"),
        ("update_document", "UpdateDocument"),
        ("delete_document", "DeleteDocument"),
        ("batch_write_documents", "BatchWriteDocuments"),
    ],
    "query": [("run_query", "RunQuery")],
    "transaction": [
        ("begin_transaction", "BeginTransaction"),
        ("get_documents", "GetDocuments"),
        ("commit", "Commit"),
    ],
}

# Status codes by number, as WriteStatus.code carries them.
CODE_NAMES = {status.value[0]: status.name.lower() for status in grpc.StatusCode}


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(URL_ENV) or not os.environ.get(GRPC_TARGET_ENV):
        raise pytest.UsageError(
            f"{URL_ENV} (the Worker's Connect base URL, e.g. http://127.0.0.1:8787) and "
            f"{GRPC_TARGET_ENV} (the gRPC front door's host:port, e.g. 127.0.0.1:8788) must both be set; "
            "start the server with `npm start`, or run the suite through scripts/test-python.sh "
            "from the end-to-end harness"
        )


class Api:
    """One client flavour, with every RPC as `await db.<snake_name>(request)`."""

    def __init__(self, name: str, calls: dict[str, Callable[[Any], Awaitable[Any]]], code_of: Callable[[BaseException], str]):
        self.name = name
        self._calls = calls
        self._code_of = code_of

    def __getattr__(self, rpc: str) -> Callable[[Any], Awaitable[Any]]:
        try:
            return self._calls[rpc]
        except KeyError:
            raise AttributeError(rpc) from None

    def code(self, error: BaseException) -> str:
        """The status code of an error a call raised, as a snake_case name."""
        return self._code_of(error)


def _connect_code(error: BaseException) -> str:
    assert isinstance(error, ConnectError), f"not a ConnectError: {error!r}"
    return error.code.value


def _grpc_code(error: BaseException) -> str:
    assert isinstance(error, grpc.RpcError), f"not a grpc.RpcError: {error!r}"
    return error.code().name.lower()


def _blocking(call: Callable[[Any], Any], **options: Any) -> Callable[[Any], Awaitable[Any]]:
    # Sync clients are called directly on the test's thread: the scenario
    # awaits nothing else meanwhile, so blocking the event loop is harmless.
    async def invoke(request: Any) -> Any:
        return call(request, **options)

    return invoke


async def _connect_async(stack: AsyncExitStack, url: str) -> Api:
    clients = {
        "collection": collection_service_connect.CollectionServiceClient,
        "query": query_service_connect.QueryServiceClient,
        "transaction": transaction_service_connect.TransactionServiceClient,
    }
    calls = {}
    for service, client_class in clients.items():
        client = await stack.enter_async_context(client_class(url, timeout_ms=CALL_TIMEOUT_S * 1000))
        calls.update({snake: getattr(client, snake) for snake, _ in RPCS[service]})
    return Api("connect-async", calls, _connect_code)


async def _connect_sync(stack: AsyncExitStack, url: str) -> Api:
    clients = {
        "collection": collection_service_connect.CollectionServiceClientSync,
        "query": query_service_connect.QueryServiceClientSync,
        "transaction": transaction_service_connect.TransactionServiceClientSync,
    }
    calls = {}
    for service, client_class in clients.items():
        client = stack.enter_context(client_class(url, timeout_ms=CALL_TIMEOUT_S * 1000))
        calls.update({snake: _blocking(getattr(client, snake)) for snake, _ in RPCS[service]})
    return Api("connect-sync", calls, _connect_code)


async def _grpcio(stack: AsyncExitStack, target: str) -> Api:
    channel = stack.enter_context(grpc.insecure_channel(target))
    stubs = {
        "collection": collection_service_pb2_grpc.CollectionServiceStub(channel),
        "query": query_service_pb2_grpc.QueryServiceStub(channel),
        "transaction": transaction_service_pb2_grpc.TransactionServiceStub(channel),
    }
    calls = {}
    for service, stub in stubs.items():
        calls.update({snake: _blocking(getattr(stub, pascal), timeout=CALL_TIMEOUT_S) for snake, pascal in RPCS[service]})
    return Api("grpcio", calls, _grpc_code)


@pytest.fixture(params=["connect-async", "connect-sync", "grpcio"])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    async with AsyncExitStack() as stack:
        if request.param == "connect-async":
            yield await _connect_async(stack, os.environ[URL_ENV].rstrip("/"))
        elif request.param == "connect-sync":
            yield await _connect_sync(stack, os.environ[URL_ENV].rstrip("/"))
        else:
            yield await _grpcio(stack, os.environ[GRPC_TARGET_ENV])
