from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from impossibledb.v1 import document_pb2 as _document_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetDocumentRequest(_message.Message):
    __slots__ = ("ref", "mask")
    REF_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    mask: _document_pb2.DocumentMask
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., mask: _Optional[_Union[_document_pb2.DocumentMask, _Mapping]] = ...) -> None: ...

class GetDocumentResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ...) -> None: ...

class BatchGetDocumentsRequest(_message.Message):
    __slots__ = ("refs", "mask")
    REFS_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    refs: _containers.RepeatedCompositeFieldContainer[_document_pb2.DocumentRef]
    mask: _document_pb2.DocumentMask
    def __init__(self, refs: _Optional[_Iterable[_Union[_document_pb2.DocumentRef, _Mapping]]] = ..., mask: _Optional[_Union[_document_pb2.DocumentMask, _Mapping]] = ...) -> None: ...

class BatchGetResult(_message.Message):
    __slots__ = ("ref", "document", "found")
    REF_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    document: _document_pb2.Document
    found: bool
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., found: _Optional[bool] = ...) -> None: ...

class BatchGetDocumentsResponse(_message.Message):
    __slots__ = ("results", "unread_refs")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    UNREAD_REFS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchGetResult]
    unread_refs: _containers.RepeatedCompositeFieldContainer[_document_pb2.DocumentRef]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchGetResult, _Mapping]]] = ..., unread_refs: _Optional[_Iterable[_Union[_document_pb2.DocumentRef, _Mapping]]] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token", "mask")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    mask: _document_pb2.DocumentMask
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., mask: _Optional[_Union[_document_pb2.DocumentMask, _Mapping]] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("documents", "next_page_token")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_document_pb2.Document]
    next_page_token: str
    def __init__(self, documents: _Optional[_Iterable[_Union[_document_pb2.Document, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateDocumentRequest(_message.Message):
    __slots__ = ("ref", "data", "transforms", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _document_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_document_pb2.Value, _Mapping]] = ...) -> None: ...
    REF_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    TRANSFORMS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    data: _struct_pb2.Struct
    transforms: _containers.RepeatedCompositeFieldContainer[_document_pb2.FieldTransform]
    fields: _containers.MessageMap[str, _document_pb2.Value]
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., transforms: _Optional[_Iterable[_Union[_document_pb2.FieldTransform, _Mapping]]] = ..., fields: _Optional[_Mapping[str, _document_pb2.Value]] = ...) -> None: ...

class CreateDocumentResponse(_message.Message):
    __slots__ = ("document", "transform_results", "typed_transform_results")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TYPED_TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    transform_results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    typed_transform_results: _containers.RepeatedCompositeFieldContainer[_document_pb2.Value]
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., transform_results: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., typed_transform_results: _Optional[_Iterable[_Union[_document_pb2.Value, _Mapping]]] = ...) -> None: ...

class SetDocumentRequest(_message.Message):
    __slots__ = ("ref", "data", "precondition", "transforms", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _document_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_document_pb2.Value, _Mapping]] = ...) -> None: ...
    REF_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_FIELD_NUMBER: _ClassVar[int]
    TRANSFORMS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    data: _struct_pb2.Struct
    precondition: _document_pb2.Precondition
    transforms: _containers.RepeatedCompositeFieldContainer[_document_pb2.FieldTransform]
    fields: _containers.MessageMap[str, _document_pb2.Value]
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., precondition: _Optional[_Union[_document_pb2.Precondition, _Mapping]] = ..., transforms: _Optional[_Iterable[_Union[_document_pb2.FieldTransform, _Mapping]]] = ..., fields: _Optional[_Mapping[str, _document_pb2.Value]] = ...) -> None: ...

class SetDocumentResponse(_message.Message):
    __slots__ = ("document", "transform_results", "typed_transform_results")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TYPED_TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    transform_results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    typed_transform_results: _containers.RepeatedCompositeFieldContainer[_document_pb2.Value]
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., transform_results: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., typed_transform_results: _Optional[_Iterable[_Union[_document_pb2.Value, _Mapping]]] = ...) -> None: ...

