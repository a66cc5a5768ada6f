"""``/nodes/{node}/qemu``: create, list, config get/set with digest checks, status actions, delete."""

from __future__ import annotations

from typing import Any

from pvectl.sdk._core.formats import split_list
from pvectl.sim import pending, vmconf
from pvectl.sim.handlers.cluster import vm_resource
from pvectl.sim.handlers.ha import managed
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail

# PUT/POST config parameters that steer the call and never land in the config.
CONFIG_CONTROL = {"node", "vmid", "digest", "delete", "revert", "skiplock", "force", "background_delay"}


def _vm(ctx: Ctx) -> dict[str, Any]:
    vmid, node = ctx.path["vmid"], ctx.path["node"]
    vm = ctx.state["vms"].get(str(int(vmid)))
    if vm is None or vm["node"] != node or vm.get("type") == "lxc":  # a container is no VM (pvectl.sim.lxcconf)
        raise ApiFail(500, f"Configuration file 'nodes/{node}/qemu-server/{int(vmid)}.conf' does not exist")
    found: dict[str, Any] = vm
    return found


def _check_lock(ctx: Ctx, vm: dict[str, Any]) -> None:
    lock = vm["config"].get("lock")
    if lock and not ctx.flag("skiplock"):
        raise ApiFail(500, f"VM is locked ({lock})")


@route("GET /nodes/{node}/qemu")
def list_vms(ctx: Ctx) -> list[dict[str, Any]]:
    node = ctx.path["node"]
    out = []
    for vmid, vm in sorted(ctx.state["vms"].peek_items(), key=lambda item: int(item[0])):
        if vm["node"] != node or vm.get("type") == "lxc":
            continue
        entry = vm_resource(ctx.state, vmid, vm, ctx.now)
        for key in ("id", "type", "node", "pool", "hastate", "maxcpu"):
            entry.pop(key, None)
        entry["cpus"] = int(vm["config"].get("cores", 1)) * int(vm["config"].get("sockets", 1))
        entry["qmpstatus"] = "paused" if vm.get("paused") else vm["status"]
        if vm["status"] == "running":
            entry["pid"] = 10000 + int(vmid)
        out.append(entry)
    return out


@route("POST /nodes/{node}/qemu")
def create(ctx: Ctx) -> str:
    if ctx.text("archive") is not None:
        from pvectl.sim.handlers.restore import restore

        return restore(ctx)
    node, vmid = ctx.path["node"], int(ctx.text("vmid") or 0)
    state = ctx.state
    existing = state["vms"].get(str(vmid))
    if existing is not None:
        raise ApiFail(500, f"VM {vmid} already exists on node '{existing['node']}'")
    pool = ctx.text("pool")
    if pool is not None and pool not in state["pools"]:
        raise ApiFail(500, f"pool '{pool}' does not exist")
    if ctx.text("sshkeys") is not None:  # create_vm checks the keys as update_vm does (PVE::API2::Qemu)
        from pvectl.sim.handlers.cloudinit import check_sshkeys

        check_sshkeys(str(ctx.text("sshkeys")))
    config = vmconf.build_config(state, node, vmid, ctx.params, ctx.now)
    log = [
        f"{key}: successfully created disk '{config[key]}'"
        for key in vmconf.drive_keys()
        if key in config and "media=cdrom" not in str(config[key]) and ctx.text(key) != config[key]
    ]
    config["lock"] = "create"  # held until the create task ends
    entry: dict[str, Any] = {"node": node, "status": "stopped", "started": int(ctx.now), "config": config}
    if pool is not None:
        state["pools"][pool]["vms"].append(vmid)
        entry["pool"] = pool
    state["vms"][str(vmid)] = entry
    start = ctx.flag("start")
    on_ok: list[dict[str, Any]] = [{"op": "unlock", "vmid": vmid}]
    if ctx.flag("ha-managed"):
        # PVE >= 9.0.9 adds the HA resource inside the create task.
        on_ok.append({"op": "ha", "sid": f"vm:{vmid}", "state": "started" if start else "stopped", "create": True})
    if start:
        on_ok.append({"op": "status", "vmid": vmid, "status": "running"})
    on_fail = [{"op": "destroy", "vmid": vmid, "purge": True}]
    return ctx.task(node, "qmcreate", str(vmid), log=log, on_ok=on_ok, on_fail=on_fail)


