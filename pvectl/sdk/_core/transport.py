"""The async client's transport: httpx's ``AsyncHTTPTransport`` with a lean connection pool on asyncio.

httpx's default async pool (httpcore on anyio) costs about 4 ms of client CPU per GET in a ``gather`` of
300 (tests/bench/bench_pool.py, profiled): every queued request re-scans the whole queue and every
connection whenever a connection frees up (quadratic in the queue), each scan asks anyio's TLS stream for
its extra attributes (a dict of lambdas built per call), and each request retries ``import sniffio``, a
failing import when sniffio is not installed. Here a semaphore holds the queue (first come, first served),
idle connections wait in a list, and each connection is an ``asyncio.Protocol`` whose bytes go straight
into h11, the HTTP/1.1 parser httpcore itself uses. Everything else stays httpx's: the request and response
objects, proxies from the environment (mounted by the client), and the exception classes (this pool raises
httpcore's, which ``AsyncHTTPTransport`` maps to httpx's as for its own pool).

Semantics kept from httpcore: at most ``max_connections`` connections, idle ones kept alive up to
``keepalive_expiry`` seconds and ``max_keepalive_connections``; ``connect`` bounds the TCP connect plus
the TLS handshake, ``write`` each send, ``read`` each wait for bytes; ``pool`` (None in pvectl's clients)
bounds the wait for a connection. A fingerprint pin is checked between the handshake and the first byte
of HTTP. Answers are read whole before they are returned (PVE's are JSON documents).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import h11
import httpcore
import httpx

Origin = tuple[bytes, bytes, int]
_READ_SIZE = 65536


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: asyncio delivers bytes, h11 frames them, a future wakes the reader."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> None:
        self.loop = loop
        self.origin = origin
        self.h11 = h11.Connection(our_role=h11.CLIENT)
        self.transport: asyncio.Transport | None = None
        self.idle_since = 0.0
        self._chunks: list[bytes] = []
        self._eof = False
        self._lost: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._can_write: asyncio.Future[None] | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._wake(self._waiter)

    def eof_received(self) -> bool:
        self._eof = True
        self._wake(self._waiter)
        return False  # close our side too: HTTP/1.1 has no half-closed connections to keep

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._lost = exc
        self._wake(self._waiter)
        self._wake(self._can_write)

    def pause_writing(self) -> None:
        self._can_write = self.loop.create_future()

    def resume_writing(self) -> None:
        self._wake(self._can_write)
        self._can_write = None

    @staticmethod
    def _wake(future: asyncio.Future[None] | None) -> None:
        if future is not None and not future.done():
            future.set_result(None)

    # -- state ----------------------------------------------------------------------------------------------

    def usable(self, now: float, expiry: float | None) -> bool:
        """Fit for the next request: open, nothing unasked-for arrived, not idle past ``expiry``."""
        if self._eof or self._chunks or self.transport is None or self.transport.is_closing():
            return False
        return expiry is None or now - self.idle_since < expiry

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- IO ---------------------------------------------------------------------------------------------------

    async def _wait(self, future: asyncio.Future[None], timeout: float | None, error: type[Exception]) -> None:
        handle = None
        if timeout is not None:
            handle = self.loop.call_later(timeout, _expire, future, error)
        try:
            await future
        finally:
            if handle is not None:
                handle.cancel()

    async def _write(self, data: bytes, timeout: float | None) -> None:
        if self._lost is not None or self.transport is None or self.transport.is_closing():
            raise httpcore.WriteError(str(self._lost or "connection closed"))
        self.transport.write(data)
        if self._can_write is not None:
            await self._wait(self._can_write, timeout, httpcore.WriteTimeout)
            if self._lost is not None:
                raise httpcore.WriteError(str(self._lost))

    async def _read(self, timeout: float | None) -> bytes:
        if not self._chunks and not self._eof:
            self._waiter = self.loop.create_future()
            try:
                await self._wait(self._waiter, timeout, httpcore.ReadTimeout)
            finally:
                self._waiter = None
        if self._chunks:
            data = b"".join(self._chunks)
            self._chunks.clear()
            return data
        if self._lost is not None:
            raise httpcore.ReadError(str(self._lost) or type(self._lost).__name__)
        return b""  # the server closed the connection: h11 decides whether the answer was complete

    async def exchange(self, request: httpcore.Request, timeouts: dict[str, float | None]) -> httpcore.Response:
        """Send ``request`` and read its whole answer; afterwards ``reusable`` says if the connection is."""
        conn = self.h11
        try:
            head = conn.send(h11.Request(method=request.method, target=request.url.target, headers=request.headers))
            parts = [head or b""]
            async for chunk in request.stream:  # type: ignore[union-attr]
                parts.append(conn.send(h11.Data(data=chunk)) or b"")
            parts.append(conn.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as exc:
            raise httpcore.LocalProtocolError(str(exc)) from exc
        await self._write(b"".join(parts), timeouts.get("write"))
        read_timeout = timeouts.get("read")
        try:
            event = await self._next(read_timeout)
            while isinstance(event, h11.InformationalResponse):  # 1xx: the real answer follows
                event = await self._next(read_timeout)
            if not isinstance(event, h11.Response):
                raise httpcore.RemoteProtocolError("Server disconnected without sending a response.")
            body: list[bytes] = []
            while True:
                part = await self._next(read_timeout)
                if isinstance(part, h11.Data):
                    body.append(bytes(part.data))
                elif isinstance(part, h11.EndOfMessage):
                    break
                else:
                    raise httpcore.RemoteProtocolError("Server disconnected while sending the response body.")
        except h11.RemoteProtocolError as exc:
            raise httpcore.RemoteProtocolError(str(exc)) from exc
        return httpcore.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            content=b"".join(body),
            extensions={"http_version": b"HTTP/" + event.http_version, "reason_phrase": bytes(event.reason)},
        )

    async def _next(self, timeout: float | None) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self._read(timeout)
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                # as httpcore words it: a kept-alive connection the server closed just as we sent
                raise httpcore.RemoteProtocolError("Server disconnected without sending a response.")
            self.h11.receive_data(data)

    def reusable(self) -> bool:
        """After a whole exchange: both sides done and neither asked to close -> ready for the next one."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False


