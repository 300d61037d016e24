"""Field transforms: changes the document's shard computes from a field's stored value inside the write.

    counter.update({}, transforms=[impossibledb.increment("views", 1), impossibledb.server_timestamp("seen_at")])
    post.update({}, transforms=[impossibledb.array_union("tags", "new", "hot"), impossibledb.array_remove("tags", "draft")])

As Firestore's FieldValue.increment and MongoDB's $inc: many clients can
change one document at once without reading it and without losing an
update. Pass them as `transforms=` to set, create and update (documents,
batches and transactions). They apply after the write's data (and mask),
in order; a transform's field may not overlap another's, nor a field the
data sets (InvalidArgument).

Operands travel in the typed form: an int added to an integer stays an
exact integer (a sum beyond the 64-bit range fails the write with
OutOfRange and changes nothing); with a float on either side the result
is a double. The elements of array_union and array_remove are any values a
document holds, checked as document data is (TypeError naming the element).
"""

from __future__ import annotations

import math

from ._limits import INT64_MAX, INT64_MIN
from .v1 import document_pb2 as doc
from .values import check_value, to_typed

__all__ = ["FieldTransform", "array_remove", "array_union", "increment", "maximum", "minimum", "server_timestamp"]

FieldTransform = doc.FieldTransform
"""A transform in the wire's form; make one with increment(), maximum(), minimum(), server_timestamp(), array_union() or array_remove()."""


def _number(what: str, field: str, n: object) -> doc.Value:
    if type(n) is int and INT64_MIN <= n <= INT64_MAX:
        return to_typed(n)
    if type(n) is float and math.isfinite(n):
        return to_typed(n)
    raise TypeError(f"{what}({field!r}, n): n must be an int in the 64-bit range or a finite float, got {n!r}")


def increment(field: str, n: int | float) -> doc.FieldTransform:
    """Adds n to the field; a missing field, or one that is not a number, becomes n. int + integer stays an exact int."""
    return doc.FieldTransform(field_path=field, typed_increment=_number("increment", field, n))


def maximum(field: str, n: int | float) -> doc.FieldTransform:
    """Sets the field to the larger of it and n (ints and floats compare as numbers; the larger keeps its type)."""
    return doc.FieldTransform(field_path=field, typed_maximum=_number("maximum", field, n))


def minimum(field: str, n: int | float) -> doc.FieldTransform:
    """Sets the field to the smaller of it and n, as maximum()."""
    return doc.FieldTransform(field_path=field, typed_minimum=_number("minimum", field, n))


def server_timestamp(field: str) -> doc.FieldTransform:
    """Sets the field to the time of the write, as a timestamp (read back as a datetime in UTC, to the microsecond)."""
    transform = doc.FieldTransform(field_path=field)
    transform.typed_server_timestamp.SetInParent()
    return transform


def array_union(field: str, *elements: object) -> doc.FieldTransform:
    """Appends each element the array does not already hold, in order; a missing field, or one that is not an array, becomes [] first.

    Elements compare by content (numbers by value, maps whatever their key
    order), as Firestore's arrayUnion; the TypeScript SDK's FieldValue.arrayUnion.
    """
    return doc.FieldTransform(field_path=field, typed_append_missing_elements=_elements("array_union", field, elements))


def array_remove(field: str, *elements: object) -> doc.FieldTransform:
    """Removes every element equal to one of `elements` (compared as in array_union); a missing field, or one that is not an array, becomes []."""
    return doc.FieldTransform(field_path=field, typed_remove_all_from_array=_elements("array_remove", field, elements))


def _elements(what: str, field: str, elements: tuple[object, ...]) -> doc.ArrayValue:
    checked = [check_value(f"{what}({field!r}, ...): element {i}", element) for i, element in enumerate(elements)]
    return doc.ArrayValue(values=[to_typed(element) for element in checked])
