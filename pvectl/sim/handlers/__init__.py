"""Stateful handlers, one module per API area; importing this package registers them."""

from pvectl.sim.handlers import (
    access,
    agent,
    capabilities,
    clone,
    cloudinit,
    cluster,
    ha,
    migrate,
    nodes,
    pause,
    pools,
    qemu,
    resize,
    snapshots,
    storage,
    termproxy,
)

__all__ = [
    "access",
    "agent",
    "capabilities",
    "clone",
    "cloudinit",
    "cluster",
    "ha",
    "migrate",
    "nodes",
    "pause",
    "pools",
    "qemu",
    "resize",
    "snapshots",
    "storage",
    "termproxy",
]
