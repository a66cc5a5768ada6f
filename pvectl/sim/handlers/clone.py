"""``/nodes/{node}/qemu/{vmid}/clone`` and ``/template``: full and linked clones, template conversion.

Behaviour follows qemu-server's PVE::API2::Qemu ``clone_vm`` and ``template``: ``full`` defaults to "not a
template"; the new VM's config exists at once with ``lock: clone`` and goes away when the task fails; linked
clones reference the template's ``base-`` volume (PVE::Storage::Plugin ``clone_image``, which dies with "clone_image
only works on base images" for anything else); a running VM is not converted.
"""

from __future__ import annotations

from typing import Any

from pvectl.sim import vmconf, volumes
from pvectl.sim.handlers.qemu import _check_lock, _vm
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail

# Storage types whose plugins have the "clone" volume feature for base images (volume_has_feature in
# PVE::Storage::Plugin -- file storages, any format: the clone is a qcow2 overlay -- LvmThinPlugin, ZFSPoolPlugin,
# RBDPlugin, BTRFSPlugin); plain LVM and iSCSI have none.
FILE_TYPES = {"dir", "nfs", "cifs", "glusterfs"}
LINKED_TYPES = {"lvmthin", "rbd", "zfspool", "btrfs", *FILE_TYPES}
# Keys a clone gets fresh or not at all (qemu-server clone_vm skips snapshot state and unusedN, drops
# ``template``, regenerates vmgenid/smbios uuid and MACs); everything else, the description included, is copied.
DROPPED = {"lock", "template", "digest", "name", "vmgenid", "parent", "snaptime", "vmstate", "runningcpu"}
DROPPED |= {"runningmachine", "running-nets-host-mtu"}


def linked_ok(st: dict[str, Any]) -> bool:
    return st["type"] in LINKED_TYPES


