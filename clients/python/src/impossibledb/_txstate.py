"""A transaction's bookkeeping, shared by the sync and asyncio transactions.

Reads are recorded with the versions they saw; writes are buffered and sent
together at commit, which applies them only if nothing read has changed.
Every version read goes back with the commit (CommitRequest.reads): a
document read twice that changed in between is sent at both versions, and
the server aborts the commit, because the write may have been computed from
the first value. Keeping only the last version read would let that write
overwrite the other writer's change unseen (a lost update).

No call is spent on BeginTransaction: the first GetDocuments carries the
transaction's options (new_transaction) and its answer names the id the
later calls use; a transaction that never reads begins with its Commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NoReturn

from google.protobuf import duration_pb2

from . import _wire
from ._args import check_transaction_timeout_ms
from ._model import DocumentPath, DocumentSnapshot
from .errors import Aborted, Canceled, DeadlineExceeded, FailedPrecondition, ImpossibleDBError, Internal, Unavailable, Unknown
from .v1 import document_pb2 as doc
from .v1 import transaction_service_pb2 as ts

State = Literal["open", "committing", "committed", "failed", "unknown", "rolled back"]
"""Where a transaction stands. "committing": a commit is in flight; "failed": the server refused
the commit (nothing applied); "unknown": the commit's answer was lost, so it may have been applied."""

_OUTCOME_UNKNOWN = (Unavailable, DeadlineExceeded, Canceled, Unknown, Internal)
"""Errors after which a commit may have been applied though it was not acknowledged."""

def outcome_unknown(error: BaseException, next_step: str) -> BaseException:
    """`error`, when it is a commit's lost answer, with its message saying that the outcome is unknown and
    what to do (`next_step`): a bare "deadline exceeded" reads as "nothing happened", yet the commit may have
    been applied. Same type and retry delay, the original as __cause__; any other error as it is."""
    if not isinstance(error, _OUTCOME_UNKNOWN) or "outcome is unknown" in error.message:
        return error
    said = type(error)(f"{error.message}: the commit's outcome is unknown, it may have been applied; {next_step}", error.retry_delay_ms)
    said.__cause__ = error
    return said


def attempts_spent(last: Aborted, attempts: int, attempts_max_default: int) -> Aborted:
    """The Aborted run_transaction raises when its attempts are spent. The last attempt's message says to
    "retry it as a new transaction", which run_transaction has just done `attempts - 1` times: this one says
    so, and which argument allows more, then gives the last attempt's message. Still Aborted (nothing was
    applied; a caller's own loop may run it again); the caller raises it `from last`."""
    runs = "attempt" if attempts == 1 else "attempts"
    return Aborted(
        f"the transaction gave up after {attempts} {runs}, each aborted (run_transaction's attempts_max argument, "
        f"{attempts_max_default} by default, allows more); the last attempt: {last.message}",
        last.retry_delay_ms,
    )


def raise_commit_failure(error: BaseException, failure: BaseException) -> NoReturn:
    """Raises what a failed commit raises: `failure` (outcome_unknown's), chained to `error` when it differs."""
    if failure is error:
        raise error
    raise failure from error


def refused(error: BaseException) -> bool:
    """True when `error` is the server's refusal of a write (nothing was applied), not a lost or cut answer."""
    return isinstance(error, ImpossibleDBError) and not isinstance(error, _OUTCOME_UNKNOWN)


