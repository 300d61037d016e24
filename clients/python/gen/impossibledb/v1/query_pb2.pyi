from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from impossibledb.v1 import document_pb2 as _document_pb2
from impossibledb.v1 import search_pb2 as _search_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Filter(_message.Message):
    __slots__ = ("field_filter", "composite_filter", "not_filter")
    FIELD_FILTER_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FILTER_FIELD_NUMBER: _ClassVar[int]
    NOT_FILTER_FIELD_NUMBER: _ClassVar[int]
    field_filter: FieldFilter
    composite_filter: CompositeFilter
    not_filter: NotFilter
    def __init__(self, field_filter: _Optional[_Union[FieldFilter, _Mapping]] = ..., composite_filter: _Optional[_Union[CompositeFilter, _Mapping]] = ..., not_filter: _Optional[_Union[NotFilter, _Mapping]] = ...) -> None: ...

class FieldFilter(_message.Message):
    __slots__ = ("field", "op", "value", "typed_value")
    class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OPERATOR_UNSPECIFIED: _ClassVar[FieldFilter.Operator]
        OPERATOR_EQUAL: _ClassVar[FieldFilter.Operator]
        OPERATOR_NOT_EQUAL: _ClassVar[FieldFilter.Operator]
        OPERATOR_LESS_THAN: _ClassVar[FieldFilter.Operator]
        OPERATOR_LESS_THAN_OR_EQUAL: _ClassVar[FieldFilter.Operator]
        OPERATOR_GREATER_THAN: _ClassVar[FieldFilter.Operator]
        OPERATOR_GREATER_THAN_OR_EQUAL: _ClassVar[FieldFilter.Operator]
        OPERATOR_IN: _ClassVar[FieldFilter.Operator]
        OPERATOR_NOT_IN: _ClassVar[FieldFilter.Operator]
        OPERATOR_ARRAY_CONTAINS: _ClassVar[FieldFilter.Operator]
        OPERATOR_ARRAY_CONTAINS_ANY: _ClassVar[FieldFilter.Operator]
        OPERATOR_EXISTS: _ClassVar[FieldFilter.Operator]
    OPERATOR_UNSPECIFIED: FieldFilter.Operator
    OPERATOR_EQUAL: FieldFilter.Operator
    OPERATOR_NOT_EQUAL: FieldFilter.Operator
    OPERATOR_LESS_THAN: FieldFilter.Operator
    OPERATOR_LESS_THAN_OR_EQUAL: FieldFilter.Operator
    OPERATOR_GREATER_THAN: FieldFilter.Operator
    OPERATOR_GREATER_THAN_OR_EQUAL: FieldFilter.Operator
    OPERATOR_IN: FieldFilter.Operator
    OPERATOR_NOT_IN: FieldFilter.Operator
    OPERATOR_ARRAY_CONTAINS: FieldFilter.Operator
    OPERATOR_ARRAY_CONTAINS_ANY: FieldFilter.Operator
    OPERATOR_EXISTS: FieldFilter.Operator
    FIELD_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TYPED_VALUE_FIELD_NUMBER: _ClassVar[int]
    field: str
    op: FieldFilter.Operator
    value: _struct_pb2.Value
    typed_value: _document_pb2.Value
    def __init__(self, field: _Optional[str] = ..., op: _Optional[_Union[FieldFilter.Operator, str]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., typed_value: _Optional[_Union[_document_pb2.Value, _Mapping]] = ...) -> None: ...

class CompositeFilter(_message.Message):
    __slots__ = ("op", "filters")
    class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OPERATOR_UNSPECIFIED: _ClassVar[CompositeFilter.Operator]
        OPERATOR_AND: _ClassVar[CompositeFilter.Operator]
        OPERATOR_OR: _ClassVar[CompositeFilter.Operator]
    OPERATOR_UNSPECIFIED: CompositeFilter.Operator
    OPERATOR_AND: CompositeFilter.Operator
    OPERATOR_OR: CompositeFilter.Operator
    OP_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    op: CompositeFilter.Operator
    filters: _containers.RepeatedCompositeFieldContainer[Filter]
    def __init__(self, op: _Optional[_Union[CompositeFilter.Operator, str]] = ..., filters: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ...) -> None: ...

class NotFilter(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: Filter
    def __init__(self, filter: _Optional[_Union[Filter, _Mapping]] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("field", "direction")
    class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DIRECTION_UNSPECIFIED: _ClassVar[Order.Direction]
        DIRECTION_ASCENDING: _ClassVar[Order.Direction]
        DIRECTION_DESCENDING: _ClassVar[Order.Direction]
    DIRECTION_UNSPECIFIED: Order.Direction
    DIRECTION_ASCENDING: Order.Direction
    DIRECTION_DESCENDING: Order.Direction
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    direction: Order.Direction
    def __init__(self, field: _Optional[str] = ..., direction: _Optional[_Union[Order.Direction, str]] = ...) -> None: ...

class Query(_message.Message):
    __slots__ = ("collection", "where", "filter", "order_by", "limit", "offset", "select", "search")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SELECT_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    collection: str
    where: Filter
    filter: str
    order_by: _containers.RepeatedCompositeFieldContainer[Order]
    limit: int
    offset: int
    select: _document_pb2.DocumentMask
    search: _search_pb2.SearchQuery
    def __init__(self, collection: _Optional[str] = ..., where: _Optional[_Union[Filter, _Mapping]] = ..., filter: _Optional[str] = ..., order_by: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., select: _Optional[_Union[_document_pb2.DocumentMask, _Mapping]] = ..., search: _Optional[_Union[_search_pb2.SearchQuery, _Mapping]] = ...) -> None: ...

class Aggregation(_message.Message):
    __slots__ = ("alias", "function", "field")
    class Function(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        FUNCTION_UNSPECIFIED: _ClassVar[Aggregation.Function]
        FUNCTION_COUNT: _ClassVar[Aggregation.Function]
        FUNCTION_SUM: _ClassVar[Aggregation.Function]
        FUNCTION_AVG: _ClassVar[Aggregation.Function]
        FUNCTION_MIN: _ClassVar[Aggregation.Function]
        FUNCTION_MAX: _ClassVar[Aggregation.Function]
    FUNCTION_UNSPECIFIED: Aggregation.Function
    FUNCTION_COUNT: Aggregation.Function
    FUNCTION_SUM: Aggregation.Function
    FUNCTION_AVG: Aggregation.Function
    FUNCTION_MIN: Aggregation.Function
    FUNCTION_MAX: Aggregation.Function
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    alias: str
    function: Aggregation.Function
    field: str
    def __init__(self, alias: _Optional[str] = ..., function: _Optional[_Union[Aggregation.Function, str]] = ..., field: _Optional[str] = ...) -> None: ...

class AggregationGroup(_message.Message):
    __slots__ = ("key", "results", "typed_key", "typed_results")
    class ResultsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    class TypedResultsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _document_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_document_pb2.Value, _Mapping]] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TYPED_KEY_FIELD_NUMBER: _ClassVar[int]
    TYPED_RESULTS_FIELD_NUMBER: _ClassVar[int]
    key: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    results: _containers.MessageMap[str, _struct_pb2.Value]
    typed_key: _containers.RepeatedCompositeFieldContainer[_document_pb2.Value]
    typed_results: _containers.MessageMap[str, _document_pb2.Value]
    def __init__(self, key: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., results: _Optional[_Mapping[str, _struct_pb2.Value]] = ..., typed_key: _Optional[_Iterable[_Union[_document_pb2.Value, _Mapping]]] = ..., typed_results: _Optional[_Mapping[str, _document_pb2.Value]] = ...) -> None: ...

class QueryPlan(_message.Message):
    __slots__ = ("shards_total", "shards_queried", "shards", "rows_returned", "routing_version", "rule", "search")
    SHARDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHARDS_QUERIED_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    ROWS_RETURNED_FIELD_NUMBER: _ClassVar[int]
    ROUTING_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    shards_total: int
    shards_queried: int
    shards: _containers.RepeatedCompositeFieldContainer[ShardPlan]
    rows_returned: int
    routing_version: int
    rule: RulePlan
    search: _search_pb2.SearchPlan
    def __init__(self, shards_total: _Optional[int] = ..., shards_queried: _Optional[int] = ..., shards: _Optional[_Iterable[_Union[ShardPlan, _Mapping]]] = ..., rows_returned: _Optional[int] = ..., routing_version: _Optional[int] = ..., rule: _Optional[_Union[RulePlan, _Mapping]] = ..., search: _Optional[_Union[_search_pb2.SearchPlan, _Mapping]] = ...) -> None: ...

class RulePlan(_message.Message):
    __slots__ = ("condition", "pushed", "evaluated_per_document", "rows_read_withheld")
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    PUSHED_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_PER_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_WITHHELD_FIELD_NUMBER: _ClassVar[int]
    condition: str
    pushed: bool
    evaluated_per_document: bool
    rows_read_withheld: bool
    def __init__(self, condition: _Optional[str] = ..., pushed: _Optional[bool] = ..., evaluated_per_document: _Optional[bool] = ..., rows_read_withheld: _Optional[bool] = ...) -> None: ...

class ShardPlan(_message.Message):
    __slots__ = ("shard", "pruned", "index", "sql_plan", "rows_read", "rows_returned")
    SHARD_FIELD_NUMBER: _ClassVar[int]
    PRUNED_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SQL_PLAN_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_RETURNED_FIELD_NUMBER: _ClassVar[int]
    shard: str
    pruned: bool
    index: str
    sql_plan: str
    rows_read: int
    rows_returned: int
    def __init__(self, shard: _Optional[str] = ..., pruned: _Optional[bool] = ..., index: _Optional[str] = ..., sql_plan: _Optional[str] = ..., rows_read: _Optional[int] = ..., rows_returned: _Optional[int] = ...) -> None: ...
