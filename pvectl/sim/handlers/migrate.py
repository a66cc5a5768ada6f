"""Moving VMs between nodes: ``GET|POST /nodes/{node}/qemu/{vmid}/migrate``, HA ``migrate``/``relocate`` and the
cluster bulk actions (``/cluster/bulk-action/guest/*``, PVE >= 9.0).

What PVE does, and where it says so (qemu-server PVE/API2/Qemu.pm ``migrate_vm``/``migrate_vm_precondition``,
PVE/QemuMigrate.pm ``prepare``/``sync_offline_local_volumes``):

- the precondition lists ``local_disks`` (volumes on storages that are not shared, CD-ROMs included),
  ``local_resources`` (passthrough that pins the VM: ``hostpciN``, ``usbN``, host serial/parallel ports) and, per
  other node, the storages it lacks (``not_allowed_nodes``); PVE 7 answers the node lists only for a stopped VM.
  PVE 9 lists every other node in ``not_allowed_nodes``, with ``{}`` when nothing blocks it (autovivified), as a
  recorded answer shows (CodingPenguin-yoon/Gjallar docs/operations/drs-explicit-test-candidate-prep-2026-06-03.md
  @917b95b8: both allowed nodes also under ``not_allowed_nodes`` as ``{}``; ``running: 1``).
- POST refuses the local node as target (a parameter error), a running VM without ``online``, a storage the
  target lacks; a stopped VM with ``online`` migrates offline with a warning. The task (``qmigrate``, the VM
  locked ``migrate``) fails for attached local disks of a running VM without ``with-local-disks``, for local
  devices (unless the VM is stopped and ``force`` is given), and when the target does not answer.
- an HA-managed VM is not migrated by the API call: it forks ``hamigrate``, which asks the HA stack
  (``ha-manager migrate vm:ID NODE``); the HA stack's own worker does the move.
"""

from __future__ import annotations

import re
from typing import Any

from pvectl.sim import vmconf, volumes
from pvectl.sim.handlers.ha import managed, normalise_sid
from pvectl.sim.handlers.qemu import _check_lock, _vm
from pvectl.sim.packages import version_key
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail

State = dict[str, Any]
LOCAL_RESOURCE = re.compile(r"(hostpci|usb|serial|parallel)\d+")
UNUSED = re.compile(r"unused\d+")


def _major(state: State) -> int:
    return int(str(state["version"]).split(".")[0])


