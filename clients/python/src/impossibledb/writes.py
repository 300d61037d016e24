"""Writes sent together, for the sync client: WriteBatch and Transaction (client.py makes them).

aio.py has their asyncio twins; both share _wire.py (the requests),
_batchstate.py (a batch's writes and whether it was sent) and _txstate.py
(a transaction's read set).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _wire
from ._limits import BATCH_GET_REFS_MAX
from ._model import BatchWriteOutcome, DocumentPath, DocumentSnapshot, WriteResult
from ._transport import Caller
from ._batchstate import BatchState
from ._txstate import TransactionState, path_of, raise_commit_failure
from .errors import Internal
from .transforms import FieldTransform
from .v1 import collection_service_pb2 as cs
from .v1 import document_pb2 as doc
from .v1 import transaction_service_pb2 as ts

__all__ = ["Transaction", "WriteBatch"]


class WriteBatch:
    """Writes to any documents, sent together. Obtain one with client.batch().

    commit() applies them all or none, across shards (CommitBatch).
    commit_nonatomic() applies them per shard (BatchWriteDocuments) and
    reports each write's outcome. At most WRITES_PER_CALL_MAX (500) writes.
    """

    def __init__(self, caller: Caller) -> None:
        self._caller = caller
        self._state = BatchState()

    def __len__(self) -> int:
        return len(self._state.writes)

    def set(
        self,
        target: DocumentPath | str,
        data: Mapping[str, Any],
        *,
        if_exists: bool | None = None,
        if_version: int | None = None,
        transforms: Sequence[FieldTransform] = (),
    ) -> WriteBatch:
        """Replaces a document whole, creating it if missing. target: a reference or "collection/id"."""
        return self._push(_wire.set_write(path_of(target), data, if_exists, if_version, transforms))

    def create(self, target: DocumentPath | str, data: Mapping[str, Any], *, transforms: Sequence[FieldTransform] = ()) -> WriteBatch:
        """Creates a document; the write fails with AlreadyExists when it exists."""
        return self._push(_wire.create_write(path_of(target), data, transforms))

    def update(
        self,
        target: DocumentPath | str,
        data: Mapping[str, Any],
        *,
        mask: Sequence[str] | None = None,
        if_exists: bool | None = None,
        if_version: int | None = None,
        transforms: Sequence[FieldTransform] = (),
    ) -> WriteBatch:
        """Changes fields of an existing document (see DocumentReference.update)."""
        return self._push(_wire.update_write(path_of(target), data, mask, if_exists, if_version, transforms))

    def delete(self, target: DocumentPath | str, *, if_exists: bool | None = None, if_version: int | None = None) -> WriteBatch:
        """Deletes a document."""
        return self._push(_wire.delete_write(path_of(target), if_exists, if_version))

    def commit(self, *, return_documents: bool = False, timeout_ms: int | None = None) -> list[WriteResult]:
        """Applies every write atomically across shards, or none (raising the first failure's error).

        One result per write, in order, with its version; documents only
        with return_documents, and only while they fit the 3 MiB answer.
        timeout_ms: this call's deadline instead of the client's. A lost
        answer's error (DeadlineExceeded, Unavailable…) says that the outcome
        is unknown: the batch may have been applied.
        """
        self._state.mark_sent()
        try:
            response = self._caller.call("CommitBatch", ts.CommitBatchRequest(writes=self._state.writes, return_documents=return_documents), timeout_ms)
        except BaseException as error:
            # Refused (nothing applied): the batch may be sent again, as a whole or per shard.
            raise_commit_failure(error, self._state.atomic_commit_failed(error))
        return [_wire.write_result(r) for r in response.results]

    def commit_nonatomic(self, *, return_documents: bool = False, timeout_ms: int | None = None) -> list[BatchWriteOutcome]:
        """Applies the writes per shard: those on one shard all or none, shards independently. One outcome per write."""
        self._state.mark_sent()
        response = self._caller.call("BatchWriteDocuments", cs.BatchWriteDocumentsRequest(writes=self._state.writes, return_documents=return_documents), timeout_ms)
        return _wire.batch_outcomes(self._state.paths, response)

    def _push(self, write: doc.Write) -> WriteBatch:
        self._state.push(write)
        return self


class Transaction:
    """A strictly serializable transaction. Obtain one with client.transaction(), or let run_transaction make it.

    get() reads now and records the version read; read() queues a read made
    at commit; set/create/update/delete buffer writes. commit() sends the
    writes with every version read and applies them all only if none has
    changed, else raises Aborted and applies none.
    """

    def __init__(self, caller: Caller, state: TransactionState) -> None:
        self._caller = caller
        self._state = state

    @property
    def id(self) -> str | None:
        """The server's id for the transaction, once it has begun."""
        return self._state.id

    def read_set(self) -> list[tuple[DocumentPath, int]]:
        """Every (document, version) pair read so far, as commit() will send them; version 0 for a missing document."""
        return self._state.read_set()

    def get(self, target: DocumentPath | str) -> DocumentSnapshot | None:
        """Reads a document now, inside the transaction; None when it does not exist."""
        return self.get_many([target])[0]

    def get_many(self, targets: Sequence[DocumentPath | str]) -> list[DocumentSnapshot | None]:
        """Reads documents now, in order, following unread_refs until every one is read."""
        self._state.assert_open()
        return self._read(targets)

    def _read(self, targets: Sequence[DocumentPath | str]) -> list[DocumentSnapshot | None]:
        out: list[DocumentSnapshot | None] = []
        paths = [path_of(t) for t in targets]
        for start in range(0, len(paths), BATCH_GET_REFS_MAX):
            rest = paths[start : start + BATCH_GET_REFS_MAX]
            for _ in range(len(rest)):
                response = self._caller.call("GetDocuments", self._state.get_request(rest))
                answered, rest = self._state.record(rest, response)
                out.extend(answered)
                if not rest:
                    break
        return out

    def read(self, target: DocumentPath | str) -> Transaction:
        """Queues a read of a document: made at commit(), just before the writes, and its version validated with them."""
        self._state.assert_open()
        self._state.queued_reads.append(path_of(target))
        return self

    def set(
        self,
        target: DocumentPath | str,
        data: Mapping[str, Any],
        *,
        if_exists: bool | None = None,
        if_version: int | None = None,
        transforms: Sequence[FieldTransform] = (),
    ) -> Transaction:
        """Replaces a document whole (creating it if missing) when the transaction commits."""
        self._state.push(_wire.set_write(path_of(target), data, if_exists, if_version, transforms))
        return self

    def create(self, target: DocumentPath | str, data: Mapping[str, Any], *, transforms: Sequence[FieldTransform] = ()) -> Transaction:
        """Creates a document when the transaction commits; the commit fails if it exists."""
        self._state.push(_wire.create_write(path_of(target), data, transforms))
        return self

    def update(
        self,
        target: DocumentPath | str,
        data: Mapping[str, Any],
        *,
        mask: Sequence[str] | None = None,
        if_exists: bool | None = None,
        if_version: int | None = None,
        transforms: Sequence[FieldTransform] = (),
    ) -> Transaction:
        """Changes fields of an existing document when the transaction commits (see DocumentReference.update)."""
        self._state.push(_wire.update_write(path_of(target), data, mask, if_exists, if_version, transforms))
        return self

    def delete(self, target: DocumentPath | str, *, if_exists: bool | None = None, if_version: int | None = None) -> Transaction:
        """Deletes a document when the transaction commits."""
        self._state.push(_wire.delete_write(path_of(target), if_exists, if_version))
        return self

    def commit(self, *, return_documents: bool = False, timeout_ms: int | None = None) -> list[WriteResult]:
        """Makes the queued reads, then applies every write if nothing read has changed; Aborted when something has.

        A transaction commits once: a commit() while another is in flight, or after one succeeded
        or was refused, raises FailedPrecondition and sends nothing, so its writes are never applied
        twice. After a lost answer (Unavailable, DeadlineExceeded and the like: it may have been
        applied), commit() again learns the outcome when the transaction has an id (it read
        something); one that only wrote has no id to ask with, and raises FailedPrecondition.
        Such an error's message says that the outcome is unknown. timeout_ms: this commit's
        deadline instead of the client's (a large commit may need longer than reads do)."""
        resend = self._state.begin_commit()
        if not resend and self._state.queued_reads:
            try:
                self._read(self._state.queued_reads)
            except BaseException:
                self._state.reads_failed()
                raise
        try:
            response = self._caller.call("Commit", self._state.commit_request(return_documents), timeout_ms)
        except BaseException as error:
            raise_commit_failure(error, self._state.commit_failed(error))
        self._state.state = "committed"
        return [_wire.write_result(r) for r in response.results]

    def rollback(self) -> None:
        """Abandons the transaction; nothing of it is applied. Also releases the read locks of a
        transaction whose commit failed; does nothing after a commit succeeded or while one is in flight."""
        if not self._state.may_roll_back():
            return
        self._state.state = "rolled back"
        if self._state.id is not None:
            self._caller.call("Rollback", ts.RollbackRequest(transaction=self._state.id))

    def _abandon(self) -> None:
        # After a failure the transaction is abandoned whatever Rollback
        # answers: the server's own deadline ends it otherwise.
        try:
            self.rollback()
        except Exception:  # noqa: BLE001  # the original error is the one to report
            self._state.state = "rolled back"


