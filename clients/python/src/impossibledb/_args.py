"""Checks of the integer arguments the client puts on the wire, made before anything is sent.

An int outside its contract field's range would otherwise fail deep in
protobuf ("ValueError: Value out of range: 10000000000"), naming no argument,
or reach the server as something else (a page size of 0 is the server's
default). One rule for every such argument: a value that is not an int
(bool included) is a TypeError, an int outside the range a ValueError; both
name the argument and its range.
"""

from __future__ import annotations

from ._limits import CALL_TIMEOUT_MS_MAX, INT32_MAX, INT64_MAX, PAGE_SIZE_MAX, TRANSACTION_TIMEOUT_MS_MAX, TRANSACTION_TIMEOUT_MS_MIN

__all__ = ["check_count", "check_int", "check_page_size", "check_timeout_ms", "check_transaction_timeout_ms", "check_version"]


def check_int(name: str, value: object, low: int, high: int) -> int:
    """`value` when it is an int from `low` to `high`; TypeError or ValueError naming `name` and the range otherwise."""
    if type(value) is not int:
        raise TypeError(f"{name} must be an int from {low:,} to {high:,}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be an int from {low:,} to {high:,}, got {value:,}")
    return value


def check_page_size(value: int | None) -> int:
    """A page size for the wire: 1 to PAGE_SIZE_MAX, or None for the server's default (sent as 0)."""
    return 0 if value is None else check_int("page_size", value, 1, PAGE_SIZE_MAX)


def check_timeout_ms(value: int, name: str = "timeout_ms") -> int:
    """A call's deadline in ms: 1 to CALL_TIMEOUT_MS_MAX (None, where a call takes it, means the client's; 0 is refused, not read as None)."""
    return check_int(name, value, 1, CALL_TIMEOUT_MS_MAX)


def check_transaction_timeout_ms(value: int | None) -> int | None:
    """How long a transaction may stay open: TRANSACTION_TIMEOUT_MS_MIN (100 ms) to TRANSACTION_TIMEOUT_MS_MAX (60 s), or None for the server's 60 s."""
    return None if value is None else check_int("timeout_ms (how long the transaction may stay open)", value, TRANSACTION_TIMEOUT_MS_MIN, TRANSACTION_TIMEOUT_MS_MAX)


def check_version(name: str, value: int) -> int:
    """A document version (a precondition's): 1 to INT64_MAX."""
    return check_int(name, value, 1, INT64_MAX)


def check_count(name: str, value: int) -> int:
    """A query's limit or offset: 0 to INT32_MAX (the contract's int32; 0 means none)."""
    return check_int(name, value, 0, INT32_MAX)
