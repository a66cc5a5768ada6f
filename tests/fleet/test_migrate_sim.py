"""The simulator's migration as PVE answers it, and the preflight reader on recorded answer shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of
from pvectl.vm.migrate import parse, problems


class Api:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.sim = Simulator(Store(None, {"task_seconds": 0, **seed}))
        creds = credentials_of(self.sim.store.snapshot())
        self.headers = {"Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}"}

    def __call__(self, method: str, path: str, query: str = "") -> tuple[int, Any]:
        answer = self.sim.handle(method, "/api2/json" + path, query, self.headers)
        body = json.loads(answer.body)
        return answer.status, body.get("data") if answer.status == 200 else body

    def task(self, upid: str) -> tuple[str, list[str]]:
        node = upid.split(":")[1]
        _, status = self("GET", f"/nodes/{node}/tasks/{upid}/status")
        _, log = self("GET", f"/nodes/{node}/tasks/{upid}/log")
        return str(status.get("exitstatus")), [line["t"] for line in log]

    def vm(self, vmid: int) -> dict[str, Any]:
        self("GET", "/version")  # a request finishes the tasks whose time is up
        found: dict[str, Any] = self.sim.store.snapshot()["vms"][str(vmid)]
        return found


def seed(version: str = "9.1.3") -> dict[str, Any]:
    return {
        "version": version,
        "nodes": ["pve1", "pve2", "pve3"],
        "storages": [
            {"id": "ceph-pool", "type": "rbd", "content": ["images"], "shared": True},
            {"id": "local-lvm", "type": "lvmthin", "content": ["images"]},
            {"id": "fast", "type": "lvmthin", "content": ["images"], "nodes": ["pve1", "pve2"]},
        ],
        "volumes": [],
        "vms": [
            {"vmid": 500, "node": "pve1", "status": "running", "config": {"scsi0": "local-lvm:4", "scsi1": "fast:2"}},
            {"vmid": 501, "node": "pve1", "status": "stopped", "config": {"scsi0": "ceph-pool:4", "usb0": "host=1-2"}},
        ],
    }


def test_precondition_lists_local_disks_resources_and_nodes_lacking_storage() -> None:
    api = Api(seed())
    status, data = api("GET", "/nodes/pve1/qemu/500/migrate")
    assert status == 200 and data["running"] == 1
    assert {d["volid"] for d in data["local_disks"]} == {"local-lvm:vm-500-disk-0", "fast:vm-500-disk-0"}
    assert data["allowed_nodes"] == ["pve2"]
    assert data["not_allowed_nodes"] == {"pve2": {}, "pve3": {"unavailable_storages": ["fast"]}}
    _, other = api("GET", "/nodes/pve1/qemu/501/migrate")
    assert other["local_resources"] == ["usb0"] and other["local_disks"] == []


def test_pve7_answers_node_lists_only_for_a_stopped_vm() -> None:
    api = Api(seed("7.4-2"))
    _, running = api("GET", "/nodes/pve1/qemu/500/migrate")
    assert "allowed_nodes" not in running and "has-dbus-vmstate" not in running
    _, stopped = api("GET", "/nodes/pve1/qemu/501/migrate")
    assert stopped["allowed_nodes"] == ["pve2", "pve3"] and stopped["not_allowed_nodes"] == {}


def test_post_refusals_like_pve() -> None:
    api = Api(seed())
    status, body = api("POST", "/nodes/pve1/qemu/500/migrate", "target=pve1&online=1")
    assert status == 400 and body["errors"] == {"target": "target is local node."}
    status, body = api("POST", "/nodes/pve1/qemu/500/migrate", "target=pve2")
    assert status == 500 and "can't migrate running VM without --online" in body["message"]
    status, body = api("POST", "/nodes/pve1/qemu/500/migrate", "target=pve3&online=1&with-local-disks=1")
    assert status == 500 and "storage 'fast' is not available on node 'pve3'" in body["message"]
    status, body = api("POST", "/nodes/pve1/qemu/500/migrate", "target=pve9&online=1")
    assert status == 500 and "no such cluster node 'pve9'" in body["message"]


def test_live_move_of_local_disks_needs_with_local_disks_and_moves_the_volumes() -> None:
    api = Api(seed())
    _, upid = api("POST", "/nodes/pve1/qemu/500/migrate", "target=pve2&online=1")
    exitstatus, _ = api.task(upid)
    assert "with-local-disks" in exitstatus and api.vm(500)["node"] == "pve1"
    assert "lock" not in api.vm(500)["config"]  # a failed migration unlocks the VM
    _, upid = api("POST", "/nodes/pve1/qemu/500/migrate", "target=pve2&online=1&with-local-disks=1")
    assert api.task(upid)[0] == "OK"
    state = api.sim.store.snapshot()
    assert state["vms"]["500"]["node"] == "pve2" and state["vms"]["500"]["status"] == "running"
    assert {"local-lvm:vm-500-disk-0@pve2", "fast:vm-500-disk-0@pve2"} <= set(state["volumes"])
    assert not any(k.endswith("@pve1") for k in state["volumes"])


def test_target_storage_maps_local_disks() -> None:
    api = Api(seed())
    _, upid = api(
        "POST", "/nodes/pve1/qemu/500/migrate", "target=pve3&online=1&with-local-disks=1&targetstorage=local-lvm"
    )
    assert api.task(upid)[0] == "OK"
    config = api.vm(500)["config"]
    assert config["scsi1"].startswith("local-lvm:") and api.vm(500)["node"] == "pve3"


def test_local_devices_need_a_stopped_vm_and_force() -> None:
    api = Api(seed())
    _, upid = api("POST", "/nodes/pve1/qemu/501/migrate", "target=pve2")
    assert "uses local devices: usb0" in api.task(upid)[0]
    _, upid = api("POST", "/nodes/pve1/qemu/501/migrate", "target=pve2&force=1")
    assert api.task(upid)[0] == "OK" and api.vm(501)["node"] == "pve2"


def test_offline_target_fails_the_task() -> None:
    api = Api(seed())
    api.sim.inject("node-offline:node=pve3")
    _, upid = api("POST", "/nodes/pve1/qemu/501/migrate", "target=pve3&force=1")
    exitstatus, _ = api.task(upid)
    assert "Can't connect to destination address" in exitstatus and api.vm(501)["node"] == "pve1"


def test_ha_vm_through_qemu_endpoint_only_files_a_request() -> None:
    api = Api(
        {
            **seed(),
            "vms": [
                {"vmid": 502, "node": "pve1", "status": "running", "ha": "started", "config": {"scsi0": "ceph-pool:4"}}
            ],
        }
    )
    _, upid = api("POST", "/nodes/pve1/qemu/502/migrate", "target=pve2&online=1")
    assert ":hamigrate:502:" in upid and api.task(upid)[0] == "OK"
    assert api.vm(502)["node"] == "pve2"  # the HA stack's own qmigrate did the move


@pytest.mark.parametrize(
    ("version", "answer"), [("9.0.9", None), ("9.1.3", {"sid": "vm:502", "requested-node": "pve3"})]
)
def test_ha_migrate_answers_by_release(version: str, answer: Any) -> None:
    api = Api(
        {
            **seed(version),
            "vms": [
                {"vmid": 502, "node": "pve1", "status": "running", "ha": "started", "config": {"scsi0": "ceph-pool:4"}}
            ],
        }
    )
    status, data = api("POST", "/cluster/ha/resources/vm:502/relocate", "node=pve3")
    assert status == 200 and data == answer
    assert api.vm(502)["node"] == "pve3" and api.vm(502)["status"] == "running"


def test_bulk_action_endpoints_exist_from_pve9_only() -> None:
    old = Api(seed("8.4.0"))
    assert old("POST", "/cluster/bulk-action/guest/start", "vms=501")[0] == 501
    # pve-manager 9.0.13 brought them (debian/changelog): 9.0.9 answers 501 too
    assert Api(seed("9.0.9"))("POST", "/cluster/bulk-action/guest/start", "vms=501")[0] == 501
    new = Api(seed("9.0.13"))
    status, upid = new("POST", "/cluster/bulk-action/guest/start", "vms=501&maxworkers=2")
    assert status == 200 and new.task(upid)[0] == "OK" and new.vm(501)["status"] == "running"


# Recorded PVE 9 answer (CodingPenguin-yoon/Gjallar docs/operations/drs-explicit-test-candidate-prep-2026-06-03.md
# @917b95b849bd99119ccd75a31243f86604c22f37): both allowed nodes are also under not_allowed_nodes, as {}.
RECORDED_PVE9 = {
    "allowed_nodes": ["yoonmanserver2", "yoonserver3"],
    "has-dbus-vmstate": 1,
    "local_disks": [],
    "local_resources": [],
    "mapped-resource-info": {},
    "mapped-resources": [],
    "not_allowed_nodes": {"yoonmanserver2": {}, "yoonserver3": {}},
    "running": 1,
}


def test_recorded_pve9_answer_blocks_nothing() -> None:
    pre = parse(RECORDED_PVE9)
    assert pre.running and pre.allowed == ("yoonmanserver2", "yoonserver3") and dict(pre.blocked) == {}
    assert problems(pre, "yoonserver3", online=True, with_local_disks=False) == []


def test_older_shapes_are_read_leniently() -> None:
    pve7_running = {
        "running": 1,
        "local_disks": [{"volid": "local-zfs:vm-105-disk-0", "size": 1, "drivename": "scsi0"}],
        "local_resources": [],
    }
    pre = parse(pve7_running)
    assert pre.allowed is None and pre.local_disks[0].drive == "scsi0" and pre.local_disks[0].attached
    assert problems(pre, "pve2", online=True, with_local_disks=False) != []
    assert problems(pre, "pve2", online=True, with_local_disks=True) == []
    blocked = parse(
        {
            "running": 0,
            "local_disks": [],
            "local_resources": [],
            "not_allowed_nodes": {"pve3": {"unavailable_storages": ["fast"]}},
        }
    )
    assert problems(blocked, "pve3", online=False, with_local_disks=False) == ["pve3: storage fast not available there"]
