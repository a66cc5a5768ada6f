"""The snapshot plan (pvectl.guest.ops.snapshot) against a fake PVE (httpx.MockTransport): no terminal, no simulator.

The fake keeps a snapshot list per guest and a node task list; each case scripts the answer to one write and
checks the outcome, the exit code, the UPIDs named and that no write went out twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from pvectl.guest.ops.snapshot import KeepNewest, plan_create, plan_delete, plan_rollback
from pvectl.guest.outcome import INTERRUPTED, PARTIAL, UNKNOWN, bulk_exit_code
from pvectl.guest.run import execute, run_many
from pvectl.guest.select import refs_of
from pvectl.sdk import ProxmoxClient
from pvectl.vm.snapshots import MARK
from tests.conftest import FakeClock

ROWS = [
    {"type": "qemu", "vmid": 101, "node": "pve1", "name": "web1", "status": "running"},
    {"type": "qemu", "vmid": 102, "node": "pve1", "name": "web2", "status": "running"},
    {"type": "lxc", "vmid": 200, "node": "pve1", "name": "dns", "status": "running"},
]
TYPES = {"POST": "snapshot", "DELETE": "delsnapshot"}


def old(prefix: str, n: int) -> dict[str, Any]:
    """A snapshot ``--keep`` made ``n`` days ago."""
    return {"name": f"{prefix}-2026010{n}-000000", "snaptime": 1_700_000_000 + n, "description": MARK}


class FakePve:
    """Snapshots per guest; writes act unless ``hold`` says otherwise; ``answer`` replaces a write's answer."""

    def __init__(self) -> None:
        self.snaps: dict[int, list[dict[str, Any]]] = {101: [], 102: [], 200: []}
        self.tasks: list[dict[str, Any]] = []
        self.writes: list[str] = []
        self.answer: dict[str, Callable[[str], httpx.Response]] = {}  # "METHOD path" -> answer(upid)
        self.refuse: set[str] = set()  # "METHOD path": refused (500) without acting
        self.running: set[str] = set()  # "METHOD path" whose task never ends
        self.sent: dict[str, threading.Event] = {}
        self.pid = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api2/json")
        parts = path.split("/")
        if request.method != "GET":
            key = f"{request.method} {path}"
            self.writes.append(key)
            if key in self.sent:
                self.sent[key].set()
            if key in self.refuse:
                return httpx.Response(500, json={"data": None, "message": "snapshot is locked\n"})
            return self.act(request, parts, key)
        if path == "/nodes/pve1/tasks":
            query = parse_qs(request.url.query.decode())
            rows = [t for t in self.tasks if t["type"] == query["typefilter"][0] and t["id"] == query["vmid"][0]]
            return httpx.Response(200, json={"data": rows})
        if "/tasks/" in path and path.endswith("/status"):
            upid = parts[4]
            running = any(t["upid"] == upid and t["key"] in self.running for t in self.tasks)
            status = {"status": "running"} if running else {"status": "stopped", "exitstatus": "OK"}
            return httpx.Response(200, json={"data": status})
        if path.endswith("/snapshot"):
            rows = [*self.snaps[int(parts[4])], {"name": "current", "description": "You are here!"}]
            return httpx.Response(200, json={"data": rows})
        return httpx.Response(404, json={"data": None, "message": "no such path"})

    def act(self, request: httpx.Request, parts: list[str], key: str) -> httpx.Response:
        vmid, kind = int(parts[4]), parts[3]
        ttype = "rollback" if parts[-1] == "rollback" else TYPES[request.method]
        ttype = ("vz" if kind == "lxc" else "qm") + ttype
        self.pid += 1
        upid = f"UPID:pve1:{self.pid:08X}:00000001:{int(time.time()):08X}:{ttype}:{vmid}:root@pam:"
        self.tasks.append({"type": ttype, "id": str(vmid), "upid": upid, "starttime": time.time(), "key": key})
        if request.method == "POST" and parts[-1] == "snapshot":
            body = parse_qs(request.content.decode())
            self.snaps[vmid].append(
                {
                    "name": body["snapname"][0],
                    "snaptime": 1_800_000_000,
                    "description": body.get("description", [""])[0],
                }
            )
        elif request.method == "DELETE":
            self.snaps[vmid] = [s for s in self.snaps[vmid] if s["name"] != parts[-1]]
        answer = self.answer.get(key)
        return answer(upid) if answer is not None else httpx.Response(200, json={"data": upid})


