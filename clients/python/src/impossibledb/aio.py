"""The asyncio client: AsyncClient, with the shape of the sync Client (client.py) and methods to await.

    async with impossibledb.AsyncClient("http://127.0.0.1:8787") as db:
        await db.collection("users").document("alice").set({"name": "Alice"})
        async for user in db.collection("users").where("age", ">", 21).stream():
            ...

Requests are built and answers read by the same code as the sync client's
(_wire.py, _query.py, _txstate.py); only the waiting differs.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from . import _wire
from ._args import check_page_size
from ._database import database_metadata, is_missing_database
from ._limits import BATCH_GET_REFS_MAX, CALL_TIMEOUT_MS_DEFAULT, LISTEN_RECONNECTS_MAX_DEFAULT, PAGE_SIZE_MAX, PAGES_PER_CALL_MAX, TRANSACTION_ATTEMPTS_MAX_DEFAULT
from ._listen import ListenOptions, ListenSnapshot, listen_async, stream_opener
from ._model import AggregateGroup, AggregateSpec, BatchWriteOutcome, DocumentPath, DocumentSnapshot, QueryPage, WriteResult
from ._query import NO_VALUE, Direction, Operator, QuerySpec, count_aliases, groups_of, page_of
from ._transport import AsyncCaller, AsyncConnectTransport, AsyncTransport
from ._batchstate import BatchState
from ._txstate import TransactionState, attempts_spent, path_of, raise_commit_failure
from .client import auth_headers, resolve_url
from .errors import Aborted, ImpossibleDBError, Internal, NotFound, ResourceExhausted
from .retry import NO_RETRIES, RetryPolicy, backoff_ms
from .transforms import FieldTransform
from .v1 import collection_service_pb2 as cs
from .v1 import document_pb2 as doc
from .v1 import query_service_pb2 as qs
from .v1 import transaction_service_pb2 as ts

__all__ = ["AsyncClient", "AsyncCollection", "AsyncDocumentReference", "AsyncQuery", "AsyncTransaction", "AsyncWriteBatch"]

R = TypeVar("R")


class AsyncClient:
    """A connection to one ImpossibleDB for asyncio code; the options are Client's.

    Use as an async context manager, or await close().
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout_ms: int = CALL_TIMEOUT_MS_DEFAULT,
        retry: RetryPolicy | bool | None = None,
        headers: Mapping[str, str] | None = None,
        database: str | None = None,
        transport: AsyncTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        self.url = resolve_url(url)
        self.retry = NO_RETRIES if retry is False else retry if isinstance(retry, RetryPolicy) else RetryPolicy()
        if transport is not None and database is not None:
            raise ValueError("give database to the transport (GrpcTransport(database=...)), not with transport=")
        self.database = database
        self._caller = AsyncCaller(transport or AsyncConnectTransport(self.url, {**auth_headers(api_key, headers), **database_metadata(database)}), self.retry, timeout_ms)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Releases the connection; the client cannot be used afterwards.

        Over Connect it also waits (at most 0.5 s) for the HTTP library's
        threads to finish delivering answers, so that a program may exit
        right after it (README: Closing an AsyncClient before the program exits)."""
        await self._caller.transport.close()

    def collection(self, name: str) -> AsyncCollection:
        """A collection by name (nothing is sent)."""
        return AsyncCollection(self._caller, name)

    def document(self, collection: str, id: str) -> AsyncDocumentReference:
        """A document by collection and id (nothing is sent)."""
        return AsyncDocumentReference(self._caller, collection, id)

    def batch(self) -> AsyncWriteBatch:
        """Writes to any documents, sent together by commit() (all or nothing) or commit_nonatomic()."""
        return AsyncWriteBatch(self._caller)

    def transaction(self, *, read_only: bool = False, timeout_ms: int | None = None) -> AsyncTransaction:
        """A new transaction; nothing is sent until its first read or commit. Prefer run_transaction."""
        return AsyncTransaction(self._caller, TransactionState(read_only, timeout_ms, None))

    async def run_transaction(
        self,
        fn: Callable[[AsyncTransaction], Awaitable[R]],
        *,
        attempts_max: int = TRANSACTION_ATTEMPTS_MAX_DEFAULT,
        read_only: bool = False,
        timeout_ms: int | None = None,
    ) -> R:
        """Runs `await fn(tx)` in a transaction and commits it, retrying on Aborted (see Client.run_transaction)."""
        if type(attempts_max) is not int or attempts_max < 1:
            raise ValueError(f"attempts_max must be an int >= 1, got {attempts_max!r}")
        retry_of: str | None = None
        for attempt in range(1, attempts_max + 1):
            tx = AsyncTransaction(self._caller, TransactionState(read_only, timeout_ms, retry_of))
            try:
                value = await fn(tx)
                if tx._state.needs_commit_after_run():
                    await tx.commit()
                return value
            except Exception as error:
                await tx._abandon()
                if not isinstance(error, Aborted):
                    raise
                if attempt >= attempts_max:
                    raise attempts_spent(error, attempt, TRANSACTION_ATTEMPTS_MAX_DEFAULT) from error
                # A run whose first read aborted never learned its id: the next names the run before it.
                retry_of = tx.id or retry_of
            await asyncio.sleep(backoff_ms(self.retry, attempt) / 1000)
        raise AssertionError("unreachable: the last attempt returns or raises")


class AsyncDocumentReference(DocumentPath):
    """One document, by collection and id (see DocumentReference); its methods are awaited."""

    _caller: AsyncCaller

    def __init__(self, caller: AsyncCaller, collection: str, id: str) -> None:
        super().__init__(collection, id)
        object.__setattr__(self, "_caller", caller)

    async def get(self, *, select: Sequence[str] | None = None, timeout_ms: int | None = None) -> DocumentSnapshot | None:
        """Reads the document; None when it does not exist (a database that does not exist raises NotFound).

        select: only these field paths. timeout_ms: this call's deadline,
        retries included, instead of the client's.
        """
        try:
            response = await self._caller.call("GetDocument", cs.GetDocumentRequest(ref=_wire.ref(self), mask=_wire.mask(select)), timeout_ms)
        except NotFound as error:
            if is_missing_database(error):
                raise
            return None
        return _wire.required_document(response, "GetDocument")

    async def set(
        self, data: Mapping[str, Any], *, if_exists: bool | None = None, if_version: int | None = None, transforms: Sequence[FieldTransform] = ()
    ) -> DocumentSnapshot:
        """Writes the document whole, creating it if missing; FailedPrecondition when a precondition fails."""
        request = cs.SetDocumentRequest(
            ref=_wire.ref(self), **_wire.data_forms(str(self), data), precondition=_wire.precondition(if_exists, if_version), transforms=_wire.transforms_of(transforms)
        )
        return _wire.required_document(await self._caller.call("SetDocument", request), "SetDocument")

    async def create(self, data: Mapping[str, Any], *, transforms: Sequence[FieldTransform] = ()) -> DocumentSnapshot:
        """Creates the document; AlreadyExists when it exists."""
        request = cs.CreateDocumentRequest(ref=_wire.ref(self), **_wire.data_forms(str(self), data), transforms=_wire.transforms_of(transforms))
        return _wire.required_document(await self._caller.call("CreateDocument", request), "CreateDocument")

    async def update(
        self,
        data: Mapping[str, Any],
        *,
        mask: Sequence[str] | None = None,
        if_exists: bool | None = None,
        if_version: int | None = None,
        transforms: Sequence[FieldTransform] = (),
    ) -> DocumentSnapshot:
        """Changes fields of an existing document; NotFound when it is missing (see DocumentReference.update)."""
        request = cs.UpdateDocumentRequest(
            ref=_wire.ref(self),
            patch=_wire.update_patch(str(self), data, mask),
            precondition=_wire.precondition(if_exists, if_version),
            transforms=_wire.transforms_of(transforms),
        )
        return _wire.required_document(await self._caller.call("UpdateDocument", request), "UpdateDocument")

    async def delete(self, *, if_exists: bool | None = None, if_version: int | None = None) -> bool:
        """Deletes the document; True when it existed."""
        request = cs.DeleteDocumentRequest(ref=_wire.ref(self), precondition=_wire.precondition(if_exists, if_version))
        return bool((await self._caller.call("DeleteDocument", request)).deleted)

    async def listen(
        self,
        *,
        resume_token: str | None = None,
        reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT,
        on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None,
    ) -> AsyncGenerator[ListenSnapshot, None]:
        """The document, then a snapshot after every change to it (see Query.listen); cancelling the task stops it."""
        ref = _wire.ref(self)
        options = ListenOptions(resume_token, reconnects_max, on_reconnect)
        async with aclosing(listen_async(stream_opener(self._caller.transport), lambda token: qs.ListenRequest(document=ref, resume_token=token), options, self._caller.policy)) as stream:
            async for snap in stream:
                yield snap


class AsyncQuery(QuerySpec):
    """A query over one collection (see Query); its running methods are awaited."""

    async def page(self, *, page_size: int | None = None, page_token: str = "") -> QueryPage:
        """One page of results (page_size 1 to 1000; the server's 100 when None)."""
        return page_of(await self._runner.call("RunQuery", self._page_request(page_size, page_token)))

    async def stream(self, *, page_size: int = PAGE_SIZE_MAX) -> AsyncIterator[DocumentSnapshot]:
        """Every matching document (up to limit), in query order, a page at a time; ResourceExhausted after PAGES_PER_CALL_MAX pages."""
        token = ""
        for _ in range(PAGES_PER_CALL_MAX):
            page = await self.page(page_size=page_size, page_token=token)
            for document in page.documents:
                yield document
            if not page.next_page_token:
                return
            token = page.next_page_token
        raise ResourceExhausted(f"query on {self.collection} took more than PAGES_PER_CALL_MAX ({PAGES_PER_CALL_MAX}) pages")

    async def get(self) -> list[DocumentSnapshot]:
        """Every matching document (up to limit), in query order, as a list."""
        return [document async for document in self.stream()]

    async def aggregate(self, specs: Mapping[str, AggregateSpec], *, group_by: Sequence[str] = ()) -> list[AggregateGroup]:
        """Computes aggregates over the matching documents, optionally grouped (see Query.aggregate)."""
        return groups_of(await self._runner.call("RunAggregationQuery", self._aggregation_request(specs, group_by)), count_aliases(specs))

    async def listen(
        self,
        *,
        resume_token: str | None = None,
        reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT,
        on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None,
    ) -> AsyncGenerator[ListenSnapshot, None]:
        """The query's result, then a snapshot whenever it changes (see Query.listen); cancelling the task stops it."""
        query = self.to_proto()
        options = ListenOptions(resume_token, reconnects_max, on_reconnect)
        async with aclosing(listen_async(stream_opener(self._runner.transport), lambda token: qs.ListenRequest(query=query, resume_token=token), options, self._runner.policy)) as stream:
            async for snap in stream:
                yield snap


class AsyncCollection:
    """A collection of documents (see Collection); its reading methods are awaited."""

    def __init__(self, caller: AsyncCaller, name: str) -> None:
        self._caller = caller
        self.name = name

    def __repr__(self) -> str:
        return f"AsyncCollection({self.name!r})"

    def document(self, id: str) -> AsyncDocumentReference:
        """A document of this collection by id (nothing is sent)."""
        return AsyncDocumentReference(self._caller, self.name, id)

    def query(self) -> AsyncQuery:
        """A query over every document of the collection, to refine."""
        return AsyncQuery(self._caller, self.name)

    async def listen(
        self,
        *,
        resume_token: str | None = None,
        reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT,
        on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None,
    ) -> AsyncGenerator[ListenSnapshot, None]:
        """query().listen(...): the collection's documents, then a snapshot after every change (see Query.listen)."""
        async with aclosing(self.query().listen(resume_token=resume_token, reconnects_max=reconnects_max, on_reconnect=on_reconnect)) as stream:
            async for snap in stream:
                yield snap

    def where(self, field: str, op: Operator, value: Any = NO_VALUE) -> AsyncQuery:
        """query().where(...)."""
        return self.query().where(field, op, value)

    def order_by(self, field: str, direction: Direction = "asc") -> AsyncQuery:
        """query().order_by(...)."""
        return self.query().order_by(field, direction)

    def limit(self, count: int) -> AsyncQuery:
        """query().limit(...): at most `count` documents."""
        return self.query().limit(count)

    def offset(self, count: int) -> AsyncQuery:
        """query().offset(...): skips the first `count` documents."""
        return self.query().offset(count)

    def select(self, *fields: str) -> AsyncQuery:
        """query().select(...): only these field paths of each document."""
        return self.query().select(*fields)

    def filter(self, expression: str) -> AsyncQuery:
        """query().filter(...): documents matching an AIP-160 filter (`age > 21 AND status = "active"`)."""
        return self.query().filter(expression)

    async def get_many(self, ids: Sequence[str], *, select: Sequence[str] | None = None) -> list[DocumentSnapshot | None]:
        """Reads several documents; None for each that does not exist, following unread_refs (see Collection.get_many)."""
        paths = [DocumentPath(self.name, id) for id in ids]
        out: list[DocumentSnapshot | None] = []
        for start in range(0, len(paths), BATCH_GET_REFS_MAX):
            rest = paths[start : start + BATCH_GET_REFS_MAX]
            for _ in range(len(rest)):
                request = cs.BatchGetDocumentsRequest(refs=[_wire.ref(p) for p in rest], mask=_wire.mask(select))
                answered, rest = _wire.batch_get_results(rest, await self._caller.call("BatchGetDocuments", request))
                out.extend(answered)
                if not rest:
                    break
            if rest:
                raise Internal(f"BatchGetDocuments left {len(rest)} refs unread")
        return out

    async def list(self, *, page_size: int | None = None, page_token: str = "", select: Sequence[str] | None = None) -> QueryPage:
        """One page of the collection in id order."""
        request = cs.ListDocumentsRequest(collection=self.name, page_size=check_page_size(page_size), page_token=page_token, mask=_wire.mask(select))
        return page_of(await self._caller.call("ListDocuments", request))

    async def list_all(self, *, select: Sequence[str] | None = None) -> AsyncIterator[DocumentSnapshot]:
        """Every document of the collection in id order, a page at a time."""
        token = ""
        for _ in range(PAGES_PER_CALL_MAX):
            page = await self.list(page_size=PAGE_SIZE_MAX, page_token=token, select=select)
            for document in page.documents:
                yield document
            if not page.next_page_token:
                return
            token = page.next_page_token
        raise ResourceExhausted(f"listing {self.name} took more than PAGES_PER_CALL_MAX ({PAGES_PER_CALL_MAX}) pages")


class AsyncWriteBatch:
    """Writes to any documents, sent together (see WriteBatch); commit() and commit_nonatomic() are awaited."""

    def __init__(self, caller: AsyncCaller) -> None:
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
    ) -> AsyncWriteBatch:
        """Replaces a document whole, creating it if missing."""
        return self._push(_wire.set_write(path_of(target), data, if_exists, if_version, transforms))

    def create(self, target: DocumentPath | str, data: Mapping[str, Any], *, transforms: Sequence[FieldTransform] = ()) -> AsyncWriteBatch:
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
    ) -> AsyncWriteBatch:
        """Changes fields of an existing document."""
        return self._push(_wire.update_write(path_of(target), data, mask, if_exists, if_version, transforms))

    def delete(self, target: DocumentPath | str, *, if_exists: bool | None = None, if_version: int | None = None) -> AsyncWriteBatch:
        """Deletes a document."""
        return self._push(_wire.delete_write(path_of(target), if_exists, if_version))

    async def commit(self, *, return_documents: bool = False, timeout_ms: int | None = None) -> list[WriteResult]:
        """Applies every write atomically across shards, or none (raising the failure's error)."""
        self._state.mark_sent()
        try:
            response = await self._caller.call("CommitBatch", ts.CommitBatchRequest(writes=self._state.writes, return_documents=return_documents), timeout_ms)
        except BaseException as error:
            # Refused (nothing applied): the batch may be sent again, as a whole or per shard.
            raise_commit_failure(error, self._state.atomic_commit_failed(error))
        return [_wire.write_result(r) for r in response.results]

    async def commit_nonatomic(self, *, return_documents: bool = False, timeout_ms: int | None = None) -> list[BatchWriteOutcome]:
        """Applies the writes per shard; one outcome per write."""
        self._state.mark_sent()
        request = cs.BatchWriteDocumentsRequest(writes=self._state.writes, return_documents=return_documents)
        return _wire.batch_outcomes(self._state.paths, await self._caller.call("BatchWriteDocuments", request, timeout_ms))

    def _push(self, write: doc.Write) -> AsyncWriteBatch:
        self._state.push(write)
        return self


