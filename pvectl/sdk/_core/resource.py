"""Base classes of the generated resource classes: a client plus the path values so far."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pvectl.sdk._client import AsyncProxmoxClient, ProxmoxClient
    from pvectl.sdk._core.task import AsyncTask, Task


class SyncResource:
    """A node of the API tree bound to a sync client (``client.nodes("pve1").qemu``)."""

    _ops: ClassVar[Mapping[str, str]] = {}  # method name -> its operation ("set": "PUT /nodes/{node}/...")

    def __init__(self, client: ProxmoxClient, path: tuple[str, ...] = ()) -> None:
        self._client = client
        self._path = path

    def _call(self, key: str, params: Mapping[str, Any], indexed: Mapping[str, Any] | None = None) -> Any:
        return self._client._call(key, self._path, params, indexed)

    def _task(self, upid: Any, key: str = "") -> Task:
        from pvectl.sdk._core.task import Task

        _check_upid(self, upid, key)
        return Task(self._client, str(upid))

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._path!r}"


class AsyncResource:
    """A node of the API tree bound to an async client."""

    _ops: ClassVar[Mapping[str, str]] = {}  # method name -> its operation ("set": "PUT /nodes/{node}/...")

    def __init__(self, client: AsyncProxmoxClient, path: tuple[str, ...] = ()) -> None:
        self._client = client
        self._path = path

    async def _call(self, key: str, params: Mapping[str, Any], indexed: Mapping[str, Any] | None = None) -> Any:
        return await self._client._call(key, self._path, params, indexed)

    def _task(self, upid: Any, key: str = "") -> AsyncTask:
        from pvectl.sdk._core.task import AsyncTask

        _check_upid(self, upid, key)
        return AsyncTask(self._client, str(upid))

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._path!r}"


def _check_upid(resource: Any, answer: Any, key: str = "") -> None:
    """A task-starting call answers a UPID (PVE's fork_worker); anything else (``{"data": null}``, a proxy's odd
    body) is UnexpectedAnswer, which callers treat as an ambiguous answer, never as "nothing happened".
    ``key`` (``POST /nodes/{node}/qemu/{vmid}/clone``) lets the message name the request as it was sent."""
    from pvectl.sdk._core.answers import UnexpectedAnswer
    from pvectl.sdk._core.upid import is_upid

    if not isinstance(answer, str) or not is_upid(answer):
        raise UnexpectedAnswer(_called(resource, key), answer, "a task id (UPID)")


def _called(resource: Any, key: str) -> str:
    """``POST /nodes/pve1/qemu/100/clone``: the request a resource's call sent, from its operation's key."""
    import re

    where = "/".join(str(value) for value in resource._path)
    method, _, template = key.partition(" ")
    names = re.findall(r"\{(\w+)\}", template)
    if not template or len(names) != len(resource._path):
        return f"the task-starting call on {type(resource).__name__}({where})"
    values = dict(zip(names, resource._path, strict=True))
    return f"{method} " + re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)
