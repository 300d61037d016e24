"""The api_key option and IMPOSSIBLEDB_API_KEY become `authorization: Bearer <key>`."""

from __future__ import annotations

import pytest

import impossibledb

from impossibledb.client import auth_headers
from impossibledb.grpc_transport import _with_api_key


def test_api_key_becomes_a_bearer_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPOSSIBLEDB_API_KEY", raising=False)
    assert auth_headers("idb_k", None) == {"authorization": "Bearer idb_k"}
    assert auth_headers(None, {"x": "1"}) == {"x": "1"}


def test_the_environment_supplies_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPOSSIBLEDB_API_KEY", "from-env")
    assert auth_headers(None, None) == {"authorization": "Bearer from-env"}
    assert auth_headers("given", None) == {"authorization": "Bearer given"}


def test_an_explicit_authorization_header_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPOSSIBLEDB_API_KEY", raising=False)
    assert auth_headers("k", {"Authorization": "Bearer other"}) == {"Authorization": "Bearer other"}


def test_grpc_metadata_is_lower_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPOSSIBLEDB_API_KEY", raising=False)
    assert _with_api_key("k", {"X-Trace": "t"}) == {"authorization": "Bearer k", "x-trace": "t"}


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("s3cr\n", "a newline at index 4"),
        ("s3cr\r\nX-Evil: 1", "a carriage return at index 4"),
        ("s3c r", "a space at index 3"),
        ("s3cr\tk", "a tab at index 4"),
        ("s3crk\x00", "the control character 0x00 at index 5"),
        ("s3cré", "a non-ASCII character at index 4"),
    ],
)
def test_an_api_key_a_header_cannot_carry_is_refused_at_construction_without_showing_it(key: str, why: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPOSSIBLEDB_API_KEY", raising=False)
    for make in (
        lambda: impossibledb.Client("http://127.0.0.1:1", api_key=key),
        lambda: impossibledb.AsyncClient("http://127.0.0.1:1", api_key=key),
        lambda: impossibledb.GrpcTransport("127.0.0.1:1", api_key=key),
    ):
        with pytest.raises(ValueError) as refused:
            make()
        assert str(refused.value).startswith(f"api_key holds {why}, which an authorization header cannot carry")
        assert "s3c" not in str(refused.value)
    if "\x00" in key:
        return  # An environment variable cannot hold a null byte.
    monkeypatch.setenv("IMPOSSIBLEDB_API_KEY", key)
    with pytest.raises(ValueError, match=f"^IMPOSSIBLEDB_API_KEY holds {why}"):
        impossibledb.Client("http://127.0.0.1:1")


def test_an_api_key_of_visible_ascii_is_taken() -> None:
    assert auth_headers("idb_AZaz09-._~+/=", None) == {"authorization": "Bearer idb_AZaz09-._~+/="}
