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

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.backup import joblog
from pvectl.backup.plan import Guest, VzdumpRequest
from pvectl.guest.outcome import INTERRUPTED, OK, SOME_FAILED, UNKNOWN, Outcome, OutcomeKind
from pvectl.guest.outcome import follow as follow_command

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

LOG_PAGE = 500
# PVE answers a log with no line yet with one placeholder line for its GUI (pve-common src/PVE/Tools.pm
# dump_logfile_by_filehandle: "no content" when the file is empty); counted as a line, it would make the next read
# start after the job's real first line
NO_CONTENT = "no content"
POLL = 1.0
RECONCILE_DELAYS = (0.0, 0.3, 0.7, 1.5, 3.0)


def guest_outcome(
    guest: Guest, kind: OutcomeKind, message: str, *, upid: str | None = None, archive: str | None = None
) -> Outcome:
    """The core's outcome object for one guest of a backup (``action`` backup; the archive among ``done``)."""
    return Outcome(
        kind,
        guest.vmid,
        guest.node,
        message,
        upid=upid,
        done=[f"archive {archive}"] if archive and kind == "done" else [],
        remedies=[follow_command(upid)] if upid and kind in ("unknown", "interrupted") else [],
        guest="lxc" if guest.kind == "lxc" else "qemu",
        action="backup",
        name=guest.name or None,
    )


@dataclass
class NodeJob:
    request: VzdumpRequest
    upid: str | None = None
    lines: list[str] = field(default_factory=list)
    status: dict[str, Any] | None = None
    complete: bool = False  # the whole log was read after the task stopped
    error: str | None = None  # why the job has no task (refused, lost answer never found)
    error_kind: OutcomeKind = "failed"
    checked: list[str] = field(default_factory=list)  # what was asked after a lost answer
    unreadable: bool = False  # the rest of its log cannot be read (the task stopped, or the node stopped answering)
    failing_since: float | None = None  # when reading the task started to fail (reset by any good read)

    @property
    def done(self) -> bool:
        return self.error is not None or self.upid is None or self.complete or self.unreadable


Progress = Callable[[str], None]


def start(client: ProxmoxClient, job: NodeJob) -> None:
    """Send one vzdump request; on a lost answer, look for the task it may have started."""
    from pvectl.guest.answers import ambiguous, describe_loss
    from pvectl.sdk._core.errors import PveError
    from pvectl.sdk._core.upid import is_upid

    req = job.request
    since = time.time()
    try:
        # PVE answers "OK", not a task id, when no listed guest is on the node (pve-manager PVE/API2/VZDump.pm
        # vzdump): wire.typed hands that answer back as sent, judged below
        answer = send_vzdump(client, req)
    except PveError as exc:
        if not ambiguous(exc):
            job.error = f"PVE refused the backup: {getattr(exc, 'message', None) or exc}"
            return
        upid = find_vzdump_task(client, req, since, job.checked)
        job.checked.insert(0, describe_loss(exc))
        if upid is None:
            job.error = (
                f"{describe_loss(exc)}; no vzdump task was found on {req.node} (pvectl task list --node {req.node})"
            )
            job.error_kind = "unknown"
            return
        answer = upid
    if answer == "OK":  # PVE/API2/VZDump.pm: none of the guests is on this node, so no task
        job.error = f"PVE started no backup on {req.node}: the guests are not on that node (any more)"
        return
    if not (isinstance(answer, str) and is_upid(answer)):  # an odd 2xx: ambiguous, as a lost answer
        job.checked.append(f"PVE answered {answer!r} instead of a task id")
        answer = find_vzdump_task(client, req, since, job.checked)
        if answer is None:
            job.error, job.error_kind = f"PVE answered no task id, and {req.node} shows no vzdump task", "unknown"
            return
    job.upid = answer


def send_vzdump(client: ProxmoxClient, req: VzdumpRequest) -> Any:
    """``POST /nodes/{node}/vzdump`` with the planned parameters, through the typed SDK."""
    from pvectl.guest.wire import typed

    return typed(client.nodes(req.node).vzdump.create, req.params)


