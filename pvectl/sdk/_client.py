"""ProxmoxClient and AsyncProxmoxClient: the IO shells around BaseClient, plus the API tree's root."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from pvectl.sdk._core.base import BaseClient
from pvectl.sdk._core.errors import NotFound

if TYPE_CHECKING:
    from pvectl.sdk._core.request import Prepared
    from pvectl.sdk.models.root import VersionResponse
    from pvectl.sdk.resources.access import Access, AsyncAccess
    from pvectl.sdk.resources.cluster import AsyncCluster, Cluster
    from pvectl.sdk.resources.nodes import AsyncNodes, Nodes
    from pvectl.sdk.resources.pools import AsyncPools, Pools
    from pvectl.sdk.resources.storage import AsyncStorage, Storage


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
    """

    def __init__(self, host: str | None = None, *, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._http = httpx.Client(verify=self.verify, timeout=self.timeout, transport=transport)

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
            self.server_version = str(self._send(self._version_request())["version"])
        problem = self._version_error(prepared)
        if problem is not None:
            raise problem
        return self._send(prepared)

    def _send(self, prepared: Prepared) -> Any:
        attempt = 0
        while True:
            try:
                response = self._http.send(self._request(prepared))
            except httpx.TransportError as exc:
                delay = self._retry_delay(prepared.method, attempt, None)
                if delay is None:
                    raise self._transport_error(exc, prepared) from exc
            else:
                delay = self._retry_delay(prepared.method, attempt, response.status_code)
                if delay is None or response.status_code < 500:
                    from pvectl.sdk._core.request import interpret

                    return interpret(
                        response.status_code,
                        response.reason_phrase,
                        response.content,
                        prepared.method,
                        prepared.path,
                    )
            attempt += 1
            self.clock.sleep(delay)

    # -- pvesh-style access -----------------------------------------------------------------------------

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call any method by HTTP verb and concrete path, validated like the typed methods."""
        key, values = _resolve(self, method.upper(), path)
        return self._call(key, values, dict(params or {}))

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
        """API version details (``GET /version``)."""
        from pvectl.sdk._core.models import parse_model
        from pvectl.sdk.models.root import VersionResponse

        return parse_model(VersionResponse, self._call("GET /version", (), {}))


class AsyncProxmoxClient(BaseClient):
    """Asynchronous PVE API client; the same tree as ProxmoxClient, with awaitable methods."""

    def __init__(
        self, host: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
    ) -> None:
        super().__init__(host, **kwargs)
        self._http = httpx.AsyncClient(verify=self.verify, timeout=self.timeout, transport=transport)

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
            self.server_version = str((await self._send(self._version_request()))["version"])
        problem = self._version_error(prepared)
        if problem is not None:
            raise problem
        return await self._send(prepared)

    async def _send(self, prepared: Prepared) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._http.send(self._request(prepared))
            except httpx.TransportError as exc:
                delay = self._retry_delay(prepared.method, attempt, None)
                if delay is None:
                    raise self._transport_error(exc, prepared) from exc
            else:
                delay = self._retry_delay(prepared.method, attempt, response.status_code)
                if delay is None or response.status_code < 500:
                    from pvectl.sdk._core.request import interpret

                    return interpret(
                        response.status_code,
                        response.reason_phrase,
                        response.content,
                        prepared.method,
                        prepared.path,
                    )
            attempt += 1
            await self.clock.asleep(delay)

    async def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call any method by HTTP verb and concrete path, validated like the typed methods."""
        key, values = _resolve(self, method.upper(), path)
        return await self._call(key, values, dict(params or {}))

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
        """API version details (``GET /version``)."""
        from pvectl.sdk._core.models import parse_model
        from pvectl.sdk.models.root import VersionResponse

        return parse_model(VersionResponse, await self._call("GET /version", (), {}))