@route("GET /nodes/{node}/qemu/{vmid}/config")
def get_config(ctx: Ctx) -> dict[str, Any]:
    vm = _vm(ctx)
    # PVE/API2/Qemu.pm vm_config: pending values applied unless current=1; the digest is the file's either way.
    config = dict(vm["config"]) if ctx.flag("current") else pending.with_pending(vm)
    config["digest"] = pending.digest(vm)
    if config.get("cipassword"):  # PVE::API2::Qemu vm_config never shows the cloud-init password
        config["cipassword"] = "**********"
    return config


def _update(ctx: Ctx) -> None:
    """update_vm_api (PVE/API2/Qemu.pm): checks, digest, then pending semantics (pvectl.sim.pending)."""
    vm = _vm(ctx)
    _check_lock(ctx, vm)
    given = ctx.text("digest")
    if given and given != pending.digest(vm):
        # qemu-server src/PVE/API2/Qemu.pm update_vm_api, $load_and_check_config (its own text, not pve-common's
        # assert_if_modified), checked before the task forks: a 500 answer
        raise ApiFail(500, "checksum mismatch (file change by other user?)")
    deletes = split_list(ctx.text("delete") or "")
    revert = split_list(ctx.text("revert") or "")
    values = vmconf.resolve_cdrom_alias({k: v for k, v in ctx.params.items() if k not in CONFIG_CONTROL})
    for key in deletes:
        if key in values:
            raise param_fail({key: f"you can't use option '{key}' in delete and set at the same time"})
        if key in revert:
            raise param_fail({"delete": f"you can't use '-delete {key}' and '-revert {key}' at the same time"})
    for key in revert:
        if key in values:
            raise param_fail({"revert": f"you can't use '-{key}' and '-revert {key}' at the same time"})
    vmid = int(ctx.path["vmid"])
    if "sshkeys" in values:
        from pvectl.sim.handlers.cloudinit import check_sshkeys

        check_sshkeys(str(values["sshkeys"]))
    changes: dict[str, str] = {}
    for key, raw in values.items():
        value = ",".join(raw) if isinstance(raw, list) else str(raw)
        if vmconf.is_drive(key):
            value = vmconf.allocate(ctx.state, vm["node"], vmid, key, value, ctx.now)
        elif vmconf.NET_KEY.fullmatch(key):
            value = vmconf.add_mac(value)
        changes[key] = value
    pending.update(ctx.state, vm, vmid, changes, deletes, revert=revert, force=ctx.flag("force"))
    ctx.changed()


@route("PUT /nodes/{node}/qemu/{vmid}/config")
def set_config(ctx: Ctx) -> None:
    _update(ctx)


@route("POST /nodes/{node}/qemu/{vmid}/config")
def set_config_async(ctx: Ctx) -> str:
    _update(ctx)
    return ctx.task(ctx.path["node"], "qmconfig", str(int(ctx.path["vmid"])))


@route("GET /nodes/{node}/qemu/{vmid}/pending")
def get_pending(ctx: Ctx) -> list[dict[str, Any]]:
    out = pending.rows(_vm(ctx))
    for row in out:
        for field in ("value", "pending"):
            if row["key"] == "cipassword" and row.get(field):
                row[field] = "**********"  # masked like GET …/config
    return out


@route("GET /nodes/{node}/qemu/{vmid}/status/current")
def current(ctx: Ctx) -> dict[str, Any]:
    vm = _vm(ctx)
    vmid = str(int(ctx.path["vmid"]))
    entry = vm_resource(ctx.state, vmid, vm, ctx.now)
    for key in ("id", "type", "node", "pool", "hastate", "maxcpu"):
        entry.pop(key, None)
    entry["cpus"] = int(vm["config"].get("cores", 1)) * int(vm["config"].get("sockets", 1))
    entry["qmpstatus"] = "paused" if vm.get("paused") else vm["status"]
    entry["agent"] = int(str(vm["config"].get("agent", "0")).split(",")[0] in ("1", "enabled=1"))
    ha = ctx.state["ha"].get(f"vm:{vmid}")
    entry["ha"] = {"managed": 1, "state": ha["state"]} if ha else {"managed": 0}
    if vm["status"] == "running":
        entry["pid"] = 10000 + int(vmid)
        entry["running-machine"] = "pc-q35-9.2+pve1"
        entry["running-qemu"] = "9.2.0"
    return entry


