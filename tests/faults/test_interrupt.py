"""Ctrl-C (SIGINT to a real `pvectl` process) at each wait: the UPID, "the task goes on", what is left, exit 130."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.faults.conftest import Faulty

WAIT = 30  # seconds: a bound on every step of these tests, never reached when things work

# A second Ctrl-C ends pvectl with 130, or, when it lands while Python is already exiting (the interpreter puts
# SIGINT back to its default there), by the signal itself: the shell shows 130 either way, with nothing printed.
BY_CTRL_C = (130, -signal.SIGINT)


def interrupt_when(pve: Faulty, pattern: str, *args: str) -> tuple[int, str, str]:
    """Run pvectl ARGS, press Ctrl-C once a request matching ``pattern`` reached the proxy."""
    seen = pve.proxy.signal_on(pattern)
    proc = pve.spawn(*args)
    try:
        assert seen.wait(WAIT), f"never saw {pattern}: {pve.proxy.requests}"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=WAIT)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    assert "internal error" not in out + err and "Traceback" not in err, out + err
    return proc.returncode, out, err


def start_task(pve: Faulty, vmid: int, node: str) -> str:
    headers = {"Authorization": f"PVEAPIToken={pve.token}"}
    answer = pve.sim.handle("POST", f"/api2/json/nodes/{node}/qemu/{vmid}/status/start", "", headers, b"")
    return str(answer.json()["data"])


def test_ctrl_c_while_create_waits(slow_pve: Faulty) -> None:
    code, out, err = interrupt_when(
        slow_pve, r"GET /nodes/pve1/tasks/.*/status", "vm", "create", "--node", "pve1", "--name", "c1"
    )
    assert code == 130, out + err
    assert "UPID:pve1:" in err and "goes on" in err
    assert "serial console" in err and "pvectl task wait 'UPID:pve1:" in err
    assert "VM 103 is being created" in err
    assert slow_pve.proxy.writes() == ["POST /nodes/pve1/qemu"]


def test_ctrl_c_while_create_waits_json(slow_pve: Faulty) -> None:
    code, out, err = interrupt_when(
        slow_pve, r"GET /nodes/pve1/tasks/.*/status", "-o", "json", "vm", "create", "--node", "pve1", "--start"
    )
    assert code == 130, out + err
    outcome = json.loads(out)
    assert outcome["outcome"] == "interrupted" and outcome["upid"].startswith("UPID:pve1:")
    assert outcome["missing"] == ["serial console", "VM start"]
    assert outcome["remedies"][0].startswith("pvectl task wait") and "pvectl vm start 103" in outcome["remedies"]


def test_ctrl_c_while_the_create_request_is_in_flight(slow_pve: Faulty) -> None:
    slow_pve.proxy.add("POST", r"/nodes/pve1/qemu", "delay-after", delay=5)
    code, out, err = interrupt_when(slow_pve, r"POST /nodes/pve1/qemu", "vm", "create", "--node", "pve1")
    assert code == 130, out + err
    assert "VM 103" in err and "UPID:pve1:" in err  # found by asking the server, not by sending again
    assert slow_pve.proxy.writes() == ["POST /nodes/pve1/qemu"]


@pytest.mark.parametrize(
    ("args", "doing"),
    [
        (("vm", "start", "102"), "VM 102 is being started"),
        (("vm", "delete", "102", "--yes"), "VM 102 is being deleted"),
    ],
)
def test_ctrl_c_while_a_vm_command_waits(slow_pve: Faulty, args: tuple[str, ...], doing: str) -> None:
    code, out, err = interrupt_when(slow_pve, r"GET /nodes/pve2/tasks/.*/status", *args)
    assert code == 130, out + err
    assert doing in err and "goes on" in err and "pvectl task wait 'UPID:pve2:" in err


def test_ctrl_c_during_task_wait(slow_pve: Faulty) -> None:
    upid = start_task(slow_pve, 102, "pve2")
    code, out, err = interrupt_when(slow_pve, r"GET /nodes/pve2/tasks/.*/status", "task", "wait", upid)
    assert code == 130, out + err
    assert upid in err and "goes on" in err


def test_ctrl_c_during_a_generated_api_task_command(slow_pve: Faulty) -> None:
    code, out, err = interrupt_when(
        slow_pve,
        r"GET /nodes/pve2/tasks/.*/status",
        "api",
        "nodes",
        "qemu",
        "status",
        "start",
        "--node",
        "pve2",
        "--vmid",
        "102",
    )
    assert code == 130, out + err
    assert "UPID:pve2:" in err and "goes on" in err


def test_second_ctrl_c_exits_at_once(slow_pve: Faulty) -> None:
    # the first Ctrl-C lands while the create request is held; the second during the checks that follow
    slow_pve.proxy.add("POST", r"/nodes/pve1/qemu", "delay-after", delay=8)
    slow_pve.proxy.add("GET", r"/nodes/pve1/qemu/\d+/config", "delay-after", delay=8, count=10)
    seen = slow_pve.proxy.signal_on(r"GET /nodes/pve1/qemu/\d+/config")
    post = slow_pve.proxy.signal_on(r"POST /nodes/pve1/qemu")
    proc = slow_pve.spawn("vm", "create", "--node", "pve1")
    try:
        assert post.wait(WAIT)
        proc.send_signal(signal.SIGINT)
        assert seen.wait(WAIT)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)  # well before the held answers would come
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode in BY_CTRL_C, out + err
    assert slow_pve.proxy.writes() == ["POST /nodes/pve1/qemu"]


def test_ctrl_c_in_a_bulk_run_ends_within_two_seconds(slow_pve: Faulty) -> None:
    import time

    seen = slow_pve.proxy.signal_on(r"GET /nodes/pve\d/tasks/.*/status")
    proc = slow_pve.spawn("-o", "json", "vm", "stop", "100", "101", "--yes", "--parallel", "1")
    try:
        assert seen.wait(WAIT)
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=WAIT)
        took = time.monotonic() - pressed
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode == 130, out + err
    assert took < 2.0, f"{took:.1f}s after Ctrl-C"  # the task runs 60 s: the run did not wait for it
    assert "Traceback" not in err
    by_id = {o["vmid"]: o for o in json.loads(out)}
    assert by_id[100]["outcome"] == "interrupted" and ":100:" in by_id[100]["upid"]  # hastop: VM 100 is HA-managed
    assert by_id[100]["upid"] in err and "still running" in err
    assert by_id[101]["outcome"] == "interrupted" and by_id[101]["upid"] is None and "not started" in err
    assert slow_pve.proxy.writes() == ["POST /nodes/pve1/qemu/100/status/stop"]


def test_second_ctrl_c_in_a_bulk_run_is_quiet(slow_pve: Faulty) -> None:
    import time

    seen = slow_pve.proxy.signal_on(r"GET /nodes/pve\d/tasks/.*/status")
    proc = slow_pve.spawn("vm", "stop", "100", "101", "--yes")
    try:
        assert seen.wait(WAIT)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode in BY_CTRL_C, out + err
    assert "Traceback" not in err and "Exception ignored" not in err, err
