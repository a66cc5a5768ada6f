"""Selectors and bulk power actions against the simulator: 50 VMs, --parallel 4, failures, confirmation, Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvectl.sim.faults import FailCall
from pvectl.vm.outcome import SOME_FAILED
from tests.fleet.conftest import NODES, Fleet, make_fleet, many_vms


def test_bulk_stop_and_start_fifty(fleet: Fleet) -> None:
    stopped = fleet("vm", "stop", "--all", "--parallel", "4", "--yes", "-o", "json")
    assert stopped.code == 0, stopped.stderr
    outcomes = stopped.json()
    assert [o["vmid"] for o in outcomes] == list(range(100, 150))
    assert {o["outcome"] for o in outcomes} == {"done"} and all(o["upid"] for o in outcomes)
    assert all(fleet.status(v) == "stopped" for v in range(100, 150))
    assert stopped.stderr.count("[ok]") == 50  # one progress line per VM
    started = fleet("vm", "start", "-l", "tag=web", "--parallel", "4", "-o", "json")
    assert started.code == 0, started.stderr
    assert len(started.json()) == 25
    assert {fleet.status(v) for v in range(100, 150, 2)} == {"running"}
    assert {fleet.status(v) for v in range(101, 150, 2)} == {"stopped"}


def test_a_failure_in_the_middle_gives_some_failed(fleet: Fleet) -> None:
    fleet.sim.inject(FailCall("/nodes/pve2/qemu/125/status/stop", method="POST", status=500, message="disk busy"))
    run = fleet("vm", "stop", "--all", "--parallel", "4", "--yes", "-o", "json")
    assert run.code == SOME_FAILED
    assert "125 (db-025)" in run.stderr and "1 of 50 VMs did not succeed" in run.stderr
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[125]["outcome"] == "failed" and "disk busy" in by_id[125]["message"]
    assert all(o["outcome"] == "done" for v, o in by_id.items() if v != 125)
    assert fleet.status(125) == "running" and fleet.status(149) == "stopped"


def test_task_failure_is_reported_per_vm(fleet: Fleet) -> None:
    fleet.sim.inject("task-fail:type=qmshutdown,message=guest did not answer,count=1")
    run = fleet("vm", "shutdown", "--name", "db-00*", "--yes", "-o", "json")
    assert run.code == SOME_FAILED
    kinds = sorted(o["outcome"] for o in run.json())
    assert kinds == ["done"] * 4 + ["failed"]


def test_destructive_bulk_refuses_without_terminal_and_yes(fleet: Fleet) -> None:
    run = fleet("vm", "stop", "-l", "tag=lab")
    assert run.code == 2 and "refusing to stop 17 VMs" in run.stderr and "--yes" in run.stderr
    assert fleet.writes() == []


def test_confirmation_names_the_count(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.cli import writes

    monkeypatch.setattr(writes, "terminal", lambda: True)
    declined = fleet("vm", "stop", "--pool", "lab", "-l", "tag=web", stdin="n\n")
    assert "Stop 9 VMs? [y/N]" in declined.stderr
    assert declined.code == 2 and fleet.writes() == []
    accepted = fleet("vm", "stop", "--pool", "lab", "-l", "tag=web", "-o", "json", stdin="y\n")
    assert accepted.code == 0 and len(accepted.json()) == 9
    assert len([w for w in fleet.writes() if w.endswith("/status/stop")]) == 9


def test_all_is_required_and_exclusive(fleet: Fleet) -> None:
    run = fleet("vm", "stop", "--yes")
    assert run.code == 2 and "--all" in run.stderr
    assert fleet("vm", "stop", "100", "--all").code == 2
    bad = fleet("vm", "stop", "-l", "colour=red", "--yes")
    assert bad.code == 2 and "-l/--selector" in bad.stderr
    assert fleet("vm", "start", "-l", "tag=nothing").code == 0
    assert fleet.writes() == []


def test_dry_run_lists_vms_and_requests(fleet: Fleet) -> None:
    run = fleet("vm", "delete", "-l", "tag=lab,tag!=web", "--dry-run", "-o", "json")
    assert run.code == 0
    rows = run.json()
    assert [r["vmid"] for r in rows] == [103, 109, 115, 121, 127, 133, 139, 145]
    assert rows[0]["request"] == "DELETE /nodes/pve1/qemu/103"
    assert fleet.writes() == []


def test_ids_and_names_together(fleet: Fleet) -> None:
    run = fleet("vm", "stop", "100", "db-001", "--yes", "-o", "json")
    assert run.code == 0 and [o["vmid"] for o in run.json()] == [100, 101]
    missing = fleet("vm", "stop", "100", "nope", "--yes")
    assert missing.code == 4 and "no VM named 'nope'" in missing.stderr


def test_ctrl_c_stops_starting_and_names_running_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.cli import render

    seed = {"task_seconds": 0.5, "nodes": NODES, "vms": many_vms(8)}
    fleet = next(make_fleet(tmp_path, monkeypatch, seed))
    seen: list[object] = []

    def interrupt(result: object) -> None:
        seen.append(result)
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "progress", interrupt)
    run = fleet("vm", "stop", "--all", "--parallel", "2", "--yes", "-o", "json")
    assert run.code == 130
    outcomes = run.json()
    kinds = [o["outcome"] for o in outcomes]
    assert "interrupted" in kinds and kinds.count("done") >= 1
    assert "still running" in run.stderr
    for o in outcomes:
        if o["outcome"] == "interrupted" and "not started" not in o["message"]:
            assert o["upid"] and o["upid"] in run.stderr
    sent = [w for w in fleet.writes() if w.endswith("/status/stop")]
    assert len(sent) < 8  # the rest were never started
    assert sum(1 for o in outcomes if "not started" in o["message"]) == 8 - len(sent)


def test_some_failed_code_is_documented_everywhere() -> None:
    from pvectl.cli.app import EXIT_CODES
    from pvectl.guest import outcome

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"| {SOME_FAILED} | a bulk action" in readme
    assert f"{SOME_FAILED} some guests of a bulk action failed" in " ".join(EXIT_CODES.split())
    assert f"``SOME_FAILED`` ({SOME_FAILED})" in (outcome.__doc__ or "")
    assert SOME_FAILED not in outcome.EXIT_CODES.values()  # distinct from every single-VM outcome


def test_list_takes_the_selectors(fleet: Fleet) -> None:
    rows = fleet("vm", "list", "-l", "tag=web,tag!=lab", "--pool", "prod", "-o", "json").json()
    assert [r["vmid"] for r in rows] == [v for v in range(100, 150) if v % 2 == 0 and (v - 100) % 3 != 0]
    assert [r["name"] for r in fleet("vm", "list", "--name", "db-00*", "-o", "json").json()] == [
        "db-001",
        "db-003",
        "db-005",
        "db-007",
        "db-009",
    ]
    bad = fleet("vm", "list", "-l", "tag")
    assert bad.code == 2 and "-l/--selector" in bad.stderr


def test_suspend_and_resume(fleet: Fleet) -> None:
    def qmp(vmid: int) -> str:
        return str(fleet("api", "get", f"/nodes/pve2/qemu/{vmid}/status/current", "-o", "json").json()["qmpstatus"])

    assert fleet("vm", "suspend", "db-001").code == 0
    assert qmp(101) == "paused" and fleet.status(101) == "running"
    refused = fleet("vm", "suspend", "-l", "tag=db", "--node", "pve2")
    assert refused.code == 2 and "refusing to suspend" in refused.stderr
    assert fleet("vm", "resume", "101").code == 0 and qmp(101) == "running"
    assert fleet("vm", "stop", "101").code == 0
    failed = fleet("vm", "resume", "101")
    assert failed.code == 1 and "not running" in failed.stderr
