"""Idempotent calls are retried on UNAVAILABLE and RESOURCE_EXHAUSTED with backoff, within one deadline; writes never."""

from __future__ import annotations

import pytest

import impossibledb
from fake_server import FakeServer
from impossibledb._transport import IDEMPOTENT_METHODS, Caller
from impossibledb.retry import RetryPolicy, backoff_ms
from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc

GET = cs.GetDocumentRequest(ref=doc.DocumentRef(collection="users", id="alice"))


class FakeClock:
    """A monotonic clock that moves only when the caller sleeps."""

    def __init__(self) -> None:
        self.now_s = 0.0
        self.slept_s: list[float] = []

    def now(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept_s.append(seconds)
        self.now_s += seconds


def caller(server: FakeServer, policy: RetryPolicy, timeout_ms: int = 10_000) -> tuple[Caller, FakeClock]:
    clock = FakeClock()
    return Caller(server, policy, timeout_ms, sleep=clock.sleep, now=clock.now), clock


def test_the_contract_says_which_calls_are_idempotent() -> None:
    assert {"GetDocument", "BatchGetDocuments", "ListDocuments", "RunQuery", "RunAggregationQuery"} <= IDEMPOTENT_METHODS
    assert not {"SetDocument", "CreateDocument", "UpdateDocument", "DeleteDocument", "Commit", "CommitBatch", "BeginTransaction"} & IDEMPOTENT_METHODS


def test_backoff_is_full_jitter_doubling_up_to_the_cap() -> None:
    top = RetryPolicy(initial_backoff_ms=100, max_backoff_ms=2_000, random=lambda: 0.999999)
    ceilings = [round(backoff_ms(top, attempt)) for attempt in range(1, 8)]
    assert ceilings == [100, 200, 400, 800, 1600, 2000, 2000]
    assert backoff_ms(RetryPolicy(random=lambda: 0.0), 5) == 0
    with pytest.raises(ValueError):
        RetryPolicy(attempts_max=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff_ms=300, max_backoff_ms=200)


def test_a_read_is_retried_until_it_succeeds(server: FakeServer) -> None:
    server.put("users", "alice", {"name": "Alice"})
    server.failures = [impossibledb.Unavailable("down"), impossibledb.ResourceExhausted("busy")]
    call, clock = caller(server, RetryPolicy(attempts_max=3, random=lambda: 0.5))
    assert call.call("GetDocument", GET).document.id == "alice"
    assert server.count("GetDocument") == 3
    assert clock.slept_s == [0.05, 0.1]


def test_a_read_gives_up_after_attempts_max(server: FakeServer) -> None:
    server.failures = [impossibledb.Unavailable(str(n)) for n in range(5)]
    call, _ = caller(server, RetryPolicy(attempts_max=3, random=lambda: 0.0))
    with pytest.raises(impossibledb.Unavailable, match="2"):
        call.call("GetDocument", GET)
    assert server.count("GetDocument") == 3


def test_a_write_that_failed_in_transit_is_not_retried(server: FakeServer) -> None:
    server.failures = [impossibledb.Unavailable("down")]
    call, _ = caller(server, RetryPolicy(attempts_max=4, random=lambda: 0.0))
    with pytest.raises(impossibledb.Unavailable):
        call.call("SetDocument", cs.SetDocumentRequest(ref=GET.ref))
    assert server.count("SetDocument") == 1


def test_other_errors_are_not_retried(server: FakeServer) -> None:
    call, _ = caller(server, RetryPolicy(attempts_max=4, random=lambda: 0.0))
    with pytest.raises(impossibledb.NotFound):
        call.call("GetDocument", GET)
    assert server.count("GetDocument") == 1


def test_no_retry_starts_past_the_deadline(server: FakeServer) -> None:
    # Backoffs of 1 s, 2 s, 4 s against a 2.5 s deadline: the second wait
    # would end past it, so the real error comes back after two attempts.
    server.failures = [impossibledb.Unavailable(str(n)) for n in range(5)]
    policy = RetryPolicy(attempts_max=5, initial_backoff_ms=1_000, max_backoff_ms=4_000, random=lambda: 0.999999)
    call, clock = caller(server, policy, timeout_ms=2_500)
    with pytest.raises(impossibledb.Unavailable, match="1"):
        call.call("GetDocument", GET)
    assert server.count("GetDocument") == 2
    assert sum(clock.slept_s) < 2.5


def test_each_attempt_gets_what_is_left_of_the_deadline(server: FakeServer) -> None:
    server.put("users", "alice", {})
    server.failures = [impossibledb.Unavailable("down")]
    seen: list[int] = []
    real_call = server.call

    def spying(method: str, request: object, timeout_ms: int) -> object:
        seen.append(timeout_ms)
        return real_call(method, request, timeout_ms)

    server.call = spying  # type: ignore[method-assign]
    call, _ = caller(server, RetryPolicy(attempts_max=2, initial_backoff_ms=1_000, random=lambda: 0.5), timeout_ms=3_000)
    call.call("GetDocument", GET)
    assert seen == [3_000, 2_500]


def test_retries_can_be_turned_off(server: FakeServer) -> None:
    server.failures = [impossibledb.Unavailable("down")]
    client = impossibledb.Client("http://fake", transport=server, retry=False)
    with pytest.raises(impossibledb.Unavailable):
        client.collection("users").document("alice").get()
    assert server.count("GetDocument") == 1


def rate_limited(delay_ms: float) -> impossibledb.ResourceExhausted:
    """A rate limit's refusal as the transports map it: RESOURCE_EXHAUSTED with a RetryInfo delay."""
    return impossibledb.ResourceExhausted("rate limit of the API key", retry_delay_ms=delay_ms)


def test_a_read_waits_at_least_the_servers_retry_delay(server: FakeServer) -> None:
    server.put("users", "alice", {"name": "Alice"})
    server.failures = [rate_limited(1_500)]
    call, clock = caller(server, RetryPolicy(attempts_max=3, random=lambda: 0.5))
    assert call.call("GetDocument", GET).document.id == "alice"
    # The server's 1.5 s, plus the jittered backoff (half of the 100 ms ceiling).
    assert clock.slept_s == [1.55]


def test_a_write_refused_at_the_door_is_retried_after_the_servers_delay(server: FakeServer) -> None:
    # A rate limit's refusal applied nothing, so even a write is sent again.
    server.failures = [rate_limited(800)]
    call, clock = caller(server, RetryPolicy(attempts_max=3, random=lambda: 0.5))
    call.call("SetDocument", cs.SetDocumentRequest(ref=GET.ref))
    assert server.count("SetDocument") == 2
    assert clock.slept_s == [0.85]


def test_a_write_refused_without_a_retry_delay_is_not_retried(server: FakeServer) -> None:
    # RESOURCE_EXHAUSTED without RetryInfo is a limit of the request itself
    # (a document over DOCUMENT_BYTES_MAX): sending it again cannot help.
    server.failures = [impossibledb.ResourceExhausted("document is over DOCUMENT_BYTES_MAX")]
    call, _ = caller(server, RetryPolicy(attempts_max=3, random=lambda: 0.5))
    with pytest.raises(impossibledb.ResourceExhausted):
        call.call("SetDocument", cs.SetDocumentRequest(ref=GET.ref))
    assert server.count("SetDocument") == 1


def test_a_retry_delay_past_the_deadline_raises_the_refusal_at_once(server: FakeServer) -> None:
    server.failures = [rate_limited(60_000)]
    call, clock = caller(server, RetryPolicy(attempts_max=3, random=lambda: 0.0), timeout_ms=2_000)
    with pytest.raises(impossibledb.ResourceExhausted) as raised:
        call.call("GetDocument", GET)
    assert raised.value.retry_delay_ms == 60_000
    assert server.count("GetDocument") == 1
    assert clock.slept_s == []


def test_the_async_caller_waits_the_servers_retry_delay(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from impossibledb._transport import AsyncCaller

    class AsyncFake:
        async def call(self, method: str, request: object, timeout_ms: int) -> object:
            return server.call(method, request, timeout_ms)

    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    server.put("users", "alice", {"name": "Alice"})
    server.failures = [rate_limited(1_500)]
    call = AsyncCaller(AsyncFake(), RetryPolicy(attempts_max=3, random=lambda: 0.0), 10_000)  # type: ignore[arg-type]
    assert asyncio.run(call.call("GetDocument", GET)).document.id == "alice"
    assert slept == [1.5]
