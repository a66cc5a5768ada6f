"""Scheduled backup jobs (``/cluster/backup``), what they include, and the guests no job covers.

Modelled on pve-manager 14a22df35955 ``PVE/API2/Backup.pm`` (``index``: vzdump jobs with ``id`` and ``type``;
``create_job``: ``enabled`` defaults to 1, an id is generated when none is given, "Job 'ID' already exists";
``get_volume_backup_included``: a tree guest -> volumes with ``included`` and ``reason``) and
``PVE/API2/BackupInfo.pm`` (``get_guests_not_in_backup``); ``fleecing``, ``performance`` and ``prune-backups`` are
property strings when sent but objects when read (``$backup_job_return_schema``; pve-guest-common 4a8f6cbf78e1
``src/PVE/VZDump/JobBase.pm decode_value`` parses them, ``src/PVE/VZDump/Common.pm $PROPERTY_STRINGS``); the
per-volume reasons are qemu-server e6352be67f70 ``src/PVE/QemuConfig.pm get_backup_volumes`` ("backup=yes"/
"backup=no", "efidisk but no OVMF BIOS").
"""

from __future__ import annotations

import uuid
from typing import Any

from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail

CONTROL = {"id", "delete", "digest"}


def _jobs(ctx: Ctx) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = ctx.state.get("backup_jobs") or {}
    return jobs


def _job(ctx: Ctx) -> dict[str, Any]:
    job = _jobs(ctx).get(ctx.path["id"])
    if job is None:
        raise ApiFail(500, f"job '{ctx.path['id']}' does not exist")
    return job


PROPERTY_STRINGS = ("fleecing", "performance", "prune-backups")


def _entry(jid: str, job: dict[str, Any]) -> dict[str, Any]:
    decoded = {k: _object(v) if k in PROPERTY_STRINGS else v for k, v in job.items()}
    return {"id": jid, "type": "vzdump", **decoded}


def _object(text: Any) -> dict[str, Any]:
    """A stored property string as PVE reads it back: an object, numbers as numbers (keep-last=2: 2)."""
    out: dict[str, Any] = {}
    for part in str(text).split(","):
        key, _, value = part.partition("=")
        if key:
            out[key.strip()] = int(value) if value.strip().isdigit() else value.strip()
    return out


@route("GET /cluster/backup")
def list_jobs(ctx: Ctx) -> list[dict[str, Any]]:
    return [_entry(jid, job) for jid, job in sorted(_jobs(ctx).items())]


@route("GET /cluster/backup/{id}")
def read_job(ctx: Ctx) -> dict[str, Any]:
    return _entry(ctx.path["id"], _job(ctx))


def _values(ctx: Ctx) -> dict[str, Any]:
    return {k: ctx.text(k) for k in ctx.params if k not in CONTROL}


@route("POST /cluster/backup")
def create_job(ctx: Ctx) -> None:
    jid = ctx.text("id") or str(uuid.uuid4())
    jobs = dict(_jobs(ctx))
    if jid in jobs:
        raise ApiFail(500, f"Job '{jid}' already exists")
    # Backup.pm $schedule_param_check
    if ctx.text("schedule") and ctx.text("starttime"):
        raise param_fail({"starttime": "'starttime' and 'schedule' cannot both be set"})
    if not ctx.text("schedule") and not ctx.text("starttime"):
        raise param_fail({"schedule": "neither 'starttime' nor 'schedule' were set"})
    job = _values(ctx)
    job.setdefault("enabled", "1")
    jobs[jid] = job
    ctx.state["backup_jobs"] = jobs
    ctx.changed()


@route("PUT /cluster/backup/{id}")
def update_job(ctx: Ctx) -> None:
    job = dict(_job(ctx))
    for key in [k for k in (ctx.text("delete") or "").split(",") if k]:
        job.pop(key, None)
    job.update(_values(ctx))
    ctx.state["backup_jobs"] = {**_jobs(ctx), ctx.path["id"]: job}
    ctx.changed()


