"""The generated stubs still work on their own, and agree with the client: raw connectrpc and grpcio calls."""

from __future__ import annotations

import os

import grpc
import pytest

import impossibledb
from impossibledb.errors import from_grpc_error
from impossibledb.v1 import collection_service_connect, collection_service_pb2_grpc
from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc
from helpers import auth_headers, data, grpc_channel, struct, unique_collection

TIMEOUT_S = 30


def test_a_document_written_by_the_client_reads_back_through_raw_stubs() -> None:
    collection = unique_collection("raw", "interop")
    with impossibledb.Client(os.environ["IMPOSSIBLEDB_URL"]) as client:
        written = client.collection(collection).document("alice").set({"name": "Alice", "age": 30})
    ref = doc.DocumentRef(collection=collection, id="alice")
    with collection_service_connect.CollectionServiceClientSync(os.environ["IMPOSSIBLEDB_URL"], timeout_ms=TIMEOUT_S * 1000) as raw:
        got = raw.get_document(cs.GetDocumentRequest(ref=ref), headers=auth_headers()).document
    assert (got.version, data(got)) == (written.version, {"name": "Alice", "age": 30})
    with grpc_channel() as channel:
        stub = collection_service_pb2_grpc.CollectionServiceStub(channel)
        got = stub.GetDocument(cs.GetDocumentRequest(ref=ref), timeout=TIMEOUT_S).document
        assert got.version == written.version
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetDocument(cs.GetDocumentRequest(ref=doc.DocumentRef(collection=collection, id="missing")), timeout=TIMEOUT_S)
        assert isinstance(from_grpc_error(raised.value), impossibledb.NotFound)


async def test_raw_async_connect_writes_and_the_client_reads() -> None:
    collection = unique_collection("raw", "async")
    ref = doc.DocumentRef(collection=collection, id="bob")
    async with collection_service_connect.CollectionServiceClient(os.environ["IMPOSSIBLEDB_URL"], timeout_ms=TIMEOUT_S * 1000) as raw:
        stored = (await raw.set_document(cs.SetDocumentRequest(ref=ref, data=struct({"name": "Bob"})), headers=auth_headers())).document
    async with impossibledb.AsyncClient(os.environ["IMPOSSIBLEDB_URL"]) as client:
        got = await client.collection(collection).document("bob").get()
    assert got is not None and got.version == stored.version and got.data == {"name": "Bob"}


def test_field_transforms_through_the_generated_messages() -> None:
    """Increments and a server timestamp sent as FieldTransform messages (docs/clients.md shows the same)."""
    collection = unique_collection("raw", "transforms")
    ref = doc.DocumentRef(collection=collection, id="counter")
    with impossibledb.Client(os.environ["IMPOSSIBLEDB_URL"]) as client:
        client.collection(collection).document("counter").set({"n": 1})
    increment = doc.FieldTransform(field_path="n")
    increment.increment.number_value = 2
    stamp = doc.FieldTransform(field_path="at")
    stamp.server_timestamp.SetInParent()
    request = cs.UpdateDocumentRequest(ref=ref, patch=doc.DocumentPatch(data=struct({})), transforms=[increment, stamp])
    with collection_service_connect.CollectionServiceClientSync(os.environ["IMPOSSIBLEDB_URL"], timeout_ms=TIMEOUT_S * 1000) as raw:
        answer = raw.update_document(request, headers=auth_headers())
    assert data(answer.document)["n"] == 3
    assert [r.WhichOneof("kind") for r in answer.transform_results] == ["number_value", "string_value"]
    assert answer.transform_results[1].string_value == data(answer.document)["at"]
    with grpc_channel() as channel:
        stub = collection_service_pb2_grpc.CollectionServiceStub(channel)
        assert data(stub.UpdateDocument(request, timeout=TIMEOUT_S).document)["n"] == 5
        masked = cs.UpdateDocumentRequest(ref=ref, patch=doc.DocumentPatch(data=struct({"n": 0}), update_mask=doc.DocumentMask(field_paths=["n"])), transforms=[increment])
        with pytest.raises(grpc.RpcError) as raised:
            stub.UpdateDocument(masked, timeout=TIMEOUT_S)
        assert isinstance(from_grpc_error(raised.value), impossibledb.InvalidArgument)
