"""The container preflight of node drain, on answers shaped as PVE 9.1 gives them (pve-container
src/PVE/API2/LXC.pm migrate_vm_precondition reports no storages: they come from GET /storage)."""

from __future__ import annotations

from typing import Any

import httpx

from pvectl.ct.drain import pinned, preflight, storage_nodes
from pvectl.sdk import ProxmoxClient
from pvectl.vm.lookup import VmRef
from pvectl.vm.migrate import problems


def answering(answers: dict[str, Any]) -> ProxmoxClient:
    """A typed client on a fake PVE that answers each GET path from ``answers``."""

    def pve(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api2/json")
        if request.method == "GET" and path in answers:
            return httpx.Response(200, json={"data": answers[path]})
        return httpx.Response(404, json={"data": None, "message": "no such path"})

    return ProxmoxClient("pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(pve))


REF = VmRef(300, "pve1", "db", "running", (), {}, "lxc")
PRECONDITION = {
    "running": 1,
    "allowed-nodes": ["pve2"],
    "not-allowed-nodes": {"pve3": {"blocking-ha-resources": [{"sid": "ct:301", "cause": "resource-affinity"}]}},
}
STORAGE = [{"storage": "local-lvm", "nodes": "pve1,pve2"}, {"storage": "ceph"}]


def test_storages_missing_on_a_target_and_ha_blockers_are_read() -> None:
    config = {"rootfs": "local-lvm:vm-300-disk-0,size=8G", "mp0": "ceph:vm-300-disk-1,mp=/data,size=4G"}
    client = answering({"/nodes/pve1/lxc/300/migrate": PRECONDITION, "/nodes/pve1/lxc/300/config": config,
                      "/storage": STORAGE})  # fmt: skip
    pre = preflight(client, REF, ["pve2", "pve3", "pve4"], storage_nodes(client))
    assert not isinstance(pre, str)
    assert pre.allowed == ("pve2",) and pre.running
    assert problems(pre, "pve2", online=True, with_local_disks=False) == []  # local volumes are copied along
    assert problems(pre, "pve4", online=True, with_local_disks=False) == ["pve4: storage local-lvm not available there"]
    assert problems(pre, "pve3", online=True, with_local_disks=False) == [
        "pve3: HA resource ct:301 (resource-affinity)",
        "pve3: storage local-lvm not available there",
    ]


def test_bind_and_device_mounts_pin_unless_shared() -> None:
    config = {
        "rootfs": "local-lvm:vm-300-disk-0,size=8G",
        "mp0": "/srv/data,mp=/data",
        "mp1": "/dev/sdb1,mp=/disk",
        "mp2": "/mnt/nfs,mp=/nfs,shared=1",
        "unused0": "local-lvm:vm-300-disk-9",
    }
    assert pinned(config) == ["mp0 (bind mount /srv/data)", "mp1 (device mount /dev/sdb1)"]