def client_for(pve: FakePve) -> ProxmoxClient:
    return ProxmoxClient(
        "pve1", token="root@pam!t=s", server_version="9.1.3", transport=httpx.MockTransport(pve), clock=FakeClock()
    )


def lost(upid: str) -> httpx.Response:
    raise httpx.ReadError("connection reset by peer")


ODD: dict[str, Callable[[str], httpx.Response]] = {
    "lost": lost,
    "502": lambda upid: httpx.Response(502, json={"data": None}),
    "504": lambda upid: httpx.Response(504, json={"data": None}),
    "data-null": lambda upid: httpx.Response(200, json={"data": None}),
    "garbled": lambda upid: httpx.Response(200, content=b"<html>oops"),
}


def qemu(n: int = 1) -> list[Any]:
    return refs_of(ROWS, ("qemu",))[:n]


def lxc() -> list[Any]:
    return refs_of(ROWS, ("lxc",))


@pytest.mark.parametrize("case", sorted(ODD))
@pytest.mark.parametrize("verb", ["create", "delete", "rollback"])
def test_each_ambiguous_answer_is_reconciled_not_resent(case: str, verb: str) -> None:
    pve = FakePve()
    pve.snaps[101] = [{"name": "s1", "snaptime": 1, "description": ""}]
    if verb == "create":
        (step,) = plan_create(qemu(), "s2", vmstate=True)
        key, task = "POST /nodes/pve1/qemu/101/snapshot", ":qmsnapshot:101:"
    elif verb == "delete":
        (step,) = plan_delete(qemu(), "s1")
        key, task = "DELETE /nodes/pve1/qemu/101/snapshot/s1", ":qmdelsnapshot:101:"
    else:
        (step,) = plan_rollback(qemu(), "s1", start=True)
        key, task = "POST /nodes/pve1/qemu/101/snapshot/s1/rollback", ":qmrollback:101:"
    pve.answer[key] = ODD[case]
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "done" and out.exit_code == 0, out.message
    assert out.upid is not None and task in out.upid and out.checked
    assert pve.writes == [key]


def test_typed_requests_carry_the_planned_parameters() -> None:
    pve = FakePve()
    seen: list[bytes] = []
    pve.answer["POST /nodes/pve1/qemu/101/snapshot"] = lambda upid: httpx.Response(200, json={"data": upid})
    original = pve.act

    def spy(request: httpx.Request, parts: list[str], key: str) -> httpx.Response:
        seen.append(request.content)
        return original(request, parts, key)

    pve.act = spy  # type: ignore[method-assign]
    (step,) = plan_create(qemu(), "s2", description="before", vmstate=True)
    (ct_step,) = plan_create(lxc(), "s2", vmstate=True)  # containers have no RAM state to save
    with client_for(pve) as client:
        assert execute(client, step).ok and execute(client, ct_step).ok
    assert parse_qs(seen[0].decode()) == {"snapname": ["s2"], "description": ["before"], "vmstate": ["1"]}
    assert parse_qs(seen[1].decode()) == {"snapname": ["s2"]}


