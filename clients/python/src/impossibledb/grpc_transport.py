"""gRPC transports through grpcio (the `grpc` extra: `pip install 'impossibledb[grpc]'`).

The clients speak Connect by default. Give one of these as `transport=` to
speak gRPC over HTTP/2 instead, to any gRPC endpoint (the local front door
on 127.0.0.1:8788, or Cloudflare's edge with gRPC enabled):

    db = impossibledb.Client(transport=GrpcTransport("127.0.0.1:8788"))
    db = impossibledb.AsyncClient(transport=AsyncGrpcTransport("127.0.0.1:8788"))

Everything else (deadlines, retries, typed errors, value checks) is the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from google.protobuf.message import Message

from ._database import database_metadata
from ._transport import RPC_METHODS
from .errors import from_grpc_error
from .v1 import query_service_pb2

__all__ = ["AsyncGrpcTransport", "GrpcTransport"]


def _stubs(channel: Any) -> dict[str, Any]:
    from .v1 import collection_service_pb2_grpc, query_service_pb2_grpc, transaction_service_pb2_grpc

    # The generated *_pb2_grpc modules carry no type hints.
    stub_classes: list[Any] = [
        collection_service_pb2_grpc.CollectionServiceStub,
        query_service_pb2_grpc.QueryServiceStub,
        transaction_service_pb2_grpc.TransactionServiceStub,
    ]
    stubs = [stub_class(channel) for stub_class in stub_classes]
    calls = {name: getattr(stub, name) for stub in stubs for name in RPC_METHODS if hasattr(stub, name)}
    assert set(calls) == set(RPC_METHODS), f"the generated stubs lack {sorted(set(RPC_METHODS) - set(calls))}"
    return calls


class GrpcTransport:
    """gRPC through a grpcio channel: plaintext HTTP/2 unless `credentials` (grpc.ChannelCredentials) are given.

    metadata: sent with every call (lower-case keys). options: grpcio channel options.
    api_key: an API key or JWT sent as `authorization: Bearer <key>`; IMPOSSIBLEDB_API_KEY when None.
    database: the database every call addresses (the `impossibledb-database` metadata); the server's `default` when None.
    """

    def __init__(
        self,
        target: str,
        *,
        credentials: Any = None,
        metadata: Mapping[str, str] | None = None,
        options: Sequence[tuple[str, Any]] = (),
        api_key: str | None = None,
        database: str | None = None,
    ) -> None:
        import grpc

        self._channel = grpc.secure_channel(target, credentials, options) if credentials else grpc.insecure_channel(target, options)
        self._calls = _stubs(self._channel)
        self._metadata = tuple({**_with_api_key(api_key, metadata), **database_metadata(database)}.items())

    def call(self, method: str, request: Message, timeout_ms: int) -> Any:
        """Calls RPC `method` with a deadline of `timeout_ms`; grpcio's errors become typed exceptions."""
        import grpc

        try:
            return self._calls[method](request, timeout=timeout_ms / 1000, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_grpc_error(error) from error

    def listen(self, request: query_service_pb2.ListenRequest) -> Iterator[query_service_pb2.ListenResponse]:
        """Opens a Listen stream (no deadline: it runs until closed); closing the generator cancels the call."""
        import grpc

        call = self._calls["Listen"](request, metadata=self._metadata)
        try:
            yield from call
        except grpc.RpcError as error:
            raise from_grpc_error(error) from error
        finally:
            call.cancel()

    def close(self) -> None:
        """Closes the channel."""
        self._channel.close()


class AsyncGrpcTransport:
    """gRPC through a grpc.aio channel, for AsyncClient; the options are GrpcTransport's.

    Make it inside the event loop that will use it (grpc.aio binds a channel to its loop).
    """

    def __init__(
        self,
        target: str,
        *,
        credentials: Any = None,
        metadata: Mapping[str, str] | None = None,
        options: Sequence[tuple[str, Any]] = (),
        api_key: str | None = None,
        database: str | None = None,
    ) -> None:
        from grpc import aio

        self._channel = aio.secure_channel(target, credentials, options) if credentials else aio.insecure_channel(target, options)
        self._calls = _stubs(self._channel)
        self._metadata = tuple({**_with_api_key(api_key, metadata), **database_metadata(database)}.items())

    async def call(self, method: str, request: Message, timeout_ms: int) -> Any:
        """Calls RPC `method` with a deadline of `timeout_ms`; grpcio's errors become typed exceptions."""
        import grpc

        try:
            return await self._calls[method](request, timeout=timeout_ms / 1000, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_grpc_error(error) from error

    async def listen(self, request: query_service_pb2.ListenRequest) -> AsyncIterator[query_service_pb2.ListenResponse]:
        """Opens a Listen stream (no deadline: it runs until closed); closing the generator cancels the call."""
        import grpc

        call = self._calls["Listen"](request, metadata=self._metadata)
        try:
            async for message in call:
                yield message
        except grpc.RpcError as error:
            raise from_grpc_error(error) from error
        finally:
            call.cancel()

    async def close(self) -> None:
        """Closes the channel."""
        await self._channel.close()


def _with_api_key(api_key: str | None, metadata: Mapping[str, str] | None) -> dict[str, str]:
    """The metadata with the credential added (see client.auth_headers); gRPC wants lower-case keys."""
    from .client import auth_headers

    return {name.lower(): value for name, value in auth_headers(api_key, metadata).items()}
