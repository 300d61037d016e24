"""With auth required, a missing or wrong key is UNAUTHENTICATED on every way of calling, and the suite's key gets in.

The end-to-end harness runs this suite against a server that requires auth
(IMPOSSIBLEDB_AUTH=required) with a key in IMPOSSIBLEDB_API_KEY; against a
server with auth off (npm start) these cases skip, since nothing is refused.
"""

from __future__ import annotations

import os

import grpc
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError

import impossibledb
from impossibledb.v1 import collection_service_connect, collection_service_pb2_grpc
from impossibledb.v1 import collection_service_pb2 as cs
from impossibledb.v1 import document_pb2 as doc
from helpers import API_KEY_ENV, AUTH_ENV, auth_headers, grpc_channel, unique_collection

TIMEOUT_S = 30
# An API key's shape, never issued.
WRONG_KEY = "idb_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro"

pytestmark = pytest.mark.skipif(os.environ.get(AUTH_ENV) != "required", reason=f"{AUTH_ENV} is not 'required': the server does not require auth")

# None: no key at all (IMPOSSIBLEDB_API_KEY removed too, which the clients would read).
KEYS = {"no key": None, "wrong key": WRONG_KEY}


@pytest.fixture
def key(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    assert os.environ.get(API_KEY_ENV), f"{AUTH_ENV}=required but {API_KEY_ENV} is empty: the harness gives this suite a key"
    monkeypatch.delenv(API_KEY_ENV)
    value: str | None = request.param
    return value


def headers_for(key: str | None) -> dict[str, str]:
    return {} if key is None else {"authorization": f"Bearer {key}"}


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS), indirect=True)
def test_the_clients_are_unauthenticated_without_a_right_key(key: str | None) -> None:
    url = os.environ["IMPOSSIBLEDB_URL"]
    with impossibledb.Client(url, api_key=key, timeout_ms=TIMEOUT_S * 1000) as client, pytest.raises(impossibledb.Unauthenticated):
        client.collection("auth").document("x").get()
    with impossibledb.Client(transport=impossibledb.GrpcTransport(os.environ["IMPOSSIBLEDB_GRPC_TARGET"], api_key=key)) as over_grpc:
        with pytest.raises(impossibledb.Unauthenticated):
            over_grpc.collection("auth").document("x").set({"a": 1})


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS), indirect=True)
async def test_the_async_client_is_unauthenticated_without_a_right_key(key: str | None) -> None:
    async with impossibledb.AsyncClient(os.environ["IMPOSSIBLEDB_URL"], api_key=key) as client:
        with pytest.raises(impossibledb.Unauthenticated):
            await client.collection("auth").document("x").get()
    async with impossibledb.AsyncClient(transport=impossibledb.AsyncGrpcTransport(os.environ["IMPOSSIBLEDB_GRPC_TARGET"], api_key=key)) as over_grpc:
        with pytest.raises(impossibledb.Unauthenticated):
            await over_grpc.collection("auth").document("x").get()


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS), indirect=True)
def test_the_raw_stubs_are_unauthenticated_without_a_right_key(key: str | None) -> None:
    ref = doc.DocumentRef(collection="auth", id="x")
    with collection_service_connect.CollectionServiceClientSync(os.environ["IMPOSSIBLEDB_URL"], timeout_ms=TIMEOUT_S * 1000) as raw:
        with pytest.raises(ConnectError) as refused:
            raw.get_document(cs.GetDocumentRequest(ref=ref), headers=headers_for(key))
        assert refused.value.code == Code.UNAUTHENTICATED
    with grpc_channel(headers_for(key)) as channel:
        stub = collection_service_pb2_grpc.CollectionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as failed:
            stub.GetDocument(cs.GetDocumentRequest(ref=ref), timeout=TIMEOUT_S)
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_suites_key_gets_in() -> None:
    ref = doc.DocumentRef(collection=unique_collection("raw", "auth"), id="x")
    with collection_service_connect.CollectionServiceClientSync(os.environ["IMPOSSIBLEDB_URL"], timeout_ms=TIMEOUT_S * 1000) as raw:
        with pytest.raises(ConnectError) as missing:
            raw.get_document(cs.GetDocumentRequest(ref=ref), headers=auth_headers())
        assert missing.value.code == Code.NOT_FOUND
    with impossibledb.Client(os.environ["IMPOSSIBLEDB_URL"]) as client:
        assert client.collection(ref.collection).document("x").get() is None
