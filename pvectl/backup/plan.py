"""What pvectl sends for backups, decided before anything is sent (pure: no IO).

- create: one ``POST /nodes/{node}/vzdump`` per node with the node's guests (pve-manager ``PVE/API2/VZDump.pm``
  backs up only the guests on the node it runs on and runs them in turn, so a cluster-wide backup is one task per
  node, which pvectl starts side by side).
- restore: ``POST /nodes/{node}/qemu`` with ``archive`` (qemu-server ``src/PVE/API2/Qemu.pm create_vm``) or
  ``POST /nodes/{node}/lxc`` with ``ostemplate`` and ``restore=1`` (pve-container ``src/PVE/API2/LXC.pm``); an
  existing guest is overwritten only with ``force`` (PVE refuses otherwise, "VM N already exists"): pvectl refuses
  first, naming the guest.
- prune: PVE's own marks (``GET …/prunebackups``), removal through ``DELETE …/prunebackups``, which removes
  exactly the entries marked ``remove`` (pve-storage ``src/PVE/Storage/Plugin.pm prune_backups``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pvectl.backup.volid import BackupId


class Refused(ValueError):
    """A request pvectl will not send; the message names the guest or flag (exit 2)."""


@dataclass(frozen=True)
class Guest:
    vmid: int
    node: str
    kind: str  # qemu | lxc
    name: str = ""

    @property
    def label(self) -> str:
        noun = "CT" if self.kind == "lxc" else "VM"
        return f"{noun} {self.vmid} ({self.name})" if self.name else f"{noun} {self.vmid}"


@dataclass(frozen=True)
class Options:
    storage: str | None = None
    mode: str | None = None
    compress: str | None = None
    notes_template: str | None = None
    protected: bool = False
    bwlimit: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # a job's own parameters (backup job run)


@dataclass(frozen=True)
class VzdumpRequest:
    node: str
    guests: tuple[Guest, ...]
    params: Mapping[str, Any]

    @property
    def path(self) -> str:
        return f"/nodes/{self.node}/vzdump"


def plan_create(guests: Iterable[Guest], options: Options) -> list[VzdumpRequest]:
    """One vzdump request per node, guests sorted by id as PVE runs them."""
    if options.notes_template is not None and "\n" in options.notes_template:
        raise Refused("--notes-template: must be one line (write a line break as \\n)")  # verify_notes_template
    if options.notes_template and not options.storage:
        raise Refused("--notes-template needs --storage (PVE sets notes only on a named storage)")
    if options.protected and not options.storage:
        raise Refused("--protected needs --storage (PVE marks backups only on a named storage)")
    if options.bwlimit is not None and options.bwlimit < 0:
        raise Refused(f"--bwlimit: must be 0 (no limit) or more KiB/s, got {options.bwlimit}")
    by_node: dict[str, list[Guest]] = {}
    for guest in guests:
        by_node.setdefault(guest.node, []).append(guest)
    out = []
    for node in sorted(by_node):
        members = tuple(sorted(by_node[node], key=lambda g: g.vmid))
        params: dict[str, Any] = dict(options.extra)
        params["vmid"] = ",".join(str(g.vmid) for g in members)
        for key, value in (
            ("storage", options.storage),
            ("mode", options.mode),
            ("compress", options.compress),
            ("notes-template", options.notes_template),
            ("bwlimit", options.bwlimit),
        ):
            if value is not None:
                params[key] = value
        if options.protected:
            params["protected"] = 1
        out.append(VzdumpRequest(node, members, params))
    return out


@dataclass(frozen=True)
class RestoreRequest:
    node: str
    vmid: int
    kind: str
    params: Mapping[str, Any]
    overwrites: Guest | None

    @property
    def path(self) -> str:
        return f"/nodes/{self.node}/{self.kind}"

    @property
    def label(self) -> str:
        return f"{'CT' if self.kind == 'lxc' else 'VM'} {self.vmid}"


def plan_restore(
    backup: BackupId,
    *,
    node: str,
    vmid: int | None,
    existing: Guest | None,
    force: bool,
    storage: str | None,
    unique: bool,
    start: bool,
) -> RestoreRequest:
    """The restore request, or Refused (an existing guest without --force, on another node, of another kind)."""
    kind = backup.kind
    if kind not in ("qemu", "lxc"):
        raise Refused(f"{backup.volid}: cannot tell from its name whether it holds a VM or a container")
    target = vmid if vmid is not None else backup.vmid
    if target is None:
        raise Refused(f"{backup.volid}: the name holds no guest id; give --vmid")
    if existing is not None:
        if existing.kind != kind:  # --force cannot help: PVE restores a VM archive only over a VM, and so on
            raise Refused(
                f"{existing.label} is a {_noun(existing.kind)}; the backup holds a {_noun(kind)}: give --vmid for a"
                " new id"
            )
        if not force:
            raise Refused(
                f"{existing.label} exists on {existing.node}; restoring {backup.volid} would overwrite it:"
                " add --force to replace it, or --vmid for a new id"
            )
        if existing.node != node:
            raise Refused(f"{existing.label} is on {existing.node}: restore over it there (--node {existing.node})")
    params: dict[str, Any] = {"vmid": target}
    if kind == "qemu":
        params["archive"] = backup.volid
    else:
        params.update({"ostemplate": backup.volid, "restore": 1})
    if storage:
        params["storage"] = storage
    if force:
        params["force"] = 1
    if unique:
        params["unique"] = 1
    if start:
        params["start"] = 1
    return RestoreRequest(node, target, kind, params, existing)


def _noun(kind: str) -> str:
    return "container" if kind == "lxc" else "VM"


@dataclass(frozen=True)
class PrunePlan:
    storage: str
    node: str
    marks: tuple[Mapping[str, Any], ...]
    kind: str | None = "qemu"  # None: both kinds of the id (a guest that no longer exists)
    vmid: int | None = None

    def marked(self, mark: str) -> list[Mapping[str, Any]]:
        return [m for m in self.marks if m.get("mark") == mark]

    @property
    def removes(self) -> list[Mapping[str, Any]]:
        """What PVE will remove: entries marked ``remove`` and nothing else (never protected or renamed ones)."""
        return self.marked("remove")


def pruned(lines: Iterable[str]) -> list[str]:
    """The volume ids a prune task's log says it removed (pve-storage src/PVE/Storage/Plugin.pm prune_backups logs
    "removing backup 'VOLID'" before each removal, and "error when removing backup 'VOLID' - ..." when it fails)."""
    out = []
    for line in lines:
        if (m := _REMOVING.search(line)) and m.group(1) not in out:
            out.append(m.group(1))
        elif m := _REMOVE_FAILED.search(line):
            out = [v for v in out if v != m.group(1)]
    return out


_REMOVING = re.compile(r"^(?:INFO: )?removing backup '([^']+)'")
_REMOVE_FAILED = re.compile(r"error when removing backup '([^']+)'")


def keep_text(keep: Mapping[str, int | None]) -> str | None:
    """``keep-last=3,keep-daily=7`` from the --keep-* flags; None when none is given (the storage's setting)."""
    given = {k: v for k, v in keep.items() if v is not None}
    for key, value in given.items():
        if value < 0:
            raise Refused(f"--{key}: must be 0 or more, got {value}")
    if given and not any(given.values()):
        raise Refused("--keep-*: all zero would keep every backup (PVE reads it as keep-all); give a positive count")
    return ",".join(f"{k}={v}" for k, v in given.items()) or None


def rows_for(marks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"volid": m.get("volid"), "vmid": m.get("vmid"), "ctime": m.get("ctime"), "mark": m.get("mark")}
        for m in sorted(marks, key=lambda m: (m.get("vmid") or 0, -(m.get("ctime") or 0)))
    ]


def job_value(value: object) -> object:
    """A job's value as vzdump takes it: PVE reads fleecing, performance and prune-backups back as objects
    (pve-manager PVE/API2/Backup.pm $backup_job_return_schema) but takes property strings (keep-last=2,...),
    booleans as 1/0, as the web GUI's 'Run now' sends them (www/manager6/dc/Backup.js run_backup_now)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return ",".join(f"{k}={job_value(v)}" for k, v in value.items() if v is not None)
    return value
