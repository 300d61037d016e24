"""When a failed call is tried again, and how long to wait first.

Pure: the client feeds it errors, attempt numbers and a random source, so
the policy is tested without a network. Idempotent calls (those the
contract marks NO_SIDE_EFFECTS or IDEMPOTENT: reads, lists, queries) are
retried on UNAVAILABLE and RESOURCE_EXHAUSTED, with exponential backoff and
full jitter, within the call's one deadline, and never sooner than the
server asked: a rate limit's RESOURCE_EXHAUSTED carries a RetryInfo delay
(error.retry_delay_ms, _retry_info.py), which is waited on top of the
backoff; when that wait would outlast the deadline, the refusal is raised
at once. Writes are never retried by the
client, because a write that failed in transit may have been applied.
Transactions retry ABORTED one level up, in run_transaction, because an
aborted commit must redo its reads.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2

from ._limits import BACKOFF_INITIAL_MS_DEFAULT, BACKOFF_MAX_MS_DEFAULT, CALL_ATTEMPTS_MAX_DEFAULT
from .errors import ImpossibleDBError, ResourceExhausted, Unavailable

__all__ = ["RetryPolicy", "backoff_ms", "is_idempotent_method", "is_refused_at_the_door", "is_transient"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    attempts_max: attempts of one call, the first included; 1 turns retries off.
    initial_backoff_ms: the backoff ceiling before the second attempt, in ms; it doubles per attempt.
    max_backoff_ms: the largest backoff ceiling, in ms.
    random: a source of uniform floats in [0, 1); random.random when unset.
    """

    attempts_max: int = CALL_ATTEMPTS_MAX_DEFAULT
    initial_backoff_ms: float = BACKOFF_INITIAL_MS_DEFAULT
    max_backoff_ms: float = BACKOFF_MAX_MS_DEFAULT
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.attempts_max, int) or self.attempts_max < 1:
            raise ValueError(f"attempts_max must be an int >= 1, got {self.attempts_max!r}")
        if not 0 <= self.initial_backoff_ms <= self.max_backoff_ms:
            raise ValueError(f"need 0 <= initial_backoff_ms <= max_backoff_ms, got {self.initial_backoff_ms} and {self.max_backoff_ms}")


NO_RETRIES = RetryPolicy(attempts_max=1)
"""A policy that never retries."""


def is_transient(error: BaseException) -> bool:
    """True for the errors that say "try again later": UNAVAILABLE and RESOURCE_EXHAUSTED."""
    return isinstance(error, (Unavailable, ResourceExhausted))


def is_idempotent_method(options: descriptor_pb2.MethodOptions) -> bool:
    """True when the contract marks a method NO_SIDE_EFFECTS or IDEMPOTENT, so it may safely run twice."""
    return options.idempotency_level in (descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS, descriptor_pb2.MethodOptions.IDEMPOTENT)


_BACKOFF_DOUBLINGS_MAX = 52
"""Doublings of the backoff ceiling at most; 2**52 ms outlasts any max_backoff_ms."""


def backoff_ms(policy: RetryPolicy, attempt: int) -> float:
    """How long to wait after failed attempt number `attempt` (1 for the first), in ms.

    "Full jitter": uniform in [0, min(max, initial * 2**(attempt-1))), so
    that clients that failed together do not retry together.
    """
    # The exponent stops growing long before float() overflows: a listener
    # waiting out an unreachable server counts its attempts without bound.
    ceiling = min(policy.max_backoff_ms, policy.initial_backoff_ms * float(2 ** min(_BACKOFF_DOUBLINGS_MAX, max(0, attempt - 1))))
    return float(policy.random()) * ceiling


def is_refused_at_the_door(error: BaseException) -> bool:
    """True for a rate limit's refusal: ResourceExhausted carrying a retry delay.

    ImpossibleDB attaches a `google.rpc.RetryInfo` to RESOURCE_EXHAUSTED only
    when a rate limit refused the call before any shard saw it
    (docs/security.md), so even a write refused that way was not applied and
    may be sent again (the TS SDK's isRefusedAtTheDoor, the Go client's
    isRefusedAtDoor).
    """
    return isinstance(error, ResourceExhausted) and error.retry_delay_ms is not None


def should_retry(policy: RetryPolicy, error: ImpossibleDBError, attempt: int, idempotent: bool) -> bool:
    """True when failed attempt number `attempt` may be followed by another (deadline aside).

    A call with side effects is retried only after a refusal at the door.
    """
    return (idempotent or is_refused_at_the_door(error)) and is_transient(error) and attempt < policy.attempts_max
