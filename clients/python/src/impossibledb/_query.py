"""A query's definition, shared by the sync and asyncio clients.

QuerySpec is immutable: every builder method returns a new query, so a base
query can be refined in several ways. Nothing is sent here; Query (sync)
and AsyncQuery add the methods that run it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar


from ._args import check_count, check_page_size
from ._model import AggregateGroup, AggregateSpec, QueryPage
from ._wire import snapshot
from .errors import InvalidArgument
from .v1 import query_pb2 as q
from .v1 import query_service_pb2 as qs
from .values import check_value, from_typed, from_value, needs_typed, to_typed, to_value

__all__ = ["NO_VALUE", "Direction", "Operator", "QuerySpec"]

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not-in", "array-contains", "array-contains-any", "exists"]
"""Comparison operators of where()."""

Direction = Literal["asc", "desc"]
"""Sort directions of order_by()."""

_OPERATORS: dict[str, q.FieldFilter.Operator] = {
    "==": q.FieldFilter.OPERATOR_EQUAL,
    "!=": q.FieldFilter.OPERATOR_NOT_EQUAL,
    "<": q.FieldFilter.OPERATOR_LESS_THAN,
    "<=": q.FieldFilter.OPERATOR_LESS_THAN_OR_EQUAL,
    ">": q.FieldFilter.OPERATOR_GREATER_THAN,
    ">=": q.FieldFilter.OPERATOR_GREATER_THAN_OR_EQUAL,
    "in": q.FieldFilter.OPERATOR_IN,
    "not-in": q.FieldFilter.OPERATOR_NOT_IN,
    "array-contains": q.FieldFilter.OPERATOR_ARRAY_CONTAINS,
    "array-contains-any": q.FieldFilter.OPERATOR_ARRAY_CONTAINS_ANY,
    "exists": q.FieldFilter.OPERATOR_EXISTS,
}

_FUNCTIONS: dict[str, q.Aggregation.Function] = {
    "count": q.Aggregation.FUNCTION_COUNT,
    "sum": q.Aggregation.FUNCTION_SUM,
    "avg": q.Aggregation.FUNCTION_AVG,
    "min": q.Aggregation.FUNCTION_MIN,
    "max": q.Aggregation.FUNCTION_MAX,
}

NO_VALUE: Any = object()

Q = TypeVar("Q", bound="QuerySpec")


@dataclasses.dataclass(frozen=True)
class QuerySpec:
    """The definition of a query over one collection. Obtain one from a collection's where(), order_by() or query()."""

    _runner: Any = dataclasses.field(repr=False, compare=False)
    collection: str
    _filters: tuple[q.Filter, ...] = ()
    _expression: str = ""
    _orders: tuple[q.Order, ...] = ()
    _limit: int = 0
    _offset: int = 0
    _select: tuple[str, ...] | None = None

    def where(self: Q, field: str, op: Operator, value: Any = NO_VALUE) -> Q:
        """Keeps documents whose `field` compares to `value` by `op`; several where() calls must all hold.

        op: one of ==, !=, <, <=, >, >=, in, not-in, array-contains,
        array-contains-any, exists. `value` is checked as document data is
        (a naive datetime, a set or an int beyond 64 bits raises TypeError
        here rather than match something else); an int, datetime, bytes,
        GeoPoint or DocumentPath travels typed and compares exactly. A
        range operator matches values of the operand's type only (ints and
        floats are one type: numbers). Only "exists" may omit it.
        """
        operator = _OPERATORS.get(op) if isinstance(op, str) else None
        if operator is None:
            raise InvalidArgument(f"query on {self.collection}: unknown operator {op!r}; use one of {', '.join(_OPERATORS)}")
        where = f"query on {self.collection}: where({field!r}, {op!r}, value)"
        if value is NO_VALUE and op != "exists":
            raise TypeError(f"{where}: {op!r} needs a value (None compares with null)")
        field_filter = q.FieldFilter(field=field, op=operator)
        if value is not NO_VALUE:
            checked = check_value(where, value)
            if needs_typed(checked):
                field_filter.typed_value.CopyFrom(to_typed(checked))
            else:
                field_filter.value.CopyFrom(to_value(checked))
        return dataclasses.replace(self, _filters=(*self._filters, q.Filter(field_filter=field_filter)))

    def filter(self: Q, expression: str) -> Q:
        """Also keeps only documents matching an AIP-160 filter, such as `age > 21 AND status = "active"`."""
        combined = expression if self._expression == "" else f"({self._expression}) AND ({expression})"
        return dataclasses.replace(self, _expression=combined)

    def order_by(self: Q, field: str, direction: Direction = "asc") -> Q:
        """Sorts by `field` ("asc" or "desc"); earlier order_by() calls weigh more. The id breaks ties."""
        if direction not in ("asc", "desc"):
            raise InvalidArgument(f"query on {self.collection}: direction must be 'asc' or 'desc', got {direction!r}")
        wire = q.Order.DIRECTION_DESCENDING if direction == "desc" else q.Order.DIRECTION_ASCENDING
        return dataclasses.replace(self, _orders=(*self._orders, q.Order(field=field, direction=wire)))

    def limit(self: Q, count: int) -> Q:
        """Returns at most `count` documents over all pages (0 to INT32_MAX); 0 means no limit."""
        return dataclasses.replace(self, _limit=check_count("limit", count))

    def offset(self: Q, count: int) -> Q:
        """Skips the first `count` matching documents (0 to INT32_MAX)."""
        return dataclasses.replace(self, _offset=check_count("offset", count))

    def select(self: Q, *fields: str) -> Q:
        """Returns only these field paths of each document."""
        return dataclasses.replace(self, _select=tuple(fields))

    def to_proto(self) -> q.Query:
        """The query in the wire's form (for the generated clients)."""
        query = q.Query(
            collection=self.collection,
            where=self._where(),
            filter=self._expression,
            order_by=list(self._orders),
            limit=self._limit,
            offset=self._offset,
        )
        if self._select is not None:
            query.select.field_paths.extend(self._select)
        return query

    def _where(self) -> q.Filter | None:
        if not self._filters:
            return None
        if len(self._filters) == 1:
            return self._filters[0]
        return q.Filter(composite_filter=q.CompositeFilter(op=q.CompositeFilter.OPERATOR_AND, filters=list(self._filters)))

    def _page_request(self, page_size: int | None, page_token: str) -> qs.RunQueryRequest:
        return qs.RunQueryRequest(query=self.to_proto(), page_size=check_page_size(page_size), page_token=page_token)

    def _aggregation_request(self, specs: Mapping[str, AggregateSpec], group_by: Sequence[str]) -> qs.RunAggregationQueryRequest:
        if self._orders or self._limit or self._offset or self._select is not None:
            raise InvalidArgument(f"query on {self.collection}: order_by, limit, offset and select do not apply to aggregations")
        if isinstance(group_by, str):
            raise TypeError(f"group_by must be a list of field paths, got the str {group_by!r}")
        aggregations = []
        for alias, spec in specs.items():
            if not isinstance(spec, AggregateSpec) or spec.function not in _FUNCTIONS:
                raise TypeError(f"aggregate {alias!r}: {spec!r} is not an aggregate; use count(), sum(), avg(), min() or max()")
            aggregations.append(q.Aggregation(alias=alias, function=_FUNCTIONS[spec.function], field=spec.field))
        query = q.Query(collection=self.collection, where=self._where(), filter=self._expression)
        return qs.RunAggregationQueryRequest(query=query, aggregations=aggregations, group_by=list(group_by))


