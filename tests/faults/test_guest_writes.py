"""Day-2 writes (power verbs, delete) through every ambiguous-answer class of the fault proxy: the outcome kind,
the exit code, the ids and UPIDs named, no write sent twice, the other guests processed.

The world: VM 100 (dns1, pve1) and 101 (web1, pve2) running, 102 (scratch, pve2) stopped; tasks end at once.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.conftest import Faulty

STOP_101 = r"/nodes/pve2/qemu/101/status/stop"
START_102 = r"/nodes/pve2/qemu/102/status/start"

# Every way an answer can go missing or odd after the server acted (the proxy forwards first).
AMBIGUOUS: list[tuple[str, dict[str, Any]]] = [
    ("drop-after", {}),
    ("status-after", {"status": 502}),
    ("status-after", {"status": 504}),
    ("delay-after", {"delay": 3}),
    ("body", {"body": None}),
    ("body", {"body": {"odd": "shape"}}),
    ("body", {"body": "not-a-upid"}),
]
IDS = ["lost", "502", "504", "timeout", "data-null", "object", "string"]


def status(pve: Faulty, node: str, vmid: int) -> str:
    return str(pve.get(f"/nodes/{node}/qemu/{vmid}/status/current")["status"])


def sent(pve: Faulty, suffix: str) -> int:
    return sum(1 for w in pve.proxy.writes() if w.endswith(suffix))


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS, ids=IDS)
def test_single_start_after_an_ambiguous_answer_is_done(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve.proxy.add("POST", START_102, action, **kwargs)
    run = pve("-o", "json", "vm", "start", "102")
    assert run.code == 0, run.text
    out = run.json()
    assert out["outcome"] == "done" and out["vmid"] == 102 and out["action"] == "start"
    assert out["upid"] and ":qmstart:102:" in out["upid"]  # the task was found by asking, and followed
    assert out["checked"], out
    assert status(pve, "pve2", 102) == "running"
    assert sent(pve, "/102/status/start") == 1


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS, ids=IDS)
def test_bulk_stop_one_odd_answer_affects_only_its_vm(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve.proxy.add("POST", STOP_101, action, **kwargs)
    run = pve("-o", "json", "vm", "stop", "100", "101", "102", "--yes")
    assert run.code == 0, run.text
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[100]["outcome"] == "done" and by_id[101]["outcome"] == "done"
    assert by_id[102]["outcome"] == "already"  # stopped already: nothing sent, and that is success
    assert ":qmstop:101:" in by_id[101]["upid"]
    assert sent(pve, "/101/status/stop") == 1 and sent(pve, "/100/status/stop") == 1
    assert sent(pve, "/102/status/stop") == 0


def test_refused_is_failed_exit_1(pve: Faulty) -> None:
    pve.proxy.add("POST", START_102, "status", status=500)
    run = pve("vm", "start", "102")
    assert run.code == 1, run.text
    assert "VM 102 (scratch)" in run.stderr and "refused" in run.stderr
    assert status(pve, "pve2", 102) == "stopped"


def test_refused_in_bulk_is_failed_and_the_rest_goes_on(pve: Faulty) -> None:
    pve.proxy.add("POST", STOP_101, "status", status=500)
    run = pve("-o", "json", "vm", "stop", "100", "101", "--yes")
    assert run.code == 8, run.text
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[101]["outcome"] == "failed" and by_id[100]["outcome"] == "done"
    assert "101 (web1)" in run.stderr


def test_ambiguous_answer_without_a_task_is_verified_failed(pve: Faulty) -> None:
    # a 502 whose request never reached PVE (the proxy answers without forwarding): no task, state unchanged
    pve.proxy.add("POST", START_102, "status", status=502)
    run = pve("-o", "json", "vm", "start", "102")
    assert run.code == 1, run.text
    out = run.json()
    assert out["outcome"] == "failed" and "no qmstart or hastart task" in out["message"]
    assert sent(pve, "/102/status/start") == 1


def test_already_in_the_target_state_is_success(pve: Faulty) -> None:
    run = pve("-o", "json", "vm", "start", "100")
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "already" and sent(pve, "/status/start") == 0


def test_single_vm_json_and_query(pve: Faulty) -> None:
    run = pve("-o", "json", "--query", "outcome", "vm", "stop", "101")
    assert run.code == 0 and run.stdout.strip() == '"done"', run.text
    text = pve("vm", "start", "101")
    assert text.code == 0 and text.stdout.startswith("VM 101 (web1): started"), text.text
    yaml = pve("-o", "yaml", "vm", "stop", "101")
    assert yaml.code == 0 and "outcome: done" in yaml.stdout, yaml.text


def test_lost_delete_answer_is_checked_not_resent(pve: Faulty) -> None:
    pve.proxy.add("DELETE", r"/nodes/pve2/qemu/102", "drop-after")
    run = pve("-o", "json", "vm", "delete", "102", "--yes")
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "done" and ":qmdestroy:102:" in run.json()["upid"]
    assert pve.proxy.writes().count("DELETE /nodes/pve2/qemu/102") == 1


def test_lost_status_reads_after_the_act_is_unknown_with_the_upid(pve: Faulty) -> None:
    pve.proxy.add("GET", r"/nodes/pve2/tasks/.*/status", "status", status=403, count=100)
    run = pve("-o", "json", "vm", "start", "102")
    assert run.code == 7, run.text
    out = run.json()
    assert out["outcome"] == "unknown" and ":qmstart:102:" in out["upid"]
    assert any("pvectl task wait" in r for r in out["remedies"])


def test_vm_wait_outlives_one_connection_reset(pve: Faulty) -> None:
    pve.proxy.add("GET", r"/nodes/pve2/qemu/101/status/current", "drop-after", count=4)  # beyond the SDK retry
    run = pve("vm", "wait", "101", "--for", "status=running", "--timeout", "30s")
    assert run.code == 0, run.text


def test_template_after_a_lost_answer_is_done(pve: Faulty) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/qemu/102/template", "drop-after")
    run = pve("-o", "json", "vm", "template", "102", "--yes")
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "done" and ":qmtemplate:102:" in run.json()["upid"]
    assert pve.proxy.writes().count("POST /nodes/pve2/qemu/102/template") == 1


def test_snapshot_create_bulk_lost_answer_is_reconciled(pve: Faulty) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/qemu/102/snapshot", "status-after", status=502)
    run = pve("-o", "json", "vm", "snapshot", "create", "100", "102", "s1")
    assert run.code == 0, run.text
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[102]["outcome"] == "done" and ":qmsnapshot:102:" in by_id[102]["upid"]
    assert pve.proxy.writes().count("POST /nodes/pve2/qemu/102/snapshot") == 1


@pytest.mark.parametrize(("action", "kwargs"), [("body", {"body": None}), ("drop-after", {}), ("body", {"body": 7})])
def test_clone_after_an_odd_answer_follows_the_task(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/qemu/102/clone", action, **kwargs)
    run = pve("-o", "json", "vm", "clone", "102", "copy1", "--vmid", "150")
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "done" and ":qmclone:102:" in run.json()["upid"]
    assert pve.proxy.writes().count("POST /nodes/pve2/qemu/102/clone") == 1
