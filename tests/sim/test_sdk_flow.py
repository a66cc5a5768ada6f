"""The simulator through the SDK over real HTTPS on 127.0.0.1: the vm-create request sequence end to end."""

from __future__ import annotations

import asyncio

import pytest

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient
from pvectl.sdk._core.errors import ApiError, TaskFailed
from pvectl.sdk._core.upid import parse_upid
from pvectl.sim.server import RunningServer
from pvectl.sim.tls import CertFiles
from pvectl.sim.world import NIXOS

LATEST_NIXOS = f"cephfs:iso/{NIXOS[-1][0]}"


def create_kwargs(vmid: int) -> dict[str, object]:
    # Exactly what vm-create.md §3 sends for the defaults.
    return {
        "vmid": vmid,
        "name": "nixos1",
        "pool": "lab",
        "tags": "nixos;test",
        "ostype": "l26",
        "machine": "q35",
        "bios": "ovmf",
        "efidisk0": "ceph-pool:1,efitype=4m",
        "scsihw": "virtio-scsi-single",
        "agent": "1",
        "ide2": f"{LATEST_NIXOS},media=cdrom",
        "scsi": {0: "ceph-pool:32,format=raw,iothread=1,ssd=1,aio=io_uring"},
        "cores": 2,
        "sockets": 1,
        "cpu": "host",
        "memory": "2048",
        "net": {0: "virtio,bridge=vmbr9,firewall=1"},
        "ha_managed": True,
    }


def test_reference_data_of_the_create_wizard(client: ProxmoxClient) -> None:
    assert client.version().version == "9.1.9"
    realms = client.request("GET", "/access/domains")
    assert [r["realm"] for r in realms] == ["pam", "pve"] and realms[0]["default"] == 1
    assert [n["node"] for n in client.request("GET", "/nodes")] == ["pve1", "pve2"]
    assert client.cluster.nextid() == 103
    assert {p["poolid"] for p in client.request("GET", "/pools")} == {"prod", "lab"}
    iso_stores = client.request("GET", "/nodes/pve1/storage", {"content": "iso"})
    assert {s["storage"] for s in iso_stores} == {"cephfs", "local"}
    isos = client.request("GET", "/nodes/pve1/storage/cephfs/content", {"content": "iso"})
    names = [i["volid"] for i in isos]
    assert sum("nixos-minimal-" in n for n in names) >= 3 and any("nixos" not in n for n in names)
    assert all(isinstance(i["size"], int) and isinstance(i["ctime"], int) for i in isos)
    image_stores = client.request("GET", "/nodes/pve1/storage", {"content": "images"})
    assert {s["storage"] for s in image_stores} == {"ceph-pool", "local", "local-lvm"}
    bridges = client.request("GET", "/nodes/pve1/network", {"type": "any_bridge"})
    assert [b["iface"] for b in bridges] == ["vmbr0", "vmbr9"]
    options = client.request("GET", "/cluster/options")
    assert {"nixos", "prod"} <= set(options["allowed-tags"])


