"""Helpers every SDK user needs, beside the generated resources; each has a sync and an async twin.

- :func:`wait_task` / :func:`async_wait_task`: wait for a task by UPID (bounded backoff, ``timeout``, and
  ``cancelled`` to stop waiting from another thread); raises TaskFailed, TaskTimeout, TaskLost, WaitCancelled.
- :func:`find_guest` / :func:`async_find_guest`: a VM or container by id or name across the cluster, without
  knowing its node (one ``GET /cluster/resources``); :func:`list_guests` / :func:`async_list_guests` all of them.
- :func:`run_bulk` / :func:`async_run_bulk`: start one task per guest, at most ``parallel`` at a time, wait for
  each, and get one :class:`BulkResult` per guest (an error affects only its guest; nothing is ever resent).
- :func:`poll_until` / :func:`apoll_until` with a :class:`Poll`: wait for anything else the same way pvectl
  waits (a guest agent answering, an address, an HA move): the probe's first answer other than None, or None when
  ``timeout`` passes; delays from ``first`` growing to ``cap`` on the client's clock, never past the deadline;
  transient read errors tolerated (``transient_for`` seconds in a row); :class:`Cancelled` within 0.1 s of
  ``cancelled()`` turning true.
- :func:`pve_call` / :func:`pve_kwargs`: call a typed method with parameters named as PVE names them
  (``prune-backups``, ``net0``, ``delete``); the same for sync and async methods.

    from pvectl.sdk import ProxmoxClient
    from pvectl.sdk.lib import Poll, find_guest, list_guests, poll_until, run_bulk, wait_task

    with ProxmoxClient("pve1.example.com", token="root@pam!ci=...") as client:
        web = find_guest(client, "web1")                     # qemu or lxc, any node
        upid = client.nodes(web.node).qemu(web.vmid).status.start().upid.raw
        wait_task(client, upid, timeout=120)
        results = run_bulk(client, list_guests(client, kinds=("qemu",)), lambda c, g: g.power(c, "shutdown"))
        failed = [r for r in results if not r.ok]
        up = poll_until(lambda: find_guest(client, web.vmid).status == "running" or None,
                        Poll(client.clock, timeout=60, first=0.5, cap=5))
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.sdk._core.backoff import Cancelled, Poll, apoll_until, poll_until
from pvectl.sdk.lib.params import pve_call, pve_kwargs

if TYPE_CHECKING:
    from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient

__all__ = [
    "BulkResult",
    "Cancelled",
    "Guest",
    "GuestNotFound",
    "Poll",
    "apoll_until",
    "async_find_guest",
    "async_list_guests",
    "async_run_bulk",
    "async_wait_task",
    "find_guest",
    "list_guests",
    "poll_until",
    "pve_call",
    "pve_kwargs",
    "run_bulk",
    "wait_task",
]

KINDS: tuple[str, ...] = ("qemu", "lxc")
RESOURCES = "GET /cluster/resources"


class GuestNotFound(LookupError):
    """No guest with that id or name, or a name several guests share (``candidates`` lists them)."""

    def __init__(self, message: str, candidates: Sequence[Guest] = ()) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


@dataclass(frozen=True)
class Guest:
    """A VM (``kind`` "qemu") or container ("lxc") as ``/cluster/resources`` lists it."""

    vmid: int
    node: str
    kind: str
    name: str = ""
    status: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def path(self) -> str:
        return f"/nodes/{self.node}/{self.kind}/{self.vmid}"

    def power(self, client: ProxmoxClient, action: str) -> str:
        """Start a power action (start, stop, shutdown, reboot, suspend, resume); its UPID."""
        node: Any = client.nodes(self.node)
        resource = node.lxc(self.vmid) if self.kind == "lxc" else node.qemu(self.vmid)
        return str(getattr(resource.status, action)().upid.raw)


def _guests(data: Any, kinds: Sequence[str]) -> list[Guest]:
    from pvectl.sdk._core.answers import as_int, as_rows, as_text

    out = [
        Guest(
            vmid=as_int(RESOURCES, row["vmid"]),
            node=as_text(RESOURCES, row.get("node"), default=""),
            kind=str(row.get("type")),
            name=as_text(RESOURCES, row.get("name"), default=""),
            status=as_text(RESOURCES, row.get("status"), default=""),
            raw=row,
        )
        for row in as_rows(RESOURCES, data)
        if row.get("type") in kinds and row.get("vmid") is not None
    ]
    return sorted(out, key=lambda g: g.vmid)


def _pick(guests: Sequence[Guest], key: str | int) -> Guest:
    text = str(key)
    if text.isdigit():
        for guest in guests:
            if guest.vmid == int(text):
                return guest
        raise GuestNotFound(f"no guest with id {text}")
    named = [g for g in guests if g.name == text]
    if not named:
        raise GuestNotFound(f"no guest named '{text}'")
    if len(named) > 1:
        where = ", ".join(f"{g.vmid} on {g.node}" for g in named)
        raise GuestNotFound(f"several guests are named '{text}' ({where}); give the id instead", named)
    return named[0]


def list_guests(client: ProxmoxClient, kinds: Sequence[str] = KINDS) -> list[Guest]:
    """Every guest of ``kinds`` in the cluster (templates included), sorted by id."""
    return _guests(client.request("GET", "/cluster/resources", {"type": "vm"}), kinds)


async def async_list_guests(client: AsyncProxmoxClient, kinds: Sequence[str] = KINDS) -> list[Guest]:
    return _guests(await client.request("GET", "/cluster/resources", {"type": "vm"}), kinds)


def find_guest(client: ProxmoxClient, key: str | int, kinds: Sequence[str] = KINDS) -> Guest:
    """The guest with id or name ``key``; GuestNotFound otherwise (also for a name several guests share)."""
    return _pick(list_guests(client, kinds), key)


async def async_find_guest(client: AsyncProxmoxClient, key: str | int, kinds: Sequence[str] = KINDS) -> Guest:
    return _pick(await async_list_guests(client, kinds), key)


def wait_task(
    client: ProxmoxClient,
    upid: str,
    *,
    timeout: float | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Wait until the task ``upid`` ends; its final status. TaskFailed (with the log tail) if it failed."""
    from pvectl.sdk import Task

    return Task(client, upid).wait(timeout=timeout, cancelled=cancelled)


