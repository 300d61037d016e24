"""Large documents through the gRPC front door with grpcio's default options.

grpcio refuses messages over 4 MiB by default (RESOURCE_EXHAUSTED), even
for a call that succeeded. Every answer must fit: writes of large documents
answer versions rather than echoing the documents, pages end early with a
token, and batch reads answer the refs that fit and name the rest.
"""

from __future__ import annotations

import os

import grpc
import pytest

from impossibledb.v1 import (
    collection_service_pb2 as cs,
    collection_service_pb2_grpc,
    document_pb2 as doc,
    query_pb2 as q,
    query_service_pb2 as qs,
    query_service_pb2_grpc,
    transaction_service_pb2 as ts,
    transaction_service_pb2_grpc,
)

import impossibledb
from helpers import data, grpc_channel, struct, unique_collection

CALL_TIMEOUT_S = 60
# About 1 MB of JSON each: under the 1 MiB document limit; six are 6 MB.
BLOB_CHARS = 1_000_000
BATCH_DOCS = 6


@pytest.fixture
def channel():
    # No options: grpcio's defaults, including its 4 MiB receive limit.
    with grpc_channel() as ch:
        yield ch


def big(n: int) -> dict:
    return {"n": n, "blob": str(n).ljust(BLOB_CHARS, "x")}


def ids(count: int) -> list[str]:
    return [f"d{i:02d}" for i in range(count)]


def set_writes(collection: str, names: list[str]) -> list[doc.Write]:
    return [doc.Write(ref=doc.DocumentRef(collection=collection, id=name), set=struct(big(int(name[1:])))) for name in names]


def write_big(collections, collection: str, count: int) -> list[str]:
    names = ids(count)
    for start in range(0, count, BATCH_DOCS):
        answer = collections.BatchWriteDocuments(
            cs.BatchWriteDocumentsRequest(writes=set_writes(collection, names[start : start + BATCH_DOCS])), timeout=CALL_TIMEOUT_S
        )
        assert all(status.code == 0 for status in answer.statuses)
    return names


def batch_get_all(collections, refs: list[doc.DocumentRef]) -> list[cs.BatchGetResult]:
    """Every ref's result, asking again for the refs an answer left unread."""
    results = []
    for _ in range(len(refs)):
        answer = collections.BatchGetDocuments(cs.BatchGetDocumentsRequest(refs=refs), timeout=CALL_TIMEOUT_S)
        assert len(answer.results) > 0
        results.extend(answer.results)
        refs = list(answer.unread_refs)
        if not refs:
            return results
    pytest.fail("BatchGetDocuments never finished")


def test_batch_write_of_six_1mb_documents_answers_ok_with_versions(channel) -> None:
    collections = collection_service_pb2_grpc.CollectionServiceStub(channel)
    collection = unique_collection("grpcio", "large_batch")
    names = ids(BATCH_DOCS)
    answer = collections.BatchWriteDocuments(cs.BatchWriteDocumentsRequest(writes=set_writes(collection, names)), timeout=CALL_TIMEOUT_S)
    assert [status.code for status in answer.statuses] == [0] * BATCH_DOCS
    assert [r.ref.id for r in answer.results] == names
    assert all(r.version > 0 and r.HasField("update_time") and not r.HasField("document") for r in answer.results)
    # Read back: the write happened, at the versions the answer gave.
    back = batch_get_all(collections, [doc.DocumentRef(collection=collection, id=name) for name in names])
    assert [r.document.version for r in back] == [r.version for r in answer.results]
    assert data(back[5].document)["blob"] == big(5)["blob"]


