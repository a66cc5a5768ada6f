"""Every write command through every ambiguous-answer class of the fault proxy (the server acted, then the answer
went missing or came back odd): the outcome kind and exit code, the guest's id and task UPID named, the write sent
exactly once, the other guests of a bulk run processed.

`test_guest_writes.py` (start, stop), `test_snapshots.py` (snapshots) and `test_lost_answers.py` (`vm create`)
hold the rest. The slow class, an answer later than the client's timeout, runs on a few commands only
(`SLOW_CASES`): it costs the client's timeout in real seconds.

The world: VM 100 (dns1, pve1, HA-managed) and 101 (web1, pve2) running, 102 (scratch, pve2) stopped; CT 190
(ns1, pve1) running, CT 191 (cache1, pve2) stopped; tasks end at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.faults.conftest import Faulty, faulty
from tests.faults.test_guest_writes import AMBIGUOUS, IDS

FAST = [(i, a) for i, a in zip(IDS, AMBIGUOUS, strict=True) if i != "timeout"]
SLOW = AMBIGUOUS[IDS.index("timeout")]


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    write: str  # "METHOD path" the fault hits
    vmid: int  # the guest of that write
    task: str | None  # ":qmshutdown:101:": in the outcome's UPID (None: PVE answers the write itself, no task)
    kind: str = "done"
    others: dict[int, str] = field(default_factory=dict)  # the other guests of a bulk run: their writes' paths
    setup: tuple[tuple[str, ...], ...] = ()  # commands run first, without faults ("{volid}": the one backup)
    state: Callable[[Faulty], bool] | None = None  # what the server shows afterwards


def qemu(pve: Faulty, node: str, vmid: int) -> dict[str, Any]:
    return dict(pve.get(f"/nodes/{node}/qemu/{vmid}/status/current"))


def vmids(pve: Faulty) -> set[int]:
    return {int(r["vmid"]) for r in pve.get("/cluster/resources", "type=vm")}


def where(pve: Faulty, vmid: int) -> str:
    return next(str(r["node"]) for r in pve.get("/cluster/resources", "type=vm") if int(r["vmid"]) == vmid)


def pending(pve: Faulty, base: str) -> dict[str, str]:
    """Each key's value once pending changes apply."""
    return {r["key"]: str(r.get("pending", r.get("value"))) for r in pve.get(f"{base}/pending")}


V101 = "/nodes/pve2/qemu/101"
C190, C191 = "/nodes/pve1/lxc/190", "/nodes/pve2/lxc/191"

