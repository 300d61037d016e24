"""Listen against scripted streams: changes applied only at resume tokens, reconnects, OutOfRange, giving up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import impossibledb
from impossibledb.errors import ImpossibleDBError, Internal, InvalidArgument, OutOfRange, Unavailable
from impossibledb.v1 import document_pb2 as doc
from impossibledb.v1 import query_service_pb2 as qs

NO_WAIT = impossibledb.RetryPolicy(random=lambda: 0.0)
ADDED, MODIFIED = qs.DocumentChange.TYPE_ADDED, qs.DocumentChange.TYPE_MODIFIED


def change(kind: int, id: str, version: int) -> qs.DocumentChange:
    return qs.DocumentChange(type=kind, document=doc.Document(collection="c", id=id, version=version))  # type: ignore[arg-type]


def message(*changes: qs.DocumentChange, token: str = "", current: bool = False) -> qs.ListenResponse:
    return qs.ListenResponse(changes=list(changes), resume_token=token, current=current)


# Each script: the token the call must carry, its messages, and how it ends
# (an error, None for the server ending it, or "hold" to wait to be closed).
Script = tuple[str, list[qs.ListenResponse], ImpossibleDBError | None | str]

SCRIPTS: list[Script] = [
    ("", [message(change(ADDED, "a", 1)), message(change(ADDED, "b", 1), token="t1", current=True), message(change(MODIFIED, "a", 2))], Unavailable("scripted break")),
    ("t1", [message(token="t1", current=True), message(change(MODIFIED, "a", 2), token="t2"), message(token="t3")], None),
    ("t3", [], OutOfRange("too old")),
    ("", [message(change(ADDED, "a", 2), change(ADDED, "c", 1), token="t4", current=True)], "hold"),
]

WANT = [
    "added a@1, added b@1 | a@1 b@1 @ t1",
    "modified a@2 | a@2 b@1 @ t2",
    "reset: removed b@1, added c@1 | a@2 c@1 @ t4",
]


class ScriptedTransport:
    """A transport whose only RPC is Listen, answering one script per call."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = list(scripts)
        self.tokens: list[str] = []
        self.open = 0

    def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        raise AssertionError(f"unexpected call of {method}")

    def close(self) -> None:
        pass

    def _script(self, request: qs.ListenRequest) -> Script:
        self.tokens.append(request.resume_token)
        want_token, messages, end = self.scripts.pop(0)
        assert request.resume_token == want_token, (request.resume_token, want_token)
        return want_token, messages, end

    def listen(self, request: qs.ListenRequest) -> Iterator[qs.ListenResponse]:
        _, messages, end = self._script(request)
        self.open += 1
        try:
            yield from messages
            if end == "hold":
                raise AssertionError("a held stream was read past its messages: the consumer should have stopped")
            if isinstance(end, ImpossibleDBError):
                raise end
        finally:
            self.open -= 1


class AsyncScriptedTransport(ScriptedTransport):
    async def listen(self, request: qs.ListenRequest) -> AsyncIterator[qs.ListenResponse]:  # type: ignore[override]
        for item in ScriptedTransport.listen(self, request):
            yield item


def describe(snap: impossibledb.ListenSnapshot) -> str:
    changes = ", ".join(f"{c.type} {c.document.id}@{c.document.version}" for c in snap.changes)
    docs = " ".join(f"{d.id}@{d.version}" for d in snap.documents)
    return f"{'reset: ' if snap.reset else ''}{changes} | {docs} @ {snap.resume_token}"


def test_listen_resumes_exactly_once_and_starts_over_on_out_of_range() -> None:
    transport = ScriptedTransport(SCRIPTS)
    reconnects: list[str] = []
    db = impossibledb.Client("http://fake", transport=transport, retry=NO_WAIT)
    listener = db.collection("c").listen(on_reconnect=lambda error, wait_ms: reconnects.append(type(error).__name__))
    got = [describe(next(listener)) for _ in range(3)]
    listener.close()  # type: ignore[attr-defined]
    assert got == WANT
    assert reconnects == ["Unavailable", "Unavailable", "OutOfRange"]
    assert transport.tokens == ["", "t1", "t3", ""]
    assert transport.open == 0, "closing the listener closes its stream"


