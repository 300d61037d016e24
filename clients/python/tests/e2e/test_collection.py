"""CRUD, batch and list scenarios, through every Python client."""

from __future__ import annotations

import pytest
from google.protobuf import empty_pb2

from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc

from conftest import CODE_NAMES, Api
from helpers import data, struct, unique_collection


async def expect_code(db: Api, call, request, code: str) -> None:
    with pytest.raises(Exception) as raised:
        await call(request)
    assert db.code(raised.value) == code, f"{raised.value!r}"


async def test_crud(db: Api) -> None:
    ref = doc.DocumentRef(collection=unique_collection(db.name, "crud"), id="alice")
    alice = {
        "name": "Alice",
        "email": "alice@example.com",
        "age": 30,
        "active": True,
        "tags": ["admin", "beta"],
        "address": {"city": "Lisbon", "zip": "1100"},
    }

    created = (await db.create_document(cs.CreateDocumentRequest(ref=ref, data=struct(alice)))).document
    assert data(created) == alice
    assert created.version > 0 and created.HasField("create_time")
    first_version = created.version

    await expect_code(db, db.create_document, cs.CreateDocumentRequest(ref=ref, data=struct({"name": "Mallory"})), "already_exists")

    got = (await db.get_document(cs.GetDocumentRequest(ref=ref))).document
    assert (got.collection, got.id, got.version) == (ref.collection, "alice", first_version)
    assert data(got) == alice

    replaced = (
        await db.set_document(
            cs.SetDocumentRequest(ref=ref, data=struct({"name": "Alice", "age": 31}), precondition=doc.Precondition(version=first_version))
        )
    ).document
    assert data(replaced) == {"name": "Alice", "age": 31}
    assert replaced.version != first_version, "every write gives a new version"

    stale = cs.SetDocumentRequest(ref=ref, data=struct({"name": "stale"}), precondition=doc.Precondition(version=first_version))
    await expect_code(db, db.set_document, stale, "failed_precondition")

    patched = (
        await db.update_document(
            cs.UpdateDocumentRequest(
                ref=ref,
                patch=doc.DocumentPatch(data=struct({"email": "alice@example.org"}), update_mask=doc.DocumentMask(field_paths=["email", "age"])),
                precondition=doc.Precondition(exists=True),
            )
        )
    ).document
    # The mask names age but the patch has none, so age is removed.
    assert data(patched) == {"name": "Alice", "email": "alice@example.org"}

    assert (await db.delete_document(cs.DeleteDocumentRequest(ref=ref))).deleted is True
    await expect_code(db, db.get_document, cs.GetDocumentRequest(ref=ref), "not_found")
    assert (await db.delete_document(cs.DeleteDocumentRequest(ref=ref))).deleted is False

    reserved = cs.GetDocumentRequest(ref=doc.DocumentRef(collection="__reserved", id="x"))
    await expect_code(db, db.get_document, reserved, "invalid_argument")


async def test_batch(db: Api) -> None:
    collection = unique_collection(db.name, "batch")

    def ref(id: str) -> doc.DocumentRef:
        return doc.DocumentRef(collection=collection, id=id)

    doc_count = 12
    writes = [doc.Write(ref=ref(f"item-{i:02d}"), set=struct({"n": i})) for i in range(doc_count)]
    written = await db.batch_write_documents(cs.BatchWriteDocumentsRequest(writes=writes))
    assert [CODE_NAMES[s.code] for s in written.statuses] == ["ok"] * doc_count
    assert all(result.version > 0 for result in written.results) and len(written.results) == doc_count

    refs = [ref("item-03"), ref("missing"), ref("item-11"), ref("item-00")]
    read = await db.batch_get_documents(cs.BatchGetDocumentsRequest(refs=refs))
    assert [(r.ref.id, r.found) for r in read.results] == [("item-03", True), ("missing", False), ("item-11", True), ("item-00", True)]
    assert [data(r.document).get("n") for r in read.results if r.found] == [3, 11, 0]

    # Creating an existing document fails with its own code, and the
    # document keeps its data.
    clash = await db.batch_write_documents(
        cs.BatchWriteDocumentsRequest(
            writes=[
                doc.Write(ref=ref("item-05"), create=struct({"n": -1})),
                doc.Write(ref=ref("item-06"), delete=empty_pb2.Empty()),
            ]
        )
    )
    assert CODE_NAMES[clash.statuses[0].code] == "already_exists", clash.statuses[0].message
    assert data((await db.get_document(cs.GetDocumentRequest(ref=ref("item-05")))).document) == {"n": 5}
    # The delete either succeeded (another shard) or was aborted with the
    # failing write (same shard); what is stored must say which.
    outcome = CODE_NAMES[clash.statuses[1].code]
    if outcome == "ok":
        await expect_code(db, db.get_document, cs.GetDocumentRequest(ref=ref("item-06")), "not_found")
    else:
        assert outcome == "aborted", clash.statuses[1]
        assert data((await db.get_document(cs.GetDocumentRequest(ref=ref("item-06")))).document) == {"n": 6}


async def test_list(db: Api) -> None:
    collection = unique_collection(db.name, "list")
    ids = ["kiwi", "apple", "fig", "banana", "cherry", "date", "elderberry"]
    writes = [doc.Write(ref=doc.DocumentRef(collection=collection, id=id), create=struct({"fruit": id})) for id in ids]
    await db.batch_write_documents(cs.BatchWriteDocumentsRequest(writes=writes))

    page_size = 3
    listed: list[str] = []
    page_sizes: list[int] = []
    token = ""
    for _ in range(len(ids) + 1):
        page = await db.list_documents(cs.ListDocumentsRequest(collection=collection, page_size=page_size, page_token=token))
        page_sizes.append(len(page.documents))
        for document in page.documents:
            assert data(document) == {"fruit": document.id}
            listed.append(document.id)
        token = page.next_page_token
        if not token:
            break
    else:
        pytest.fail("listing did not end")

    assert listed == sorted(ids), "every document once, in id order"
    assert page_sizes == [3, 3, 1]

    forged = cs.ListDocumentsRequest(collection=collection, page_size=page_size, page_token="forged")
    await expect_code(db, db.list_documents, forged, "invalid_argument")
