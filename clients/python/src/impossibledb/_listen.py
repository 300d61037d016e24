"""Listen: a document's, a collection's or a query's result, then a snapshot after every change.

ListenView folds the messages of a listener's streams into snapshots. It
holds the result as of the last resume token and applies changes only when
a message carries a token: the server sends a token exactly where the
listener has every change up to it, so changes received after the last
token are held back, and dropped when the stream breaks (resuming from the
token sends them again). That is what makes every change reach the user
exactly once across reconnects. listen_sync and listen_async run streams one
after another around one view; the decisions between streams are
reconnect_wait_ms's, shared by both. The view and the decisions do no I/O.

A server that cannot be reached (Unavailable before a stream's first
message: a restart, a deploy, the network down) is waited out for as long as
it takes, as Firestore's listeners do: only time fixes it, and a listener
that died after a minute of it would leave every caller to write this loop.
Its bound is the caller's (leaving the loop, closing the generator,
cancelling the task); on_reconnect sees each attempt. A server that answers
and then fails without progress is a fault another attempt may not fix:
those streams count towards reconnects_max.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any, Literal

from ._limits import BACKOFF_MAX_MS_DEFAULT, LISTEN_BACKOFF_MAX_MS_DEFAULT, LISTEN_PENDING_CHANGES_MAX, LISTEN_RECONNECTS_MAX_DEFAULT
from ._model import DocumentSnapshot
from ._transport import is_task_cancelling
from ._wire import snapshot
from .errors import Canceled, ImpossibleDBError, Internal, OutOfRange, ResourceExhausted, Unavailable, Unimplemented, Unknown
from .retry import RetryPolicy, backoff_ms, is_transient
from .v1 import query_service_pb2 as qs

__all__ = ["ChangeType", "DocumentChange", "ListenOptions", "ListenSnapshot", "ListenView", "listen_async", "listen_sync"]

ChangeType = Literal["added", "modified", "removed"]
"""How a document's place in a listener's result changed."""

_TYPES: dict[int, ChangeType] = {
    qs.DocumentChange.TYPE_ADDED: "added",
    qs.DocumentChange.TYPE_MODIFIED: "modified",
    qs.DocumentChange.TYPE_REMOVED: "removed",
}


@dataclasses.dataclass(frozen=True)
class DocumentChange:
    """One change to a listener's result.

    type: "added" (entered the result), "modified" (changed, still in it) or
    "removed" (left it: deleted, no longer matching, or out of a limit's window).
    document: the document after the change, or as last seen when removed.
    transaction_id: the transaction that made it (also an atomic batch's, commit()); "" for a plain write,
        a per-shard batch (commit_nonatomic()) and the initial result.
    """

    type: ChangeType
    document: DocumentSnapshot
    transaction_id: str = ""


@dataclasses.dataclass(frozen=True)
class ListenSnapshot:
    """A listener's result at one point of the database's history, and the changes since the previous snapshot.

    documents: the whole result after `changes`, in id order (not re-sorted by the query's fields).
    changes: since the previous snapshot, in commit order; in the first, every document as "added"
        (after a resume_token given to listen(): the first changes after it).
        A transaction's changes are always in the same snapshot.
    resume_token: pass as listen(resume_token=...) (same document or query) to get every later change exactly once.
    reset: the server could not continue from the listener's token (OutOfRange: the token is older
        than the change log's retention, or the database was resharded, while the listener was away
        or with its stream open), so the listener started over from a fresh result; `changes` are
        then the difference from the previous snapshot's documents (in id order; empty when nothing
        changed; all "added" when there was no previous snapshot, as with a too-old resume_token):
        the changes in between are not known one by one.
    partial: True when `documents` is not the whole result: the listener was resumed from a caller's
        resume_token, and the client knows only the documents the changes since that token showed
        it (the rest of the result did not change and was not sent). False from the first reset on
        (a fresh result is the whole result), and always False for a listener not resumed.
    """

    documents: list[DocumentSnapshot]
    changes: list[DocumentChange]
    resume_token: str
    reset: bool = False
    partial: bool = False


@dataclasses.dataclass(frozen=True)
class ListenOptions:
    """listen()'s options.

    resume_token: start after an earlier snapshot's token instead of from the current result;
        snapshots' documents then hold only what the listener has seen since the token (`partial`).
        None or "" for no token.
    reconnects_max: reconnects in a row that reached the server but no resume token before the last error
        is raised; streams that could not reach it (Unavailable before any message) do not count, so a
        listener waits out a server that is down until its caller stops it.
    on_reconnect: called with the error and the wait in ms before each reconnect (logs, metrics; an
        Unavailable error there means the server cannot be reached: the app is offline).
    """

    resume_token: str | None = None
    reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT
    on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None

    def __post_init__(self) -> None:
        if type(self.reconnects_max) is not int or self.reconnects_max < 0:
            raise ValueError(f"reconnects_max must be an int >= 0, got {self.reconnects_max!r}")
        if self.resume_token is not None and not isinstance(self.resume_token, str):
            raise TypeError(f"resume_token must be a str (or None for no token), got {self.resume_token!r}")


class ListenView:
    """The result as of the last resume token, and the changes received since (see the module's docstring)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._docs: dict[tuple[str, str], DocumentSnapshot] = {}
        self._pending: list[qs.DocumentChange] = []
        self._fresh = False
        self._started = False
        self._reset = False
        # A caller's token: the view holds only what the changes since it show, until a fresh result replaces it.
        self._partial = token != ""

    def restart(self) -> str:
        """Drops what a broken stream delivered past its last token; returns the token to resume from ("" for a fresh result)."""
        self._pending = []
        self._fresh = self.token == ""
        return self.token

    def lost_place(self) -> None:
        """Forgets a place the server cannot continue from (OutOfRange): the next stream takes a fresh result.

        Its snapshot is flagged reset when it follows something: a snapshot
        already yielded, or a caller's token (whose changes are lost). A
        fresh listener whose first result broke off gets a plain first snapshot.
        """
        self._reset = self._reset or self._started or self.token != ""
        self.token = ""

    def receive(self, message: qs.ListenResponse) -> ListenSnapshot | None:
        """Takes one message; returns the snapshot it completes, or None (no token yet, or a checkpoint without changes)."""
        self._pending.extend(message.changes)
        if len(self._pending) > LISTEN_PENDING_CHANGES_MAX:
            raise ResourceExhausted(f"Listen: over LISTEN_PENDING_CHANGES_MAX ({LISTEN_PENDING_CHANGES_MAX}) changes arrived without a resume token")
        if not message.resume_token:
            return None
        whole_result = self._fresh
        changes = self._replace() if self._fresh else _apply(self._docs, self._pending)
        self.token, self._pending, self._fresh = message.resume_token, [], False
        if not changes and not whole_result and not self._reset:
            # A checkpoint, or a resumed stream's first message: the token
            # moved on (or was confirmed), the result did not change.
            return None
        if whole_result:
            self._partial = False
        documents = [self._docs[key] for key in sorted(self._docs)]
        out = ListenSnapshot(documents=documents, changes=changes, resume_token=self.token, reset=self._reset, partial=self._partial)
        self._started, self._reset = True, False
        return out

    def _replace(self) -> list[DocumentChange]:
        """Makes a fresh result the view's: all "added" the first time, else the difference from the result before, in id order."""
        fresh: dict[tuple[str, str], DocumentSnapshot] = {}
        added = _apply(fresh, self._pending)
        before, self._docs = self._docs, fresh
        if not self._started:
            return added
        diff = [DocumentChange("removed", old) for key, old in before.items() if key not in fresh]
        for key, new in fresh.items():
            old = before.get(key)
            if old is None:
                diff.append(DocumentChange("added", new))
            elif old.version != new.version:
                diff.append(DocumentChange("modified", new))
        return sorted(diff, key=lambda c: (c.document.collection, c.document.id))


def _apply(docs: dict[tuple[str, str], DocumentSnapshot], changes: list[qs.DocumentChange]) -> list[DocumentChange]:
    out = []
    for change in changes:
        kind = _TYPES.get(change.type)
        if kind is None or not change.HasField("document"):
            raise Internal(f"Listen sent a change of type {change.type} {'with' if change.HasField('document') else 'without'} a document")
        document = snapshot(change.document)
        key = (document.collection, document.id)
        if kind == "removed":
            docs.pop(key, None)
        else:
            docs[key] = document
        out.append(DocumentChange(kind, document, change.transaction_id))
    return out


def is_listen_transient(error: ImpossibleDBError) -> bool:
    """The errors after which a listener reconnects: is_transient's, and what broken connections show as.

    A reset HTTP/2 stream or a cut connection arrives as INTERNAL, UNKNOWN
    or CANCELED (from the other side: the listener's own stop never gets
    here). They count towards reconnects_max, so a real INTERNAL is raised
    after a few tries.
    """
    return is_transient(error) or isinstance(error, (Internal, Unknown, Canceled))


def is_unreachable(error: ImpossibleDBError, answered: bool) -> bool:
    """True when a stream failed to reach the server: Unavailable before it delivered a message (or ended).

    The listener retries these without counting them towards reconnects_max.
    """
    return isinstance(error, Unavailable) and not answered


def reconnect_wait_ms(
    error: ImpossibleDBError, view: ListenView, answered: bool, failures: int, reached_failures: int, options: ListenOptions, policy: RetryPolicy
) -> float:
    """How long to wait before the next stream; raises `error` when it is final.

    `failures` counts the streams in a row without a token (the backoff's
    exponent), `reached_failures` those of them that reached the server
    (bounded by reconnects_max).

    OutOfRange is the server's "start over": the token it was given is older
    than its change log, or names another routing table, or the database was
    resharded under the open stream (whatever token that stream began with,
    a fresh listener's "" included). So the listener starts over from a fresh
    result when it had a place to lose: a token, or a stream that delivered
    something. A fresh listener refused before any message gets no other
    answer by asking again, and raises.
    """
    if reached_failures > options.reconnects_max:
        raise error
    if isinstance(error, OutOfRange) and (view.token != "" or answered):
        view.lost_place()
        return 0.0  # waiting would not bring the changes back
    if not is_listen_transient(error):
        raise error
    # Never sooner than the server asked (a rate limit's RetryInfo); the ceiling is a listener's (_limits.py).
    return (error.retry_delay_ms or 0.0) + backoff_ms(listen_backoff_policy(policy), failures)


def listen_backoff_policy(policy: RetryPolicy) -> RetryPolicy:
    """A listener's backoff: the client's retry policy, its ceiling raised to LISTEN_BACKOFF_MAX_MS_DEFAULT when left at the default.

    A max_backoff_ms the caller chose is used as it is.
    """
    if policy.max_backoff_ms != BACKOFF_MAX_MS_DEFAULT:
        return policy
    return dataclasses.replace(policy, max_backoff_ms=LISTEN_BACKOFF_MAX_MS_DEFAULT)


StreamOpener = Callable[[qs.ListenRequest], Iterator[qs.ListenResponse]]
AsyncStreamOpener = Callable[[qs.ListenRequest], AsyncIterator[qs.ListenResponse]]


def stream_opener(transport: Any) -> Any:
    """The transport's `listen` (a server stream of ListenResponse), or Unimplemented for transports without one."""
    opener = getattr(transport, "listen", None)
    if opener is None:
        raise Unimplemented(f"{type(transport).__name__} cannot stream: give the client a transport with a listen() method")
    return opener


def listen_sync(opener: StreamOpener, request_for: Callable[[str], qs.ListenRequest], options: ListenOptions, policy: RetryPolicy) -> Iterator[ListenSnapshot]:
    """Runs a listener over blocking streams; closing the generator (or leaving its for loop) closes the stream."""
    view = ListenView(options.resume_token or "")
    failures = 0
    reached_failures = 0
    # A listener runs for as long as its caller iterates: each stream that
    # reaches the server but brings no token counts towards reconnects_max;
    # a server that cannot be reached is waited out (the module docstring
    # says why), bounded by the caller.
    while True:
        token = view.restart()
        stream = opener(request_for(token))
        progressed = False
        answered = False
        try:
            while True:
                try:
                    message = next(stream)
                except StopIteration:
                    error: ImpossibleDBError = Unavailable("Listen: the server ended the stream")
                    answered = True
                    break
                except ImpossibleDBError as failure:
                    error = failure
                    break
                answered = True
                progressed = progressed or bool(message.resume_token)
                out = view.receive(message)
                if out is not None:
                    yield out
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        failures = 1 if progressed else failures + 1
        reached_failures = (0 if progressed else reached_failures) + (0 if is_unreachable(error, answered) else 1)
        wait_ms = reconnect_wait_ms(error, view, answered, failures, reached_failures, options, policy)
        if options.on_reconnect is not None:
            options.on_reconnect(error, wait_ms)
        time.sleep(wait_ms / 1000)


async def listen_async(
    opener: AsyncStreamOpener, request_for: Callable[[str], qs.ListenRequest], options: ListenOptions, policy: RetryPolicy
) -> AsyncGenerator[ListenSnapshot, None]:
    """Runs a listener over asyncio streams; cancelling the task, or closing the generator, closes the stream."""
    view = ListenView(options.resume_token or "")
    failures = 0
    reached_failures = 0
    # Bounded as in listen_sync.
    while True:
        token = view.restart()
        stream = opener(request_for(token))
        progressed = False
        answered = False
        try:
            while True:
                try:
                    message = await anext(stream)
                except StopAsyncIteration:
                    error: ImpossibleDBError = Unavailable("Listen: the server ended the stream")
                    answered = True
                    break
                except ImpossibleDBError as failure:
                    if isinstance(failure, Canceled) and is_task_cancelling():
                        # The task's own cancellation, which a transport
                        # reported as CANCELED (connectrpc does; ours turn it
                        # back): the listener stops rather than reconnect.
                        raise asyncio.CancelledError() from failure
                    error = failure
                    break
                answered = True
                progressed = progressed or bool(message.resume_token)
                out = view.receive(message)
                if out is not None:
                    yield out
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        failures = 1 if progressed else failures + 1
        reached_failures = (0 if progressed else reached_failures) + (0 if is_unreachable(error, answered) else 1)
        wait_ms = reconnect_wait_ms(error, view, answered, failures, reached_failures, options, policy)
        if options.on_reconnect is not None:
            options.on_reconnect(error, wait_ms)
        await asyncio.sleep(wait_ms / 1000)
