"""Containers, continued: snapshots, clone, migrate (restart or offline) and the appliance index (``aplinfo``).

pve-container ``src/PVE/API2/LXC.pm`` (clone_vm, migrate_vm, migrate_vm_precondition),
``src/PVE/API2/LXC/Snapshot.pm``, ``src/PVE/LXC/Migrate.pm`` (prepare, phase1, phase3); pve-manager
``PVE/API2/Nodes.pm`` (aplinfo, apl_download).
"""

from __future__ import annotations

import copy
from typing import Any

from pvectl.sim import lxcconf, volumes
from pvectl.sim.handlers.lxc import check_lock, ct_of
from pvectl.sim.routes import Ctx, route
from pvectl.sim.vmconf import _free_name, volid_for
from pvectl.sim.wire import ApiFail, param_fail

State = dict[str, Any]
# Storage types whose volumes take snapshots (PVE::Storage plugins' volume_has_feature 'snapshot'; a raw image on
# a directory storage has none, hence pve-container's "snapshot feature is not available").
SNAPSHOT_TYPES = {"rbd", "lvmthin", "zfspool", "btrfs"}
RESTART_TIMEOUT = 180  # API2/LXC.pm migrate_vm: default shutdown timeout of a restart migration


# -- snapshots ------------------------------------------------------------------------------------------------


def _snapshot_capable(state: State, vm: dict[str, Any]) -> bool:
    for volid in lxcconf.volumes_of({k: v for k, v in vm["config"].items() if lxcconf.is_mount(k)}):
        st = state["storages"].get(volid.split(":", 1)[0], {})
        if st.get("type") not in SNAPSHOT_TYPES:
            return False
    return True


@route("GET /nodes/{node}/lxc/{vmid}/feature")
def feature(ctx: Ctx) -> dict[str, Any]:
    """pve-container src/PVE/API2/LXC.pm vm_feature: {hasFeature, nodes}; PVE::LXC::Config has_feature asks every
    mount point's volume (rootfs included)."""
    vm = ct_of(ctx)
    has = _snapshot_capable(ctx.state, vm) if ctx.text("feature") == "snapshot" else True
    return {"hasFeature": int(has), "nodes": sorted(ctx.state["nodes"])}


@route("GET /nodes/{node}/lxc/{vmid}/snapshot")
def list_snapshots(ctx: Ctx) -> list[dict[str, Any]]:
    vm = ct_of(ctx)
    out: list[dict[str, Any]] = []
    for name, snap in (vm.get("snapshots") or {}).items():
        entry = {"name": name, "description": snap["description"], "snaptime": snap["snaptime"]}
        if snap.get("parent"):
            entry["parent"] = snap["parent"]
        out.append(entry)
    current: dict[str, Any] = {"name": "current", "description": "You are here!", "running": 0}
    current["running"] = int(vm["status"] == "running")
    if vm.get("parent"):
        current["parent"] = vm["parent"]
    out.append(current)
    return out


@route("GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config")
def snapshot_config(ctx: Ctx) -> dict[str, Any]:
    vm = ct_of(ctx)
    snap = (vm.get("snapshots") or {}).get(str(ctx.path["snapname"]))
    if snap is None:
        raise ApiFail(500, f"snapshot '{ctx.path['snapname']}' does not exist")
    found: dict[str, Any] = copy.deepcopy(snap["config"])
    return found


@route("POST /nodes/{node}/lxc/{vmid}/snapshot")
def create_snapshot(ctx: Ctx) -> str:
    vm = ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    check_lock(ctx, vm)
    name = str(ctx.text("snapname"))
    if name == "current" or name in (vm.get("snapshots") or {}):  # AbstractConfig snapshot_prepare
        raise ApiFail(500, f"snapshot name '{name}' already used")
    failure = None if _snapshot_capable(ctx.state, vm) else "snapshot feature is not available"
    if str(vm["config"].get("template", "0")) == "1":  # AbstractConfig __snapshot_prepare asks this first
        failure = "you can't take a snapshot if it's a template"
    snap = {
        "description": ctx.text("description") or "",
        "snaptime": int(ctx.now),
        "vmstate": 0,  # containers have no RAM state
        "parent": vm.get("parent") or "",
        "config": {k: v for k, v in vm["config"].items() if k != "lock"},
    }
    effect = {"op": "snapshot-create", "vmid": vmid, "name": name, "snapshot": snap}
    return ctx.task(vm["node"], "vzsnapshot", str(vmid), failure=failure, on_ok=[effect])


