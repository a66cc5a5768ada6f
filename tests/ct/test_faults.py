"""`ct create` behind the fault proxy: a lost or garbled answer is reconciled by asking, never by resending."""

from __future__ import annotations

import pytest

from tests.faults.conftest import Faulty, Run

CREATE = r"/nodes/pve1/lxc"
START = r"/nodes/pve1/lxc/\d+/status/start"
ARGS = ("--node", "pve1", "--hostname", "box1", "--disk", "local-lvm:4")


def create(pve: Faulty, *flags: str) -> Run:
    template = () if "--template" in flags else ("--template", "debian-12")
    run = pve("-o", "json", "ct", "create", *ARGS, *template, *flags)
    assert "internal error" not in run.text and "Traceback" not in run.text, run.text
    return run


def exists(pve: Faulty, vmid: int) -> bool:
    return any(g["vmid"] == vmid and g["type"] == "lxc" for g in pve.get("/cluster/resources", "type=vm"))


@pytest.mark.parametrize(
    "action",
    [
        {"action": "drop-after"},
        {"action": "status-after", "status": 502},
        {"action": "status-after", "status": 504},
        {"action": "delay-after", "delay": 3.0},
        {"action": "body", "body": None},
    ],
    ids=["dropped", "502", "504", "slower-than-timeout", "null-answer"],
)
def test_lost_create_answer_is_reconciled(pve: Faulty, action: dict[str, object]) -> None:
    pve.proxy.add("POST", CREATE, **action)  # type: ignore[arg-type]
    n = int(pve.get("/cluster/nextid"))
    run = create(pve)
    assert run.code == 0, run.text
    outcome = run.json()
    assert outcome["outcome"] == "created" and outcome["vmid"] == n, outcome  # not "nothing created"
    assert exists(pve, n)
    assert pve.proxy.writes().count("POST /nodes/pve1/lxc") == 1  # asked, never sent again


def test_refused_create_is_nothing_created(pve: Faulty) -> None:
    pve.proxy.add("POST", CREATE, "status", status=500)
    run = create(pve)
    assert run.code == 1, run.text
    assert run.json()["outcome"] == "nothing-created"


def test_lost_start_answer_is_checked_not_resent(pve: Faulty) -> None:
    pve.proxy.add("POST", START, "drop-after")
    run = create(pve, "--start")
    assert run.code == 0, run.text
    assert run.json()["done"] == ["create", "start"]
    assert len([w for w in pve.proxy.writes() if w.endswith("/status/start")]) == 1


def test_refused_start_is_partial_with_the_ct_remedy(pve: Faulty) -> None:
    pve.proxy.add("POST", START, "status", status=500)
    n = int(pve.get("/cluster/nextid"))
    run = create(pve, "--start")
    assert run.code == 6, run.text
    outcome = run.json()
    assert outcome["outcome"] == "partial" and outcome["missing"] == ["CT start"]
    assert f"pvectl ct start {n}" in outcome["remedies"]
    assert exists(pve, n)


def test_ctrl_c_while_the_create_task_runs(slow_pve: Faulty) -> None:
    from tests.faults.test_interrupt import interrupt_when

    code, out, err = interrupt_when(
        slow_pve,
        r"GET /nodes/pve1/tasks/.*/status",
        "-o",
        "json",
        "ct",
        "create",
        *ARGS,
        "--template",
        "debian-12",
        "--start",
    )
    assert code == 130, out + err
    outcome = __import__("json").loads(out)
    assert outcome["outcome"] == "interrupted" and ":vzcreate:" in outcome["upid"]
    assert "CT 103 is being created" in outcome["message"] and "goes on" in outcome["message"]
    assert outcome["missing"] == ["CT start"] and "pvectl ct start 103" in outcome["remedies"]
    assert slow_pve.proxy.writes() == ["POST /nodes/pve1/lxc"]


@pytest.mark.parametrize(
    "action", [{"action": "drop-after"}, {"action": "status-after", "status": 502}], ids=["lost", "502"]
)
def test_lost_template_download_answer_is_checked_not_resent(pve: Faulty, action: dict[str, object]) -> None:
    pve.proxy.add("POST", r"/nodes/pve1/aplinfo", **action)  # type: ignore[arg-type]
    run = create(pve, "--template", "debian-13", "--pull", "--template-storage", "local")
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "created"
    assert pve.proxy.writes().count("POST /nodes/pve1/aplinfo") == 1