async def test_async_listen_resumes_exactly_once_and_starts_over_on_out_of_range() -> None:
    transport = AsyncScriptedTransport(SCRIPTS)
    db = impossibledb.AsyncClient("http://fake", transport=transport, retry=NO_WAIT)  # type: ignore[arg-type]
    listener = db.collection("c").listen()
    got = [describe(await anext(listener)) for _ in range(3)]
    await listener.aclose()
    assert got == WANT
    assert transport.tokens == ["", "t1", "t3", ""]


def test_listen_gives_up_after_reconnects_max_and_at_once_on_final_errors() -> None:
    # The server answered (a message, or an error other than Unavailable) and failed without progress.
    broken: Script = ("", [], Internal("stream reset"))
    ended: Script = ("", [message()], Unavailable("cut"))
    transport = ScriptedTransport([broken, ended, broken])
    db = impossibledb.Client("http://fake", transport=transport, retry=NO_WAIT)
    with pytest.raises(Internal):
        next(db.collection("c").listen(reconnects_max=2))
    assert len(transport.tokens) == 3, "reconnects_max=2: the first stream and two reconnects"

    transport.scripts = [("", [], InvalidArgument("bad query"))]
    with pytest.raises(InvalidArgument):
        next(db.collection("c").listen())
    assert len(transport.tokens) == 4, "a final error is raised with no reconnect"


UP: Script = ("", [message(change(ADDED, "a", 1), token="t1", current=True)], "hold")


def test_listen_waits_out_a_server_it_cannot_reach_past_reconnects_max() -> None:
    # A restart: every connection refused (Unavailable before any message) for longer than reconnects_max allows.
    down: Script = ("", [], Unavailable("connection refused"))
    transport = ScriptedTransport([down] * 30 + [UP])
    waits: list[float] = []
    db = impossibledb.Client("http://fake", transport=transport, retry=impossibledb.RetryPolicy(random=lambda: 0.0))
    listener = db.collection("c").listen(reconnects_max=2, on_reconnect=lambda error, wait_ms: waits.append(wait_ms))
    assert describe(next(listener)) == "added a@1 | a@1 @ t1"
    listener.close()  # type: ignore[attr-defined]
    assert len(transport.tokens) == 31 and len(waits) == 30


async def test_async_listen_waits_out_a_server_it_cannot_reach() -> None:
    down: Script = ("", [], Unavailable("connection refused"))
    transport = AsyncScriptedTransport([down] * 30 + [UP])
    db = impossibledb.AsyncClient("http://fake", transport=transport, retry=NO_WAIT)  # type: ignore[arg-type]
    listener = db.collection("c").listen(reconnects_max=2)
    assert describe(await anext(listener)) == "added a@1 | a@1 @ t1"
    await listener.aclose()
    assert len(transport.tokens) == 31


def test_backoff_stays_finite_however_many_attempts() -> None:
    policy = impossibledb.RetryPolicy(random=lambda: 0.5)
    assert impossibledb.retry.backoff_ms(policy, 5_000) == policy.max_backoff_ms / 2


def test_a_listener_waits_longer_between_streams_than_a_call_unless_the_policy_sets_a_ceiling() -> None:
    from impossibledb._limits import BACKOFF_MAX_MS_DEFAULT, LISTEN_BACKOFF_MAX_MS_DEFAULT
    from impossibledb._listen import listen_backoff_policy

    almost_one = impossibledb.RetryPolicy(random=lambda: 0.999)
    # A down server is asked about once every 7.5 s by each listener, not once a second.
    assert impossibledb.retry.backoff_ms(listen_backoff_policy(almost_one), 60) > BACKOFF_MAX_MS_DEFAULT * 5
    assert impossibledb.retry.backoff_ms(listen_backoff_policy(almost_one), 60) <= LISTEN_BACKOFF_MAX_MS_DEFAULT
    # A ceiling the caller chose is kept.
    chosen = impossibledb.RetryPolicy(max_backoff_ms=500, random=lambda: 0.999)
    assert impossibledb.retry.backoff_ms(listen_backoff_policy(chosen), 60) <= 500


