"""Databases through both Python clients: a second database (and a third)
created with the raw admin stub, the same document id written in each, over
Connect (Client(database=...)) and gRPC (GrpcTransport(database=...)), and
each client sees only its own; a deleted database answers NOT_FOUND."""

from __future__ import annotations

import os
import time

import pytest

import impossibledb
from impossibledb.v1 import admin_service_connect
from impossibledb.v1 import admin_service_pb2 as admin
from helpers import auth_headers

TIMEOUT_MS = 30_000


def test_two_databases_never_see_each_others_documents() -> None:
    url, target = os.environ["IMPOSSIBLEDB_URL"], os.environ["IMPOSSIBLEDB_GRPC_TARGET"]
    run = time.time_ns()
    first, second = f"py-{run}-a", f"py-{run}-b"
    with admin_service_connect.AdminServiceClientSync(url, timeout_ms=TIMEOUT_MS) as raw:
        for database in (first, second):
            created = raw.create_database(admin.CreateDatabaseRequest(database_id=database), headers=auth_headers()).database
            assert created.name == f"databases/{database}"
        try:
            with impossibledb.Client(url, database=first) as in_first, impossibledb.Client(url, database=second) as in_second:
                in_first.collection("users").document("shared").set({"db": first})
                got = in_first.collection("users").document("shared").get()
                assert got is not None and got.data == {"db": first}
                assert in_second.collection("users").document("shared").get() is None
            # A database that does not exist is not a missing document: get raises.
            with impossibledb.Client(url, database=f"py-{run}-none") as nowhere, pytest.raises(impossibledb.NotFound, match="does not exist"):
                nowhere.collection("users").document("shared").get()
            grpc_first = impossibledb.Client(transport=impossibledb.GrpcTransport(target, database=first))
            grpc_second = impossibledb.Client(transport=impossibledb.GrpcTransport(target, database=second))
            with grpc_first, grpc_second:
                got = grpc_first.collection("users").document("shared").get()
                assert got is not None and got.data == {"db": first}
                assert grpc_second.collection("users").document("shared").get() is None

            raw.delete_database(admin.DeleteDatabaseRequest(name=f"databases/{first}"), headers=auth_headers())
            with impossibledb.Client(url, database=first) as gone, pytest.raises(impossibledb.NotFound):
                gone.collection("users").document("shared").set({"db": "again"})
        finally:
            for database in (first, second):
                try:
                    raw.delete_database(admin.DeleteDatabaseRequest(name=f"databases/{database}"), headers=auth_headers())
                except Exception:  # Already deleted above.
                    pass
