"""IO-free client logic shared by the sync and async clients: URLs, headers, retry policy, checks."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from pvectl import __version__
from pvectl.sdk._core.auth import Auth, PasswordSource, TfaCallback, TfaChallenge, TicketAuth, TokenAuth
from pvectl.sdk._core.backoff import delay_at
from pvectl.sdk._core.errors import (
    ApiError,
    AuthenticationError,
    PveError,
    TLSError,
    TokenNotAllowed,
    TransportError,
    UnexpectedAnswer,
    UnsupportedByServer,
)
from pvectl.sdk._core.redact import format_request, format_response, redact
from pvectl.sdk._core.tls import check_scheme, parse_fingerprint, ssl_context, warn_insecure

if TYPE_CHECKING:
    import ssl

    from pvectl.sdk._core.request import Prepared
    from pvectl.sdk._core.spec import ApiSpec, OpSpec

# -vv traces: every request and response, redacted, at DEBUG on this logger.
http_log = logging.getLogger("pvectl.http")

# Request building, validation and the spec load on the first call, keeping `import pvectl.sdk` close to
# the cost of importing httpx alone.

RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_CAP = 8.0  # seconds: the longest pause between two tries of a GET (the poll loop's delay_at grows them)
VERSION_OP = "GET /version"
TICKET_OP = "POST /access/ticket"

# Connections per client. pveproxy speaks HTTP/1.1 and serves the API from a few worker processes (3 by
# default, pve-manager PVE/Service/pveproxy.pm `max_workers`), each multiplexing its connections; a TLS
# handshake costs both ends more than a GET. A small pool of kept-alive connections, with further requests
# queued for a free one, beats a burst of new handshakes (tests/bench/bench_pool.py measures the choice).
DEFAULT_MAX_CONNECTIONS = 10
# pveproxy closes idle connections after a few seconds (keep-alive timeout); expire ours a little earlier
KEEPALIVE_EXPIRY = 4.0
# GET retries stop once this many seconds have passed since the first try: a slow server is reported,
# not retried for minutes (a timed-out GET is not tried again with the default 30 s timeout)
DEFAULT_RETRY_BUDGET = 15.0

retry_log = logging.getLogger("pvectl.http.retry")


class Clock:
    """Time as the client sees it; tests pass a fake one."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)


