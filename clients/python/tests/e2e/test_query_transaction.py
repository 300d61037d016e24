"""The seed document's query and transaction, through every Python client."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from google.protobuf import empty_pb2, struct_pb2

from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc
from impossibledb.v1 import query_pb2 as q
from impossibledb.v1 import query_service_pb2 as qs
from impossibledb.v1 import transaction_service_pb2 as ts

from conftest import Api
from helpers import data, struct, unique_collection

USER_COUNT = 60


@dataclass(frozen=True)
class User:
    """One document of the query scenario, kept as plain data so the expected
    answer is computed from the same definition the server stores."""

    id: str
    last_name: str
    age: int
    status: str


def query_users() -> list[User]:
    # Last names run against ids, so sorting by lastName is not id order.
    return [
        User(id=f"u{i:02d}", last_name=f"Name{USER_COUNT - 1 - i:02d}", age=15 + i, status="inactive" if i % 4 == 3 else "active")
        for i in range(USER_COUNT)
    ]


def field_filter(field: str, op: q.FieldFilter.Operator, value: struct_pb2.Value) -> q.Filter:
    return q.Filter(field_filter=q.FieldFilter(field=field, op=op, value=value))


async def test_query(db: Api) -> None:
    """age > 21 and status == active, sorted by lastName, skipping 20 and
    returning at most 10, a page at a time."""
    collection = unique_collection(db.name, "query")
    users = query_users()
    writes = [
        doc.Write(ref=doc.DocumentRef(collection=collection, id=u.id), set=struct({"lastName": u.last_name, "age": u.age, "status": u.status}))
        for u in users
    ]
    await db.batch_write_documents(cs.BatchWriteDocumentsRequest(writes=writes))

    offset, limit, page_size = 20, 10, 4
    matching = sorted((u for u in users if u.age > 21 and u.status == "active"), key=lambda u: u.last_name)
    want = [u.id for u in matching[offset : offset + limit]]
    assert len(want) == limit, "the scenario's data must make the limit bite"

    query = q.Query(
        collection=collection,
        where=q.Filter(
            composite_filter=q.CompositeFilter(
                op=q.CompositeFilter.OPERATOR_AND,
                filters=[
                    field_filter("age", q.FieldFilter.OPERATOR_GREATER_THAN, struct_pb2.Value(number_value=21)),
                    field_filter("status", q.FieldFilter.OPERATOR_EQUAL, struct_pb2.Value(string_value="active")),
                ],
            )
        ),
        order_by=[q.Order(field="lastName", direction=q.Order.DIRECTION_ASCENDING)],
        limit=limit,
        offset=offset,
    )
    got: list[str] = []
    token = ""
    for _ in range(limit + 1):
        page = await db.run_query(qs.RunQueryRequest(query=query, page_size=page_size, page_token=token))
        assert len(page.documents) <= page_size
        got.extend(document.id for document in page.documents)
        token = page.next_page_token
        if not token:
            break
    else:
        pytest.fail("query did not end")
    assert got == want


async def test_transaction(db: Api) -> None:
    """Read a user, write an order, delete a cart, all or nothing; then a
    transaction that must abort because a document it read changed."""
    user = doc.DocumentRef(collection=unique_collection(db.name, "users"), id="user123")
    order = doc.DocumentRef(collection=unique_collection(db.name, "orders"), id="order456")
    cart = doc.DocumentRef(collection=unique_collection(db.name, "carts"), id="cart789")
    for ref in (user, cart):
        await db.set_document(cs.SetDocumentRequest(ref=ref, data=struct({"owner": "alice"})))

    begun = await db.begin_transaction(ts.BeginTransactionRequest())
    assert begun.transaction and begun.HasField("expire_time")
    reads = (await db.get_documents(ts.GetDocumentsRequest(transaction=begun.transaction, refs=[user, order]))).reads
    assert [r.ref.id for r in reads] == ["user123", "order456"]
    assert reads[0].version > 0 and data(reads[0].document) == {"owner": "alice"}
    assert reads[1].version == 0 and not reads[1].HasField("document")

    widget = {"product": "Widget", "quantity": 5}
    committed = await db.commit(
        ts.CommitRequest(
            transaction=begun.transaction,
            reads=read_set(reads),
            writes=[doc.Write(ref=order, set=struct(widget)), doc.Write(ref=cart, delete=empty_pb2.Empty())],
        )
    )
    assert len(committed.results) == 2 and committed.HasField("commit_time")
    assert data((await db.get_document(cs.GetDocumentRequest(ref=order))).document) == widget
    with pytest.raises(Exception) as raised:
        await db.get_document(cs.GetDocumentRequest(ref=cart))
    assert db.code(raised.value) == "not_found"

    # A write between the read and the commit aborts the commit, and none of
    # its writes is applied.
    second = await db.begin_transaction(ts.BeginTransactionRequest())
    second_reads = (await db.get_documents(ts.GetDocumentsRequest(transaction=second.transaction, refs=[user]))).reads
    await db.set_document(cs.SetDocumentRequest(ref=user, data=struct({"owner": "bob"})))
    with pytest.raises(Exception) as raised:
        await db.commit(
            ts.CommitRequest(
                transaction=second.transaction,
                reads=read_set(second_reads),
                writes=[doc.Write(ref=order, set=struct({"product": "Gadget"}))],
            )
        )
    assert db.code(raised.value) == "aborted"
    assert data((await db.get_document(cs.GetDocumentRequest(ref=order))).document) == widget


async def test_transaction_read_twice(db: Api) -> None:
    """A transaction that read a document, saw another client change it, and
    read it again sends both versions; Commit aborts instead of applying a
    write computed from the first read (the lost update)."""
    account = doc.DocumentRef(collection=unique_collection(db.name, "accounts"), id="a")
    await db.set_document(cs.SetDocumentRequest(ref=account, data=struct({"balance": 100})))
    begun = await db.begin_transaction(ts.BeginTransactionRequest())
    first = (await db.get_documents(ts.GetDocumentsRequest(transaction=begun.transaction, refs=[account]))).reads
    await db.set_document(cs.SetDocumentRequest(ref=account, data=struct({"balance": 50})))
    again = (await db.get_documents(ts.GetDocumentsRequest(transaction=begun.transaction, refs=[account]))).reads
    assert data(first[0].document) == {"balance": 100} and data(again[0].document) == {"balance": 50}
    assert first[0].version != again[0].version
    with pytest.raises(Exception) as raised:
        await db.commit(
            ts.CommitRequest(
                transaction=begun.transaction,
                reads=read_set(first, again),
                writes=[doc.Write(ref=account, set=struct({"balance": 90}))],
            )
        )
    assert db.code(raised.value) == "aborted"
    assert data((await db.get_document(cs.GetDocumentRequest(ref=account))).document) == {"balance": 50}


def read_set(*responses):
    """The versions a transaction read, as Commit validates them: a
    transaction sends back every version it read, from every GetDocuments
    call (a document read twice at two versions goes in twice)."""
    return [ts.ReadVersion(ref=r.ref, version=r.version) for reads in responses for r in reads]
