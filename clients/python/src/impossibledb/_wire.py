"""Conversions between the user's shapes and the generated messages.

Pure: builds requests and reads responses, sends nothing. Shared by the
sync and the asyncio client, so both put exactly the same bytes on the wire.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf import empty_pb2, timestamp_pb2

from ._args import check_version
from ._model import BatchWriteOutcome, DocumentPath, DocumentSnapshot, WriteResult
from ._limits import WRITES_PER_CALL_MAX
from .errors import Internal, InvalidArgument
from .v1 import document_pb2 as doc
from .v1 import transaction_service_pb2 as ts
from .values import Value, check_data, from_struct, from_typed_fields, needs_typed, to_struct, to_typed_fields

__all__ = [
    "create_write",
    "data_forms",
    "delete_write",
    "mask",
    "precondition",
    "read_version_key",
    "ref",
    "set_write",
    "snapshot",
    "transforms_of",
    "update_patch",
    "update_write",
    "write_result",
]


def assert_room_for_write(writes: Sequence[doc.Write], what: str) -> None:
    """Refuses a write past WRITES_PER_CALL_MAX before anything is sent (the server would refuse the whole call)."""
    if len(writes) >= WRITES_PER_CALL_MAX:
        raise InvalidArgument(f"{what} holds at most WRITES_PER_CALL_MAX ({WRITES_PER_CALL_MAX}) writes; split it")


def take_write(writes: list[doc.Write], written: set[tuple[str, str]], write: doc.Write, what: str) -> tuple[str, str]:
    """Appends `write` to `writes` (a batch's or a transaction's) and returns its document's key.

    Raises InvalidArgument past WRITES_PER_CALL_MAX writes, or for a document
    `written` already holds: the server refuses a whole call that writes one
    document twice, in these words, so the second write is refused when made.
    """
    assert_room_for_write(writes, what)
    key = (write.ref.collection, write.ref.id)
    if key in written:
        raise InvalidArgument(f"writes[{len(writes)}] writes {key[0]}/{key[1]} again; {what} may write each document once")
    written.add(key)
    writes.append(write)
    return key


def ref(path: DocumentPath) -> doc.DocumentRef:
    """The wire form of a document's name."""
    return doc.DocumentRef(collection=path.collection, id=path.id)


def mask(fields: Sequence[str] | None) -> doc.DocumentMask | None:
    """A DocumentMask of field paths, or None for "all fields"."""
    if fields is None:
        return None
    if isinstance(fields, str):
        raise TypeError(f"field paths must be a list of str, got the str {fields!r}")
    return doc.DocumentMask(field_paths=list(fields))


def precondition(if_exists: bool | None, if_version: int | None) -> doc.Precondition | None:
    """The wire precondition: at most one of if_exists and if_version."""
    if if_exists is not None and if_version is not None:
        raise TypeError("give if_exists or if_version, not both: a write has one precondition")
    if if_exists is not None:
        return doc.Precondition(exists=bool(if_exists))
    if if_version is not None:
        return doc.Precondition(version=check_version("if_version (a document version)", if_version))
    return None


def data_forms(where: str, data: object) -> dict[str, Any]:
    """Checked document data as the keyword its request takes: {"data": Struct} when every value fits the JSON form, else {"fields": typed map}.

    A request carries one form or the other, never both (the contract); the
    JSON form keeps documents of JSON values as they were before typed values.
    TypeError naming the field when a value cannot be stored.
    """
    checked = check_data(where, data)
    if needs_typed(checked):
        return {"fields": to_typed_fields(checked)}
    return {"data": to_struct(checked)}


def transforms_of(transforms: Sequence[doc.FieldTransform]) -> list[doc.FieldTransform]:
    """The transforms of a write, checked to be FieldTransforms (from increment(), server_timestamp()...)."""
    if isinstance(transforms, doc.FieldTransform):
        raise TypeError("transforms must be a list of field transforms, got a single one: pass [transform]")
    out = list(transforms)
    for item in out:
        if not isinstance(item, doc.FieldTransform):
            raise TypeError(f"transforms: {item!r} is not a field transform; use impossibledb.increment(), maximum(), minimum(), server_timestamp(), array_union() or array_remove()")
    return out


def update_patch(where: str, data: object, fields: Sequence[str] | None) -> doc.DocumentPatch:
    """A checked patch: the masked paths take data's values; a masked path missing from data is removed."""
    return doc.DocumentPatch(**data_forms(where, data), update_mask=mask(fields))


def set_write(
    path: DocumentPath, data: object, if_exists: bool | None = None, if_version: int | None = None, transforms: Sequence[doc.FieldTransform] = ()
) -> doc.Write:
    """Replace a document whole, creating it if missing."""
    forms = data_forms(str(path), data)
    write = doc.Write(ref=ref(path), precondition=precondition(if_exists, if_version), transforms=transforms_of(transforms))
    if "fields" in forms:
        write.set_fields.CopyFrom(doc.MapValue(fields=forms["fields"]))
    else:
        write.set.CopyFrom(forms["data"])
    return write