def check_port(port: object, where: str = "port") -> int:
    """A TCP port number 1-65535, or ValueError naming ``where``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"{where} must be from 1 to 65535, got {port!r}")
    return port


def base_url_for(host: str, port: int = 8006) -> str:
    """``pve1`` / ``pve1:8443`` / ``https://pve1:8006`` -> ``https://pve1:8006/api2/json``.

    ValueError for a host that is no URL or a port outside 1-65535 (checked before anything is sent)."""
    text = host.strip().rstrip("/")
    if not text:
        raise ValueError("the host is empty")
    if "://" not in text:
        text = f"https://{text}"
    explicit = text.partition("://")[2].partition("/")[0].rpartition("]")[2].rpartition("@")[2]
    if ":" in explicit:  # an explicit port: httpx accepts some out-of-range ones (0)
        digits = explicit.rpartition(":")[2]
        if not digits.isdigit():
            raise ValueError(f"port must be a number from 1 to 65535, got {digits!r}")
        check_port(int(digits))
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ValueError(f"invalid host {host.strip()!r}: {exc}") from None
    if not url.host:
        raise ValueError(f"invalid host {host.strip()!r}: no host name")
    if url.port is None:
        url = url.copy_with(port=check_port(port))
    path = url.path.rstrip("/")
    if not path.endswith("/api2/json"):
        path = f"{path}/api2/json"
    return str(url.copy_with(path=path))


def _raw_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class BaseClient:
    """Everything a client does except the IO."""

    def __init__(
        self,
        host: str | None = None,
        *,
        port: int = 8006,
        base_url: str | None = None,
        token: str | None = None,
        user: str | None = None,
        password: PasswordSource | None = None,
        otp: str | None = None,
        tfa: TfaCallback | None = None,
        auth: Auth | None = None,
        verify: bool | str | ssl.SSLContext = True,
        fingerprint: str | None = None,
        timeout: float = 30.0,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retries: int = 2,
        backoff: float = 0.5,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
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
        check_scheme(self.base_url)
        if fingerprint is not None and httpx.URL(self.base_url).scheme != "https":
            raise ValueError(
                "a fingerprint pin needs https://: over plain http:// there is no certificate to check it against"
            )
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError(f"max_connections must be a whole number of at least 1, got {max_connections!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if auth is None and token is not None:
            auth = TokenAuth(token)
        elif auth is None and user is not None and password is not None:
            auth = TicketAuth(user, password, otp=otp, tfa=tfa)
        self.auth = auth
        if fingerprint is not None:
            parse_fingerprint(fingerprint)  # a malformed pin fails here, not at the first request
        self.fingerprint = fingerprint
        if verify is False and fingerprint is None:
            warn_insecure(httpx.URL(self.base_url).host)
        # httpx wants an SSLContext for a CA bundle (a path is deprecated there)
        self.verify: bool | ssl.SSLContext = ssl_context(verify) if isinstance(verify, str) else verify
        self.timeout = float(timeout)
        self.max_connections = max_connections
        self.retries = max(0, retries)
        self.backoff = backoff
        self.retry_budget = retry_budget
        self._version_answer: Any = None
        self._supported: set[tuple[str, str, frozenset[str]]] = set()
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

    # -- the connection pool -------------------------------------------------------------------------------

    def _limits(self) -> httpx.Limits:
        """At most ``max_connections`` connections, all kept alive: a burst queues for them."""
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_connections,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )

    def _timeouts(self) -> httpx.Timeout:
        """``timeout`` for connecting, sending and each wait for the answer; none while queued for a
        connection, so a big ``gather`` waits its turn instead of timing out in the queue. (httpcore 1.0
        restarts its pool wait whenever a connection frees up, so a finite pool timeout would rarely fire;
        without one, the queue is bounded by the requests ahead, each bounded by ``timeout``.)"""
        return httpx.Timeout(self.timeout, pool=None)

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

    def _headers(self, method: str, authenticated: bool = True) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"pvectl/{__version__}"}
        if self.auth is not None and authenticated:
            headers.update(self.auth.headers(method))
        return headers

    def _request(self, prepared: Prepared, authenticated: bool = True) -> httpx.Request:
        headers = self._headers(prepared.method, authenticated)
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

    def _retry_delay(self, method: str, attempt: int, status: int | None, started: float | None = None) -> float | None:
        """Seconds to wait before another try, or None for no retry. Only GETs are ever retried, and only
        while ``retry_budget`` seconds since the first try (``started``, monotonic) leave room for the wait."""
        if method != "GET" or attempt >= self.retries:
            return None
        if status is not None and status not in RETRY_STATUSES:
            return None
        delay = delay_at(attempt, self.backoff, RETRY_CAP)
        if started is not None and self.clock.monotonic() - started + delay > self.retry_budget:
            return None
        return delay

    def _retrying(self, prepared: Prepared, attempt: int, delay: float, why: str) -> None:
        """Say (at -v) that a GET is tried again, and why."""
        retry_log.info(
            "%s %s: %s; trying again in %.1f s (try %d of at most %d)",
            prepared.method,
            prepared.path,
            redact(why),
            delay,
            attempt + 2,
            self.retries + 1,
        )

    @staticmethod
    def _is_tls_failure(exc: BaseException) -> bool:
        """A certificate or handshake failure: the same server answers the same way, so never retried."""
        import ssl

        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            if isinstance(current, (ssl.SSLError, ssl.CertificateError, TLSError)):
                return True
            seen.add(id(current))
            current = current.__cause__ or current.__context__
        text = str(exc)
        return "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text or "certificate" in text.lower()

    def _server(self) -> str:
        """``host:port`` of the server, as a connection error names it."""
        url = httpx.URL(self.base_url)
        host = f"[{url.host}]" if ":" in url.host else url.host
        return f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"

    def _transport_error(self, exc: httpx.TransportError, prepared: Prepared) -> PveError:
        text = redact(str(exc) or type(exc).__name__)
        if self._is_tls_failure(exc):
            return TLSError(f"TLS error talking to {self._server()}: {text}")
        if isinstance(exc, httpx.TimeoutException):
            return TransportError(
                f"{prepared.method} {prepared.path}: no answer within the request timeout of {self.timeout:g} s "
                f"({self._server()})"
            )
        return TransportError(f"{prepared.method} {prepared.path}: cannot reach {self._server()}: {text}")

    def _needs_version(self, op: OpSpec | None) -> bool:
        return self.check_version and self.server_version is None and op is not None and op.key != VERSION_OP

    def _answer(self, response: Any, prepared: Prepared) -> Any:
        """The answer's data; PVE's 501 "Method … not implemented" (a release without the method, where the
        version table could not tell) becomes the same UnsupportedByServer the table gives before sending."""
        from pvectl.sdk._client import _interpret

        try:
            return _interpret(response, prepared)
        except ApiError as exc:
            if exc.status == 501 and prepared.op is not None:
                from pvectl.sdk._core.versions import not_implemented

                unsupported = not_implemented(prepared.op.key, self.server_version, exc.message)
                if unsupported is not None:
                    raise unsupported from None
            raise

    def _version_error(self, prepared: Prepared) -> UnsupportedByServer | None:
        if not self.check_version or self.server_version is None or prepared.op is None:
            return None
        # the verdict depends on the method, the parameter names and the release only: asked once per shape
        # (only "supported" is kept: an error is a new exception object each time it is raised)
        memo_key = (self.server_version, prepared.op.key, frozenset(prepared.params))
        if memo_key in self._supported:
            return None
        from pvectl.sdk._core.versions import check_supported, version_key

        op = prepared.op
        if (
            version_key(self.server_version) >= version_key(self.spec.version)
            and op.params.keys() >= prepared.params.keys()
        ):
            # the schema's own release (or a newer one) has every method and parameter the schema names
            # (tests/sdk/test_versions.py checks the table agrees): no need to load the 140 kB table
            self._supported.add(memo_key)
            return None
        from pvectl.sdk import _versions

        verdict = check_supported(
            prepared.op.key, prepared.params.keys(), self.server_version, _versions.RELEASES, _versions.TABLE
        )
        if verdict is None and len(self._supported) < 4096:
            self._supported.add(memo_key)
        return verdict

    def _version_request(self) -> Prepared:
        from pvectl.sdk._core.request import prepare

        return prepare(self.spec.op(VERSION_OP), (), {})

    def _take_version(self, data: Any) -> Any:
        """Keep a ``GET /version`` answer: ``client.version()`` and the release checks reuse it."""
        version = data.get("version") if isinstance(data, dict) else None
        if isinstance(version, bool) or not isinstance(version, (str, int, float)) or not str(version).strip():
            # named as the shape checks of pvectl.sdk._core.answers name it (JSON's null, a list)
            shown = "null" if data is None else "a list" if isinstance(data, list) else redact(repr(data))
            raise UnexpectedAnswer(
                f"unexpected answer from the server: GET /version returned {shown[:200]}", method="GET", path="/version"
            )
        self._version_answer = data
        if self.server_version is None:
            self.server_version = str(version).strip()
        return data

    # -- raw calls (no schema) ---------------------------------------------------------------------------

    @staticmethod
    def _raw_prepared(method: str, path: str, params: Mapping[str, Any] | None) -> Prepared:
        """Any verb and path, also one the schema does not know, with parameters encoded as PVE reads
        them (booleans 1/0, lists as repeated keys); nothing validated."""
        from urllib.parse import quote

        from pvectl.sdk._core.request import Prepared

        verb = method.upper()
        if verb not in ("GET", "POST", "PUT", "DELETE"):
            raise ValueError(f"method must be GET, POST, PUT or DELETE, got {method!r}")
        text = path.strip()
        if "://" in text or "?" in text or "#" in text:
            raise ValueError(f"give the API path alone (like /nodes/pve1/qemu), got {path!r}")
        text = "/" + text.strip("/")
        if text == "/api2/json" or text.startswith("/api2/json/"):
            text = text[len("/api2/json") :] or "/"
        # each segment percent-encoded as the typed calls do (PVE unescapes the path before routing)
        encoded = "/".join(quote(segment, safe="@!:,=+-._~") for segment in text.split("/"))
        pairs: list[tuple[str, str]] = []
        sent: dict[str, Any] = {}
        for key, value in (params or {}).items():
            if value is None:
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            wire = [_raw_value(v) for v in values]
            pairs += [(key, v) for v in wire]
            sent[key] = wire if isinstance(value, (list, tuple)) else wire[0]
        if verb in ("GET", "DELETE"):
            return Prepared(verb, encoded, query=pairs, params=sent)
        return Prepared(verb, encoded, form=pairs, params=sent)

    # -- sessions (password tickets; pure decisions, the clients do the IO) -------------------------------

    def _session_form(self) -> dict[str, str] | None:
        """Form of a login or renewal due before the next request, or None (tokens, fresh tickets)."""
        if isinstance(self.auth, TicketAuth):
            return self.auth.login_form(self.clock.monotonic())
        return None

    def _ticket_request(self, form: Mapping[str, str]) -> Prepared:
        from pvectl.sdk._core.request import prepare

        return prepare(self.spec.op(TICKET_OP), (), form)

    def _accept_ticket(self, data: Any) -> dict[str, str] | None:
        """Take a login answer; returns the form answering a second-factor challenge, if one came."""
        assert isinstance(self.auth, TicketAuth)
        challenge: TfaChallenge | None = self.auth.accept(data, self.clock.monotonic())
        return None if challenge is None else self.auth.answer_form(challenge)

    def _renewal_rejected(self, form: Mapping[str, str], status: int) -> bool:
        """A renewal (the ticket posted as the password) answered 401: fall back to the password if there is one.

        PVE refuses to renew a ticket it no longer accepts (signing key rotated, user disabled, server reset)."""
        auth = self.auth
        if status != 401 or not isinstance(auth, TicketAuth) or not auth.can_log_in:
            return False
        if auth.ticket is None or form.get("password") != auth.ticket:
            return False
        auth.reject()
        return True

    def _recover_from_401(self, prepared: Prepared, status: int, sent_cookie: str | None = None) -> bool:
        """Whether a 401 should end the session and log in again (tickets with a password to log in with).

        ``sent_cookie`` is the Cookie header the refused request carried: when a concurrent call has already
        replaced that ticket, the new one is used without another login."""
        if status != 401 or not isinstance(self.auth, TicketAuth) or not self.auth.can_log_in:
            return False
        if prepared.op is not None and prepared.op.key == TICKET_OP:
            return False
        self.auth.reject(sent_cookie.partition("=")[2] if sent_cookie else None)
        return True

    @staticmethod
    def _not_resent(prepared: Prepared) -> AuthenticationError:
        # A write is never sent twice, even after a 401 (which PVE answers before running anything):
        # the session is renewed for the next call and the caller decides whether to repeat this one.
        return AuthenticationError(
            401,
            "the session ticket was rejected; logged in again, but the request was not resent",
            method=prepared.method,
            path=prepared.path,
        )

    # -- traces ------------------------------------------------------------------------------------------

    @staticmethod
    def _trace_request(request: httpx.Request) -> None:
        if http_log.isEnabledFor(logging.DEBUG):
            http_log.debug(
                "> %s", format_request(request.method, str(request.url), request.headers.items(), request.content)
            )

    @staticmethod
    def _trace_response(response: httpx.Response) -> None:
        if http_log.isEnabledFor(logging.DEBUG):
            http_log.debug(
                "< %s",
                format_response(
                    response.status_code, response.reason_phrase, response.headers.items(), response.content
                ),
            )
