"""Writes are all or nothing: a process killed in the middle of a create, a failing commit, concurrent readers."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from pvectl.sim import core, volumes
from pvectl.sim.core import Simulator
from pvectl.sim.server import RunningServer
from pvectl.sim.store import Store
from pvectl.sim.tls import CertFiles
from pvectl.sim.vmconf import volumes_of

DISKS = "scsi0=local-lvm:1&scsi1=local-lvm:1&scsi2=ceph-pool:1&scsi3=local:1"

CHILD = """
import sys, time
from pathlib import Path
from pvectl.sim.core import Simulator
from pvectl.sim.store import Store

path, mode = Path(sys.argv[1]), sys.argv[2]
sim = Simulator(Store(path))
creds = sim.store.credentials()
headers = {
    "Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}",
    "Content-Type": "application/x-www-form-urlencoded",
}
if mode == "mid":
    real = Store._set_info

    def stall(self, name, value):
        if name == "gen":  # every row of the create is written, the transaction not yet committed
            print("rows written", flush=True)
            time.sleep(120)
        real(self, name, value)

    Store._set_info = stall
vmid = 4242
print("ready", flush=True)
while True:
    body = f"vmid={vmid}&name=whole{vmid}&pool=lab&" + DISKS_TEXT
    body = body.encode()
    answer = sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=headers)
    assert answer.status == 200, answer.reason
    print(f"created {vmid}", flush=True)
    if mode == "after":
        time.sleep(120)
    vmid += 1