def create_write(path: DocumentPath, data: object, transforms: Sequence[doc.FieldTransform] = ()) -> doc.Write:
    """Create a document; ALREADY_EXISTS when it exists."""
    forms = data_forms(str(path), data)
    write = doc.Write(ref=ref(path), transforms=transforms_of(transforms))
    if "fields" in forms:
        write.create_fields.CopyFrom(doc.MapValue(fields=forms["fields"]))
    else:
        write.create.CopyFrom(forms["data"])
    return write


def update_write(
    path: DocumentPath,
    data: object,
    fields: Sequence[str] | None = None,
    if_exists: bool | None = None,
    if_version: int | None = None,
    transforms: Sequence[doc.FieldTransform] = (),
) -> doc.Write:
    """Change fields of an existing document; NOT_FOUND when it is missing."""
    patch = update_patch(str(path), data, fields)
    return doc.Write(ref=ref(path), update=patch, precondition=precondition(if_exists, if_version), transforms=transforms_of(transforms))


def delete_write(path: DocumentPath, if_exists: bool | None = None, if_version: int | None = None) -> doc.Write:
    """Delete a document; deleting a missing one succeeds unless a precondition says otherwise."""
    return doc.Write(ref=ref(path), delete=empty_pb2.Empty(), precondition=precondition(if_exists, if_version))


def _time(message: Any, name: str) -> datetime.datetime | None:
    if not message.HasField(name):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, name)
    return stamp.ToDatetime(tzinfo=datetime.timezone.utc)


def snapshot(document: doc.Document) -> DocumentSnapshot:
    """A wire document as plain data."""
    return DocumentSnapshot(
        collection=document.collection,
        id=document.id,
        data=from_typed_fields(document.fields) if document.fields else from_struct(document.data),
        version=document.version,
        create_time=_time(document, "create_time"),
        update_time=_time(document, "update_time"),
    )


def required_document(response: Any, rpc: str) -> DocumentSnapshot:
    """The document of a single-document answer; Internal when the server sent none."""
    if not response.HasField("document"):
        raise Internal(f"{rpc} answered without a document")
    return snapshot(response.document)


def write_result(result: doc.WriteResult) -> WriteResult:
    """A wire write result as plain data."""
    return WriteResult(
        collection=result.ref.collection,
        id=result.ref.id,
        version=result.version,
        update_time=_time(result, "update_time"),
        document=snapshot(result.document) if result.HasField("document") else None,
    )


def read_version_key(path: DocumentPath, version: int) -> tuple[str, str, int]:
    """The read set's key: a document read again at the same version adds nothing, at a new version adds a pair."""
    return (path.collection, path.id, version)


def read_versions(pairs: Iterable[tuple[DocumentPath, int]]) -> list[ts.ReadVersion]:
    """The wire form of a read set."""
    return [ts.ReadVersion(ref=ref(path), version=version) for path, version in pairs]




def batch_get_results(asked: Sequence[DocumentPath], response: Any) -> tuple[list[DocumentSnapshot | None], list[DocumentPath]]:
    """One BatchGetDocuments answer: the snapshots of the refs it answered (None where missing), and the refs still unread."""
    if not response.results:
        raise Internal("BatchGetDocuments answered none of the refs")
    if len(response.results) > len(asked):
        raise Internal(f"BatchGetDocuments answered {len(response.results)} results for {len(asked)} refs")
    out: list[DocumentSnapshot | None] = []
    for path, result in zip(asked, response.results):
        if (result.ref.collection, result.ref.id) != (path.collection, path.id):
            raise Internal(f"BatchGetDocuments answered {result.ref.collection}/{result.ref.id} where {path} was asked")
        out.append(snapshot(result.document) if result.found and result.HasField("document") else None)
    return out, list(asked[len(response.results) :])


def batch_outcomes(paths: Sequence[DocumentPath], response: Any) -> list[BatchWriteOutcome]:
    """One BatchWriteDocuments answer as an outcome per write, with the typed error of each that failed."""
    from .errors import error_for_code

    if len(response.statuses) != len(paths):
        raise Internal(f"BatchWriteDocuments answered {len(response.statuses)} statuses for {len(paths)} writes")
    outcomes = []
    for index, (path, status) in enumerate(zip(paths, response.statuses)):
        if status.code != 0:
            outcomes.append(BatchWriteOutcome(path, error_for_code(int(status.code), status.message)))
            continue
        result = write_result(response.results[index]) if index < len(response.results) else None
        outcomes.append(BatchWriteOutcome(path, None, result))
    return outcomes
