"""``/nodes/{node}/qemu/{vmid}/snapshot``: the snapshot tree of a VM (create, list, config, rollback, delete).

A VM entry keeps ``snapshots`` ({name: {description, snaptime, vmstate, parent, config}}) and ``parent`` (the
snapshot the present state descends from), as PVE's ``qemu-server/<vmid>.conf`` keeps ``[name]`` sections and a
``parent:`` line (PVE/AbstractConfig.pm). The write happens when the task ends, as in PVE's worker.
"""

from __future__ import annotations

import copy
from typing import Any

from pvectl.sim import vmconf
from pvectl.sim.handlers.qemu import _check_lock, _vm
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail

State = dict[str, Any]


def _snapshots(vm: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = vm.setdefault("snapshots", {})
    return found


def _named(ctx: Ctx, vm: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = str(ctx.path["snapname"])
    snap = _snapshots(vm).get(name)
    if snap is None:
        raise ApiFail(500, f"snapshot '{name}' does not exist")
    return name, snap


# pve-storage volume_has_feature, 'snapshot' of the current volume: block plugins with their own snapshots
# (LvmThinPlugin, RBDPlugin, ZFSPoolPlugin, BTRFSPlugin); file plugins (Plugin.pm) only for qcow2; plain LVM
# and iSCSI none.
SNAPSHOT_TYPES = {"lvmthin", "rbd", "zfspool", "btrfs"}
FILE_TYPES = {"dir", "nfs", "cifs", "glusterfs", "cephfs"}


def has_snapshot_feature(state: State, vm: dict[str, Any]) -> bool:
    """PVE::QemuConfig has_feature('snapshot'): every volume but CD drives supports it."""
    for key in vmconf.drives_in(vm["config"]):
        values = vmconf.parse_drive(key, str(vm["config"][key]))
        file = values.get("file", "")
        if values.get("media") == "cdrom" or ":" not in file:
            continue
        st = state["storages"].get(file.split(":", 1)[0])
        if st is None:
            return False
        if st["type"] in SNAPSHOT_TYPES:
            continue
        if st["type"] in FILE_TYPES and (values.get("format") == "qcow2" or file.endswith(".qcow2")):
            continue
        return False
    return True


@route("GET /nodes/{node}/qemu/{vmid}/feature")
def feature(ctx: Ctx) -> dict[str, Any]:
    """qemu-server vm_feature: {hasFeature, nodes} (nodes: where the VM's storages are shared)."""
    vm = _vm(ctx)
    wanted = ctx.text("feature")
    has = has_snapshot_feature(ctx.state, vm) if wanted == "snapshot" else True
    return {"hasFeature": int(has), "nodes": sorted(ctx.state["nodes"])}


@route("GET /nodes/{node}/qemu/{vmid}/snapshot")
def list_snapshots(ctx: Ctx) -> list[dict[str, Any]]:
    vm = _vm(ctx)
    out = []
    for name, snap in vm.get("snapshots", {}).items():
        entry = {"name": name, "description": snap["description"], "snaptime": snap["snaptime"]}
        if snap.get("vmstate"):
            entry["vmstate"] = 1
        if snap.get("parent"):
            entry["parent"] = snap["parent"]
        out.append(entry)
    # PVE lists the present state last as the pseudo snapshot 'current' (schema: "Value 'current' identifies
    # the current VM"), with the running flag and the description "You are here!".
    current: dict[str, Any] = {
        "name": "current",
        "description": "You are here!",
        "running": int(vm["status"] == "running"),
        "digest": vmconf.digest(vm["config"]),
    }
    if vm.get("parent"):
        current["parent"] = vm["parent"]
    out.append(current)
    return out


@route("GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config")
def snapshot_config(ctx: Ctx) -> dict[str, Any]:
    _, snap = _named(ctx, _vm(ctx))
    found: dict[str, Any] = copy.deepcopy(snap["config"])
    return found


@route("POST /nodes/{node}/qemu/{vmid}/snapshot")
def create(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    name = str(ctx.text("snapname"))
    # qemu-server src/PVE/API2/Qemu.pm snapshot: reserved names, refused before the task
    if name == "current" or name.lower() == "pending":
        raise ApiFail(500, f"unable to use snapshot name '{name}' (reserved name)")
    # the worker's pve-guest-common src/PVE/AbstractConfig.pm __snapshot_prepare: the task fails
    failure = None
    if str(vm["config"].get("template", "0")) == "1":
        failure = "you can't take a snapshot if it's a template"
    elif name in _snapshots(vm):
        failure = f"snapshot name '{name}' already used"
    elif not has_snapshot_feature(ctx.state, vm):
        failure = "snapshot feature is not available"
    if failure is not None:
        return ctx.task(vm["node"], "qmsnapshot", str(vmid), failure=failure)
    snap = {
        "description": ctx.text("description") or "",
        "snaptime": int(ctx.now),
        # PVE saves the RAM state only of a running VM (vmstate is ignored for a stopped one)
        "vmstate": int(ctx.flag("vmstate") and vm["status"] == "running"),
        "parent": vm.get("parent") or "",
        "config": {k: v for k, v in vm["config"].items() if k != "lock"},
    }
    effect = {"op": "snapshot-create", "vmid": vmid, "name": name, "snapshot": snap}
    return ctx.task(vm["node"], "qmsnapshot", str(vmid), on_ok=[effect])


@route("DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}")
def delete(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    name, _ = _named(ctx, vm)
    effect = {"op": "snapshot-delete", "vmid": vmid, "name": name}
    return ctx.task(vm["node"], "qmdelsnapshot", str(vmid), on_ok=[effect])


@route("POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback")
def rollback(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    name, _ = _named(ctx, vm)
    effect = {"op": "snapshot-rollback", "vmid": vmid, "name": name, "start": ctx.flag("start")}
    return ctx.task(vm["node"], "qmrollback", str(vmid), on_ok=[effect])


def apply(state: State, effect: dict[str, Any], now: float) -> None:
    """A snapshot task's effect, when the task ends OK."""
    vm = state["vms"].get(str(effect["vmid"]))
    if vm is None:
        return
    snaps = _snapshots(vm)
    name = effect["name"]
    if effect["op"] == "snapshot-create":
        snaps[name] = copy.deepcopy(effect["snapshot"])
        vm["parent"] = name
    elif effect["op"] == "snapshot-delete" and name in snaps:
        gone = snaps.pop(name)
        for snap in snaps.values():  # children hang on the deleted snapshot's parent
            if snap.get("parent") == name:
                snap["parent"] = gone.get("parent", "")
        if vm.get("parent") == name:
            vm["parent"] = gone.get("parent", "")
    elif effect["op"] == "snapshot-rollback" and name in snaps:
        snap = snaps[name]
        vm["config"] = copy.deepcopy(snap["config"])
        vm["parent"] = name
        # a RAM state brings the VM back running; otherwise it is stopped unless start=1 (qm rollback --start)
        vm["status"] = "running" if snap.get("vmstate") or effect.get("start") else "stopped"
        vm["started"] = int(now)
