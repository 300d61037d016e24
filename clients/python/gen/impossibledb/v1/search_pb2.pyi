from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GeoPoint(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class SearchTextField(_message.Message):
    __slots__ = ("field", "weight")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    field: str
    weight: float
    def __init__(self, field: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class SearchIndex(_message.Message):
    __slots__ = ("collection", "text_fields", "geo_field", "state", "uncompacted_shards")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[SearchIndex.State]
        STATE_CREATING: _ClassVar[SearchIndex.State]
        STATE_READY: _ClassVar[SearchIndex.State]
    STATE_UNSPECIFIED: SearchIndex.State
    STATE_CREATING: SearchIndex.State
    STATE_READY: SearchIndex.State
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELDS_FIELD_NUMBER: _ClassVar[int]
    GEO_FIELD_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNCOMPACTED_SHARDS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    text_fields: _containers.RepeatedCompositeFieldContainer[SearchTextField]
    geo_field: str
    state: SearchIndex.State
    uncompacted_shards: int
    def __init__(self, collection: _Optional[str] = ..., text_fields: _Optional[_Iterable[_Union[SearchTextField, _Mapping]]] = ..., geo_field: _Optional[str] = ..., state: _Optional[_Union[SearchIndex.State, str]] = ..., uncompacted_shards: _Optional[int] = ...) -> None: ...

class SearchQuery(_message.Message):
    __slots__ = ("text", "exact", "near", "within", "highlight")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    NEAR_FIELD_NUMBER: _ClassVar[int]
    WITHIN_FIELD_NUMBER: _ClassVar[int]
    HIGHLIGHT_FIELD_NUMBER: _ClassVar[int]
    text: str
    exact: bool
    near: GeoNear
    within: GeoWithin
    highlight: bool
    def __init__(self, text: _Optional[str] = ..., exact: _Optional[bool] = ..., near: _Optional[_Union[GeoNear, _Mapping]] = ..., within: _Optional[_Union[GeoWithin, _Mapping]] = ..., highlight: _Optional[bool] = ...) -> None: ...

class GeoNear(_message.Message):
    __slots__ = ("center", "radius_meters")
    CENTER_FIELD_NUMBER: _ClassVar[int]
    RADIUS_METERS_FIELD_NUMBER: _ClassVar[int]
    center: GeoPoint
    radius_meters: float
    def __init__(self, center: _Optional[_Union[GeoPoint, _Mapping]] = ..., radius_meters: _Optional[float] = ...) -> None: ...

class GeoWithin(_message.Message):
    __slots__ = ("box", "polygon")
    BOX_FIELD_NUMBER: _ClassVar[int]
    POLYGON_FIELD_NUMBER: _ClassVar[int]
    box: GeoBox
    polygon: GeoPolygon
    def __init__(self, box: _Optional[_Union[GeoBox, _Mapping]] = ..., polygon: _Optional[_Union[GeoPolygon, _Mapping]] = ...) -> None: ...

class GeoBox(_message.Message):
    __slots__ = ("low", "high")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    low: GeoPoint
    high: GeoPoint
    def __init__(self, low: _Optional[_Union[GeoPoint, _Mapping]] = ..., high: _Optional[_Union[GeoPoint, _Mapping]] = ...) -> None: ...

class GeoPolygon(_message.Message):
    __slots__ = ("vertices",)
    VERTICES_FIELD_NUMBER: _ClassVar[int]
    vertices: _containers.RepeatedCompositeFieldContainer[GeoPoint]
    def __init__(self, vertices: _Optional[_Iterable[_Union[GeoPoint, _Mapping]]] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("score", "distance_meters", "highlights")
    class HighlightsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_METERS_FIELD_NUMBER: _ClassVar[int]
    HIGHLIGHTS_FIELD_NUMBER: _ClassVar[int]
    score: float
    distance_meters: float
    highlights: _containers.ScalarMap[str, str]
    def __init__(self, score: _Optional[float] = ..., distance_meters: _Optional[float] = ..., highlights: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SearchPlan(_message.Message):
    __slots__ = ("compiled", "documents_total", "average_length", "terms", "stats_rows_read", "geo_candidates")
    COMPILED_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    STATS_ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    GEO_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    compiled: str
    documents_total: int
    average_length: float
    terms: _containers.RepeatedCompositeFieldContainer[SearchTermStats]
    stats_rows_read: int
    geo_candidates: int
    def __init__(self, compiled: _Optional[str] = ..., documents_total: _Optional[int] = ..., average_length: _Optional[float] = ..., terms: _Optional[_Iterable[_Union[SearchTermStats, _Mapping]]] = ..., stats_rows_read: _Optional[int] = ..., geo_candidates: _Optional[int] = ...) -> None: ...

class SearchTermStats(_message.Message):
    __slots__ = ("term", "documents")
    TERM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    term: str
    documents: int
    def __init__(self, term: _Optional[str] = ..., documents: _Optional[int] = ...) -> None: ...