CASES: dict[str, Case] = {
    "vm-shutdown": Case(("vm", "shutdown", "101"), f"POST {V101}/status/shutdown", 101, ":qmshutdown:101:",
                        state=lambda p: qemu(p, "pve2", 101)["status"] == "stopped"),
    "vm-reboot": Case(("vm", "reboot", "101"), f"POST {V101}/status/reboot", 101, ":qmreboot:101:"),
    "vm-suspend": Case(("vm", "suspend", "101"), f"POST {V101}/status/suspend", 101, ":qmsuspend:101:",
                       state=lambda p: qemu(p, "pve2", 101).get("qmpstatus") == "paused"),
    "vm-resume": Case(("vm", "resume", "101"), f"POST {V101}/status/resume", 101, ":qmresume:101:",
                      setup=(("vm", "suspend", "101"),),
                      state=lambda p: qemu(p, "pve2", 101).get("qmpstatus") == "running"),
    "vm-shutdown-bulk": Case(("vm", "shutdown", "100", "101", "--yes"), f"POST {V101}/status/shutdown", 101,
                             ":qmshutdown:101:", others={100: "POST /nodes/pve1/qemu/100/status/shutdown"}),
    "vm-reboot-bulk": Case(("vm", "reboot", "100", "101", "--yes"), f"POST {V101}/status/reboot", 101,
                           ":qmreboot:101:", others={100: "POST /nodes/pve1/qemu/100/status/reboot"}),
    "vm-delete": Case(("vm", "delete", "102", "--yes"), "DELETE /nodes/pve2/qemu/102", 102, ":qmdestroy:102:",
                      state=lambda p: 102 not in vmids(p)),
    "vm-delete-bulk": Case(("vm", "delete", "101", "102", "--yes"), "DELETE /nodes/pve2/qemu/102", 102,
                           ":qmdestroy:102:", others={101: f"DELETE {V101}"}, setup=(("vm", "stop", "101"),),
                           state=lambda p: not {101, 102} & vmids(p)),
    "vm-template": Case(("vm", "template", "102", "--yes"), "POST /nodes/pve2/qemu/102/template", 102,
                        ":qmtemplate:102:"),
    "vm-clone": Case(("vm", "clone", "102", "copy1", "--vmid", "150"), "POST /nodes/pve2/qemu/102/clone", 150,
                     ":qmclone:102:", state=lambda p: 150 in vmids(p)),
    "vm-migrate": Case(("vm", "migrate", "101", "--to", "pve1"), f"POST {V101}/migrate", 101, ":qmigrate:101:",
                       state=lambda p: where(p, 101) == "pve1"),
    "vm-migrate-bulk": Case(("vm", "migrate", "--node", "pve2", "--to", "pve1", "--yes"), f"POST {V101}/migrate",
                            101, ":qmigrate:101:", others={102: "POST /nodes/pve2/qemu/102/migrate"},
                            state=lambda p: where(p, 101) == where(p, 102) == "pve1"),
    # VM 100 is HA-managed: its move is a request to the HA stack ('hamigrate' only files it), judged by where it is
    "vm-migrate-ha": Case(("vm", "migrate", "100", "--to", "pve2"), "POST /nodes/pve1/qemu/100/migrate", 100, None,
                          state=lambda p: where(p, 100) == "pve2"),
    "vm-migrate-ha-bulk": Case(("vm", "migrate", "100", "101", "--to", "pve2", "--yes"),
                               "POST /nodes/pve1/qemu/100/migrate", 100, None, setup=(("vm", "migrate", "101", "--to",
                               "pve1"),), others={101: "POST /nodes/pve1/qemu/101/migrate"},
                               state=lambda p: where(p, 100) == where(p, 101) == "pve2"),
    "node-drain": Case(("node", "drain", "pve2", "--yes"), f"POST {V101}/migrate", 101, ":qmigrate:101:",
                       others={191: f"POST {C191}/migrate"}, state=lambda p: where(p, 101) == where(p, 191) == "pve1"),
    "vm-resize": Case(("vm", "resize", "101", "scsi0", "+1G"), f"PUT {V101}/resize", 101, None),
    # vm set: a running VM's change goes through the async POST (a qmconfig task); --reboot then reboots it
    "vm-set": Case(("vm", "set", "101", "--cores", "3"), f"POST {V101}/config", 101, None,
                   state=lambda p: pending(p, V101).get("cores") == "3"),
    "vm-set-reboot": Case(("vm", "set", "101", "--cores", "3", "--reboot"), f"POST {V101}/config", 101,
                          ":qmreboot:101:", state=lambda p: str(p.get(f"{V101}/config")["cores"]) == "3"),
    "vm-serial-console-enable": Case(("vm", "serial-console", "enable", "101"), f"PUT {V101}/config", 101, None,
                                     state=lambda p: pending(p, V101).get("serial0") == "socket"),
    "vm-set-disk": Case(("vm", "set", "101", "--cores", "3", "--disk", "scsi0:ceph-pool:40"), f"PUT {V101}/resize",
                        101, None, state=lambda p: "size=40G" in p.get(f"{V101}/config")["scsi0"]),
    "ct-start": Case(("ct", "start", "191"), f"POST {C191}/status/start", 191, ":vzstart:191:"),
    "ct-stop": Case(("ct", "stop", "190", "--yes"), f"POST {C190}/status/stop", 190, ":vzstop:190:"),
    "ct-shutdown": Case(("ct", "shutdown", "190", "--yes"), f"POST {C190}/status/shutdown", 190, ":vzshutdown:190:"),
    "ct-reboot": Case(("ct", "reboot", "190", "--yes"), f"POST {C190}/status/reboot", 190, ":vzreboot:190:"),
    "ct-stop-bulk": Case(("ct", "stop", "190", "191", "--yes"), f"POST {C190}/status/stop", 190, ":vzstop:190:",
                         setup=(("ct", "start", "191"),), others={191: f"POST {C191}/status/stop"}),
    "ct-delete": Case(("ct", "delete", "191", "--yes"), f"DELETE {C191}", 191, ":vzdestroy:191:",
                      state=lambda p: 191 not in vmids(p)),
    "ct-clone": Case(("ct", "clone", "191", "--vmid", "250"), f"POST {C191}/clone", 250, ":vzclone:191:",
                     state=lambda p: 250 in vmids(p)),
    "ct-migrate": Case(("ct", "migrate", "191", "--to", "pve1", "--yes"), f"POST {C191}/migrate", 191,
                       ":vzmigrate:191:", state=lambda p: where(p, 191) == "pve1"),
    "ct-resize": Case(("ct", "resize", "191", "rootfs", "+1G"), f"PUT {C191}/resize", 191, ":resize:191:"),
    "ct-set": Case(("ct", "set", "191", "--memory", "2048"), f"PUT {C191}/config", 191, None,
                   state=lambda p: str(p.get(f"{C191}/config")["memory"]) == "2048"),
    "vm-create": Case(("vm", "create", "--node", "pve1", "--name", "web7"), "POST /nodes/pve1/qemu", 103, ":qmcreate:103:",
                      kind="created", state=lambda p: 103 in vmids(p)),
    "ct-create": Case(("ct", "create", "--node", "pve1", "--template", "debian-12"), "POST /nodes/pve1/lxc", 103,
                      ":vzcreate:103:", kind="created", state=lambda p: 103 in vmids(p)),
    "ct-suspend": Case(("ct", "suspend", "190", "--yes"), f"POST {C190}/status/suspend", 190, ":vzsuspend:190:"),
    "ct-set-reboot": Case(("ct", "set", "190", "--memory", "2048", "--reboot"), f"PUT {C190}/config", 190, None,
                          state=lambda p: str(p.get(f"{C190}/config")["memory"]) == "2048"),
    # apply -f FILE ("{new}": a VM app1 to create, "{changed}": VM 101 with 3 GiB memory, "{both}": the two)
    "apply-new": Case(("apply", "-f", "{new}"), "POST /nodes/pve1/qemu", 103, ":qmcreate:103:", kind="created",
                      state=lambda p: 103 in vmids(p)),
    "apply-changed": Case(("apply", "-f", "{changed}"), f"POST {V101}/config", 101, None,
                          state=lambda p: pending(p, V101)["memory"] == "3072"),
    "apply-both": Case(("apply", "-f", "{both}"), f"POST {V101}/config", 101, None,
                       others={103: "POST /nodes/pve1/qemu"}, state=lambda p: 103 in vmids(p)),
    "apply-prune": Case(("apply", "-f", "{changed}", "--prune", "-l", "tag=lab", "--yes"), "DELETE /nodes/pve2/qemu/102",
                        102, ":qmdestroy:102:", others={101: f"POST {V101}/config"}, state=lambda p: 102 not in vmids(p)),
    "backup-create": Case(("backup", "create", "100", "101", "--storage", "cephfs"), "POST /nodes/pve2/vzdump", 101,
                          ":vzdump:101:", others={100: "POST /nodes/pve1/vzdump"}),
    "backup-job-run": Case(("backup", "job", "run", "job1"), "POST /nodes/pve2/vzdump", 101, ":vzdump:",
                           others={102: "POST /nodes/pve2/vzdump"},
                           setup=(("api", "create", "/cluster/backup", "--id", "job1", "--schedule", "daily",
                                   "--storage", "cephfs", "--vmid", "101,102"),),
                           state=lambda p: len(backups(p)) == 2),
    "backup-restore": Case(("backup", "restore", "{volid}", "--vmid", "150"), "POST /nodes/pve1/qemu", 150,
                           ":qmrestore:150:", setup=(("backup", "create", "102", "--storage", "cephfs"),),
                           state=lambda p: 150 in vmids(p)),
    "backup-restore-force": Case(("backup", "restore", "{volid}", "--force"), "POST /nodes/pve2/qemu", 102,
                                 ":qmrestore:102:", setup=(("backup", "create", "102", "--storage", "cephfs"),)),
}  # fmt: skip
SLOW_CASES = ["vm-shutdown-bulk", "ct-set", "vm-migrate"]


