"""The database option: the header each client and transport sends, and ids refused before anything is sent."""

from __future__ import annotations

import pytest

import impossibledb
from impossibledb._transport import ConnectTransport


def test_the_connect_client_sends_the_database_header() -> None:
    with impossibledb.Client("http://127.0.0.1:1", database="orders", headers={"authorization": "x"}) as client:
        assert client.database == "orders"
        transport = client._caller.transport
        assert isinstance(transport, ConnectTransport)
        assert transport._headers == {"authorization": "x", impossibledb.DATABASE_HEADER: "orders"}
    with impossibledb.Client("http://127.0.0.1:1") as plain:
        assert impossibledb.DATABASE_HEADER not in plain._caller.transport._headers  # type: ignore[attr-defined]


def test_the_grpc_transport_sends_the_database_metadata() -> None:
    transport = impossibledb.GrpcTransport("127.0.0.1:1", database="orders", metadata={"authorization": "x"})
    try:
        assert dict(transport._metadata) == {"authorization": "x", "impossibledb-database": "orders"}
    finally:
        transport.close()


@pytest.mark.parametrize("bad", ["", "Orders", "1db", "a_b", "a" * 64])
def test_ids_outside_the_grammar_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a database id"):
        impossibledb.Client("http://127.0.0.1:1", database=bad)


def test_database_goes_to_the_transport_when_one_is_given() -> None:
    with pytest.raises(ValueError, match="give database to the transport"):
        impossibledb.Client(database="orders", transport=impossibledb.GrpcTransport("127.0.0.1:1"))


def test_get_answers_none_for_a_missing_document_and_raises_for_a_missing_database(server, client) -> None:  # type: ignore[no-untyped-def]
    server.failures.append(impossibledb.NotFound("document users/nobody does not exist"))
    assert client.collection("users").document("nobody").get() is None
    server.failures.append(impossibledb.NotFound("database nope does not exist: create it with AdminService.CreateDatabase"))
    with pytest.raises(impossibledb.NotFound, match="database nope does not exist"):
        client.collection("users").document("nobody").get()


async def test_the_async_get_tells_them_apart_too(server, aclient) -> None:  # type: ignore[no-untyped-def]
    server.failures.append(impossibledb.NotFound("database was deleted: omit the impossibledb-database header"))
    with pytest.raises(impossibledb.NotFound, match="database was deleted"):
        await aclient.collection("users").document("nobody").get()