def test_full_create_task_config_serial_ha_flow(client: ProxmoxClient) -> None:
    vmid = client.cluster.nextid()
    task = client.nodes("pve1").qemu.create(**create_kwargs(vmid))  # type: ignore[arg-type]
    assert task.upid.type == "qmcreate" and task.upid.id == str(vmid) and task.node == "pve1"
    final = task.wait(timeout=10, poll=0.02)
    assert final["status"] == "stopped" and final["exitstatus"] == "OK"

    config = client.request("GET", f"/nodes/pve1/qemu/{vmid}/config")
    assert config["scsi0"] == f"ceph-pool:vm-{vmid}-disk-0,aio=io_uring,format=raw,iothread=1,size=32G,ssd=1"
    assert config["efidisk0"].startswith(f"ceph-pool:vm-{vmid}-disk-1,efitype=4m,size=")
    assert config["ide2"] == f"{LATEST_NIXOS},media=cdrom"
    assert config["net0"].startswith("virtio=BC:24:11:") and config["net0"].endswith(",bridge=vmbr9,firewall=1")
    assert config["boot"] == "order=scsi0;ide2;net0"
    assert "lock" not in config and len(config["digest"]) == 40

    # Post-create: the serial console, guarded by the digest just read.
    client.nodes("pve1").qemu(vmid).config.set(serial0="socket", vga="serial0", digest=config["digest"])
    after = client.request("GET", f"/nodes/pve1/qemu/{vmid}/config")
    assert after["serial0"] == "socket" and after["vga"] == "serial0" and after["digest"] != config["digest"]

    # ha-managed=1 added the HA resource inside the create task, stopped.
    ha = client.request("GET", "/cluster/ha/resources")
    assert {"sid": f"vm:{vmid}", "state": "stopped"}.items() <= next(r for r in ha if r["sid"] == f"vm:{vmid}").items()
    listed = {vm["vmid"]: vm for vm in client.request("GET", "/nodes/pve1/qemu")}
    assert listed[vmid]["name"] == "nixos1" and listed[vmid]["tags"] == "nixos;test"
    resources = client.request("GET", "/cluster/resources", {"type": "vm"})
    mine = next(r for r in resources if r.get("vmid") == vmid)
    assert mine["pool"] == "lab" and mine["hastate"] == "stopped" and mine["node"] == "pve1"
    disks = client.request("GET", "/nodes/pve1/storage/ceph-pool/content", {"vmid": vmid})
    assert sorted(d["volid"] for d in disks) == [f"ceph-pool:vm-{vmid}-disk-0", f"ceph-pool:vm-{vmid}-disk-1"]


def test_start_stop_and_delete(client: ProxmoxClient) -> None:
    vm = client.nodes("pve2").qemu(102)
    vm.status.start().wait(timeout=10, poll=0.02)
    assert vm.status.current().status == "running"
    with pytest.raises(ApiError) as err:
        vm.delete()
    assert err.value.status == 500 and "is running" in err.value.message
    with pytest.raises(TaskFailed) as failed:
        vm.status.start().wait(timeout=10, poll=0.02)
    assert failed.value.exitstatus == "VM 102 already running"
    vm.status.shutdown().wait(timeout=10, poll=0.02)
    assert vm.status.current().status == "stopped"
    vm.delete().wait(timeout=10, poll=0.02)
    assert 102 not in {v["vmid"] for v in client.request("GET", "/nodes/pve2/qemu")}
    assert client.request("GET", "/nodes/pve2/storage/local-lvm/content") == []


def test_config_stays_locked_until_the_create_task_ends(client: ProxmoxClient, sim: object) -> None:
    from pvectl.sim.core import Simulator
    from pvectl.sim.faults import TaskSlow

    assert isinstance(sim, Simulator)
    sim.inject(TaskSlow(seconds=60, type="qmcreate"))
    task = client.nodes("pve1").qemu.create(vmid=150, scsi={0: "local-lvm:4"})
    assert task.status()["status"] == "running"
    assert client.request("GET", "/nodes/pve1/qemu/150/config")["lock"] == "create"
    with pytest.raises(ApiError) as err:
        client.nodes("pve1").qemu(150).config.set(serial0="socket")
    assert err.value.message == "VM is locked (create)"
    sim.clock.offset += 61  # type: ignore[attr-defined]
    assert task.wait(timeout=5, poll=0.02)["exitstatus"] == "OK"
    assert "lock" not in client.request("GET", "/nodes/pve1/qemu/150/config")


def test_duplicate_vmid_is_refused(client: ProxmoxClient) -> None:
    with pytest.raises(ApiError) as err:
        client.nodes("pve1").qemu.create(vmid=101, name="again")
    assert err.value.status == 500
    assert err.value.message == "VM 101 already exists on node 'pve2'"
    with pytest.raises(ApiError) as nextid:
        client.cluster.nextid(vmid=101)
    assert nextid.value.status == 400 and nextid.value.errors == {"vmid": "VM 101 already exists"}


