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
from pvectl.sdk._core.errors import ApiError, PveError, TaskFailed, TaskTimeout, TLSError, TransportError
from pvectl.sdk._core.upid import Upid, parse_upid

if TYPE_CHECKING:
    from pvectl.sdk._client import AsyncProxmoxClient, ProxmoxClient

STATUS = "GET /nodes/{node}/tasks/{upid}/status"
LOG = "GET /nodes/{node}/tasks/{upid}/log"
LOG_TAIL = 20
FIRST_POLL = 0.1
MAX_POLL = 2.0
BACKOFF = 1.5
MALFORMED_TRIES = 3  # consecutive unreadable status answers before giving up
TRANSIENT_FOR = 60.0  # seconds of transient errors in a row before the task is "lost"

Progress = Callable[[Mapping[str, Any]], None]


CANCEL_CHECK = 0.1  # seconds between two looks at ``cancelled`` while a wait pauses


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


def is_transient(exc: BaseException) -> bool:
    """Errors worth asking again about: lost connections, 5xx and PVE's 595/596 (proxy could not reach the node)."""
    if isinstance(exc, TLSError):
        return False
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, ApiError) and exc.status >= 500


class _Poller:
    """The waiting policy, without IO: what to do after each status answer or error."""

    def __init__(self, upid: str, now: float, timeout: float | None, poll: float, transient_for: float) -> None:
        self.upid = upid
        self.deadline = None if timeout is None else now + timeout
        self.timeout = timeout
        self.max_poll = max(poll, FIRST_POLL)
        self.interval = min(FIRST_POLL, self.max_poll)
        self.transient_for = transient_for
        self.failing_since: float | None = None
        self.malformed = 0

    def _next(self, now: float) -> float:
        if self.deadline is not None and now >= self.deadline:
            raise TaskTimeout(self.upid, self.timeout or 0.0)
        delay = self.interval
        self.interval = min(self.interval * BACKOFF, self.max_poll)
        if self.deadline is not None:
            delay = max(0.0, min(delay, self.deadline - now))
        return delay

    def answered(self, data: Any, now: float) -> dict[str, Any] | None:
        """The checked status, or None (after a malformed answer that may be retried)."""
        try:
            status = read_status(self.upid, data)
        except UnexpectedAnswer:
            self.malformed += 1
            if self.malformed >= MALFORMED_TRIES:
                raise
            return None
        self.malformed = 0
        self.failing_since = None
        return status

    def failed(self, exc: PveError, now: float) -> None:
        """Re-raise unless ``exc`` is transient and within budget; TaskLost when the budget is spent."""
        if not is_transient(exc):
            raise exc
        if self.failing_since is None:
            self.failing_since = now
        if now - self.failing_since >= self.transient_for:
            raise TaskLost(self.upid, str(exc)) from exc

    def delay(self, now: float) -> float:
        return self._next(now)


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
        clock = self._client.clock
        poller = _Poller(self.upid.raw, clock.monotonic(), timeout, poll, transient_for)
        while True:
            if cancelled is not None and cancelled():
                raise WaitCancelled(self.upid.raw)
            try:
                status = poller.answered(self._client._call(STATUS, (self.node, self.upid.raw), {}), clock.monotonic())
            except UnexpectedAnswer:
                raise
            except PveError as exc:
                poller.failed(exc, clock.monotonic())
                status = None
            if status is not None:
                if on_progress:
                    on_progress(status)
                if status["status"] == "stopped":
                    if succeeded(status):
                        return status
                    raise TaskFailed(self.upid.raw, str(status.get("exitstatus", "unknown")), self._log_tail())
            delay = poller.delay(clock.monotonic())
            if cancelled is None:
                clock.sleep(delay)
                continue
            end = clock.monotonic() + delay
            while (left := end - clock.monotonic()) > 0:
                if cancelled():
                    raise WaitCancelled(self.upid.raw)
                clock.sleep(min(left, CANCEL_CHECK))


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
        clock = self._client.clock
        poller = _Poller(self.upid.raw, clock.monotonic(), timeout, poll, transient_for)
        while True:
            if cancelled is not None and cancelled():
                raise WaitCancelled(self.upid.raw)
            try:
                data = await self._client._call(STATUS, (self.node, self.upid.raw), {})
                status = poller.answered(data, clock.monotonic())
            except UnexpectedAnswer:
                raise
            except PveError as exc:
                poller.failed(exc, clock.monotonic())
                status = None
            if status is not None:
                if on_progress:
                    result = on_progress(status)
                    if isinstance(result, Awaitable):
                        await result
                if status["status"] == "stopped":
                    if succeeded(status):
                        return status
                    try:
                        log_tail = (await self.log())[-LOG_TAIL:]
                    except PveError:
                        log_tail = []
                    raise TaskFailed(self.upid.raw, str(status.get("exitstatus", "unknown")), log_tail)
            delay = poller.delay(clock.monotonic())
            if cancelled is None:
                await clock.asleep(delay)
                continue
            end = clock.monotonic() + delay
            while (left := end - clock.monotonic()) > 0:
                if cancelled():
                    raise WaitCancelled(self.upid.raw)
                await clock.asleep(min(left, CANCEL_CHECK))
