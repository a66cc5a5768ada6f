"""--server-side: PVE's own bulk actions on a release that has them (9.x), a clear refusal on one without (8.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvectl.vm.outcome import SOME_FAILED
from tests.fleet.conftest import NODES, Fleet, make_fleet, many_vms


def fleet_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> Fleet:
    seed = {"version": version, "task_seconds": 0, "nodes": NODES, "vms": many_vms(9)}
    return next(make_fleet(tmp_path, monkeypatch, seed))


@pytest.mark.parametrize("version", ["9.0.13", "9.1.1", "9.1.2", "9.1.9"])
def test_server_side_shutdown_is_one_task_with_per_vm_outcomes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    fleet = fleet_on(tmp_path, monkeypatch, version)
    run = fleet("vm", "shutdown", "-l", "tag=web", "--server-side", "--yes", "--parallel", "3", "-o", "json")
    assert run.code == 0, run.stderr
    assert fleet.writes() == ["POST /cluster/bulk-action/guest/shutdown"]  # one request for all
    outcomes = run.json()
    assert [o["vmid"] for o in outcomes] == [100, 102, 104, 106, 108]
    assert {o["outcome"] for o in outcomes} == {"done"} and len({o["upid"] for o in outcomes}) == 1
    assert all(fleet.status(v) == "stopped" for v in (100, 102, 104, 106, 108))
    assert fleet.status(101) == "running"
    body = [r for r in fleet.requests if r.method == "POST"][0].content.decode()
    # pve-manager's changelog: max-workers from 9.1.2 (where the old maxworkers had no effect on these actions)
    workers = "max-workers=3" if version in ("9.1.2", "9.1.9") else "maxworkers=3"
    assert workers in body.replace("%2D", "-")


def test_server_side_vm_that_did_not_reach_its_state_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = fleet_on(tmp_path, monkeypatch, "9.1.9")
    fleet.sim.inject("task-fail:type=bulk-shutdown,message=guest 102 did not stop,count=1")
    run = fleet("vm", "shutdown", "100", "102", "--server-side", "--yes", "-o", "json")
    assert run.code == SOME_FAILED
    assert {o["outcome"] for o in run.json()} == {"failed"}
    assert "not shut down after PVE's bulk task" in run.stderr
    names = {o["vmid"]: o["name"] for o in run.json()}
    assert all(names.values()) and {o["action"] for o in run.json()} == {"shutdown"}, run.json()
    assert "(no name)" not in run.stderr and f"102 ({names[102]})" in run.stderr  # the summary names the VMs


def test_server_side_suspend_and_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = fleet_on(tmp_path, monkeypatch, "9.1.9")
    run = fleet("vm", "suspend", "100", "103", "--server-side", "--yes", "-o", "json")
    assert run.code == 0, run.stderr
    state = fleet.sim.store.snapshot()["vms"]
    assert state["100"].get("paused") and state["103"].get("paused") and not state["101"].get("paused")
    moved = fleet("vm", "migrate", "-l", "tag=lab", "--to", "pve2", "--server-side", "--yes", "-o", "json")
    assert moved.code == 0, moved.stderr
    assert "POST /cluster/bulk-action/guest/migrate" in fleet.writes()
    assert {fleet.sim.store.snapshot()["vms"][str(v)]["node"] for v in (100, 103, 106)} == {"pve2"}


@pytest.mark.parametrize("verb", ["start", "shutdown", "suspend"])
def test_release_without_bulk_actions_refuses_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    fleet = fleet_on(tmp_path, monkeypatch, "8.4.0")
    run = fleet("vm", verb, "--all", "--server-side", "--yes")
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "PVE 8.4.0" in lines[0] and "needs PVE 9.0.13 or newer" in lines[0]
    assert fleet.writes() == []
    migrate = fleet("vm", "migrate", "--all", "--to", "pve2", "--server-side", "--yes")
    assert migrate.code == 2 and "needs PVE 9.0.13" in migrate.stderr and fleet.writes() == []


def test_client_side_still_works_on_old_releases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = fleet_on(tmp_path, monkeypatch, "8.4.0")
    run = fleet("vm", "shutdown", "-l", "tag=db", "--yes", "-o", "json")
    assert run.code == 0, run.stderr
    assert len(fleet.writes()) == 4 and all(w.endswith("/status/shutdown") for w in fleet.writes())


def test_server_side_is_only_offered_where_pve_has_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = fleet_on(tmp_path, monkeypatch, "9.1.9")
    assert "--server-side" in fleet("vm", "start", "--help").stdout
    stop = fleet("vm", "stop", "--all", "--server-side", "--yes")
    assert stop.code == 2 and fleet.writes() == []
