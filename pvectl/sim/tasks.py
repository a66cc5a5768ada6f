"""Worker tasks: UPIDs, running -> stopped, exit status and log, and what a task does when it ends.

A task's effects (unlock a config, change a VM's status, destroy it) are recorded with the task and applied
when its time is up, the next time anyone talks to the simulator. Tasks therefore finish "in the background"
even across separate ``pvectl --sim`` processes, without a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pvectl.sim import volumes

State = dict[str, Any]
Effect = dict[str, Any]
MAX_TASKS = 500


def make_upid(node: str, pid: int, pstart: int, starttime: int, ttype: str, tid: str, user: str) -> str:
    # pve-common PVE::Tools::upid_encode: pid/pstart/starttime as 8 hex digits, uppercase.
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{ttype}:{tid}:{user}:"


def start_task(
    state: State,
    node: str,
    ttype: str,
    tid: str,
    user: str,
    now: float,
    *,
    seconds: float | None = None,
    failure: str | None = None,
    log: list[str] | None = None,
    log_at: list[float] | None = None,
    on_ok: list[Effect] | None = None,
    on_fail: list[Effect] | None = None,
) -> str:
    """Start a task; ``log_at`` (seconds after the start, one per log line) makes its log grow as it runs."""
    pid = int(state.get("next_pid", 4096))
    state["next_pid"] = pid + 1
    upid = make_upid(node, pid, 1_000_000 + pid, int(now), ttype, tid, user)
    all_tasks = state["tasks"]
    all_tasks[upid] = {
        "upid": upid,
        "node": node,
        "type": ttype,
        "id": tid,
        "user": user,
        "pid": pid,
        "pstart": 1_000_000 + pid,
        "starttime": int(now),
        "ends": now + (state["task_seconds"] if seconds is None else seconds),
        "status": "running",
        "failure": failure,
        "log": list(log or []),
        "on_ok": on_ok or [],
        "on_fail": on_fail or [],
    }
    if log_at is not None:
        all_tasks[upid]["log_at"] = [now + at for at in log_at]
    if len(all_tasks) > MAX_TASKS:
        for old in list(all_tasks)[: len(all_tasks) - MAX_TASKS]:  # the oldest, in start order
            del all_tasks[old]
    return upid


def finish(state: State, task: dict[str, Any], now: float, failure: str | None = None) -> None:
    failure = failure or task.get("failure")
    if task.get("log_at"):  # stopped early: the lines it had not written yet never come
        task["log"] = log_lines(task, now)
        task.pop("log_at")
    task["status"] = "stopped"
    task["endtime"] = max(int(now), task["starttime"])
    if failure:
        task["exitstatus"] = failure
        task["log"].append(f"TASK ERROR: {failure}")
        effects = task["on_fail"]
    else:
        task["exitstatus"] = "OK"
        task["log"].append("TASK OK")
        effects = task["on_ok"]
    for effect in effects:
        apply_effect(state, effect, now)


def log_lines(task: Mapping[str, Any], now: float) -> list[str]:
    """The lines of a task's log written by ``now`` (all of them for a task without timed lines)."""
    at = task.get("log_at")
    lines: list[str] = task["log"]
    if not at:
        return lines
    return [line for i, line in enumerate(lines) if i >= len(at) or at[i] <= now]


def _due(state: State, now: float) -> list[str]:
    return [upid for upid, t in state["tasks"].peek_items() if t["status"] == "running" and t["ends"] <= now]


def due(state: State, now: float) -> bool:
    """True when some task's time is up (its end must be written: the request needs a write transaction)."""
    return bool(_due(state, now))


def advance(state: State, now: float) -> bool:
    """Finish every task whose time is up. True when anything changed."""
    upids = _due(state, now)
    for upid in upids:
        finish(state, state["tasks"][upid], now)
    return bool(upids)


