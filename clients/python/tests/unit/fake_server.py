"""An in-memory ImpossibleDB for unit tests: just enough of the contract to test the client without a server.

It keeps documents with versions, validates a commit's read set as the real
server does (any version read that is no longer current aborts the commit),
and answers batch reads and transaction reads a few refs at a time, as the
real server does once an answer reaches its 3 MiB limit, so the client's
unread_refs loops run. Hooks let a test act between calls (another writer).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from typing import Any

from google.protobuf import struct_pb2

from impossibledb.errors import Aborted, AlreadyExists, FailedPrecondition, ImpossibleDBError, NotFound
from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc
from impossibledb.v1 import query_service_pb2 as qs
from impossibledb.v1 import transaction_service_pb2 as ts


def request_write(request: Any, kind: str, **extra: Any) -> doc.Write:
    """A SetDocument or CreateDocument request as the Write it stands for, in whichever form it came (data or fields)."""
    write = doc.Write(ref=request.ref, **extra)
    if request.fields:
        getattr(write, f"{kind}_fields").CopyFrom(doc.MapValue(fields=request.fields))
    else:
        getattr(write, kind).CopyFrom(request.data)
    return write


def needs_typed(value: doc.Value) -> bool:
    """Whether a typed value holds, anywhere, one the JSON form cannot carry exactly."""
    kind = value.WhichOneof("kind")
    if kind == "array_value":
        return any(needs_typed(v) for v in value.array_value.values)
    if kind == "map_value":
        return any(needs_typed(v) for v in value.map_value.fields.values())
    return kind in ("integer_value", "timestamp_value", "bytes_value", "reference_value", "geo_point_value")


def json_form(value: doc.Value) -> struct_pb2.Value:
    """A typed value's JSON form, as the contract gives it (document.proto, Value)."""
    out = struct_pb2.Value()
    kind = value.WhichOneof("kind")
    if kind == "boolean_value":
        out.bool_value = value.boolean_value
    elif kind in ("integer_value", "double_value"):
        out.number_value = float(getattr(value, kind))
    elif kind == "timestamp_value":
        out.string_value = value.timestamp_value.ToDatetime().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    elif kind == "string_value":
        out.string_value = value.string_value
    elif kind == "bytes_value":
        out.string_value = base64.b64encode(value.bytes_value).decode()
    elif kind == "reference_value":
        out.string_value = f"{value.reference_value.collection}/{value.reference_value.id}"
    elif kind == "geo_point_value":
        out.struct_value.update({"latitude": value.geo_point_value.latitude, "longitude": value.geo_point_value.longitude})
    elif kind == "array_value":
        out.list_value.values.extend(json_form(v) for v in value.array_value.values)
    elif kind == "map_value":
        for key, item in value.map_value.fields.items():
            out.struct_value.fields[key].CopyFrom(json_form(item))
    else:
        out.null_value = struct_pb2.NULL_VALUE
    return out


def typed_of(value: struct_pb2.Value) -> doc.Value:
    """A JSON-form value as a typed one (numbers are doubles)."""
    out = doc.Value()
    kind = value.WhichOneof("kind")
    if kind == "bool_value":
        out.boolean_value = value.bool_value
    elif kind == "number_value":
        out.double_value = value.number_value
    elif kind == "string_value":
        out.string_value = value.string_value
    elif kind == "list_value":
        out.array_value.values.extend(typed_of(v) for v in value.list_value.values)
    elif kind == "struct_value":
        out.map_value.CopyFrom(doc.MapValue(fields=typed_of_struct(value.struct_value)))
    else:
        out.null_value = struct_pb2.NULL_VALUE
    return out


def typed_of_struct(data: struct_pb2.Struct) -> dict[str, doc.Value]:
    return {key: typed_of(value) for key, value in data.fields.items()}


