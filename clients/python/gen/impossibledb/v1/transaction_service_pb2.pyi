import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from impossibledb.v1 import document_pb2 as _document_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransactionOptions(_message.Message):
    __slots__ = ("read_only", "timeout", "retry_of")
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_OF_FIELD_NUMBER: _ClassVar[int]
    read_only: bool
    timeout: _duration_pb2.Duration
    retry_of: str
    def __init__(self, read_only: _Optional[bool] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_of: _Optional[str] = ...) -> None: ...

class BeginTransactionRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: TransactionOptions
    def __init__(self, options: _Optional[_Union[TransactionOptions, _Mapping]] = ...) -> None: ...

class BeginTransactionResponse(_message.Message):
    __slots__ = ("transaction", "expire_time")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    transaction: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, transaction: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDocumentsRequest(_message.Message):
    __slots__ = ("transaction", "refs", "new_transaction")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    NEW_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: str
    refs: _containers.RepeatedCompositeFieldContainer[_document_pb2.DocumentRef]
    new_transaction: TransactionOptions
    def __init__(self, transaction: _Optional[str] = ..., refs: _Optional[_Iterable[_Union[_document_pb2.DocumentRef, _Mapping]]] = ..., new_transaction: _Optional[_Union[TransactionOptions, _Mapping]] = ...) -> None: ...

class TransactionalRead(_message.Message):
    __slots__ = ("ref", "document", "version")
    REF_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    document: _document_pb2.Document
    version: int
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class GetDocumentsResponse(_message.Message):
    __slots__ = ("reads", "unread_refs", "transaction", "expire_time")
    READS_FIELD_NUMBER: _ClassVar[int]
    UNREAD_REFS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    reads: _containers.RepeatedCompositeFieldContainer[TransactionalRead]
    unread_refs: _containers.RepeatedCompositeFieldContainer[_document_pb2.DocumentRef]
    transaction: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, reads: _Optional[_Iterable[_Union[TransactionalRead, _Mapping]]] = ..., unread_refs: _Optional[_Iterable[_Union[_document_pb2.DocumentRef, _Mapping]]] = ..., transaction: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReadVersion(_message.Message):
    __slots__ = ("ref", "version")
    REF_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    version: int
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("transaction", "writes", "reads", "return_documents", "new_transaction")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    READS_FIELD_NUMBER: _ClassVar[int]
    RETURN_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEW_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: str
    writes: _containers.RepeatedCompositeFieldContainer[_document_pb2.Write]
    reads: _containers.RepeatedCompositeFieldContainer[ReadVersion]
    return_documents: bool
    new_transaction: TransactionOptions
    def __init__(self, transaction: _Optional[str] = ..., writes: _Optional[_Iterable[_Union[_document_pb2.Write, _Mapping]]] = ..., reads: _Optional[_Iterable[_Union[ReadVersion, _Mapping]]] = ..., return_documents: _Optional[bool] = ..., new_transaction: _Optional[_Union[TransactionOptions, _Mapping]] = ...) -> None: ...

class CommitResponse(_message.Message):
    __slots__ = ("results", "commit_time", "documents_omitted")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_document_pb2.WriteResult]
    commit_time: _timestamp_pb2.Timestamp
    documents_omitted: bool
    def __init__(self, results: _Optional[_Iterable[_Union[_document_pb2.WriteResult, _Mapping]]] = ..., commit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., documents_omitted: _Optional[bool] = ...) -> None: ...

class RollbackRequest(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: str
    def __init__(self, transaction: _Optional[str] = ...) -> None: ...

class RollbackResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CommitBatchRequest(_message.Message):
    __slots__ = ("writes", "return_documents")
    WRITES_FIELD_NUMBER: _ClassVar[int]
    RETURN_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    writes: _containers.RepeatedCompositeFieldContainer[_document_pb2.Write]
    return_documents: bool
    def __init__(self, writes: _Optional[_Iterable[_Union[_document_pb2.Write, _Mapping]]] = ..., return_documents: _Optional[bool] = ...) -> None: ...

class CommitBatchResponse(_message.Message):
    __slots__ = ("results", "commit_time", "documents_omitted")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_document_pb2.WriteResult]
    commit_time: _timestamp_pb2.Timestamp
    documents_omitted: bool
    def __init__(self, results: _Optional[_Iterable[_Union[_document_pb2.WriteResult, _Mapping]]] = ..., commit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., documents_omitted: _Optional[bool] = ...) -> None: ...
