"""The api_key option and IMPOSSIBLEDB_API_KEY become `authorization: Bearer <key>`."""

from __future__ import annotations

import pytest

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