def find_vzdump_task(client: ProxmoxClient, request: VzdumpRequest, since: float, checked: list[str]) -> str | None:
    """The vzdump task of ``request`` started since ``since`` (bounded, backed-off GETs of the node's task list).

    The core's runner finds a lost task by its guest id (``pvectl.guest.run.find_task``); a vzdump task carries
    the vmid only when it backs up one guest (``PVE/API2/VZDump.pm``: ``$taskid`` is the single guest's id, else
    empty), so this one matches on the type, that id and the start time (minus the core's clock skew allowance).
    """
    from pvectl.guest.run import CLOCK_SKEW
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.backoff import Poll
    from pvectl.sdk._core.errors import PveError

    node = request.node
    tid = str(request.guests[0].vmid) if len(request.guests) == 1 else ""
    rounds = Poll(client.clock, delays=RECONCILE_DELAYS[1:], tries=len(RECONCILE_DELAYS))
    while rounds.next_try():  # the first look at once, then after each of RECONCILE_DELAYS[1:]
        try:
            rows = plain(client.nodes(node).tasks.list(typefilter="vzdump", source="all", limit=50))
        except PveError as exc:
            checked.append(f"GET /nodes/{node}/tasks: {exc}")
            continue
        found = [
            r
            for r in rows or []
            if isinstance(r, Mapping)
            and r.get("type") == "vzdump"
            and str(r.get("id") or "") == tid
            and float(r.get("starttime", 0)) >= since - CLOCK_SKEW
        ]
        if found:
            upid = str(max(found, key=lambda r: float(r.get("starttime", 0)))["upid"])
            checked.append(f"GET /nodes/{node}/tasks: vzdump task {upid}")
            return upid
    checked.append(f"GET /nodes/{node}/tasks: no vzdump task since the request")
    return None


def poll(client: ProxmoxClient, job: NodeJob) -> None:
    """Read the task's status, then its new log lines (the whole log once it stopped)."""
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.backoff import TRANSIENT_FOR
    from pvectl.sdk._core.errors import PveError

    assert job.upid is not None
    node = job.request.node
    try:
        task = client.nodes(node).tasks(job.upid)
        status = plain(task.status())
        if isinstance(status, Mapping):
            job.status = dict(status)
        while True:
            page = plain(task.log(start=len(job.lines), limit=LOG_PAGE))
            rows = [str(r.get("t", "")) for r in page or [] if isinstance(r, Mapping)]
            if not job.lines and rows == [NO_CONTENT]:
                break  # the task has written nothing yet: PVE's placeholder is no log line (and no offset)
            job.lines.extend(rows)
            if len(rows) < LOG_PAGE:
                break
    except PveError:
        now = client.clock.monotonic()
        job.failing_since = now if job.failing_since is None else job.failing_since
        if job.status is not None and job.status.get("status") == "stopped":
            job.unreadable = True  # the task ended; the rest of its log cannot be read
        elif now - job.failing_since >= TRANSIENT_FOR:
            job.unreadable = True  # as the core's poll loop: a node that does not answer for a minute is not waited for
        return
    job.failing_since = None
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
    from pvectl.sdk._core.backoff import Poll

    rounds = Poll(client.clock, timeout=timeout, first=0.1, cap=POLL)
    while rounds.next_try():
        for job in jobs:
            if not job.done:
                poll(client, job)
        if on_progress is not None:
            text = progress_text(jobs)
            if text:
                on_progress(text)
        if all(job.done for job in jobs):
            return


def progress_text(jobs: Sequence[NodeJob]) -> str:
    parts = []
    for job in jobs:
        if job.upid is None or job.done:
            continue
        log = joblog.parse(job.lines, [g.vmid for g in job.request.guests])
        if log.current is not None:
            current = log.guests[log.current]
            pct = f" {current.percent}%" if current.percent is not None else ""
            # the log says "VM N" for containers too: name the guest as the request did (CT 200 (ns1))
            label = next((g.label for g in job.request.guests if g.vmid == current.vmid), f"VM {current.vmid}")
            parts.append(f"{job.request.node}: {label}{pct}")
    return ", ".join(parts)


