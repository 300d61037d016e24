"""ImpossibleDB's Python client.

    import impossibledb

    db = impossibledb.Client("http://127.0.0.1:8787")       # or impossibledb.AsyncClient(...)
    users = db.collection("users")
    users.document("alice").set({"name": "Alice", "age": 30})
    adults = users.where("age", ">", 21).order_by("name").limit(10).get()
    db.run_transaction(lambda tx: tx.set("orders/o1", {"product": "Widget"}))

The generated code the client is built on ships inside the package:
impossibledb.v1 holds the protobuf messages (*_pb2), the Connect clients
(*_connect, connectrpc) and the gRPC stubs (*_pb2_grpc, with the `grpc`
extra), for calls the client does not wrap.
"""

from __future__ import annotations

from ._limits import (
    BATCH_GET_REFS_MAX,
    CALL_TIMEOUT_MS_DEFAULT,
    CALL_TIMEOUT_MS_MAX,
    INT32_MAX,
    INT64_MAX,
    INT64_MIN,
    INT_SAFE_MAX,
    LISTEN_PENDING_CHANGES_MAX,
    LISTEN_RECONNECTS_MAX_DEFAULT,
    PAGE_SIZE_MAX,
    PAGES_PER_CALL_MAX,
    TRANSACTION_ATTEMPTS_MAX_DEFAULT,
    TRANSACTION_TIMEOUT_MS_MAX,
    TRANSACTION_TIMEOUT_MS_MIN,
    VALUE_DEPTH_MAX,
    WRITES_PER_CALL_MAX,
)
from ._types import GeoPoint
from ._listen import ChangeType, DocumentChange, ListenSnapshot
from ._model import (
    AggregateGroup,
    AggregateSpec,
    BatchWriteOutcome,
    DocumentPath,
    DocumentSnapshot,
    QueryPage,
    WriteResult,
    avg,
    count,
    max,
    min,
    sum,
)
from ._database import DATABASE_HEADER
from .aio import AsyncClient, AsyncCollection, AsyncDocumentReference, AsyncQuery, AsyncTransaction, AsyncWriteBatch
from .client import DEFAULT_URL, Client, Collection, DocumentReference, Query, Transaction, WriteBatch
from .errors import (
    Aborted,
    AlreadyExists,
    Canceled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    ImpossibleDBError,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
)
from .grpc_transport import AsyncGrpcTransport, GrpcTransport
from .retry import RetryPolicy
from .transforms import FieldTransform, array_remove, array_union, increment, maximum, minimum, server_timestamp
from .values import Value

__all__ = [
    "DATABASE_HEADER",
    "BATCH_GET_REFS_MAX",
    "CALL_TIMEOUT_MS_DEFAULT",
    "CALL_TIMEOUT_MS_MAX",
    "DEFAULT_URL",
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "INT_SAFE_MAX",
    "LISTEN_PENDING_CHANGES_MAX",
    "LISTEN_RECONNECTS_MAX_DEFAULT",
    "PAGES_PER_CALL_MAX",
    "PAGE_SIZE_MAX",
    "TRANSACTION_ATTEMPTS_MAX_DEFAULT",
    "TRANSACTION_TIMEOUT_MS_MAX",
    "TRANSACTION_TIMEOUT_MS_MIN",
    "VALUE_DEPTH_MAX",
    "WRITES_PER_CALL_MAX",
    "Aborted",
    "AggregateGroup",
    "AggregateSpec",
    "AlreadyExists",
    "AsyncClient",
    "AsyncCollection",
    "AsyncDocumentReference",
    "AsyncGrpcTransport",
    "AsyncQuery",
    "AsyncTransaction",
    "AsyncWriteBatch",
    "BatchWriteOutcome",
    "Canceled",
    "ChangeType",
    "Client",
    "Collection",
    "DataLoss",
    "DeadlineExceeded",
    "DocumentChange",
    "DocumentPath",
    "DocumentReference",
    "DocumentSnapshot",
    "FieldTransform",
    "GeoPoint",
    "FailedPrecondition",
    "GrpcTransport",
    "ImpossibleDBError",
    "Internal",
    "InvalidArgument",
    "ListenSnapshot",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "Query",
    "QueryPage",
    "ResourceExhausted",
    "RetryPolicy",
    "Transaction",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "WriteBatch",
    "Value",
    "WriteResult",
    "array_remove",
    "array_union",
    "avg",
    "count",
    "increment",
    "max",
    "maximum",
    "min",
    "minimum",
    "server_timestamp",
    "sum",
]
