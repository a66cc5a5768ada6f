"""Backup volume ids as PVE writes them, for both kinds of backup storage.

- File storages (dir, NFS, CephFS, ...): ``STORAGE:backup/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst``
  (pve-storage ``src/PVE/Storage.pm archive_info``: ``vzdump-(lxc|openvz|qemu)-VMID-YYYY_MM_DD-HH_MM_SS``
  plus ``.vma``/``.tar``/``.tgz`` and a compressor extension; the time is the node's local time).
- Proxmox Backup Server: ``STORAGE:backup/vm/100/2025-01-31T02:00:00Z`` (``ct/`` for containers; UTC; pve-manager
  ``PVE/VZDump.pm exec_backup_task`` builds ``vm/VMID/%FT%TZ``).

A name outside these schemes (a renamed file) still parses: kind from its ``vzdump-<type>-`` prefix when it has
one, no id or time (PVE marks those ``renamed`` and never prunes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FILE = re.compile(r"vzdump-(qemu|lxc|openvz)-(.+)\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)")
_STD = re.compile(r"([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})")
_PBS = re.compile(r"(vm|ct|host)/([^/]+)/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")
KINDS = {"qemu": "qemu", "lxc": "lxc", "openvz": "lxc", "vm": "qemu", "ct": "lxc"}


class VolidError(ValueError):
    """Not a backup volume id; the message names it."""


@dataclass(frozen=True)
class BackupId:
    volid: str
    storage: str
    kind: str | None  # qemu | lxc, None when the name does not say
    vmid: int | None
    stamp: str | None  # the time in the name, as written there (local time for files, UTC for PBS)
    pbs: bool


def parse(volid: str) -> BackupId:
    storage, sep, volname = volid.partition(":")
    if not sep or not storage or not volname:
        raise VolidError(f"'{volid}' is not a volume id (STORAGE:backup/NAME)")
    path = volname.removeprefix("backup/")
    pbs = _PBS.fullmatch(path)
    if pbs:
        vmid = int(pbs.group(2)) if pbs.group(2).isdigit() else None
        return BackupId(volid, storage, KINDS.get(pbs.group(1)), vmid, pbs.group(3), True)
    base = path.rsplit("/", 1)[-1]
    found = _FILE.fullmatch(base)
    if found is None:
        raise VolidError(f"'{volid}' is not a backup archive (vzdump-qemu-VMID-DATE.vma… or vm/VMID/TIME on PBS)")
    std = _STD.fullmatch(found.group(2))
    if std is None:
        return BackupId(volid, storage, KINDS[found.group(1)], None, None, False)
    stamp = "{}-{}-{} {}:{}:{}".format(*std.groups()[1:])
    return BackupId(volid, storage, KINDS[found.group(1)], int(std.group(1)), stamp, False)