def test_no_task_and_not_listed_is_verified_failed_and_a_snapshot_still_prepared_is_not_done() -> None:
    pve = FakePve()
    key = "POST /nodes/pve1/qemu/101/snapshot"
    pve.refuse.add(key)
    pve.answer[key] = ODD["502"]
    (step,) = plan_create(qemu(), "s2")
    with client_for(pve) as client:
        refused = execute(client, step)
    assert refused.kind == "failed" and "refused" in refused.message
    # a proxy's 502 that never reached PVE: no task, nothing listed
    pve = FakePve()
    pve.act = lambda request, parts, key: httpx.Response(502, json={"data": None})  # type: ignore[method-assign]
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "failed" and "no qmsnapshot task" in out.message and len(pve.writes) == 1


def test_container_steps_use_lxc_paths_and_vz_task_types() -> None:
    pve = FakePve()
    pve.snaps[200] = [{"name": "s1", "snaptime": 1, "description": ""}]
    pve.answer["DELETE /nodes/pve1/lxc/200/snapshot/s1"] = lost
    (step,) = plan_delete(lxc(), "s1")
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.ok and out.guest == "lxc" and out.upid and ":vzdelsnapshot:200:" in out.upid
    assert out.message.startswith("CT 200 (dns): snapshot 's1' deleted")
    assert pve.writes == ["DELETE /nodes/pve1/lxc/200/snapshot/s1"]


def keep_step(pve: FakePve, vmid: int = 101, keep: int = 1) -> KeepNewest:
    refs = [r for r in refs_of(ROWS) if r.vmid == vmid]
    (step,) = plan_create(refs, "nightly", keep=keep)
    assert isinstance(step, KeepNewest)
    return step


def test_keep_deletes_the_oldest_beyond_n_each_once() -> None:
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2), {"name": "nightly-manual", "snaptime": 0}]
    step = keep_step(pve, keep=2)
    with client_for(pve) as client:
        out = execute(client, step)
    assert out.kind == "done" and out.upid and ":qmsnapshot:101:" in out.upid
    assert out.done == ["deleted old snapshot nightly-20260101-000000"]
    assert out.message.endswith("' created; deleted old snapshot nightly-20260101-000000")  # the text line says it
    assert pve.writes == [
        "POST /nodes/pve1/qemu/101/snapshot",
        "DELETE /nodes/pve1/qemu/101/snapshot/nightly-20260101-000000",
    ]


@pytest.mark.parametrize("case", sorted(ODD))
def test_an_ambiguous_answer_on_a_retention_delete_is_reconciled(case: str) -> None:
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2)]
    first = "DELETE /nodes/pve1/qemu/101/snapshot/nightly-20260101-000000"
    pve.answer[first] = ODD[case]
    with client_for(pve) as client:
        out = execute(client, keep_step(pve))
    assert out.kind == "done", out.message
    assert out.done == [f"deleted old snapshot nightly-2026010{n}-000000" for n in (1, 2)]
    assert out.message.endswith("; deleted old snapshots nightly-20260101-000000, nightly-20260102-000000")
    assert pve.writes.count(first) == 1 and len(pve.writes) == 3


def test_a_lost_retention_delete_that_never_arrived_is_not_taken_for_the_one_before() -> None:
    """PVE's UPIDs do not name the snapshot: the earlier delete's task (same type, same guest, a moment before)
    must not pass for the later one."""
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2)]
    second = "DELETE /nodes/pve1/qemu/101/snapshot/nightly-20260102-000000"
    act = pve.act

    def answer(request: httpx.Request, parts: list[str], key: str) -> httpx.Response:
        if key == second:  # a proxy's 502: PVE never saw it
            return httpx.Response(502, json={"data": None})
        return act(request, parts, key)

    pve.act = answer  # type: ignore[method-assign]
    with client_for(pve) as client:
        out = execute(client, keep_step(pve))
    assert out.kind == "partial" and out.exit_code == PARTIAL, out.message
    assert out.done[:2] == [
        "snapshot '" + out.done[0].split("'")[1] + "' created",
        "deleted old snapshot nightly-20260101-000000",
    ]
    assert any("nightly-20260102-000000: not deleted" in m for m in out.missing)
    assert "pvectl vm snapshot delete 101 nightly-20260102-000000 --yes" in out.remedies


