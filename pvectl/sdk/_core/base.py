"""IO-free client logic shared by the sync and async clients: URLs, headers, retry policy, checks."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from pvectl import __version__
from pvectl.sdk._core.auth import Auth, TokenAuth
from pvectl.sdk._core.errors import PveError, TLSError, TokenNotAllowed, TransportError, UnsupportedByServer

if TYPE_CHECKING:
    import ssl

    from pvectl.sdk._core.request import Prepared
    from pvectl.sdk._core.spec import ApiSpec, OpSpec

# Request building, validation and the spec load on the first call, keeping `import pvectl.sdk` close to
# the cost of importing httpx alone.

RETRY_STATUSES = frozenset({502, 503, 504})
VERSION_OP = "GET /version"


class Clock:
    """Time as the client sees it; tests pass a fake one."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)


def base_url_for(host: str, port: int = 8006) -> str:
    """``pve1`` / ``pve1:8443`` / ``https://pve1:8006`` -> ``https://pve1:8006/api2/json``."""
    text = host.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    url = httpx.URL(text)
    if url.port is None:
        url = url.copy_with(port=port)
    path = url.path.rstrip("/")
    if not path.endswith("/api2/json"):
        path = f"{path}/api2/json"
    return str(url.copy_with(path=path))


class BaseClient:
    """Everything a client does except the IO."""

    def __init__(
        self,
        host: str | None = None,
        *,
        port: int = 8006,
        base_url: str | None = None,
        token: str | None = None,
        auth: Auth | None = None,
        verify: bool | str | ssl.SSLContext = True,
        timeout: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        check_version: bool = True,
        server_version: str | None = None,
        clock: Clock | None = None,
        spec: ApiSpec | None = None,
    ) -> None:
        if base_url is None:
            if host is None:
                raise ValueError("give the server as host= (or base_url=)")
            base_url = base_url_for(host, port)
        self.base_url = base_url.rstrip("/")
        if auth is None and token is not None:
            auth = TokenAuth(token)
        self.auth = auth
        self.verify = verify
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.check_version = check_version
        self.server_version = server_version
        self.clock = clock or Clock()
        self._spec = spec

    @property
    def spec(self) -> ApiSpec:
        """The API spec this client validates against (the generated one unless given)."""
        if self._spec is None:
            from pvectl.sdk._core.spec import load_spec

            self._spec = load_spec()
        return self._spec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, auth={self.auth!r})"

    # -- request building (pure) -------------------------------------------------------------------------

    def _prepare(
        self,
        key: str,
        path_values: Sequence[Any],
        params: Mapping[str, Any],
        indexed: Mapping[str, Any] | None,
    ) -> Prepared:
        from pvectl.sdk._core.request import prepare

        op = self.spec.op(key)
        if not op.allowtoken and self.auth is not None and self.auth.uses_token:
            raise TokenNotAllowed(f"{key} does not accept API tokens; log in with a password instead")
        return prepare(op, path_values, params, indexed)

    def _headers(self, method: str) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"pvectl/{__version__}"}
        if self.auth is not None:
            headers.update(self.auth.headers(method))
        return headers

    def _request(self, prepared: Prepared) -> httpx.Request:
        headers = self._headers(prepared.method)
        content: bytes | None = None
        if prepared.method in ("POST", "PUT"):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # urlencode escapes ';' too: PVE's decoder splits pairs on '&' and ';'
            content = urlencode(prepared.form).encode()
        return httpx.Request(
            prepared.method,
            self.base_url + prepared.path,
            params=list(prepared.query) if prepared.query else None,
            content=content,
            headers=headers,
        )

    # -- policy (pure) -----------------------------------------------------------------------------------

    def _retry_delay(self, method: str, attempt: int, status: int | None) -> float | None:
        """Seconds to wait before another try, or None for no retry. Only GETs are ever retried."""
        if method != "GET" or attempt >= self.retries:
            return None
        if status is not None and status not in RETRY_STATUSES:
            return None
        return float(min(self.backoff * (2**attempt), 8.0))

    @staticmethod
    def _transport_error(exc: httpx.TransportError, prepared: Prepared) -> PveError:
        text = str(exc) or type(exc).__name__
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text or "certificate" in text.lower():
            return TLSError(f"TLS error talking to the server: {text}")
        return TransportError(f"{prepared.method} {prepared.path}: {text}")

    def _needs_version(self, op: OpSpec | None) -> bool:
        return self.check_version and self.server_version is None and op is not None and op.key != VERSION_OP

    def _version_error(self, prepared: Prepared) -> UnsupportedByServer | None:
        if not self.check_version or self.server_version is None or prepared.op is None:
            return None
        from pvectl.sdk import _versions
        from pvectl.sdk._core.versions import check_supported

        return check_supported(
            prepared.op.key, prepared.params.keys(), self.server_version, _versions.RELEASES, _versions.TABLE
        )

    def _version_request(self) -> Prepared:
        from pvectl.sdk._core.request import prepare

        return prepare(self.spec.op(VERSION_OP), (), {})
