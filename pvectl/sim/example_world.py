"""The world the examples of `--help` and the README name, and where `--sim` starts: the default world
(pvectl.sim.world.DEFAULT_SEED) plus a third node, two VM templates, a VM with a virtio disk and a second NIC,
guest agents in the running VMs, CT 200 web1 with a mount point, the container template 9100 tmpl, and nfs/pbs
backup storages with backups.

A new simulator state without a seed, ``pvectl sim reset`` and ``sim reset --seed examples`` start here, so every
example runs as written on a fresh `--sim` (tests/cli/test_examples_run.py runs each on a fresh copy of it).
"""

from __future__ import annotations

from typing import Any

from pvectl.sim.world import DEFAULT_SEED

AGENT = {"agent": "1"}
EXAMPLES_SEED: dict[str, Any] = {
    "nodes": [{"name": "pve1"}, {"name": "pve2"}, {"name": "pve3"}],
    "vms": [
        {
            "vmid": 100,
            "node": "pve1",
            "name": "dns1",
            "status": "running",
            "tags": "infra;prod",
            "pool": "prod",
            "ha": "started",
            "config": {
                **AGENT,
                "memory": "2048",
                "cores": "2",
                "scsi0": "ceph-pool:16",
                "virtio1": "ceph-pool:32",
                "net0": "virtio,bridge=vmbr0",
                "net1": "virtio,bridge=vmbr9",
            },
        },
        {
            "vmid": 101,
            "node": "pve2",
            "name": "web1",
            "status": "running",
            "tags": "prod;web",
            "pool": "prod",
            "config": {**AGENT, "memory": "4096", "cores": "4", "scsi0": "ceph-pool:32", "net0": "virtio,bridge=vmbr9"},
        },
        {
            "vmid": 102,
            "node": "pve2",
            "name": "scratch",
            "status": "stopped",
            "tags": "lab",
            "pool": "lab",
            "config": {"memory": "1024", "scsi0": "local-lvm:8", "net0": "e1000,bridge=vmbr9"},
        },
        {
            "vmid": 9000,
            "node": "pve1",
            "name": "debian-12-cloud",
            "status": "stopped",
            "config": {**AGENT, "scsi0": "ceph-pool:8", "net0": "virtio,bridge=vmbr0"},
        },
        {
            "vmid": 9001,
            "node": "pve1",
            "name": "golden",
            "status": "stopped",
            "config": {"scsi0": "ceph-pool:8", "net0": "virtio,bridge=vmbr0"},
        },
    ],
}

# Containers, backup storages and backups the ct and backup examples name (issues 30, 31): CT 200 web1 running
# with a mount point, a container template 9100 tmpl, nfs and pbs storages with backups of VM 100.
CT_TEMPLATE = "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"
EXAMPLES_SEED["storages"] = [
    *DEFAULT_SEED["storages"],
    {
        "id": "nfs",
        "type": "nfs",
        "content": ["backup", "iso", "vztmpl"],
        "shared": True,
        "prune-backups": "keep-last=3",
    },
    {"id": "pbs", "type": "pbs", "content": ["backup"], "shared": True},
]
EXAMPLES_SEED["volumes"] = [
    *DEFAULT_SEED["volumes"],
    {
        "storage": "nfs",
        "name": "vzdump-qemu-100-2025_01_31-02_00_00.vma.zst",
        "content": "backup",
        "size": 1_342_177_280,
    },
    {
        "storage": "nfs",
        "name": "vzdump-qemu-101-2025_01_31-02_00_00.vma.zst",
        "content": "backup",
        "size": 2_952_790_016,
    },
    {"storage": "pbs", "name": "vm/100/2025-01-31T02:00:00Z", "content": "backup", "size": 1_288_490_189},
]
EXAMPLES_SEED["containers"] = [
    *DEFAULT_SEED["containers"],
    {
        "vmid": 200,
        "node": "pve1",
        "hostname": "web1",
        "status": "running",
        "tags": "db",
        "template": CT_TEMPLATE,
        "config": {"rootfs": "ceph-pool:8", "mp0": "ceph-pool:8,mp=/srv", "net0": "name=eth0,bridge=vmbr0,ip=dhcp"},
    },
    {"vmid": 9100, "node": "pve1", "hostname": "tmpl", "template": CT_TEMPLATE, "config": {"rootfs": "ceph-pool:4"}},
]
