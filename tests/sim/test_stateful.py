"""The stateful core beyond VM creation: users, nodes, cluster status and options, pools, storage, config edits."""

from __future__ import annotations

import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sdk._core.errors import ApiError


def test_users_basic(mocked: ProxmoxClient) -> None:
    mocked.request("POST", "/access/users", {"userid": "alice@pve", "password": "wonderland", "comment": "ops"})
    users = {u["userid"]: u for u in mocked.request("GET", "/access/users")}
    assert set(users) == {"root@pam", "alice@pve"} and users["alice@pve"]["comment"] == "ops"
    with pytest.raises(ApiError, match="already exists"):
        mocked.request("POST", "/access/users", {"userid": "alice@pve"})
    with pytest.raises(ApiError, match="domain 'ldap' does not exist"):
        mocked.request("POST", "/access/users", {"userid": "bob@ldap"})
    mocked.request("PUT", "/access/users/alice@pve", {"email": "alice@example.com"})
    assert mocked.request("GET", "/access/users/alice@pve")["email"] == "alice@example.com"
    mocked.request("DELETE", "/access/users/alice@pve")
    assert [u["userid"] for u in mocked.request("GET", "/access/users")] == ["root@pam"]
    tokens = mocked.request("GET", "/access/users/root@pam/token")
    assert [t["tokenid"] for t in tokens] == ["sim"]


def test_node_and_cluster_status(mocked: ProxmoxClient) -> None:
    status = mocked.request("GET", "/nodes/pve1/status")
    assert status["pveversion"].startswith("pve-manager/9.1.9/") and status["memory"]["total"] > 0
    cluster = mocked.request("GET", "/cluster/status")
    assert cluster[0]["type"] == "cluster" and cluster[0]["quorate"] == 1 and cluster[0]["nodes"] == 2
    assert [(n["name"], n["online"]) for n in cluster[1:]] == [("pve1", 1), ("pve2", 1)]
    kinds = {r["type"] for r in mocked.request("GET", "/cluster/resources")}
    assert kinds == {"qemu", "lxc", "node", "storage", "pool"}  # the default world has containers too


def test_options_and_nextid_range(mocked: ProxmoxClient) -> None:
    mocked.request("PUT", "/cluster/options", {"next-id": "lower=5000,upper=5002", "registered-tags": "a;b"})
    options = mocked.request("GET", "/cluster/options")
    assert options["next-id"] == {"lower": "5000", "upper": "5002"}
    assert {"a", "b"} <= set(options["allowed-tags"])
    assert mocked.cluster.nextid() == 5000
    for vmid in (5000, 5001):
        mocked.nodes("pve1").qemu.create(vmid=vmid)
    with pytest.raises(ApiError, match=r"unable to get any free VMID in range \[5000, 5002\]"):
        mocked.cluster.nextid()
    mocked.request("PUT", "/cluster/options", {"delete": "next-id"})
    assert mocked.cluster.nextid() == 103


def test_pool_membership(mocked: ProxmoxClient) -> None:
    mocked.request("POST", "/pools", {"poolid": "web"})
    with pytest.raises(ApiError, match="belongs already to pool 'prod'"):
        mocked.request("PUT", "/pools", {"poolid": "web", "vms": "101"})
    mocked.request("PUT", "/pools", {"poolid": "web", "vms": "101", "allow-move": True, "storage": "local"})
    members = mocked.request("GET", "/pools", {"poolid": "web"})[0]["members"]
    assert {m["id"] for m in members} == {"qemu/101", "storage/pve1/local", "storage/pve2/local"}
    with pytest.raises(ApiError, match="is not empty"):
        mocked.request("DELETE", "/pools", {"poolid": "web"})
    mocked.request("PUT", "/pools", {"poolid": "web", "vms": "101", "storage": "local", "delete": True})
    mocked.request("DELETE", "/pools", {"poolid": "web"})
    assert "web" not in {p["poolid"] for p in mocked.request("GET", "/pools")}


