"""The shapes the client hands to its users: plain data, not protobuf messages."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Literal

from ._types import DocumentPath
from .values import Value

__all__ = ["AggregateGroup", "AggregateSpec", "BatchWriteOutcome", "DocumentPath", "DocumentSnapshot", "QueryPage", "WriteResult"]


@dataclass(frozen=True)
class DocumentSnapshot:
    """A stored document as read or written.

    data: its fields as plain Python: int (integers), float (doubles),
    datetime (timestamps, in UTC), bytes, DocumentPath (references),
    GeoPoint, list, dict, str, bool, None. A double is a float even when
    whole (1.0), so writing what was read keeps every type.
    version: changes on every write; compare for equality only (preconditions, transactions).
    create_time, update_time: UTC, when known.
    """

    collection: str
    id: str
    data: dict[str, Value]
    version: int
    create_time: datetime.datetime | None = None
    update_time: datetime.datetime | None = None

    @property
    def path(self) -> DocumentPath:
        """The document's collection and id."""
        return DocumentPath(self.collection, self.id)


@dataclass(frozen=True)
class WriteResult:
    """What one write of a batch or transaction did.

    version: the document's version after the write; 0 after a delete.
    document: the document after the write, only when the call asked for
    documents (return_documents=True) and it fit the answer; None otherwise.
    """

    collection: str
    id: str
    version: int
    update_time: datetime.datetime | None = None
    document: DocumentSnapshot | None = None


@dataclass(frozen=True)
class BatchWriteOutcome:
    """The outcome of one write of WriteBatch.commit_nonatomic().

    error: None when the write was applied; else the typed exception it
    failed with (not raised: the other writes may have been applied).
    """

    path: DocumentPath
    error: Exception | None
    result: WriteResult | None = None

    @property
    def ok(self) -> bool:
        """True when the write was applied."""
        return self.error is None


@dataclass(frozen=True)
class QueryPage:
    """One page of query or list results.

    next_page_token: pass it back for the next page; "" on the last page.
    """

    documents: list[DocumentSnapshot]
    next_page_token: str


AggregateFunction = Literal["count", "sum", "avg", "min", "max"]


@dataclass(frozen=True)
class AggregateSpec:
    """An aggregate to compute; make one with count(), sum(), avg(), min() or max()."""

    function: AggregateFunction
    field: str = ""


@dataclass(frozen=True)
class AggregateGroup:
    """One group of an aggregation.

    key: the group-by values, in the order they were named; empty without group_by.
    values: the results by alias (avg, min and max are None when no document has the field),
    in the types of DocumentSnapshot.data: count and a sum of integers are int.
    """

    key: list[Value] = field(default_factory=list)
    values: dict[str, Value] = field(default_factory=dict)


def count(field: str = "") -> AggregateSpec:
    """The number of matching documents, or of those where `field` is present."""
    return AggregateSpec("count", field)


def sum(field: str) -> AggregateSpec:  # noqa: A001  # the aggregate's name, as in the TS SDK
    """The sum of `field`'s numeric values (0 when there are none): an exact int while they are all integers and the total fits int64."""
    return AggregateSpec("sum", field)


def avg(field: str) -> AggregateSpec:
    """The mean of `field`'s numeric values (None when there are none)."""
    return AggregateSpec("avg", field)


def min(field: str) -> AggregateSpec:  # noqa: A001
    """The least value of `field`."""
    return AggregateSpec("min", field)


def max(field: str) -> AggregateSpec:  # noqa: A001
    """The greatest value of `field`."""
    return AggregateSpec("max", field)
