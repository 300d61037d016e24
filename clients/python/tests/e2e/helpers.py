"""Small helpers shared by the scenarios."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import grpc
from google.protobuf import json_format, struct_pb2

from impossibledb.v1 import admin_service_connect, document_pb2
from impossibledb.v1 import admin_service_pb2 as admin


def struct(fields: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(fields)
    return message


def data(document: document_pb2.Document) -> dict[str, Any]:
    """A raw document's data as plain Python (numbers come back as floats)."""
    return json_format.MessageToDict(document.data)


def unique_collection(client: str, purpose: str) -> str:
    """A collection no earlier run used, so runs against a long-lived database
    do not see each other's documents."""
    return f"py_{client.replace('-', '_')}_{purpose}_{time.time_ns()}"


# The API key the end-to-end harness makes for this suite (its server
# requires auth). impossibledb's clients read it themselves; the raw stubs
# get it from auth_headers() and grpc_channel().
API_KEY_ENV = "IMPOSSIBLEDB_API_KEY"
# "required" when the server requires auth: test_auth.py runs only then.
AUTH_ENV = "IMPOSSIBLEDB_AUTH"


def auth_headers() -> dict[str, str]:
    """`authorization: Bearer <IMPOSSIBLEDB_API_KEY>` for a raw connectrpc call; empty without a key."""
    key = os.environ.get(API_KEY_ENV)
    return {"authorization": f"Bearer {key}"} if key else {}


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


class _Details(_CallDetails, grpc.ClientCallDetails):
    """grpcio's ClientCallDetails, rebuilt with more metadata."""


class _HeaderInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """Adds fixed metadata to every unary and server-streaming call."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._metadata = list(headers.items())

    def _details(self, details: Any) -> _Details:
        metadata = list(details.metadata or []) + self._metadata
        return _Details(details.method, details.timeout, metadata, details.credentials, details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


@contextmanager
def grpc_channel(headers: Mapping[str, str] | None = None) -> Iterator[grpc.Channel]:
    """A grpcio channel to the front door whose calls carry `headers` (auth_headers() when None)."""
    with grpc.insecure_channel(os.environ["IMPOSSIBLEDB_GRPC_TARGET"]) as raw:
        yield grpc.intercept_channel(raw, _HeaderInterceptor(auth_headers() if headers is None else headers))


# How long a resharding may take on a loaded machine, and the wait between two polls.
RESHARD_TIMEOUT_S = 120.0
RESHARD_POLL_INTERVAL_S = 0.2


def wait_for_resharding(raw: admin_service_connect.AdminServiceClientSync, headers: dict[str, str], operation_id: str) -> admin.Resharding:
    """Polls GetResharding until the operation is in phase DONE."""
    deadline = time.monotonic() + RESHARD_TIMEOUT_S
    while time.monotonic() < deadline:
        got = raw.get_resharding(admin.GetReshardingRequest(), headers=headers).resharding
        assert got.id == operation_id, f"GetResharding answered {got.id}, not {operation_id}"
        if got.phase == admin.Resharding.PHASE_DONE:
            return got
        time.sleep(RESHARD_POLL_INTERVAL_S)
    raise AssertionError(f"resharding {operation_id} not done after {RESHARD_TIMEOUT_S} s")