def test_storage_views(mocked: ProxmoxClient) -> None:
    config = {s["storage"]: s for s in mocked.request("GET", "/storage")}
    assert config["cephfs"]["shared"] == 1 and config["local"]["content"] == "iso,images,vztmpl,backup"
    status = mocked.request("GET", "/nodes/pve1/storage/ceph-pool/status")
    assert status["used"] > 0 and status["avail"] == status["total"] - status["used"]
    formats = mocked.request("GET", "/nodes/pve1/storage", {"storage": "local", "format": True})[0]["formats"]
    assert formats == {"default": "raw", "supported": ["raw", "qcow2", "vmdk"]}
    with pytest.raises(ApiError, match="storage 'nas' does not exist"):
        mocked.request("GET", "/nodes/pve1/storage/nas/content")


def test_config_delete_keeps_disks_as_unused(mocked: ProxmoxClient) -> None:
    vm = mocked.nodes("pve2").qemu(102)
    vm.config.set(scsi={1: "local:2,format=qcow2"})
    config = mocked.request("GET", "/nodes/pve2/qemu/102/config")
    assert config["scsi1"] == "local:102/vm-102-disk-0.qcow2,format=qcow2,size=2G"
    vm.config.set(delete="scsi1,description")
    config = mocked.request("GET", "/nodes/pve2/qemu/102/config")
    assert "scsi1" not in config and config["unused0"] == "local:102/vm-102-disk-0.qcow2"
    with pytest.raises(ApiError) as err:
        vm.config.set(delete="name", name="both")
    assert err.value.errors == {"name": "you can't use option 'name' in delete and set at the same time"}


def test_destroying_an_ha_guest_needs_purge(mocked: ProxmoxClient) -> None:
    vm = mocked.nodes("pve1").qemu(100)
    vm.status.stop().wait(timeout=5, poll=0.01)
    assert mocked.request("GET", "/cluster/ha/resources/vm:100")["state"] == "stopped"
    with pytest.raises(ApiError, match="purge parameter not set"):
        vm.delete()
    vm.delete(purge=True).wait(timeout=5, poll=0.01)
    assert mocked.request("GET", "/cluster/ha/resources") == []
    tasks = mocked.request("GET", "/nodes/pve1/tasks", {"typefilter": "qmdestroy"})
    assert [t["id"] for t in tasks] == ["100"] and tasks[0]["status"] == "OK"


def test_memory_as_property_string_and_offline_guests(mocked: ProxmoxClient) -> None:
    mocked.nodes("pve1").qemu.create(vmid=180, memory="current=3072")
    vm = next(r for r in mocked.request("GET", "/cluster/resources", {"type": "vm"}) if r["vmid"] == 180)
    assert vm["maxmem"] == 3072 * 1024 * 1024


def test_download_an_iso_then_delete_it(mocked: ProxmoxClient) -> None:
    name = "nixos-minimal-25.11.1.abcdef012345-x86_64-linux.iso"
    task = mocked.request(
        "POST",
        "/nodes/pve1/storage/cephfs/download-url",
        {"url": f"https://example.invalid/{name}", "filename": name, "content": "iso"},
    )
    assert task.startswith("UPID:pve1:") and ":download:cephfs:" in task
    volid = f"cephfs:iso/{name}"
    listed = mocked.request("GET", "/nodes/pve2/storage/cephfs/content", {"content": "iso"})  # shared storage
    assert volid in {v["volid"] for v in listed}
    with pytest.raises(ApiError, match="refusing to override existing file"):
        mocked.request(
            "POST",
            "/nodes/pve1/storage/cephfs/download-url",
            {"url": "https://example.invalid/x", "filename": name, "content": "iso"},
        )
    with pytest.raises(ApiError, match="not configured for content-type 'iso'"):
        mocked.request(
            "POST",
            "/nodes/pve1/storage/ceph-pool/download-url",
            {"url": "https://example.invalid/x", "filename": "x.iso", "content": "iso"},
        )
    mocked.request("DELETE", f"/nodes/pve1/storage/cephfs/content/{volid}")
    assert volid not in {v["volid"] for v in mocked.request("GET", "/nodes/pve1/storage/cephfs/content")}
    with pytest.raises(ApiError, match="still in use by VM 100"):
        mocked.request("DELETE", "/nodes/pve1/storage/ceph-pool/content/ceph-pool:vm-100-disk-0")
