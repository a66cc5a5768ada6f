"""Tasks: what task-starting methods return. ``wait()`` follows ``/nodes/{node}/tasks/{upid}/status``.

Waiting always ends: the poll interval starts at 0.1 s and backs off to ``poll`` (2 s); a status answer
without a readable ``status`` is an error after a few tries (never "still running"); transient errors (5xx,
595, lost connections) are retried with backoff for ``transient_for`` seconds, then ``TaskLost`` (the task
may well go on -- the caller reports it as unknown, with the UPID).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from pvectl.sdk._core.answers import UnexpectedAnswer
from pvectl.sdk._core.backoff import CANCEL_CHECK as CANCEL_CHECK  # where callers found it before
from pvectl.sdk._core.backoff import TRANSIENT_FOR as TRANSIENT_FOR  # transient errors before a task is "lost"
from pvectl.sdk._core.backoff import Cancelled, Poll, apoll_until, poll_until
from pvectl.sdk._core.backoff import is_transient as is_transient
from pvectl.sdk._core.errors import PveError, TaskFailed, TaskTimeout
from pvectl.sdk._core.upid import Upid, parse_upid

if TYPE_CHECKING:
    from pvectl.sdk._client import AsyncProxmoxClient, ProxmoxClient
    from pvectl.sdk._core.base import Clock


STATUS = "GET /nodes/{node}/tasks/{upid}/status"
LOG = "GET /nodes/{node}/tasks/{upid}/log"
LOG_TAIL = 20
FIRST_POLL = 0.1
MAX_POLL = 2.0
BACKOFF = 1.5
MALFORMED_TRIES = 3  # consecutive unreadable status answers before giving up

Progress = Callable[[Mapping[str, Any]], None]


Cancel = Callable[[], bool] | None


class WaitCancelled(PveError):
    """``wait(cancelled=...)`` stopped waiting because ``cancelled()`` said so; the task goes on on the server."""

    def __init__(self, upid: str) -> None:
        self.upid = upid
        super().__init__(f"stopped waiting for task {upid}; it goes on on the server")


class TaskLost(PveError):
    """The task's status could not be read for a while; it may still be running (or done) on the server."""

    def __init__(self, upid: str, reason: str) -> None:
        self.upid = upid
        self.reason = reason
        super().__init__(f"lost track of task {upid}: {reason}")


def succeeded(status: Mapping[str, Any]) -> bool:
    # PVE marks success as "OK"; "WARNINGS: n" still completed (the GUI shows it as a warning).
    exitstatus = str(status.get("exitstatus", ""))
    return exitstatus == "OK" or exitstatus.startswith("WARNINGS")


def tail(lines: Any, count: int = LOG_TAIL) -> list[str]:
    if not isinstance(lines, list):
        return []
    texts = [str(item.get("t", "")) if isinstance(item, Mapping) else str(item) for item in lines]
    return texts[-count:]


def read_status(upid: str, data: Any) -> dict[str, Any]:
    """A task status answer, checked: an object whose ``status`` is ``running`` or ``stopped``."""
    what = f"GET /nodes/.../tasks/{upid}/status"
    if not isinstance(data, Mapping):
        raise UnexpectedAnswer(what, data, "an object with 'status'")
    status = data.get("status")
    if status not in ("running", "stopped"):
        raise UnexpectedAnswer(what, data, "an object with 'status'")
    return {str(k): v for k, v in data.items()}


class _Malformed:
    """Counts unreadable status answers in a row: a few are asked again, then the last one is raised."""

    def __init__(self, upid: str) -> None:
        self.upid = upid
        self.count = 0

    def check(self, data: Any) -> dict[str, Any] | None:
        """The checked status, or None (after a malformed answer that may be asked again)."""
        try:
            status = read_status(self.upid, data)
        except UnexpectedAnswer:
            self.count += 1
            if self.count >= MALFORMED_TRIES:
                raise
            return None
        self.count = 0
        return status


def _poll(clock: Clock, timeout: float | None, poll: float, transient_for: float, cancelled: Cancel) -> Poll:
    """A task wait's poll policy: FIRST_POLL growing by BACKOFF up to ``poll``, transient errors for
    ``transient_for`` seconds in a row."""
    return Poll(
        clock,
        timeout=timeout,
        first=min(FIRST_POLL, max(poll, FIRST_POLL)),
        cap=max(poll, FIRST_POLL),
        factor=BACKOFF,
        cancelled=cancelled,
        transient_for=transient_for,
    )


def _ended(upid: str, timeout: float | None, result: dict[str, Any] | None) -> dict[str, Any]:
    if result is None:
        raise TaskTimeout(upid, timeout or 0.0)
    return result