def test_digest_mismatch_is_refused(client: ProxmoxClient) -> None:
    with pytest.raises(ApiError) as err:
        client.nodes("pve1").qemu(100).config.set(description="x", digest="0" * 40)
    assert err.value.message == "checksum mismatch (file change by other user?)"  # qemu-server update_vm_api


def test_missing_storage_and_iso_are_refused(client: ProxmoxClient) -> None:
    with pytest.raises(ApiError) as err:
        client.nodes("pve1").qemu.create(vmid=160, scsi={0: "nope:8"})
    assert err.value.message == "storage 'nope' does not exist"
    with pytest.raises(ApiError) as iso:
        client.nodes("pve1").qemu.create(vmid=160, ide2="cephfs:iso/missing.iso,media=cdrom")
    assert iso.value.message == "volume 'cephfs:iso/missing.iso' does not exist"
    with pytest.raises(ApiError) as content:
        client.nodes("pve1").qemu.create(vmid=160, scsi={0: "cephfs:8"})
    assert content.value.errors == {"scsi0": "storage 'cephfs' does not support vm images"}
    # nothing was left behind by the failed calls
    assert client.request("GET", "/nodes/pve1/storage/local-lvm/content", {"vmid": 160}) == []
    assert 160 not in {v["vmid"] for v in client.request("GET", "/nodes/pve1/qemu")}


def test_task_list_and_log(client: ProxmoxClient) -> None:
    task = client.nodes("pve1").qemu.create(vmid=170, scsi={0: "local-lvm:4"})
    task.wait(timeout=5, poll=0.02)
    listed = client.request("GET", "/nodes/pve1/tasks", {"vmid": 170})
    assert [t["upid"] for t in listed] == [str(task)] and listed[0]["status"] == "OK"
    log = client.request("GET", f"/nodes/pve1/tasks/{task}/log")
    assert log[-1] == {"n": len(log), "t": "TASK OK"}
    assert "successfully created disk 'local-lvm:vm-170-disk-0,size=4G'" in log[0]["t"]
    parsed = parse_upid(str(task))
    assert parsed.user == "root@pam!sim" and parsed.type == "qmcreate"  # token requests run as the token
    assert client.request("GET", "/nodes/pve1/tasks", {"limit": 1, "start": 0})[0]["upid"] == str(task)


async def test_fifty_parallel_async_requests(server: RunningServer, cert: CertFiles, token: str) -> None:
    async with AsyncProxmoxClient(base_url=f"{server.base_url}/api2/json", token=token, verify=str(cert.cert)) as c:
        paths = ["/nodes", "/cluster/resources", "/nodes/pve1/qemu", "/nodes/pve2/qemu", "/pools"] * 10
        results = await asyncio.gather(*(c.request("GET", p) for p in paths))
        creates = await asyncio.gather(*(c.nodes("pve1").qemu.create(vmid=300 + i) for i in range(10)))
    assert len(results) == 50 and all(isinstance(r, list) for r in results)
    assert [len(r) for r in results[:2]] == [2, len(results[1])]
    assert sorted(t.upid.id for t in creates) == [str(300 + i) for i in range(10)]


def test_sdk_password_login_csrf_and_expiry_recovery(
    server: RunningServer, cert: CertFiles, password: str, sim: object
) -> None:
    from pvectl.sdk import TicketAuth
    from pvectl.sim.core import Simulator
    from pvectl.sim.faults import ExpireTickets

    assert isinstance(sim, Simulator)
    auth = TicketAuth("root@pam", password)
    with ProxmoxClient(base_url=f"{server.base_url}/api2/json", auth=auth, verify=str(cert.cert)) as client:
        assert [r["realm"] for r in client.realms()] == ["pam", "pve"]
        client.request("POST", "/pools", {"poolid": "byticket"})  # a write: needs the CSRF token
        first = auth.ticket
        sim.inject(ExpireTickets())
        pools = client.request("GET", "/pools")  # 401, fresh login, the GET is sent again
        assert "byticket" in {p["poolid"] for p in pools} and auth.ticket != first