def test_commit_of_six_1mb_documents_answers_ok(channel) -> None:
    transactions = transaction_service_pb2_grpc.TransactionServiceStub(channel)
    collection = unique_collection("grpcio", "large_commit")
    begun = transactions.BeginTransaction(ts.BeginTransactionRequest(), timeout=CALL_TIMEOUT_S)
    committed = transactions.Commit(ts.CommitRequest(transaction=begun.transaction, writes=set_writes(collection, ids(BATCH_DOCS))), timeout=CALL_TIMEOUT_S)
    assert len(committed.results) == BATCH_DOCS and all(r.version > 0 for r in committed.results)
    batch = transactions.CommitBatch(ts.CommitBatchRequest(writes=set_writes(collection + "_b", ids(BATCH_DOCS))), timeout=CALL_TIMEOUT_S)
    assert len(batch.results) == BATCH_DOCS and all(r.version > 0 for r in batch.results)
    # Asking for the documents still answers within the limit.
    asked = transactions.CommitBatch(
        ts.CommitBatchRequest(writes=set_writes(collection + "_c", ids(BATCH_DOCS)), return_documents=True), timeout=CALL_TIMEOUT_S
    )
    assert asked.documents_omitted and asked.results[0].HasField("document")


def test_list_documents_pages_of_large_documents(channel) -> None:
    collections = collection_service_pb2_grpc.CollectionServiceStub(channel)
    collection = unique_collection("grpcio", "large_list")
    names = write_big(collections, collection, 10)
    seen, token, pages = [], "", 0
    while True:
        page = collections.ListDocuments(cs.ListDocumentsRequest(collection=collection, page_size=1000, page_token=token), timeout=CALL_TIMEOUT_S)
        pages += 1
        assert page.ByteSize() < 4 * 1024 * 1024
        seen.extend(d.id for d in page.documents)
        token = page.next_page_token
        if not token:
            break
    assert seen == names
    assert pages > 1


def test_run_query_pages_of_large_documents(channel) -> None:
    collections = collection_service_pb2_grpc.CollectionServiceStub(channel)
    queries = query_service_pb2_grpc.QueryServiceStub(channel)
    collection = unique_collection("grpcio", "large_query")
    names = write_big(collections, collection, 10)
    query = q.Query(collection=collection, filter="n >= 0", order_by=[q.Order(field="n")])
    seen, token = [], ""
    for _ in range(len(names)):
        page = queries.RunQuery(qs.RunQueryRequest(query=query, page_size=1000, page_token=token), timeout=CALL_TIMEOUT_S)
        assert page.ByteSize() < 4 * 1024 * 1024
        seen.extend(d.id for d in page.documents)
        token = page.next_page_token
        if not token:
            break
    assert seen == names


def test_batch_get_and_transaction_reads_of_many_large_documents(channel) -> None:
    collections = collection_service_pb2_grpc.CollectionServiceStub(channel)
    transactions = transaction_service_pb2_grpc.TransactionServiceStub(channel)
    collection = unique_collection("grpcio", "large_get")
    names = write_big(collections, collection, 12)
    refs = [doc.DocumentRef(collection=collection, id=name) for name in names]
    first = collections.BatchGetDocuments(cs.BatchGetDocumentsRequest(refs=refs), timeout=CALL_TIMEOUT_S)
    assert 0 < len(first.results) < len(refs)
    assert [r.id for r in first.unread_refs] == names[len(first.results) :]
    assert [r.ref.id for r in batch_get_all(collections, refs)] == names

    begun = transactions.BeginTransaction(ts.BeginTransactionRequest(), timeout=CALL_TIMEOUT_S)
    reads = transactions.GetDocuments(ts.GetDocumentsRequest(transaction=begun.transaction, refs=refs), timeout=CALL_TIMEOUT_S)
    assert 0 < len(reads.reads) < len(refs)
    assert [r.id for r in reads.unread_refs] == names[len(reads.reads) :]


def test_the_client_reads_many_large_documents_following_unread_refs(channel) -> None:
    collections = collection_service_pb2_grpc.CollectionServiceStub(channel)
    collection = unique_collection("client", "large_get")
    names = write_big(collections, collection, 12)
    with impossibledb.Client(os.environ["IMPOSSIBLEDB_URL"], timeout_ms=CALL_TIMEOUT_S * 1000) as client:
        got = client.collection(collection).get_many([*names, "missing"])
        assert [None if d is None else d.id for d in got] == [*names, None]
        assert got[11] is not None and got[11].data["blob"] == big(11)["blob"]
        tx = client.transaction()
        read = tx.get_many([client.document(collection, name) for name in names])
        assert [d.id for d in read if d is not None] == names
        assert len(tx.read_set()) == len(names), "every document read is in the read set"
        tx.rollback()
