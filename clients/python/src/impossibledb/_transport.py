"""How calls reach the server: a small transport interface, its Connect implementation, and the retrying caller.

A transport sends one request of a named RPC ("GetDocument") with a
deadline and raises typed errors (errors.py). Caller and AsyncCaller add
the client's deadline and retries on top, so the rest of the client, and
its tests with an in-memory transport, never see connectrpc.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Protocol

from google.protobuf.message import Message

from ._args import check_timeout_ms
from ._native_threads import wait_native_threads_detached
from .errors import Canceled, DeadlineExceeded, ImpossibleDBError, from_connect_error
from .retry import RetryPolicy, backoff_ms, is_idempotent_method, should_retry
from .v1 import collection_service_pb2, query_service_pb2, transaction_service_pb2

__all__ = ["AsyncConnectTransport", "AsyncTransport", "ConnectTransport", "IDEMPOTENT_METHODS", "RPC_METHODS", "Transport"]


def _methods() -> dict[str, bool]:
    """Every RPC the client calls, by name, with whether the contract marks it idempotent."""
    out: dict[str, bool] = {}
    for module, service in (
        (collection_service_pb2, "CollectionService"),
        (query_service_pb2, "QueryService"),
        (transaction_service_pb2, "TransactionService"),
    ):
        for method in module.DESCRIPTOR.services_by_name[service].methods:
            out[method.name] = is_idempotent_method(method.GetOptions())
    return out


RPC_METHODS: Mapping[str, bool] = _methods()
"""RPC name -> idempotent, from the contract's idempotency_level options."""

IDEMPOTENT_METHODS = frozenset(name for name, idempotent in RPC_METHODS.items() if idempotent)
"""The RPCs retried on UNAVAILABLE and RESOURCE_EXHAUSTED (reads, lists, queries)."""

assert "GetDocument" in IDEMPOTENT_METHODS and "SetDocument" not in IDEMPOTENT_METHODS, "the contract marks reads idempotent, writes not"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Transport(Protocol):
    """Sends one request; raises an ImpossibleDBError subclass on failure."""

    def call(self, method: str, request: Message, timeout_ms: int) -> Any:
        """Calls RPC `method` (such as "GetDocument") with a deadline of `timeout_ms`."""
        ...

    def close(self) -> None:
        """Releases the transport's resources."""
        ...


class AsyncTransport(Protocol):
    """The asyncio form of Transport."""

    async def call(self, method: str, request: Message, timeout_ms: int) -> Any:
        """Calls RPC `method` (such as "GetDocument") with a deadline of `timeout_ms`."""
        ...

    async def close(self) -> None:
        """Releases the transport's resources."""
        ...


def _connect_clients(url: str, asynchronous: bool, http_client: Any | None) -> list[Any]:
    """connectrpc's clients of the three services, sync or asyncio, sending through `http_client` (None: connectrpc's shared one)."""
    # Imported here so that a client given its own transport (tests) needs
    # no HTTP stack at all.
    from .v1 import collection_service_connect, query_service_connect, transaction_service_connect

    suffix = "" if asynchronous else "Sync"
    return [
        getattr(collection_service_connect, f"CollectionServiceClient{suffix}")(url, http_client=http_client),
        getattr(query_service_connect, f"QueryServiceClient{suffix}")(url, http_client=http_client),
        getattr(transaction_service_connect, f"TransactionServiceClient{suffix}")(url, http_client=http_client),
    ]


def _bind(clients: list[Any]) -> dict[str, Callable[..., Any]]:
    calls: dict[str, Callable[..., Any]] = {}
    for client in clients:
        for name in RPC_METHODS:
            bound = getattr(client, _snake(name), None)
            if bound is not None:
                calls[name] = bound
    missing = set(RPC_METHODS) - set(calls)
    assert not missing, f"the generated clients lack {sorted(missing)}"
    return calls