def _named(ctx: Ctx, vm: dict[str, Any]) -> str:
    name = str(ctx.path["snapname"])
    if name not in (vm.get("snapshots") or {}):
        raise ApiFail(500, f"snapshot '{name}' does not exist")
    return name


@route("DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}")
def delete_snapshot(ctx: Ctx) -> str:
    vm = ct_of(ctx)
    check_lock(ctx, vm)
    effect = {"op": "snapshot-delete", "vmid": int(ctx.path["vmid"]), "name": _named(ctx, vm)}
    return ctx.task(vm["node"], "vzdelsnapshot", str(int(ctx.path["vmid"])), on_ok=[effect])


@route("POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback")
def rollback(ctx: Ctx) -> str:
    vm = ct_of(ctx)
    check_lock(ctx, vm)
    vmid = int(ctx.path["vmid"])
    effect = {"op": "snapshot-rollback", "vmid": vmid, "name": _named(ctx, vm), "start": ctx.flag("start")}
    return ctx.task(vm["node"], "vzrollback", str(vmid), on_ok=[effect])


# -- clone ----------------------------------------------------------------------------------------------------


@route("POST /nodes/{node}/lxc/{vmid}/clone")
def clone(ctx: Ctx) -> str:
    """clone_vm: full by default for a CT, linked by default for a template; a running CT's full clone needs a
    snapshot; ``storage`` only for full clones; the new CT is locked while the task runs."""
    vm = ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    state = ctx.state
    newid = int(ctx.text("newid") or 0)
    if str(newid) in state["vms"]:
        raise ApiFail(500, f"unable to create CT {newid} - CT {newid} already exists")
    is_template = bool(vm["config"].get("template"))
    full = ctx.flag("full") if ctx.text("full") is not None else not is_template
    storage = ctx.text("storage")
    if storage is not None and not full:
        raise ApiFail(500, "parameter 'storage' not allowed for linked clones")
    if not full and not is_template:
        raise ApiFail(500, "linked clone of a CT is only possible from a template")
    snapname = ctx.text("snapname")
    if snapname is not None and snapname not in (vm.get("snapshots") or {}):
        raise ApiFail(500, f"snapshot '{snapname}' does not exist")
    if full and vm["status"] == "running" and snapname is None:
        raise ApiFail(500, "Full clone of a running container is only possible from a snapshot")
    target = ctx.text("target") or vm["node"]
    if target not in state["nodes"]:
        raise ApiFail(500, f"no such cluster node '{target}'")
    pool = ctx.text("pool")
    if pool is not None and pool not in state["pools"]:
        raise ApiFail(500, f"pool '{pool}' does not exist")
    source = (vm.get("snapshots") or {}).get(snapname or "", {}).get("config") or vm["config"]
    config: dict[str, Any] = {}
    for key, value in source.items():
        if key in ("lock", "template", "parent") or lxcconf.UNUSED_KEY.fullmatch(key):
            continue
        if lxcconf.is_mount(key):
            value = _clone_volume(ctx, str(value), vm["node"], target, newid, storage if full else None, full)
        elif lxcconf.NET_KEY.fullmatch(key):
            value = lxcconf.add_hwaddr(",".join(p for p in str(value).split(",") if not p.startswith("hwaddr=")))
        config[key] = value
    config["hostname"] = ctx.text("hostname") or f"{source.get('hostname', 'CT')}-clone"[:63]
    if ctx.text("description") is not None:
        config["description"] = ctx.text("description")
    config["lock"] = "create"
    entry: dict[str, Any] = {"type": "lxc", "node": target, "status": "stopped", "started": int(ctx.now)}
    entry["config"] = config
    if pool is not None:
        state["pools"][pool]["vms"].append(newid)
        entry["pool"] = pool
    state["vms"][str(newid)] = entry
    on_fail = [{"op": "lxc-destroy", "vmid": newid}]
    return ctx.task(vm["node"], "vzclone", str(vmid), on_ok=[{"op": "unlock", "vmid": newid}], on_fail=on_fail)


