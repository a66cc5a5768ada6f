"""``/nodes/{node}/lxc``: create from a template, list, config get/set with digest and pending, status actions,
delete, template, resize, and the container console (termproxy/vncwebsocket).

Modelled on pve-container: ``src/PVE/API2/LXC.pm`` (create_vm, destroy_vm, template, resize_vm, termproxy),
``src/PVE/API2/LXC/Config.pm`` (update_vm), ``src/PVE/API2/LXC/Status.pm`` (vm_start, vm_stop, vm_shutdown,
vm_reboot, vm_suspend, vm_resume), ``src/PVE/LXC/Config.pm`` (update_pct_config, vmconfig_hotplug_pending).
"""

from __future__ import annotations

import re
from typing import Any

from pvectl.sdk._core.formats import split_list
from pvectl.sim import lxcconf, pending, volumes
from pvectl.sim.handlers.cluster import memory_mib
from pvectl.sim.routes import Ctx, route
from pvectl.sim.vmconf import human_size, size_bytes
from pvectl.sim.wire import ApiFail, param_fail

State = dict[str, Any]
CONFIG_CONTROL = {"node", "vmid", "digest", "delete", "revert"}
SIZE = re.compile(r"(\+?)(\d+(?:\.\d+)?)([KMGT]?)")


def ct_of(ctx: Ctx) -> dict[str, Any]:
    vmid, node = int(ctx.path["vmid"]), ctx.path["node"]
    vm = ctx.state["vms"].get(str(vmid))
    if not lxcconf.is_ct(vm) or vm["node"] != node:
        # PVE::LXC::Config->load_config: the file under the node's lxc/ directory
        raise ApiFail(500, f"Configuration file 'nodes/{node}/lxc/{vmid}.conf' does not exist")
    found: dict[str, Any] = vm
    return found


def check_lock(ctx: Ctx, vm: dict[str, Any]) -> None:
    lock = vm["config"].get("lock")
    if lock and not ctx.flag("skiplock"):
        raise ApiFail(500, f"CT is locked ({lock})")  # PVE::AbstractConfig check_lock


def resource(state: State, vmid: str, vm: dict[str, Any], now: float) -> dict[str, Any]:
    """The container's row of /cluster/resources (``type: lxc``, ``id: lxc/ID``)."""
    config = vm["config"]
    running = vm["status"] == "running"
    memory = memory_mib(config) * 1024 * 1024
    online = state["nodes"][vm["node"]]["online"]
    out: dict[str, Any] = {
        "id": f"lxc/{vmid}",
        "type": "lxc",
        "vmid": int(vmid),
        "node": vm["node"],
        "name": config.get("hostname", f"CT{vmid}"),
        "status": vm["status"] if online else "unknown",
        "template": int(config.get("template", 0)),
        "maxmem": memory,
        "mem": memory // 8 if running else 0,
        "maxswap": int(config.get("swap", 512)) * 1024 * 1024,
        "maxcpu": int(config.get("cores", 0)) or state["nodes"][vm["node"]]["cpus"],
        "cpu": 0.01 if running else 0,
        "maxdisk": lxcconf.disk_total(config),
        "disk": lxcconf.disk_total(config) // 10 if running else 0,
        "uptime": max(0, int(now) - vm["started"]) if running else 0,
        "netin": 0,
        "netout": 0,
        "diskread": 0,
        "diskwrite": 0,
    }
    for key in ("tags", "lock"):
        if key in config:
            out[key] = config[key]
    if vm.get("pool"):
        out["pool"] = vm["pool"]
    ha = state["ha"].get(f"ct:{vmid}")
    if ha:
        out["hastate"] = ha["state"]
    return out


def _row(ctx: Ctx, vmid: str, vm: dict[str, Any]) -> dict[str, Any]:
    entry = resource(ctx.state, vmid, vm, ctx.now)
    for key in ("id", "node", "pool", "hastate", "maxcpu"):
        entry.pop(key, None)
    entry["cpus"] = int(vm["config"].get("cores", 0)) or ctx.state["nodes"][vm["node"]]["cpus"]
    if vm["status"] == "running":
        entry["pid"] = 20000 + int(vmid)
    return entry


@route("GET /nodes/{node}/lxc")
def list_cts(ctx: Ctx) -> list[dict[str, Any]]:
    node = ctx.path["node"]
    rows = sorted(ctx.state["vms"].peek_items(), key=lambda item: int(item[0]))
    return [_row(ctx, vmid, vm) for vmid, vm in rows if lxcconf.is_ct(vm) and vm["node"] == node]