def _missing_bridge(ctx: Ctx, vm: dict[str, Any]) -> str | None:
    bridges = {i["iface"] for i in ctx.state["networks"][vm["node"]]}
    for key, value in vm["config"].items():
        if vmconf.NET_KEY.fullmatch(key):
            for part in str(value).split(","):
                if part.startswith("bridge=") and part[7:] not in bridges:
                    return f"bridge '{part[7:]}' does not exist"
    return None


def _action(ctx: Ctx, ttype: str, status: str, *, needs: str | None) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    failure = None
    lock = vm["config"].get("lock")
    if lock and not ctx.flag("skiplock"):
        failure = f"VM is locked ({lock})"
    elif needs == "stopped" and vm["status"] == "running":
        failure = f"VM {vmid} already running"
    elif needs == "running" and vm["status"] != "running":
        failure = f"VM {vmid} not running"
    elif status == "running":
        failure = _missing_bridge(ctx, vm)
    sid = f"vm:{vmid}"
    on_ok: list[dict[str, Any]] = [{"op": "status", "vmid": vmid, "status": status}]
    if ttype in ("qmstart", "qmreboot"):
        # QemuServer::vm_start_nolock applies pending changes (vmconfig_apply_pending); the API reboot is a
        # shutdown and a start. A reset keeps the QEMU process, so its pending changes still wait.
        on_ok.append({"op": "apply-pending", "vmid": vmid})
    if managed(ctx.state, sid) and ttype in ("qmstart", "qmstop", "qmshutdown"):
        # qemu-server src/PVE/API2/Qemu.pm vm_start/vm_stop/vm_shutdown: for an HA-managed guest the task
        # ('hastart'/'hastop') only runs ``ha-manager set --state``; the HA stack starts or stops the VM later in
        # a task of its own. The VM's state changes when that one ends, not when the request task does.
        worker = {"op": "ha-worker", "node": vm["node"], "type": ttype, "vmid": vmid, "effects": on_ok}
        ttype = {"qmstart": "hastart", "qmstop": "hastop", "qmshutdown": "hastop"}[ttype]
        request = {"op": "ha", "sid": sid, "state": "started" if status == "running" else "stopped"}
        return ctx.task(vm["node"], ttype, str(vmid), failure=failure, on_ok=[request, worker])
    return ctx.task(vm["node"], ttype, str(vmid), failure=failure, on_ok=on_ok)


@route("POST /nodes/{node}/qemu/{vmid}/status/start")
def start(ctx: Ctx) -> str:
    return _action(ctx, "qmstart", "running", needs="stopped")


@route("POST /nodes/{node}/qemu/{vmid}/status/stop")
def stop(ctx: Ctx) -> str:
    return _action(ctx, "qmstop", "stopped", needs=None)


@route("POST /nodes/{node}/qemu/{vmid}/status/shutdown")
def shutdown(ctx: Ctx) -> str:
    return _action(ctx, "qmshutdown", "stopped", needs="running")


@route("POST /nodes/{node}/qemu/{vmid}/status/reboot")
def reboot(ctx: Ctx) -> str:
    return _action(ctx, "qmreboot", "running", needs="running")


@route("POST /nodes/{node}/qemu/{vmid}/status/reset")
def reset(ctx: Ctx) -> str:
    return _action(ctx, "qmreset", "running", needs="running")


@route("DELETE /nodes/{node}/qemu/{vmid}")
def destroy(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    if vm["status"] == "running":
        raise ApiFail(500, f"VM {vmid} is running - destroy failed")
    purge = ctx.flag("purge")
    if f"vm:{vmid}" in ctx.state["ha"] and not purge:
        raise ApiFail(500, f"unable to remove VM {vmid} - used in HA resources and purge parameter not set.")
    on_ok = [{"op": "destroy", "vmid": vmid, "purge": purge}]
    return ctx.task(vm["node"], "qmdestroy", str(vmid), on_ok=on_ok)
