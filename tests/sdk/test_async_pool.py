"""The async client's connection pool (pvectl/sdk/_core/transport.py) against a scripted HTTP/1.1 server:
keep-alive reuse and its limits, framing h11 handles (chunked bodies, 1xx, gzip through httpx), timeouts,
cancellation, and the fallback to httpcore's pool outside asyncio."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpcore
import httpx
import pytest

from pvectl.sdk._core.transport import AsyncPool, AsyncTransport

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"data":1}\n'

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@dataclass
class Script:
    url: str = ""
    opened: int = 0
    open_now: int = 0
    most_open: int = 0
    requests: list[bytes] = field(default_factory=list)


async def _head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


@asynccontextmanager
async def scripted(answer: Answer) -> AsyncIterator[Script]:
    """A loopback server calling ``answer(reader, writer, n)`` for the n-th request of each connection."""
    script = Script()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script.opened += 1
        script.open_now += 1
        script.most_open = max(script.most_open, script.open_now)
        try:
            n = 0
            while (head := await _head(reader)) is not None:
                script.requests.append(head)
                await answer(reader, writer, n)
                if writer.is_closing():
                    break
                await writer.drain()
                n += 1
        finally:
            script.open_now -= 1
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    script.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api2/json/version"
    async with server:
        yield script


async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
    writer.write(OK)


def client(max_connections: int = 10, keepalive_expiry: float = 4.0, **timeouts: float | None) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=max_connections, keepalive_expiry=keepalive_expiry)
    transport = AsyncTransport(limits=limits)
    timeout = httpx.Timeout(timeouts.pop("timeout", 5.0), **timeouts) if timeouts else httpx.Timeout(5.0)
    return httpx.AsyncClient(transport=transport, timeout=timeout)


async def test_kept_alive_connections_are_reused_and_bounded() -> None:
    async with scripted(ok) as script, client(max_connections=3) as http:
        for _ in range(5):
            assert (await http.get(script.url)).json() == {"data": 1}
        answers = await asyncio.gather(*(http.get(script.url) for _ in range(60)))
    assert all(a.status_code == 200 for a in answers)
    assert script.most_open <= 3 and script.opened <= 3
    assert len(script.requests) == 65


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    async def then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        writer.write(OK)  # keep-alive by HTTP/1.1 rules, then gone (a pveproxy worker's idle timeout)
        await writer.drain()
        writer.close()

    async with scripted(then_close) as script, client() as http:
        await http.get(script.url)
        await asyncio.sleep(0.05)  # the close arrives while the connection is idle
        assert (await http.get(script.url)).status_code == 200
    assert script.opened == 2


async def test_connection_close_and_expiry_end_reuse() -> None:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")

    async with scripted(closing) as script, client() as http:
        await http.get(script.url)
        await http.get(script.url)
    assert script.opened == 2
    async with scripted(ok) as script, client(keepalive_expiry=0.05) as http:
        await http.get(script.url)
        await asyncio.sleep(0.1)
        await http.get(script.url)
    assert script.opened == 2


async def test_informational_chunked_and_gzip_answers() -> None:
    packed = gzip.compress(b'{"data": [1, 2, 3]}')

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n")
        for part in (packed[:7], packed[7:]):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    async with scripted(chunked) as script, client() as http:
        first = await http.get(script.url)
        second = await http.post(script.url, content=b"vmid=100")
    assert first.json() == second.json() == {"data": [1, 2, 3]}
    assert first.reason_phrase == "OK" and first.http_version == "HTTP/1.1"
    assert script.opened == 1
    assert script.requests[1].startswith(b"POST /api2/json/version HTTP/1.1\r\n")


async def test_a_server_that_hangs_up_or_stalls_is_an_error_and_frees_the_slot() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        writer.close()

    async with scripted(hang_up) as script, client(max_connections=1) as http:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await http.get(script.url)

    stalled: list[int] = []

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        if not stalled:  # the first request only
            stalled.append(n)
            await asyncio.sleep(1.0)
        writer.write(OK)

    async with scripted(stall) as script, client(max_connections=1, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(script.url)
        assert (await http.get(script.url)).status_code == 200  # the slot came back, on a new connection
    assert script.opened == 2


async def test_cancelled_requests_give_their_connections_back() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await asyncio.sleep(0.3)
        writer.write(OK)

    async with scripted(slow) as script, client(max_connections=2) as http:
        tasks = [asyncio.ensure_future(http.get(script.url)) for _ in range(6)]
        await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        answers = await asyncio.wait_for(asyncio.gather(*(http.get(script.url) for _ in range(2))), 3)
    assert [a.status_code for a in answers] == [200, 200]


async def test_a_pool_timeout_is_honoured_when_given() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await asyncio.sleep(0.4)
        writer.write(OK)

    async with scripted(slow) as script, client(max_connections=1, pool=0.05) as http:
        first = asyncio.ensure_future(http.get(script.url))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await http.get(script.url)
        assert (await first).status_code == 200


async def test_the_limit_holds_across_origins() -> None:
    async with scripted(ok) as one, scripted(ok) as two, client(max_connections=1) as http:
        for url in (one.url, two.url, one.url):
            assert (await http.get(url)).status_code == 200
        await asyncio.sleep(0.05)
        assert one.open_now + two.open_now == 1  # the idle connection to the other origin was closed


def test_a_transport_outlives_its_event_loop() -> None:
    transport = AsyncTransport()

    async def one_get() -> int:
        async with scripted(ok) as script:
            http = httpx.AsyncClient(transport=transport)
            return (await http.get(script.url)).status_code

    assert asyncio.run(one_get()) == 200
    assert asyncio.run(one_get()) == 200  # a second asyncio.run: the first loop's connections are dropped


def test_outside_asyncio_the_fallback_pool_answers() -> None:
    class Fallback:
        def __init__(self) -> None:
            self.seen: list[httpcore.Request] = []

        async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
            self.seen.append(request)
            return httpcore.Response(204)

    fallback = Fallback()
    pool = AsyncPool(httpx.create_ssl_context(), httpx.Limits(), fallback=fallback)
    request = httpcore.Request("GET", "https://pve.example:8006/api2/json/version")
    # driven by hand, as another event loop (trio) would: no asyncio loop is running
    with pytest.raises(StopIteration) as done:
        pool.handle_async_request(request).send(None)
    assert done.value.value.status == 204 and fallback.seen == [request]
    with pytest.raises(RuntimeError, match="runs on asyncio"):
        AsyncPool(httpx.create_ssl_context(), httpx.Limits()).handle_async_request(request).send(None)
