"""Run vzdump requests and tell, per guest, what happened: backed up, failed (PVE's reason), or unknown.

Each node's request starts one task (pve-manager ``PVE/API2/VZDump.pm``); all are followed in one loop that reads
each task's status and the new lines of its log (``GET …/tasks/{upid}/log?start=N``), so the progress line can
name the guest being backed up and its percentage. The result per guest comes from the log
(``pvectl.backup.joblog``), never from the task's exit status alone: PVE ends a job where one guest of three
failed with ``job errors`` after backing up the other two.

A request whose answer was lost is never sent again: the node's task list is asked for a ``vzdump`` task of
this user started since just before the request (``GET /nodes/{node}/tasks?typefilter=vzdump``); found, it is
followed like any other; not found within the budget, its guests are ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pvectl.backup import joblog
from pvectl.backup.plan import Guest, VzdumpRequest

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

OutcomeKind = Literal["backed-up", "failed", "unknown", "interrupted", "skipped"]
LOG_PAGE = 500
POLL = 1.0
RECONCILE_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0)


@dataclass
class GuestOutcome:
    guest: Guest
    outcome: OutcomeKind
    message: str
    archive: str | None = None
    upid: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "backed-up"

    def row(self) -> dict[str, Any]:
        g = self.guest
        return {
            "vmid": g.vmid,
            "name": g.name,
            "node": g.node,
            "kind": g.kind,
            "outcome": self.outcome,
            "message": self.message,
            "archive": self.archive,
            "upid": self.upid,
        }


@dataclass
class NodeJob:
    request: VzdumpRequest
    upid: str | None = None
    lines: list[str] = field(default_factory=list)
    status: dict[str, Any] | None = None
    complete: bool = False  # the whole log was read after the task stopped
    error: str | None = None  # why the job has no task (refused, lost answer never found)
    error_kind: OutcomeKind = "failed"

    @property
    def done(self) -> bool:
        return self.error is not None or self.upid is None or self.complete or self._unreadable

    _unreadable: bool = False


Progress = Callable[[str], None]


def start(client: ProxmoxClient, job: NodeJob) -> None:
    """Send one vzdump request; on a lost answer, look for the task it may have started."""
    from pvectl.sdk._core.errors import PveError
    from pvectl.sdk._core.upid import is_upid
    from pvectl.vm.reconcile import ambiguous, describe_loss

    req = job.request
    since = _server_time(client, req.node)
    try:
        answer = client.request("POST", req.path, dict(req.params))
    except PveError as exc:
        if not ambiguous(exc):
            job.error = f"PVE refused the backup: {getattr(exc, 'message', None) or exc}"
            return
        upid = find_vzdump_task(client, req.node, since)
        if upid is None:
            job.error = (
                f"{describe_loss(exc)}; no vzdump task was found on {req.node} (pvectl task list --node {req.node})"
            )
            job.error_kind = "unknown"
            return
        answer = upid
    if isinstance(answer, str) and is_upid(answer):
        job.upid = answer
    elif answer == "OK":
        job.error = f"PVE started no backup on {req.node}: the guests are not on that node (any more)"
    else:
        job.error = f"PVE answered {answer!r} instead of a task id"
        job.error_kind = "unknown"


def _server_time(client: ProxmoxClient, node: str) -> int | None:
    from pvectl.sdk._core.errors import PveError

    try:
        data = client.request("GET", f"/nodes/{node}/time")
    except PveError:
        return None
    return int(data.get("time", 0)) if isinstance(data, Mapping) else None


def find_vzdump_task(client: ProxmoxClient, node: str, since: int | None) -> str | None:
    """The vzdump task this client's user started on ``node`` at or after ``since`` (bounded, backed-off GETs)."""
    from pvectl.sdk._core.errors import PveError

    clock = client.clock
    for delay in RECONCILE_DELAYS:
        if delay:
            clock.sleep(delay)
        try:
            rows = client.request("GET", f"/nodes/{node}/tasks", {"typefilter": "vzdump", "source": "all", "limit": 50})
        except PveError:
            continue
        found = [
            r
            for r in rows or []
            if isinstance(r, Mapping)
            and r.get("type") == "vzdump"
            and (since is None or int(r.get("starttime", 0)) >= since - 2)
        ]
        if found:
            return str(max(found, key=lambda r: int(r.get("starttime", 0)))["upid"])
    return None


