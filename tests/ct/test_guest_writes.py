"""The guest core's fault matrix on `ct` writes: every ambiguous-answer class after the server acted is
reconciled from the task list (never resent); one odd answer in a bulk run affects only its container.

The world: CT 110 (ns1, pve1) running, CT 111 (cache1, pve2, on ceph-pool) stopped; tasks end at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.conftest import Faulty
from tests.faults.test_guest_writes import AMBIGUOUS, IDS


def sent(pve: Faulty, suffix: str) -> int:
    return sum(1 for w in pve.proxy.writes() if w.endswith(suffix))


def ct_status(pve: Faulty, node: str, vmid: int) -> str:
    return str(pve.get(f"/nodes/{node}/lxc/{vmid}/status/current")["status"])


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS, ids=IDS)
def test_start_after_an_ambiguous_answer_is_done(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/lxc/111/status/start", action, **kwargs)
    run = pve("-o", "json", "ct", "start", "111")
    assert run.code == 0, run.text
    out = run.json()
    assert out["outcome"] == "done" and out["guest"] == "lxc" and ":vzstart:111:" in out["upid"]
    assert ct_status(pve, "pve2", 111) == "running"
    assert sent(pve, "/111/status/start") == 1


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS[:3], ids=IDS[:3])
def test_bulk_shutdown_one_odd_answer_affects_only_its_container(
    pve: Faulty, action: str, kwargs: dict[str, Any]
) -> None:
    pve.proxy.add("POST", r"/nodes/pve1/lxc/110/status/shutdown", action, **kwargs)
    run = pve("-o", "json", "ct", "shutdown", "--all", "--yes")
    assert run.code == 0, run.text
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[110]["outcome"] == "done" and by_id[111]["outcome"] == "already"
    assert sent(pve, "/110/status/shutdown") == 1


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS[:2], ids=IDS[:2])
def test_lost_snapshot_and_migrate_answers_are_reconciled(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/lxc/111/snapshot", action, **kwargs)
    snap = pve("-o", "json", "ct", "snapshot", "create", "cache1", "s1")
    assert snap.code == 0 and ":vzsnapshot:111:" in snap.json()["upid"], snap.text
    pve.proxy.add("POST", r"/nodes/pve1/lxc/110/migrate", action, **kwargs)
    moved = pve("-o", "json", "ct", "migrate", "ns1", "--to", "pve2")
    assert moved.code == 0 and ":vzmigrate:110:" in moved.json()["upid"], moved.text
    assert sent(pve, "/111/snapshot") == 1 and sent(pve, "/110/migrate") == 1


def test_lost_delete_answer_is_checked_not_resent(pve: Faulty) -> None:
    pve.proxy.add("DELETE", r"/nodes/pve2/lxc/111", "drop-after")
    run = pve("-o", "json", "ct", "delete", "111", "--yes")
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "done" and ":vzdestroy:111:" in run.json()["upid"]
    assert pve.proxy.writes().count("DELETE /nodes/pve2/lxc/111") == 1


def test_lost_template_answer_is_read_from_the_config(pve: Faulty) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/lxc/111/template", "drop-after")
    run = pve("-o", "json", "ct", "template", "convert", "cache1")
    assert run.code == 0 and run.json()["outcome"] == "done", run.text
    assert sent(pve, "/111/template") == 1


def test_refused_is_failed_and_verified_absent(pve: Faulty) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/lxc/111/status/start", "status", status=502)  # never reached PVE
    run = pve("-o", "json", "ct", "start", "111")
    assert run.code == 1 and "no vzstart" in run.json()["message"], run.text
    assert ct_status(pve, "pve2", 111) == "stopped"


def test_ctrl_c_in_a_bulk_run_names_the_running_tasks(slow_pve: Faulty) -> None:
    from tests.faults.test_interrupt import interrupt_when

    code, out, err = interrupt_when(
        slow_pve, r"GET /nodes/pve\d/tasks/.*/status", "ct", "start", "--all", "--parallel", "1"
    )
    assert code == 130, out + err
    assert "interrupted" in err and ":vzstart:111:" in err  # the running task, named whole
    assert slow_pve.proxy.writes() == ["POST /nodes/pve2/lxc/111/status/start"]  # nothing new started
