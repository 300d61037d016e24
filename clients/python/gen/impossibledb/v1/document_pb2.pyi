import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from impossibledb.v1 import search_pb2 as _search_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Document(_message.Message):
    __slots__ = ("collection", "id", "data", "version", "create_time", "update_time", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Value, _Mapping]] = ...) -> None: ...
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    data: _struct_pb2.Struct
    version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    fields: _containers.MessageMap[str, Value]
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fields: _Optional[_Mapping[str, Value]] = ...) -> None: ...

class Value(_message.Message):
    __slots__ = ("null_value", "boolean_value", "integer_value", "double_value", "timestamp_value", "string_value", "bytes_value", "reference_value", "geo_point_value", "array_value", "map_value")
    NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_VALUE_FIELD_NUMBER: _ClassVar[int]
    INTEGER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    BYTES_VALUE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_VALUE_FIELD_NUMBER: _ClassVar[int]
    GEO_POINT_VALUE_FIELD_NUMBER: _ClassVar[int]
    ARRAY_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAP_VALUE_FIELD_NUMBER: _ClassVar[int]
    null_value: _struct_pb2.NullValue
    boolean_value: bool
    integer_value: int
    double_value: float
    timestamp_value: _timestamp_pb2.Timestamp
    string_value: str
    bytes_value: bytes
    reference_value: DocumentRef
    geo_point_value: _search_pb2.GeoPoint
    array_value: ArrayValue
    map_value: MapValue
    def __init__(self, null_value: _Optional[_Union[_struct_pb2.NullValue, str]] = ..., boolean_value: _Optional[bool] = ..., integer_value: _Optional[int] = ..., double_value: _Optional[float] = ..., timestamp_value: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., string_value: _Optional[str] = ..., bytes_value: _Optional[bytes] = ..., reference_value: _Optional[_Union[DocumentRef, _Mapping]] = ..., geo_point_value: _Optional[_Union[_search_pb2.GeoPoint, _Mapping]] = ..., array_value: _Optional[_Union[ArrayValue, _Mapping]] = ..., map_value: _Optional[_Union[MapValue, _Mapping]] = ...) -> None: ...

class ArrayValue(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, values: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class MapValue(_message.Message):
    __slots__ = ("fields",)
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Value, _Mapping]] = ...) -> None: ...
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.MessageMap[str, Value]
    def __init__(self, fields: _Optional[_Mapping[str, Value]] = ...) -> None: ...

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
    __slots__ = ("data", "update_mask", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Value, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    data: _struct_pb2.Struct
    update_mask: DocumentMask
    fields: _containers.MessageMap[str, Value]
    def __init__(self, data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., update_mask: _Optional[_Union[DocumentMask, _Mapping]] = ..., fields: _Optional[_Mapping[str, Value]] = ...) -> None: ...

class Write(_message.Message):
    __slots__ = ("ref", "set", "create", "update", "delete", "set_fields", "create_fields", "precondition", "transforms")
    REF_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    SET_FIELDS_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELDS_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_FIELD_NUMBER: _ClassVar[int]
    TRANSFORMS_FIELD_NUMBER: _ClassVar[int]
    ref: DocumentRef
    set: _struct_pb2.Struct
    create: _struct_pb2.Struct
    update: DocumentPatch
    delete: _empty_pb2.Empty
    set_fields: MapValue
    create_fields: MapValue
    precondition: Precondition
    transforms: _containers.RepeatedCompositeFieldContainer[FieldTransform]
    def __init__(self, ref: _Optional[_Union[DocumentRef, _Mapping]] = ..., set: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., update: _Optional[_Union[DocumentPatch, _Mapping]] = ..., delete: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., set_fields: _Optional[_Union[MapValue, _Mapping]] = ..., create_fields: _Optional[_Union[MapValue, _Mapping]] = ..., precondition: _Optional[_Union[Precondition, _Mapping]] = ..., transforms: _Optional[_Iterable[_Union[FieldTransform, _Mapping]]] = ...) -> None: ...

class FieldTransform(_message.Message):
    __slots__ = ("field_path", "increment", "maximum", "minimum", "server_timestamp", "append_missing_elements", "remove_all_from_array", "typed_increment", "typed_maximum", "typed_minimum", "typed_server_timestamp", "typed_append_missing_elements", "typed_remove_all_from_array")
    FIELD_PATH_FIELD_NUMBER: _ClassVar[int]
    INCREMENT_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    APPEND_MISSING_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_ALL_FROM_ARRAY_FIELD_NUMBER: _ClassVar[int]
    TYPED_INCREMENT_FIELD_NUMBER: _ClassVar[int]
    TYPED_MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    TYPED_MINIMUM_FIELD_NUMBER: _ClassVar[int]
    TYPED_SERVER_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TYPED_APPEND_MISSING_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    TYPED_REMOVE_ALL_FROM_ARRAY_FIELD_NUMBER: _ClassVar[int]
    field_path: str
    increment: _struct_pb2.Value
    maximum: _struct_pb2.Value
    minimum: _struct_pb2.Value
    server_timestamp: _empty_pb2.Empty
    append_missing_elements: _struct_pb2.ListValue
    remove_all_from_array: _struct_pb2.ListValue
    typed_increment: Value
    typed_maximum: Value
    typed_minimum: Value
    typed_server_timestamp: _empty_pb2.Empty
    typed_append_missing_elements: ArrayValue
    typed_remove_all_from_array: ArrayValue
    def __init__(self, field_path: _Optional[str] = ..., increment: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., maximum: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., minimum: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., server_timestamp: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., append_missing_elements: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., remove_all_from_array: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., typed_increment: _Optional[_Union[Value, _Mapping]] = ..., typed_maximum: _Optional[_Union[Value, _Mapping]] = ..., typed_minimum: _Optional[_Union[Value, _Mapping]] = ..., typed_server_timestamp: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., typed_append_missing_elements: _Optional[_Union[ArrayValue, _Mapping]] = ..., typed_remove_all_from_array: _Optional[_Union[ArrayValue, _Mapping]] = ...) -> None: ...

class WriteResult(_message.Message):
    __slots__ = ("ref", "document", "version", "update_time", "transform_results", "typed_transform_results")
    REF_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TYPED_TRANSFORM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    ref: DocumentRef
    document: Document
    version: int
    update_time: _timestamp_pb2.Timestamp
    transform_results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    typed_transform_results: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, ref: _Optional[_Union[DocumentRef, _Mapping]] = ..., document: _Optional[_Union[Document, _Mapping]] = ..., version: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transform_results: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., typed_transform_results: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class WriteStatus(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