def find(state: State, upid: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = state["tasks"].get(upid)
    return found


def newest_first(state: State) -> list[dict[str, Any]]:
    return list(reversed(state["tasks"].peek_values()))


def status_of(task: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: task[k] for k in ("upid", "node", "pid", "pstart", "starttime", "type", "id", "user", "status")}
    if task["status"] == "stopped":
        out["exitstatus"] = task["exitstatus"]
    return out


def list_entry(task: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: task[k] for k in ("upid", "node", "pid", "pstart", "starttime", "type", "id", "user")}
    if task["status"] == "stopped":
        out["status"] = task["exitstatus"]
        out["endtime"] = task["endtime"]
    return out


def apply_effect(state: State, effect: Mapping[str, Any], now: float) -> None:
    op = effect["op"]
    vm = state["vms"].get(str(effect.get("vmid")))
    if op == "unlock" and vm is not None:
        vm["config"].pop("lock", None)
    elif op == "status" and vm is not None:
        vm["status"] = effect["status"]
        vm.pop("paused", None)  # a (re)started or stopped VM is no longer paused
        vm["started"] = int(now)
    elif op == "ha":
        entry = state["ha"].get(effect["sid"])
        if entry is not None:
            entry["state"] = effect["state"]
        elif effect.get("create"):
            state["ha"][effect["sid"]] = {"type": "vm", "state": effect["state"], "max_restart": 1, "max_relocate": 1}
    elif op == "ha-worker":
        # the HA stack acting on a request: its local resource manager runs the real start/stop as root@pam,
        # one HA round after the request task ended (pve-ha-manager LRM; qemu-server hastart/hastop only ask)
        start_task(
            state,
            str(effect["node"]),
            str(effect["type"]),
            str(effect["vmid"]),
            "root@pam",
            now,
            seconds=float(state["ha_seconds"] if "ha_seconds" in state else state["task_seconds"]),
            on_ok=list(effect["effects"]),
        )
    elif op == "add-volume":
        volumes.add(state, effect["volume"])
    elif op == "remove-volume":
        volumes.remove(state, effect["volid"], effect["node"])
    elif op == "destroy":
        destroy_vm(state, int(effect["vmid"]), purge=bool(effect.get("purge")))
    elif op == "apply-pending" and vm is not None:
        from pvectl.sim.pending import apply_all

        apply_all(state, vm)
    elif op == "pause" and vm is not None:
        vm["paused"] = bool(effect["paused"])
    elif op == "migrate":
        from pvectl.sim.handlers import migrate

        migrate.apply(state, dict(effect), now)
    elif op.startswith("backup-"):
        from pvectl.sim.handlers import vzdump

        vzdump.apply(state, dict(effect), now)
    elif op.startswith("lxc-"):
        from pvectl.sim.handlers import lxc

        lxc.apply(state, dict(effect), now)
    elif op.startswith("snapshot-"):
        from pvectl.sim.handlers import snapshots

        snapshots.apply(state, dict(effect), now)


def destroy_vm(state: State, vmid: int, *, purge: bool) -> None:
    from pvectl.sim.vmconf import volumes_of

    if drop_guest(state, vmid, volumes_of) and purge:
        state["ha"].pop(f"vm:{vmid}", None)


def drop_guest(state: State, vmid: int, volumes_of: Callable[[dict[str, Any]], list[str]]) -> bool:
    """A guest goes with the volumes it owns and its pool membership (qemu-server destroy_vm, pve-container
    destroy_lxc_container); False when there was none."""
    vm = state["vms"].pop(str(vmid), None)
    if vm is None:
        return False
    for volid in volumes_of(vm["config"]):
        for node in (None, vm["node"]):
            vol = state["volumes"].get(volumes.key(volid, node))
            if vol is not None and vol.get("vmid") == vmid:
                del state["volumes"][volumes.key(volid, node)]
    pool = state["pools"].get(vm.get("pool") or "")
    if pool is not None and vmid in pool["vms"]:
        pool["vms"].remove(vmid)
    return True
