"""A write batch's bookkeeping, shared by the sync and asyncio batches (writes.py, aio.py).

The batch classes differ only in how they call the server; what a batch
holds and when it may take another write or be sent lives here, once, as
_txstate.py does for transactions.
"""

from __future__ import annotations

from . import _wire
from ._model import DocumentPath
from .errors import FailedPrecondition
from ._txstate import outcome_unknown, refused
from .v1 import document_pb2 as doc


class BatchState:
    """The writes of one batch, in order, and whether it was sent; no I/O."""

    def __init__(self) -> None:
        self.writes: list[doc.Write] = []
        self.paths: list[DocumentPath] = []
        # Every document written, to refuse a second write of one when it is added.
        self._written: set[tuple[str, str]] = set()
        # Set by a commit, before it sends: a batch is sent once, so a second commit (which would apply
        # every write again, an increment twice) and writes added after it raise FailedPrecondition;
        # only an atomic commit the server refused (nothing applied) leaves it unsent.
        self._sent = False

    def push(self, write: doc.Write) -> None:
        """Adds a write, or raises: FailedPrecondition once the batch was sent, InvalidArgument past
        WRITES_PER_CALL_MAX writes or for a document the batch already writes. The server refuses a
        batch that writes a document twice (in these words), so it is refused here, when the second
        write is added, rather than when the whole batch is sent."""
        self.assert_unsent()
        key = _wire.take_write(self.writes, self._written, write, "a batch")
        self.paths.append(DocumentPath(*key))

    def mark_sent(self) -> None:
        """Claims the batch for a commit about to send it; FailedPrecondition when it was sent already."""
        self.assert_unsent()
        self._sent = True

    def atomic_commit_failed(self, error: BaseException) -> BaseException:
        """An atomic commit raised: when the server refused it (nothing applied), the batch may be sent again.

        Returns the error to raise: for a lost answer, one that says the outcome is unknown."""
        if refused(error):
            self._sent = False
        return outcome_unknown(error, "read the documents to see whether its writes were applied (a batch is sent once)")

    def assert_unsent(self) -> None:
        if self._sent:
            raise FailedPrecondition("this batch was already sent (a batch is committed once; a second commit would apply its writes again): make a new batch")
