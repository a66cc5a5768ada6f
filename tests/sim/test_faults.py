"""Each injected fault, seen through the SDK or plain HTTP over HTTPS, and the fault spec syntax."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sdk._core.errors import ApiError, TaskFailed
from pvectl.sim.core import Simulator
from pvectl.sim.faults import (
    ExpireTickets,
    FailCall,
    FaultSpecError,
    Latency,
    LockVm,
    NodeOffline,
    StealVmid,
    TaskFail,
    TaskSlow,
    parse_fault,
)
from pvectl.sim.store import Store
from tests.sim.conftest import SimClock


def test_fail_the_nth_call(client: ProxmoxClient, sim: Simulator) -> None:
    sim.inject(FailCall("/pools", method="POST", nth=2, status=500, message="pmxcfs is read-only"))
    client.request("POST", "/pools", {"poolid": "one"})
    with pytest.raises(ApiError) as err:
        client.request("POST", "/pools", {"poolid": "two"})
    assert err.value.status == 500 and err.value.message == "pmxcfs is read-only"
    client.request("POST", "/pools", {"poolid": "three"})
    assert {"one", "three"} <= {p["poolid"] for p in client.request("GET", "/pools")}
    assert "two" not in {p["poolid"] for p in client.request("GET", "/pools")}


def test_fail_matches_templates_and_statuses(http: httpx.Client, token: str, sim: Simulator) -> None:
    sim.inject("fail:path=/nodes/{node}/qemu,method=GET,status=503,message=busy,count=2")
    auth = {"Authorization": f"PVEAPIToken={token}"}
    statuses = [http.get(f"/nodes/{n}/qemu", headers=auth).status_code for n in ("pve1", "pve2", "pve1")]
    assert statuses == [503, 503, 200]


def test_failing_task_removes_the_half_created_vm(client: ProxmoxClient, sim: Simulator) -> None:
    sim.inject(TaskFail(type="qmcreate", message="rbd error: rbd: couldn't connect to the cluster!"))
    task = client.nodes("pve1").qemu.create(vmid=200, scsi={0: "ceph-pool:8"})
    with pytest.raises(TaskFailed) as err:
        task.wait(timeout=5, poll=0.02)
    assert err.value.exitstatus == "rbd error: rbd: couldn't connect to the cluster!"
    assert err.value.log_tail[-1] == "TASK ERROR: rbd error: rbd: couldn't connect to the cluster!"
    assert 200 not in {v["vmid"] for v in client.request("GET", "/nodes/pve1/qemu")}
    assert client.request("GET", "/nodes/pve1/storage/ceph-pool/content", {"vmid": 200}) == []


def test_slow_task_is_running_until_its_time(client: ProxmoxClient, sim: Simulator, clock: SimClock) -> None:
    sim.inject(TaskSlow(seconds=30))
    task = client.nodes("pve2").qemu(102).status.start()
    assert task.status()["status"] == "running"
    active = client.request("GET", "/nodes/pve2/tasks", {"source": "active"})
    assert [t["upid"] for t in active] == [str(task)]
    assert client.nodes("pve2").qemu(102).status.current().status == "stopped"
    clock.offset += 31
    assert task.status() == {**task.status(), "status": "stopped", "exitstatus": "OK"}
    assert client.nodes("pve2").qemu(102).status.current().status == "running"


def test_expired_tickets(http: httpx.Client, password: str, sim: Simulator) -> None:
    ticket = http.post("/access/ticket", data={"username": "root@pam", "password": password}).json()["data"]["ticket"]
    cookie = {"Cookie": f"PVEAuthCookie={ticket}"}
    assert http.get("/version", headers=cookie).status_code == 200
    sim.inject(ExpireTickets())
    assert http.get("/version", headers=cookie).status_code == 401
    fresh = http.post("/access/ticket", data={"username": "root@pam", "password": password}).json()["data"]["ticket"]
    assert http.get("/version", headers={"Cookie": f"PVEAuthCookie={fresh}"}).status_code == 200


def test_vmid_taken_between_nextid_and_create(client: ProxmoxClient, sim: Simulator) -> None:
    sim.inject(StealVmid())
    vmid = client.cluster.nextid()
    with pytest.raises(ApiError) as err:
        client.nodes("pve1").qemu.create(vmid=vmid, name="mine")
    assert err.value.message.startswith(f"VM {vmid} already exists on node")
    assert client.cluster.nextid() == vmid + 1  # the fault fired once


def test_locked_vm(client: ProxmoxClient, sim: Simulator) -> None:
    sim.inject(LockVm(102, lock="backup"))
    with pytest.raises(ApiError) as err:
        client.nodes("pve2").qemu(102).config.set(description="x")
    assert err.value.message == "VM is locked (backup)"
    with pytest.raises(TaskFailed) as failed:
        client.nodes("pve2").qemu(102).status.start().wait(timeout=5, poll=0.02)
    assert failed.value.exitstatus == "VM is locked (backup)"
    vm = next(r for r in client.request("GET", "/cluster/resources", {"type": "vm"}) if r["vmid"] == 102)
    assert vm["lock"] == "backup"


def test_node_offline(client: ProxmoxClient, sim: Simulator) -> None:
    sim.inject(NodeOffline("pve2"))
    with pytest.raises(ApiError) as err:
        client.request("GET", "/nodes/pve2/qemu")
    assert err.value.status == 595
    assert {n["node"]: n["status"] for n in client.request("GET", "/nodes")} == {"pve1": "online", "pve2": "offline"}
    assert client.request("GET", "/nodes/pve1/qemu")  # the other node still answers
    statuses = {r["vmid"]: r["status"] for r in client.request("GET", "/cluster/resources", {"type": "vm"})}
    assert statuses[101] == "unknown" and statuses[100] == "running"


def test_latency_is_requested_from_the_clock(client: ProxmoxClient, sim: Simulator, clock: SimClock) -> None:
    client.server_version = "9.1.3"  # skip the SDK's version probe: only the two calls are measured
    sim.inject(Latency(0.25, path="/nodes"), Latency(0.5))
    client.request("GET", "/pools")
    client.request("GET", "/nodes")
    assert clock.sleeps == [0.5, 0.75]


def test_seed_faults_apply(state_dir: Path) -> None:
    seed = {"faults": ["node-offline:node=pve2", "lock-vm:vmid=100,lock=migrate", "fail:path=/version,status=502"]}
    sim = Simulator(Store(state_dir / "seeded.json", seed))
    state = sim.store.snapshot()
    assert state["nodes"]["pve2"]["online"] is False and state["vms"]["100"]["config"]["lock"] == "migrate"
    creds = state["users"]["root@pam"]["tokens"]["sim"]["secret"]
    answer = sim.handle("GET", "/api2/json/version", headers={"Authorization": f"PVEAPIToken=root@pam!sim={creds}"})
    assert answer.status == 502


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("fail:path=/cluster/nextid,nth=3,status=503", FailCall("/cluster/nextid", nth=3, status=503)),
        ("task-fail:type=qmstart,message=boom", TaskFail(type="qmstart", message="boom")),
        ("task-slow:seconds=2.5", TaskSlow(2.5)),
        ("expire-tickets", ExpireTickets()),
        ("steal-vmid:count=2", StealVmid(2)),
        ("lock-vm:vmid=101", LockVm(101)),
        ("node-offline:node=pve2", NodeOffline("pve2")),
        ("latency:seconds=0.1,path=/nodes", Latency(0.1, "/nodes")),
    ],
)
def test_fault_specs(spec: str, expected: object) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    ("spec", "culprit"),
    [
        ("explode", "unknown fault kind 'explode'"),
        ("fail:status=500", "fault 'fail' needs path"),
        ("fail:path=/x,status=abc", "status must be a number, got 'abc'"),
        ("fail:path=/x,status=42", "status must be an HTTP status"),
        ("latency:seconds=1,colour=red", "bad option 'colour=red'"),
        ("lock-vm:vmid", "bad option 'vmid'"),
    ],
)
def test_bad_fault_specs_name_the_culprit(spec: str, culprit: str) -> None:
    with pytest.raises(FaultSpecError, match=culprit):
        parse_fault(spec)


def test_state_faults_need_existing_things(sim: Simulator) -> None:
    with pytest.raises(FaultSpecError, match="no VM 999"):
        sim.inject(LockVm(999))
    with pytest.raises(FaultSpecError, match="no node 'pve9'"):
        sim.inject("node-offline:node=pve9")
