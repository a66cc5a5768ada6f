"""The documented SDK usage, as user code would write it; `mypy --strict` checks this file in CI."""

from __future__ import annotations

import httpx

from pvectl.sdk import ProxmoxClient, Task
from pvectl.sdk.models.formats import QemuNetFormat
from pvectl.sdk.models.nodes_qemu import NodesQemuListItem

UPID = "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmcreate:101:root@pam:"


def handler(request: httpx.Request) -> httpx.Response:
    if request.method == "GET":
        return httpx.Response(200, json={"data": [{"vmid": 100, "name": "web1", "status": "running"}]})
    return httpx.Response(200, json={"data": UPID})


def running_names(client: ProxmoxClient, node: str) -> list[str]:
    vms: list[NodesQemuListItem] = client.nodes(node).qemu.list()
    return [vm.name or "" for vm in vms if vm.status == "running"]


def create_vm(client: ProxmoxClient) -> Task:
    return client.nodes("pve1").qemu.create(
        vmid=101,
        name="web2",
        cores=2,
        memory="2048",
        net={0: QemuNetFormat(model="virtio", bridge="vmbr9", firewall=True)},
        scsi0="ceph-pool:32,iothread=1",
    )


def test_documented_usage_runs() -> None:
    with ProxmoxClient(
        "pve1", token="root@pam!ci=SECRET", server_version="9.1.3", transport=httpx.MockTransport(handler)
    ) as c:
        assert running_names(c, "pve1") == ["web1"]
        assert create_vm(c).upid.id == "101"
