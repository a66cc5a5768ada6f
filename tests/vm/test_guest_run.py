"""The write runner and the power plan against a fake PVE (httpx.MockTransport): no terminal, no simulator.

Each case scripts what the fake answers to the write, then checks the outcome and that the write went out once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from pvectl.guest.ops.power import plan_delete, plan_power
from pvectl.guest.outcome import INTERRUPTED, SOME_FAILED, bulk_exit_code
from pvectl.guest.run import Write, execute, run_many
from pvectl.guest.select import refs_of
from pvectl.sdk import ProxmoxClient
from tests.conftest import FakeClock

ROWS = [
    {"type": "qemu", "vmid": 101, "node": "pve1", "name": "web1", "status": "stopped"},
    {"type": "qemu", "vmid": 102, "node": "pve1", "name": "web2", "status": "running"},
    {"type": "lxc", "vmid": 200, "node": "pve1", "name": "dns", "status": "stopped"},
]


def upid(kind: str, vmid: int, start: float | None = None) -> str:
    return f"UPID:pve1:0000AAAA:00000001:{int(start or time.time()):08X}:{kind}:{vmid}:root@pam:"


class FakePve:
    """Answers the write per ``answer`` (a callable that may raise), tasks per ``tasks``, states per ``state``."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.writes: list[str] = []
        self.tasks: list[dict[str, Any]] | None = []  # what GET /nodes/pve1/tasks lists
        self.task_status: dict[str, Any] = {"status": "stopped", "exitstatus": "OK"}
        self.state: dict[int, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api2/json")
        if request.method != "GET":
            self.writes.append(f"{request.method} {path}")
            return self.answer(request)
        if path == "/nodes/pve1/tasks":
            if self.tasks is None:
                return httpx.Response(503, json={"data": None})
            query = parse_qs(request.url.query.decode())
            rows = [t for t in self.tasks if t["type"] == query.get("typefilter", [t["type"]])[0]]
            return httpx.Response(200, json={"data": rows})
        if path.endswith("/status") and "/tasks/" in path:
            return httpx.Response(200, json={"data": self.task_status})
        if path.endswith("/status/current"):
            vmid = int(path.split("/")[4])
            return httpx.Response(200, json={"data": {"status": self.state.get(vmid, "stopped")}})
        return httpx.Response(404, json={"data": None, "message": "no such path"})


def client_for(pve: FakePve) -> ProxmoxClient:
    return ProxmoxClient(
        "pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(pve), clock=FakeClock()
    )


def ok_upid(kind: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        vmid = int(request.url.path.split("/")[6])
        return httpx.Response(200, json={"data": upid(kind, vmid)})

    return answer


def acted_then(response: Callable[[], httpx.Response], pve_ref: list[FakePve], kind: str) -> Any:
    """The server acts (the task shows in its list), then the answer is ``response()`` or an exception."""

    def answer(request: httpx.Request) -> httpx.Response:
        vmid = int(request.url.path.split("/")[6])
        assert pve_ref[0].tasks is not None
        pve_ref[0].tasks.append({"type": kind, "id": str(vmid), "upid": upid(kind, vmid), "starttime": time.time()})
        return response()

    return answer


def lost() -> httpx.Response:
    raise httpx.ReadError("connection reset by peer")


ODD = {
    "lost": lost,
    "502": lambda: httpx.Response(502, json={"data": None}),
    "data-null": lambda: httpx.Response(200, json={"data": None}),
    "garbled": lambda: httpx.Response(200, content=b"<html>oops"),
    "object": lambda: httpx.Response(200, json={"data": {"x": 1}}),
}


@pytest.mark.parametrize("case", sorted(ODD))
def test_an_ambiguous_answer_is_reconciled_from_the_task_list(case: str) -> None:
    holder: list[FakePve] = []
    pve = FakePve(acted_then(ODD[case], holder, "qmstart"))
    holder.append(pve)
    (step,) = plan_power(refs_of(ROWS, ("qemu",))[:1], "start")
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "done", out.message
    assert out.upid is not None and ":qmstart:101:" in out.upid
    assert out.checked and pve.writes == ["POST /nodes/pve1/qemu/101/status/start"]


def test_no_task_and_no_change_is_verified_failed() -> None:
    pve = FakePve(lambda request: httpx.Response(502, json={"data": None}))
    (step,) = plan_power(refs_of(ROWS, ("qemu",))[:1], "start")
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "failed" and out.exit_code == 1 and "no qmstart or hastart task" in out.message
    assert len(pve.writes) == 1


def test_no_task_but_the_target_state_is_done() -> None:
    pve = FakePve(lambda request: lost())
    pve.state[101] = "running"
    (step,) = plan_power(refs_of(ROWS, ("qemu",))[:1], "start")
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "done" and "the server shows it" in out.message


def test_unreadable_task_list_is_unknown() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(504, json={"data": None})

    pve = FakePve(answer)
    pve.tasks = None  # the task list cannot be read
    (step,) = plan_power(refs_of(ROWS, ("qemu",))[:1], "start")
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "unknown" and out.exit_code == 7 and out.remedies == ["pvectl vm show 101"]


def test_refused_is_failed_and_task_failure_names_the_upid() -> None:
    pve = FakePve(lambda request: httpx.Response(500, json={"data": None, "message": "VM is locked (backup)\n"}))
    (step,) = plan_power(refs_of(ROWS, ("qemu",))[:1], "start")
    with client_for(pve) as client:
        refused = execute(client, step)
    assert refused.kind == "failed" and "refused" in refused.message and "locked" in refused.message
    pve = FakePve(ok_upid("qmstart"))
    pve.task_status = {"status": "stopped", "exitstatus": "start failed: no bridge"}
    with client_for(pve) as client:
        failed = execute(client, step)
    assert failed.kind == "failed" and "no bridge" in failed.message and failed.upid


def test_container_steps_name_ct_and_lxc_paths() -> None:
    pve = FakePve(ok_upid("vzstart"))
    (step,) = plan_power(refs_of(ROWS, ("lxc",)), "start")
    assert isinstance(step, Write) and step.path == "/nodes/pve1/lxc/200/status/start"
    assert step.task_types == ("vzstart", "hastart")
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.ok and out.guest == "lxc" and out.message.startswith("CT 200 (dns)")
    (delete,) = plan_delete(refs_of(ROWS, ("lxc",)))
    assert isinstance(delete, Write) and delete.task_types == ("vzdestroy",)


def test_already_is_success_and_sends_nothing() -> None:
    steps = plan_power(refs_of(ROWS, ("qemu",)), "start")  # 102 runs already
    pve = FakePve(ok_upid("qmstart"))
    with client_for(pve) as client:
        outs = run_many(client, steps, parallel=2)
    assert [o.kind for o in outs] == ["done", "already"] and bulk_exit_code(outs) == 0
    assert pve.writes == ["POST /nodes/pve1/qemu/101/status/start"]


def test_bulk_one_odd_answer_and_one_failure_affect_only_their_guest() -> None:
    rows = [{"type": "qemu", "vmid": n, "node": "pve1", "name": f"v{n}", "status": "running"} for n in range(101, 107)]

    def answer(request: httpx.Request) -> httpx.Response:
        vmid = int(request.url.path.split("/")[6])
        if vmid == 103:
            return httpx.Response(200, content=b"not json at all")  # no task was started: verified failed
        if vmid == 105:
            return httpx.Response(500, json={"data": None, "message": "disk busy"})
        return httpx.Response(200, json={"data": upid("qmstop", vmid)})

    pve = FakePve(answer)
    pve.state = dict.fromkeys(range(101, 107), "running")  # the fake's tasks do not change it
    with client_for(pve) as client:
        outs = run_many(client, plan_power(refs_of(rows), "stop"), parallel=3)
    kinds = {o.vmid: o.kind for o in outs}
    assert kinds == {101: "done", 102: "done", 103: "failed", 104: "done", 105: "failed", 106: "done"}
    assert bulk_exit_code(outs) == SOME_FAILED and len(pve.writes) == 6


def test_interrupted_outcomes_exit_130() -> None:
    from pvectl.guest.outcome import Outcome

    outs = [Outcome("done", 1, "pve1", "ok"), Outcome("interrupted", 2, "pve1", "still running", upid="U")]
    assert bulk_exit_code(outs) == INTERRUPTED


def test_ctrl_c_during_the_follow_up_says_the_action_happened() -> None:
    """snapshot create --keep: Ctrl-C while old snapshots are pruned must not say "not started"."""
    import threading

    rows = [{"type": "qemu", "vmid": n, "node": "pve1", "name": f"v{n}", "status": "running"} for n in (101, 102)]
    pve = FakePve(ok_upid("qmsnapshot"))
    in_then = threading.Event()
    release = threading.Event()

    def prune(client: Any, ref: Any) -> list[str]:
        if ref.vmid == 102:
            in_then.set()
            release.wait(5)
        return ["deleted old snapshot"]

    def snapshot_of(vmid: int) -> Callable[[ProxmoxClient], Any]:
        return lambda client: client.nodes("pve1").qemu(vmid).snapshot.create(snapname="nightly")

    steps = [
        Write(
            ref,
            "snapshot",
            "POST",
            f"/nodes/pve1/qemu/{ref.vmid}/snapshot",
            "snapshot created",
            ("qmsnapshot",),
            params={"snapname": "nightly"},
            then=prune,
            send=snapshot_of(ref.vmid),
        )
        for ref in refs_of(rows)
    ]

    def interrupt(outcome: Any) -> None:
        assert in_then.wait(5)
        raise KeyboardInterrupt

    with client_for(pve) as client:
        outs = run_many(client, steps, parallel=2, on_result=interrupt)
    release.set()
    by_id = {o.vmid: o for o in outs}
    assert by_id[102].kind == "interrupted" and by_id[102].done == ["snapshot"]
    assert "follow-up" in by_id[102].missing and "not started" not in by_id[102].message
    assert bulk_exit_code(outs) == INTERRUPTED