def check_base_url(url: str) -> str:
    """`url` when it is an http:// or https:// URL with a host; ValueError naming it otherwise.

    Without the check a URL such as "127.0.0.1:8787" or "ftp://x" is taken
    and every call fails in transit, as Unavailable after its retries, as if
    the server were down.
    """
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https"):
        raise ValueError(
            f"the URL must start with http:// or https:// and name a host, got {url!r} "
            "(for gRPC give transport=impossibledb.GrpcTransport(target), or AsyncGrpcTransport(target) to AsyncClient)"
        )
    if not parts.hostname:
        raise ValueError(f"the URL {url!r} has no host: name the server, such as http://127.0.0.1:8787")
    return url


class ConnectTransport:
    """The Connect protocol (binary protobuf, gzip) over HTTP, through connectrpc's sync clients.

    url: the server's base URL, http:// or https:// (ValueError otherwise).
    """

    def __init__(self, url: str, headers: Mapping[str, str] | None = None) -> None:
        self._clients = _connect_clients(check_base_url(url), asynchronous=False, http_client=None)
        self._calls = _bind(self._clients)
        self._headers = dict(headers or {})

    def call(self, method: str, request: Message, timeout_ms: int) -> Any:
        from connectrpc.errors import ConnectError

        try:
            return self._calls[method](request, headers=self._headers, timeout_ms=timeout_ms)
        except ConnectError as error:
            raise from_connect_error(error) from error

    def listen(self, request: query_service_pb2.ListenRequest) -> Iterator[query_service_pb2.ListenResponse]:
        """Opens a Listen stream (no deadline: it runs until closed); closing the generator closes it."""
        from connectrpc.errors import ConnectError

        stream = self._calls["Listen"](request, headers=self._headers)
        try:
            yield from stream
        except ConnectError as error:
            raise from_connect_error(error) from error
        finally:
            stream.close()

    def close(self) -> None:
        for client in self._clients:
            client.close()


class AsyncConnectTransport:
    """The Connect protocol (binary protobuf, gzip) over HTTP, through connectrpc's asyncio clients.

    Cancelling the task that awaits a call or reads a stream raises
    asyncio.CancelledError out of it, as asyncio code expects (see
    _from_async_connect_error). http_client: a pyqwest.Client to send
    through (TLS settings, or an in-memory server in tests), which its owner
    closes; None for connectrpc's shared one.
    """

    def __init__(self, url: str, headers: Mapping[str, str] | None = None, http_client: Any | None = None) -> None:
        self._clients = _connect_clients(check_base_url(url), asynchronous=True, http_client=http_client)
        self._calls = _bind(self._clients)
        self._headers = dict(headers or {})

    async def call(self, method: str, request: Message, timeout_ms: int) -> Any:
        from connectrpc.errors import ConnectError

        try:
            return await self._calls[method](request, headers=self._headers, timeout_ms=timeout_ms)
        except ConnectError as error:
            raise _from_async_connect_error(error) from error

    async def listen(self, request: query_service_pb2.ListenRequest) -> AsyncIterator[query_service_pb2.ListenResponse]:
        """Opens a Listen stream (no deadline: it runs until closed); closing the generator, or cancelling its task, closes it."""
        from connectrpc.errors import ConnectError

        stream = self._calls["Listen"](request, headers=self._headers)
        try:
            async for message in stream:
                yield message
        except ConnectError as error:
            raise _from_async_connect_error(error) from error
        finally:
            await stream.aclose()

    async def close(self) -> None:
        """Closes the clients, then waits for pyqwest's threads still delivering answers (_native_threads.py).

        Without the wait, a process that exits right after close() can
        abort (SIGABRT) while one of those threads is between its two
        holds of the GIL."""
        for client in self._clients:
            await client.close()
        await wait_native_threads_detached()


def _from_async_connect_error(error: Any) -> BaseException:
    """The exception to raise for a ConnectError out of connectrpc's asyncio client: the typed error, or CancelledError.

    connectrpc catches the asyncio.CancelledError that cancelling the
    awaiting task throws into a call or a stream, and raises
    ConnectError(CANCELED) in its place. Raised on as impossibledb.Canceled,
    the cancellation would be lost: a listener would take it for a broken
    stream and reconnect (is_listen_transient), so task.cancel() would not
    stop it and asyncio.run() would wait for it forever at shutdown, and
    asyncio.timeout() around a call would raise Canceled, not TimeoutError.
    So while the current task is being cancelled, a CANCELED is the task's
    own cancellation and goes on as CancelledError. Otherwise it came from
    the other side (the server or a proxy cancelled the stream) and is
    the typed Canceled.
    """
    mapped = from_connect_error(error)
    if isinstance(mapped, Canceled) and is_task_cancelling():
        return asyncio.CancelledError()
    return mapped