@route("DELETE /cluster/backup/{id}")
def delete_job(ctx: Ctx) -> None:
    _job(ctx)
    ctx.state["backup_jobs"] = {k: v for k, v in _jobs(ctx).items() if k != ctx.path["id"]}
    ctx.changed()


def included_ids(ctx: Ctx, job: dict[str, Any]) -> list[int]:
    """The guests a job selects (PVE/VZDump.pm get_included_guests: pool, vmid list, or all minus exclude)."""
    vms = ctx.state["vms"]
    node = job.get("node")
    if job.get("pool"):
        ids = [int(v) for v in (ctx.state["pools"].get(job["pool"]) or {}).get("vms", [])]
    elif job.get("vmid"):
        ids = [int(v) for v in str(job["vmid"]).split(",") if v]
    elif str(job.get("all")) == "1":
        excluded = {int(v) for v in str(job.get("exclude") or "").split(",") if v}
        ids = [int(v) for v in vms if int(v) not in excluded]
    else:
        ids = []
    return sorted(i for i in ids if str(i) in vms and (not node or vms[str(i)]["node"] == node))


@route("GET /cluster/backup/{id}/included_volumes")
def included_volumes(ctx: Ctx) -> dict[str, Any]:
    from pvectl.sim import lxcconf, vmconf

    job = _job(ctx)
    children = []
    for vmid in included_ids(ctx, job):
        guest = ctx.state["vms"][str(vmid)]
        config = guest["config"]
        if lxcconf.is_ct(guest):
            children.append(
                {"id": vmid, "name": config.get("hostname", ""), "type": "lxc", "children": _ct_volumes(config)}
            )
            continue
        vols = []
        for key in vmconf.drives_in(config):
            values = vmconf.parse_drive(key, str(config[key]))
            if values.get("media") == "cdrom":
                continue
            included = values.get("backup", "1") not in ("0", "no", "off", "false")
            reason = "backup=" + ("no" if "backup" in values else "yes")
            if key.startswith("efidisk") and config.get("bios") != "ovmf":
                included, reason = False, "efidisk but no OVMF BIOS"
            vols.append({"id": key, "name": values.get("file", ""), "included": int(included), "reason": reason})
        children.append({"id": vmid, "name": config.get("name", ""), "type": "qemu", "children": vols})
    return {"children": children}


def _ct_volumes(config: dict[str, Any]) -> list[dict[str, Any]]:
    """pve-container ``src/PVE/LXC/Config.pm mountpoint_backup_enabled``: rootfs always, a volume mount point
    with ``backup=1``, never a bind mount."""
    from pvectl.sim import lxcconf

    out = []
    for key in sorted(k for k in config if lxcconf.is_mount(k)):
        values = lxcconf.parse(str(config[key]))
        if key == "rootfs":
            included, reason = True, "rootfs"
        elif ":" not in values["volume"]:
            included, reason = False, "not a volume"
        elif values.get("backup") in ("1", "yes", "on", "true"):
            included, reason = True, "enabled"
        else:
            included, reason = False, "disabled"
        out.append({"id": key, "name": values["volume"], "included": int(included), "reason": reason})
    return out


@route("GET /cluster/backup-info/not-backed-up")
def not_backed_up(ctx: Ctx) -> list[dict[str, Any]]:
    covered: set[int] = set()
    for job in _jobs(ctx).values():
        covered.update(included_ids(ctx, {k: v for k, v in job.items() if k != "node"}))
    out = []
    for vmid, vm in sorted(ctx.state["vms"].peek_items(), key=lambda kv: int(kv[0])):
        if int(vmid) not in covered and vm["config"].get("template") not in ("1", 1):
            kind = "lxc" if vm.get("type") == "lxc" else "qemu"
            name = vm["config"].get("hostname" if kind == "lxc" else "name", "")
            out.append({"vmid": int(vmid), "type": kind, "name": name})
    return out
