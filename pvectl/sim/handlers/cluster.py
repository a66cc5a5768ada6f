"""``/cluster``: nextid, resources, options, status, the cluster task list; and ``/version``."""

from __future__ import annotations

from typing import Any

from pvectl.sdk._core import propstring
from pvectl.sdk._core.spec import load_spec
from pvectl.sim import tasks, volumes
from pvectl.sim.routes import Ctx, route
from pvectl.sim.vmconf import DRIVES, size_bytes
from pvectl.sim.wire import ApiFail, param_fail

State = dict[str, Any]
GiB = 1024**3


@route("GET /version")
def version(ctx: Ctx) -> dict[str, Any]:
    return {"version": ctx.state["version"], "release": ctx.state["release"], "repoid": "5bfbfdeea5e8f8d1"}


def next_free(state: State) -> int:
    # datacenter.cfg ``next-id: lower=N,upper=M`` bounds the search (defaults 100 and 1000000).
    bounds = _parsed("next-id", state["options"].get("next-id", ""))
    lower, upper = int(bounds.get("lower", 100)), int(bounds.get("upper", 1_000_000))
    vmid = lower
    while str(vmid) in state["vms"]:
        vmid += 1
    if vmid >= upper:
        raise ApiFail(500, f"unable to get any free VMID in range [{lower}, {upper}]")
    return vmid


@route("GET /cluster/nextid")
def nextid(ctx: Ctx) -> str:
    wanted = ctx.number("vmid")
    if wanted is not None:
        if str(wanted) in ctx.state["vms"]:
            raise param_fail({"vmid": f"VM {wanted} already exists"})
        return str(wanted)
    vmid = next_free(ctx.state)
    if ctx.faults.take_steal():
        # Another client creates this id right after we answered (nextid reserves nothing).
        node = next(n for n, d in ctx.state["nodes"].items() if d["online"])
        config = {"name": f"raced-{vmid}", "memory": "512"}
        ctx.state["vms"][str(vmid)] = {"node": node, "status": "stopped", "started": int(ctx.now), "config": config}
        ctx.changed()
    # PVE answers a JSON string here although the schema says integer.
    return str(vmid)


def disk_total(config: dict[str, Any]) -> int:
    total = 0
    for key in config.keys() & DRIVES:
        text = str(config[key])
        if "size=" in text and "media=cdrom" not in text:
            for part in text.split(","):
                if part.startswith("size="):
                    total += size_bytes(part[5:])
    return total


def memory_mib(config: dict[str, Any]) -> int:
    # Since PVE 8.x `memory` is a property string: "2048" or "current=2048" (qemu-server default 512).
    text = str(config.get("memory", "512"))
    for part in text.split(","):
        value = part.removeprefix("current=")
        if value.isdigit():
            return int(value)
    return 512


def vm_resource(state: State, vmid: str, vm: dict[str, Any], now: float) -> dict[str, Any]:
    config = vm["config"]
    running = vm["status"] == "running"
    memory = memory_mib(config) * 1024 * 1024
    online = state["nodes"][vm["node"]]["online"]
    out: dict[str, Any] = {
        "id": f"qemu/{vmid}",
        "type": "qemu",
        "vmid": int(vmid),
        "node": vm["node"],
        "name": config.get("name", f"VM {vmid}"),
        # guests of an unreachable node have no known status; a running VM's status is its QMP status, so a
        # suspended one is "paused" (pve-manager PVE/Service/pvestatd.pm update_qemu_status writes qmpstatus as
        # the status into the RRD data that PVE/API2Tools.pm extract_vm_stats reads for /cluster/resources)
        "status": ("paused" if running and vm.get("paused") else vm["status"]) if online else "unknown",
        "template": int(config.get("template", 0)),
        "maxmem": memory,
        "mem": memory // 3 if running else 0,
        "maxcpu": int(config.get("cores", 1)) * int(config.get("sockets", 1)),
        "cpu": 0.02 if running else 0,
        "maxdisk": disk_total(config),
        "disk": 0,
        "uptime": max(0, int(now) - vm["started"]) if running else 0,
        "netin": 0,
        "netout": 0,
        "diskread": 0,
        "diskwrite": 0,
    }
    if "tags" in config:
        out["tags"] = config["tags"]
    if "lock" in config:
        out["lock"] = config["lock"]
    pool = vm.get("pool")
    if pool:
        out["pool"] = pool
    ha = state["ha"].get(f"vm:{vmid}")
    if ha:
        out["hastate"] = ha["state"]
    return out


BASE_MEMORY = 2 * GiB  # what the host itself uses (PVE services, page cache kept small)
BASE_CPU = 0.02


def node_usage(state: State) -> dict[str, tuple[int, float]]:
    """Per node: memory used and CPU load (0..1), from the VMs running on it (each uses its configured memory
    and 2% of a core per vCPU), so that free memory tells where another VM fits."""
    used = {name: [BASE_MEMORY, 0.0] for name in state["nodes"]}
    for vm in state["vms"].peek_values():
        if vm["status"] != "running" or vm["node"] not in used:
            continue
        config = vm["config"]
        entry = used[vm["node"]]
        entry[0] += memory_mib(config) * 1024 * 1024
        entry[1] += 0.02 * int(config.get("cores", 1)) * int(config.get("sockets", 1))
    out = {}
    for name, (mem, cores) in used.items():
        node = state["nodes"][name]
        out[name] = (min(int(mem), node["memory"]), round(min(1.0, BASE_CPU + cores / max(1, node["cpus"])), 4))
    return out


