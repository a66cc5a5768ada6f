"""The connection pool: bounded, kept alive, shared by concurrent calls; a queued request does not time out
while it waits for a connection; one version check per client however many calls start at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, TransportError
from pvectl.sdk._core.base import DEFAULT_MAX_CONNECTIONS
from tests.conftest import TOKEN
from tests.sdk._counting_server import Counts, counting_server


@pytest.fixture
def server() -> Iterator[Counts]:
    with counting_server() as counts:
        yield counts


async def _gather_nodes(client: AsyncProxmoxClient, n: int) -> list[object]:
    return list(await asyncio.gather(*(client.nodes.list() for _ in range(n))))


@pytest.mark.parametrize("size", [None, 3])
async def test_a_gather_of_200_never_opens_more_than_the_pool(server: Counts, size: int | None) -> None:
    kwargs = {} if size is None else {"max_connections": size}
    async with AsyncProxmoxClient(server.base_url, token=TOKEN, **kwargs) as client:  # type: ignore[arg-type]
        results = await _gather_nodes(client, 200)
    limit = size or DEFAULT_MAX_CONNECTIONS
    assert len(results) == 200 and all(r[0].node == "pve1" for r in results)  # type: ignore[index]
    assert server.paths["GET /nodes"] == 200
    assert server.most_open <= limit
    assert server.opened <= limit  # kept alive: no connection was opened twice


def test_threads_share_the_sync_pool(server: Counts) -> None:
    with ProxmoxClient(server.base_url, token=TOKEN, max_connections=4) as client, ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda _: client.nodes.list(), range(200)))
    assert len(results) == 200
    assert server.most_open <= 4 and server.opened <= 4
    assert server.paths["GET /nodes"] == 200  # none lost and retried (httpcore's sync pool race, see pool.py)
    assert server.paths["GET /version"] == 1


def test_sequential_calls_reuse_one_connection(server: Counts) -> None:
    with ProxmoxClient(server.base_url, token=TOKEN) as client:
        for _ in range(20):
            client.nodes.list()
    assert server.opened == 1


async def test_waiting_for_a_connection_is_not_the_request_timeout(server: Counts) -> None:
    # each answer takes 0.15 s, well within the 0.5 s timeout; 20 calls over 2 connections queue for ~1.5 s
    server.delay = 0.15
    async with AsyncProxmoxClient(
        server.base_url, token=TOKEN, server_version="9.1.3", max_connections=2, timeout=0.5, retries=0
    ) as client:
        results = await _gather_nodes(client, 20)
    assert len(results) == 20
    assert server.most_open <= 2


def test_waiting_for_a_connection_is_not_the_request_timeout_sync(server: Counts) -> None:
    server.delay = 0.15
    with (
        ProxmoxClient(
            server.base_url, token=TOKEN, server_version="9.1.3", max_connections=2, timeout=0.5, retries=0
        ) as client,
        ThreadPoolExecutor(20) as pool,
    ):
        results = list(pool.map(lambda _: client.nodes.list(), range(20)))
    assert len(results) == 20


async def test_a_request_slower_than_its_timeout_still_times_out(server: Counts) -> None:
    server.delay = 0.6
    async with AsyncProxmoxClient(
        server.base_url, token=TOKEN, server_version="9.1.3", timeout=0.2, retries=0
    ) as client:
        with pytest.raises(TransportError, match=r"no answer within the request timeout of 0\.2 s"):
            await client.nodes.list()


# -- one version check ----------------------------------------------------------------------------------


async def test_fifty_cold_concurrent_calls_send_one_version_request(server: Counts) -> None:
    async with AsyncProxmoxClient(server.base_url, token=TOKEN) as client:
        await _gather_nodes(client, 50)
        assert server.paths["GET /version"] == 1
        version = await client.version()
        assert version.version == "9.1.3"
        assert (await client.version()).release == "9.1"
    assert server.paths["GET /version"] == 1
    assert server.paths["GET /nodes"] == 50


async def test_concurrent_version_calls_share_one_request(server: Counts) -> None:
    async with AsyncProxmoxClient(server.base_url, token=TOKEN) as client:
        answers = await asyncio.gather(*(client.version() for _ in range(30)))
    assert {a.version for a in answers} == {"9.1.3"}
    assert server.paths["GET /version"] == 1


def test_sync_version_is_cached(server: Counts) -> None:
    with ProxmoxClient(server.base_url, token=TOKEN) as client:
        assert client.version().version == "9.1.3"
        client.nodes.list()
        assert client.version().release == "9.1"
    assert server.paths["GET /version"] == 1


def test_a_given_server_version_skips_the_check_but_version_still_asks_once(server: Counts) -> None:
    with ProxmoxClient(server.base_url, token=TOKEN, server_version="9.1.3") as client:
        client.nodes.list()
        assert server.paths["GET /version"] == 0
        client.version()
        client.version()
    assert server.paths["GET /version"] == 1