def outcomes(run: Any) -> dict[int, dict[str, Any]]:
    data = run.json()
    return {int(o["vmid"]): o for o in (data if isinstance(data, list) else [data])}


APPLY: dict[str, list[dict[str, Any]]] = {
    "new": [{"name": "app1", "node": "pve1", "memory": 1024}],
    "changed": [{"vmid": 101, "memory": 3072}],
    "both": [{"name": "app1", "node": "pve1", "memory": 1024}, {"vmid": 101, "memory": 3072}],
}


def check(pve: Faulty, tmp_path: Path, case: Case, action: str, kwargs: dict[str, Any]) -> None:
    for step in case.setup:
        assert pve(*step).code == 0
    names: dict[str, str] = {}
    for name, docs in APPLY.items():
        names[name] = str(tmp_path / f"{name}.yaml")
        Path(names[name]).write_text(yaml.safe_dump_all(docs))
    names["volid"] = ",".join(backups(pve))
    argv = [a.format(**names) if a.startswith("{") else a for a in case.argv]
    method, path = case.write.split(" ", 1)
    pve.proxy.add(method, path, action, **kwargs)
    before = len(pve.proxy.writes())
    run = pve("-o", "json", *argv)
    assert run.code == 0, run.text
    got = outcomes(run)
    out = got[case.vmid]
    assert out["outcome"] == case.kind, out
    if case.task is not None:
        assert case.task in str(out.get("upid")), out  # the task was found by asking, and named
    sent = pve.proxy.writes()[before:]
    assert sent.count(case.write) == 1, sent  # never sent twice
    for vmid, write in case.others.items():
        assert got[vmid]["outcome"] in ("done", "created") and sent.count(write) == 1, (got, sent)  # the others went on
    assert case.state is None or case.state(pve), run.text