def test_a_refused_retention_delete_is_partial_and_the_rest_goes_on() -> None:
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2), old("nightly", 3)]
    pve.refuse.add("DELETE /nodes/pve1/qemu/101/snapshot/nightly-20260101-000000")
    with client_for(pve) as client:
        out = execute(client, keep_step(pve))
    assert out.kind == "partial" and out.exit_code == PARTIAL
    assert (
        out.message.startswith("VM 101 (web1): snapshot 'nightly-")
        and "created; retention did not finish" in out.message
    )
    assert out.done[1:] == [
        "deleted old snapshot nightly-20260102-000000",
        "deleted old snapshot nightly-20260103-000000",
    ]
    assert "pvectl vm snapshot delete 101 nightly-20260101-000000 --yes" in out.remedies
    assert len(pve.writes) == 4


def test_an_unreadable_retention_delete_is_unknown_with_how_to_check() -> None:
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2)]
    key = "DELETE /nodes/pve1/qemu/101/snapshot/nightly-20260101-000000"
    pve.answer[key] = lost
    real = pve.__call__

    def transport(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if (
            request.method == "GET"
            and (path.endswith("/tasks") or path.endswith("/snapshot"))
            and pve.writes[-1:] == [key]
        ):
            return httpx.Response(503, json={"data": None})
        return real(request)

    client = ProxmoxClient("pve1", token="root@pam!t=s", server_version="9.1.3",
                           transport=httpx.MockTransport(transport), clock=FakeClock())  # fmt: skip
    with client:
        out = execute(client, keep_step(pve))
    assert out.kind == "unknown" and out.exit_code == UNKNOWN, out.message
    assert "snapshot 'nightly-" in out.done[0] and "pvectl vm snapshot list 101" in out.remedies
    assert pve.writes.count(key) == 1


def test_ctrl_c_during_retention_reports_the_snapshot_created_and_each_old_one() -> None:
    """The issue's case: Ctrl-C while old snapshots are deleted. Not "nothing-created … not started": created,
    one old snapshot still being deleted (its UPID), the next not started; exit 130."""
    pve = FakePve()
    pve.snaps[102] = [old("nightly", 1), old("nightly", 2)]
    first = "DELETE /nodes/pve1/qemu/102/snapshot/nightly-20260101-000000"
    pve.running.add(first)
    pve.sent[first] = threading.Event()
    steps = [keep_step(pve, 101), keep_step(pve, 102)]

    def interrupt(outcome: Any) -> None:
        assert pve.sent[first].wait(5)
        raise KeyboardInterrupt

    with client_for(pve) as client:
        outs = run_many(client, steps, parallel=2, on_result=interrupt)
    by_id = {o.vmid: o for o in outs}
    assert by_id[101].kind == "done"
    out = by_id[102]
    assert out.kind == "interrupted" and bulk_exit_code(outs) == INTERRUPTED
    assert out.done[0].startswith("snapshot 'nightly-") and out.done[0].endswith("' created")
    assert "created; retention interrupted (0 of 2 old snapshots deleted)" in out.message
    assert out.upid is not None and ":qmdelsnapshot:102:" in out.upid
    assert (
        out.missing[0].startswith("old snapshot nightly-20260101-000000: still being deleted")
        and out.upid in out.missing[0]
    )
    assert out.missing[1] == "old snapshot nightly-20260102-000000: not deleted (not started)"
    assert pve.writes.count(first) == 1
    assert "DELETE /nodes/pve1/qemu/102/snapshot/nightly-20260102-000000" not in pve.writes


def test_ctrl_c_with_a_retention_request_in_flight_is_named_by_the_job() -> None:
    """The job's own words when Ctrl-C leaves its worker blocked in a request (the runner's grace runs out)."""
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2)]
    first = "DELETE /nodes/pve1/qemu/101/snapshot/nightly-20260101-000000"
    release = threading.Event()
    act = pve.act

    def slow(request: httpx.Request, parts: list[str], key: str) -> httpx.Response:
        if key == first:
            release.wait(10)
        return act(request, parts, key)

    pve.act = slow  # type: ignore[method-assign]
    pve.sent[first] = threading.Event()
    step = keep_step(pve)

    def interrupt(outcome: Any) -> None:
        assert pve.sent[first].wait(5)
        raise KeyboardInterrupt

    with client_for(pve) as client:
        outs = run_many(client, [keep_step(pve, 200), step], parallel=2, on_result=interrupt)
        release.set()
    out = outs[1]
    assert out.kind == "interrupted" and out.upid is None
    assert out.done[0].endswith("' created")
    assert "nightly-20260101-000000: interrupted while its delete was being sent" in out.missing[0]
    assert out.missing[1] == "old snapshot nightly-20260102-000000: not deleted (not started)"