def _disks(config: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    out = []
    for key in vmconf.drives_in(config):
        values = vmconf.parse_drive(key, str(config[key]))
        file = values.get("file", "")
        if values.get("media") == "cdrom" or ":" not in file or "cloudinit" in file:
            continue
        out.append((key, values))
    return out


def _shared_vm(state: dict[str, Any], config: dict[str, Any]) -> bool:
    """qemu-server clone_vm ``$check_storage_access_clone``: every volume (CD-ROM images included; not 'none'
    nor a physical 'cdrom') is on shared storage."""
    for key in vmconf.drives_in(config):
        file = vmconf.parse_drive(key, str(config[key])).get("file", "")
        if file in ("", "none", "cdrom") or ":" not in file:
            continue
        st = state["storages"].get(file.split(":", 1)[0])
        if st is not None and not st["shared"]:
            return False
    return True


def _volume_format(volid: str) -> str:
    tail = volid.rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[1] if "." in tail else "raw"


@route("POST /nodes/{node}/qemu/{vmid}/clone")
def clone(ctx: Ctx) -> str:
    src = _vm(ctx)
    node, vmid, state = src["node"], int(ctx.path["vmid"]), ctx.state
    newid = int(ctx.text("newid") or 0)
    existing = state["vms"].get(str(newid))
    if existing is not None and existing["node"] == node:
        # qemu-server clone_vm $load_and_check, before the fork: the new id's config file on this node
        raise ApiFail(500, f"unable to create VM {newid}: config file already exists")
    template = str(src["config"].get("template", "0")) == "1"
    full = ctx.flag("full") if ctx.text("full") is not None else not template
    storage, fmt = ctx.text("storage"), ctx.text("format")
    if not full and storage is not None:
        raise param_fail({"storage": "parameter 'storage' not allowed for linked clones"})
    if not full and fmt is not None:
        raise param_fail({"format": "parameter 'format' not allowed for linked clones"})
    target = ctx.text("target") or node
    if target not in state["nodes"]:
        raise param_fail({"target": f"no such cluster node '{target}'"})
    pool = ctx.text("pool")
    if pool is not None and pool not in state["pools"]:
        raise ApiFail(500, f"pool '{pool}' does not exist")
    if storage is not None and target != node:
        # clone_vm: "clone only works if target storage is shared"
        st = state["storages"].get(storage)
        if st is not None and not st["shared"]:
            raise ApiFail(500, f"can't clone to non-shared storage '{storage}'")
    if not template:
        _check_lock(ctx, src)
    if target != node and not _shared_vm(state, src["config"]):
        # $check_storage_access_clone: any volume on unshared storage, CD-ROM images included
        raise ApiFail(500, f"can't clone VM to node '{target}' (VM uses local storage)")
    if existing is not None:
        # the id exists on another node: the worker's temporary config write fails on pmxcfs (file_set_contents)
        path = f"/etc/pve/nodes/{node}/qemu-server/{newid}.conf.tmp.{state.get('next_pid', 4096)}"
        return ctx.task(node, "qmclone", str(vmid), failure=f"unable to open file '{path}' - File exists")
    config = {k: v for k, v in src["config"].items() if k not in DROPPED and not k.startswith("unused")}
    config["name"] = ctx.text("name") or f"Copy-of-VM-{src['config'].get('name', vmid)}"
    if ctx.text("description"):  # clone_vm: only a non-empty description replaces the copied one
        config["description"] = ctx.text("description")
    for key in list(config):
        if vmconf.NET_KEY.fullmatch(key):  # a clone gets new MAC addresses
            values = {k: v for k, v in vmconf._parsed("net", str(config[key])) if k != "macaddr"}
            config[key] = vmconf.add_mac(vmconf.fast_render(values, "net"))
    log: list[str] = []
    failure = None
    for key, values in _disks(src["config"]):
        old = values["file"]
        vol_storage = old.split(":", 1)[0]
        st = state["storages"][vol_storage]
        if full:
            new_storage = storage or vol_storage
            new_fmt = fmt or _volume_format(old)
            log.append(f"create full clone of drive {key} ({old})")
            gib = vmconf.size_bytes(values.get("size", "0")) / 1024**3
            given = {**values, "file": f"{new_storage}:{gib:g}", "format": new_fmt}
            config[key] = vmconf.allocate(state, target, newid, key, vmconf.render_drive(key, given), ctx.now)
            log += [f"transferred {p} of {values.get('size', '?')} ({p})" for p in ("50.00%", "100.00%")]
            continue
        log.append(f"create linked clone of drive {key} ({old})")
        if not template or "base-" not in old:
            failure = failure or "clone failed: clone_image only works on base images"
            continue
        if not linked_ok(st):
            raise ApiFail(500, f"Linked clone feature is not supported for drive '{key}'")
        config[key] = vmconf.render_drive(key, {**values, "file": _linked_volume(ctx, old, st, target, newid)})
    config["lock"] = "clone"
    entry: dict[str, Any] = {"node": target, "status": "stopped", "started": int(ctx.now), "config": config}
    if pool is not None:
        state["pools"][pool]["vms"].append(newid)
        entry["pool"] = pool
    state["vms"][str(newid)] = entry
    on_ok = [{"op": "unlock", "vmid": newid}]
    on_fail = [{"op": "destroy", "vmid": newid, "purge": True}]
    return ctx.task(node, "qmclone", str(vmid), log=log, failure=failure, on_ok=on_ok, on_fail=on_fail)


def _linked_volume(ctx: Ctx, base: str, st: dict[str, Any], node: str, newid: int) -> str:
    storage, base_name = base.split(":", 1)
    n = 0
    while True:
        name = f"vm-{newid}-disk-{n}"
        if st["type"] in FILE_TYPES:  # PVE::Storage::Plugin clone_image: "VMID/base-...qcow2/NEWID/vm-...qcow2"
            volid = f"{storage}:{base_name}/{newid}/{name}.qcow2"
        else:  # block plugins: "base-VMID-disk-N/vm-NEWID-disk-M"
            volid = f"{storage}:{base_name}/{name}"
        if volumes.find(ctx.state, volid, node) is None:
            break
        n += 1
    size = 0
    base_vol = volumes.find(ctx.state, base, node)
    if base_vol is not None:
        size = int(base_vol.get("size", 0))
    volumes.add(
        ctx.state,
        {
            "volid": volid,
            "storage": storage,
            "node": None if st["shared"] else node,
            "content": "images",
            "format": "qcow2" if st["type"] in FILE_TYPES else "raw",
            "size": size,
            "ctime": int(ctx.now),
            "vmid": newid,
        },
    )
    return volid


@route("POST /nodes/{node}/qemu/{vmid}/template")
def template(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    config = vm["config"]
    if str(config.get("template", "0")) == "1":
        raise ApiFail(500, "you can't convert a template to a template")
    if vm["status"] == "running":
        raise ApiFail(500, "you can't convert a VM to template if VM is running")
    log = []
    for key, values in _disks(config):
        old = values["file"]
        if f"vm-{vmid}-disk-" not in old:
            continue
        new = old.replace(f"vm-{vmid}-disk-", f"base-{vmid}-disk-")
        vol = volumes.find(ctx.state, old, vm["node"])
        if vol is not None:  # PVE::Storage::vdisk_create_base renames the image to base-VMID-disk-N
            volumes.remove(ctx.state, old, vol["node"])
            volumes.add(ctx.state, {**vol, "volid": new})
        config[key] = vmconf.render_drive(key, {**values, "file": new})
        log.append(f"{key}: converted {old} to base image {new}")
    config["template"] = "1"
    return ctx.task(vm["node"], "qmtemplate", str(vmid), log=log)
