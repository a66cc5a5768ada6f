"""vzdump: one backup task per node, guests in turn, per-guest log lines as PVE writes them; extractconfig.

Modelled on pve-manager 14a22df35955 ``PVE/API2/VZDump.pm`` (``vzdump``: the node's guests of the selection,
'OK' without a task when none of them is on this node, the task id is the vmid when there is one guest),
``PVE/VZDump.pm`` (``new``: storage errors fail the task before any guest; ``exec_backup``: guests sorted by
id, "Backup job finished with errors" and the task's exit status ``job errors`` when any guest failed;
``exec_backup_task``: the per-guest lines "Starting Backup of VM N (qemu)", "Finished Backup of VM N
(HH:MM:SS)", "Backup of VM N failed - ERR", the archive name, stop mode refused for a started HA guest) and
qemu-server e6352be67f70 ``src/PVE/VZDump/QemuServer.pm`` (the progress lines "%3d%% (X of Y) in Ns, read:
…, write: …"). Containers' backups are ``.tar`` archives without progress lines (tar writes none). Restores are in
``restore.py``, a backup's attributes and pruning in ``backupstore.py``.
"""

from __future__ import annotations

import time
from typing import Any

from pvectl.sim import backups, volumes
from pvectl.sim.handlers.cluster import storages_on
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail

GiB = 1024**3
GUEST_SECONDS = 3  # one guest's share of a vzdump task, in units of the world's task_seconds


def _split(text: str | None) -> list[str]:
    return [p for p in (text or "").replace(";", ",").replace(" ", ",").split(",") if p]


def _guests(ctx: Ctx, node: str) -> tuple[list[int], list[int]]:
    """(the ids vzdump backs up on ``node``, those it skips elsewhere): ``get_included_guests`` then the API."""
    vms = ctx.state["vms"]
    for other in ("all", "exclude", "pool"):  # VZDump.pm verify_vzdump_parameters
        if ctx.text(other) not in (None, "0") and ctx.text("vmid"):
            raise param_fail({other: "option conflicts with option 'vmid'"})
    if ctx.text("pool"):
        pool = ctx.state["pools"].get(ctx.text("pool"))
        wanted = [int(v) for v in (pool or {}).get("vms", [])]
    elif ctx.text("vmid"):
        wanted = [int(v) for v in _split(ctx.text("vmid"))]
    elif ctx.flag("all") or ctx.text("exclude"):
        excluded = {int(v) for v in _split(ctx.text("exclude"))}
        wanted = [int(v) for v in vms if int(v) not in excluded]
    else:
        raise param_fail({"vmid": "property is missing"})
    local, skipped = [], []
    for vmid in sorted(set(wanted)):
        vm = vms.get(str(vmid))
        if vm is None or vm["node"] == node:
            local.append(vmid)  # unknown ids are kept, to fail visibly inside the task
        else:
            skipped.append(vmid)
    return local, skipped


def kind_of(vm: dict[str, Any] | None) -> str:
    from pvectl.sim import lxcconf

    return "lxc" if lxcconf.is_ct(vm) else "qemu"


def _size(vm: dict[str, Any]) -> int:
    from pvectl.sim import lxcconf, vmconf

    config = vm["config"]
    if lxcconf.is_ct(vm):
        return lxcconf.disk_total(config)
    total = 0
    for key in vmconf.drives_in(config):
        values = vmconf.parse_drive(key, str(config[key]))
        if values.get("media") != "cdrom":
            total += vmconf.size_bytes(values.get("size", "0"))
    return total


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _human(size: float) -> str:
    return f"{size / GiB:.1f} GiB"


