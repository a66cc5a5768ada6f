"""What ``ct clone`` checks before it sends anything, as ``vm clone`` does (pvectl.vm.clone): PVE refuses these
too, but in its own words; here each refusal names the flag and the remedy. Pure: the caller reads the source's
config, its snapshots, the storage config and the cluster's ids.

The rules are pve-container's ``src/PVE/API2/LXC.pm`` clone_vm, all checked before it forks its ``vzclone``
worker:
- ``storage`` with a ``target`` node must be shared ("can't clone to non-shared storage");
- ``snapname`` must be one of the source's snapshots ("snapshot 'X' does not exist");
- only volume mount points can be cloned: a bind or device mount point (a host path) is refused ("unable to
  clone mountpoint 'mpN' (type bind)");
- a clone to another node needs every volume on shared storage, the ``storage`` given counting instead of each
  volume's own ("can't clone CT to node 'N' (CT uses local storage)");
- the new id must be free (``create_and_lock_config`` of ``newid``: VMs and containers share ids).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pvectl.ct.drain import _volume


def problems(
    vmid: int,
    node: str,
    config: Mapping[str, Any],
    *,
    snapshots: Collection[str],
    shared: Mapping[str, bool],
    taken: Collection[int],
    newid: int | None,
    target: str | None,
    storage: str | None,
    snapshot: str | None,
) -> list[str]:
    """Why this clone would be refused (empty: it would not be, as far as config and storage tell)."""
    out: list[str] = []
    if newid is not None and newid in taken:
        out.append(f"--newid: {newid} is taken (VMs and containers share ids)")
    if snapshot is not None and snapshot not in snapshots:
        have = ", ".join(sorted(snapshots)) or "none"
        out.append(f"--snapshot: CT {vmid} has no snapshot '{snapshot}' (it has: {have})")
    volumes: list[str] = []
    for key in sorted(config):
        if key != "rootfs" and not (key.startswith("mp") and key[2:].isdigit()):
            continue
        volume, _ = _volume(config[key])
        if volume.startswith("/"):
            kind = "device" if volume.startswith("/dev/") else "bind"
            out.append(f"CT {vmid} has a {kind} mount point ({key}: {volume}); PVE clones only volume mount points")
        elif ":" in volume:
            volumes.append(volume)
    if target is None or target == node:
        return out
    if storage is not None and not shared.get(storage, False):
        out.append(f"--storage: '{storage}' is not shared; PVE clones to another node only onto shared storage")
        return out
    local = [v for v in volumes if not shared.get(storage or v.split(":", 1)[0], False)]
    if local:
        out.append(
            f"--target: CT {vmid} has volumes on local storage ({', '.join(local)}); PVE clones to another node only"
            f" from shared storage: clone on {node} (or --storage SHARED), then pvectl ct migrate"
        )
    return out