def _clone_volume(ctx: Ctx, text: str, node: str, target: str, newid: int, storage: str | None, full: bool) -> str:
    values = lxcconf.parse(text)
    volid = values["volume"]
    if ":" not in volid:
        return text  # a bind mount point is copied as it is
    sid = storage or volid.split(":", 1)[0]
    st = ctx.state["storages"].get(sid)
    if st is None:
        raise ApiFail(500, f"storage '{sid}' does not exist")
    if target != node and not st["shared"]:
        raise ApiFail(500, f"can't clone CT to node '{target}' (CT uses local storage)")
    if not full and st["type"] not in SNAPSHOT_TYPES:
        raise ApiFail(500, f"Linked clone feature for '{volid}' is not available")
    name = _free_name(ctx.state, sid, st, target, newid)
    new_id = volid_for(sid, st, newid, name, "raw")
    if not full:
        new_id = f"{volid}/{new_id.split(':', 1)[1]}"  # linked: base-X-disk-N/vm-Y-disk-M, as PVE names them
    old = volumes.find(ctx.state, volid, node)
    size = int(old["size"]) if old else 0
    entry = {"volid": new_id, "storage": sid, "node": None if st["shared"] else target, "content": "rootdir"}
    volumes.add(ctx.state, {**entry, "format": "raw", "size": size, "ctime": int(ctx.now), "vmid": newid})
    values["volume"] = new_id
    return lxcconf.render(values)


# -- migrate --------------------------------------------------------------------------------------------------


def _local_volumes(state: State, vm: dict[str, Any]) -> list[str]:
    out = []
    for volid in lxcconf.volumes_of(vm["config"]):
        st = state["storages"].get(volid.split(":", 1)[0], {})
        if not st.get("shared"):
            out.append(volid)
    return out


@route("GET /nodes/{node}/lxc/{vmid}/migrate")
def precondition(ctx: Ctx) -> dict[str, Any]:
    """migrate_vm_precondition: running, the local volumes, and per node what keeps it from being a target."""
    vm = ct_of(ctx)
    state = ctx.state
    allowed, blocked = [], {}
    for node in state["nodes"]:
        if node == vm["node"]:
            continue
        missing = [
            s for s in _storages(vm) if state["storages"][s].get("nodes") and node not in state["storages"][s]["nodes"]
        ]
        if missing:
            blocked[node] = {"unavailable_storages": missing}
        else:
            allowed.append(node)
    return {
        "running": int(vm["status"] == "running"),
        "allowed-nodes": allowed,
        "not-allowed-nodes": blocked,
        "local-volumes": _local_volumes(state, vm),
        "dependent-ha-resources": [],
    }


def _storages(vm: dict[str, Any]) -> list[str]:
    return sorted({v.split(":", 1)[0] for v in lxcconf.volumes_of(vm["config"])})


@route("POST /nodes/{node}/lxc/{vmid}/migrate")
def migrate(ctx: Ctx) -> str:
    """migrate_vm + LXC/Migrate.pm: no live migration; a running CT moves in restart mode (shut down with
    ``timeout``, default 180 s, moved, started on the target); a stopped one offline."""
    vm = ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    state = ctx.state
    target = str(ctx.text("target"))
    if target == vm["node"]:
        raise param_fail({"target": "target is local node."})
    if target not in state["nodes"]:
        raise ApiFail(500, f"no such cluster node '{target}'")
    check_lock(ctx, vm)
    running = vm["status"] == "running"
    if running and not ctx.flag("online") and not ctx.flag("restart"):
        raise ApiFail(500, "can't migrate running container without --online or --restart")
    failure = None
    if running and ctx.flag("online"):
        failure = "lxc live migration is currently not implemented"  # Migrate.pm prepare
    elif not state["nodes"][target]["online"]:
        failure = "migration aborted: Can't connect to destination address using public key"
    else:
        for sid in _storages(vm):
            st = state["storages"][sid]
            if st.get("nodes") and target not in st["nodes"]:
                failure = f"migration aborted: storage '{sid}' is not available on node '{target}'"
    timeout = ctx.number("timeout", RESTART_TIMEOUT) or RESTART_TIMEOUT
    log = [f"starting migration of CT {vmid} to node '{target}' ({state['nodes'][target]['ip']})"]
    restart = running and ctx.flag("restart") and failure is None
    if restart:
        log.insert(0, f"shutdown CT {vmid} (timeout {timeout}s)")
        log.append("start container on target node")
    vm["config"]["lock"] = "migrate"
    if restart:  # Migrate.pm phase1: the container is shut down first, started on the target in phase3
        vm["status"] = "stopped"
    effect = {"op": "lxc-migrate", "vmid": vmid, "source": vm["node"], "target": target, "restart": restart}
    unlock = {"op": "unlock", "vmid": vmid}
    seconds = state["task_seconds"] * (3 if restart else 1)
    return ctx.task(
        vm["node"], "vzmigrate", str(vmid), log=log, failure=failure, seconds=seconds, on_ok=[effect], on_fail=[unlock]
    )


