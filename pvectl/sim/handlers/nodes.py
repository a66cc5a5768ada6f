"""``/nodes``: the node list, node status, network interfaces and the node's tasks."""

from __future__ import annotations

from typing import Any

from pvectl.sdk._core.upid import is_upid
from pvectl.sim import tasks
from pvectl.sim.handlers.cluster import node_resource, node_usage
from pvectl.sim.routes import Ctx, WithAttrs, route
from pvectl.sim.wire import ApiFail, param_fail

BRIDGE_TYPES = {"any_bridge": ("bridge", "OVSBridge"), "any_local_bridge": ("bridge", "OVSBridge")}


@route("GET /nodes")
def list_nodes(ctx: Ctx) -> list[dict[str, Any]]:
    usage = node_usage(ctx.state)
    out = []
    for name, node in ctx.state["nodes"].items():
        entry = node_resource(name, node, usage[name])
        entry.pop("cgroup-mode")
        if not node["online"]:  # PVE lists an unreachable node with its name and status only
            entry = {k: entry[k] for k in ("id", "type", "node", "status")}
        out.append(entry)
    return out


@route("GET /nodes/{node}/apt/versions")
def apt_versions(ctx: Ctx) -> list[dict[str, Any]]:
    """pve-manager PVE/API2/APT.pm versions: the PVE packages and their installed versions."""
    from pvectl.sim.packages import versions

    return [
        {
            "Package": name,
            "Version": version,
            "Title": name,
            "Description": name,
            "Origin": "Proxmox",
            "Priority": "optional",
            "Section": "admin",
            "Arch": "amd64",
            "CurrentState": "Installed",
        }
        for name, version in sorted(versions(ctx.state).items())
    ]


@route("GET /nodes/{node}/status")
def node_status(ctx: Ctx) -> dict[str, Any]:
    name = ctx.path["node"]
    node = ctx.state["nodes"][name]
    mem = node["memory"]
    used, cpu = node_usage(ctx.state)[name]
    return {
        "cpu": cpu,
        "cpuinfo": {"cpus": node["cpus"], "sockets": 1, "cores": node["cpus"], "model": "Simulated CPU", "mhz": "2400"},
        "memory": {"total": mem, "used": used, "free": mem - used, "available": mem - used},
        "swap": {"total": 0, "used": 0, "free": 0},
        "rootfs": {"total": 100 * 1024**3, "used": 10 * 1024**3, "free": 90 * 1024**3, "avail": 90 * 1024**3},
        "loadavg": ["0.10", "0.08", "0.05"],
        "uptime": 86400,
        "kversion": "Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4",
        "pveversion": f"pve-manager/{ctx.state['version']}/simulated",
        "current-kernel": {"sysname": "Linux", "release": "6.14.11-4-pve", "machine": "x86_64", "version": "#1"},
        "boot-info": {"mode": "efi", "secureboot": 0},
        "idle": 0,
        "wait": 0,
    }


@route("GET /nodes/{node}/version")
def node_version(ctx: Ctx) -> dict[str, Any]:
    return {"version": ctx.state["version"], "release": ctx.state["release"], "repoid": "5bfbfdeea5e8f8d1"}


@route("GET /nodes/{node}/network")
def network(ctx: Ctx) -> list[dict[str, Any]]:
    kind = ctx.text("type")
    wanted = BRIDGE_TYPES.get(kind or "", (kind,) if kind else None)
    return [dict(i) for i in ctx.state["networks"][ctx.path["node"]] if wanted is None or i["type"] in wanted]


@route("GET /nodes/{node}/network/{iface}")
def interface(ctx: Ctx) -> dict[str, Any]:
    for item in ctx.state["networks"][ctx.path["node"]]:
        if item["iface"] == ctx.path["iface"]:
            return dict(item)
    raise ApiFail(500, f"network interface '{ctx.path['iface']}' does not exist")


def _task(ctx: Ctx) -> dict[str, Any]:
    upid = ctx.path["upid"]
    if not is_upid(upid):
        raise param_fail({"upid": "unable to parse worker upid"})
    task = tasks.find(ctx.state, upid)
    if task is None or task["node"] != ctx.path["node"]:
        raise ApiFail(500, f"no such task '{upid}'")
    return task


@route("GET /nodes/{node}/tasks")
def list_tasks(ctx: Ctx) -> WithAttrs:
    node = ctx.path["node"]
    vmid, typefilter, userfilter = ctx.text("vmid"), ctx.text("typefilter"), ctx.text("userfilter")
    source, errors_only = ctx.text("source", "archive"), ctx.flag("errors")
    out = []
    for task in tasks.newest_first(ctx.state):
        if task["node"] != node or (vmid is not None and task["id"] != vmid):
            continue
        if (typefilter and task["type"] != typefilter) or (userfilter and userfilter not in task["user"]):
            continue
        running = task["status"] == "running"
        if (source == "active" and not running) or (source == "archive" and running):
            continue
        if errors_only and (running or task["exitstatus"] == "OK"):
            continue
        out.append(tasks.list_entry(task))
    start, limit = ctx.number("start", 0) or 0, ctx.number("limit", 50) or 50
    return WithAttrs(out[start : start + limit], {"total": len(out)})


@route("GET /nodes/{node}/tasks/{upid}")
def task_index(ctx: Ctx) -> list[dict[str, str]]:
    _task(ctx)
    return [{"name": "log"}, {"name": "status"}]


@route("GET /nodes/{node}/tasks/{upid}/status")
def task_status(ctx: Ctx) -> dict[str, Any]:
    return tasks.status_of(_task(ctx))


@route("GET /nodes/{node}/tasks/{upid}/log")
def task_log(ctx: Ctx) -> list[dict[str, Any]]:
    lines = tasks.log_lines(_task(ctx), ctx.now)
    start, limit = ctx.number("start", 0) or 0, ctx.number("limit", 50) or 50
    return [{"n": i + 1, "t": line} for i, line in enumerate(lines)][start : start + limit]


@route("DELETE /nodes/{node}/tasks/{upid}")
def stop_task(ctx: Ctx) -> None:
    task = _task(ctx)
    if task["status"] == "running":
        tasks.finish(ctx.state, task, ctx.now, failure="unexpected status")
