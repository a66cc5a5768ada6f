"""node drain with containers: a running CT moves in restart mode, a stopped one offline, beside a live VM;
a CT pinned by a bind mount or a storage the targets lack stays, with why (against the simulator)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvectl.vm.outcome import SOME_FAILED
from tests.fleet.conftest import Fleet, make_fleet

GiB = 1024**3


def world(*extra_cts: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_seconds": 0,
        "nodes": [{"name": "pve1", "memory": 64 * GiB}, {"name": "pve2", "memory": 64 * GiB}],
        "vms": [
            {
                "vmid": 100,
                "node": "pve1",
                "name": "web",
                "status": "running",
                "config": {"memory": "4096", "scsi0": "ceph-pool:8"},
            },
        ],
        "containers": [
            {
                "vmid": 200,
                "node": "pve1",
                "hostname": "cache",
                "status": "running",
                "config": {"memory": "2048", "rootfs": "local-lvm:8"},
            },
            {
                "vmid": 201,
                "node": "pve1",
                "hostname": "idle",
                "status": "stopped",
                "config": {"memory": "1024", "rootfs": "ceph-pool:4"},
            },
            {
                "vmid": 202,
                "node": "pve2",
                "hostname": "elsewhere",
                "status": "running",
                "config": {"memory": "512", "rootfs": "ceph-pool:4"},
            },
            *extra_cts,
        ],
    }


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fleet]:
    yield from make_fleet(tmp_path, monkeypatch, world())


def where(fleet: Fleet) -> dict[int, tuple[str, str]]:
    return {int(k): (v["node"], v["status"]) for k, v in fleet.sim.store.snapshot()["vms"].items()}


def test_dry_run_lists_containers_with_kind_and_mode(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    rows = {r["vmid"]: r for r in run.json()}
    assert set(rows) == {100, 200, 201}  # the other node's CT is not part of it
    assert [r["vmid"] for r in run.json()] == [100, 200, 201]  # largest first; a stopped CT needs no memory
    assert (rows[100]["kind"], rows[100]["mode"]) == ("vm", "online")
    assert (rows[200]["kind"], rows[200]["mode"], rows[200]["target"]) == ("ct", "restart", "pve2")
    assert rows[200]["request"] == "POST /nodes/pve1/lxc/200/migrate target=pve2 restart=1 timeout=180"
    assert (rows[201]["kind"], rows[201]["mode"]) == ("ct", "offline")
    assert rows[201]["request"] == "POST /nodes/pve1/lxc/201/migrate target=pve2"
    assert fleet.writes() == []
    gets = {r.url.path.removeprefix("/api2/json") for r in fleet.requests}
    assert "/nodes/pve1/lxc/200/migrate" in gets and "/nodes/pve1/lxc/200/config" in gets  # CT preflight
    text = fleet("node", "drain", "pve1", "--dry-run", "-o", "text")
    assert "3 guests to move" in text.stdout and "CT 200 cache" in text.stdout and "restart" in text.stdout


def test_drain_moves_vm_live_running_ct_in_restart_mode_stopped_ct_offline(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1", "--yes", "--ct-timeout", "60", "-o", "json")
    assert run.code == 0, run.stderr
    outcomes = {o["vmid"]: o for o in run.json()}
    assert {v: o["outcome"] for v, o in outcomes.items()} == {100: "done", 200: "done", 201: "done"}
    assert "restart mode" in outcomes[200]["message"] and "offline" in outcomes[201]["message"]
    assert sorted(fleet.writes()) == [
        "POST /nodes/pve1/lxc/200/migrate",
        "POST /nodes/pve1/lxc/201/migrate",
        "POST /nodes/pve1/qemu/100/migrate",
    ]
    bodies = {r.url.path: r.content.decode() for r in fleet.requests if r.method == "POST"}
    assert bodies["/api2/json/nodes/pve1/lxc/200/migrate"] == "target=pve2&restart=1&timeout=60"
    assert bodies["/api2/json/nodes/pve1/lxc/201/migrate"] == "target=pve2"
    assert "online=1" in bodies["/api2/json/nodes/pve1/qemu/100/migrate"]
    placed = where(fleet)
    assert placed[100] == ("pve2", "running") and placed[200] == ("pve2", "running")
    assert placed[201] == ("pve2", "stopped") and placed[202] == ("pve2", "running")


def test_pinned_container_stays_with_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bound = {"vmid": 203, "node": "pve1", "hostname": "bound", "status": "running",
             "config": {"memory": "512", "rootfs": "ceph-pool:4", "mp0": "/srv/data,mp=/data"}}  # fmt: skip
    shared = {"vmid": 204, "node": "pve1", "hostname": "sharedbind", "status": "stopped",
              "config": {"memory": "512", "rootfs": "ceph-pool:4", "mp0": "/mnt/nfs,mp=/nfs,shared=1"}}  # fmt: skip
    for fleet in make_fleet(tmp_path, monkeypatch, world(bound, shared)):
        run = fleet("node", "drain", "pve1", "--yes", "-o", "json")
        assert run.code == SOME_FAILED
        outcomes = {o["vmid"]: o for o in run.json()}
        assert outcomes[203]["outcome"] == "failed" and "bind mount /srv/data" in outcomes[203]["message"]
        assert outcomes[204]["outcome"] == "done"  # a shared bind mount moves along (Migrate.pm prepare)
        assert "POST /nodes/pve1/lxc/203/migrate" not in fleet.writes()
        assert where(fleet)[203] == ("pve1", "running")


def test_ct_timeout_is_checked_before_anything_is_sent(fleet: Fleet) -> None:
    run = fleet("node", "drain", "pve1", "--yes", "--ct-timeout", "0")
    assert run.code == 2 and "--ct-timeout" in run.stderr and fleet.writes() == []


def test_lost_answer_of_a_restart_move_is_read_back_not_resent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from pvectl.sim.core import Simulator
    from pvectl.sim.mock import mock_transport
    from pvectl.sim.store import Store
    from tests.support.clock import FakeClock
    from tests.support.simcli import sim_client, use_client

    sim = Simulator(Store(tmp_path / "state.json", world()))
    fleet = Fleet(sim)
    inner = mock_transport(sim)

    def lose(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/lxc/200/migrate"):
            inner.handle_request(request)  # PVE acts; the answer is lost on the way back
            return httpx.Response(502, text="Bad Gateway")
        return None

    use_client(monkeypatch, sim_client(sim, hook=lose, record=fleet.requests, clock=FakeClock()))
    run = fleet("node", "drain", "pve1", "--yes", "-o", "json")
    outcomes = {o["vmid"]: o for o in run.json()}
    assert outcomes[200]["outcome"] == "done", run.stderr
    assert fleet.writes().count("POST /nodes/pve1/lxc/200/migrate") == 1  # read back, never sent again
    assert any("vzmigrate task" in line for line in outcomes[200]["checked"])
    assert where(fleet)[200] == ("pve2", "running")


def test_a_stopped_container_needs_no_memory_on_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = world()
    seed["nodes"][1]["memory"] = 5 * GiB  # 2 GiB for the host: 3 GiB free on pve2
    seed["vms"] = []
    seed["containers"][0]["config"]["memory"] = "4096"  # running, 4 GiB: no room
    seed["containers"][1]["config"]["memory"] = "8192"  # stopped, 8 GiB: moves offline all the same
    for fleet in make_fleet(tmp_path, monkeypatch, seed):
        rows = {r["vmid"]: r for r in fleet("node", "drain", "pve1", "--dry-run", "-o", "json").json()}
        assert rows[200]["target"] is None and "no target has 4.0 GiB free" in rows[200]["reason"]
        assert (rows[201]["target"], rows[201]["mode"]) == ("pve2", "offline")


def test_a_container_on_a_storage_the_target_lacks_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from pvectl.sim.world import DEFAULT_SEED

    seed = world()
    # Migrate.pm prepare: every volume's storage must be enabled on the target (storage_check_enabled)
    seed["storages"] = [*copy.deepcopy(DEFAULT_SEED["storages"]),
                        {"id": "fast1", "type": "lvmthin", "content": ["rootdir"], "nodes": ["pve1"]}]  # fmt: skip
    seed["containers"][1]["config"]["rootfs"] = "fast1:4"
    for fleet in make_fleet(tmp_path, monkeypatch, seed):
        run = fleet("node", "drain", "pve1", "--yes", "-o", "json")
        assert run.code == SOME_FAILED
        outcomes = {o["vmid"]: o for o in run.json()}
        assert outcomes[201]["outcome"] == "failed" and "storage fast1 not available" in outcomes[201]["message"]
        assert outcomes[200]["outcome"] == "done" and "POST /nodes/pve1/lxc/201/migrate" not in fleet.writes()


def test_ctrl_c_while_a_container_move_is_sent_is_reported_per_guest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from pvectl.sim.core import Simulator
    from pvectl.sim.store import Store
    from tests.support.clock import FakeClock
    from tests.support.simcli import sim_client, use_client

    sim = Simulator(Store(tmp_path / "state.json", world()))
    fleet = Fleet(sim)

    def interrupt(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/lxc/200/migrate"):
            raise KeyboardInterrupt  # Ctrl-C before the request left: PVE never saw it
        return None

    use_client(monkeypatch, sim_client(sim, hook=interrupt, record=fleet.requests, clock=FakeClock()))
    run = fleet("node", "drain", "pve1", "--yes", "-o", "json")
    assert run.code == 130, run.stderr
    outcomes = {o["vmid"]: o["outcome"] for o in run.json()}
    assert outcomes == {100: "done", 200: "interrupted", 201: "done"}
    assert where(fleet)[200] == ("pve1", "running")  # nothing happened to it, and the run says so
