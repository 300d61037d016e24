"""The sync and asyncio clients have the same shape: same classes, same public methods, awaited where they send."""

from __future__ import annotations

import inspect

import pytest

import impossibledb

TWINS = [
    (impossibledb.Client, impossibledb.AsyncClient),
    (impossibledb.Collection, impossibledb.AsyncCollection),
    (impossibledb.DocumentReference, impossibledb.AsyncDocumentReference),
    (impossibledb.Query, impossibledb.AsyncQuery),
    (impossibledb.Transaction, impossibledb.AsyncTransaction),
    (impossibledb.WriteBatch, impossibledb.AsyncWriteBatch),
]


def public_methods(cls: type) -> dict[str, object]:
    return {name: member for name, member in inspect.getmembers(cls) if not name.startswith("_") and callable(member)}


@pytest.mark.parametrize(("sync", "asynchronous"), TWINS, ids=[s.__name__ for s, _ in TWINS])
def test_the_same_methods_with_the_same_parameters(sync: type, asynchronous: type) -> None:
    sync_methods, async_methods = public_methods(sync), public_methods(asynchronous)
    assert sorted(sync_methods) == sorted(async_methods)
    for name, method in sync_methods.items():
        assert list(inspect.signature(method).parameters) == list(inspect.signature(async_methods[name]).parameters), name  # type: ignore[arg-type]


# The methods that send something, and so are awaited in the asyncio client; every other method builds.
SENDING = {
    impossibledb.AsyncClient: {"close", "run_transaction"},
    impossibledb.AsyncCollection: {"get_many", "list", "list_all", "listen"},
    impossibledb.AsyncDocumentReference: {"get", "set", "create", "update", "delete", "listen"},
    impossibledb.AsyncQuery: {"page", "stream", "get", "aggregate", "listen"},
    impossibledb.AsyncTransaction: {"get", "get_many", "commit", "rollback"},
    impossibledb.AsyncWriteBatch: {"commit", "commit_nonatomic"},
}


@pytest.mark.parametrize(("sync", "asynchronous"), TWINS, ids=[s.__name__ for s, _ in TWINS])
def test_what_sends_is_awaited_and_nothing_else(sync: type, asynchronous: type) -> None:
    awaited = {
        name
        for name, method in public_methods(asynchronous).items()
        if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
    }
    assert awaited == SENDING[asynchronous]
    for name, method in public_methods(sync).items():
        assert not inspect.iscoroutinefunction(method) and not inspect.isasyncgenfunction(method), name
