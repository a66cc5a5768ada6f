"""Tasks: what task-starting methods return. ``wait()`` follows ``/nodes/{node}/tasks/{upid}/status``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from pvectl.sdk._core.errors import TaskFailed, TaskTimeout
from pvectl.sdk._core.upid import Upid, parse_upid

if TYPE_CHECKING:
    from pvectl.sdk._client import AsyncProxmoxClient, ProxmoxClient

STATUS = "GET /nodes/{node}/tasks/{upid}/status"
LOG = "GET /nodes/{node}/tasks/{upid}/log"
LOG_TAIL = 20

Progress = Callable[[Mapping[str, Any]], None]


def succeeded(status: Mapping[str, Any]) -> bool:
    # PVE marks success as "OK"; "WARNINGS: n" still completed (the GUI shows it as a warning).
    exitstatus = str(status.get("exitstatus", ""))
    return exitstatus == "OK" or exitstatus.startswith("WARNINGS")


def tail(lines: Any, count: int = LOG_TAIL) -> list[str]:
    if not isinstance(lines, list):
        return []
    texts = [str(item.get("t", "")) if isinstance(item, Mapping) else str(item) for item in lines]
    return texts[-count:]


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

    def wait(
        self, timeout: float | None = None, poll: float = 1.0, on_progress: Progress | None = None
    ) -> dict[str, Any]:
        """Poll until the task stops. Returns the final status; raises TaskFailed or TaskTimeout."""
        clock = self._client.clock
        deadline = None if timeout is None else clock.monotonic() + timeout
        while True:
            status = self.status()
            if on_progress:
                on_progress(status)
            if status.get("status") == "stopped":
                if succeeded(status):
                    return status
                raise TaskFailed(self.upid.raw, str(status.get("exitstatus", "unknown")), self.log()[-LOG_TAIL:])
            if deadline is not None and clock.monotonic() >= deadline:
                raise TaskTimeout(self.upid.raw, timeout or 0.0)
            clock.sleep(poll)


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
        poll: float = 1.0,
        on_progress: Progress | Callable[[Mapping[str, Any]], Awaitable[None]] | None = None,
    ) -> dict[str, Any]:
        """Poll until the task stops. Returns the final status; raises TaskFailed or TaskTimeout."""
        clock = self._client.clock
        deadline = None if timeout is None else clock.monotonic() + timeout
        while True:
            status = await self.status()
            if on_progress:
                result = on_progress(status)
                if isinstance(result, Awaitable):
                    await result
            if status.get("status") == "stopped":
                if succeeded(status):
                    return status
                raise TaskFailed(
                    self.upid.raw, str(status.get("exitstatus", "unknown")), (await self.log())[-LOG_TAIL:]
                )
            if deadline is not None and clock.monotonic() >= deadline:
                raise TaskTimeout(self.upid.raw, timeout or 0.0)
            await clock.asleep(poll)