def _check_template(ctx: Ctx, node: str, volid: str) -> None:
    """create_vm checks the template volume (PVE::Storage::check_volume_access with content 'vztmpl')."""
    if ":" not in volid:
        raise param_fail({"ostemplate": f"unable to parse volume ID '{volid}'"})
    storage = volid.split(":", 1)[0]
    if storage not in ctx.state["storages"]:
        raise ApiFail(500, f"storage '{storage}' does not exist")
    vol = volumes.find(ctx.state, volid, node)
    if vol is None:
        raise ApiFail(500, f"volume '{volid}' does not exist")
    if vol["content"] != "vztmpl":
        raise param_fail({"ostemplate": f"volume '{volid}' is not a container template"})


@route("POST /nodes/{node}/lxc")
def create(ctx: Ctx) -> str:
    if ctx.flag("restore"):
        from pvectl.sim.handlers.restore import restore_ct

        return restore_ct(ctx)
    node, vmid = ctx.path["node"], int(ctx.text("vmid") or 0)
    state = ctx.state
    existing = state["vms"].get(str(vmid))
    if existing is not None:
        # create_and_lock_config (PVE::AbstractConfig): the id is taken by a VM or a CT
        raise ApiFail(500, f"unable to create CT {vmid} - CT {vmid} already exists on node '{existing['node']}'")
    pool = ctx.text("pool")
    if pool is not None and pool not in state["pools"]:
        raise ApiFail(500, f"pool '{pool}' does not exist")
    template = str(ctx.text("ostemplate"))
    _check_template(ctx, node, template)
    for key, value in ctx.params.items():
        if lxcconf.NET_KEY.fullmatch(key):
            bridge = next((p[7:] for p in str(value).split(",") if p.startswith("bridge=")), None)
            if bridge and bridge not in {i["iface"] for i in state["networks"][node]}:
                raise ApiFail(500, f"unable to create CT {vmid} - bridge '{bridge}' does not exist")
    config = lxcconf.build_config(state, node, vmid, ctx.params, ctx.now)
    config["lock"] = "create"
    entry: dict[str, Any] = {"type": "lxc", "node": node, "status": "stopped", "started": int(ctx.now)}
    entry["config"] = config
    if pool is not None:
        state["pools"][pool]["vms"].append(vmid)
        entry["pool"] = pool
    state["vms"][str(vmid)] = entry
    start = ctx.flag("start")
    log = [f"extracting archive '{template}'", f"Detected container architecture: {config.get('arch', 'amd64')}"]
    on_ok: list[dict[str, Any]] = [{"op": "unlock", "vmid": vmid}]
    if start:  # realcmd: vm_start after the create code, inside the same task
        on_ok.append({"op": "status", "vmid": vmid, "status": "running"})
    if ctx.flag("ha-managed"):
        state_ = "started" if start else "stopped"
        on_ok.append({"op": "ha", "sid": f"ct:{vmid}", "state": state_, "create": True})
    on_fail = [{"op": "lxc-destroy", "vmid": vmid}]
    return ctx.task(node, "vzcreate", str(vmid), log=log, on_ok=on_ok, on_fail=on_fail)


@route("GET /nodes/{node}/lxc/{vmid}/config")
def get_config(ctx: Ctx) -> dict[str, Any]:
    vm = ct_of(ctx)
    config = dict(vm["config"]) if ctx.flag("current") else pending.with_pending(vm)
    config["digest"] = pending.digest(vm)
    return config


