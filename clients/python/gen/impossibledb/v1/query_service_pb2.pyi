from buf.validate import validate_pb2 as _validate_pb2
from impossibledb.v1 import document_pb2 as _document_pb2
from impossibledb.v1 import query_pb2 as _query_pb2
from impossibledb.v1 import search_pb2 as _search_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunQueryRequest(_message.Message):
    __slots__ = ("query", "page_size", "page_token", "explain")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    query: _query_pb2.Query
    page_size: int
    page_token: str
    explain: bool
    def __init__(self, query: _Optional[_Union[_query_pb2.Query, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., explain: _Optional[bool] = ...) -> None: ...

class RunQueryResponse(_message.Message):
    __slots__ = ("documents", "next_page_token", "plan", "hits")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_document_pb2.Document]
    next_page_token: str
    plan: _query_pb2.QueryPlan
    hits: _containers.RepeatedCompositeFieldContainer[_search_pb2.SearchHit]
    def __init__(self, documents: _Optional[_Iterable[_Union[_document_pb2.Document, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., plan: _Optional[_Union[_query_pb2.QueryPlan, _Mapping]] = ..., hits: _Optional[_Iterable[_Union[_search_pb2.SearchHit, _Mapping]]] = ...) -> None: ...

class StreamQueryRequest(_message.Message):
    __slots__ = ("query", "explain")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    query: _query_pb2.Query
    explain: bool
    def __init__(self, query: _Optional[_Union[_query_pb2.Query, _Mapping]] = ..., explain: _Optional[bool] = ...) -> None: ...

class StreamQueryResponse(_message.Message):
    __slots__ = ("document", "plan", "hit")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    HIT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    plan: _query_pb2.QueryPlan
    hit: _search_pb2.SearchHit
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., plan: _Optional[_Union[_query_pb2.QueryPlan, _Mapping]] = ..., hit: _Optional[_Union[_search_pb2.SearchHit, _Mapping]] = ...) -> None: ...

class RunAggregationQueryRequest(_message.Message):
    __slots__ = ("query", "aggregations", "group_by", "explain")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    AGGREGATIONS_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    query: _query_pb2.Query
    aggregations: _containers.RepeatedCompositeFieldContainer[_query_pb2.Aggregation]
    group_by: _containers.RepeatedScalarFieldContainer[str]
    explain: bool
    def __init__(self, query: _Optional[_Union[_query_pb2.Query, _Mapping]] = ..., aggregations: _Optional[_Iterable[_Union[_query_pb2.Aggregation, _Mapping]]] = ..., group_by: _Optional[_Iterable[str]] = ..., explain: _Optional[bool] = ...) -> None: ...

class RunAggregationQueryResponse(_message.Message):
    __slots__ = ("groups", "plan")
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[_query_pb2.AggregationGroup]
    plan: _query_pb2.QueryPlan
    def __init__(self, groups: _Optional[_Iterable[_Union[_query_pb2.AggregationGroup, _Mapping]]] = ..., plan: _Optional[_Union[_query_pb2.QueryPlan, _Mapping]] = ...) -> None: ...

class ListenRequest(_message.Message):
    __slots__ = ("document", "query", "resume_token")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.DocumentRef
    query: _query_pb2.Query
    resume_token: str
    def __init__(self, document: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., query: _Optional[_Union[_query_pb2.Query, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class ListenResponse(_message.Message):
    __slots__ = ("changes", "current", "resume_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[DocumentChange]
    current: bool
    resume_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[DocumentChange, _Mapping]]] = ..., current: _Optional[bool] = ..., resume_token: _Optional[str] = ...) -> None: ...

class DocumentChange(_message.Message):
    __slots__ = ("type", "document", "transaction_id")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[DocumentChange.Type]
        TYPE_ADDED: _ClassVar[DocumentChange.Type]
        TYPE_MODIFIED: _ClassVar[DocumentChange.Type]
        TYPE_REMOVED: _ClassVar[DocumentChange.Type]
    TYPE_UNSPECIFIED: DocumentChange.Type
    TYPE_ADDED: DocumentChange.Type
    TYPE_MODIFIED: DocumentChange.Type
    TYPE_REMOVED: DocumentChange.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    type: DocumentChange.Type
    document: _document_pb2.Document
    transaction_id: str
    def __init__(self, type: _Optional[_Union[DocumentChange.Type, str]] = ..., document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., transaction_id: _Optional[str] = ...) -> None: ...