class UpdateDocumentRequest(_message.Message):
    __slots__ = ("ref", "patch", "precondition", "transforms")
    REF_FIELD_NUMBER: _ClassVar[int]
    PATCH_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_FIELD_NUMBER: _ClassVar[int]
    TRANSFORMS_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    patch: _document_pb2.DocumentPatch
    precondition: _document_pb2.Precondition
    transforms: _containers.RepeatedCompositeFieldContainer[_document_pb2.FieldTransform]
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., patch: _Optional[_Union[_document_pb2.DocumentPatch, _Mapping]] = ..., precondition: _Optional[_Union[_document_pb2.Precondition, _Mapping]] = ..., transforms: _Optional[_Iterable[_Union[_document_pb2.FieldTransform, _Mapping]]] = ...) -> None: ...

class UpdateDocumentResponse(_message.Message):
    __slots__ = ("document", "transform_results", "typed_transform_results")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TYPED_TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    transform_results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    typed_transform_results: _containers.RepeatedCompositeFieldContainer[_document_pb2.Value]
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., transform_results: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., typed_transform_results: _Optional[_Iterable[_Union[_document_pb2.Value, _Mapping]]] = ...) -> None: ...

class DeleteDocumentRequest(_message.Message):
    __slots__ = ("ref", "precondition")
    REF_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_FIELD_NUMBER: _ClassVar[int]
    ref: _document_pb2.DocumentRef
    precondition: _document_pb2.Precondition
    def __init__(self, ref: _Optional[_Union[_document_pb2.DocumentRef, _Mapping]] = ..., precondition: _Optional[_Union[_document_pb2.Precondition, _Mapping]] = ...) -> None: ...

class DeleteDocumentResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class BatchWriteDocumentsRequest(_message.Message):
    __slots__ = ("writes", "return_documents")
    WRITES_FIELD_NUMBER: _ClassVar[int]
    RETURN_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    writes: _containers.RepeatedCompositeFieldContainer[_document_pb2.Write]
    return_documents: bool
    def __init__(self, writes: _Optional[_Iterable[_Union[_document_pb2.Write, _Mapping]]] = ..., return_documents: _Optional[bool] = ...) -> None: ...

class BatchWriteDocumentsResponse(_message.Message):
    __slots__ = ("statuses", "results", "documents_omitted")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedCompositeFieldContainer[_document_pb2.WriteStatus]
    results: _containers.RepeatedCompositeFieldContainer[_document_pb2.WriteResult]
    documents_omitted: bool
    def __init__(self, statuses: _Optional[_Iterable[_Union[_document_pb2.WriteStatus, _Mapping]]] = ..., results: _Optional[_Iterable[_Union[_document_pb2.WriteResult, _Mapping]]] = ..., documents_omitted: _Optional[bool] = ...) -> None: ...

class AddDocumentRequest(_message.Message):
    __slots__ = ("collection", "data", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _document_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_document_pb2.Value, _Mapping]] = ...) -> None: ...
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    data: _struct_pb2.Struct
    fields: _containers.MessageMap[str, _document_pb2.Value]
    def __init__(self, collection: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., fields: _Optional[_Mapping[str, _document_pb2.Value]] = ...) -> None: ...

class AddDocumentResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ...) -> None: ...

class ListCollectionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class CollectionInfo(_message.Message):
    __slots__ = ("name", "approximate_document_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    APPROXIMATE_DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    approximate_document_count: int
    def __init__(self, name: _Optional[str] = ..., approximate_document_count: _Optional[int] = ...) -> None: ...

class ListCollectionsResponse(_message.Message):
    __slots__ = ("collections", "next_page_token")
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    collections: _containers.RepeatedCompositeFieldContainer[CollectionInfo]
    next_page_token: str
    def __init__(self, collections: _Optional[_Iterable[_Union[CollectionInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteCollectionRequest(_message.Message):
    __slots__ = ("collection", "batch_size")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    collection: str
    batch_size: int
    def __init__(self, collection: _Optional[str] = ..., batch_size: _Optional[int] = ...) -> None: ...

class DeleteCollectionResponse(_message.Message):
    __slots__ = ("deleted_count", "done")
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    done: bool
    def __init__(self, deleted_count: _Optional[int] = ..., done: _Optional[bool] = ...) -> None: ...