def is_task_cancelling() -> bool:
    """Whether the current asyncio task has been asked to cancel (task.cancel(), asyncio.timeout) and has not uncancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class _Deadline:
    """One call's deadline over all its attempts, in ms on a monotonic clock."""

    def __init__(self, timeout_ms: int, now: Callable[[], float]) -> None:
        self.timeout_ms = check_timeout_ms(timeout_ms)
        self._now = now
        self._started = now()

    def remaining_ms(self) -> float:
        return self.timeout_ms - (self._now() - self._started) * 1000


class Caller:
    """Calls through a transport with a deadline per call and retries of idempotent calls."""

    def __init__(
        self,
        transport: Transport,
        policy: RetryPolicy,
        timeout_ms: int,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.policy = policy
        self.timeout_ms = check_timeout_ms(timeout_ms)
        self._sleep = sleep
        self._now = now

    def call(self, method: str, request: Message, timeout_ms: int | None = None) -> Any:
        """Calls `method`; retries transient failures of idempotent methods while the deadline allows.

        timeout_ms: this call's deadline (1 to CALL_TIMEOUT_MS_MAX), retries included; None for the client's.
        """
        deadline = _Deadline(self.timeout_ms if timeout_ms is None else timeout_ms, self._now)
        idempotent = method in IDEMPOTENT_METHODS
        attempt = 1
        while True:
            remaining = deadline.remaining_ms()
            if remaining <= 0:
                raise DeadlineExceeded(f"{method}: the deadline of {deadline.timeout_ms} ms passed before attempt {attempt}")
            try:
                return self.transport.call(method, request, max(1, int(remaining)))
            except ImpossibleDBError as error:
                delay_ms = _retry_delay_ms(self.policy, error, attempt, idempotent, deadline)
                if delay_ms is None:
                    raise
            self._sleep(delay_ms / 1000)
            attempt += 1


class AsyncCaller:
    """The asyncio form of Caller."""

    def __init__(self, transport: AsyncTransport, policy: RetryPolicy, timeout_ms: int, now: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.policy = policy
        self.timeout_ms = check_timeout_ms(timeout_ms)
        self._now = now

    async def call(self, method: str, request: Message, timeout_ms: int | None = None) -> Any:
        """Calls `method`; retries transient failures of idempotent methods while the deadline allows."""
        deadline = _Deadline(self.timeout_ms if timeout_ms is None else timeout_ms, self._now)
        idempotent = method in IDEMPOTENT_METHODS
        attempt = 1
        while True:
            remaining = deadline.remaining_ms()
            if remaining <= 0:
                raise DeadlineExceeded(f"{method}: the deadline of {deadline.timeout_ms} ms passed before attempt {attempt}")
            try:
                return await self.transport.call(method, request, max(1, int(remaining)))
            except ImpossibleDBError as error:
                delay_ms = _retry_delay_ms(self.policy, error, attempt, idempotent, deadline)
                if delay_ms is None:
                    raise
            await asyncio.sleep(delay_ms / 1000)
            attempt += 1


def _retry_delay_ms(policy: RetryPolicy, error: ImpossibleDBError, attempt: int, idempotent: bool, deadline: _Deadline) -> float | None:
    """The wait before the next attempt, or None when the error is final.

    The wait is the server's retry delay, when it gave one (a rate limit's
    RetryInfo: error.retry_delay_ms), plus the policy's jittered backoff, so
    that clients refused together do not all come back at the same instant.
    A retry that cannot start before the deadline would only turn the real
    error into DEADLINE_EXCEEDED, so the real error is raised instead.
    """
    if not should_retry(policy, error, attempt, idempotent):
        return None
    delay_ms = (error.retry_delay_ms or 0.0) + backoff_ms(policy, attempt)
    if delay_ms >= deadline.remaining_ms():
        return None
    return delay_ms