@pytest.mark.parametrize(("action", "kwargs"), [a for _, a in FAST], ids=[i for i, _ in FAST])
@pytest.mark.parametrize("name", list(CASES))
def test_write_after_an_ambiguous_answer(
    pve: Faulty, tmp_path: Path, name: str, action: str, kwargs: dict[str, Any]
) -> None:
    check(pve, tmp_path, CASES[name], action, kwargs)


@pytest.mark.parametrize("name", SLOW_CASES)
def test_write_after_an_answer_later_than_the_timeout(pve: Faulty, tmp_path: Path, name: str) -> None:
    check(pve, tmp_path, CASES[name], *SLOW)


def with_agent(pve: Faulty, vmid: str) -> None:
    """VM ``vmid`` (running for long) gets ``agent: 1``: its guest agent answers."""
    with pve.sim.store.transaction(write=True) as txn:
        txn.state["vms"][vmid]["config"]["agent"] = "1"
        txn.changed()


def test_exec_runs_with_the_agent(pve: Faulty) -> None:
    with_agent(pve, "101")
    # the simulated command runs half a real second; the client polls on a fake clock: a long --timeout
    run = pve("vm", "exec", "101", "--timeout", "1h", "--", "hostname")
    assert run.code == 0 and run.stdout.strip(), run.text