def test_snapshots_unreadable_after_the_create_is_partial_with_how_to_look() -> None:
    pve = FakePve()
    pve.snaps[101] = [old("nightly", 1), old("nightly", 2)]

    def transport(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/snapshot"):
            return httpx.Response(403, json={"data": None, "message": "Permission check failed (VM.Audit)"})
        return pve(request)

    client = ProxmoxClient("pve1", token="root@pam!t=s", server_version="9.1.3",
                           transport=httpx.MockTransport(transport), clock=FakeClock())  # fmt: skip
    with client:
        out = execute(client, keep_step(pve))
    assert out.kind == "partial" and out.done[0].endswith("' created"), out.message
    assert out.missing[0].startswith("retention: the snapshots could not be listed") and "VM.Audit" in out.missing[0]
    assert out.remedies == ["pvectl vm snapshot list 101"] and pve.writes == ["POST /nodes/pve1/qemu/101/snapshot"]


@pytest.mark.parametrize(
    ("verb", "snapstate", "kind"),
    [
        ("create", None, "done"),
        ("create", "prepare", "unknown"),
        ("delete", None, "done"),
        ("delete", "delete", "unknown"),
    ],
)
def test_without_the_task_list_the_snapshot_list_decides(verb: str, snapstate: str | None, kind: str) -> None:
    """Task list unreadable: a created snapshot is listed without a snapstate, a deleted one is gone; PVE lists
    one a task still prepares or deletes with its snapstate (qemu-server snapshot_list)."""
    pve = FakePve()
    pve.snaps[101] = [{"name": "s1", "snaptime": 1, "description": ""}]
    sent = "POST /nodes/pve1/qemu/101/snapshot" if verb == "create" else "DELETE /nodes/pve1/qemu/101/snapshot/s1"
    pve.answer[sent] = lost
    act = pve.act

    def acting(request: httpx.Request, parts: list[str], key: str) -> httpx.Response:
        try:
            return act(request, parts, key)
        finally:
            if snapstate is not None:  # the task has not finished: PVE still lists it, marked
                name = "s2" if verb == "create" else "s1"
                pve.snaps[101] = [s for s in pve.snaps[101] if s["name"] != name]
                pve.snaps[101].append({"name": name, "snaptime": 2, "description": "", "snapstate": snapstate})

    pve.act = acting  # type: ignore[method-assign]

    def transport(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/tasks"):
            return httpx.Response(503, json={"data": None})
        return pve(request)

    (step,) = plan_create(qemu(), "s2") if verb == "create" else plan_delete(qemu(), "s1")
    client = ProxmoxClient("pve1", token="root@pam!t=s", server_version="9.1.3",
                           transport=httpx.MockTransport(transport), clock=FakeClock())  # fmt: skip
    with client:
        out = execute(client, step)
    assert out.kind == kind, out.message
    if kind == "done":
        assert "the server shows it" in out.message
    assert pve.writes == [sent]
