"""node list|show|drain against the simulator: figures from the VMs placed, the plan, local disks, HA, dry-run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvectl.vm.outcome import SOME_FAILED
from tests.fleet.conftest import Fleet, make_fleet

GiB = 1024**3


def world() -> dict[str, Any]:
    def vm(vmid: int, name: str, mib: int, disk: str = "ceph-pool:8", **extra: Any) -> dict[str, Any]:
        config = {"memory": str(mib), "cores": "2", "scsi0": disk, **extra.pop("config", {})}
        return {"vmid": vmid, "node": "pve1", "name": name, "status": "running", "config": config, **extra}

    return {
        "task_seconds": 0,
        "nodes": [
            {"name": "pve1", "memory": 64 * GiB},
            {"name": "pve2", "memory": 64 * GiB},
            {"name": "pve3", "memory": 12 * GiB},  # 2 GiB for the host: 10 GiB free
        ],
        "vms": [
            vm(400, "big", 16384),
            vm(401, "medium", 8192),
            vm(402, "small", 2048),
            vm(403, "localdisk", 4096, disk="local-lvm:4"),
            vm(404, "gpu", 1024, config={"hostpci0": "0000:01:00.0"}),
            vm(405, "havm", 1024, ha="started"),
            vm(406, "off", 4096, status="stopped"),
            {"vmid": 410, "node": "pve2", "name": "resident", "status": "running", "config": {"memory": "40960"}},
        ],
    }


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    yield from make_fleet(tmp_path, monkeypatch, world())


def nodes_of(fleet: Fleet) -> dict[int, str]:
    return {int(k): v["node"] for k, v in fleet.sim.store.snapshot()["vms"].items()}


def test_node_list_figures_follow_the_vms_placed(fleet: Fleet) -> None:
    run = fleet("node", "list", "-o", "json")
    assert run.code == 0, run.stderr
    rows = {r["node"]: r for r in run.json()}
    # host 2 GiB + running VMs' memory: 16+8+2+4+1+1 GiB on pve1, 40 GiB on pve2
    assert rows["pve1"]["mem"] == (2 + 32) * GiB and rows["pve2"]["mem"] == 42 * GiB
    assert rows["pve3"]["mem"] == 2 * GiB and rows["pve3"]["maxmem"] == 12 * GiB
    assert (rows["pve1"]["vms_running"], rows["pve1"]["vms_total"]) == (6, 7) and rows["pve1"]["vms"] == "6/7"
    assert rows["pve1"]["version"] == "9.1.3" and rows["pve1"]["cpu"] > rows["pve3"]["cpu"]
    table = fleet("node", "list", "-o", "table")
    assert "pve1" in table.stdout and "34.0 GiB" in table.stdout and "6/7" in table.stdout


def test_node_show(fleet: Fleet) -> None:
    run = fleet("node", "show", "pve2", "-o", "json")
    assert run.code == 0, run.stderr
    data = run.json()
    assert data["pveversion"].startswith("pve-manager/9.1.3") and data["vm_list"][0]["vmid"] == 410
    assert fleet("node", "show", "pve9").code == 4


def test_drain_plan_is_largest_first_fits_memory_and_names_what_stays(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    rows = run.json()
    assert [r["vmid"] for r in rows] == [400, 401, 403, 402, 404, 405]  # running VMs only, largest first
    plan = {r["vmid"]: r for r in rows}
    # pve2 has 22 GiB free, pve3 10 GiB: big (16) -> pve2; medium (8) -> pve3 (10 > 6 left on pve2)
    assert plan[400]["target"] == "pve2" and plan[401]["target"] == "pve3"
    assert plan[402]["target"] == "pve2"
    assert plan[403]["target"] is None and "--with-local-disks" in plan[403]["reason"]
    assert plan[404]["target"] is None and "hostpci0" in plan[404]["reason"]
    assert plan[405]["mode"] == "ha-migrate"
    assert fleet.writes() == [] and all(r.method == "GET" for r in fleet.requests)


def test_drain_moves_and_reports_the_vms_that_stay(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1", "--yes", "--parallel", "2", "-o", "json")
    assert run.code == SOME_FAILED
    outcomes = {o["vmid"]: o for o in run.json()}
    assert {v for v, o in outcomes.items() if o["outcome"] == "done"} == {400, 401, 402, 405}
    assert outcomes[403]["outcome"] == "failed" and outcomes[404]["outcome"] == "failed"
    where = nodes_of(fleet)
    assert where[400] == "pve2" and where[401] == "pve3" and where[405] != "pve1"
    assert where[403] == "pve1" and where[404] == "pve1" and where[406] == "pve1"  # stopped VMs stay
    assert "POST /cluster/ha/resources/vm:405/migrate" in fleet.writes()
    assert "403 (localdisk)" in run.stderr and "404 (gpu)" in run.stderr


def test_drain_with_local_disks_and_chosen_targets(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1", "--to", "pve2", "--with-local-disks", "--dry-run", "-o", "json")
    plan = {r["vmid"]: r for r in run.json()}
    assert plan[403]["target"] == "pve2"
    assert {r["target"] for r in plan.values() if r["target"]} == {"pve2"}
    assert plan[401]["target"] is None and "free" in plan[401]["reason"]  # 22 GiB on pve2: big fits, medium not


def test_drain_refuses_without_terminal_and_bad_targets(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1")
    assert run.code == 2 and "refusing to drain pve1" in run.stderr
    assert fleet("node", "drain", "pve1", "--to", "pve1").code == 2
    assert fleet("node", "drain", "pve1", "--to", "nope").code == 2
    assert fleet.writes() == []


def test_drain_asks_with_the_count(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.cli import writes

    monkeypatch.setattr(writes, "terminal", lambda: True)
    run = fleet("node", "drain", "pve1", stdin="n\n")
    assert "Migrate 4 VMs off pve1? [y/N]" in run.stderr and run.code == 2 and fleet.writes() == []


def test_drain_names_a_locked_vm_and_moves_the_others(fleet: Fleet) -> None:
    fleet.sim.inject("lock-vm:vmid=402,lock=backup")
    run = fleet("node", "drain", "pve1", "--dry-run", "-o", "json")
    plan = {r["vmid"]: r for r in run.json()}
    assert plan[402]["target"] is None and "VM is locked (backup)" in plan[402]["reason"]
    assert plan[400]["target"] == "pve2" and fleet.writes() == []