@route("PUT /nodes/{node}/lxc/{vmid}/config")
def set_config(ctx: Ctx) -> None:
    """update_vm (API2/LXC/Config.pm) -> update_pct_config + vmconfig_hotplug_pending/apply_pending."""
    vm = ct_of(ctx)
    check_lock(ctx, vm)
    given = ctx.text("digest")
    if given and given != pending.digest(vm):  # PVE::Tools::assert_if_modified
        raise ApiFail(500, "detected modified configuration - file changed by other user? Try again.")
    deletes = split_list(ctx.text("delete") or "")
    revert = split_list(ctx.text("revert") or "")
    values = {k: v for k, v in ctx.params.items() if k not in CONFIG_CONTROL}
    for key in deletes:
        if key in values:
            raise param_fail({key: f"you can't use option '{key}' in delete and set at the same time"})
    if "unprivileged" in values:
        raise ApiFail(500, "unable to modify read-only option: 'unprivileged'")  # update_pct_config
    vmid = int(ctx.path["vmid"])
    changes: dict[str, str] = {}
    for key, raw in values.items():
        value = ",".join(raw) if isinstance(raw, list) else str(raw)
        if lxcconf.is_mount(key):
            if key == "rootfs" and lxcconf.NEW_VOLUME.fullmatch(lxcconf.parse(value)["volume"]):
                raise param_fail({"rootfs": "cannot replace the root file system with a new volume"})
            value = lxcconf.allocate(ctx.state, vm["node"], vmid, key, value, ctx.now, "local")
        elif lxcconf.NET_KEY.fullmatch(key):
            value = lxcconf.add_hwaddr(value)
        changes[key] = value
    lxcconf.update(ctx.state, vm, changes, deletes, revert)
    ctx.changed()


@route("GET /nodes/{node}/lxc/{vmid}/pending")
def get_pending(ctx: Ctx) -> list[dict[str, Any]]:
    return pending.rows(ct_of(ctx))


@route("GET /nodes/{node}/lxc/{vmid}/status/current")
def current(ctx: Ctx) -> dict[str, Any]:
    vm = ct_of(ctx)
    vmid = str(int(ctx.path["vmid"]))
    entry = _row(ctx, vmid, vm)
    ha = ctx.state["ha"].get(f"ct:{vmid}")
    entry["ha"] = {"managed": 1, "state": ha["state"]} if ha else {"managed": 0}
    return entry


# pve-container src/PVE/API2/LXC/Status.pm checks whether the container runs before it forks the worker, so
# these refusals are the request's own answer (500), no task: vm_start "CT N already running"; vm_stop,
# vm_shutdown, vm_suspend "CT N not running"; vm_reboot "VM N not running" (its wording).
SYNC_REFUSAL = {
    "vzstart": ("stopped", "CT {vmid} already running"),
    "vzstop": ("running", "CT {vmid} not running"),
    "vzshutdown": ("running", "CT {vmid} not running"),
    "vzsuspend": ("running", "CT {vmid} not running"),
    "vzreboot": ("running", "VM {vmid} not running"),
}


def _action(ctx: Ctx, ttype: str, status: str | None, *, needs: str | None, **extra: Any) -> str:
    vm = ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    failure = None
    lock = vm["config"].get("lock")
    running = vm["status"] == "running"
    refusal = SYNC_REFUSAL.get(ttype)
    if refusal is not None and (refusal[0] == "running") != running:
        raise ApiFail(500, refusal[1].format(vmid=vmid))
    if lock and not ctx.flag("skiplock"):  # the workers check the lock (check_lock inside lock_config)
        failure = f"CT is locked ({lock})"
    elif needs == "running" and not running:
        failure = f"CT {vmid} not running"  # vm_resume: lxc-checkpoint -r fails in the worker
    elif ttype == "vzstart" and vm["config"].get("template"):
        failure = "you can't start a CT if it's a template"  # Status.pm vm_start
    on_ok: list[dict[str, Any]] = []
    if status is not None:
        on_ok.append({"op": "status", "vmid": vmid, "status": status})
    if ttype in ("vzstart", "vzreboot"):
        on_ok.append({"op": "lxc-apply-pending", "vmid": vmid})  # vm_start applies the pending changes
    if ttype in ("vzsuspend", "vzresume"):
        on_ok.append({"op": "pause", "vmid": vmid, "paused": ttype == "vzsuspend"})
    return ctx.task(vm["node"], ttype, str(vmid), failure=failure, on_ok=on_ok, **extra)


@route("POST /nodes/{node}/lxc/{vmid}/status/start")
def start(ctx: Ctx) -> str:
    return _action(ctx, "vzstart", "running", needs="stopped")


@route("POST /nodes/{node}/lxc/{vmid}/status/stop")
def stop(ctx: Ctx) -> str:
    return _action(ctx, "vzstop", "stopped", needs="running")


@route("POST /nodes/{node}/lxc/{vmid}/status/shutdown")
def shutdown(ctx: Ctx) -> str:
    return _action(ctx, "vzshutdown", "stopped", needs="running")