def _not_waiting(upid: str, exc: BaseException) -> PveError:
    """What a wait raises for an error out of the poll loop: WaitCancelled, TaskLost (transient errors that
    outlasted the budget) or the error itself."""
    if isinstance(exc, Cancelled):
        return WaitCancelled(upid)
    if isinstance(exc, PveError) and is_transient(exc):
        return TaskLost(upid, str(exc))
    assert isinstance(exc, PveError)
    return exc


class _TaskBase:
    def __init__(self, upid: str) -> None:
        self.upid: Upid = parse_upid(upid)

    @property
    def node(self) -> str:
        return self.upid.node

    def __str__(self) -> str:
        return self.upid.raw

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.upid.raw!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TaskBase) and other.upid.raw == self.upid.raw

    def __hash__(self) -> int:
        return hash(self.upid.raw)


class Task(_TaskBase):
    """A running or finished PVE task, bound to a sync client."""

    def __init__(self, client: ProxmoxClient, upid: str) -> None:
        super().__init__(upid)
        self._client = client

    def status(self) -> dict[str, Any]:
        data = self._client._call(STATUS, (self.node, self.upid.raw), {})
        return dict(data) if isinstance(data, Mapping) else {}

    def log(self, start: int = 0, limit: int = 5000) -> list[str]:
        data = self._client._call(LOG, (self.node, self.upid.raw), {"start": start, "limit": limit})
        return tail(data, count=limit)

    def _log_tail(self) -> list[str]:
        try:
            return self.log()[-LOG_TAIL:]
        except PveError:
            return []  # the failure is what matters; a log we cannot read does not hide it

    def wait(
        self,
        timeout: float | None = None,
        poll: float = MAX_POLL,
        on_progress: Progress | None = None,
        transient_for: float = TRANSIENT_FOR,
        cancelled: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        """Poll until the task stops. Returns the final status; raises TaskFailed, TaskTimeout, TaskLost or
        UnexpectedAnswer; ``WaitCancelled`` within ``CANCEL_CHECK`` seconds of ``cancelled()`` turning true
        (another thread's Ctrl-C: the task goes on)."""
        malformed = _Malformed(self.upid.raw)

        def probe() -> dict[str, Any] | None:
            status = malformed.check(self._client._call(STATUS, (self.node, self.upid.raw), {}))
            if status is not None and on_progress:
                on_progress(status)
            return status if status is not None and status["status"] == "stopped" else None

        try:
            found = poll_until(probe, _poll(self._client.clock, timeout, poll, transient_for, cancelled))
        except (Cancelled, PveError) as exc:
            error = _not_waiting(self.upid.raw, exc)
            if error is exc:
                raise
            raise error from exc
        status = _ended(self.upid.raw, timeout, found)
        if succeeded(status):
            return status
        raise TaskFailed(self.upid.raw, str(status.get("exitstatus", "unknown")), self._log_tail())


class AsyncTask(_TaskBase):
    """A running or finished PVE task, bound to an async client."""

    def __init__(self, client: AsyncProxmoxClient, upid: str) -> None:
        super().__init__(upid)
        self._client = client

    async def status(self) -> dict[str, Any]:
        data = await self._client._call(STATUS, (self.node, self.upid.raw), {})
        return dict(data) if isinstance(data, Mapping) else {}

    async def log(self, start: int = 0, limit: int = 5000) -> list[str]:
        data = await self._client._call(LOG, (self.node, self.upid.raw), {"start": start, "limit": limit})
        return tail(data, count=limit)

    async def wait(
        self,
        timeout: float | None = None,
        poll: float = MAX_POLL,
        on_progress: Progress | Callable[[Mapping[str, Any]], Awaitable[None]] | None = None,
        transient_for: float = TRANSIENT_FOR,
        cancelled: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        """Poll until the task stops. Returns the final status; raises TaskFailed, TaskTimeout, TaskLost or
        UnexpectedAnswer; ``WaitCancelled`` when ``cancelled()`` turns true (the task goes on)."""
        malformed = _Malformed(self.upid.raw)

        async def probe() -> dict[str, Any] | None:
            status = malformed.check(await self._client._call(STATUS, (self.node, self.upid.raw), {}))
            if status is not None and on_progress:
                result = on_progress(status)
                if isinstance(result, Awaitable):
                    await result
            return status if status is not None and status["status"] == "stopped" else None

        try:
            found = await apoll_until(probe, _poll(self._client.clock, timeout, poll, transient_for, cancelled))
        except (Cancelled, PveError) as exc:
            error = _not_waiting(self.upid.raw, exc)
            if error is exc:
                raise
            raise error from exc
        status = _ended(self.upid.raw, timeout, found)
        if succeeded(status):
            return status
        try:
            log_tail = (await self.log())[-LOG_TAIL:]
        except PveError:
            log_tail = []
        raise TaskFailed(self.upid.raw, str(status.get("exitstatus", "unknown")), log_tail)
