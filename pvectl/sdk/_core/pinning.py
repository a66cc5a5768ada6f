"""Fingerprint pinning inside httpcore's connection pool: the check runs between the TLS handshake and the
first byte of HTTP, for the sync and the async transport alike."""

from __future__ import annotations

import hashlib
import ssl
from typing import Any

import httpcore
import httpx

from pvectl.sdk._core.tls import FingerprintMismatch, format_fingerprint, parse_fingerprint, ssl_context


def check_pin(stream: Any, expected: bytes) -> None:
    """Raise FingerprintMismatch unless the TLS peer of ``stream`` (anything with ``get_extra_info``) is pinned."""
    ssl_object = stream.get_extra_info("ssl_object")
    # positional argument: the sync backend hands out the low-level _SSLSocket, which takes no keywords
    check_der(ssl_object.getpeercert(True) if ssl_object is not None else None, expected)


def check_der(der: bytes | None, expected: bytes) -> None:
    """Raise FingerprintMismatch unless the peer certificate ``der`` has the pinned SHA-256 fingerprint."""
    got = hashlib.sha256(der).digest() if der else b""
    if got != expected:
        raise FingerprintMismatch(format_fingerprint(expected), format_fingerprint(got) if got else "(none)")


class _PinnedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, expected: bytes) -> None:
        self._inner = inner
        self._expected = expected

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, timeout)
        try:
            check_pin(tls, self._expected)
        except BaseException:
            tls.close()
            raise
        return tls

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinningBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, with the pin checked right after each TLS handshake."""

    def __init__(self, expected: bytes, inner: httpcore.NetworkBackend | None = None) -> None:
        self._expected = expected
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _PinnedStream(stream, self._expected)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncPinnedStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, expected: bytes) -> None:
        self._inner = inner
        self._expected = expected

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        try:
            check_pin(tls, self._expected)
        except BaseException:
            await tls.aclose()
            raise
        return tls

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncPinningBackend(httpcore.AsyncNetworkBackend):
    """httpcore's async backend (asyncio or trio), with the pin checked right after each TLS handshake."""

    def __init__(self, expected: bytes, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._expected = expected
        if inner is None:
            from httpcore._backends.auto import AutoBackend

            inner = AutoBackend()
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncPinnedStream(stream, self._expected)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def default_limits() -> httpx.Limits:
    """The clients' pool limits (see ``DEFAULT_MAX_CONNECTIONS``): a pinned pool is bounded like any other."""
    from pvectl.sdk._core.base import DEFAULT_MAX_CONNECTIONS, KEEPALIVE_EXPIRY

    return httpx.Limits(
        max_connections=DEFAULT_MAX_CONNECTIONS,
        max_keepalive_connections=DEFAULT_MAX_CONNECTIONS,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )


def pool_options(limits: httpx.Limits) -> dict[str, Any]:
    return {
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport, whose connections check the server certificate against a pin before use.

    Proxies from the environment are not used: a pinned connection goes straight to the server.
    """

    def __init__(
        self, fingerprint: str, verify: bool | str | ssl.SSLContext = True, limits: httpx.Limits | None = None
    ) -> None:
        ctx = ssl_context(verify, pinned=True)
        limits = limits or default_limits()
        super().__init__(verify=ctx, trust_env=False, limits=limits)
        from pvectl.sdk._core.pool import ConnectionPool

        self._pool = ConnectionPool(
            ssl_context=ctx, network_backend=PinningBackend(parse_fingerprint(fingerprint)), **pool_options(limits)
        )
