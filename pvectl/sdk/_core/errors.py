"""One exception hierarchy for everything the SDK raises."""

from __future__ import annotations

from collections.abc import Mapping


class PveError(Exception):
    """Base class of every pvectl SDK error."""


class ValidationError(PveError, ValueError):
    """A parameter failed client-side validation; nothing was sent.

    ``errors`` maps each offending parameter (PVE spelling) to a message, like PVE's own 400 answers.
    """

    def __init__(self, errors: Mapping[str, str], operation: str = "") -> None:
        self.errors = dict(errors)
        self.operation = operation
        first = next(iter(self.errors.items()), ("", ""))
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        where = f" for {operation}" if operation else ""
        super().__init__(f"invalid parameter '{first[0]}'{where}: {first[1]}{more}")


class UnsupportedByServer(PveError):
    """The server's PVE release lacks a method or parameter; raised before sending."""

    def __init__(self, message: str, *, name: str, since: str | None, server: str) -> None:
        super().__init__(message)
        self.name = name
        self.since = since
        self.server = server


class TransportError(PveError):
    """The request did not complete: connection refused, reset, timed out."""


class TLSError(TransportError):
    """The server's certificate was not trusted, or did not match the pinned fingerprint."""


class ApiError(PveError):
    """PVE answered with an error status. Keeps PVE's message and per-parameter ``errors``."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Mapping[str, str] | None = None,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.message = message.strip()
        self.errors = dict(errors or {})
        self.method = method
        self.path = path
        detail = "; ".join(f"{k}: {v.strip()}" for k, v in sorted(self.errors.items()))
        text = f"{status} {self.message}" + (f" ({detail})" if detail else "")
        super().__init__(text)


class UnexpectedAnswer(ApiError):
    """The server answered with a shape PVE does not send (a broken proxy, a half-restarted daemon)."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(200, message, method=method, path=path)
        self.args = (message,)  # no "200" in front: nothing failed at the HTTP level

    def __str__(self) -> str:
        return self.message


class AuthenticationError(ApiError):
    """401: missing, wrong or expired credentials."""


class PermissionDenied(ApiError):
    """403: the credentials lack a privilege."""


class NotFound(ApiError):
    """404 or PVE's "does not exist" answers (PVE often uses 500 for these)."""


class TaskFailed(PveError):
    """A task ended with an exit status other than ``OK``."""

    def __init__(self, upid: str, exitstatus: str, log_tail: list[str]) -> None:
        self.upid = upid
        self.exitstatus = exitstatus
        self.log_tail = list(log_tail)
        super().__init__(f"task {upid} failed: {exitstatus}")


class TaskTimeout(PveError):
    """``Task.wait`` gave up before the task finished (the task keeps running on the server)."""

    def __init__(self, upid: str, timeout: float) -> None:
        self.upid = upid
        self.timeout = timeout
        super().__init__(f"task {upid} still running after {timeout:g}s")


def api_error(status: int, message: str, errors: Mapping[str, str] | None, method: str, path: str) -> ApiError:
    """The ApiError subclass for an HTTP status."""
    cls: type[ApiError] = ApiError
    if status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionDenied
    elif status == 404:
        cls = NotFound
    return cls(status, message, errors, method=method, path=path)


class TokenNotAllowed(PveError):
    """The method refuses API tokens (``allowtoken: 0``: ticket, password, TFA); needs a password login."""
