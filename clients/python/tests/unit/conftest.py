"""Unit tests: the client against an in-memory server (fake_server.py); no network, no environment needed."""

from __future__ import annotations

import pytest

import impossibledb
from fake_server import AsyncFakeServer, FakeServer

# Backoff of zero: retries happen at once, so the tests take no time.
NO_WAIT = impossibledb.RetryPolicy(random=lambda: 0.0)


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server: FakeServer) -> impossibledb.Client:
    return impossibledb.Client("http://fake", transport=server, retry=NO_WAIT)


@pytest.fixture
def aclient(server: FakeServer) -> impossibledb.AsyncClient:
    return impossibledb.AsyncClient("http://fake", transport=AsyncFakeServer(server), retry=NO_WAIT)
