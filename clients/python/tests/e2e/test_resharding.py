"""Live resharding from Python: a fresh database is grown from 8 to 10
shards with the generated AdminService client (connectrpc), GetResharding is
polled to phase DONE, and every document written before is read back with
its version; a second StartResharding to the same count is
FAILED_PRECONDITION, and GetResharding answers the same over gRPC (grpcio,
through the front door)."""

from __future__ import annotations

import os
import time

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError

import impossibledb
from impossibledb.v1 import admin_service_connect, admin_service_pb2_grpc
from impossibledb.v1 import admin_service_pb2 as admin
from helpers import auth_headers, grpc_channel, wait_for_resharding

TIMEOUT_MS = 30_000
# Written before the resharding, so it has documents to move.
DOCUMENTS = 300


def test_resharding_a_fresh_database_keeps_every_document() -> None:
    url = os.environ["IMPOSSIBLEDB_URL"]
    database = f"py-{time.time_ns()}-rs"
    in_database = {**auth_headers(), impossibledb.DATABASE_HEADER: database}
    with admin_service_connect.AdminServiceClientSync(url, timeout_ms=TIMEOUT_MS) as raw:
        raw.create_database(admin.CreateDatabaseRequest(database_id=database), headers=auth_headers())
        try:
            with impossibledb.Client(url, database=database) as db:
                batch = db.batch()
                for i in range(DOCUMENTS):
                    batch.set(f"docs/d{i:04d}", {"i": i})
                versions = {w.id: w.version for w in batch.commit()}
                assert len(versions) == DOCUMENTS

                started = raw.start_resharding(admin.StartReshardingRequest(shard_count=10), headers=in_database).resharding
                assert (started.state, started.source_shard_count, started.target_shard_count) == (admin.Resharding.STATE_RUNNING, 8, 10)
                done = wait_for_resharding(raw, in_database, started.id)
                assert done.state == admin.Resharding.STATE_SUCCEEDED, list(done.errors)
                assert done.target_routing_version == started.source_routing_version + 1
                assert done.HasField("end_time")

                shards = raw.list_shards(admin.ListShardsRequest(), headers=in_database)
                assert (len(shards.shards), shards.routing_version) == (10, done.target_routing_version)
                read = db.collection("docs").get_many(sorted(versions))
                assert all(doc is not None for doc in read)
                assert {doc.id: doc.version for doc in read if doc is not None} == versions

                with pytest.raises(ConnectError) as same:
                    raw.start_resharding(admin.StartReshardingRequest(shard_count=10), headers=in_database)
                assert same.value.code == Code.FAILED_PRECONDITION
                assert "already has 10 shards" in same.value.message

            with grpc_channel(in_database) as channel:
                over_grpc = admin_service_pb2_grpc.AdminServiceStub(channel).GetResharding(admin.GetReshardingRequest(), timeout=TIMEOUT_MS / 1000)
            assert over_grpc.resharding.id == started.id
            assert over_grpc.resharding.state == admin.Resharding.STATE_SUCCEEDED
            assert over_grpc.HasField("advice")
        finally:
            raw.delete_database(admin.DeleteDatabaseRequest(name=f"databases/{database}"), headers=auth_headers())
