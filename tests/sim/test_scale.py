"""A 1,000-VM world: seeded in one pass, pools, names and volume names right, and the state round-trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.sdk._core import propstring
from pvectl.sim import vmconf
from pvectl.sim.core import Simulator
from pvectl.sim.embedded import stop_embedded
from pvectl.sim.store import Store

N = 1000
STORAGES = ["ceph-pool:16", "local-lvm:8", "local:4"]


def seed(n: int = N) -> dict[str, Any]:
    vms = []
    for i in range(n):
        config = {"memory": "1024", "scsi0": STORAGES[i % 3], "net0": "virtio,bridge=vmbr0"}
        if i % 5 == 0:
            config["scsi1"] = "ceph-pool:32"
        vm: dict[str, Any] = {"vmid": 1000 + i, "node": "pve1" if i % 2 == 0 else "pve2", "name": f"big{i:04d}"}
        vm["config"] = config
        if i % 4 != 3:
            vm["pool"] = "prod" if i % 4 < 2 else "lab"
        vms.append(vm)
    return {"vms": vms, "task_seconds": 0}


def expected_pool(i: int) -> str | None:
    return None if i % 4 == 3 else ("prod" if i % 4 < 2 else "lab")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Simulator:
    path = tmp_path_factory.mktemp("big") / "state.db"
    Store(path, seed(), reset=True)
    return Simulator(Store(path))  # a second process's view: everything came back from the database


def auth(sim: Simulator) -> dict[str, str]:
    creds = sim.store.credentials()
    return {"Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}"}


def get(sim: Simulator, path: str, query: str = "") -> Any:
    answer = sim.handle("GET", f"/api2/json{path}", query, auth(sim))
    assert answer.status == 200, answer.reason
    return answer.json()["data"]


def test_pool_membership(big: Simulator) -> None:
    resources = get(big, "/cluster/resources", "type=vm")
    assert len(resources) == N
    for entry in resources:
        assert entry.get("pool") == expected_pool(entry["vmid"] - 1000), entry
    prod = {m["vmid"] for m in get(big, "/pools/prod")["members"]}
    assert prod == {1000 + i for i in range(N) if expected_pool(i) == "prod"}
    lab = get(big, "/pools/lab")["members"]
    assert {m["vmid"] for m in lab} == {1000 + i for i in range(N) if expected_pool(i) == "lab"}
    assert all(m["name"] == f"big{m['vmid'] - 1000:04d}" for m in lab)


def test_names_map_to_their_vms(big: Simulator) -> None:
    by_name = {e["name"]: e["vmid"] for e in get(big, "/cluster/resources", "type=vm")}
    assert len(by_name) == N and by_name["big0777"] == 1777 and by_name["big0000"] == 1000


def test_volume_names(big: Simulator) -> None:
    config = get(big, "/nodes/pve2/qemu/1001/config")  # i=1: local-lvm, pve2
    assert config["scsi0"] == "local-lvm:vm-1001-disk-0,size=8G"
    config = get(big, "/nodes/pve1/qemu/1002/config")  # i=2: dir storage 'local' on pve1
    assert config["scsi0"] == "local:1002/vm-1002-disk-0.raw,size=4G"
    config = get(big, "/nodes/pve1/qemu/1000/config")  # i=0: two disks on ceph
    assert (config["scsi0"], config["scsi1"]) == (
        "ceph-pool:vm-1000-disk-0,size=16G",
        "ceph-pool:vm-1000-disk-1,size=32G",
    )
    ceph = get(big, "/nodes/pve1/storage/ceph-pool/content")
    assert len(ceph) == len({v["volid"] for v in ceph}) == sum(1 for i in range(N) if i % 3 == 0) + N // 5
    lvm_pve2 = get(big, "/nodes/pve2/storage/local-lvm/content")
    assert {v["vmid"] for v in lvm_pve2} == {1000 + i for i in range(N) if i % 3 == 1 and i % 2 == 1}


def test_a_new_disk_takes_the_next_free_name(tmp_path: Path) -> None:
    sim = Simulator(Store(tmp_path / "state.db", seed(30)))
    headers = {**auth(sim), "Content-Type": "application/x-www-form-urlencoded"}
    answer = sim.handle("PUT", "/api2/json/nodes/pve1/qemu/1000/config", body=b"scsi2=ceph-pool:1", headers=headers)
    assert answer.status == 200, answer.reason
    assert get(sim, "/nodes/pve1/qemu/1000/config")["scsi2"] == "ceph-pool:vm-1000-disk-2,size=1G"
    # the same number on another storage is free again
    answer = sim.handle("PUT", "/api2/json/nodes/pve1/qemu/1000/config", body=b"scsi3=local-lvm:1", headers=headers)
    assert get(sim, "/nodes/pve1/qemu/1000/config")["scsi3"] == "local-lvm:vm-1000-disk-0,size=1G"


def test_storage_usage_counts_every_volume(big: Simulator) -> None:
    storages = {(e["node"], e["storage"]): e["disk"] for e in get(big, "/cluster/resources", "type=storage")}
    gib = 1024**3
    ceph = sum(16 for i in range(N) if i % 3 == 0) + sum(32 for i in range(N) if i % 5 == 0)
    assert storages[("pve1", "ceph-pool")] == storages[("pve2", "ceph-pool")] == ceph * gib
    assert storages[("pve2", "local-lvm")] == 8 * gib * sum(1 for i in range(N) if i % 3 == 1 and i % 2 == 1)


def test_fast_render_matches_propstring() -> None:
    for key, text in [
        ("scsi0", "ceph-pool:vm-1-disk-0,size=16G,iothread=1,ssd=1,discard=on"),
        ("ide2", "cephfs:iso/x.iso,media=cdrom"),
        ("efidisk0", "local-lvm:vm-1-disk-1,efitype=4m,pre-enrolled-keys=1,size=528K"),
    ]:
        values = vmconf.parse_drive(key, text)
        assert vmconf.render_drive(key, values) == propstring.render(values, vmconf.drive_format(key))
    net = {"model": "virtio", "macaddr": "BC:24:11:00:00:01", "bridge": "vmbr0", "tag": "20", "firewall": "1"}
    assert vmconf.fast_render(net, "net") == propstring.render(net, vmconf._format("net"))
    assert vmconf.fast_render(net, "net").startswith("virtio=BC:24:11:00:00:01,bridge=vmbr0")


def test_cli_finds_a_vm_by_name_in_a_1k_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "sim"
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed()), encoding="utf-8")
    monkeypatch.setenv("PVECTL_SIM_STATE_DIR", str(state))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PVECTL_SIM_FAULTS", raising=False)
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["sim", "reset", "--seed", str(seed_file)]).exit_code == 0
        result = runner.invoke(app, ["--sim", "-o", "json", "vm", "show", "big0642"])
        assert result.exit_code == 0, result.stderr
        shown = json.loads(result.stdout)
        assert shown["vmid"] == 1642 and shown["node"] == "pve1"
    finally:
        stop_embedded()