# A resharding under an open stream: the server ends a listener that began
# without a token (and has one since) with OutOfRange; the listener listens
# again without a token and shows only the difference.
RESHARDED: list[Script] = [
    ("", [message(change(ADDED, "a", 1), change(ADDED, "b", 1), token="t1", current=True)], OutOfRange("the database was resharded while this stream was open")),
    ("", [message(change(ADDED, "a", 1), change(ADDED, "c", 1), token="u1", current=True)], "hold"),
]
RESHARDED_WANT = ["added a@1, added b@1 | a@1 b@1 @ t1", "reset: removed b@1, added c@1 | a@1 c@1 @ u1"]


def test_a_fresh_listener_starts_over_when_the_database_is_resharded_under_its_stream() -> None:
    transport = ScriptedTransport(RESHARDED)
    db = impossibledb.Client("http://fake", transport=transport, retry=NO_WAIT)
    listener = db.collection("c").listen()
    assert [describe(next(listener)) for _ in range(2)] == RESHARDED_WANT
    listener.close()  # type: ignore[attr-defined]
    assert transport.tokens == ["", ""]


async def test_an_async_fresh_listener_starts_over_when_the_database_is_resharded_under_its_stream() -> None:
    transport = AsyncScriptedTransport(RESHARDED)
    db = impossibledb.AsyncClient("http://fake", transport=transport, retry=NO_WAIT)  # type: ignore[arg-type]
    listener = db.collection("c").listen()
    assert [describe(await anext(listener)) for _ in range(2)] == RESHARDED_WANT
    await listener.aclose()


def test_a_resharding_during_the_first_result_starts_it_again_and_a_refusal_before_any_message_is_raised() -> None:
    # The first result broke off before its token: nothing was shown, so the fresh one is a plain first snapshot.
    halfway: Script = ("", [message(change(ADDED, "a", 1))], OutOfRange("resharded"))
    transport = ScriptedTransport([halfway, UP])
    db = impossibledb.Client("http://fake", transport=transport, retry=NO_WAIT)
    listener = db.collection("c").listen()
    assert describe(next(listener)) == "added a@1 | a@1 @ t1"
    listener.close()  # type: ignore[attr-defined]
    # OutOfRange before any message of a listener without a token: nothing to start over from.
    transport.scripts = [("", [], OutOfRange("no"))]
    with pytest.raises(OutOfRange):
        next(db.collection("c").listen())


def test_a_listener_resumed_from_a_callers_token_is_partial_until_a_reset_gives_the_whole_result() -> None:
    resumed: list[Script] = [
        ("t0", [message(token="t0", current=True), message(change(MODIFIED, "a", 2), token="t1")], OutOfRange("resharded")),
        ("", [message(change(ADDED, "a", 2), change(ADDED, "b", 1), token="u1", current=True), message(change(MODIFIED, "b", 2), token="u2")], "hold"),
    ]
    transport = ScriptedTransport(resumed)
    db = impossibledb.Client("http://fake", transport=transport, retry=NO_WAIT)
    listener = db.collection("c").listen(resume_token="t0")
    got = [next(listener) for _ in range(3)]
    listener.close()  # type: ignore[attr-defined]
    assert [describe(snap) for snap in got] == ["modified a@2 | a@2 @ t1", "reset: added b@1 | a@2 b@1 @ u1", "modified b@2 | a@2 b@2 @ u2"]
    assert [snap.partial for snap in got] == [True, False, False]

    # Not resumed: never partial. resume_token=None is no token.
    transport.scripts = [UP]
    snap = next(db.collection("c").listen(resume_token=None))
    assert (snap.partial, transport.tokens[-1]) == (False, "")
