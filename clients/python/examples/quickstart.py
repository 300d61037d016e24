"""Stores a document over Connect and reads it back over gRPC.

    PYTHONPATH=clients/python/gen clients/python/.venv/bin/python clients/python/examples/quickstart.py

IMPOSSIBLEDB_URL (default http://127.0.0.1:8787) is the Worker;
IMPOSSIBLEDB_GRPC_TARGET (default 127.0.0.1:8788) is the gRPC front door.
"""

import os

import grpc
from google.protobuf import struct_pb2

from impossibledb.v1.collection_service_connect import CollectionServiceClientSync
from impossibledb.v1.collection_service_pb2 import GetDocumentRequest, SetDocumentRequest
from impossibledb.v1.collection_service_pb2_grpc import CollectionServiceStub
from impossibledb.v1.document_pb2 import DocumentRef

url = os.environ.get("IMPOSSIBLEDB_URL", "http://127.0.0.1:8787")
grpc_target = os.environ.get("IMPOSSIBLEDB_GRPC_TARGET", "127.0.0.1:8788")
ref = DocumentRef(collection="users", id="user123")

# Connect (binary Protobuf, gzip), straight to the Worker. There is an async
# client too: CollectionServiceClient, with the same methods to await.
alice = struct_pb2.Struct()
alice.update({"name": "Alice", "email": "alice@example.com"})
with CollectionServiceClientSync(url, timeout_ms=10_000) as collections:
    stored = collections.set_document(SetDocumentRequest(ref=ref, data=alice))
print(f"stored users/user123 at version {stored.document.version} over Connect")

# gRPC (HTTP/2 without TLS), through the front door.
with grpc.insecure_channel(grpc_target) as channel:
    got = CollectionServiceStub(channel).GetDocument(GetDocumentRequest(ref=ref), timeout=10)
print(f"read {got.document.data['name']} back over gRPC")
