"""The synchronous client: Client, and the collections, documents, queries, batches and transactions made from it.

    db = impossibledb.Client("http://127.0.0.1:8787")
    users = db.collection("users")
    users.document("alice").set({"name": "Alice"})

aio.py has the asyncio client with the same shape (AsyncClient, methods to
await). Every call has a deadline (timeout_ms, 10 s by default) covering its
retries; every failure raises an ImpossibleDBError subclass (errors.py);
values that cannot travel exactly raise TypeError before anything is sent
(values.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from . import _wire
from ._args import check_page_size
from ._database import database_metadata, is_missing_database
from ._limits import BATCH_GET_REFS_MAX, CALL_TIMEOUT_MS_DEFAULT, LISTEN_RECONNECTS_MAX_DEFAULT, PAGE_SIZE_MAX, PAGES_PER_CALL_MAX, TRANSACTION_ATTEMPTS_MAX_DEFAULT
from ._listen import ListenOptions, ListenSnapshot, listen_sync, stream_opener
from ._model import AggregateGroup, AggregateSpec, DocumentPath, DocumentSnapshot, QueryPage
from ._query import NO_VALUE, Direction, Operator, QuerySpec, count_aliases, groups_of, page_of
from ._transport import Caller, ConnectTransport, Transport
from ._txstate import TransactionState, attempts_spent
from .errors import Aborted, ImpossibleDBError, Internal, NotFound, ResourceExhausted
from .retry import NO_RETRIES, RetryPolicy, backoff_ms
from .transforms import FieldTransform
from .v1 import collection_service_pb2 as cs
from .v1 import query_service_pb2 as qs
from .writes import Transaction, WriteBatch

__all__ = ["DEFAULT_URL", "Client", "Collection", "DocumentReference", "Query", "Transaction", "WriteBatch"]

DEFAULT_URL = "http://127.0.0.1:8787"
"""Where a client connects when neither its constructor nor IMPOSSIBLEDB_URL says: `npm start`'s Worker."""

R = TypeVar("R")