def apply_migrate(state: State, effect: dict[str, Any], now: float) -> None:
    vmid, source, target = int(effect["vmid"]), effect["source"], effect["target"]
    vm = state["vms"].get(str(vmid))
    if vm is None or vm["node"] != source:
        return
    for volid in lxcconf.volumes_of(vm["config"]):
        vol = state["volumes"].get(volumes.key(volid, source))
        if vol is not None:  # a local volume is copied to the target and removed on the source
            del state["volumes"][volumes.key(volid, source)]
            volumes.add(state, {**vol, "node": target})
    vm["config"].pop("lock", None)
    vm["node"] = target
    if effect.get("restart"):
        vm["status"] = "running"
        vm["started"] = int(now)


# -- appliance index ------------------------------------------------------------------------------------------

# What `pveam update` fetches (pve-manager PVE/APLInfo.pm parses it into these fields); a small sample.
APPLIANCES = [
    ("debian-12-standard", "12.12-1", "debian-12", "system", "Debian 12 Bookworm (standard)"),
    ("debian-13-standard", "13.1-2", "debian-13", "system", "Debian 13 Trixie (standard)"),
    ("ubuntu-24.04-standard", "24.04-2", "ubuntu-24.04", "system", "Ubuntu 24.04 Noble (standard)"),
    ("alpine-3.22-default", "20250617", "alpine-3.22", "system", "Alpine Linux 3.22 (default)"),
    ("rockylinux-9-default", "20240912", "rockylinux-9", "system", "Rocky Linux 9 (default)"),
    ("turnkey-nextcloud", "18.1-1", "debian-12", "turnkeylinux", "TurnKey Nextcloud"),
]


def appliances() -> list[dict[str, Any]]:
    out = []
    for package, version, os_name, section, headline in APPLIANCES:
        ext = "tar.xz" if package.startswith(("alpine", "rocky")) else "tar.zst"
        name = package if package.startswith(os_name.split("-")[0]) else f"{os_name}-{package}"
        template = f"{name}_{version}_amd64.{ext}"
        out.append(
            {
                "template": template,
                "package": package,
                "version": version,
                "type": "lxc",
                "os": os_name,
                "section": section,
                "headline": headline,
                "description": headline,
                "architecture": "amd64",
                "maintainer": "Proxmox Support Team <support@proxmox.com>",
                "location": f"http://download.example.invalid/images/{section}/{template}",
                "infopage": "https://pve.proxmox.com/wiki/Linux_Container",
                "sha512sum": "0" * 128,
                "source": "http://download.example.invalid/images",
            }
        )
    return out


@route("GET /nodes/{node}/aplinfo")
def aplinfo(ctx: Ctx) -> list[dict[str, Any]]:
    return appliances()


@route("POST /nodes/{node}/aplinfo")
def apl_download(ctx: Ctx) -> str:
    node, template, storage = ctx.path["node"], str(ctx.text("template")), str(ctx.text("storage"))
    if template not in {a["template"] for a in appliances()}:
        raise param_fail({"template": "no such template"})
    st = ctx.state["storages"].get(storage)
    if st is None:
        raise ApiFail(500, f"storage '{storage}' does not exist")
    if st.get("nodes") and node not in st["nodes"]:
        raise ApiFail(500, f"storage '{storage}' is not available on node '{node}'")
    if "vztmpl" not in st["content"]:
        raise ApiFail(500, f"storage '{storage}' does not support templates")
    volume = {
        "volid": f"{storage}:vztmpl/{template}",
        "storage": storage,
        "node": None if st["shared"] else node,
        "content": "vztmpl",
        "format": template.split(".", 1)[1] if "." in template else "tar.zst",
        "size": 130_000_000,
        "ctime": int(ctx.now),
    }
    log = [f"downloading {template} to {storage}", "download of template finished"]
    return ctx.task(node, "download", template, log=log, on_ok=[{"op": "add-volume", "volume": volume}])