""".replace("DISKS_TEXT", repr(DISKS))


def check_whole(state: dict[str, Any]) -> None:
    """Every VM has all its disks and pool entry; every VM-owned volume belongs to a VM that names it."""
    for vmid, vm in state["vms"].items():
        config = vm["config"]
        if vm["config"].get("name", "").startswith("whole"):
            assert all(f"scsi{i}" in config for i in range(4)), config
        for volid in volumes_of(config):
            assert any(volumes.key(volid, n) in state["volumes"] for n in (None, vm["node"])), (vmid, volid)
        if vm.get("pool"):
            assert int(vmid) in state["pools"][vm["pool"]]["vms"]
    for vol in state["volumes"].values():
        if vol.get("vmid") is not None:
            owner = state["vms"].get(str(vol["vmid"]))
            assert owner is not None and vol["volid"] in volumes_of(owner["config"]), vol
    for poolid, pool in state["pools"].items():
        for vmid in pool["vms"]:
            assert state["vms"][str(vmid)].get("pool") == poolid


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    Store(path, {"task_seconds": 0}).close()
    return path


def child(db: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(proc: subprocess.Popen[str], marker: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if marker in line:
            return
    raise AssertionError(f"child ended before '{marker}': {proc.stderr.read() if proc.stderr else ''}")


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def test_killed_before_commit_leaves_no_vm(db: Path) -> None:
    proc = child(db, "mid")
    wait_for(proc, "rows written")
    kill(proc)
    state = Store(db).snapshot()
    assert "4242" not in state["vms"]
    assert not [v for v in state["volumes"].values() if v.get("vmid") == 4242]
    assert 4242 not in state["pools"]["lab"]["vms"] and not state["tasks"]
    check_whole(state)


def test_killed_after_commit_leaves_the_whole_vm(db: Path) -> None:
    proc = child(db, "after")
    wait_for(proc, "created 4242")
    kill(proc)
    state = Store(db).snapshot()
    assert state["vms"]["4242"]["pool"] == "lab" and 4242 in state["pools"]["lab"]["vms"]
    assert len([v for v in state["volumes"].values() if v.get("vmid") == 4242]) == 4
    check_whole(state)


@pytest.mark.parametrize("delay", [0.2, 0.45, 0.7])
def test_killed_at_any_moment_leaves_whole_vms(db: Path, delay: float) -> None:
    proc = child(db, "loop")
    wait_for(proc, "ready")
    time.sleep(delay)
    kill(proc)
    state = Store(db).snapshot()
    check_whole(state)
    # the child kept going until killed: the survivors are numbered without gaps
    made = sorted(int(k) for k in state["vms"] if int(k) >= 4242)
    assert made == list(range(4242, 4242 + len(made)))


def test_a_failing_commit_changes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(Store(db))
    creds = sim.store.credentials()
    headers = {
        "Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    before = sim.store.snapshot()

    def broken(self: Store, name: str, value: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Store, "_set_info", broken)
    body = f"vmid=4300&pool=lab&{DISKS}".encode()
    answer = sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=headers)
    assert answer.status == 500 and "disk full" in answer.reason
    monkeypatch.undo()
    assert sim.store.snapshot() == before  # this process's memory
    assert Store(db).snapshot() == before  # and the database


def _auth(sim: Simulator) -> dict[str, str]:
    creds = sim.store.credentials()
    return {"Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}"}


@pytest.fixture
def busy_switching() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads interleave often: a reader lands inside writes if it can
    yield
    sys.setswitchinterval(old)


@pytest.mark.parametrize("where", ["same process", "other process", "uncached"])
def test_readers_see_before_or_after_never_half(
    db: Path, where: str, busy_switching: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = Simulator(Store(db))
    reader = Simulator(Store(db)) if where == "other process" else writer
    if where == "uncached":
        monkeypatch.setattr(core, "CACHED", frozenset())
    headers = {**_auth(writer), "Content-Type": "application/x-www-form-urlencoded"}
    done = threading.Event()
    problems: list[str] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            answer = reader.handle("GET", "/api2/json/cluster/resources", "", _auth(reader))
            data = answer.json()["data"]
            if data is None:
                problems.append(f"{answer.status} {answer.reason} {answer.json()}")
                continue
            ours = [e for e in data if e["type"] == "qemu" and e["vmid"] >= 5000]
            lvm = next(e for e in data if e["type"] == "storage" and e["id"] == "storage/pve1/local-lvm")
            # every VM of ours has 3 GiB on pve1's local-lvm: the volumes and the VMs must agree
            if lvm["disk"] != 3 * 1024**3 * len(ours) or any(e["maxdisk"] != 3 * 1024**3 for e in ours):
                problems.append(f"{len(ours)} VMs but {lvm['disk']} bytes used")
            reads += 1

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for vmid in range(5000, 5400):  # at least 40 writes, and on until the readers read often enough
            if vmid >= 5040 and reads > 10:
                break
            body = f"vmid={vmid}&scsi0=local-lvm:1&scsi1=local-lvm:1&scsi2=local-lvm:1".encode()
            answer = writer.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=headers)
            assert answer.status == 200, answer.reason
            if vmid % 3 == 0:
                answer = writer.handle("DELETE", f"/api2/json/nodes/pve1/qemu/{vmid - 1}", headers=headers)
                assert answer.status == 200, answer.reason
            if reads <= 10:
                time.sleep(0.002)  # a busy writer can hold the GIL through whole reads: leave the readers a gap
    finally:
        done.set()
        for t in threads:
            t.join()
    assert reads > 10 and not problems, problems[:3]


def test_fifty_concurrent_creates_get_distinct_ids(
    server: RunningServer, cert: CertFiles, token: str, sim: Simulator
) -> None:
    """Clients that take /cluster/nextid and try the next id when it is taken all end with distinct VMs."""

    context = ssl.create_default_context(cafile=str(cert.cert))

    def create(n: int) -> int:
        with httpx.Client(
            base_url=f"{server.base_url}/api2/json",
            verify=context,
            headers={"Authorization": f"PVEAPIToken={token}"},
            timeout=60,
        ) as http:
            vmid = int(http.get("/cluster/nextid").json()["data"])
            for _ in range(200):
                answer = http.post("/nodes/pve1/qemu", data={"vmid": vmid, "name": f"c{n}", "scsi0": "local-lvm:1"})
                if answer.status_code == 200:
                    return vmid
                assert "already exists" in answer.reason_phrase, answer.reason_phrase
                vmid += 1
            raise AssertionError("no free id in 200 tries")

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(create, range(50)))
    assert len(set(ids)) == 50
    state = sim.store.snapshot()
    check_whole(state)
    names = {state["vms"][str(i)]["config"]["name"] for i in ids}
    assert names == {f"c{n}" for n in range(50)}
    nextid = sim.handle("GET", "/api2/json/cluster/nextid", "", _auth(sim)).json()["data"]
    assert str(nextid) not in state["vms"] and int(nextid) == min(
        i for i in range(100, 1000) if str(i) not in state["vms"]
    )