def auth_headers(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    """`headers` with `authorization: Bearer <key>` added: the key given, else IMPOSSIBLEDB_API_KEY, else none.

    An authorization entry in `headers` wins.
    """
    key = api_key or os.environ.get("IMPOSSIBLEDB_API_KEY") or None
    if key is not None:
        check_api_key(key, "api_key" if api_key else "IMPOSSIBLEDB_API_KEY")
    out = {} if key is None else {"authorization": f"Bearer {key}"}
    for name, value in (headers or {}).items():
        if name.lower() == "authorization":
            out.pop("authorization", None)
        out[name] = value
    return out


_HEADER_CHAR_NAMES = {"\n": "a newline", "\r": "a carriage return", " ": "a space", "\t": "a tab"}


def check_api_key(key: object, where: str) -> None:
    """Raise ValueError when `key` (named `where`) is not a string of visible ASCII, which an authorization header carries as it is.

    A newline or a space copied with a key made every call fail in the HTTP
    library (or, in gRPC metadata, sent another key); the Go client refuses
    the same keys. The error names the character's kind and index, never the
    key: a key is a secret, and errors end up in logs.
    """
    if not isinstance(key, str):
        raise TypeError(f"{where} must be a string, got {type(key).__name__}")
    for i, ch in enumerate(key):
        if not "\x21" <= ch <= "\x7e":
            kind = _HEADER_CHAR_NAMES.get(ch) or ("a non-ASCII character" if ord(ch) > 0x7E else f"the control character {ord(ch):#04x}")
            raise ValueError(
                f"{where} holds {kind} at index {i}, which an authorization header cannot carry: "
                "an API key (idb_...) or a JWT is visible ASCII only (was a newline or a space copied with it?)"
            )


def resolve_url(url: str | None) -> str:
    """The URL given, else IMPOSSIBLEDB_URL, else DEFAULT_URL; without a trailing slash.

    Only slashes after the scheme's "//" are trailing: "http://" stays as it
    was given, so its refusal names it (it named "http:").
    """
    chosen = url or os.environ.get("IMPOSSIBLEDB_URL") or DEFAULT_URL
    stripped = chosen.rstrip("/")
    return stripped if "://" in stripped else chosen


class Client:
    """A connection to one ImpossibleDB, over Connect (HTTP, binary protobuf, gzip).

    url: the Worker's base URL; IMPOSSIBLEDB_URL, else DEFAULT_URL, when None.
    timeout_ms: deadline of each call, retries included (10 s by default).
    retry: retries of idempotent calls; None for the defaults, False for none.
    headers: sent with every call.
    api_key: an API key (idb_...) or JWT, sent as `authorization: Bearer <key>`; IMPOSSIBLEDB_API_KEY when None.
    database: the database every call addresses (the `impossibledb-database`
        header); the server's `default` when None. ValueError for an id
        outside the grammar. With `transport`, give it to the transport
        (GrpcTransport(database=...)) instead.
    transport: replaces the Connect transport (tests, other protocols); deadlines and retries still apply.

    Use as a context manager, or call close(). One client serves one thread
    at a time; give each thread its own (they are cheap), or use AsyncClient.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout_ms: int = CALL_TIMEOUT_MS_DEFAULT,
        retry: RetryPolicy | bool | None = None,
        headers: Mapping[str, str] | None = None,
        database: str | None = None,
        transport: Transport | None = None,
        api_key: str | None = None,
    ) -> None:
        self.url = resolve_url(url)
        self.retry = NO_RETRIES if retry is False else retry if isinstance(retry, RetryPolicy) else RetryPolicy()
        if transport is not None and database is not None:
            raise ValueError("give database to the transport (GrpcTransport(database=...)), not with transport=")
        self.database = database
        self._caller = Caller(transport or ConnectTransport(self.url, {**auth_headers(api_key, headers), **database_metadata(database)}), self.retry, timeout_ms)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the connection; the client cannot be used afterwards."""
        self._caller.transport.close()

    def collection(self, name: str) -> Collection:
        """A collection by name (nothing is sent)."""
        return Collection(self._caller, name)

    def document(self, collection: str, id: str) -> DocumentReference:
        """A document by collection and id (nothing is sent)."""
        return DocumentReference(self._caller, collection, id)

    def batch(self) -> WriteBatch:
        """Writes to any documents, sent together by commit() (all or nothing) or commit_nonatomic()."""
        return WriteBatch(self._caller)

    def transaction(self, *, read_only: bool = False, timeout_ms: int | None = None) -> Transaction:
        """A new transaction; nothing is sent until its first read or commit. Prefer run_transaction."""
        return Transaction(self._caller, TransactionState(read_only, timeout_ms, None))

    def run_transaction(
        self,
        fn: Callable[[Transaction], R],
        *,
        attempts_max: int = TRANSACTION_ATTEMPTS_MAX_DEFAULT,
        read_only: bool = False,
        timeout_ms: int | None = None,
    ) -> R:
        """Runs fn(tx) in a transaction and commits it; returns what fn returned.

        When the commit (or a read) fails with Aborted because another writer
        got there first, waits with backoff (the client's retry policy) and
        runs fn again in a fresh transaction, up to attempts_max times; then
        raises Aborted saying it gave up after attempts_max attempts, with the
        last attempt's message (that Aborted is its __cause__). Any other error is raised at once, after a
        rollback. fn must therefore have no effects besides the transaction's.
        fn may commit the transaction itself; otherwise it is committed here.
        A commit of fn's own that failed is the run's failure even when fn
        caught it: Aborted runs fn again, any other error is raised as the
        commit got it. fn may call tx.rollback() to apply nothing: then
        run_transaction returns fn's value without committing (raise from fn
        instead to make run_transaction raise).
        """
        if type(attempts_max) is not int or attempts_max < 1:
            raise ValueError(f"attempts_max must be an int >= 1, got {attempts_max!r}")
        retry_of: str | None = None
        for attempt in range(1, attempts_max + 1):
            tx = Transaction(self._caller, TransactionState(read_only, timeout_ms, retry_of))
            try:
                value = fn(tx)
                if tx._state.needs_commit_after_run():
                    tx.commit()
                return value
            except Exception as error:
                tx._abandon()
                if not isinstance(error, Aborted):
                    raise
                if attempt >= attempts_max:
                    raise attempts_spent(error, attempt, TRANSACTION_ATTEMPTS_MAX_DEFAULT) from error
                # A run whose first read aborted never learned its id: the next names the run before it.
                retry_of = tx.id or retry_of
            time.sleep(backoff_ms(self.retry, attempt) / 1000)
        raise AssertionError("unreachable: the last attempt returns or raises")


class DocumentReference(DocumentPath):
    """One document, by collection and id. Obtain one with collection.document(id)."""

    _caller: Caller

    def __init__(self, caller: Caller, collection: str, id: str) -> None:
        super().__init__(collection, id)
        object.__setattr__(self, "_caller", caller)

    def get(self, *, select: Sequence[str] | None = None, timeout_ms: int | None = None) -> DocumentSnapshot | None:
        """Reads the document; None when it does not exist (a database that does not exist raises NotFound).

        select: only these field paths. timeout_ms: this call's deadline,
        retries included, instead of the client's.
        """
        try:
            response = self._caller.call("GetDocument", cs.GetDocumentRequest(ref=_wire.ref(self), mask=_wire.mask(select)), timeout_ms)
        except NotFound as error:
            if is_missing_database(error):
                raise
            return None
        return _wire.required_document(response, "GetDocument")

    def set(
        self, data: Mapping[str, Any], *, if_exists: bool | None = None, if_version: int | None = None, transforms: Sequence[FieldTransform] = ()
    ) -> DocumentSnapshot:
        """Writes the document whole, creating it if missing (an upsert); returns it as written.

        if_version / if_exists: a precondition checked atomically with the
        write; FailedPrecondition when it does not hold, and nothing is written.
        transforms: field transforms applied after data, in order, in the
        same atomic write (impossibledb.increment(), server_timestamp()...).
        """
        request = cs.SetDocumentRequest(
            ref=_wire.ref(self), **_wire.data_forms(str(self), data), precondition=_wire.precondition(if_exists, if_version), transforms=_wire.transforms_of(transforms)
        )
        return _wire.required_document(self._caller.call("SetDocument", request), "SetDocument")

    def create(self, data: Mapping[str, Any], *, transforms: Sequence[FieldTransform] = ()) -> DocumentSnapshot:
        """Creates the document; AlreadyExists when it exists."""
        request = cs.CreateDocumentRequest(ref=_wire.ref(self), **_wire.data_forms(str(self), data), transforms=_wire.transforms_of(transforms))
        return _wire.required_document(self._caller.call("CreateDocument", request), "CreateDocument")

    def update(
        self,
        data: Mapping[str, Any],
        *,
        mask: Sequence[str] | None = None,
        if_exists: bool | None = None,
        if_version: int | None = None,
        transforms: Sequence[FieldTransform] = (),
    ) -> DocumentSnapshot:
        """Changes fields of an existing document; NotFound when it is missing. Returns it after the change.

        mask: the field paths to change ("address.city"); a masked path
        missing from data is removed. Without a mask, data's top-level
        fields are merged into the document.
        """
        request = cs.UpdateDocumentRequest(
            ref=_wire.ref(self),
            patch=_wire.update_patch(str(self), data, mask),
            precondition=_wire.precondition(if_exists, if_version),
            transforms=_wire.transforms_of(transforms),
        )
        return _wire.required_document(self._caller.call("UpdateDocument", request), "UpdateDocument")

    def delete(self, *, if_exists: bool | None = None, if_version: int | None = None) -> bool:
        """Deletes the document; True when it existed. Deleting a missing document succeeds unless a precondition says otherwise."""
        request = cs.DeleteDocumentRequest(ref=_wire.ref(self), precondition=_wire.precondition(if_exists, if_version))
        return bool(self._caller.call("DeleteDocument", request).deleted)

    def listen(
        self,
        *,
        resume_token: str | None = None,
        reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT,
        on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None,
    ) -> Iterator[ListenSnapshot]:
        """The document (a result of zero or one documents), then a snapshot after every change to it; see Query.listen."""
        options = ListenOptions(resume_token, reconnects_max, on_reconnect)
        ref = _wire.ref(self)
        return listen_sync(stream_opener(self._caller.transport), lambda token: qs.ListenRequest(document=ref, resume_token=token), options, self._caller.policy)


class Query(QuerySpec):
    """A query over one collection. Builder methods (where, order_by, limit, offset, select, filter) return new queries."""

    def page(self, *, page_size: int | None = None, page_token: str = "") -> QueryPage:
        """One page of results (page_size 1 to 1000; the server's 100 when None)."""
        return page_of(self._runner.call("RunQuery", self._page_request(page_size, page_token)))

    def stream(self, *, page_size: int = PAGE_SIZE_MAX) -> Iterator[DocumentSnapshot]:
        """Every matching document (up to limit), in query order, reading a page at a time as iteration goes.

        Raises ResourceExhausted after PAGES_PER_CALL_MAX pages.
        """
        token = ""
        for _ in range(PAGES_PER_CALL_MAX):
            page = self.page(page_size=page_size, page_token=token)
            yield from page.documents
            if not page.next_page_token:
                return
            token = page.next_page_token
        raise ResourceExhausted(f"query on {self.collection} took more than PAGES_PER_CALL_MAX ({PAGES_PER_CALL_MAX}) pages")

    def get(self) -> list[DocumentSnapshot]:
        """Every matching document (up to limit), in query order, as a list."""
        return list(self.stream())

    def aggregate(self, specs: Mapping[str, AggregateSpec], *, group_by: Sequence[str] = ()) -> list[AggregateGroup]:
        """Computes aggregates over the matching documents, optionally grouped.

            query.aggregate({"n": count(), "mean_age": avg("age")}, group_by=["status"])

        One group per distinct group_by key, ordered by key; exactly one
        without group_by. order_by, limit, offset and select do not apply.
        """
        return groups_of(self._runner.call("RunAggregationQuery", self._aggregation_request(specs, group_by)), count_aliases(specs))

    def listen(
        self,
        *,
        resume_token: str | None = None,
        reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT,
        on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None,
    ) -> Iterator[ListenSnapshot]:
        """The query's result, then a new ListenSnapshot whenever it changes, for as long as you iterate.

            for snap in users.where("age", ">", 21).listen():
                for change in snap.changes: ...   # change.type, change.document

        Filters, order_by and limit hold (with a limit: the window of the
        first documents in that order); offset is refused (InvalidArgument).
        When the stream breaks (Unavailable, ResourceExhausted, a cut
        connection, the server ending it), it reconnects with its last
        resume token after a backoff (the client's RetryPolicy), and changes
        received after that token are dropped and received again, so each
        change is yielded exactly once. After reconnects_max reconnects in a
        row without progress, or on any other error, it raises. When the
        server cannot continue from its token (OutOfRange: older than the
        change log, or the database was resharded, also under an open
        stream) it listens again without one and flags the snapshot of the
        fresh result `reset`, its changes the difference from the last one.
        Leaving the loop (or close()) closes the stream; a listener has no
        deadline of the client's.

        resume_token: continue after an earlier snapshot's resume_token (the
        first snapshot then has the changes since; `documents` holds only
        what was seen since the token, and `partial` says so); None or ""
        for none.
        on_reconnect(error, wait_ms): called before each reconnect.
        """
        options = ListenOptions(resume_token, reconnects_max, on_reconnect)
        query = self.to_proto()
        return listen_sync(stream_opener(self._runner.transport), lambda token: qs.ListenRequest(query=query, resume_token=token), options, self._runner.policy)


class Collection:
    """A collection of documents. Obtain one with client.collection(name)."""

    def __init__(self, caller: Caller, name: str) -> None:
        self._caller = caller
        self.name = name

    def __repr__(self) -> str:
        return f"Collection({self.name!r})"

    def document(self, id: str) -> DocumentReference:
        """A document of this collection by id (nothing is sent)."""
        return DocumentReference(self._caller, self.name, id)

    def query(self) -> Query:
        """A query over every document of the collection, to refine."""
        return Query(self._caller, self.name)

    def listen(
        self,
        *,
        resume_token: str | None = None,
        reconnects_max: int = LISTEN_RECONNECTS_MAX_DEFAULT,
        on_reconnect: Callable[[ImpossibleDBError, float], None] | None = None,
    ) -> Iterator[ListenSnapshot]:
        """query().listen(...): the collection's documents, then a snapshot after every change (see Query.listen)."""
        return self.query().listen(resume_token=resume_token, reconnects_max=reconnects_max, on_reconnect=on_reconnect)

    def where(self, field: str, op: Operator, value: Any = NO_VALUE) -> Query:
        """query().where(...): documents whose `field` compares to `value` by `op` (see QuerySpec.where)."""
        return self.query().where(field, op, value)

    def order_by(self, field: str, direction: Direction = "asc") -> Query:
        """query().order_by(...)."""
        return self.query().order_by(field, direction)

    def limit(self, count: int) -> Query:
        """query().limit(...): at most `count` documents."""
        return self.query().limit(count)

    def offset(self, count: int) -> Query:
        """query().offset(...): skips the first `count` documents."""
        return self.query().offset(count)

    def select(self, *fields: str) -> Query:
        """query().select(...): only these field paths of each document."""
        return self.query().select(*fields)

    def filter(self, expression: str) -> Query:
        """query().filter(...): documents matching an AIP-160 filter (`age > 21 AND status = "active"`)."""
        return self.query().filter(expression)

    def get_many(self, ids: Sequence[str], *, select: Sequence[str] | None = None) -> list[DocumentSnapshot | None]:
        """Reads several documents; None for each that does not exist, in the order of ids.

        The server answers a prefix of the refs that fits its 3 MiB answer
        limit and names the rest in unread_refs; those are asked for again
        until every id is answered (each call answers at least one). Ids go
        BATCH_GET_REFS_MAX (500) to a request.
        """
        paths = [DocumentPath(self.name, id) for id in ids]
        return batch_get(self._caller, paths, select)

    def list(self, *, page_size: int | None = None, page_token: str = "", select: Sequence[str] | None = None) -> QueryPage:
        """One page of the collection in id order (page_size 1 to 1000; the server's 100 when None)."""
        request = cs.ListDocumentsRequest(collection=self.name, page_size=check_page_size(page_size), page_token=page_token, mask=_wire.mask(select))
        return page_of(self._caller.call("ListDocuments", request))

    def list_all(self, *, select: Sequence[str] | None = None) -> Iterator[DocumentSnapshot]:
        """Every document of the collection in id order, a page at a time; ResourceExhausted after PAGES_PER_CALL_MAX pages."""
        token = ""
        for _ in range(PAGES_PER_CALL_MAX):
            page = self.list(page_size=PAGE_SIZE_MAX, page_token=token, select=select)
            yield from page.documents
            if not page.next_page_token:
                return
            token = page.next_page_token
        raise ResourceExhausted(f"listing {self.name} took more than PAGES_PER_CALL_MAX ({PAGES_PER_CALL_MAX}) pages")


def batch_get(caller: Caller, paths: Sequence[DocumentPath], select: Sequence[str] | None) -> list[DocumentSnapshot | None]:
    """BatchGetDocuments over any number of refs, following unread_refs until every one is answered."""
    out: list[DocumentSnapshot | None] = []
    for start in range(0, len(paths), BATCH_GET_REFS_MAX):
        rest = list(paths[start : start + BATCH_GET_REFS_MAX])
        # Each answer covers at least one ref, so this ends within len(rest) calls.
        for _ in range(len(rest)):
            response = caller.call("BatchGetDocuments", cs.BatchGetDocumentsRequest(refs=[_wire.ref(p) for p in rest], mask=_wire.mask(select)))
            answered, rest = _wire.batch_get_results(rest, response)
            out.extend(answered)
            if not rest:
                break
        if rest:
            raise Internal(f"BatchGetDocuments left {len(rest)} refs unread")
    return out
