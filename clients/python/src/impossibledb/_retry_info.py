"""Reads the server's "retry after" from an error's details: google.rpc.RetryInfo.

ImpossibleDB attaches a RetryInfo detail, whose retry_delay is the time left
in the rate limit's window, to the RESOURCE_EXHAUSTED of a rate limit
(docs/security.md, "Rate limits"). The Connect transport hands the details
over as (type name, bytes) pairs; gRPC carries them in the
`grpc-status-details-bin` trailer, a serialized google.rpc.Status. The
package depends on protobuf alone (no googleapis-common-protos), so the two
small google.rpc shapes are read here with protobuf's wire format; the
Duration and Any inside are parsed by protobuf itself.

Unreadable details are treated as absent: a malformed delay must not turn a
refusal into a crash, and the client then just backs off as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import DecodeError

__all__ = ["RETRY_INFO_TYPE", "retry_delay_ms", "status_details"]

RETRY_INFO_TYPE = "google.rpc.RetryInfo"
"""The type name of the detail that says how long to wait."""

_WIRE_VARINT = 0
_WIRE_FIXED64 = 1
_WIRE_LENGTH_DELIMITED = 2
_WIRE_FIXED32 = 5
_VARINT_BYTES_MAX = 10
"""The longest varint protobuf writes (a 64-bit value)."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Reads a varint at `pos`; returns (value, next position). Raises ValueError when it runs off the end or is too long."""
    value = 0
    for i in range(_VARINT_BYTES_MAX):
        if pos + i >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return value, pos + i + 1
    raise ValueError("varint longer than 10 bytes")


def _length_delimited_fields(data: bytes, number: int) -> Iterator[bytes]:
    """The payloads of every length-delimited field `number` of a serialized message, skipping the others."""
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        field, wire = tag >> 3, tag & 7
        if wire == _WIRE_VARINT:
            _, pos = _varint(data, pos)
        elif wire == _WIRE_FIXED64:
            pos += 8
        elif wire == _WIRE_FIXED32:
            pos += 4
        elif wire == _WIRE_LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            if field == number:
                yield data[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported wire type {wire}")
    if pos != len(data):
        raise ValueError("truncated message")


def _retry_info_ms(data: bytes) -> float | None:
    """RetryInfo { Duration retry_delay = 1 } as ms; None when malformed, missing or negative."""
    try:
        delays = list(_length_delimited_fields(data, 1))
        if not delays:
            return None
        duration = duration_pb2.Duration.FromString(delays[-1])
    except (ValueError, DecodeError):
        return None
    ms = duration.seconds * 1000 + duration.nanos / 1_000_000
    return ms if ms >= 0 else None


def retry_delay_ms(details: Iterable[tuple[str, bytes]]) -> float | None:
    """The delay of the first readable RetryInfo among (type name, bytes) details, in ms; None without one."""
    for type_name, data in details:
        if type_name == RETRY_INFO_TYPE:
            ms = _retry_info_ms(data)
            if ms is not None:
                return ms
    return None


def status_details(status: bytes) -> list[tuple[str, bytes]]:
    """The details of a serialized google.rpc.Status (Any details = 3) as (type name, bytes); [] when it does not parse."""
    try:
        out = []
        for raw in _length_delimited_fields(status, 3):
            detail = any_pb2.Any.FromString(raw)
            out.append((detail.type_url.rsplit("/", 1)[-1], detail.value))
        return out
    except (ValueError, DecodeError):
        return []
