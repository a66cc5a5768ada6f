"""What keeps a container from moving to a node, read before ``node drain`` sends anything (reads only).

PVE has a preflight for containers too, ``GET /nodes/{node}/lxc/{vmid}/migrate`` (pve-container
``src/PVE/API2/LXC.pm`` migrate_vm_precondition): ``running``, ``allowed-nodes`` and ``not-allowed-nodes`` (HA
resources blocking a node); it dies on a locked container (check_lock). It says nothing about volumes, which
``src/PVE/LXC/Migrate.pm`` prepare checks inside the task, so they are read here from the config:

- volumes on local storage are copied along, in restart mode and offline alike (prepare refuses local volumes
  only for a running container without restart), so they do not keep a container in place;
- a bind or device mount point (a host path, ``classify_mountpoint``) without ``shared=1`` does: "cannot migrate
  local bind mount point";
- every volume's storage must be enabled on the target node (``storage_check_enabled`` with the target), which
  the storage config's ``nodes`` list tells (``GET /storage``).

The answer is put in the shape of a VM's preflight (pvectl.vm.migrate.Preflight), so one placement
(pvectl.vm.drain.plan) serves both kinds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.migrate import Preflight

_VOLUME_KEY = re.compile(r"rootfs|mp\d+|unused\d+")


def volume_keys(config: Mapping[str, Any]) -> list[str]:
    """rootfs, mpN and unusedN: the keys Migrate.pm prepare walks (foreach_volume_full, include_unused)."""
    return [k for k in config if _VOLUME_KEY.fullmatch(k)]


def _volume(value: Any) -> tuple[str, dict[str, str]]:
    head, _, rest = str(value).partition(",")
    pairs = dict(p.partition("=")[::2] for p in rest.split(",") if p)
    if "=" in head:  # 'volume=...' spelled out
        pairs = {**dict([head.partition("=")[::2]]), **pairs}
        head = pairs.get("volume", "")
    return head, pairs


def pinned(config: Mapping[str, Any]) -> list[str]:
    """Bind and device mount points not marked shared: Migrate.pm prepare refuses to move them."""
    out = []
    for key in volume_keys(config):
        volume, pairs = _volume(config[key])
        if volume.startswith("/") and pairs.get("shared", "0") not in ("1", "yes", "on", "true"):
            kind = "device" if volume.startswith("/dev/") else "bind"
            out.append(f"{key} ({kind} mount {volume})")
    return out


def storages(config: Mapping[str, Any]) -> list[str]:
    """The storages of the container's volumes."""
    out = []
    for key in volume_keys(config):
        volume, _ = _volume(config[key])
        if ":" in volume and not volume.startswith("/"):
            sid = volume.split(":", 1)[0]
            if sid not in out:
                out.append(sid)
    return out


def storage_nodes(client: ProxmoxClient) -> dict[str, set[str] | None]:
    """Each storage's ``nodes`` restriction (None: every node), from the cluster's storage config."""
    from pvectl.sdk._core.answers import plain

    rows = plain(client.storage.list()) or []
    out: dict[str, set[str] | None] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and row.get("storage"):
            nodes = str(row.get("nodes") or "")
            out[str(row["storage"])] = {n for n in nodes.replace(";", ",").split(",") if n} or None
    return out


def preflight(
    client: ProxmoxClient, ref: VmRef, targets: list[str], where: Mapping[str, set[str] | None]
) -> Preflight | str:
    """The container's preflight in a VM preflight's shape, or why PVE refused to answer it (one line)."""
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import ApiError
    from pvectl.vm.migrate import PREFLIGHT_REFUSED, parse

    guest = client.nodes(ref.node).lxc(ref.vmid)
    try:
        answer = plain(guest.migrate.get())
        config = plain(guest.config.get())
    except ApiError as exc:
        return f"{PREFLIGHT_REFUSED}: {str(exc).strip()}"
    data = answer if isinstance(answer, Mapping) else {}
    config = config if isinstance(config, Mapping) else {}
    missing = {
        node: [s for s in storages(config) if where.get(s) is not None and node not in (where.get(s) or set())]
        for node in targets
    }
    not_allowed = data.get("not-allowed-nodes")
    blocked: dict[str, Any] = dict(not_allowed) if isinstance(not_allowed, Mapping) else {}
    for node, sids in missing.items():
        if sids:
            info = blocked.get(node)
            blocked[node] = {**(info if isinstance(info, Mapping) else {}), "unavailable_storages": sids}
    return parse(
        {
            "running": data.get("running"),
            "allowed_nodes": data.get("allowed-nodes"),
            "not_allowed_nodes": blocked,
            "local_resources": pinned(config),
        },
        ref.vmid,
    )