async def async_wait_task(
    client: AsyncProxmoxClient,
    upid: str,
    *,
    timeout: float | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    from pvectl.sdk import AsyncTask

    return await AsyncTask(client, upid).wait(timeout=timeout, cancelled=cancelled)


@dataclass
class BulkResult:
    """What happened to one guest of a bulk run: ``ok``, its task's ``upid``, or the ``error`` met."""

    guest: Guest
    ok: bool
    upid: str | None = None
    error: BaseException | None = None


def run_bulk(
    client: ProxmoxClient,
    guests: Sequence[Guest],
    start: Callable[[ProxmoxClient, Guest], str],
    *,
    parallel: int = 4,
    timeout: float | None = None,
) -> list[BulkResult]:
    """``start`` returns the UPID of the task it started for a guest; each task is waited for. One result per
    guest, in ``guests`` order; an error (refused, lost answer, failed task) is that guest's result only. Writes are
    never resent: after a lost answer the result says so (``error``), and the caller decides."""
    from pvectl.sdk import PveError

    def one(guest: Guest) -> BulkResult:
        upid: str | None = None
        try:
            upid = start(client, guest)
            wait_task(client, upid, timeout=timeout)
        except PveError as exc:
            return BulkResult(guest, False, upid, exc)
        return BulkResult(guest, True, upid)

    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    with ThreadPoolExecutor(max_workers=min(parallel, max(1, len(guests)))) as pool:
        return list(pool.map(one, guests))


async def async_run_bulk(
    client: AsyncProxmoxClient,
    guests: Sequence[Guest],
    start: Callable[[AsyncProxmoxClient, Guest], Awaitable[str]],
    *,
    parallel: int = 4,
    timeout: float | None = None,
) -> list[BulkResult]:
    """The async twin of :func:`run_bulk`: at most ``parallel`` guests at a time on one event loop."""
    from pvectl.sdk import PveError

    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    gate = asyncio.Semaphore(parallel)

    async def one(guest: Guest) -> BulkResult:
        upid: str | None = None
        async with gate:
            try:
                upid = await start(client, guest)
                await async_wait_task(client, upid, timeout=timeout)
            except PveError as exc:
                return BulkResult(guest, False, upid, exc)
        return BulkResult(guest, True, upid)

    return list(await asyncio.gather(*(one(g) for g in guests)))