@pytest.mark.parametrize(("action", "kwargs"), [a for _, a in FAST], ids=[i for i, _ in FAST])
def test_exec_after_an_ambiguous_answer_is_unknown_not_resent(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    # qemu-ga answers guest-exec with the new pid only, and nothing lists the processes it started: once that
    # answer is lost, whether the command runs cannot be known, and sending it again could run it twice
    with_agent(pve, "101")
    pve.proxy.add("POST", f"{V101}/agent/exec", action, **kwargs)
    run = pve("vm", "exec", "101", "--", "hostname")
    assert run.code == 7, run.text
    assert "VM 101: agent/exec: " in run.stderr and "may be running in the guest" in run.stderr, run.text
    assert pve.proxy.writes().count(f"POST {V101}/agent/exec") == 1


def backups(pve: Faulty) -> dict[str, dict[str, Any]]:
    """The backups on the shared storage cephfs, by volid, as the simulator holds them."""
    return {b["volid"]: b for b in pve.get("/nodes/pve1/storage/cephfs/content", "content=backup")}


BACKUP_WRITES: dict[str, tuple[tuple[str, ...], str, str, Callable[[dict[str, Any] | None], bool]]] = {
    # verb: (arguments after the volid, method, what stdout says, what the storage shows afterwards)
    "protect": ((), "PUT", "protected ", lambda b: b is not None and bool(b["protected"])),
    "notes": (("nightly",), "PUT", "notes of ", lambda b: b is not None and b["notes"] == "nightly"),
    "delete": (("--yes",), "DELETE", "deleted ", lambda b: b is None),
}


@pytest.mark.parametrize(("action", "kwargs"), [a for _, a in FAST], ids=[i for i, _ in FAST])
@pytest.mark.parametrize("verb", list(BACKUP_WRITES))
def test_backup_volume_write_after_an_ambiguous_answer(
    pve: Faulty, verb: str, action: str, kwargs: dict[str, Any]
) -> None:
    from urllib.parse import quote

    assert pve("backup", "create", "102", "--storage", "cephfs").code == 0
    (volid,) = backups(pve)
    args, method, said, shows = BACKUP_WRITES[verb]
    write = f"{method} /nodes/pve\\d/storage/cephfs/content/{re.escape(quote(volid, safe=''))}"
    pve.proxy.add(method, write.split(" ", 1)[1], action, **kwargs)
    run = pve("backup", verb, volid, *args)
    assert run.code == 0, run.text
    assert run.stdout.startswith(said + volid), run.text
    assert sum(1 for w in pve.proxy.writes() if re.fullmatch(write, w)) == 1  # never sent twice
    listed = backups(pve)
    assert shows(listed.get(volid)), listed


def test_backup_delete_still_listed_after_a_lost_answer_is_unknown(pve: Faulty) -> None:
    # the answer went missing and the storage still lists the backup (its imgdel task may yet run): not "deleted",
    # not "refused", and not sent again
    assert pve("backup", "create", "102", "--storage", "cephfs").code == 0
    (volid,) = backups(pve)
    pve.proxy.add("DELETE", r"/nodes/pve\d/storage/cephfs/content/.*", "status", status=502)
    run = pve("backup", "delete", volid, "--yes")
    assert run.code == 7, run.text
    assert f"{volid}: the answer was 502" in run.stderr and "not sent again" in run.stderr, run.text
    assert f"pvectl backup show '{volid}'" in run.stderr
    assert sum(1 for w in pve.proxy.writes() if w.startswith("DELETE ")) == 1


@pytest.mark.parametrize(("action", "kwargs"), [a for _, a in FAST], ids=[i for i, _ in FAST])
def test_server_side_migrate_after_an_ambiguous_answer(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    # one bulk-migrate task for both VMs: found by asking the node that took the request, then followed. The
    # world runs PVE 9.1.3, after pve-manager 9.1.2 brought max-workers: max-workers is sent
    write = "POST /cluster/bulk-action/guest/migrate"
    pve.proxy.add("POST", write.split(" ", 1)[1], action, **kwargs)
    run = pve("-o", "json", "vm", "migrate", "--node", "pve2", "--to", "pve1", "--yes", "--server-side")
    assert run.code == 0, run.text
    got = outcomes(run)
    assert {o["outcome"] for o in got.values()} == {"done"} and set(got) == {101, 102}, got
    assert all(":bulk-migrate:" in str(o["upid"]) for o in got.values()), got
    assert pve.proxy.writes().count(write) == 1
    assert where(pve, 101) == where(pve, 102) == "pve1"


OLD_BACKUPS = [f"vzdump-qemu-100-2025_01_{day}-02_00_00.vma.zst" for day in (29, 30, 31)]


@pytest.fixture
def aged_pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faulty]:
    """Three nightly backups of VM 100 on cephfs."""
    volumes = [{"storage": "cephfs", "content": "backup", "name": name, "size": 1} for name in OLD_BACKUPS]
    yield from faulty(tmp_path, monkeypatch, 0, volumes=volumes)


@pytest.mark.parametrize(("action", "kwargs"), [a for _, a in FAST], ids=[i for i, _ in FAST])
def test_backup_prune_after_an_ambiguous_answer(aged_pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve = aged_pve
    write = "DELETE /nodes/pve1/storage/cephfs/prunebackups"
    pve.proxy.add("DELETE", write.split(" ", 1)[1], action, **kwargs)
    run = pve("backup", "prune", "100", "--keep-last", "2", "--yes")
    assert run.code == 0, run.text
    assert f"removed cephfs:backup/{OLD_BACKUPS[0]}" in run.stderr, run.text
    assert pve.proxy.writes().count(write) == 1
    assert sorted(backups(pve)) == [f"cephfs:backup/{name}" for name in OLD_BACKUPS[1:]]


@pytest.mark.parametrize(("action", "kwargs"), [a for _, a in FAST], ids=[i for i, _ in FAST])
def test_ct_template_pull_after_an_ambiguous_answer(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    write = "POST /nodes/pve1/aplinfo"
    pve.proxy.add("POST", write.split(" ", 1)[1], action, **kwargs)
    run = pve("ct", "template", "pull", "debian-13", "--node", "pve1")
    assert run.code == 0, run.text
    volid = run.stdout.strip()
    assert volid.startswith("cephfs:vztmpl/debian-13-"), run.text
    assert pve.proxy.writes().count(write) == 1
    content = pve.get("/nodes/pve1/storage/cephfs/content", "content=vztmpl")
    assert volid in {c["volid"] for c in content}
