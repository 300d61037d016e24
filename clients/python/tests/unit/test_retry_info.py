"""The server's RetryInfo delay is read from both transports' errors (Connect details, the gRPC status trailer)."""

from __future__ import annotations

from google.protobuf import any_pb2, duration_pb2

import impossibledb
from impossibledb._retry_info import RETRY_INFO_TYPE, retry_delay_ms, status_details
from impossibledb.errors import from_connect_error, from_grpc_error


def retry_info(seconds: int, nanos: int = 0) -> bytes:
    """A serialized google.rpc.RetryInfo: field 1, the Duration."""
    duration = duration_pb2.Duration(seconds=seconds, nanos=nanos).SerializeToString()
    return bytes([0x0A, len(duration)]) + duration


def status(code: int, message: str, details: list[tuple[str, bytes]]) -> bytes:
    """A serialized google.rpc.Status: code = 1, message = 2, repeated Any details = 3."""
    out = bytes([0x08, code]) + bytes([0x12, len(message)]) + message.encode()
    for type_name, value in details:
        packed = any_pb2.Any(type_url=f"type.googleapis.com/{type_name}", value=value).SerializeToString()
        out += bytes([0x1A, len(packed)]) + packed
    return out


def test_retry_info_is_read_and_anything_else_ignored() -> None:
    assert retry_delay_ms([(RETRY_INFO_TYPE, retry_info(2, 500_000_000))]) == 2_500
    assert retry_delay_ms([("google.rpc.QuotaFailure", b"\x0a\x00"), (RETRY_INFO_TYPE, retry_info(1))]) == 1_000
    assert retry_delay_ms([(RETRY_INFO_TYPE, retry_info(-1))]) is None
    assert retry_delay_ms([(RETRY_INFO_TYPE, b"\x0a\x05\x08")]) is None  # truncated
    assert retry_delay_ms([(RETRY_INFO_TYPE, b"")]) is None
    assert retry_delay_ms([]) is None


def test_a_connect_error_keeps_the_delay() -> None:
    from connectrpc.code import Code
    from connectrpc.errors import ConnectError, ErrorDetail
    from protobuf.wkt import Any  # connectrpc's own protobuf runtime, as its client builds details

    detail = ErrorDetail(Any(type_url=f"type.googleapis.com/{RETRY_INFO_TYPE}", value=retry_info(3)))
    mapped = from_connect_error(ConnectError(Code.RESOURCE_EXHAUSTED, "rate limit of the API key", [detail]))
    assert isinstance(mapped, impossibledb.ResourceExhausted) and mapped.retry_delay_ms == 3_000
    assert from_connect_error(ConnectError(Code.RESOURCE_EXHAUSTED, "answer too large")).retry_delay_ms is None


class FakeRpcError(Exception):
    """What grpcio raises, as far as the client reads it."""

    def __init__(self, trailers: tuple[tuple[str, bytes | str], ...]) -> None:
        self._trailers = trailers

    def code(self) -> object:
        import grpc

        return grpc.StatusCode.RESOURCE_EXHAUSTED

    def details(self) -> str:
        return "rate limit of the database"

    def trailing_metadata(self) -> tuple[tuple[str, bytes | str], ...]:
        return self._trailers


def test_a_grpc_error_keeps_the_delay_from_its_status_trailer() -> None:
    trailer = status(8, "rate limit of the database", [(RETRY_INFO_TYPE, retry_info(0, 250_000_000))])
    assert status_details(trailer) == [(RETRY_INFO_TYPE, retry_info(0, 250_000_000))]
    mapped = from_grpc_error(FakeRpcError((("retry-after", "1"), ("grpc-status-details-bin", trailer))))
    assert isinstance(mapped, impossibledb.ResourceExhausted) and mapped.retry_delay_ms == 250
    assert from_grpc_error(FakeRpcError(())).retry_delay_ms is None
    assert from_grpc_error(FakeRpcError((("grpc-status-details-bin", b"\xff\xff"),))).retry_delay_ms is None