def transaction_options(read_only: bool, timeout_ms: int | None, retry_of: str | None) -> ts.TransactionOptions:
    """The options a transaction begins with; `retry_of` is the id of the aborted attempt this one retries, if any
    (the server then gives the retry its first attempt's priority and locks what it reads)."""
    options = ts.TransactionOptions(read_only=read_only, retry_of=retry_of or "")
    timeout_ms = check_transaction_timeout_ms(timeout_ms)
    if timeout_ms is not None:
        options.timeout.CopyFrom(duration_pb2.Duration(seconds=timeout_ms // 1000, nanos=(timeout_ms % 1000) * 1_000_000))
    return options


def begin_request(read_only: bool, timeout_ms: int | None, retry_of: str | None) -> ts.BeginTransactionRequest:
    """A BeginTransaction request with these options (the SDK itself begins with the first read instead)."""
    return ts.BeginTransactionRequest(options=transaction_options(read_only, timeout_ms, retry_of))


class TransactionState:
    """What a transaction has read and will write; no I/O."""

    def __init__(self, read_only: bool, timeout_ms: int | None, retry_of: str | None) -> None:
        self.read_only = read_only
        # Checked now, so transaction(timeout_ms=0) fails where it is written, not at the first read.
        self.timeout_ms = check_transaction_timeout_ms(timeout_ms)
        self.retry_of = retry_of
        self.id: str | None = None
        self.state: State = "open"
        # Why the last commit did not succeed, for the error of a later call.
        self.failure: BaseException | None = None
        self.queued_reads: list[DocumentPath] = []
        self.writes: list[doc.Write] = []
        # Every document written, to refuse a second write of one.
        self._written: set[tuple[str, str]] = set()
        # Every (document, version) pair read, in the order first read;
        # version 0 for a document that did not exist.
        self._read_set: dict[tuple[str, str, int], tuple[DocumentPath, int]] = {}

    def assert_open(self) -> None:
        """Raises FailedPrecondition, saying why, unless reads and writes may still be added."""
        if self.state == "open":
            return
        if self.state == "committing":
            raise self._not_again("it is committing (a commit is in flight)")
        if self.state == "failed":
            raise self._not_again(f"its commit was refused ({self.failure}); run a new transaction")
        if self.state == "unknown":
            learn = "" if self.id is None else "; commit() again learns it"
            raise self._not_again(f"its commit's outcome is unknown ({self.failure}){learn}")
        raise self._not_again(f"it is {self.state}")

    @staticmethod
    def _not_again(why: str) -> FailedPrecondition:
        return FailedPrecondition(f"the transaction cannot take this call: {why}")

    def begin_commit(self) -> bool:
        """Claims the commit before any I/O, so a second commit never sends a second Commit.

        Returns True when this commit sends again one whose answer was lost (its queued reads
        were made then): the server answers a repeated Commit of one id with the first one's
        outcome. Raises FailedPrecondition while a commit is in flight, after one succeeded or
        was refused, and after a lost answer when the transaction has no id (it only wrote,
        so it began with its commit, and a second Commit would be a new transaction)."""
        if self.state == "unknown":
            if self.id is None:
                raise self._not_again(
                    f"its commit's outcome is unknown ({self.failure}) and, having only written, it has no id "
                    "to ask the server with: read the documents to see whether its writes were applied"
                )
            self.state = "committing"
            return True
        self.assert_open()
        self.state = "committing"
        return False

    def reads_failed(self) -> None:
        """The queued reads failed before Commit was sent: nothing was committed, the transaction stays open."""
        self.state = "open"

    def commit_failed(self, error: BaseException) -> BaseException:
        """Records a commit that raised: refused by the server ("failed") or with its outcome unknown.

        Returns the error to raise: for a lost answer, one that says the outcome is unknown and how to learn it."""
        self.state = "failed" if refused(error) else "unknown"
        learn = "commit() again (with a longer timeout_ms if the deadline was too short) learns it"
        only_wrote = "the transaction only wrote, so read the documents to see whether its writes were applied"
        self.failure = outcome_unknown(error, only_wrote if self.id is None else learn)
        return self.failure

    def needs_commit_after_run(self) -> bool:
        """After run_transaction's function returned: True when the transaction is still to be committed.

        The function may have ended the transaction itself. Its own commit is the run's: when that
        commit failed, even if the function caught the error, the error is raised here, so an Aborted
        one is retried like any run and any other is raised as the commit got it (a second commit would
        only raise FailedPrecondition). A transaction the function committed or rolled back needs nothing."""
        if self.state in ("failed", "unknown"):
            assert self.failure is not None, "a failed commit records why"
            raise self.failure
        return self.state == "open"

    def may_roll_back(self) -> bool:
        """Whether rollback() still has something to release: not after a commit succeeded or while one is in flight."""
        return self.state in ("open", "failed", "unknown")

    def options(self) -> ts.TransactionOptions:
        return transaction_options(self.read_only, self.timeout_ms, self.retry_of)

    def get_request(self, paths: Sequence[DocumentPath]) -> ts.GetDocumentsRequest:
        """A GetDocuments of `paths`; the first one begins the transaction (new_transaction)."""
        refs = [_wire.ref(p) for p in paths]
        if self.id is None:
            return ts.GetDocumentsRequest(new_transaction=self.options(), refs=refs)
        return ts.GetDocumentsRequest(transaction=self.id, refs=refs)

    def push(self, write: doc.Write) -> None:
        """Buffers a write. The server refuses a whole Commit that writes one document twice (in these
        words), so the second write is refused here, InvalidArgument, when it is made."""
        self.assert_open()
        _wire.take_write(self.writes, self._written, write, "a transaction")

    def record(self, asked: Sequence[DocumentPath], response: ts.GetDocumentsResponse) -> tuple[list[DocumentSnapshot | None], list[DocumentPath]]:
        """Records one GetDocuments answer: the snapshots of the refs it answered, and the refs still unread.

        The answer to the read that began the transaction names its id, kept for the calls that follow."""
        if self.id is None:
            if not response.transaction:
                raise Internal("GetDocuments began no transaction: the server predates new_transaction")
            self.id = response.transaction
        if not response.reads:
            raise Internal("GetDocuments answered none of the refs")
        if len(response.reads) > len(asked):
            raise Internal(f"GetDocuments answered {len(response.reads)} reads for {len(asked)} refs")
        out: list[DocumentSnapshot | None] = []
        for path, read in zip(asked, response.reads):
            if (read.ref.collection, read.ref.id) != (path.collection, path.id):
                raise Internal(f"GetDocuments answered {read.ref.collection}/{read.ref.id} where {path} was asked")
            self._read_set.setdefault(_wire.read_version_key(path, read.version), (path, read.version))
            out.append(_wire.snapshot(read.document) if read.HasField("document") else None)
        return out, list(asked[len(response.reads) :])

    def read_set(self) -> list[tuple[DocumentPath, int]]:
        """Every (document, version) pair read so far, in the order first read."""
        return list(self._read_set.values())

    def commit_request(self, return_documents: bool) -> ts.CommitRequest:
        reads = _wire.read_versions(self.read_set())
        if self.id is None:
            # The transaction never read: its commit begins it.
            return ts.CommitRequest(new_transaction=self.options(), writes=self.writes, reads=reads, return_documents=return_documents)
        return ts.CommitRequest(transaction=self.id, writes=self.writes, reads=reads, return_documents=return_documents)


def path_of(target: Any) -> DocumentPath:
    """The DocumentPath of a reference, or of a "collection/id" str."""
    if isinstance(target, DocumentPath):
        return DocumentPath(target.collection, target.id)
    if isinstance(target, str) and target.count("/") == 1:
        collection, _, id = target.partition("/")
        return DocumentPath(collection, id)
    raise TypeError(f"expected a document reference or a 'collection/id' str, got {target!r}")