def local_resources(config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(local, mapped) devices as PVE::QemuServer::check_local_resources sorts them."""
    local: list[str] = []
    mapped: list[str] = []
    for key, value in config.items():
        if not LOCAL_RESOURCE.fullmatch(key):
            continue
        text = str(value)
        if key.startswith("usb") and "spice" in text:
            continue  # a SPICE USB redirect follows the VM
        if key.startswith("serial") and text == "socket":
            continue  # a socket is the VM's own, not a host port
        local.append(key)  # check_local_resources lists mapped devices among the local ones too
        if "mapping=" in text:
            mapped.append(key)
    return local, mapped


def local_disks(state: State, vm: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    config = vm["config"]
    for key, value in config.items():
        unused = bool(UNUSED.fullmatch(key))
        if not (vmconf.is_drive(key) or unused):
            continue
        text = str(value)
        volid = text.split(",", 1)[0]
        storage = volid.split(":", 1)[0] if ":" in volid else ""
        st = state["storages"].get(storage)
        if st is None or st["shared"]:
            continue
        vol = volumes.find(state, volid, vm["node"])
        entry: dict[str, Any] = {
            "volid": volid,
            "size": int(vol["size"]) if vol else 0,
            "cdrom": int("media=cdrom" in text),
            "is_unused": int(unused),
        }
        if not unused:
            entry["drivename"] = key
        out.append(entry)
    return out


def _storages(vm: dict[str, Any]) -> set[str]:
    used = set()
    for key, value in vm["config"].items():
        if vmconf.is_drive(key) or UNUSED.fullmatch(key):
            volid = str(value).split(",", 1)[0]
            if ":" in volid:
                used.add(volid.split(":", 1)[0])
    return used


def unavailable_storages(state: State, vm: dict[str, Any], node: str) -> list[str]:
    out = []
    for sid in sorted(_storages(vm)):
        st = state["storages"].get(sid)
        if st is not None and st.get("nodes") and node not in st["nodes"]:
            out.append(sid)
    return out


@route("GET /nodes/{node}/qemu/{vmid}/migrate")
def precondition(ctx: Ctx) -> dict[str, Any]:
    vm = _vm(ctx)
    _check_lock(ctx, vm)
    state = ctx.state
    running = vm["status"] == "running"
    local, mapped = local_resources(vm["config"])
    out: dict[str, Any] = {
        "running": int(running),
        "local_disks": local_disks(state, vm),
        "local_resources": local,
    }
    major = _major(state)
    if major >= 8:
        out["mapped-resources"] = mapped
        out["mapped-resource-info"] = {key: {"live-migration": 0} for key in mapped}
    if major >= 9:
        out["has-dbus-vmstate"] = 1
        if managed(state, f"vm:{int(ctx.path['vmid'])}"):
            out["dependent-ha-resources"] = []
    if major >= 8 or not running:  # PVE 7: "only passed if VM is offline"
        allowed, not_allowed = [], {}
        for node in state["nodes"]:
            if node == vm["node"]:
                continue
            missing = unavailable_storages(state, vm, node)
            if missing:
                not_allowed[node] = {"unavailable_storages": missing}
            else:
                allowed.append(node)
                if major >= 9:
                    not_allowed[node] = {}
        out["allowed_nodes"] = allowed
        out["not_allowed_nodes"] = not_allowed
    return out


def storage_map(text: str | None) -> dict[str, str]:
    """``targetstorage``: ``STORAGE`` (all to one), ``1`` (each to itself) or ``SRC:DST,...`` pairs."""
    if not text or text == "1":
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        src, sep, dst = part.partition(":")
        if sep:
            out[src] = dst
        else:
            out["*"] = src
    return out


def _check_target(ctx: Ctx, source: str, target: str) -> None:
    if target == source:
        raise param_fail({"target": "target is local node."})
    if target not in ctx.state["nodes"]:
        raise ApiFail(500, f"no such cluster node '{target}'")


def _failure(
    state: State, vm: dict[str, Any], vmid: int, target: str, online: bool, params: dict[str, Any]
) -> str | None:
    """Why the migration task fails, as QemuMigrate logs it; None when it succeeds."""
    if not state["nodes"][target]["online"]:
        return "migration aborted: Can't connect to destination address using public key"
    local, mapped = local_resources(vm["config"])
    pinning = [key for key in local if key not in mapped]
    if pinning and (online or not params.get("force")):
        return f"migration aborted: can't migrate VM which uses local devices: {', '.join(pinning)}"
    if mapped and online:  # no live-migration flag on the simulator's mappings
        return f"migration aborted: can't live migrate running VM which uses following mapped devices: {mapped[0]}"
    for disk in local_disks(state, vm):
        # QemuMigrate scan_local_volumes: a local ISO in a CD drive dies "local cdrom image" (not a VM's own
        # cloud-init drive, which is regenerated); the scan logs it and aborts "can't migrate VM - check log"
        if disk["cdrom"] and not disk["is_unused"] and f"vm-{vmid}-cloudinit" not in disk["volid"]:
            return f"migration aborted: can't migrate VM - check log (local disk '{disk['volid']}': local cdrom image)"
    if online and not params.get("with-local-disks"):
        for disk in local_disks(state, vm):
            if not disk["cdrom"] and not disk["is_unused"]:
                return (
                    f"migration aborted: can't migrate local disk '{disk['volid']}': "
                    "can't live migrate attached local disks without with-local-disks option"
                )
    return None


def start_migration(ctx: Ctx, vmid: int, target: str, params: dict[str, Any], *, relocate: bool = False) -> str:
    """The ``qmigrate`` task that moves VM ``vmid`` (and its local volumes) when it ends OK."""
    state = ctx.state
    vm = state["vms"][str(vmid)]
    source = vm["node"]
    online = vm["status"] == "running" and not relocate
    log = [f"starting migration of VM {vmid} to node '{target}' ({state['nodes'][target]['ip']})"]
    if params.get("online") and vm["status"] != "running":
        log.insert(0, "VM isn't running. Doing offline migration instead.")
    failure = _failure(state, vm, vmid, target, online, params)
    vm["config"]["lock"] = "migrate"
    effect = {
        "op": "migrate",
        "vmid": vmid,
        "source": source,
        "target": target,
        "storage": storage_map(params.get("targetstorage")),
        "restart": relocate and vm["status"] == "running",
    }
    unlock = {"op": "unlock", "vmid": vmid}
    return ctx.task(source, "qmigrate", str(vmid), log=log, failure=failure, on_ok=[effect], on_fail=[unlock])


@route("POST /nodes/{node}/qemu/{vmid}/migrate")
def migrate(ctx: Ctx) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    target = str(ctx.text("target"))
    _check_target(ctx, vm["node"], target)
    _check_lock(ctx, vm)
    if vm["status"] == "running" and not ctx.flag("online"):
        raise ApiFail(500, "can't migrate running VM without --online")
    mapping = storage_map(ctx.text("targetstorage"))
    for sid in sorted(set(mapping.values())):
        vmconf.storage_on_node(ctx.state, sid, target, "targetstorage")
    if not mapping:
        missing = unavailable_storages(ctx.state, vm, target)
        if missing:
            raise ApiFail(500, f"storage '{missing[0]}' is not available on node '{target}'")
    params: dict[str, Any] = {k: ctx.flag(k) for k in ("online", "force", "with-local-disks")}
    params["targetstorage"] = ctx.text("targetstorage")
    if managed(ctx.state, f"vm:{vmid}"):
        # qemu-server hands HA-managed VMs to the HA stack: a 'hamigrate' task that only files the request; the
        # HA stack migrates with force and with-local-disks (pve-ha-manager src/PVE/HA/Resources/PVEVM.pm migrate)
        ha_params = {"online": vm["status"] == "running", "force": True, "with-local-disks": True}
        start_migration(ctx, vmid, target, ha_params)
        log = [f"Requesting HA migration for VM {vmid} to node {target}"]
        return ctx.task(vm["node"], "hamigrate", str(vmid), log=log, seconds=0)
    return start_migration(ctx, vmid, target, params)


def _ha_move(ctx: Ctx, relocate: bool) -> dict[str, Any] | None:
    sid = normalise_sid(ctx.path["sid"])
    if sid not in ctx.state["ha"]:
        raise ApiFail(500, f"service '{sid}' not defined")
    if not managed(ctx.state, sid):  # Resources.pm migrate/relocate: service_is_ha_managed
        raise ApiFail(500, f"resource '{sid}' is not HA managed")
    target = str(ctx.text("node"))
    if target not in ctx.state["nodes"]:
        raise ApiFail(500, f"no such cluster node '{target}'")
    vmid = int(sid.split(":", 1)[1])
    vm = ctx.state["vms"].get(str(vmid))
    if vm is None:
        raise ApiFail(500, f"no such VM '{vmid}'")
    if vm["node"] != target:  # the HA manager ignores a request to the node the service is on
        params = {"online": not relocate, "force": True, "with-local-disks": True}  # PVEVM.pm migrate
        start_migration(ctx, vmid, target, params, relocate=relocate)
    ctx.changed()
    if version_key(ctx.state["version"]) >= (9, 1):
        # PVE 9.1 answers what it requested (schema 9.1.3); older releases answer null
        return {"sid": sid, "requested-node": target}
    return None


@route("POST /cluster/ha/resources/{sid}/migrate")
def ha_migrate(ctx: Ctx) -> dict[str, Any] | None:
    return _ha_move(ctx, relocate=False)


@route("POST /cluster/ha/resources/{sid}/relocate")
def ha_relocate(ctx: Ctx) -> dict[str, Any] | None:
    return _ha_move(ctx, relocate=True)


def apply(state: State, effect: dict[str, Any], now: float) -> None:
    """A migration task's effect: the VM, its config's local volumes and its volumes move to the target."""
    vmid, source, target = int(effect["vmid"]), effect["source"], effect["target"]
    vm = state["vms"].get(str(vmid))
    if vm is None or vm["node"] != source:
        return
    mapping = dict(effect.get("storage") or {})
    config = vm["config"]
    for key, value in list(config.items()):
        if not (vmconf.is_drive(key) or UNUSED.fullmatch(key)):
            continue
        text = str(value)
        volid = text.split(",", 1)[0]
        vol = state["volumes"].get(volumes.key(volid, source))
        if vol is None:
            continue  # shared (or not a volume): nothing to copy
        del state["volumes"][volumes.key(volid, source)]
        storage = mapping.get(vol["storage"], mapping.get("*", vol["storage"]))
        if storage != vol["storage"]:
            st = state["storages"][storage]
            name = volid.split(":", 1)[1].rsplit("/", 1)[-1].rsplit(".", 1)[0]
            new_id = vmconf.volid_for(storage, st, vmid, name, st["formats"][0])
            vol = {**vol, "volid": new_id, "storage": storage, "format": st["formats"][0]}
            config[key] = new_id + text[len(volid) :]
            if st["shared"]:
                vol["node"] = None
        if vol["node"] is not None:
            vol["node"] = target
        volumes.add(state, vol)
    config.pop("lock", None)
    vm["node"] = target
    if effect.get("restart"):  # relocate: stopped on the source, started on the target
        vm["started"] = int(now)


# Task types of the bulk workers: pve-manager PVE/API2/Cluster/BulkAction/Guest.pm forks 'bulk-start',
# 'bulk-shutdown', 'bulk-suspend' and 'bulk-migrate' (no guest id) on the node that took the request
BULK = {"start": "bulk-start", "shutdown": "bulk-shutdown", "suspend": "bulk-suspend", "migrate": "bulk-migrate"}


def _bulk(ctx: Ctx, action: str) -> str:
    """One task for the whole bulk action; the guests it acts on change when it ends."""
    state = ctx.state
    wanted = ctx.params.get("vms")
    given = wanted if isinstance(wanted, list) else str(wanted or "").replace(";", ",").split(",")
    ids = [int(v) for v in given if str(v).strip()] or sorted(int(k) for k, _ in state["vms"].peek_items())
    effects: list[dict[str, Any]] = []
    log: list[str] = []
    target = ctx.text("target")
    if action == "migrate" and (target is None or target not in state["nodes"]):
        raise param_fail({"target": f"no such cluster node '{target}'"})
    for vmid in ids:
        vm = state["vms"].get(str(vmid))
        if vm is None:
            raise ApiFail(500, f"unknown guest '{vmid}'")
        sid = f"vm:{vmid}"
        moves = (vm["status"] == "running") != (action == "start")
        if action in ("start", "shutdown") and managed(state, sid) and moves:
            # the bulk worker (pve-manager PVE/API2/Cluster/BulkAction/Guest.pm) calls the guest's status API,
            # which for an HA-managed guest only files the request (hastart/hastop): the HA stack acts later
            want = "running" if action == "start" else "stopped"
            after = [{"op": "status", "vmid": vmid, "status": want}]
            if action == "start":
                after.append({"op": "apply-pending", "vmid": vmid})
            ttype = "qmstart" if action == "start" else "qmshutdown"
            effects.append({"op": "ha", "sid": sid, "state": "started" if action == "start" else "stopped"})
            effects.append({"op": "ha-worker", "node": vm["node"], "type": ttype, "vmid": vmid, "effects": after})
        elif action == "start" and vm["status"] != "running":
            effects.append({"op": "status", "vmid": vmid, "status": "running"})
            effects.append({"op": "apply-pending", "vmid": vmid})  # a start applies pending changes (vm_start)
        elif action == "shutdown" and vm["status"] == "running":
            effects.append({"op": "status", "vmid": vmid, "status": "stopped"})
        elif action == "suspend" and vm["status"] == "running":
            effects.append({"op": "pause", "vmid": vmid, "paused": True})
        elif action == "migrate" and target is not None and vm["node"] != target:
            move = {"op": "migrate", "vmid": vmid, "source": vm["node"], "target": target, "storage": {}}
            effects.append(move)
        else:
            log.append(f"VM {vmid}: nothing to do")
            continue
        log.append(f"VM {vmid}: {action}")
    # the API node runs the worker; the simulator's first online node stands in for it
    node = next(n for n, d in state["nodes"].items() if d["online"])
    return ctx.task(node, BULK[action], "", log=log, on_ok=effects)


@route("POST /cluster/bulk-action/guest/start")
def bulk_start(ctx: Ctx) -> str:
    return _bulk(ctx, "start")


@route("POST /cluster/bulk-action/guest/shutdown")
def bulk_shutdown(ctx: Ctx) -> str:
    return _bulk(ctx, "shutdown")


@route("POST /cluster/bulk-action/guest/suspend")
def bulk_suspend(ctx: Ctx) -> str:
    return _bulk(ctx, "suspend")


@route("POST /cluster/bulk-action/guest/migrate")
def bulk_migrate(ctx: Ctx) -> str:
    return _bulk(ctx, "migrate")
