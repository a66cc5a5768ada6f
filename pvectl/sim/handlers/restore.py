"""Restore from a backup: ``POST /nodes/{node}/qemu`` with ``archive`` (qemu-server e6352be67f70
``src/PVE/API2/Qemu.pm create_vm``: a ``qmrestore`` task; an existing VM only with ``force``, "unable to restore VM
N - …") and ``POST /nodes/{node}/lxc`` with ``restore=1`` (pve-container 94f558522ef6 ``src/PVE/API2/LXC.pm
create_vm``: a ``vzrestore`` task). The guest comes back from the config the archive holds, each disk a new volume
of its size; the old guest's disks go when one is restored over.
"""

from __future__ import annotations

from typing import Any

from pvectl.sim import backups
from pvectl.sim.handlers.vzdump import GiB, find_backup, kind_of
from pvectl.sim.routes import Ctx
from pvectl.sim.wire import ApiFail


def restore(ctx: Ctx) -> str:
    """``POST /nodes/{node}/qemu`` with ``archive`` (qemu-server API2/Qemu.pm create_vm's restore path)."""
    return _restore(ctx, "qemu", str(ctx.text("archive")))


def restore_ct(ctx: Ctx) -> str:
    """``POST /nodes/{node}/lxc`` with ``restore=1`` and the backup as ``ostemplate`` (pve-container 94f558522ef6
    ``src/PVE/API2/LXC.pm`` create_vm: check_vmid_unused unless an existing CT is restored over with ``force``,
    "can't overwrite running container", a ``vzrestore`` task)."""
    return _restore(ctx, "lxc", str(ctx.text("ostemplate")))


def _restore(ctx: Ctx, kind: str, archive: str) -> str:
    node, vmid = ctx.path["node"], int(ctx.text("vmid") or 0)
    noun = "CT" if kind == "lxc" else "VM"
    emsg = f"unable to restore {noun} {vmid} -"
    vol = find_backup(ctx, archive, node)
    if vol.get("subtype", "qemu") != kind:
        what = "a container" if kind == "qemu" else "a VM"
        raise ApiFail(500, f"{emsg} archive '{archive}' holds {what}, not a {'VM' if kind == 'qemu' else 'CT'}")
    existing = ctx.state["vms"].get(str(vmid))
    if existing is not None:
        same = kind_of(existing) == kind and existing["node"] == node
        if not ctx.flag("force") or not same:
            # PVE::Cluster::check_vmid_unused (qemu-server reports it under $emsg, pve-container before it)
            taken = f"{'CT' if kind_of(existing) == 'lxc' else 'VM'} {vmid} already exists on node '{existing['node']}'"
            raise ApiFail(500, f"{emsg} {taken}" if kind == "qemu" else taken)
        if existing["config"].get("protection") in ("1", 1):
            raise ApiFail(500, f"{emsg} protection mode enabled")
        if existing["status"] == "running":
            raise ApiFail(500, f"{emsg} vm is running" if kind == "qemu" else "can't overwrite running container")
        if existing["config"].get("lock"):
            raise ApiFail(500, f"{emsg} {noun} is locked ({existing['config']['lock']})")
    storage = ctx.text("storage")
    if storage is not None and storage not in ctx.state["storages"]:
        raise ApiFail(500, f"storage '{storage}' does not exist")
    config = backups.parse_config_text(str(vol.get("config", "")))
    effect = {
        "op": "backup-restore",
        "kind": kind,
        "vmid": vmid,
        "node": node,
        "config": config,
        "storage": storage,
        "unique": ctx.flag("unique"),
        "start": ctx.flag("start"),
        "now": ctx.now,
    }
    if existing is not None:
        existing["config"]["lock"] = "create"
    else:
        entry = {"node": node, "status": "stopped", "started": int(ctx.now), "config": {"lock": "create"}}
        if kind == "lxc":
            entry["type"] = "lxc"
        ctx.state["vms"][str(vmid)] = entry
    if kind == "qemu":
        log = [f"restore vma archive: {archive}", "rescan volumes..."]
    else:
        log = [f"extracting archive '{archive}'", "Total bytes read: 1073741824 (1.0GiB, 512MiB/s)"]
    ttype = "qmrestore" if kind == "qemu" else "vzrestore"
    on_fail = [{"op": "unlock", "vmid": vmid}]
    return ctx.task(node, ttype, str(vmid), log=log, on_ok=[effect], on_fail=on_fail)


def finish(state: dict[str, Any], effect: dict[str, Any]) -> None:
    from pvectl.sim import lxcconf, vmconf
    from pvectl.sim.tasks import destroy_vm

    vmid, node, kind = int(effect["vmid"]), effect["node"], effect.get("kind", "qemu")
    old = state["vms"].get(str(vmid))
    pool = (old or {}).get("pool")
    if old is not None and len(old["config"]) > 1:  # force: the old disks go, as the restore task's do
        if lxcconf.is_ct(old):
            lxcconf.destroy(state, vmid)
        else:
            destroy_vm(state, vmid, purge=False)
    else:
        state["vms"].pop(str(vmid), None)
    params = _restore_params(effect, kind)
    try:
        if kind == "lxc":
            config = lxcconf.build_config(state, node, vmid, params, float(effect["now"]))
        else:
            config = vmconf.build_config(state, node, vmid, params, float(effect["now"]))
    except ApiFail:
        return  # the restore task cannot allocate: the guest does not come back
    entry: dict[str, Any] = {
        "node": node,
        "status": "running" if effect["start"] else "stopped",
        "started": int(effect["now"]),
        "config": config,
    }
    if kind == "lxc":
        entry["type"] = "lxc"
    if pool:
        entry["pool"] = pool
    state["vms"][str(vmid)] = entry


def _restore_params(effect: dict[str, Any], kind: str) -> dict[str, Any]:
    """The backed-up config as create parameters: each disk a new volume of its size (on ``storage`` when given),
    new MACs with ``unique``."""
    from pvectl.sim import lxcconf, vmconf

    params: dict[str, Any] = {}
    for key, value in effect["config"].items():
        if kind == "qemu" and vmconf.is_drive(key) and "media=cdrom" not in value and ":" in value:
            values = vmconf.parse_drive(key, value)
            storage = effect["storage"] or values["file"].split(":", 1)[0]
            gib = vmconf.size_bytes(values.get("size", "1G")) / GiB
            rest = ",".join(f"{k}={v}" for k, v in values.items() if k not in ("file", "size"))
            params[key] = f"{storage}:{gib:g}" + (f",{rest}" if rest else "")
        elif kind == "lxc" and lxcconf.is_mount(key) and ":" in value.split(",")[0]:
            values = lxcconf.parse(value)
            storage = effect["storage"] or values["volume"].split(":", 1)[0]
            gib = vmconf.size_bytes(values.get("size", "4G")) / GiB
            rest = ",".join(f"{k}={v}" for k, v in values.items() if k not in ("volume", "size"))
            params[key] = f"{storage}:{gib:g}" + (f",{rest}" if rest else "")
        elif effect["unique"] and key.startswith("net"):
            mac = "hwaddr=" if kind == "lxc" else None
            parts = value.split(",")
            if mac:
                parts = [p for p in parts if not p.startswith(mac)]
            else:  # qemu: model=MAC becomes the bare model
                parts = [parts[0].split("=", 1)[0], *(p for p in parts[1:] if not p.startswith("macaddr="))]
            params[key] = ",".join(parts)
        else:
            params[key] = value
    return params