@route("POST /nodes/{node}/lxc/{vmid}/status/reboot")
def reboot(ctx: Ctx) -> str:
    return _action(ctx, "vzreboot", "running", needs="running")


@route("POST /nodes/{node}/lxc/{vmid}/status/suspend")
def suspend(ctx: Ctx) -> str:
    return _action(ctx, "vzsuspend", None, needs="running")


@route("POST /nodes/{node}/lxc/{vmid}/status/resume")
def resume(ctx: Ctx) -> str:
    return _action(ctx, "vzresume", None, needs="running")


@route("DELETE /nodes/{node}/lxc/{vmid}")
def destroy(ctx: Ctx) -> str:
    vm = ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    check_lock(ctx, vm)
    if vm["status"] == "running" and not ctx.flag("force"):
        raise ApiFail(500, f"unable to destroy CT {vmid} - container is running")  # destroy_vm
    if f"ct:{vmid}" in ctx.state["ha"] and not ctx.flag("purge"):
        raise ApiFail(500, f"unable to remove CT {vmid} - used in HA resources and purge parameter not set.")
    return ctx.task(vm["node"], "vzdestroy", str(vmid), on_ok=[{"op": "lxc-destroy", "vmid": vmid}])


@route("POST /nodes/{node}/lxc/{vmid}/template")
def template(ctx: Ctx) -> None:
    """API2/LXC.pm template: refused with snapshots, for a template, for a running CT; the conversion runs in a
    ``vztemplate`` worker that the call does not return (it answers null)."""
    vm = ct_of(ctx)
    check_lock(ctx, vm)
    if vm.get("snapshots"):
        raise ApiFail(500, "unable to create template, because CT contains snapshots")
    if vm["config"].get("template"):
        raise ApiFail(500, "you can't convert a template to a template")
    if vm["status"] == "running":
        raise ApiFail(500, "you can't convert a CT to template if the CT is running")
    vmid = int(ctx.path["vmid"])
    ctx.task(vm["node"], "vztemplate", str(vmid), on_ok=[{"op": "lxc-template", "vmid": vmid}])


def _to_template(state: State, vm: dict[str, Any]) -> None:
    """PVE::LXC::template_create: the volumes become base volumes (vm-ID-disk-N -> base-ID-disk-N)."""
    vm["config"]["template"] = "1"
    for key in list(vm["config"]):
        if lxcconf.is_mount(key):
            values = lxcconf.parse(str(vm["config"][key]))
            old = values["volume"]
            values["volume"] = old.replace("vm-", "base-", 1)
            vol = volumes.find(state, old, vm["node"])
            if vol is not None:
                volumes.remove(state, old, vol["node"])
                volumes.add(state, {**vol, "volid": values["volume"]})
            vm["config"][key] = lxcconf.render(values)


@route("PUT /nodes/{node}/lxc/{vmid}/resize")
def resize(ctx: Ctx) -> str:
    """resize_vm: rootfs or mpN, ``+SIZE`` grows by, ``SIZE`` sets; "unable to shrink disk size"."""
    vm = ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    check_lock(ctx, vm)
    disk = str(ctx.text("disk"))
    text = vm["config"].get(disk)
    if text is None or not lxcconf.is_mount(disk):
        raise ApiFail(500, f"no such mount point '{disk}'" if text is None else f"'{disk}' is not a mount point")
    values = lxcconf.parse(str(text))
    # pve-container src/PVE/API2/LXC.pm resize_vm ($load_and_check, run before the fork too) measures the volume
    # (PVE::Storage::volume_size_info), not the config's size=
    volume = volumes.find(ctx.state, values["volume"], vm["node"])
    current_size = int(volume["size"]) if volume is not None else size_bytes(values.get("size", "0"))
    m = SIZE.fullmatch(str(ctx.text("size")))
    if m is None:
        raise param_fail({"size": "invalid size"})
    amount = size_bytes(m.group(2) + m.group(3))
    new = current_size + amount if m.group(1) else amount
    if new < current_size:
        raise ApiFail(500, "unable to shrink disk size")
    if new == current_size:
        raise ApiFail(500, "disk is already at specified size")
    values["size"] = human_size(new / 1024**3)
    vm["config"][disk] = lxcconf.render(values)
    if volume is not None:
        volume["size"] = new
    return ctx.task(vm["node"], "resize", str(vmid))


