"""vm migrate against the simulator: preflight, live/offline, local disks, local devices, HA, dry-run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvectl.vm.outcome import SOME_FAILED
from tests.fleet.conftest import NODES, Fleet, make_fleet

GiB = 1024**3


def world() -> dict[str, Any]:
    def vm(vmid: int, name: str, disk: str, **extra: Any) -> dict[str, Any]:
        config = {"memory": str(extra.pop("memory", 2048)), "cores": "2", "scsi0": disk, **extra.pop("config", {})}
        return {"vmid": vmid, "node": "pve1", "name": name, "status": "running", "config": config, **extra}

    return {
        "task_seconds": 0,
        "nodes": NODES,
        "vms": [
            vm(300, "shared", "ceph-pool:8", tags="mig"),
            vm(301, "localdisk", "local-lvm:4", tags="mig"),
            vm(302, "havm", "ceph-pool:8", ha="started", tags="mig"),
            vm(303, "gpu", "ceph-pool:8", config={"hostpci0": "0000:01:00.0"}),
            vm(304, "cold", "local-lvm:4", status="stopped"),
        ],
    }


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    yield from make_fleet(tmp_path, monkeypatch, world())


def node_of(fleet: Fleet, vmid: int) -> str:
    return str(fleet.sim.store.snapshot()["vms"][str(vmid)]["node"])


def test_live_migration_of_a_running_vm(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "shared", "--to", "pve2")
    assert run.code == 0, run.stderr
    assert node_of(fleet, 300) == "pve2" and fleet.status(300) == "running"
    assert "shared" in run.stderr and "online" in run.stderr  # the preflight plan is shown first
    assert fleet.writes() == ["POST /nodes/pve1/qemu/300/migrate"]
    sent = [r for r in fleet.requests if r.method == "POST"][0]
    assert b"online=1" in sent.content and b"target=pve2" in sent.content


def test_local_disks_block_a_live_move_until_with_local_disks(fleet: Fleet) -> None:
    refused = fleet("vm", "migrate", "301", "--to", "pve2")
    assert refused.code == 2 and "--with-local-disks" in refused.stderr
    assert "local-lvm:vm-301-disk-0" in refused.stderr
    assert fleet.writes() == [] and node_of(fleet, 301) == "pve1"
    moved = fleet("vm", "migrate", "301", "--to", "pve2", "--with-local-disks")
    assert moved.code == 0, moved.stderr
    state = fleet.sim.store.snapshot()
    assert state["vms"]["301"]["node"] == "pve2"
    assert "local-lvm:vm-301-disk-0@pve2" in state["volumes"]  # the volume moved along
    assert "local-lvm:vm-301-disk-0@pve1" not in state["volumes"]


def test_stopped_vm_moves_offline_with_its_local_disk(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "cold", "--to", "pve3")
    assert run.code == 0, run.stderr
    assert node_of(fleet, 304) == "pve3" and fleet.status(304) == "stopped"
    sent = [r for r in fleet.requests if r.method == "POST"][0]
    assert b"online" not in sent.content


def test_local_devices_are_refused_before_sending(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "gpu", "--to", "pve2")
    assert run.code == 2 and "hostpci0" in run.stderr
    assert fleet.writes() == []


def test_offline_or_unknown_target_is_refused_before_sending(fleet: Fleet) -> None:
    fleet.sim.inject("node-offline:node=pve3")
    offline = fleet("vm", "migrate", "300", "--to", "pve3")
    assert offline.code == 2 and "node 'pve3' is offline" in offline.stderr
    unknown = fleet("vm", "migrate", "300", "--to", "pve9")
    assert unknown.code == 2 and "--to: no node 'pve9'" in unknown.stderr
    assert fleet.writes() == []


def test_ha_managed_vm_moves_through_the_ha_stack(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "havm", "--to", "pve3", "-o", "json")
    assert run.code == 0, run.stderr
    assert fleet.writes() == ["POST /cluster/ha/resources/vm:302/migrate"]
    assert node_of(fleet, 302) == "pve3" and fleet.status(302) == "running"
    assert run.json()["outcome"] == "done"


def test_ha_offline_means_relocate(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "302", "--to", "pve2", "--offline")
    assert run.code == 0, run.stderr
    assert fleet.writes() == ["POST /cluster/ha/resources/vm:302/relocate"]
    assert node_of(fleet, 302) == "pve2"


def test_ha_refuses_options_the_ha_stack_does_not_take(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "302", "--to", "pve2", "--with-local-disks")
    assert run.code == 2 and "HA-managed" in run.stderr and fleet.writes() == []


def test_offline_for_a_running_plain_vm_is_refused(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "300", "--to", "pve2", "--offline")
    assert run.code == 2 and "--offline" in run.stderr and fleet.writes() == []


def test_selector_dry_run_sends_no_write(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "-l", "tag=mig", "--to", "pve2", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    rows = {r["vmid"]: r for r in run.json()}
    assert set(rows) == {300, 301, 302}
    assert rows[301]["blocked"] != "-" and rows[302]["mode"] == "ha-migrate"
    assert rows[300]["request"].startswith("POST /nodes/pve1/qemu/300/migrate")
    assert fleet.writes() == []
    assert all(r.method == "GET" for r in fleet.requests)


def test_selector_bulk_reports_per_vm_and_some_failed(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "-l", "tag=mig", "--to", "pve2", "--yes", "--parallel", "2", "-o", "json")
    assert run.code == SOME_FAILED
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[300]["outcome"] == "done" and by_id[302]["outcome"] == "done"
    assert by_id[301]["outcome"] == "failed" and "with-local-disks" in by_id[301]["message"]
    assert node_of(fleet, 301) == "pve1" and node_of(fleet, 300) == "pve2"
    assert "POST /nodes/pve1/qemu/301/migrate" not in fleet.writes()


def test_selector_migrate_asks_and_refuses_without_terminal(fleet: Fleet) -> None:
    run = fleet("vm", "migrate", "-l", "tag=mig", "--to", "pve2")
    assert run.code == 2 and "refusing to migrate" in run.stderr and fleet.writes() == []


def test_task_failure_is_reported(fleet: Fleet) -> None:
    fleet.sim.inject("task-fail:type=qmigrate,message=migration aborted,count=1")
    run = fleet("vm", "migrate", "300", "--to", "pve2")
    assert run.code == 1 and "migration aborted" in run.stderr
    assert node_of(fleet, 300) == "pve1"


def test_ha_move_that_fails_on_the_server_is_reported(fleet: Fleet) -> None:
    fleet.sim.inject("task-fail:type=qmigrate,message=migration aborted,count=1")
    run = fleet("vm", "migrate", "302", "--to", "pve2", "-o", "json")
    assert run.code == 1, run.stderr
    outcome = run.json()
    assert outcome["outcome"] == "failed" and ":qmigrate:302:" in outcome["upid"]
    assert node_of(fleet, 302) == "pve1"


def test_a_locked_vm_is_refused_per_vm_and_the_rest_moves(fleet: Fleet) -> None:
    fleet.sim.inject("lock-vm:vmid=300,lock=backup")
    run = fleet("vm", "migrate", "300", "302", "--to", "pve2", "--yes", "-o", "json")
    assert run.code == SOME_FAILED
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[300]["outcome"] == "failed" and "VM is locked (backup)" in by_id[300]["message"]
    assert by_id[302]["outcome"] == "done" and node_of(fleet, 302) == "pve2"
    assert not any("/qemu/300/" in w for w in fleet.writes())


def test_ctrl_c_names_an_ha_move_still_running() -> None:
    import threading
    import time
    from typing import cast

    from pvectl.sdk import ProxmoxClient
    from pvectl.vm import bulk
    from pvectl.vm.lookup import VmRef

    release = threading.Event()

    class Move:
        def __init__(self, vmid: int) -> None:
            self.vmid = vmid
            self.label = f"HA migrate of vm:{vmid} to pve2"

        def wait(self, timeout: float | None) -> None:
            if self.vmid == 2:
                release.wait(5)  # still moving when Ctrl-C comes
            else:
                time.sleep(0.3)  # lets the other move get under way first

    def stop(result: bulk.Result) -> None:
        raise KeyboardInterrupt

    refs = [VmRef(i, "pve1", f"vm{i}", "running", (), {}) for i in (1, 2)]
    try:
        results = bulk.run(
            cast(ProxmoxClient, None), refs, lambda r: Move(r.vmid), past="migrated", parallel=2, on_result=stop
        )
    finally:
        release.set()
    moved, still = (r.outcome for r in results)
    assert moved.kind == "done"
    assert still.kind == "interrupted" and still.upid is None
    assert "HA migrate of vm:2 to pve2" in still.message and still.remedies == ["pvectl vm show 2"]
    assert bulk.exit_code(results) == 130


def test_one_locked_vm_is_an_api_failure_not_a_usage_error(fleet: Fleet) -> None:
    fleet.sim.inject("lock-vm:vmid=300,lock=backup")
    run = fleet("vm", "migrate", "300", "--to", "pve2")
    assert run.code == 1 and "VM is locked (backup)" in run.stderr and fleet.writes() == []