class AsyncTransaction:
    """A strictly serializable transaction (see Transaction); get, get_many, commit and rollback are awaited."""

    def __init__(self, caller: AsyncCaller, state: TransactionState) -> None:
        self._caller = caller
        self._state = state
        # Held by the read that begins the transaction (new_transaction) until its id is known,
        # so reads made meanwhile (asyncio.gather of gets) join it instead of each beginning a
        # transaction of their own: a read-only transaction's reads then share one snapshot.
        self._beginning = asyncio.Lock()

    async def _read_once(self, refs: Sequence[DocumentPath]) -> tuple[list[DocumentSnapshot | None], list[DocumentPath]]:
        """One GetDocuments in the transaction: the answered snapshots and the refs left unread."""
        if self._state.id is None:
            async with self._beginning:
                if self._state.id is None:
                    return self._state.record(refs, await self._caller.call("GetDocuments", self._state.get_request(refs)))
        return self._state.record(refs, await self._caller.call("GetDocuments", self._state.get_request(refs)))

    @property
    def id(self) -> str | None:
        """The server's id for the transaction, once it has begun."""
        return self._state.id

    def read_set(self) -> list[tuple[DocumentPath, int]]:
        """Every (document, version) pair read so far, as commit() will send them."""
        return self._state.read_set()

    async def get(self, target: DocumentPath | str) -> DocumentSnapshot | None:
        """Reads a document now, inside the transaction; None when it does not exist."""
        return (await self.get_many([target]))[0]

    async def get_many(self, targets: Sequence[DocumentPath | str]) -> list[DocumentSnapshot | None]:
        """Reads documents now, in order, following unread_refs until every one is read."""
        self._state.assert_open()
        return await self._read(targets)

    async def _read(self, targets: Sequence[DocumentPath | str]) -> list[DocumentSnapshot | None]:
        out: list[DocumentSnapshot | None] = []
        paths = [path_of(t) for t in targets]
        for start in range(0, len(paths), BATCH_GET_REFS_MAX):
            rest = paths[start : start + BATCH_GET_REFS_MAX]
            for _ in range(len(rest)):
                answered, rest = await self._read_once(rest)
                out.extend(answered)
                if not rest:
                    break
        return out

    def read(self, target: DocumentPath | str) -> AsyncTransaction:
        """Queues a read made at commit(), its version validated with the writes."""
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
    ) -> AsyncTransaction:
        """Replaces a document whole when the transaction commits."""
        self._state.push(_wire.set_write(path_of(target), data, if_exists, if_version, transforms))
        return self

    def create(self, target: DocumentPath | str, data: Mapping[str, Any], *, transforms: Sequence[FieldTransform] = ()) -> AsyncTransaction:
        """Creates a document when the transaction commits."""
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
    ) -> AsyncTransaction:
        """Changes fields of an existing document when the transaction commits."""
        self._state.push(_wire.update_write(path_of(target), data, mask, if_exists, if_version, transforms))
        return self

    def delete(self, target: DocumentPath | str, *, if_exists: bool | None = None, if_version: int | None = None) -> AsyncTransaction:
        """Deletes a document when the transaction commits."""
        self._state.push(_wire.delete_write(path_of(target), if_exists, if_version))
        return self

    async def commit(self, *, return_documents: bool = False, timeout_ms: int | None = None) -> list[WriteResult]:
        """Makes the queued reads, then applies every write if nothing read has changed; Aborted when something has.

        Commits once, as Transaction.commit does (a second commit raises FailedPrecondition)."""
        resend = self._state.begin_commit()
        if not resend and self._state.queued_reads:
            try:
                await self._read(self._state.queued_reads)
            except BaseException:
                self._state.reads_failed()
                raise
        try:
            response = await self._caller.call("Commit", self._state.commit_request(return_documents), timeout_ms)
        except BaseException as error:
            raise_commit_failure(error, self._state.commit_failed(error))
        self._state.state = "committed"
        return [_wire.write_result(r) for r in response.results]

    async def rollback(self) -> None:
        """Abandons the transaction; nothing of it is applied. Also releases the read locks of a
        transaction whose commit failed; does nothing after a commit succeeded or while one is in flight."""
        if not self._state.may_roll_back():
            return
        self._state.state = "rolled back"
        if self._state.id is not None:
            await self._caller.call("Rollback", ts.RollbackRequest(transaction=self._state.id))

    async def _abandon(self) -> None:
        try:
            await self.rollback()
        except Exception:  # noqa: BLE001  # the original error is the one to report
            self._state.state = "rolled back"