@route("POST /nodes/{node}/lxc/{vmid}/termproxy")
def termproxy(ctx: Ctx) -> dict[str, Any]:
    """API2/LXC.pm termproxy: a ``vncproxy`` task running termproxy over the container's console
    (PVE::LXC::get_console_command: lxc-console, attached through dtach)."""
    from pvectl.sim.handlers.termproxy import ACCEPT_SECONDS, _free_port, vnc_ticket

    ct_of(ctx)
    vmid = int(ctx.path["vmid"])
    port = _free_port(ctx.state, ctx.now)
    upid = ctx.task(
        ctx.path["node"],
        "vncproxy",
        str(vmid),
        seconds=ACCEPT_SECONDS,
        failure="failed waiting for client: timed out",
        log=["starting lxc termproxy"],
    )
    ctx.state["consoles"][str(port)] = {
        "vmid": vmid,
        "node": ctx.path["node"],
        "kind": "lxc",
        "serial": None,
        "upid": upid,
        "created": ctx.now,
        "connected": False,
    }
    ctx.changed()
    return {"user": ctx.user, "ticket": vnc_ticket(ctx.state, ctx.user, vmid, ctx.now), "port": port, "upid": upid}


@route("GET /nodes/{node}/lxc/{vmid}/vncwebsocket")
def vncwebsocket(ctx: Ctx) -> dict[str, Any]:
    from pvectl.sim.handlers.termproxy import websocket_answer

    return websocket_answer(ctx, ct_of)


def console_greeting(state: State, session: dict[str, Any]) -> tuple[str, bool]:
    """What the console shows first, and whether it goes on: lxc-console attaches to a running container's
    tty; for a stopped one it exits at once."""
    vmid = int(session["vmid"])
    vm = state["vms"].get(str(vmid))
    if vm is None or vm["status"] != "running":
        return f"CT {vmid} not running\n", False
    return "\nConnected to tty 1\n", True


def apply(state: State, effect: dict[str, Any], now: float) -> None:
    """Effects of container tasks when they end (tasks.apply_effect hands ``lxc-*`` ops here)."""
    op, vmid = effect["op"], int(effect["vmid"])
    vm = state["vms"].get(str(vmid))
    if op == "lxc-destroy":
        lxcconf.destroy(state, vmid)
    elif op == "lxc-template" and lxcconf.is_ct(vm):
        _to_template(state, vm)
    elif op == "lxc-apply-pending" and lxcconf.is_ct(vm):
        lxcconf.apply_all(vm)
    elif op == "lxc-migrate" and lxcconf.is_ct(vm):
        from pvectl.sim.handlers.lxc_more import apply_migrate

        apply_migrate(state, effect, now)


@route("GET /nodes/{node}/lxc/{vmid}/interfaces")
def interfaces(ctx: Ctx) -> list[dict[str, Any]] | None:
    """API2/LXC.pm ip -> PVE::LXC::get_interfaces: ``ip --json a`` in the container's network namespace; no
    answer (null) when the container does not run. DHCP addresses here come from the id (10.0.0.0/8)."""
    vm = ct_of(ctx)
    if vm["status"] != "running":
        return None
    vmid = int(ctx.path["vmid"])
    out = [_iface("lo", "00:00:00:00:00:00", "127.0.0.1", 8, "::1", 128)]
    for key in sorted((k for k in vm["config"] if lxcconf.NET_KEY.fullmatch(k)), key=lambda k: int(k[3:])):
        values = dict(p.partition("=")[::2] for p in str(vm["config"][key]).split(","))
        ip = values.get("ip", "")
        if ip == "dhcp":
            ip = f"10.{(vmid >> 8) & 255}.{vmid & 255}.{10 + int(key[3:])}/24"
        address, _, prefix = ip.partition("/")
        out.append(_iface(values.get("name", key), values.get("hwaddr", ""), address or None, int(prefix or 0)))
    return out


def _iface(
    name: str, mac: str, inet: str | None, prefix: int, inet6: str | None = None, prefix6: int = 64
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "hwaddr": mac.lower(), "hardware-address": mac.lower()}
    addresses = []
    if inet:
        entry["inet"] = f"{inet}/{prefix}"
        addresses.append({"ip-address-type": "inet", "ip-address": inet, "prefix": prefix})
    if inet6:
        entry["inet6"] = f"{inet6}/{prefix6}"
        addresses.append({"ip-address-type": "inet6", "ip-address": inet6, "prefix": prefix6})
    entry["ip-addresses"] = addresses
    return entry
