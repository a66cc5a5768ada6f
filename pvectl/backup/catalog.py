"""The cluster's backups: every storage with ``backup`` content, read through the typed SDK.

A shared storage (NFS, CephFS, PBS) shows the same backups from every node, so it is read once, from the first
online node that has it; a node-local one (``local``) is read on each node that has it. The listing's fields
are pve-storage's (``src/PVE/Storage/Plugin.pm get_subdir_files``; PBS: ``src/PVE/Storage/PBSPlugin.pm
list_volumes``): ``volid``, ``ctime``, ``size``, ``subtype`` (qemu/lxc), ``vmid``, ``notes`` (first line),
``protected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pvectl.backup.volid import VolidError, parse

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient


@dataclass(frozen=True)
class Backup:
    volid: str
    storage: str
    node: str  # the node it was read from (any node that has the storage, for a shared one)
    shared: bool
    vmid: int | None
    kind: str | None
    ctime: int
    size: int
    notes: str
    protected: bool
    format: str


@dataclass(frozen=True)
class BackupStorage:
    storage: str
    node: str
    shared: bool
    type: str


class BackupNotFound(LookupError):
    """No such backup on the storages the cluster has; the message names it."""


def online_nodes(client: ProxmoxClient) -> list[str]:
    return sorted(str(n.node) for n in client.nodes.list() if n.status == "online")


def offline_nodes(client: ProxmoxClient) -> list[str]:
    """Nodes the cluster lists but cannot reach (their local storages cannot be read; shared ones are read on the
    others)."""
    return sorted(str(n.node) for n in client.nodes.list() if n.status != "online")


def backup_storages(
    client: ProxmoxClient,
    *,
    node: str | None = None,
    storage: str | None = None,
    inactive: list[BackupStorage] | None = None,
) -> list[BackupStorage]:
    """The (storage, node) pairs to read: shared storages once, local ones per node; ``inactive`` collects the
    enabled ones the node reports not active (an NFS server down, a PBS unreachable: pve-storage
    ``src/PVE/API2/Storage/Status.pm index`` reports them with ``active`` 0), whose backups cannot be read."""
    out: list[BackupStorage] = []
    seen_shared: set[str] = set()
    for name in [node] if node else online_nodes(client):
        for st in client.nodes(name).storage.list(content="backup"):
            sid = str(st.storage)
            if storage not in (None, sid) or st.enabled is False:
                continue
            if st.active is False:
                if inactive is not None:
                    inactive.append(BackupStorage(sid, name, bool(st.shared), str(st.type_ or "")))
                continue
            shared = bool(st.shared)
            if shared:
                if sid in seen_shared:
                    continue
                seen_shared.add(sid)
            out.append(BackupStorage(sid, name, shared, str(st.type_ or "")))
    if inactive is not None:  # a shared storage down on one node is read on another that has it active
        inactive[:] = [st for st in inactive if not (st.shared and st.storage in seen_shared)]
    return out


def list_backups(
    client: ProxmoxClient,
    *,
    node: str | None = None,
    storage: str | None = None,
    vmid: int | None = None,
    unread: dict[str, str] | None = None,
) -> list[Backup]:
    """Every backup, newest first. With ``unread``, a storage whose content cannot be read (PVE answers 500 for
    an unreachable PBS or NFS server) is recorded there (``storage on node``: why) and the others are still read."""
    from pvectl.sdk._core.errors import ApiError

    found: list[Backup] = []
    for where in backup_storages(client, node=node, storage=storage):
        content = client.nodes(where.node).storage(where.storage).content
        try:
            entries = content.list(content="backup", vmid=vmid) if vmid is not None else content.list(content="backup")
        except ApiError as exc:
            if unread is None:
                raise
            unread[f"{where.storage} on {where.node}"] = exc.message
            continue
        found.extend(_backup(e, where) for e in entries)
    return sorted(found, key=lambda b: (-b.ctime, b.volid))


def _backup(entry: Any, where: BackupStorage) -> Backup:
    volid = str(entry.volid)
    try:
        parsed = parse(volid)
        kind, vmid = parsed.kind, parsed.vmid
    except VolidError:
        kind, vmid = None, None
    subtype = getattr(entry, "subtype", None)
    return Backup(
        volid=volid,
        storage=where.storage,
        node=where.node,
        shared=where.shared,
        vmid=int(entry.vmid) if entry.vmid is not None else vmid,
        kind=str(subtype) if subtype in ("qemu", "lxc") else kind,
        ctime=int(entry.ctime or 0),
        size=int(entry.size or 0),
        notes=str(entry.notes or ""),
        protected=bool(entry.protected),
        format=str(entry.format_ or ""),
    )


def locate(client: ProxmoxClient, volid: str, *, node: str | None = None) -> Backup:
    """The backup ``volid`` and a node that sees it (raises BackupNotFound)."""
    parsed = parse(volid)
    places = backup_storages(client, node=node, storage=parsed.storage)
    if not places:
        raise BackupNotFound(f"no storage '{parsed.storage}' with backups on {f'node {node}' if node else 'any node'}")
    for where in places:
        content = client.nodes(where.node).storage(where.storage).content
        kwargs: dict[str, Any] = {"vmid": parsed.vmid} if parsed.vmid is not None else {}
        for entry in content.list(content="backup", **kwargs):
            if entry.volid == volid:
                return _backup(entry, where)
    raise BackupNotFound(f"no backup {volid} (pvectl backup list --storage {parsed.storage})")


def archive_config(text: str) -> dict[str, str]:
    """The archive's config file as keys (``#`` lines are the description; sections after ``[`` are left out)."""
    out: dict[str, str] = {}
    description = []
    for line in text.splitlines():
        if line.startswith("["):
            break  # a snapshot or pending section follows the current config
        if line.startswith("#"):
            description.append(line[1:])
            continue
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    if description:
        out["description"] = "\n".join(description)
    return out


def archived_name(client: ProxmoxClient, node: str, volid: str) -> str:
    """The guest's name in the archive (``name`` of a VM, ``hostname`` of a container), "" when it cannot be read.

    A restore gives the guest the name its backup holds, also over an existing guest of another name
    (qemu-server ``src/PVE/QemuServer.pm restore_update_config_line`` and pve-container ``src/PVE/LXC/Create.pm
    restore_configuration`` copy the archived config), so the outcome names it before the restore has run.
    """
    from pvectl.sdk._core.errors import PveError

    try:
        # pve-manager PVE/API2/VZDump.pm extractconfig: the config file inside the archive, as text
        text = client.nodes(node).vzdump.extractconfig(volume=volid)
    except PveError:
        return ""
    config = archive_config(str(text or ""))
    return config.get("name") or config.get("hostname") or ""
