"""backup create and restore when the network or PVE misbehaves: a write is never sent twice, a lost answer is
reconciled from the node's task list, and what cannot be known is reported as unknown (exit 7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvectl.backup import run as runner
from tests.backup.conftest import BackupCli, backup_cli


def test_create_lost_answer_is_reconciled_from_the_task_list(cli: BackupCli) -> None:
    cli.lose_after.add("POST /nodes/pve2/vzdump")
    run = cli("backup", "create", "100", "101", "102", "--storage", "cephfs", "-o", "json")
    assert run.code == 0, run.stderr
    assert {r["outcome"] for r in run.json()} == {"done"}
    assert cli.writes().count("POST /nodes/pve2/vzdump") == 1  # followed, never sent again


def test_create_answer_lost_before_pve_acted_is_unknown(cli: BackupCli) -> None:
    cli.sim.inject("fail:path=/nodes/pve2/vzdump,method=POST,status=504,message=gateway timeout")
    run = cli("backup", "create", "100", "101", "--storage", "cephfs", "-o", "json")
    assert run.code == 7  # none failed, one unknown: check before running it again
    outcomes = {r["vmid"]: r["outcome"] for r in run.json()}
    assert outcomes == {100: "done", 101: "unknown"}
    assert "no vzdump task was found on pve2" in run.stderr
    cli.sim.inject("backup-fail:vmid=100")
    mixed = cli("backup", "create", "100", "101", "--storage", "cephfs")
    assert mixed.code == 8  # one failed: a failure outweighs an unknown


def test_create_refused_by_pve_fails_that_nodes_guests(cli: BackupCli) -> None:
    cli.sim.inject("fail:path=/nodes/pve2/vzdump,method=POST,status=500,message=got timeout")
    run = cli("backup", "create", "100", "101", "102", "--storage", "cephfs", "-o", "json")
    assert run.code == 8
    by_id = {r["vmid"]: r for r in run.json()}
    assert by_id[100]["outcome"] == "done"
    assert by_id[101]["outcome"] == by_id[102]["outcome"] == "failed"
    assert "got timeout" in by_id[101]["message"]


def test_create_log_that_cannot_be_read_is_unknown(cli: BackupCli) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/tasks/{upid}/log,method=GET,status=500,count=1000")
    run = cli("backup", "create", "100", "--storage", "cephfs", "-o", "json")
    assert run.code == 7
    assert run.json()[0]["outcome"] == "unknown" and "could not be read to the end" in run.json()[0]["message"]


def test_a_node_that_stops_answering_is_not_waited_for_hours(cli: BackupCli) -> None:
    # as the core's poll loop (TRANSIENT_FOR): a minute of failed reads in a row ends the wait; the task may go on
    cli.sim.inject("fail:path=/nodes/{node}/tasks/{upid}/status,method=GET,status=502,count=100000")
    run = cli("backup", "create", "100", "--storage", "cephfs", "--timeout", "1h", "-o", "json")
    assert run.code == 7, run.stderr
    (out,) = run.json()
    assert out["outcome"] == "unknown" and "its node did not answer for a minute" in out["message"]
    assert "pvectl task wait" in " ".join(out["remedies"])
    reads = [r for r in cli.requests if r.url.path.endswith("/status") and "vzdump" in r.url.path]
    assert len(reads) < 100  # about a minute of reads, not an hour's


def test_a_locked_vm_fails_inside_the_job(cli: BackupCli) -> None:
    cli.sim.inject("lock-vm:vmid=102,lock=snapshot")
    run = cli("backup", "create", "101", "102", "--storage", "cephfs", "-o", "json")
    assert run.code == 8
    assert "VM is locked (snapshot)" in {r["vmid"]: r for r in run.json()}[102]["message"]


def test_restore_lost_answer_is_reconciled(cli: BackupCli) -> None:
    cli("backup", "create", "101", "--storage", "cephfs")
    (volid,) = cli.volids()
    cli.lose_after.add("POST /nodes/pve1/qemu")
    run = cli("backup", "restore", volid, "--vmid", "160", "-o", "json")
    assert run.code == 0, run.stderr
    assert run.json()["outcome"] == "done" and any("qmrestore task UPID:" in c for c in run.json()["checked"])
    assert cli.writes().count("POST /nodes/pve1/qemu") == 1
    assert cli("vm", "show", "160", "-o", "json").json()["name"] == "web1"


def test_container_restore_lost_answer_is_reconciled_from_its_vzrestore_task(cli: BackupCli) -> None:
    # pve-container src/PVE/API2/LXC.pm create_vm forks a 'vzrestore' worker with the vmid as its id
    ns1 = cli.guest_id("ns1")
    cli("backup", "create", str(ns1), "--storage", "cephfs")
    (volid,) = cli.volids()
    cli.lose_after.add("POST /nodes/pve1/lxc")
    run = cli("backup", "restore", volid, "--vmid", "260", "-o", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert (out["outcome"], out["guest"], out["name"]) == ("done", "lxc", "ns1")
    assert ":vzrestore:260:" in out["upid"] and any("vzrestore task UPID:" in c for c in out["checked"])
    assert cli.writes().count("POST /nodes/pve1/lxc") == 1


def test_restore_answer_lost_before_pve_acted_is_verified_not_done(cli: BackupCli) -> None:
    cli("backup", "create", "101", "--storage", "cephfs")
    (volid,) = cli.volids()
    cli.sim.inject("fail:path=/nodes/pve1/qemu,method=POST,status=502,message=bad gateway")
    run = cli("backup", "restore", volid, "--vmid", "161")
    assert run.code == 1 and "shows no qmrestore task" in run.stderr  # the task list says: nothing happened
    assert cli.writes().count("POST /nodes/pve1/qemu") == 1


def test_restore_task_failure_is_exit_1(cli: BackupCli) -> None:
    cli("backup", "create", "101", "--storage", "cephfs")
    (volid,) = cli.volids()
    cli.sim.inject("task-fail:type=qmrestore,message=unable to restore - disk full")
    run = cli("backup", "restore", volid, "--vmid", "162")
    assert run.code == 1 and "disk full" in run.stderr


@pytest.fixture
def slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BackupCli]:
    yield from backup_cli(tmp_path, monkeypatch, task_seconds=30)


def test_ctrl_c_leaves_the_task_running_and_says_so(slow: BackupCli, monkeypatch: pytest.MonkeyPatch) -> None:
    polls = {"n": 0}
    real = runner.poll

    def interrupting(client: object, job: runner.NodeJob) -> None:
        polls["n"] += 1
        if polls["n"] > 1:
            raise KeyboardInterrupt
        real(client, job)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "poll", interrupting)
    run = slow("backup", "create", "101", "102", "--storage", "cephfs", "-o", "json")
    assert run.code == 130
    assert {r["outcome"] for r in run.json()} == {"interrupted"}
    assert "still running: UPID:pve2:" in run.stderr and "backed up before Ctrl-C: none" in run.stderr


def test_ctrl_c_while_sending_names_what_was_never_sent(cli: BackupCli, monkeypatch: pytest.MonkeyPatch) -> None:
    real = runner.start

    def interrupted_on_pve2(client: object, job: runner.NodeJob) -> None:
        if job.request.node == "pve2":
            raise KeyboardInterrupt
        real(client, job)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "start", interrupted_on_pve2)
    run = cli("backup", "create", "100", "101", "--storage", "cephfs", "-o", "json")
    assert run.code == 130
    by_id = {r["vmid"]: r for r in run.json()}
    assert by_id[101]["outcome"] == "unknown" and "being sent" in by_id[101]["message"]
    assert by_id[100]["outcome"] in ("done", "interrupted")


def test_no_wait_prints_one_task_per_node(cli: BackupCli) -> None:
    run = cli("backup", "create", "100", "101", "102", "--storage", "cephfs", "--no-wait", "-o", "text")
    assert run.code == 0, run.stderr
    upids = run.stdout.split()
    assert len(upids) == 2 and all(u.startswith("UPID:") and ":vzdump:" in u for u in upids)
    rows = cli("backup", "create", "100", "--storage", "local", "--no-wait", "-o", "json").json()
    assert [(r["node"], r["vmids"]) for r in rows] == [("pve1", [100])]


def test_a_lost_answer_never_adopts_another_guests_task(cli: BackupCli) -> None:
    assert cli("backup", "create", "102", "--storage", "cephfs", "--no-wait").code == 0  # vzdump task id 102
    cli.sim.inject("fail:path=/nodes/pve2/vzdump,method=POST,status=504,message=gateway timeout")
    run = cli("backup", "create", "101", "--storage", "cephfs", "-o", "json")
    assert run.code == 7 and run.json()[0]["outcome"] == "unknown"  # 102's task is not 101's


def test_restore_waits_hours_by_default_and_as_long_as_told(cli: BackupCli, monkeypatch: Any) -> None:
    import pvectl.guest.run as core_run

    cli("backup", "create", "101", "--storage", "cephfs")
    (volid,) = cli.volids()
    waits: list[float | None] = []
    real = core_run.execute

    def execute(client: Any, write: Any, *, timeout: float | None = None, **kw: Any) -> Any:
        waits.append(timeout)
        return real(client, write, timeout=timeout, **kw)

    monkeypatch.setattr(core_run, "execute", execute)
    assert cli("backup", "restore", volid, "--vmid", "170").code == 0
    assert cli("backup", "restore", volid, "--vmid", "171", "--timeout", "90s").code == 0
    assert waits == [6 * 3600.0, 90.0]  # a big restore takes hours; 1 h was the default