def node_resource(name: str, node: dict[str, Any], usage: tuple[int, float] = (0, 0.0)) -> dict[str, Any]:
    online = node["online"]
    return {
        "id": f"node/{name}",
        "type": "node",
        "node": name,
        "status": "online" if online else "offline",
        "maxcpu": node["cpus"],
        "cpu": usage[1] if online else 0,
        "maxmem": node["memory"],
        "mem": usage[0] if online else 0,
        "maxdisk": 100 * GiB,
        "disk": 10 * GiB,
        "uptime": 86400 if online else 0,
        "level": "",
        "cgroup-mode": node.get("cgroup_mode", 2),  # states stored before the seed key existed: v2
    }


def storage_usage(ctx: Ctx, storage: str, node: str | None) -> int:
    """Bytes used on ``storage`` as ``node`` sees it; the per-storage totals are computed once per state."""
    table = ctx.txn.memo("storage-usage", lambda: volumes.usage(ctx.state))
    return table.get((storage, None), 0) + (table.get((storage, node), 0) if node is not None else 0)


def storages_on(state: State, node: str) -> list[str]:
    return [sid for sid, st in state["storages"].items() if not st.get("nodes") or node in st["nodes"]]


@route("GET /cluster/resources")
def resources(ctx: Ctx) -> list[dict[str, Any]]:
    kind = ctx.text("type")
    state = ctx.state
    out: list[dict[str, Any]] = []
    if kind in (None, "vm"):
        vms = sorted(state["vms"].peek_items(), key=_vmid_key)
        from pvectl.sim.handlers.lxc import resource as ct_resource

        out += [(ct_resource if vm.get("type") == "lxc" else vm_resource)(state, vmid, vm, ctx.now) for vmid, vm in vms]
    if kind in (None, "node"):
        usage = node_usage(state)
        out += [node_resource(name, node, usage[name]) for name, node in state["nodes"].items()]
    if kind in (None, "storage"):
        for name, node in state["nodes"].items():
            for sid in storages_on(state, name):
                st = state["storages"][sid]
                out.append(
                    {
                        "id": f"storage/{name}/{sid}",
                        "type": "storage",
                        "storage": sid,
                        "node": name,
                        "plugintype": st["type"],
                        "content": ",".join(st["content"]),
                        "shared": int(st["shared"]),
                        "status": "available" if node["online"] else "unknown",
                        "maxdisk": st["total"],
                        "disk": storage_usage(ctx, sid, name),
                    }
                )
    if kind is None:
        out += [{"id": f"pool/{p}", "type": "pool", "pool": p} for p in sorted(state["pools"])]
    return out


def _vmid_key(item: tuple[str, Any]) -> int:
    return int(item[0])


def allowed_tags(state: State) -> list[str]:
    opts = state["options"]
    tags = set(filter(None, opts.get("registered-tags", "").split(";")))
    access = _parsed("user-tag-access", opts.get("user-tag-access", ""))
    tags |= set(filter(None, str(access.get("user-allow-list", "")).split(";")))
    if access.get("user-allow", "free") in ("existing", "free"):
        for vm in state["vms"].peek_values():
            tags |= set(filter(None, str(vm["config"].get("tags", "")).split(";")))
    return sorted(tags)


def _parsed(key: str, text: str) -> dict[str, Any]:
    schema = load_spec().ops["PUT /cluster/options"].params.get(key, {})
    fmt = schema.get("property_string")
    if not fmt or not text:
        return {}
    return dict(propstring.parse(text, fmt))


@route("GET /cluster/options")
def options(ctx: Ctx) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in ctx.state["options"].items():
        parsed = _parsed(key, value)
        if key == "user-tag-access" and "user-allow-list" in parsed:
            parsed["user-allow-list"] = parsed["user-allow-list"].split(";")
        out[key] = parsed or (value.split(";") if key == "registered-tags" else value)
    out["allowed-tags"] = allowed_tags(ctx.state)
    return out


@route("PUT /cluster/options")
def set_options(ctx: Ctx) -> None:
    opts = ctx.state["options"]
    for key in (ctx.text("delete") or "").replace(";", ",").split(","):
        opts.pop(key.strip(), None)
    for key, value in ctx.params.items():
        if key != "delete":
            opts[key] = ",".join(value) if isinstance(value, list) else value


@route("GET /cluster/status")
def status(ctx: Ctx) -> list[dict[str, Any]]:
    nodes = ctx.state["nodes"]
    out: list[dict[str, Any]] = [
        {
            "type": "cluster",
            "id": "cluster",
            "name": ctx.state["cluster"],
            "nodes": len(nodes),
            "quorate": int(sum(n["online"] for n in nodes.values()) * 2 > len(nodes)),
            "version": len(nodes),
        }
    ]
    for i, (name, node) in enumerate(nodes.items()):
        out.append(
            {
                "type": "node",
                "id": f"node/{name}",
                "name": name,
                "nodeid": node["nodeid"],
                "ip": node["ip"],
                "online": int(node["online"]),
                "local": int(i == 0),
                "level": "",
            }
        )
    return out


@route("GET /cluster/tasks")
def cluster_tasks(ctx: Ctx) -> list[dict[str, Any]]:
    return [tasks.list_entry(t) for t in tasks.newest_first(ctx.state)]
