"""Every failure raises a typed exception carrying its code, from Connect and from grpcio alike."""

from __future__ import annotations

import http.server
import threading
import time

import grpc
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError

import impossibledb
from impossibledb.errors import error_for_code, from_connect_error, from_grpc_error

CLASSES = {
    "not_found": impossibledb.NotFound,
    "already_exists": impossibledb.AlreadyExists,
    "failed_precondition": impossibledb.FailedPrecondition,
    "aborted": impossibledb.Aborted,
    "invalid_argument": impossibledb.InvalidArgument,
    "unavailable": impossibledb.Unavailable,
    "resource_exhausted": impossibledb.ResourceExhausted,
    "deadline_exceeded": impossibledb.DeadlineExceeded,
}


@pytest.mark.parametrize("code", list(Code))
def test_every_connect_code_maps_to_its_class(code: Code) -> None:
    original = ConnectError(code, "why")
    mapped = from_connect_error(original)
    assert isinstance(mapped, impossibledb.ImpossibleDBError)
    assert mapped.code == code.value and mapped.message == "why" and mapped.__cause__ is original
    if code.value in CLASSES:
        assert type(mapped) is CLASSES[code.value]


@pytest.mark.parametrize("status", [s for s in grpc.StatusCode if s is not grpc.StatusCode.OK])
def test_every_grpc_code_maps_to_the_same_class_as_connect(status: grpc.StatusCode) -> None:
    class FakeRpcError(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return status

        def details(self) -> str:
            return "why"

    mapped = from_grpc_error(FakeRpcError())
    assert mapped.grpc_code == status.value[0] and mapped.message == "why"
    # Connect spells CANCELLED with one L; every other name is the same.
    connect_name = "canceled" if status is grpc.StatusCode.CANCELLED else status.name.lower()
    assert mapped.code == connect_name
    assert type(mapped) is type(from_connect_error(ConnectError(Code(connect_name), "")))


def test_unknown_codes_are_unknown_not_a_crash() -> None:
    assert type(error_for_code("no_such_code", "x")) is impossibledb.Unknown
    assert type(error_for_code(99, "x")) is impossibledb.Unknown


def test_a_refused_connection_raises_unavailable_after_retries() -> None:
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused.
    policy = impossibledb.RetryPolicy(attempts_max=3, random=lambda: 0.0)
    with impossibledb.Client("http://127.0.0.1:9", retry=policy, timeout_ms=5_000) as client:
        with pytest.raises(impossibledb.Unavailable) as raised:
            client.collection("users").document("alice").get()
    assert isinstance(raised.value, impossibledb.ImpossibleDBError)
    assert isinstance(raised.value.__cause__, ConnectError)


async def test_a_refused_connection_raises_unavailable_async() -> None:
    async with impossibledb.AsyncClient("http://127.0.0.1:9", retry=False, timeout_ms=5_000) as client:
        with pytest.raises(impossibledb.Unavailable):
            await client.collection("users").document("alice").get()


def test_errors_print_their_code() -> None:
    assert str(impossibledb.NotFound("users/alice")) == "[not_found] users/alice"


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Answers nothing for SLOW_ANSWER_S: a server that hangs."""

    def do_POST(self) -> None:
        time.sleep(SLOW_ANSWER_S)
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


SLOW_ANSWER_S = 2.0


def test_the_deadline_reaches_the_wire() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with impossibledb.Client(f"http://127.0.0.1:{server.server_address[1]}", timeout_ms=200) as client:
            started = time.monotonic()
            with pytest.raises(impossibledb.DeadlineExceeded):
                client.collection("users").document("alice").get()
            assert time.monotonic() - started < SLOW_ANSWER_S / 2, "the call waited for the server instead of its deadline"
    finally:
        server.shutdown()
        server.server_close()
