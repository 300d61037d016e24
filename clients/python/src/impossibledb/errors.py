"""Typed exceptions, one per status code, and the one place codes are mapped.

Every call of the client raises an ImpossibleDBError subclass chosen by the
status code (NotFound, Aborted, FailedPrecondition, ...), whether the error
came from the server or from the transport (a deadline, a refused
connection). `.code` is the code's snake_case name as Connect spells it
("not_found"); `.message` is the server's text. Catch ImpossibleDBError for
every failure, or a subclass for one outcome:

    try:
        users.document("alice").create({"name": "Alice"})
    except impossibledb.AlreadyExists:
        ...

Values the wire cannot carry are refused before anything is sent with
TypeError, not with these (see values.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ._retry_info import retry_delay_ms, status_details

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Canceled",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "ImpossibleDBError",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "error_for_code",
    "from_connect_error",
    "from_grpc_error",
]


class ImpossibleDBError(Exception):
    """A call failed. `code` is the status code's snake_case name, `message` the reason.

    `retry_delay_ms` is how long the server asked the client to wait before
    sending the call again (a rate limit's google.rpc.RetryInfo, with its
    RESOURCE_EXHAUSTED), in ms; None when it asked for nothing. Retries wait
    at least that long (retry.py).
    """

    code: ClassVar[str] = "unknown"
    grpc_code: ClassVar[int] = 2

    def __init__(self, message: str, retry_delay_ms: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_delay_ms = retry_delay_ms

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class Canceled(ImpossibleDBError):
    """The call was canceled, usually by the caller."""

    code = "canceled"
    grpc_code = 1


class Unknown(ImpossibleDBError):
    """An error without a more specific code."""

    code = "unknown"
    grpc_code = 2


class InvalidArgument(ImpossibleDBError):
    """The request is invalid whatever the database holds (a bad name, filter or page token)."""

    code = "invalid_argument"
    grpc_code = 3


class DeadlineExceeded(ImpossibleDBError):
    """The call's deadline passed before it finished; it may or may not have been applied."""

    code = "deadline_exceeded"
    grpc_code = 4


class NotFound(ImpossibleDBError):
    """The document does not exist (update of a missing document, for example)."""

    code = "not_found"
    grpc_code = 5


class AlreadyExists(ImpossibleDBError):
    """create() of a document that exists."""

    code = "already_exists"
    grpc_code = 6


class PermissionDenied(ImpossibleDBError):
    """The caller may not do this."""

    code = "permission_denied"
    grpc_code = 7


class ResourceExhausted(ImpossibleDBError):
    """A limit was reached (an answer too large, an overloaded shard); idempotent calls are retried."""

    code = "resource_exhausted"
    grpc_code = 8


class FailedPrecondition(ImpossibleDBError):
    """A precondition (if_version, if_exists) did not hold; nothing was written."""

    code = "failed_precondition"
    grpc_code = 9


class Aborted(ImpossibleDBError):
    """A transaction conflicted with another writer; nothing of it was applied, and it may be run again."""

    code = "aborted"
    grpc_code = 10


class OutOfRange(ImpossibleDBError):
    """A value went past its valid range (a sum beyond the double range, for example)."""

    code = "out_of_range"
    grpc_code = 11


class Unimplemented(ImpossibleDBError):
    """The server does not offer this call."""

    code = "unimplemented"
    grpc_code = 12


class Internal(ImpossibleDBError):
    """An invariant broke, in the server or in the client; report it."""

    code = "internal"
    grpc_code = 13


class Unavailable(ImpossibleDBError):
    """The server could not be reached or is briefly unavailable; idempotent calls are retried."""

    code = "unavailable"
    grpc_code = 14


class DataLoss(ImpossibleDBError):
    """Unrecoverable data loss."""

    code = "data_loss"
    grpc_code = 15


class Unauthenticated(ImpossibleDBError):
    """The call carried no valid credentials."""

    code = "unauthenticated"
    grpc_code = 16


_BY_CODE: dict[str, type[ImpossibleDBError]] = {
    cls.code: cls
    for cls in (
        Canceled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
        Unauthenticated,
    )
}
_BY_GRPC_CODE: dict[int, type[ImpossibleDBError]] = {cls.grpc_code: cls for cls in _BY_CODE.values()}
assert len(_BY_CODE) == len(_BY_GRPC_CODE) == 16, "one class per status code but OK"


def error_for_code(code: str | int, message: str) -> ImpossibleDBError:
    """The exception for a status code, given as its name ("not_found", any case) or its number (5).

    An unknown code gives Unknown, with the code in the message.
    """
    if isinstance(code, int):
        cls = _BY_GRPC_CODE.get(code)
    else:
        cls = _BY_CODE.get(code.lower())
    if cls is None:
        return Unknown(f"status {code!r}: {message}")
    return cls(message)


def from_connect_error(error: Any) -> ImpossibleDBError:
    """Maps a connectrpc.errors.ConnectError to its typed exception, keeping it as __cause__."""
    code = getattr(getattr(error, "code", None), "value", "unknown")
    mapped = error_for_code(str(code), str(getattr(error, "message", error)))
    details = getattr(error, "details", ())
    mapped.retry_delay_ms = retry_delay_ms((str(getattr(d, "type_name", "")), bytes(getattr(d, "message_bytes", b""))) for d in details)
    mapped.__cause__ = error
    return mapped


def from_grpc_error(error: Any) -> ImpossibleDBError:
    """Maps a grpc.RpcError (from the raw grpcio stubs) to its typed exception, keeping it as __cause__."""
    code_fn = getattr(error, "code", None)
    details_fn = getattr(error, "details", None)
    code = code_fn() if callable(code_fn) else None
    # grpc.StatusCode's value is (number, name); the number is the one spelling both protocols share
    # (grpcio says CANCELLED where Connect says canceled).
    number = getattr(code, "value", (Unknown.grpc_code,))[0]
    message = details_fn() if callable(details_fn) else str(error)
    mapped = error_for_code(int(number), str(message or ""))
    mapped.retry_delay_ms = retry_delay_ms(status_details(_grpc_status_bytes(error)))
    mapped.__cause__ = error
    return mapped


_GRPC_STATUS_DETAILS_KEY = "grpc-status-details-bin"
"""The trailer in which gRPC carries a serialized google.rpc.Status with the error's details."""


def _grpc_status_bytes(error: Any) -> bytes:
    """The grpc-status-details-bin trailer of a grpcio error (sync or aio), or b"" without one."""
    trailing = getattr(error, "trailing_metadata", None)
    pairs = trailing() if callable(trailing) else None
    for key, value in pairs or ():
        if key == _GRPC_STATUS_DETAILS_KEY and isinstance(value, bytes):
            return value
    return b""