def _guest_lines(
    ctx: Ctx, vmid: int, vm: dict[str, Any] | None, storage: str, when: float, span: float
) -> tuple[list[tuple[float, str]], str | None, dict[str, Any] | None]:
    """One guest's log lines (offsets within its span), its error or None, and the volume it leaves."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when))
    kind = kind_of(vm)
    lines: list[tuple[float, str]] = [(0.0, f"INFO: Starting Backup of VM {vmid} ({kind})")]
    lines.append((0.0, f"INFO: Backup started at {stamp}"))
    error: str | None = None
    if vm is None:
        error = f"unable to find VM '{vmid}'"
    else:
        mode = ctx.text("mode") or "snapshot"
        ha = ctx.state["ha"].get(f"{'ct' if kind == 'lxc' else 'vm'}:{vmid}")
        if vm["config"].get("lock"):  # AbstractConfig check_lock via the plugin's lock_vm ("VM"/"CT" is locked)
            error = f"{'CT' if kind == 'lxc' else 'VM'} is locked ({vm['config']['lock']})"
        elif mode == "stop" and ha is not None and ha.get("state") == "started":
            error = (
                "Cannot execute a backup with stop mode on a HA managed and enabled Service."
                " Use snapshot mode or disable the Service."
            )
        else:
            error = ctx.faults.backup_failure(vmid)
    if error is not None:
        lines.append((span * 0.2, f"ERROR: Backup of VM {vmid} failed - {error}"))
        lines.append((span * 0.2, f"INFO: Failed at {stamp}"))
        return lines, error, None
    assert vm is not None
    running = vm["status"] == "running"
    mode = (ctx.text("mode") or "snapshot") if running else "stop"
    st = ctx.state["storages"][storage]
    pbs = st["type"] == "pbs"
    name = backups.pbs_name(kind, vmid, when) if pbs else backups.archive_name(kind, vmid, when, ctx.text("compress"))
    target = name if pbs else f"/mnt/pve/{storage}/dump/{name}"
    lines += [
        (0.05 * span, f"INFO: status = {vm['status']}"),
        *([(0.05 * span, f"INFO: VM Name: {vm['config'].get('name', f'VM{vmid}')}")] if kind == "qemu" else []),
        (0.05 * span, f"INFO: backup mode: {mode}"),
        (0.1 * span, f"INFO: creating {'Proxmox Backup Server' if pbs else 'vzdump'} archive '{target}'"),
    ]
    disk = _size(vm) or GiB
    for pct in (25, 50, 75, 100) if kind == "qemu" else ():  # qemu-server's progress; tar writes none
        done = disk * pct // 100
        lines.append(
            (
                span * (0.1 + 0.8 * pct / 100),
                f"INFO: {pct:3d}% ({_human(done)} of {_human(disk)}) in"
                f" {int(span * pct / 100)}s, read: 512.0 MiB/s, write: 480.0 MiB/s",
            )
        )
    size = max(disk // 3, 4096)
    volume: dict[str, Any] = {
        "volid": f"{storage}:backup/{name}",
        "storage": storage,
        "node": None if st["shared"] else ctx.path["node"],
        "content": "backup",
        "format": f"pbs-{'ct' if kind == 'lxc' else 'vm'}" if pbs else backups.archive_info(name)["format"],  # type: ignore[index]
        "size": size,
        "ctime": int(when),
        "vmid": vmid,
        "subtype": kind,
        "config": backups.config_text(vm["config"]),
    }
    if not pbs:
        lines.append((0.95 * span, f"INFO: archive file size: {size / GiB:.2f}GB"))
    template = ctx.text("notes-template")
    if template:
        values = {
            "cluster": ctx.state["cluster"],
            "guestname": str(vm["config"].get("name" if kind == "qemu" else "hostname", "")),
            "node": ctx.path["node"],
            "vmid": str(vmid),
        }
        volume["notes"] = backups.notes_from_template(template, values)
        lines.append((0.95 * span, "INFO: adding notes to backup"))
    if ctx.flag("protected"):
        volume["protected"] = True
        lines.append((0.95 * span, "INFO: marking backup as protected"))
    keep = _retention(ctx, storage)
    if keep is not None and ctx.text("remove") != "0":
        # PVE/VZDump.pm exec_backup_task: prune the guest's group after the backup, by the job's or the storage's
        # prune-backups; the effect does the same when the task ends
        group = [v for v in volumes.visible(ctx.state, storage, ctx.path["node"]) if v["content"] == "backup"]
        group = [v for v in group if v.get("vmid") == vmid and v.get("subtype", kind) == kind]
        marks = backups.prune_marks([*group, volume], keep)
        pruned = sum(1 for m in marks if m["mark"] == "remove")
        text = ", ".join(f"{k}={v}" for k, v in sorted(keep.items()))
        lines.append((0.97 * span, f"INFO: prune older backups with retention: {text}"))
        extra = " not covered by keep-retention policy" if pruned else ""
        lines.append((0.97 * span, f"INFO: pruned {pruned} backup(s){extra}"))
    lines.append((span, f"INFO: Finished Backup of VM {vmid} ({_duration(span)})"))
    lines.append((span, f"INFO: Backup finished at {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(when + span))}"))
    return lines, None, volume


def _cmdline(ctx: Ctx) -> str:
    skip = {"node"}
    parts = [str(ctx.text("vmid") or "").replace(",", " ")] if ctx.text("vmid") else []
    parts += [f"--{k} {ctx.text(k)}" for k in sorted(ctx.params) if k not in skip | {"vmid"}]
    return " ".join(["vzdump", *parts])


@route("POST /nodes/{node}/vzdump")
def vzdump(ctx: Ctx) -> str:
    node = ctx.path["node"]
    if ctx.text("notes-template") and not ctx.text("storage"):
        raise param_fail({"notes-template": "missing property - 'storage' is required by 'notes-template'"})
    local, skipped = _guests(ctx, node)
    if not local and not ctx.flag("all"):
        return "OK"  # PVE: silent exit when the guests run on other nodes
    storage = ctx.text("storage") or "local"  # PVE/VZDump.pm get_storage_param
    if storage not in ctx.state["storages"]:
        raise ApiFail(500, f"storage '{storage}' does not exist")
    per = ctx.state["task_seconds"] * GUEST_SECONDS
    lines: list[tuple[float, str]] = [(0.0, f"INFO: starting new backup job: {_cmdline(ctx)}")]
    if skipped:
        lines.append((0.0, f"INFO: skip external VMs: {', '.join(map(str, skipped))}"))
    failure: str | None = None
    added: list[dict[str, Any]] = []
    st = ctx.state["storages"][storage]
    if "backup" not in st["content"] or storage not in storages_on(ctx.state, node):
        problem = (
            "can't use storage '{s}' for backups - wrong content type"
            if "backup" not in st["content"]
            else "storage '{s}' is not available on node '" + node + "'"
        )
        failure = f"could not get storage information for '{storage}': {problem.format(s=storage)}"
        return ctx.task(node, "vzdump", str(local[0]) if len(local) == 1 else "", failure=failure, seconds=0)
    errors = 0
    offset = 0.0
    for vmid in local:
        vm = ctx.state["vms"].get(str(vmid))
        guest, error, volume = _guest_lines(ctx, vmid, vm, storage, ctx.now + offset, per)
        lines += [(offset + at, text) for at, text in guest]
        if error is not None:
            errors += 1
        if volume is not None:
            volume["at"] = ctx.now + offset + per
            added.append(volume)
        offset += per if error is None else per * 0.2
    lines.append((offset, f"INFO: Backup job finished {'with errors' if errors else 'successfully'}"))
    keep = _retention(ctx, storage) if ctx.text("remove") != "0" else None
    effect = {"op": "backup-add", "volumes": added, "keep": keep}
    return ctx.task(
        node,
        "vzdump",
        str(local[0]) if len(local) == 1 else "",
        failure="job errors" if errors else None,
        seconds=offset,
        log=[text for _, text in lines],
        log_at=[at for at, _ in lines],
        on_ok=[effect],
        on_fail=[effect],
    )


def apply(state: dict[str, Any], effect: dict[str, Any], now: float) -> None:
    if effect["op"] == "backup-add":
        for volume in effect["volumes"]:
            if volume.pop("at", now) <= now + 1e-6:
                volumes.add(state, volume)
                if effect.get("keep") is not None:
                    _prune_after_backup(state, volume, effect["keep"])
    elif effect["op"] == "backup-restore":
        from pvectl.sim.handlers.restore import finish

        finish(state, effect)


def _retention(ctx: Ctx, storage: str) -> dict[str, int] | None:
    """The job's ``prune-backups``, else the storage's (PVE/VZDump.pm new); None when neither is set."""
    text = ctx.text("prune-backups") or ctx.state["storages"][storage].get("prune-backups")
    return backups.parse_keep(text) if text else None


def _prune_after_backup(state: dict[str, Any], volume: dict[str, Any], keep: dict[str, int]) -> None:
    """vzdump's ``remove`` (default on): prune the guest's group by the retention in force."""
    group = [
        v
        for v in volumes.visible(state, volume["storage"], volume["node"] or "")
        if v["content"] == "backup" and v.get("vmid") == volume["vmid"] and v.get("subtype") == volume["subtype"]
    ]
    for entry in backups.prune_marks(group, keep):
        if entry["mark"] == "remove":
            volumes.remove(state, entry["volid"], volume["node"])


def find_backup(ctx: Ctx, volid: str, node: str) -> dict[str, Any]:
    if ":" not in volid:
        raise param_fail({"volume": f"unable to parse volume ID '{volid}'"})
    vol = volumes.find(ctx.state, volid, node)
    if vol is None or vol["content"] != "backup":
        raise ApiFail(500, f"volume '{volid}' does not exist")
    return vol


@route("GET /nodes/{node}/vzdump/extractconfig")
def extractconfig(ctx: Ctx) -> str:
    vol = find_backup(ctx, str(ctx.text("volume")), ctx.path["node"])
    return str(vol.get("config", ""))
