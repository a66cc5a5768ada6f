"""Lost, late and garbled answers during `vm create`: the outcome says what exists; no write goes out twice."""

from __future__ import annotations

import pytest

from tests.faults.conftest import Faulty, Run

CREATE = r"/nodes/pve1/qemu"
CONFIG = r"/nodes/pve1/qemu/\d+/config"
STATUS = r"/nodes/pve1/tasks/[^/]+/status"
START = r"/nodes/pve1/qemu/\d+/status/start"


def create(pve: Faulty, *flags: str) -> Run:
    run = pve("-o", "json", "vm", "create", "--node", "pve1", "--name", "web7", *flags)
    assert "internal error" not in run.text and "Traceback" not in run.text, run.text
    return run


def once_each(pve: Faulty) -> None:
    writes = pve.proxy.writes()
    assert len(writes) == len(set(writes)), writes  # no write was sent twice


def nextid(pve: Faulty) -> int:
    return int(pve.get("/cluster/nextid"))


def vm_exists(pve: Faulty, vmid: int) -> bool:
    return any(g["vmid"] == vmid for g in pve.get("/cluster/resources", "type=vm"))


@pytest.mark.parametrize(
    "action",
    [
        {"action": "drop-after"},
        {"action": "status-after", "status": 502},
        {"action": "status-after", "status": 504},
        {"action": "delay-after", "delay": 3.0},
    ],
    ids=["dropped", "502", "504", "slower-than-timeout"],
)
def test_lost_create_answer_is_reconciled(pve: Faulty, action: dict[str, object]) -> None:
    pve.proxy.add("POST", CREATE, **action)  # type: ignore[arg-type]
    n = nextid(pve)
    run = create(pve)
    assert run.code == 0, run.text
    outcome = run.json()
    assert outcome["outcome"] == "created" and outcome["vmid"] == n
    assert (outcome["action"], outcome["name"]) == ("create", "web7")  # the JSON names the VM, as ct create's
    assert vm_exists(pve, n)
    assert pve.proxy.writes().count("POST /nodes/pve1/qemu") == 1
    once_each(pve)


def test_lost_serial_console_answer_is_compared_not_resent(pve: Faulty) -> None:
    pve.proxy.add("PUT", CONFIG, "drop-after")
    run = create(pve)
    assert run.code == 0, run.text
    assert run.json()["done"] == ["create", "serial"]
    once_each(pve)


def test_serial_console_refused_is_partial_with_remedy(pve: Faulty) -> None:
    pve.proxy.add("PUT", CONFIG, "status", status=500)
    n = nextid(pve)
    run = create(pve, "--start")
    assert run.code == 6, run.text
    outcome = run.json()
    assert outcome["outcome"] == "partial" and outcome["missing"] == ["serial console", "VM start"]
    assert f"pvectl vm serial-console enable {n}" in run.stderr
    assert f"pvectl vm start {n}" in run.stderr
    once_each(pve)


def test_lost_start_answer_is_checked(pve: Faulty) -> None:
    pve.proxy.add("POST", START, "drop-after")
    run = create(pve, "--start")
    assert run.code == 0, run.text
    assert run.json()["done"] == ["create", "serial", "start"]
    once_each(pve)


def test_create_answer_without_upid_is_reconciled(pve: Faulty) -> None:
    pve.proxy.add("POST", CREATE, "body", body=None)
    run = create(pve)
    assert run.code == 0, run.text
    assert run.json()["outcome"] == "created"
    once_each(pve)


def test_create_refused_is_nothing_created(pve: Faulty) -> None:
    pve.proxy.add("POST", CREATE, "status", status=500)
    n = nextid(pve)
    run = create(pve)
    assert run.code == 1 and run.json()["outcome"] == "nothing-created", run.text
    assert not vm_exists(pve, n)


def test_create_401_is_nothing_created(pve: Faulty) -> None:
    pve.proxy.add("POST", CREATE, "status", status=401)
    run = create(pve)
    assert run.code == 1 and run.json()["outcome"] == "nothing-created", run.text
    assert pve.proxy.writes() == ["POST /nodes/pve1/qemu"]


def test_403_on_serial_console_is_partial(pve: Faulty) -> None:
    pve.proxy.add("PUT", CONFIG, "status", status=403)
    n = nextid(pve)
    run = create(pve)
    assert run.code == 6 and run.json()["outcome"] == "partial", run.text
    assert f"pvectl vm serial-console enable {n}" in run.json()["remedies"]