def _expire(future: asyncio.Future[None], error: type[Exception]) -> None:
    if not future.done():
        future.set_exception(error("timed out"))


class AsyncPool:
    """httpcore's async pool interface (``handle_async_request``, ``aclose``) on asyncio and h11."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        pin: bytes | None = None,
        fallback: Any = None,
    ) -> None:
        self._ssl_context = ssl_context
        self._max = limits.max_connections or 1_000_000
        self._max_idle = self._max if limits.max_keepalive_connections is None else limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._pin = pin
        self._fallback = fallback
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._idle: list[_Connection] = []
        self._closed = False

    async def __aenter__(self) -> AsyncPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self._fallback is not None:
            await self._fallback.aclose()

    def _bind(self) -> asyncio.Semaphore | None:
        """The semaphore of the running asyncio loop; None under another event loop (trio)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if loop is not self._loop or self._slots is None:
            # a client used from a new loop (a second asyncio.run): connections of the old one are dead
            self._loop, self._slots, self._idle = loop, asyncio.Semaphore(self._max), []
        return self._slots

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        slots = self._bind()
        if slots is None:
            return await self._other_loop(request)
        if self._closed:
            raise httpcore.ConnectError("the client is closed")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        await self._acquire(slots, timeouts.get("pool"))
        try:
            assert self._loop is not None
            origin: Origin = (request.url.scheme, request.url.host, request.url.port or 0)
            conn = self._take_idle(origin) or await self._connect(self._loop, request, origin, timeouts)
            try:
                response = await conn.exchange(request, timeouts)
            except BaseException:
                conn.close()
                raise
            if conn.reusable() and not self._closed:
                self._give_back(conn)
            else:
                conn.close()
            return response
        finally:
            slots.release()

    async def _acquire(self, slots: asyncio.Semaphore, timeout: float | None) -> None:
        if timeout is None:
            await slots.acquire()
            return
        try:
            await asyncio.wait_for(slots.acquire(), timeout)
        except TimeoutError as exc:
            raise httpcore.PoolTimeout("no connection became free in time") from exc

    def _take_idle(self, origin: Origin) -> _Connection | None:
        assert self._loop is not None
        now = self._loop.time()
        for conn in reversed(self._idle):  # the most recently used first: the least likely to have expired
            if conn.origin == origin:
                self._idle.remove(conn)
                if conn.usable(now, self._expiry):
                    return conn
                conn.close()
        return None

    def _give_back(self, conn: _Connection) -> None:
        assert self._loop is not None
        conn.idle_since = self._loop.time()
        self._idle.append(conn)
        while len(self._idle) > self._max_idle:
            self._idle.pop(0).close()

    async def _connect(
        self,
        loop: asyncio.AbstractEventLoop,
        request: httpcore.Request,
        origin: Origin,
        timeouts: dict[str, float | None],
    ) -> _Connection:
        # an idle connection to another origin gives its place: at most max_connections are ever open
        for other in [c for c in self._idle if c.origin != origin][: max(0, len(self._idle) + 1 - self._max)]:
            self._idle.remove(other)
            other.close()
        scheme, host, port = origin
        tls = scheme == b"https"
        sni = request.extensions.get("sni_hostname") or host.decode("ascii")
        conn = _Connection(loop, origin)
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                await loop.create_connection(
                    lambda: conn,
                    host.decode("ascii"),
                    port or (443 if tls else 80),
                    ssl=self._ssl_context if tls else None,
                    server_hostname=sni if tls else None,
                )
        except TimeoutError as exc:
            conn.close()
            raise httpcore.ConnectTimeout("timed out while connecting") from exc
        except OSError as exc:  # ssl.SSLError included: the SDK names TLS failures from the cause
            conn.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if self._pin is not None:
            from pvectl.sdk._core.pinning import check_pin

            try:
                check_pin(conn.transport, self._pin)
            except BaseException:
                conn.close()
                raise
        return conn

    async def _other_loop(self, request: httpcore.Request) -> httpcore.Response:
        """Under an event loop other than asyncio's (trio), httpcore's own pool does the work."""
        if self._fallback is None:
            raise RuntimeError("this connection pool runs on asyncio")
        response: httpcore.Response = await self._fallback.handle_async_request(request)
        return response


class AsyncTransport(httpx.AsyncHTTPTransport):
    """httpx's async transport with :class:`AsyncPool` in place of httpcore's pool; ``fingerprint`` pins
    the server certificate (then the chain and host name are not checked, the pin is)."""

    def __init__(
        self,
        verify: bool | ssl.SSLContext = True,
        limits: httpx.Limits | None = None,
        fingerprint: str | None = None,
    ) -> None:
        from pvectl.sdk._core.pinning import AsyncPinningBackend, default_limits, pool_options
        from pvectl.sdk._core.tls import parse_fingerprint, ssl_context

        limits = limits or default_limits()
        if fingerprint is None:
            pin = None
            ctx = httpx.create_ssl_context(verify=verify)
            super().__init__(verify=ctx, limits=limits)  # httpcore's pool, kept for event loops but asyncio's
        else:
            pin = parse_fingerprint(fingerprint)
            ctx = ssl_context(verify, pinned=True)
            super().__init__(verify=ctx, trust_env=False, limits=limits)
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=ctx, network_backend=AsyncPinningBackend(pin), **pool_options(limits)
            )
        self._pool = AsyncPool(ctx, limits, pin, fallback=self._pool)  # type: ignore[assignment]
