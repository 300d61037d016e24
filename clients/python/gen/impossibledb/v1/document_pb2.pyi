import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Document(_message.Message):
    __slots__ = ("collection", "id", "data", "version", "create_time", "update_time")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    data: _struct_pb2.Struct
    version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DocumentRef(_message.Message):
    __slots__ = ("collection", "id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DocumentMask(_message.Message):
    __slots__ = ("field_paths",)
    FIELD_PATHS_FIELD_NUMBER: _ClassVar[int]
    field_paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, field_paths: _Optional[_Iterable[str]] = ...) -> None: ...

class Precondition(_message.Message):
    __slots__ = ("exists", "version")
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    version: int
    def __init__(self, exists: _Optional[bool] = ..., version: _Optional[int] = ...) -> None: ...

class DocumentPatch(_message.Message):
    __slots__ = ("data", "update_mask")
    DATA_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    data: _struct_pb2.Struct
    update_mask: DocumentMask
    def __init__(self, data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., update_mask: _Optional[_Union[DocumentMask, _Mapping]] = ...) -> None: ...

class Write(_message.Message):
    __slots__ = ("ref", "set", "create", "update", "delete", "precondition", "transforms")
    REF_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_FIELD_NUMBER: _ClassVar[int]
    TRANSFORMS_FIELD_NUMBER: _ClassVar[int]
    ref: DocumentRef
    set: _struct_pb2.Struct
    create: _struct_pb2.Struct
    update: DocumentPatch
    delete: _empty_pb2.Empty
    precondition: Precondition
    transforms: _containers.RepeatedCompositeFieldContainer[FieldTransform]
    def __init__(self, ref: _Optional[_Union[DocumentRef, _Mapping]] = ..., set: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., update: _Optional[_Union[DocumentPatch, _Mapping]] = ..., delete: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., precondition: _Optional[_Union[Precondition, _Mapping]] = ..., transforms: _Optional[_Iterable[_Union[FieldTransform, _Mapping]]] = ...) -> None: ...

class FieldTransform(_message.Message):
    __slots__ = ("field_path", "increment", "maximum", "minimum", "server_timestamp", "append_missing_elements", "remove_all_from_array")
    FIELD_PATH_FIELD_NUMBER: _ClassVar[int]
    INCREMENT_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    APPEND_MISSING_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_ALL_FROM_ARRAY_FIELD_NUMBER: _ClassVar[int]
    field_path: str
    increment: _struct_pb2.Value
    maximum: _struct_pb2.Value
    minimum: _struct_pb2.Value
    server_timestamp: _empty_pb2.Empty
    append_missing_elements: _struct_pb2.ListValue
    remove_all_from_array: _struct_pb2.ListValue
    def __init__(self, field_path: _Optional[str] = ..., increment: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., maximum: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., minimum: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., server_timestamp: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., append_missing_elements: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., remove_all_from_array: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ...) -> None: ...

class WriteResult(_message.Message):
    __slots__ = ("ref", "document", "version", "update_time", "transform_results")
    REF_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    ref: DocumentRef
    document: Document
    version: int
    update_time: _timestamp_pb2.Timestamp
    transform_results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    def __init__(self, ref: _Optional[_Union[DocumentRef, _Mapping]] = ..., document: _Optional[_Union[Document, _Mapping]] = ..., version: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transform_results: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class WriteStatus(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