def page_of(response: qs.RunQueryResponse) -> QueryPage:
    """A RunQuery or ListDocuments answer as a page."""
    return QueryPage(documents=[snapshot(d) for d in response.documents], next_page_token=response.next_page_token)


def groups_of(response: qs.RunAggregationQueryResponse, counts: frozenset[str] = frozenset()) -> list[AggregateGroup]:
    """A RunAggregationQuery answer as plain groups: from the typed key and results when the server sent them, else the JSON ones.

    counts: the aliases of COUNT aggregates, given as int: a count is a
    whole number, which the server answers as a double in both forms.
    """
    return [_group(group, counts) for group in response.groups]


def _group(group: q.AggregationGroup, counts: frozenset[str]) -> AggregateGroup:
    if group.typed_results or group.typed_key:
        key, values = [from_typed(v) for v in group.typed_key], {alias: from_typed(v) for alias, v in group.typed_results.items()}
    else:
        key, values = [from_value(v) for v in group.key], {alias: from_value(v) for alias, v in group.results.items()}
    for alias in counts:
        count = values.get(alias)
        if type(count) is float and count.is_integer():
            values[alias] = int(count)
    return AggregateGroup(key=key, values=values)


def count_aliases(specs: Mapping[str, AggregateSpec]) -> frozenset[str]:
    """The aliases of the COUNT aggregates of a call."""
    return frozenset(alias for alias, spec in specs.items() if isinstance(spec, AggregateSpec) and spec.function == "count")
