"""Arguments refused before anything is sent, each naming itself and what it may be: base URLs, integers bound for the wire, deadlines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

import impossibledb
from fake_server import FakeServer


@pytest.mark.parametrize("url", ["127.0.0.1:8787", "ftp://x", "localhost"])
@pytest.mark.parametrize("client_class", [impossibledb.Client, impossibledb.AsyncClient])
def test_a_base_url_without_http_or_https_is_refused_at_construction(client_class: Any, url: str) -> None:
    with pytest.raises(ValueError, match="must start with http:// or https://") as refused:
        client_class(url)
    assert repr(url) in str(refused.value) and "GrpcTransport" in str(refused.value)


@pytest.mark.parametrize("url", ["http://", "https://", "http:///", "http://:8787", "http:///path"])
@pytest.mark.parametrize("client_class", [impossibledb.Client, impossibledb.AsyncClient])
def test_a_base_url_without_a_host_says_so_naming_it_as_given(client_class: Any, url: str) -> None:
    # "http://" was refused as 'http:' (the trailing slashes stripped), and as if it lacked http://.
    with pytest.raises(ValueError) as refused:
        client_class(url)
    assert str(refused.value) == f"the URL {url!r} has no host: name the server, such as http://127.0.0.1:8787"


def test_a_base_url_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPOSSIBLEDB_URL", "db.example.com")
    with pytest.raises(ValueError, match="'db.example.com'"):
        impossibledb.Client()
    impossibledb.Client("https://db.example.com").close()


RANGES = {
    "limit": "from 0 to 2,147,483,647",
    "offset": "from 0 to 2,147,483,647",
    "page_size": "from 1 to 1,000",
    "if_version": "from 1 to 9,223,372,036,854,775,807",
}


def out_of_range_calls(client: impossibledb.Client) -> list[tuple[str, Callable[[], object]]]:
    """Every call that puts an int argument into a bounded field of the contract, with a value past the field."""
    users = client.collection("users")
    alice = users.document("alice")
    return [
        ("offset", lambda: users.query().offset(10**10)),
        ("limit", lambda: users.query().limit(2**31)),
        ("limit", lambda: users.limit(-1)),
        ("offset", lambda: users.offset(-1)),
        ("page_size", lambda: users.query().page(page_size=1_001)),
        ("page_size", lambda: users.query().page(page_size=0)),
        ("page_size", lambda: next(iter(users.query().stream(page_size=2**31)))),
        ("page_size", lambda: users.list(page_size=2**40)),
        ("if_version", lambda: alice.set({}, if_version=2**64)),
        ("if_version", lambda: alice.update({}, if_version=0)),
        ("if_version", lambda: alice.delete(if_version=-1)),
        ("if_version", lambda: client.batch().set("users/alice", {}, if_version=2**63)),
        ("if_version", lambda: client.transaction().delete("users/alice", if_version=2**64)),
    ]


def test_integers_past_their_wire_field_raise_value_error_naming_the_argument_and_its_range(client: impossibledb.Client, server: FakeServer) -> None:
    for name, call in out_of_range_calls(client):
        with pytest.raises(ValueError, match=rf"^{name}\b.* must be an int {RANGES[name]}, got ") as refused:
            call()
        assert not isinstance(refused.value, impossibledb.ImpossibleDBError), name
    assert server.calls == [], "nothing is sent"
    with pytest.raises(TypeError, match=r"limit must be an int from 0"):
        client.collection("users").limit(2.5)  # type: ignore[arg-type]


def test_timeout_ms_of_zero_is_refused_like_any_other_deadline_that_is_not_positive(client: impossibledb.Client, server: FakeServer) -> None:
    alice = client.collection("users").document("alice")
    for call in (
        lambda: alice.get(timeout_ms=0),
        lambda: alice.get(timeout_ms=-5),
        lambda: client.batch().set("users/a", {}).commit(timeout_ms=0),
        lambda: client.batch().set("users/a", {}).commit_nonatomic(timeout_ms=0),
        lambda: client.transaction().set("users/a", {}).commit(timeout_ms=0),
        lambda: impossibledb.Client("http://fake", transport=server, timeout_ms=0),
        lambda: alice.get(timeout_ms=10**10),
    ):
        with pytest.raises(ValueError, match=re.escape("timeout_ms must be an int from 1 to 9,999,999,999")):
            call()
    assert server.calls == []
    # How long a transaction may stay open: from the server's 100 ms (a shorter one expires before
    # its commit) to the contract's 60 s, checked where it is given.
    for timeout_ms in (0, 99, 60_001):
        with pytest.raises(ValueError, match=re.escape("timeout_ms (how long the transaction may stay open) must be an int from 100 to 60,000")):
            client.transaction(timeout_ms=timeout_ms)
        with pytest.raises(ValueError, match="transaction may stay open"):
            client.run_transaction(lambda tx: None, timeout_ms=timeout_ms)


async def test_the_async_client_checks_the_same(aclient: impossibledb.AsyncClient, server: FakeServer) -> None:
    users = aclient.collection("users")
    with pytest.raises(ValueError, match="^offset must be an int from 0 to 2,147,483,647"):
        users.offset(10**10)
    with pytest.raises(ValueError, match="^page_size must be"):
        await users.list(page_size=0)
    with pytest.raises(ValueError, match="^if_version"):
        await users.document("a").set({}, if_version=2**64)
    with pytest.raises(ValueError, match="^timeout_ms must be"):
        await users.document("a").get(timeout_ms=0)
    assert server.calls == []