def outcomes(jobs: Sequence[NodeJob], *, interrupted: bool = False) -> list[Outcome]:
    """One outcome per planned guest: done (backed up), failed (PVE's reason), unknown or interrupted."""
    out: list[Outcome] = []
    for job in jobs:
        guests = job.request.guests
        if job.error is not None:
            for g in guests:
                o = guest_outcome(g, job.error_kind, f"{g.label}: {job.error}", upid=job.upid)
                o.checked = list(job.checked)
                out.append(o)
            continue
        log = joblog.parse(job.lines, [g.vmid for g in guests])
        stopped = job.status is not None and job.status.get("status") == "stopped"
        exitstatus = str(job.status.get("exitstatus")) if stopped and job.status else None
        log.settle(ended=stopped, complete=job.complete, exitstatus=exitstatus)
        for guest in guests:
            o = _outcome(guest, log.guests.get(guest.vmid), job, interrupted=interrupted)
            o.checked = list(job.checked)
            out.append(o)
    return out


def _outcome(guest: Guest, result: joblog.GuestBackup | None, job: NodeJob, *, interrupted: bool) -> Outcome:
    upid, who = job.upid, guest.label
    if result is None:  # PVE skipped it: the guest is on another node now
        return guest_outcome(guest, "failed", f"{who}: not on {job.request.node} any more; not backed up", upid=upid)
    if result.state == "done":
        took = f" in {result.took}" if result.took else ""
        archive = archive_volid(result.archive, job.request.params.get("storage"))
        return guest_outcome(guest, "done", f"{who}: backed up{took}", upid=upid, archive=archive)
    if result.state == "failed":
        return guest_outcome(guest, "failed", f"{who}: backup failed - {result.error}", upid=upid)
    if interrupted:
        doing = "being backed up" if result.state == "running" else "waiting in the job"
        return guest_outcome(guest, "interrupted", f"{who}: {doing}; the task goes on on the server", upid=upid)
    stopped = job.status is not None and job.status.get("status") == "stopped"
    if job.unreadable:
        silent = "" if stopped else "; its node did not answer for a minute"
        why = f"the task's log could not be read to the end{silent}"
    else:
        why = "the task still runs" if not job.complete else "the log does not say"
    return guest_outcome(guest, "unknown", f"{who}: unknown ({why})", upid=upid)


def archive_volid(archive: str | None, storage: object) -> str | None:
    """The new backup's volume id from the archive the log names, when the storage was named in the request.

    pve-manager ``PVE/VZDump.pm exec_backup_task`` logs the file it writes (``<dumpdir>/vzdump-….vma.zst``: the
    volid is ``<storage>:backup/<file name>``) or, on PBS, the snapshot (``vm/100/<time>Z``: ``<storage>:backup/
    vm/100/<time>Z``); without --storage the storage is the node's vzdump default, so the archive stays as logged.
    """
    if not archive or not isinstance(storage, str) or not storage:
        return archive
    if archive.startswith("/"):
        return f"{storage}:backup/{archive.rsplit('/', 1)[1]}"
    if _PBS_SNAPSHOT.fullmatch(archive):
        return f"{storage}:backup/{archive}"
    return archive


_PBS_SNAPSHOT = re.compile(r"(?:vm|ct)/\d+/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def exit_code(results: Sequence[Outcome]) -> int:
    """0 all backed up; 130 interrupted; 7 when the only ones not backed up are unknown; 8 otherwise."""
    if all(r.ok for r in results):
        return OK
    if any(r.kind == "interrupted" for r in results):
        return INTERRUPTED
    if all(r.ok or r.kind == "unknown" for r in results):
        return UNKNOWN
    return SOME_FAILED
