"""Read a state of format 1 (one JSON document, pvectl <= 0.x's ``state.json``) into today's layout.

Format 1 kept volumes and tasks as lists and pool membership only in the pools; today volumes are keyed by
``volumes.key``, tasks by UPID, and each VM names its pool.
"""

from __future__ import annotations

from typing import Any

from pvectl.sim import volumes

State = dict[str, Any]


def from_v1(data: dict[str, Any]) -> State:
    state: State = {k: v for k, v in data.items() if k != "format"}
    state["format"] = 2
    vols: dict[str, Any] = {}
    for vol in data.get("volumes", []):
        vols[volumes.key(vol["volid"], vol["node"])] = vol
    state["volumes"] = vols
    state["tasks"] = {task["upid"]: task for task in data.get("tasks", [])}
    for poolid, pool in data.get("pools", {}).items():
        for vmid in pool.get("vms", []):
            vm = state["vms"].get(str(vmid))
            if vm is not None:
                vm["pool"] = poolid
    return state