def poll(client: ProxmoxClient, job: NodeJob) -> None:
    """Read the task's status, then its new log lines (the whole log once it stopped)."""
    from pvectl.sdk._core.errors import PveError

    assert job.upid is not None
    node = job.request.node
    try:
        status = client.request("GET", f"/nodes/{node}/tasks/{job.upid}/status")
        if isinstance(status, Mapping):
            job.status = dict(status)
        while True:
            page = client.request(
                "GET", f"/nodes/{node}/tasks/{job.upid}/log", {"start": len(job.lines), "limit": LOG_PAGE}
            )
            rows = [str(r.get("t", "")) for r in page or [] if isinstance(r, Mapping)]
            job.lines.extend(rows)
            if len(rows) < LOG_PAGE:
                break
    except PveError:
        if job.status is not None and job.status.get("status") == "stopped":
            job._unreadable = True  # the task ended; the rest of its log cannot be read
        return
    if job.status is not None and job.status.get("status") == "stopped":
        job.complete = True


def follow(
    client: ProxmoxClient,
    jobs: Sequence[NodeJob],
    *,
    timeout: float | None,
    on_progress: Progress | None = None,
) -> None:
    """Poll every started job until all have stopped (or ``timeout`` passes: the rest stay unknown)."""
    clock = client.clock
    began = clock.monotonic()
    delay = 0.1
    while True:
        for job in jobs:
            if not job.done:
                poll(client, job)
        if on_progress is not None:
            text = progress_text(jobs)
            if text:
                on_progress(text)
        if all(job.done for job in jobs):
            return
        if timeout is not None and clock.monotonic() - began >= timeout:
            return
        clock.sleep(delay)
        delay = min(delay * 2, POLL)


def progress_text(jobs: Sequence[NodeJob]) -> str:
    parts = []
    for job in jobs:
        if job.upid is None or job.done:
            continue
        log = joblog.parse(job.lines, [g.vmid for g in job.request.guests])
        if log.current is not None:
            current = log.guests[log.current]
            pct = f" {current.percent}%" if current.percent is not None else ""
            parts.append(f"{job.request.node}: VM {current.vmid}{pct}")
    return ", ".join(parts)


def outcomes(jobs: Sequence[NodeJob], *, interrupted: bool = False) -> list[GuestOutcome]:
    """One outcome per planned guest."""
    out: list[GuestOutcome] = []
    for job in jobs:
        guests = job.request.guests
        if job.error is not None:
            out += [GuestOutcome(g, job.error_kind, job.error, upid=job.upid) for g in guests]
            continue
        if job.upid is None:
            continue
        log = joblog.parse(job.lines, [g.vmid for g in guests])
        stopped = job.status is not None and job.status.get("status") == "stopped"
        exitstatus = str(job.status.get("exitstatus")) if stopped and job.status else None
        log.settle(ended=stopped, complete=job.complete, exitstatus=exitstatus)
        for guest in guests:
            result = log.guests.get(guest.vmid)
            out.append(_outcome(guest, result, job, interrupted=interrupted))
    return out


def _outcome(guest: Guest, result: joblog.GuestBackup | None, job: NodeJob, *, interrupted: bool) -> GuestOutcome:
    upid = job.upid
    if result is None:  # PVE skipped it: the guest is on another node now
        return GuestOutcome(
            guest, "skipped", f"{guest.label}: not on {job.request.node} any more; not backed up", upid=upid
        )
    if result.state == "done":
        took = f" in {result.took}" if result.took else ""
        return GuestOutcome(guest, "backed-up", f"{guest.label}: backed up{took}", result.archive, upid)
    if result.state == "failed":
        return GuestOutcome(guest, "failed", f"{guest.label}: backup failed - {result.error}", result.archive, upid)
    if interrupted:
        doing = "being backed up" if result.state == "running" else "waiting in the job"
        return GuestOutcome(guest, "interrupted", f"{guest.label}: {doing}; the task goes on on the server", upid=upid)
    why = (
        "the task's log could not be read to the end"
        if job._unreadable
        else "the task still runs"
        if not job.complete
        else "the log does not say"
    )
    return GuestOutcome(
        guest, "unknown", f"{guest.label}: unknown ({why}); follow it: pvectl task wait '{upid}'", upid=upid
    )


def exit_code(results: Sequence[GuestOutcome]) -> int:
    """0 all backed up; 130 interrupted; 7 when some are unknown and none failed; 8 otherwise."""
    if all(r.ok for r in results):
        return 0
    if any(r.outcome == "interrupted" for r in results):
        return 130
    if all(r.ok or r.outcome == "unknown" for r in results):
        return 7
    return 8
