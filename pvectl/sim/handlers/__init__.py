"""Stateful handlers, one module per API area; importing this package registers them."""

from pvectl.sim.handlers import access, cluster, ha, nodes, pause, pools, qemu, resize, snapshots, storage

__all__ = ["access", "cluster", "ha", "nodes", "pause", "pools", "qemu", "resize", "snapshots", "storage"]