def test_403_while_polling_is_unknown_with_upid(pve: Faulty) -> None:
    pve.proxy.add("GET", STATUS, "status", status=403, count=100)
    n = nextid(pve)
    run = create(pve)
    assert run.code == 7, run.text
    outcome = run.json()
    assert outcome["outcome"] == "unknown" and outcome["vmid"] == n
    assert outcome["upid"].startswith("UPID:pve1:") and "pvectl task wait" in outcome["remedies"][0]


def test_one_transient_500_while_polling(pve: Faulty) -> None:
    pve.proxy.add("GET", STATUS, "status", status=500, count=3)  # more than the transport's own GET retries
    run = create(pve)
    assert run.code == 0 and run.json()["outcome"] == "created", run.text


def test_status_without_status_is_unknown_not_forever(pve: Faulty) -> None:
    pve.proxy.add("GET", STATUS, "body", body={"pid": 1}, count=100)
    run = create(pve)
    assert run.code == 7, run.text
    outcome = run.json()
    assert outcome["outcome"] == "unknown" and outcome["upid"] and "unexpected answer" in run.stderr
    assert len([p for m, p in pve.proxy.requests if p.endswith("/status") and "tasks" in p]) <= 5


def test_lost_answer_and_server_unreachable_afterwards_is_unknown(pve: Faulty) -> None:
    n = nextid(pve)
    pve.proxy.add("POST", CREATE, "drop-after")
    pve.proxy.add("GET", rf"/(nodes/pve1/(qemu/{n}/config|tasks)|cluster/tasks)", "status", status=503, count=1000)
    run = create(pve)
    assert run.code == 7, run.text
    outcome = run.json()
    assert outcome["outcome"] == "unknown" and outcome["vmid"] == n and outcome["checked"]
    assert f"pvectl vm show {n}" in outcome["remedies"]
    once_each(pve)


# Odd shapes at each read of the flow: one line naming the request, exit 1, nothing written.
ODD_BEFORE = [
    ("/version", None, "GET /version returned null"),
    ("/version", [], "GET /version returned a list"),
    ("/version", {"version": 9}, "GET /version"),
    ("/nodes", ["pve1"], "GET /nodes returned a list"),
    ("/nodes", {"pve1": 1}, "GET /nodes"),
    ("/cluster/nextid", "abc", "GET /cluster/nextid"),
    ("/nodes/pve1/storage", [1, 2], "GET /nodes/pve1/storage"),
    ("/nodes/pve1/storage/cephfs/content", [{"volid": "cephfs:iso/x.iso", "size": "big"}], "content"),
    ("/nodes/pve1/network", "vmbr0", "GET /nodes/pve1/network"),
    ("/cluster/resources", {"data": 1}, "GET /cluster/resources"),
]


@pytest.mark.parametrize(("path", "body", "named"), ODD_BEFORE, ids=[f"{p}:{b!r}"[:40] for p, b, _ in ODD_BEFORE])
def test_odd_answer_before_writing(pve: Faulty, path: str, body: object, named: str) -> None:
    pve.proxy.add("GET", path, "body", body=body, count=10)
    run = create(pve, *(["--vmid", "150"] if path == "/cluster/resources" else []))
    assert run.code == 1, run.text
    assert "unexpected answer from the server" in run.stderr and named in run.stderr
    assert pve.proxy.writes() == []


def test_odd_config_answer_in_the_serial_step_is_partial(pve: Faulty) -> None:
    pve.proxy.add("GET", CONFIG, "body", body=[], count=10)
    n = nextid(pve)
    run = create(pve)
    assert run.code == 6, run.text
    outcome = run.json()
    assert outcome["outcome"] == "partial" and outcome["vmid"] == n
    assert outcome["remedies"] == [f"pvectl vm serial-console enable {n}"]


def test_lost_ha_answer_is_checked_not_resent(old_pve: Faulty) -> None:
    old_pve.proxy.add("POST", r"/cluster/ha/resources", "drop-after")
    run = create(old_pve, "--ha")
    assert run.code == 0, run.text
    assert run.json()["done"] == ["create", "serial", "ha"]
    assert old_pve.proxy.writes().count("POST /cluster/ha/resources") == 1


def test_ha_refused_is_partial_with_remedy(old_pve: Faulty) -> None:
    old_pve.proxy.add("POST", r"/cluster/ha/resources", "status", status=500)
    n = nextid(old_pve)
    run = create(old_pve, "--ha")
    assert run.code == 6, run.text
    assert run.json()["remedies"] == [f"pvectl api cluster ha resources create --sid vm:{n} --state stopped"]