class FakeServer:
    """Implements Transport.call for the RPCs the client makes."""

    def __init__(self, refs_per_answer: int = 1000) -> None:
        self.documents: dict[tuple[str, str], doc.Document] = {}
        self.refs_per_answer = refs_per_answer
        self.calls: list[tuple[str, Any]] = []
        self.failures: list[ImpossibleDBError] = []
        self.before: dict[str, Callable[[Any], None]] = {}
        self._versions = itertools.count(1)
        self._transactions = itertools.count(1)
        self.closed = False

    # Transport -----------------------------------------------------------
    def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        assert timeout_ms > 0
        self.calls.append((method, request))
        hook = self.before.get(method)
        if hook is not None:
            hook(request)
        if self.failures:
            raise self.failures.pop(0)
        return getattr(self, method)(request)

    def close(self) -> None:
        self.closed = True

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    # Helpers for tests ---------------------------------------------------
    def put(self, collection: str, id: str, data: dict[str, Any]) -> int:
        """Another writer's write (JSON values); returns the new version."""
        fields = struct_pb2.Struct()
        fields.update(data)
        return self._store(collection, id, typed_of_struct(fields)).version

    def data(self, collection: str, id: str) -> dict[str, Any] | None:
        found = self.documents.get((collection, id))
        return None if found is None else {k: v for k, v in found.data.items()}

    def _store(self, collection: str, id: str, fields: dict[str, doc.Value]) -> doc.Document:
        """Stores typed fields as the real server answers them: data in JSON forms, fields only when a value needs them."""
        data = struct_pb2.Struct()
        for key, value in fields.items():
            data.fields[key].CopyFrom(json_form(value))
        stored = doc.Document(collection=collection, id=id, data=data, version=next(self._versions))
        if any(needs_typed(value) for value in fields.values()):
            for key, value in fields.items():
                stored.fields[key].CopyFrom(value)
        self.documents[(collection, id)] = stored
        return stored

    def _fields(self, found: doc.Document) -> dict[str, doc.Value]:
        return dict(found.fields) if found.fields else typed_of_struct(found.data)

    def _version(self, ref: doc.DocumentRef) -> int:
        found = self.documents.get((ref.collection, ref.id))
        return 0 if found is None else found.version

    def _check(self, ref: doc.DocumentRef, precondition: doc.Precondition) -> None:
        kind = precondition.WhichOneof("condition")
        if kind == "exists" and precondition.exists != (self._version(ref) > 0):
            raise FailedPrecondition(f"{ref.collection}/{ref.id}: exists is not {precondition.exists}")
        if kind == "version" and precondition.version != self._version(ref):
            raise FailedPrecondition(f"{ref.collection}/{ref.id}: not at version {precondition.version}")

    def _apply(self, write: doc.Write) -> doc.WriteResult:
        ref = write.ref
        self._check(ref, write.precondition)
        kind = write.WhichOneof("operation")
        if kind == "delete":
            self.documents.pop((ref.collection, ref.id), None)
            return doc.WriteResult(ref=ref, version=0)
        if kind in ("create", "create_fields") and self._version(ref) > 0:
            raise AlreadyExists(f"{ref.collection}/{ref.id} exists")
        if kind == "update":
            current = self.documents.get((ref.collection, ref.id))
            if current is None:
                raise NotFound(f"{ref.collection}/{ref.id}")
            merged = self._fields(current)
            patch = dict(write.update.fields) if write.update.fields else typed_of_struct(write.update.data)
            paths = list(write.update.update_mask.field_paths) or list(patch)
            for path in paths:
                if path in patch:
                    merged[path] = patch[path]
                else:
                    merged.pop(path, None)
            stored = self._store(ref.collection, ref.id, merged)
        elif kind in ("set_fields", "create_fields"):
            stored = self._store(ref.collection, ref.id, dict(getattr(write, kind).fields))
        else:
            stored = self._store(ref.collection, ref.id, typed_of_struct(getattr(write, kind)))
        return doc.WriteResult(ref=ref, version=stored.version)

    # CollectionService ---------------------------------------------------
    def GetDocument(self, request: cs.GetDocumentRequest) -> cs.GetDocumentResponse:
        found = self.documents.get((request.ref.collection, request.ref.id))
        if found is None:
            raise NotFound(f"{request.ref.collection}/{request.ref.id}")
        return cs.GetDocumentResponse(document=found)

    def SetDocument(self, request: cs.SetDocumentRequest) -> cs.SetDocumentResponse:
        self._apply(request_write(request, "set", precondition=request.precondition))
        return cs.SetDocumentResponse(document=self.documents[(request.ref.collection, request.ref.id)])

    def CreateDocument(self, request: cs.CreateDocumentRequest) -> cs.CreateDocumentResponse:
        self._apply(request_write(request, "create"))
        return cs.CreateDocumentResponse(document=self.documents[(request.ref.collection, request.ref.id)])

    def DeleteDocument(self, request: cs.DeleteDocumentRequest) -> cs.DeleteDocumentResponse:
        existed = self._version(request.ref) > 0
        self._apply(doc.Write(ref=request.ref, delete={}, precondition=request.precondition))
        return cs.DeleteDocumentResponse(deleted=existed)

    def UpdateDocument(self, request: cs.UpdateDocumentRequest) -> cs.UpdateDocumentResponse:
        self._apply(doc.Write(ref=request.ref, update=request.patch, precondition=request.precondition))
        return cs.UpdateDocumentResponse(document=self.documents[(request.ref.collection, request.ref.id)])

    def BatchGetDocuments(self, request: cs.BatchGetDocumentsRequest) -> cs.BatchGetDocumentsResponse:
        answered = list(request.refs)[: self.refs_per_answer]
        results = []
        for ref in answered:
            found = self.documents.get((ref.collection, ref.id))
            results.append(cs.BatchGetResult(ref=ref, document=found, found=found is not None))
        return cs.BatchGetDocumentsResponse(results=results, unread_refs=list(request.refs)[len(answered) :])

    def BatchWriteDocuments(self, request: cs.BatchWriteDocumentsRequest) -> cs.BatchWriteDocumentsResponse:
        response = cs.BatchWriteDocumentsResponse()
        for write in request.writes:
            try:
                response.results.append(self._apply(write))
                response.statuses.add(code=0)
            except ImpossibleDBError as error:
                response.results.add()
                response.statuses.add(code=error.grpc_code, message=error.message)
        return response

    # QueryService --------------------------------------------------------
    def RunQuery(self, request: qs.RunQueryRequest) -> qs.RunQueryResponse:
        # Ignores filters and sorts: id order, paged by an index token.
        matching = sorted((d for (c, _), d in self.documents.items() if c == request.query.collection), key=lambda d: d.id)
        start = int(request.page_token or 0)
        size = request.page_size or 100
        page = matching[start : start + size]
        token = str(start + size) if start + size < len(matching) else ""
        return qs.RunQueryResponse(documents=page, next_page_token=token)

    # TransactionService --------------------------------------------------
    def BeginTransaction(self, request: ts.BeginTransactionRequest) -> ts.BeginTransactionResponse:
        return ts.BeginTransactionResponse(transaction=f"tx-{next(self._transactions)}")

    def GetDocuments(self, request: ts.GetDocumentsRequest) -> ts.GetDocumentsResponse:
        answered = list(request.refs)[: self.refs_per_answer]
        reads = []
        for ref in answered:
            found = self.documents.get((ref.collection, ref.id))
            reads.append(ts.TransactionalRead(ref=ref, document=found, version=0 if found is None else found.version))
        # A read that begins a transaction (new_transaction) answers its id, as the server does.
        began = f"tx-{next(self._transactions)}" if request.HasField("new_transaction") else ""
        return ts.GetDocumentsResponse(reads=reads, unread_refs=list(request.refs)[len(answered) :], transaction=began)

    def Commit(self, request: ts.CommitRequest) -> ts.CommitResponse:
        for read in request.reads:
            if self._version(read.ref) != read.version:
                raise Aborted(f"{read.ref.collection}/{read.ref.id} changed since version {read.version}")
        return ts.CommitResponse(results=[self._apply(write) for write in request.writes])

    def Rollback(self, request: ts.RollbackRequest) -> ts.RollbackResponse:
        return ts.RollbackResponse()

    def CommitBatch(self, request: ts.CommitBatchRequest) -> ts.CommitBatchResponse:
        saved = dict(self.documents)
        try:
            return ts.CommitBatchResponse(results=[self._apply(write) for write in request.writes])
        except ImpossibleDBError:
            self.documents = saved
            raise


class AsyncFakeServer:
    """The same server behind the AsyncTransport interface."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server

    async def call(self, method: str, request: Any, timeout_ms: int) -> Any:
        return self.server.call(method, request, timeout_ms)

    async def close(self) -> None:
        self.server.close()
