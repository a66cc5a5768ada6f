"""The one place that turns errors into a message on stderr and a documented exit code."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from pvectl.guest.outcome import (  # THE exit-code table (re-exported: commands import them from here)
    AUTH,
    CONNECTION,
    FAILURE,
    INTERRUPTED,
    NOT_FOUND,
    OK,
    PARTIAL,
    SOME_FAILED,
    UNKNOWN,
    USAGE,
)

__all__ = [
    "AUTH",
    "CONNECTION",
    "FAILURE",
    "INTERRUPTED",
    "NOT_FOUND",
    "OK",
    "PARTIAL",
    "SOME_FAILED",
    "UNKNOWN",
    "USAGE",
    "CliError",
]


class CliError(Exception):
    """An error the CLI reports as one line plus optional detail lines, with an exit code."""

    def __init__(self, message: str, code: int = FAILURE, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or []


def exit_code_for(exc: BaseException) -> int:
    """Exit code of any error pvectl may meet."""
    from pvectl.sdk._core import errors as e

    if isinstance(exc, CliError):
        return exc.code
    declared = getattr(exc, "exit_code", None)  # errors outside the SDK (e.g. the simulator's) may declare one
    if isinstance(declared, int):
        return declared
    if _is_config_error(exc):
        return USAGE
    if isinstance(exc, (e.ValidationError, e.UnsupportedByServer, e.TokenNotAllowed)):
        return USAGE
    if isinstance(exc, e.AuthenticationError):
        return AUTH
    if isinstance(exc, e.NotFound):
        return NOT_FOUND
    if isinstance(exc, e.TransportError):
        return UNKNOWN if lost_write(exc) else CONNECTION
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    return FAILURE


def lost_write(exc: BaseException) -> bool:
    """A write that reached the server (the connection broke or timed out after it was sent) and was not
    reconciled by its command: PVE may have carried it out, so it is unknown (7), not "could not connect" (5)."""
    from pvectl.guest.answers import not_sent
    from pvectl.sdk._core import errors as e

    # the SDK names the request first: "POST /nodes/pve1/qemu: cannot reach ..." (pvectl.sdk._core.base)
    return isinstance(exc, e.TransportError) and not not_sent(exc) and not str(exc).startswith("GET ")


def _is_config_error(exc: BaseException) -> bool:
    from pvectl.config.file import ConfigError

    return isinstance(exc, ConfigError)


def describe(exc: BaseException) -> tuple[str, list[str]]:
    """One-line message and detail lines, redacted (no secret reaches the terminal through an error) and with
    control characters escaped (an error message of a server cannot drive the terminal: pvectl.cli.safe_text)."""
    from pvectl.cli.safe_text import clipped, safe_cell
    from pvectl.sdk._core.redact import redact

    message, details = _describe(exc)
    return clipped(safe_cell(redact(message))), [clipped(safe_cell(redact(line))) for line in details]


def _describe(exc: BaseException) -> tuple[str, list[str]]:
    from pvectl.sdk._core import errors as e
    from pvectl.sdk._core.auth import SecondFactorRequired

    if isinstance(exc, CliError):
        return str(exc), exc.details
    if isinstance(exc, e.ValidationError):
        lines = [f"{k}: {v.strip()}" for k, v in exc.errors.items()]
        return f"invalid parameters for {exc.operation}" if exc.operation else "invalid parameters", lines
    if isinstance(exc, e.ApiError):
        lines = [f"{k}: {' '.join(v.split())}" for k, v in sorted(exc.errors.items())]
        where = f" ({exc.method} {exc.path})" if exc.method else ""
        if isinstance(exc, e.AuthenticationError) and not isinstance(exc, SecondFactorRequired):
            lines.append(auth_hint())
        running = _RUNNING.search(exc.message) if exc.method == "DELETE" else None
        if running:
            # PVE 9.1.3 qemu-server API2/Qemu.pm destroy_vm refuses a running VM: "VM N is running - destroy failed"
            lines.append(f"hint: stop the VM first ('pvectl vm stop {running.group(1)}'), then delete it")
        return f"{exc.status} {exc.message}{where}", lines
    if isinstance(exc, e.TaskFailed):
        tail = list(exc.log_tail)
        running = _RUNNING.search(exc.exitstatus)
        if running and ":qmdestroy:" in exc.upid:
            tail.append(f"hint: stop the VM first ('pvectl vm stop {running.group(1)}'), then delete it")
        return f"task failed: {exc.exitstatus} ({exc.upid})", tail
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", []
    if isinstance(exc, e.TLSError) and "does not match the pinned" not in str(exc):
        hint = (
            "hint: give the CA with --ca-file, or pin the certificate with --fingerprint ('pvectl config add' shows it)"
        )
        return str(exc), [hint]
    if lost_write(exc):
        return str(exc), ["the request was sent and its answer lost: PVE may have carried it out; it was not sent "
                          "again (check before sending it again)"]  # fmt: skip
    details = getattr(exc, "details", None)  # domain errors (pvectl.vm.workflow) may carry detail lines
    return str(exc) or type(exc).__name__, [str(line) for line in details] if isinstance(details, list) else []


_RUNNING = re.compile(r"\bVM (\d+) is running\b")


def auth_hint() -> str:
    """What to check after a 401, naming the credential that was actually sent (token, or user and password)."""
    from typer._click.globals import get_current_context

    from pvectl.cli.context import AppContext

    ctx = get_current_context(silent=True)
    found = ctx.find_object(AppContext) if ctx is not None else None
    if found is None:
        return "hint: check the credentials, or log in again with 'pvectl login'"
    if found.options.sim:
        return "hint: the simulator's credentials were refused; 'pvectl sim status' shows them"
    try:
        from pvectl.cli.connection import resolve

        settings = resolve(found.options)
    except Exception:  # the hint must not hide the error it explains
        return "hint: check the credentials, or log in again with 'pvectl login'"
    if settings.token is not None:
        token_id = settings.token.partition("=")[0]
        source = settings.sources.get("token", "")
        return (
            f"hint: the API token {token_id}{f' (from {source})' if source else ''} was refused: check the token id "
            "and secret, and that the token exists and has not expired"
        )
    if settings.user is not None:
        user = settings.user
        return f"hint: the login of {user} was refused: check the password, or log in again with 'pvectl login'"
    return "hint: no credentials were given: pass --token, use a context with a token, or run 'pvectl login'"


def fail(exc: BaseException) -> NoReturn:
    """Print ``error: ...`` (and details) to stderr, then exit with the mapped code."""
    message, details = describe(exc)
    print(f"error: {message}", file=sys.stderr)
    for line in details:
        print(f"  {line}", file=sys.stderr)
    raise typer.Exit(exit_code_for(exc))


@contextmanager
def reported() -> Iterator[None]:
    """Run a command body; known errors become a message and an exit code instead of a traceback."""
    from pvectl.config.file import ConfigError
    from pvectl.sdk._core.errors import PveError

    try:
        yield
    except (PveError, CliError, ConfigError, KeyboardInterrupt) as exc:
        fail(exc)


def handles_errors(func: Callable[..., None]) -> Callable[..., None]:
    """Decorator form of :func:`reported` for command functions."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> None:
        with reported():
            func(*args, **kwargs)

    return wrapper
