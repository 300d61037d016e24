"""The value types a document holds that plain Python lacks a type for: a reference to a document, and a geo point.

Shared by values.py (which converts them) and _model.py (which hands them
to users); kept apart so neither imports the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DocumentPath", "GeoPoint"]


@dataclass(frozen=True)
class DocumentPath:
    """Names one document: its collection and its id. Writes in batches and transactions take these.

    DocumentReference (sync) and AsyncDocumentReference are DocumentPaths
    with methods; `client.document("users", "alice")` makes one. As a field
    value, any DocumentPath is stored as a reference, and a reference reads
    back as a DocumentPath (equal to DocumentPath(collection, id); use
    client.document(ref.collection, ref.id) to call methods on it).
    """

    collection: str
    id: str

    def __str__(self) -> str:
        return f"{self.collection}/{self.id}"


@dataclass(frozen=True)
class GeoPoint:
    """A point on the earth, stored as a geo point: latitude -90 to 90, longitude -180 to 180 (degrees).

    Both must be finite floats or ints (TypeError otherwise); the server
    refuses coordinates out of range with InvalidArgument.
    """

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        for name in ("latitude", "longitude"):
            value = getattr(self, name)
            if type(value) not in (int, float) or not math.isfinite(value):
                raise TypeError(f"GeoPoint {name} must be a finite number, got {value!r}")
