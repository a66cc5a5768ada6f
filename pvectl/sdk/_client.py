"""ProxmoxClient and AsyncProxmoxClient: the IO shells around BaseClient, plus the API tree's root."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from pvectl.sdk._core.auth import TicketAuth
from pvectl.sdk._core.base import BaseClient
from pvectl.sdk._core.bounds import AnswerTooLarge, aread_capped, read_capped, too_large_message
from pvectl.sdk._core.errors import NotFound, UnexpectedAnswer

if TYPE_CHECKING:
    import asyncio

    from pvectl.sdk._core.request import Prepared
    from pvectl.sdk.models.root import VersionResponse
    from pvectl.sdk.resources.access import Access, AsyncAccess
    from pvectl.sdk.resources.cluster import AsyncCluster, Cluster
    from pvectl.sdk.resources.nodes import AsyncNodes, Nodes
    from pvectl.sdk.resources.pools import AsyncPools, Pools
    from pvectl.sdk.resources.storage import AsyncStorage, Storage


DOMAINS_OP = "GET /access/domains"


def _interpret(response: httpx.Response, prepared: Prepared) -> Any:
    from pvectl.sdk._core.request import interpret

    body, reason = response.content, response.reason_phrase
    if response.status_code >= 400:
        # error messages become exception text: no credential the server echoes may reach it
        from pvectl.sdk._core.redact import redact

        body, reason = redact(body.decode("utf-8", "replace")).encode(), redact(reason)
    return interpret(response.status_code, reason, body, prepared.method, prepared.path)


def _resolve(client: BaseClient, method: str, path: str) -> tuple[str, tuple[str, ...]]:
    """pvesh-style path -> (operation key, path values); NotFound for paths the schema does not have."""
    found = client.spec.match(path)
    if found is None or method not in client.spec.by_path.get(found[0], {}):
        raise NotFound(404, f"no '{method}' handler for '{path}'", method=method, path=path)
    template, values = found
    op = client.spec.by_path[template][method]
    return op.key, tuple(values[name] for name in op.path_params)


class ProxmoxClient(BaseClient):
    """Synchronous PVE API client.

    ``client.nodes("pve1").qemu(100).config.get()`` mirrors ``GET /nodes/pve1/qemu/100/config``.

    Credentials: ``token="USER@REALM!ID=SECRET"``, or ``user="root@pam", password=...`` (a string or a
    function called when a login is due) with ``otp=`` or ``tfa=`` for a second factor, or ``auth=`` a
    :class:`TicketAuth` / :class:`TokenAuth`. Tickets are renewed after an hour and once after a 401.
    TLS: verified by default; ``verify="ca.pem"``; ``fingerprint="AA:BB:..."`` pins the certificate (checked
    before anything is sent; needs https://); ``verify=False`` turns checks off and warns once.

    Connections: at most ``max_connections`` (default 10), kept alive and shared by every call (threads
    included); further requests wait for a free one. ``timeout`` (seconds, default 30) bounds connecting,
    sending and each wait for the answer, never the wait for a free connection. GETs that meet a connection
    error or a 502/503/504 are tried again (``retries``, with backoff) while ``retry_budget`` seconds since
    the first try allow; writes are never sent twice, TLS failures never retried.

    ``raw_request(method, path, params)`` reaches any path, also one newer than the schema, unvalidated.
    """

    def __init__(self, host: str | None = None, *, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        limits = self._limits()
        if transport is None and self.fingerprint is not None:
            from pvectl.sdk._core.pinning import PinnedTransport

            transport = PinnedTransport(self.fingerprint, self.verify, limits)
        self._http = httpx.Client(verify=self.verify, timeout=self._timeouts(), limits=limits, transport=transport)
        if transport is None:
            from pvectl.sdk._core.pool import harden

            harden(self._http)
        self._session_lock = threading.Lock()
        self._version_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- IO ---------------------------------------------------------------------------------------------

    def _call(
        self,
        key: str,
        path_values: Sequence[Any],
        params: Mapping[str, Any],
        indexed: Mapping[str, Any] | None = None,
    ) -> Any:
        prepared = self._prepare(key, path_values, params, indexed)
        if self._needs_version(prepared.op):
            self._fetch_version()
        problem = self._version_error(prepared)
        if problem is not None:
            raise problem
        return self._send(prepared)

    def _fetch_version(self) -> Any:
        """The ``GET /version`` answer, asked once per client (threads share the one request)."""
        if self._version_answer is None:
            with self._version_lock:
                if self._version_answer is None:
                    self._take_version(self._send(self._version_request()))
        return self._version_answer

    def _send(self, prepared: Prepared) -> Any:
        self._ensure_session()
        response = self._exchange(prepared)
        if self._recover_from_401(prepared, response.status_code, response.request.headers.get("Cookie")):
            self._ensure_session()
            if prepared.method != "GET":
                raise self._not_resent(prepared)
            response = self._exchange(prepared)
        return self._answer(response, prepared)

    def _ensure_session(self) -> None:
        """Log in, answer a second-factor challenge or renew the ticket when one is due."""
        if not isinstance(self.auth, TicketAuth):
            return  # API tokens: nothing to do, no lock to take
        with self._session_lock:
            form = self._session_form()
            while form is not None:
                login = self._ticket_request(form)
                response = self._exchange(login, authenticated=False)
                if self._renewal_rejected(form, response.status_code):
                    form = self._session_form()
                    continue
                form = self._accept_ticket(_interpret(response, login))

    def _exchange(self, prepared: Prepared, authenticated: bool = True) -> httpx.Response:
        """Send with the retry policy (GETs only); the final response, whatever its status."""
        attempt = 0
        started = self.clock.monotonic()
        while True:
            request = self._request(prepared, authenticated)
            self._trace_request(request)
            try:
                response = self._http.send(request, stream=True)
                read_capped(response)
            except AnswerTooLarge:
                raise UnexpectedAnswer(too_large_message(), method=prepared.method, path=prepared.path) from None
            except httpx.TransportError as exc:
                delay = (
                    None if self._is_tls_failure(exc) else self._retry_delay(prepared.method, attempt, None, started)
                )
                if delay is None:
                    raise self._transport_error(exc, prepared) from exc
                self._retrying(prepared, attempt, delay, str(exc) or type(exc).__name__)
            else:
                self._trace_response(response)
                delay = self._retry_delay(prepared.method, attempt, response.status_code, started)
                if delay is None or response.status_code < 500:
                    return response
                self._retrying(prepared, attempt, delay, f"{response.status_code} {response.reason_phrase}")
            attempt += 1
            self.clock.sleep(delay)

    # -- sessions ---------------------------------------------------------------------------------------

    def login(self) -> None:
        """Log in now (password auth) instead of at the first call; a no-op for API tokens and fresh tickets."""
        self._ensure_session()

    def realms(self) -> list[dict[str, Any]]:
        """``GET /access/domains`` without credentials (PVE serves it to the login box): realms, the default
        one flagged ``default: 1``."""
        prepared = self._prepare(DOMAINS_OP, (), {}, None)
        data = _interpret(self._exchange(prepared, authenticated=False), prepared)
        return list(data or [])

    # -- pvesh-style access -----------------------------------------------------------------------------

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call any method by HTTP verb and concrete path, validated like the typed methods."""
        key, values = _resolve(self, method.upper(), path)
        return self._call(key, values, dict(params or {}))

    def raw_request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Send any verb to any API path as given, also one this SDK's schema does not know (a newer PVE);
        nothing is validated and no release check runs. Returns the answer's ``data`` as plain JSON.

        ``params``: values as PVE reads them (``True`` -> ``1``; a list -> repeated keys). Auth, retries of
        GETs and the error classes are the same as for typed calls."""
        return self._send(self._raw_prepared(method, path, params))

    # -- the API tree's root ----------------------------------------------------------------------------

    @cached_property
    def access(self) -> Access:
        from pvectl.sdk.resources.access import Access

        return Access(self)

    @cached_property
    def cluster(self) -> Cluster:
        from pvectl.sdk.resources.cluster import Cluster

        return Cluster(self)

    @cached_property
    def nodes(self) -> Nodes:
        from pvectl.sdk.resources.nodes import Nodes

        return Nodes(self)

    @cached_property
    def pools(self) -> Pools:
        from pvectl.sdk.resources.pools import Pools

        return Pools(self)

    @cached_property
    def storage(self) -> Storage:
        from pvectl.sdk.resources.storage import Storage

        return Storage(self)

    def version(self) -> VersionResponse:
        """API version details (``GET /version``), asked once per client and kept."""
        from pvectl.sdk._core.models import parse_model
        from pvectl.sdk.models.root import VersionResponse

        return parse_model(VersionResponse, self._fetch_version())


class AsyncProxmoxClient(BaseClient):
    """Asynchronous PVE API client; the same tree as ProxmoxClient, with awaitable methods."""

    def __init__(
        self, host: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
    ) -> None:
        super().__init__(host, **kwargs)
        limits = self._limits()
        if transport is None:
            from pvectl.sdk._core.transport import AsyncTransport

            transport = AsyncTransport(self.verify, limits, self.fingerprint)
        self._http = httpx.AsyncClient(verify=self.verify, timeout=self._timeouts(), limits=limits, transport=transport)
        self._session_lock: asyncio.Lock | None = None
        self._version_task: asyncio.Future[Any] | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        key: str,
        path_values: Sequence[Any],
        params: Mapping[str, Any],
        indexed: Mapping[str, Any] | None = None,
    ) -> Any:
        prepared = self._prepare(key, path_values, params, indexed)
        if self._needs_version(prepared.op):
            await self._fetch_version()
        problem = self._version_error(prepared)
        if problem is not None:
            raise problem
        return await self._send(prepared)

    async def _fetch_version(self) -> Any:
        """The ``GET /version`` answer, asked once per client: concurrent first calls await one request
        (a ``gather`` of 500 cold calls sends one ``/version``, not 500). A failure reaches every waiter
        and the next call asks again."""
        if self._version_answer is not None:
            return self._version_answer
        import asyncio

        task = self._version_task
        if task is None:
            task = self._version_task = asyncio.ensure_future(self._load_version())
        try:
            return await asyncio.shield(task)
        finally:
            if self._version_task is task and task.done() and (task.cancelled() or task.exception() is not None):
                self._version_task = None

    async def _load_version(self) -> Any:
        return self._take_version(await self._send(self._version_request()))

    async def _send(self, prepared: Prepared) -> Any:
        await self._ensure_session()
        response = await self._exchange(prepared)
        if self._recover_from_401(prepared, response.status_code, response.request.headers.get("Cookie")):
            await self._ensure_session()
            if prepared.method != "GET":
                raise self._not_resent(prepared)
            response = await self._exchange(prepared)
        return self._answer(response, prepared)

    async def _ensure_session(self) -> None:
        """Log in, answer a second-factor challenge or renew the ticket when one is due."""
        if not isinstance(self.auth, TicketAuth):
            return
        if self._session_lock is None:
            import asyncio

            self._session_lock = asyncio.Lock()
        async with self._session_lock:  # concurrent calls share one login
            form = self._session_form()
            while form is not None:
                login = self._ticket_request(form)
                response = await self._exchange(login, authenticated=False)
                if self._renewal_rejected(form, response.status_code):
                    form = self._session_form()
                    continue
                form = self._accept_ticket(_interpret(response, login))

    async def _exchange(self, prepared: Prepared, authenticated: bool = True) -> httpx.Response:
        """Send with the retry policy (GETs only); the final response, whatever its status."""
        attempt = 0
        started = self.clock.monotonic()
        while True:
            request = self._request(prepared, authenticated)
            self._trace_request(request)
            try:
                response = await self._http.send(request, stream=True)
                await aread_capped(response)
            except AnswerTooLarge:
                raise UnexpectedAnswer(too_large_message(), method=prepared.method, path=prepared.path) from None
            except httpx.TransportError as exc:
                delay = (
                    None if self._is_tls_failure(exc) else self._retry_delay(prepared.method, attempt, None, started)
                )
                if delay is None:
                    raise self._transport_error(exc, prepared) from exc
                self._retrying(prepared, attempt, delay, str(exc) or type(exc).__name__)
            else:
                self._trace_response(response)
                delay = self._retry_delay(prepared.method, attempt, response.status_code, started)
                if delay is None or response.status_code < 500:
                    return response
                self._retrying(prepared, attempt, delay, f"{response.status_code} {response.reason_phrase}")
            attempt += 1
            await self.clock.asleep(delay)

    async def login(self) -> None:
        """Log in now (password auth) instead of at the first call; a no-op for API tokens and fresh tickets."""
        await self._ensure_session()

    async def realms(self) -> list[dict[str, Any]]:
        """``GET /access/domains`` without credentials: realms, the default one flagged ``default: 1``."""
        prepared = self._prepare(DOMAINS_OP, (), {}, None)
        data = _interpret(await self._exchange(prepared, authenticated=False), prepared)
        return list(data or [])

    async def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call any method by HTTP verb and concrete path, validated like the typed methods."""
        key, values = _resolve(self, method.upper(), path)
        return await self._call(key, values, dict(params or {}))

    async def raw_request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Send any verb to any API path as given, unvalidated (see :meth:`ProxmoxClient.raw_request`)."""
        return await self._send(self._raw_prepared(method, path, params))

    @cached_property
    def access(self) -> AsyncAccess:
        from pvectl.sdk.resources.access import AsyncAccess

        return AsyncAccess(self)

    @cached_property
    def cluster(self) -> AsyncCluster:
        from pvectl.sdk.resources.cluster import AsyncCluster

        return AsyncCluster(self)

    @cached_property
    def nodes(self) -> AsyncNodes:
        from pvectl.sdk.resources.nodes import AsyncNodes

        return AsyncNodes(self)

    @cached_property
    def pools(self) -> AsyncPools:
        from pvectl.sdk.resources.pools import AsyncPools

        return AsyncPools(self)

    @cached_property
    def storage(self) -> AsyncStorage:
        from pvectl.sdk.resources.storage import AsyncStorage

        return AsyncStorage(self)

    async def version(self) -> VersionResponse:
        """API version details (``GET /version``), asked once per client and kept."""
        from pvectl.sdk._core.models import parse_model
        from pvectl.sdk.models.root import VersionResponse

        return parse_model(VersionResponse, await self._fetch_version())
