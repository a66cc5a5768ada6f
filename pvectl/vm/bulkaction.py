"""``--server-side``: let PVE run a bulk start/shutdown/suspend/migrate as one task of its own.

``POST /cluster/bulk-action/guest/{start,shutdown,suspend,migrate}`` exists since PVE 9.0 (the version table:
absent in 7.4-2 … 8.4.0, present in 9.0.9 and 9.1.3; pve-manager 9.0.13 by its changelog). Its worker count is
``maxworkers`` until pve-manager 9.1.2, ``max-workers`` from then on (the changelog of 9.1.2; ``maxworkers`` is kept
as an alias, which had no effect on these actions in 9.1.2). The server answers one UPID for the whole
action: pvectl waits for that task, then reads each VM's state to give every VM its own outcome. Compared with
the client-side run, there is no progress per VM while it runs and Ctrl-C cannot stop further VMs from starting
(the task goes on; its UPID is printed).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pvectl.guest.wire import typed
from pvectl.vm.outcome import Outcome, follow

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.bulk import Result
    from pvectl.vm.lookup import VmRef

ACTIONS = ("start", "shutdown", "suspend", "migrate")
# pve-manager PVE/API2/Cluster/BulkAction/Guest.pm: each bulk action forks one worker ('bulk-start',
# 'bulk-shutdown', 'bulk-suspend', 'bulk-migrate', no guest id) on the node that took the request
TASK_TYPES = {action: f"bulk-{action}" for action in ACTIONS}


def op_key(action: str) -> str:
    return f"POST /cluster/bulk-action/guest/{action}"


def unsupported(client: ProxmoxClient, action: str) -> str | None:
    """Why the server cannot do ``action`` server-side (naming the first release that can); None when it can."""
    from pvectl.sdk import _versions
    from pvectl.sdk._core.versions import check_supported

    client.version()  # asked once per client; sets server_version
    server = client.server_version or ""
    problem = check_supported(op_key(action), [], server, _versions.RELEASES, _versions.TABLE)
    if problem is None:
        return None
    since = f"PVE {problem.since} or newer" if problem.since else "a newer PVE release"
    return f"--server-side: the server runs PVE {server}; PVE's bulk {action} needs {since} (drop --server-side)"


def params(client: ProxmoxClient, action: str, vmids: Sequence[int], parallel: int, **extra: Any) -> dict[str, Any]:
    from pvectl.sdk import _versions
    from pvectl.sdk._core.versions import version_key

    # max-workers from the release pve-manager's changelog pins it to (SINCE), else from the first dump listing it:
    # before that the server may lack it, while maxworkers (deprecated in 9.1, kept) is in both
    server = client.server_version or ""
    bits = _versions.TABLE.get(op_key(action), ("", {}))[1].get("max-workers", "")
    first = _versions.SINCE.get(f"{op_key(action)} max-workers")
    first = first or (_versions.RELEASES[bits.index("1")] if "1" in bits else None)
    newer = not server or (first is not None and version_key(server) >= version_key(first))
    workers = "max-workers" if newer else "maxworkers"
    out: dict[str, Any] = {"vms": list(vmids), workers: parallel}
    out.update({k.replace("_", "-"): v for k, v in extra.items() if v is not None})
    return out


def _state(client: ProxmoxClient, now: VmRef | None, action: str, target: str | None) -> tuple[bool, str]:
    """Whether the VM ended where the action wanted it, and what it is now."""
    from pvectl.sdk._core.answers import as_object

    if now is None:
        return False, "gone"
    if action == "migrate":
        return now.node == target, f"on {now.node}"
    if action == "suspend":
        path = f"/nodes/{now.node}/qemu/{now.vmid}/status/current"
        answer = as_object(f"GET {path}", client.nodes(now.node).qemu(now.vmid).status.current())
        qmp = str(answer.get("qmpstatus") or now.status)
        return qmp == "paused", qmp
    wanted = "running" if action == "start" else "stopped"
    return now.status == wanted, now.status


def run(
    client: ProxmoxClient,
    action: str,
    refs: Sequence[VmRef],
    *,
    parallel: int,
    timeout: float | None,
    past: str,
    target: str | None = None,
    **extra: Any,
) -> list[Result]:
    """Send the one bulk request, wait for its task, then give every VM its outcome from its state."""
    results = _outcomes(client, action, refs, parallel, timeout, past, target, extra)
    for result in results:  # each outcome names its VM and the action (summaries said "100 (no name)")
        result.outcome.name, result.outcome.action = result.ref.name or None, action
    return results


def _outcomes(
    client: ProxmoxClient, action: str, refs: Sequence[VmRef], parallel: int, timeout: float | None, past: str,
    target: str | None, extra: dict[str, Any],
) -> list[Result]:  # fmt: skip
    from pvectl.guest.answers import ambiguous, describe_loss, not_sent
    from pvectl.sdk import Task, TaskTimeout
    from pvectl.sdk._core.answers import UnexpectedAnswer
    from pvectl.sdk._core.errors import ApiError, TaskFailed, TransportError
    from pvectl.sdk._core.task import TaskLost
    from pvectl.vm.actions import _task
    from pvectl.vm.bulk import Result

    path = f"/cluster/bulk-action/guest/{action}"
    body = params(client, action, [r.vmid for r in refs], parallel, target=target, **extra)
    checked: list[str] = []
    sent_at = time.time()
    try:
        answer = typed(getattr(client.cluster.bulk_action.guest, action), body)  # POST {path}, typed
        upid = _task(client, f"POST {path}", answer).upid.raw
    except (ApiError, UnexpectedAnswer, TransportError) as exc:
        if not_sent(exc):
            message = f"could not reach the server; nothing was sent ({exc})"
            return [Result(r, Outcome("failed", r.vmid, r.node, f"{_label(r)}: {message}")) for r in refs]
        if not ambiguous(exc):  # PVE refused: nothing was started
            return [Result(r, Outcome("failed", r.vmid, r.node, f"{_label(r)}: refused: {exc}")) for r in refs]
        # never sent again: the bulk task is looked up; without it, each VM's state decides
        checked.append(describe_loss(exc))
        found = _lost_task(client, action, sent_at, checked)
        if found is None:
            return _judged(client, action, refs, target, past, checked)
        upid = found
    log: list[str] = []
    try:
        Task(client, upid).wait(timeout=timeout)
    except TaskFailed as exc:
        log = exc.log_tail
    except KeyboardInterrupt:
        message = f"interrupted: PVE's bulk {action} task goes on: {upid}"
        return [
            Result(r, Outcome("interrupted", r.vmid, r.node, message, upid=upid, remedies=[follow(upid)])) for r in refs
        ]
    except (TaskLost, TaskTimeout, TransportError) as exc:
        message = f"unknown: PVE's bulk {action} task goes on ({exc})"
        return [Result(r, Outcome("unknown", r.vmid, r.node, f"{_label(r)}: {message}", upid=upid)) for r in refs]
    after = _settled(client, action, refs, target, timeout)
    results = []
    for ref in refs:
        reached, now = _state(client, after.get(ref.vmid), action, target)
        if reached:
            message = f"{_label(ref)} {past} (server-side task)"
            outcome = Outcome("done", ref.vmid, ref.node, message, upid=upid, checked=list(checked))
        else:
            message = f"{_label(ref)}: not {past} after PVE's bulk task (now {now})"
            outcome = Outcome("failed", ref.vmid, ref.node, message, upid=upid, log_tail=list(log))
        results.append(Result(ref, outcome))
    return results


def _lost_task(client: ProxmoxClient, action: str, since: float, checked: list[str]) -> str | None:
    """The bulk task started since ``since`` on the node that took the request (the one ``/cluster/status``
    marks local), or None (noted in ``checked``)."""
    from pvectl.guest.run import CLOCK_SKEW
    from pvectl.sdk._core.errors import PveError
    from pvectl.sdk._core.upid import is_upid

    task_type = TASK_TYPES[action]
    try:
        local = next((str(n.name) for n in client.cluster.status() if n.type_ == "node" and n.local), "")
        if not local:
            checked.append("GET /cluster/status: no node marked local")
            return None
        rows = client.nodes(local).tasks.list(typefilter=task_type, source="all", limit=50)
    except PveError as exc:
        checked.append(f"task list: {exc}")
        return None
    ours = [
        (float(getattr(r, "starttime", 0) or 0), str(r.upid))
        for r in rows if getattr(r, "type_", None) == task_type and is_upid(getattr(r, "upid", None))
        and float(getattr(r, "starttime", 0) or 0) >= since - CLOCK_SKEW
    ]  # fmt: skip
    if not ours:
        checked.append(f"GET /nodes/{local}/tasks: no {task_type} task since the request")
        return None
    upid = max(ours)[1]
    checked.append(f"GET /nodes/{local}/tasks: {task_type} task {upid}")
    return upid


def _judged(
    client: ProxmoxClient, action: str, refs: Sequence[VmRef], target: str | None, past: str, checked: list[str]
) -> list[Result]:
    """No bulk task found after an ambiguous answer: a VM the server shows where the action wanted it is done,
    any other unknown (the task may not be listed yet)."""
    from pvectl.sdk._core.errors import PveError
    from pvectl.vm.bulk import Result
    from pvectl.vm.lookup import cluster_vms

    try:
        after: dict[int, VmRef] = {v.vmid: v for v in cluster_vms(client)}
    except PveError as exc:
        checked.append(f"GET /cluster/resources: {exc}")
        after = {}
    results = []
    for ref in refs:
        reached, now = _state(client, after.get(ref.vmid), action, target) if after else (False, "unread")
        if reached:
            message = f"{_label(ref)} {past} ({checked[0]}; the server shows it)"
            results.append(Result(ref, Outcome("done", ref.vmid, ref.node, message, checked=list(checked))))
        else:
            message = f"{_label(ref)}: unknown: {checked[0]}; PVE may have started it (now {now}); not sent again"
            outcome = Outcome("unknown", ref.vmid, ref.node, message, checked=list(checked),
                              remedies=["pvectl task list"])  # fmt: skip
            results.append(Result(ref, outcome))
    return results


def _settled(
    client: ProxmoxClient, action: str, refs: Sequence[VmRef], target: str | None, timeout: float | None
) -> dict[int, VmRef]:
    """The VMs after the bulk task. PVE's bulk worker (pve-manager PVE/API2/Cluster/BulkAction/Guest.pm
    ``handle_task_foreach_guest``) waits for each guest's task, but for an HA-managed guest that task only files
    the request (hastart/hastop/hamigrate): the HA stack acts afterwards. So HA-managed guests not yet where the
    action wants them are watched until they are (or ``timeout`` passes) before they get an outcome."""
    from pvectl.sdk._core.backoff import Poll
    from pvectl.vm.lookup import cluster_vms
    from pvectl.vm.migrate import ha_managed

    poll = Poll(client.clock, timeout=600.0 if timeout is None else timeout)
    while True:
        after = {v.vmid: v for v in cluster_vms(client)}
        waiting = [r for r in refs if ha_managed(r) and not _state(client, after.get(r.vmid), action, target)[0]]
        if not waiting or action == "suspend" or not poll.pause():
            return after


def _label(ref: VmRef) -> str:
    return f"VM {ref.vmid} ({ref.name or 'no name'})"
