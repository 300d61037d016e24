import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from impossibledb.v1 import document_pb2 as _document_pb2
from impossibledb.v1 import search_pb2 as _search_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CollectionRules(_message.Message):
    __slots__ = ("collection", "read", "write")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    WRITE_FIELD_NUMBER: _ClassVar[int]
    collection: str
    read: str
    write: str
    def __init__(self, collection: _Optional[str] = ..., read: _Optional[str] = ..., write: _Optional[str] = ...) -> None: ...

class Rules(_message.Message):
    __slots__ = ("collections", "update_time")
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    collections: _containers.RepeatedCompositeFieldContainer[CollectionRules]
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, collections: _Optional[_Iterable[_Union[CollectionRules, _Mapping]]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetRulesRequest(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: Rules
    def __init__(self, rules: _Optional[_Union[Rules, _Mapping]] = ...) -> None: ...

class SetRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: Rules
    def __init__(self, rules: _Optional[_Union[Rules, _Mapping]] = ...) -> None: ...

class GetRulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: Rules
    def __init__(self, rules: _Optional[_Union[Rules, _Mapping]] = ...) -> None: ...

class RoutingTable(_message.Message):
    __slots__ = ("version", "shards", "virtual_nodes_per_shard", "hash_function", "update_time")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_NODES_PER_SHARD_FIELD_NUMBER: _ClassVar[int]
    HASH_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    version: int
    shards: _containers.RepeatedCompositeFieldContainer[ShardInfo]
    virtual_nodes_per_shard: int
    hash_function: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[int] = ..., shards: _Optional[_Iterable[_Union[ShardInfo, _Mapping]]] = ..., virtual_nodes_per_shard: _Optional[int] = ..., hash_function: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ShardInfo(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRoutingTableRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRoutingTableResponse(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: RoutingTable
    def __init__(self, table: _Optional[_Union[RoutingTable, _Mapping]] = ...) -> None: ...

class ListShardsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShardStats(_message.Message):
    __slots__ = ("id", "document_count", "data_bytes", "schema_version", "requests_per_second")
    ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    DATA_BYTES_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    id: str
    document_count: int
    data_bytes: int
    schema_version: int
    requests_per_second: float
    def __init__(self, id: _Optional[str] = ..., document_count: _Optional[int] = ..., data_bytes: _Optional[int] = ..., schema_version: _Optional[int] = ..., requests_per_second: _Optional[float] = ...) -> None: ...

class ListShardsResponse(_message.Message):
    __slots__ = ("shards", "routing_version")
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    ROUTING_VERSION_FIELD_NUMBER: _ClassVar[int]
    shards: _containers.RepeatedCompositeFieldContainer[ShardStats]
    routing_version: int
    def __init__(self, shards: _Optional[_Iterable[_Union[ShardStats, _Mapping]]] = ..., routing_version: _Optional[int] = ...) -> None: ...

class IndexField(_message.Message):
    __slots__ = ("field", "direction")
    class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DIRECTION_UNSPECIFIED: _ClassVar[IndexField.Direction]
        DIRECTION_ASCENDING: _ClassVar[IndexField.Direction]
        DIRECTION_DESCENDING: _ClassVar[IndexField.Direction]
    DIRECTION_UNSPECIFIED: IndexField.Direction
    DIRECTION_ASCENDING: IndexField.Direction
    DIRECTION_DESCENDING: IndexField.Direction
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    direction: IndexField.Direction
    def __init__(self, field: _Optional[str] = ..., direction: _Optional[_Union[IndexField.Direction, str]] = ...) -> None: ...

class Index(_message.Message):
    __slots__ = ("id", "collection", "fields", "state")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Index.State]
        STATE_CREATING: _ClassVar[Index.State]
        STATE_READY: _ClassVar[Index.State]
    STATE_UNSPECIFIED: Index.State
    STATE_CREATING: Index.State
    STATE_READY: Index.State
    ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    collection: str
    fields: _containers.RepeatedCompositeFieldContainer[IndexField]
    state: Index.State
    def __init__(self, id: _Optional[str] = ..., collection: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[IndexField, _Mapping]]] = ..., state: _Optional[_Union[Index.State, str]] = ...) -> None: ...

class CreateIndexRequest(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: Index
    def __init__(self, index: _Optional[_Union[Index, _Mapping]] = ...) -> None: ...

class CreateIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: Index
    def __init__(self, index: _Optional[_Union[Index, _Mapping]] = ...) -> None: ...

class GetIndexRequest(_message.Message):
    __slots__ = ("collection", "id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class GetIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: Index
    def __init__(self, index: _Optional[_Union[Index, _Mapping]] = ...) -> None: ...

class ListIndexesRequest(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    def __init__(self, collection: _Optional[str] = ...) -> None: ...

class ListIndexesResponse(_message.Message):
    __slots__ = ("indexes",)
    INDEXES_FIELD_NUMBER: _ClassVar[int]
    indexes: _containers.RepeatedCompositeFieldContainer[Index]
    def __init__(self, indexes: _Optional[_Iterable[_Union[Index, _Mapping]]] = ...) -> None: ...

class DeleteIndexRequest(_message.Message):
    __slots__ = ("collection", "id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DeleteIndexResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateSearchIndexRequest(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: _search_pb2.SearchIndex
    def __init__(self, index: _Optional[_Union[_search_pb2.SearchIndex, _Mapping]] = ...) -> None: ...

class CreateSearchIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: _search_pb2.SearchIndex
    def __init__(self, index: _Optional[_Union[_search_pb2.SearchIndex, _Mapping]] = ...) -> None: ...

class GetSearchIndexRequest(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    def __init__(self, collection: _Optional[str] = ...) -> None: ...

class GetSearchIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: _search_pb2.SearchIndex
    def __init__(self, index: _Optional[_Union[_search_pb2.SearchIndex, _Mapping]] = ...) -> None: ...

class DeleteSearchIndexRequest(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    def __init__(self, collection: _Optional[str] = ...) -> None: ...

class DeleteSearchIndexResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportDocumentsRequest(_message.Message):
    __slots__ = ("collection", "batch_size")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    collection: str
    batch_size: int
    def __init__(self, collection: _Optional[str] = ..., batch_size: _Optional[int] = ...) -> None: ...

class ExportDocumentsResponse(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_document_pb2.Document]
    def __init__(self, documents: _Optional[_Iterable[_Union[_document_pb2.Document, _Mapping]]] = ...) -> None: ...

class GetMetricsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MethodMetrics(_message.Message):
    __slots__ = ("method", "count", "count_by_code", "latency_p50_ms", "latency_p99_ms", "latency_max_ms", "database")
    class CountByCodeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    METHOD_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    COUNT_BY_CODE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MAX_MS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    method: str
    count: int
    count_by_code: _containers.ScalarMap[str, int]
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    database: str
    def __init__(self, method: _Optional[str] = ..., count: _Optional[int] = ..., count_by_code: _Optional[_Mapping[str, int]] = ..., latency_p50_ms: _Optional[float] = ..., latency_p99_ms: _Optional[float] = ..., latency_max_ms: _Optional[float] = ..., database: _Optional[str] = ...) -> None: ...

class GetMetricsResponse(_message.Message):
    __slots__ = ("methods", "start_time")
    METHODS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    methods: _containers.RepeatedCompositeFieldContainer[MethodMetrics]
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, methods: _Optional[_Iterable[_Union[MethodMetrics, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("id", "display_name", "roles", "create_time", "expire_time", "revoke_time")
    class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ROLE_UNSPECIFIED: _ClassVar[ApiKey.Role]
        ROLE_READ_ONLY: _ClassVar[ApiKey.Role]
        ROLE_READ_WRITE: _ClassVar[ApiKey.Role]
        ROLE_ADMIN: _ClassVar[ApiKey.Role]
    ROLE_UNSPECIFIED: ApiKey.Role
    ROLE_READ_ONLY: ApiKey.Role
    ROLE_READ_WRITE: ApiKey.Role
    ROLE_ADMIN: ApiKey.Role
    class RolesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ApiKey.Role
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ApiKey.Role, str]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    display_name: str
    roles: _containers.ScalarMap[str, ApiKey.Role]
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., roles: _Optional[_Mapping[str, ApiKey.Role]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("display_name", "roles", "expire_time")
    class RolesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ApiKey.Role
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ApiKey.Role, str]] = ...) -> None: ...
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    roles: _containers.ScalarMap[str, ApiKey.Role]
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, display_name: _Optional[str] = ..., roles: _Optional[_Mapping[str, ApiKey.Role]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "secret")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    secret: str
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("show_revoked",)
    SHOW_REVOKED_FIELD_NUMBER: _ClassVar[int]
    show_revoked: bool
    def __init__(self, show_revoked: _Optional[bool] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Database(_message.Message):
    __slots__ = ("name", "placement", "create_time", "state")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Database.State]
        STATE_ACTIVE: _ClassVar[Database.State]
        STATE_DELETING: _ClassVar[Database.State]
    STATE_UNSPECIFIED: Database.State
    STATE_ACTIVE: Database.State
    STATE_DELETING: Database.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    placement: Placement
    create_time: _timestamp_pb2.Timestamp
    state: Database.State
    def __init__(self, name: _Optional[str] = ..., placement: _Optional[_Union[Placement, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[Database.State, str]] = ...) -> None: ...

class Placement(_message.Message):
    __slots__ = ("location_hint", "jurisdiction")
    LOCATION_HINT_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    location_hint: str
    jurisdiction: str
    def __init__(self, location_hint: _Optional[str] = ..., jurisdiction: _Optional[str] = ...) -> None: ...

class CreateDatabaseRequest(_message.Message):
    __slots__ = ("database_id", "database")
    DATABASE_ID_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    database_id: str
    database: Database
    def __init__(self, database_id: _Optional[str] = ..., database: _Optional[_Union[Database, _Mapping]] = ...) -> None: ...

class CreateDatabaseResponse(_message.Message):
    __slots__ = ("database",)
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    database: Database
    def __init__(self, database: _Optional[_Union[Database, _Mapping]] = ...) -> None: ...

class GetDatabaseRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDatabaseResponse(_message.Message):
    __slots__ = ("database",)
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    database: Database
    def __init__(self, database: _Optional[_Union[Database, _Mapping]] = ...) -> None: ...

class ListDatabasesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDatabasesResponse(_message.Message):
    __slots__ = ("databases", "next_page_token")
    DATABASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    databases: _containers.RepeatedCompositeFieldContainer[Database]
    next_page_token: str
    def __init__(self, databases: _Optional[_Iterable[_Union[Database, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteDatabaseRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDatabaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Resharding(_message.Message):
    __slots__ = ("id", "state", "phase", "source_shard_count", "target_shard_count", "source_routing_version", "target_routing_version", "documents_copied", "documents_total", "errors", "start_time", "update_time", "end_time", "cutover_millis", "documents_scanned", "throttle")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Resharding.State]
        STATE_RUNNING: _ClassVar[Resharding.State]
        STATE_SUCCEEDED: _ClassVar[Resharding.State]
        STATE_FAILED: _ClassVar[Resharding.State]
        STATE_CANCELLED: _ClassVar[Resharding.State]
    STATE_UNSPECIFIED: Resharding.State
    STATE_RUNNING: Resharding.State
    STATE_SUCCEEDED: Resharding.State
    STATE_FAILED: Resharding.State
    STATE_CANCELLED: Resharding.State
    class Phase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PHASE_UNSPECIFIED: _ClassVar[Resharding.Phase]
        PHASE_PREPARING: _ClassVar[Resharding.Phase]
        PHASE_COPYING: _ClassVar[Resharding.Phase]
        PHASE_CATCHING_UP: _ClassVar[Resharding.Phase]
        PHASE_CUTTING_OVER: _ClassVar[Resharding.Phase]
        PHASE_CLEANING_UP: _ClassVar[Resharding.Phase]
        PHASE_ROLLING_BACK: _ClassVar[Resharding.Phase]
        PHASE_DONE: _ClassVar[Resharding.Phase]
    PHASE_UNSPECIFIED: Resharding.Phase
    PHASE_PREPARING: Resharding.Phase
    PHASE_COPYING: Resharding.Phase
    PHASE_CATCHING_UP: Resharding.Phase
    PHASE_CUTTING_OVER: Resharding.Phase
    PHASE_CLEANING_UP: Resharding.Phase
    PHASE_ROLLING_BACK: Resharding.Phase
    PHASE_DONE: Resharding.Phase
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    TARGET_SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ROUTING_VERSION_FIELD_NUMBER: _ClassVar[int]
    TARGET_ROUTING_VERSION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_COPIED_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CUTOVER_MILLIS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: Resharding.State
    phase: Resharding.Phase
    source_shard_count: int
    target_shard_count: int
    source_routing_version: int
    target_routing_version: int
    documents_copied: int
    documents_total: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    start_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    cutover_millis: int
    documents_scanned: int
    throttle: ReshardingThrottle
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[Resharding.State, str]] = ..., phase: _Optional[_Union[Resharding.Phase, str]] = ..., source_shard_count: _Optional[int] = ..., target_shard_count: _Optional[int] = ..., source_routing_version: _Optional[int] = ..., target_routing_version: _Optional[int] = ..., documents_copied: _Optional[int] = ..., documents_total: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cutover_millis: _Optional[int] = ..., documents_scanned: _Optional[int] = ..., throttle: _Optional[_Union[ReshardingThrottle, _Mapping]] = ...) -> None: ...

class ReshardingThrottle(_message.Message):
    __slots__ = ("sources_at_once", "rest_ratio")
    SOURCES_AT_ONCE_FIELD_NUMBER: _ClassVar[int]
    REST_RATIO_FIELD_NUMBER: _ClassVar[int]
    sources_at_once: int
    rest_ratio: float
    def __init__(self, sources_at_once: _Optional[int] = ..., rest_ratio: _Optional[float] = ...) -> None: ...

class ShardCountAdvice(_message.Message):
    __slots__ = ("suggested_shard_count", "current_shard_count", "reason")
    SUGGESTED_SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    suggested_shard_count: int
    current_shard_count: int
    reason: str
    def __init__(self, suggested_shard_count: _Optional[int] = ..., current_shard_count: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class StartReshardingRequest(_message.Message):
    __slots__ = ("shard_count", "throttle")
    SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_FIELD_NUMBER: _ClassVar[int]
    shard_count: int
    throttle: ReshardingThrottle
    def __init__(self, shard_count: _Optional[int] = ..., throttle: _Optional[_Union[ReshardingThrottle, _Mapping]] = ...) -> None: ...

class StartReshardingResponse(_message.Message):
    __slots__ = ("resharding",)
    RESHARDING_FIELD_NUMBER: _ClassVar[int]
    resharding: Resharding
    def __init__(self, resharding: _Optional[_Union[Resharding, _Mapping]] = ...) -> None: ...

class GetReshardingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetReshardingResponse(_message.Message):
    __slots__ = ("resharding", "advice")
    RESHARDING_FIELD_NUMBER: _ClassVar[int]
    ADVICE_FIELD_NUMBER: _ClassVar[int]
    resharding: Resharding
    advice: ShardCountAdvice
    def __init__(self, resharding: _Optional[_Union[Resharding, _Mapping]] = ..., advice: _Optional[_Union[ShardCountAdvice, _Mapping]] = ...) -> None: ...

class CancelReshardingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CancelReshardingResponse(_message.Message):
    __slots__ = ("resharding",)
    RESHARDING_FIELD_NUMBER: _ClassVar[int]
    resharding: Resharding
    def __init__(self, resharding: _Optional[_Union[Resharding, _Mapping]] = ...) -> None: ...
