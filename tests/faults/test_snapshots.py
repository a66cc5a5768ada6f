"""`vm snapshot` and `ct snapshot` create|delete|rollback (and `create --keep N` retention) behind the fault proxy:
for each ambiguous-answer class after the server acted, the outcome kind, the exit code, the UPID named, no write
sent twice, the other guests processed; Ctrl-C during retention says the snapshot was created.

The world: VM 100 (dns1, pve1) and 101 (web1, pve2) running, 102 (scratch, pve2) stopped; CT 190 (ns1, pve1)
running, CT 191 (cache1, pve2) stopped; tasks end at once unless a test slows them.
"""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import pytest

from tests.faults.conftest import Faulty
from tests.faults.test_guest_writes import AMBIGUOUS, IDS

WAIT = 30  # seconds: a bound on each step, never reached when things work
TASKS = {"create": "snapshot", "delete": "delsnapshot", "rollback": "rollback"}


def some(*ids: str) -> pytest.MarkDecorator:
    """A few classes (the fake-PVE unit tests of the plan go through all of them): lost, a 5xx, an odd 200."""
    return pytest.mark.parametrize(("action", "kwargs"), [AMBIGUOUS[IDS.index(i)] for i in ids], ids=list(ids))


def write_of(kind: str, node: str, vmid: int, verb: str, name: str) -> tuple[str, str]:
    """The (method, path) the verb sends for one guest."""
    base = f"/nodes/{node}/{kind}/{vmid}/snapshot"
    return {
        "create": ("POST", base),
        "delete": ("DELETE", f"{base}/{name}"),
        "rollback": ("POST", f"{base}/{name}/rollback"),
    }[verb]


def names(pve: Faulty, kind: str, node: str, vmid: int) -> list[str]:
    return [s["name"] for s in pve.get(f"/nodes/{node}/{kind}/{vmid}/snapshot")]


def seed_kept(pve: Faulty, monkeypatch: pytest.MonkeyPatch, noun: str, *guests: str) -> list[str]:
    """Two snapshots `--keep` made long ago (nightly-2023...), through pvectl itself."""
    from pvectl.vm import snapshots

    stamps = iter([1_700_000_000.0, 1_700_086_400.0])
    made = []
    for _ in range(2):
        now = next(stamps)
        monkeypatch.setattr(snapshots, "_clock", lambda now=now: now)
        run = pve("-o", "json", noun, "snapshot", "create", *guests, "nightly", "--keep", "5")
        assert run.code == 0, run.text
        made.append(snapshots.stamped("nightly", now))
    monkeypatch.setattr(snapshots, "_clock", time.time)
    return made


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS, ids=IDS)
@pytest.mark.parametrize("verb", ["create", "delete", "rollback"])
def test_vm_snapshot_verbs_after_an_ambiguous_answer(
    pve: Faulty, verb: str, action: str, kwargs: dict[str, Any]
) -> None:
    if verb != "create":
        assert pve("vm", "snapshot", "create", "101", "102", "s1").code == 0
    name = "s2" if verb == "create" else "s1"
    method, path = write_of("qemu", "pve2", 102, verb, name)
    pve.proxy.add(method, path, action, **kwargs)
    run = pve("-o", "json", "vm", "snapshot", verb, "101", "102", name, *(["--yes"] if verb != "create" else []))
    assert run.code == 0, run.text
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[101]["outcome"] == "done" and by_id[102]["outcome"] == "done"
    assert f":qm{TASKS[verb]}:102:" in by_id[102]["upid"] and by_id[102]["checked"]
    assert pve.proxy.writes().count(f"{method} {path}") == 1
    assert pve.proxy.writes().count(f"{method} {path.replace('/102/', '/101/')}") == 1  # the other VM went on
    if verb == "create":
        assert "s2" in names(pve, "qemu", "pve2", 102)
    if verb == "delete":
        assert "s1" not in names(pve, "qemu", "pve2", 102)


@some("lost", "504", "data-null")
@pytest.mark.parametrize("verb", ["create", "delete", "rollback"])
def test_ct_snapshot_verbs_after_an_ambiguous_answer(
    pve: Faulty, verb: str, action: str, kwargs: dict[str, Any]
) -> None:
    if verb != "create":
        assert pve("ct", "snapshot", "create", "cache1", "s1").code == 0
    name = "s2" if verb == "create" else "s1"
    method, path = write_of("lxc", "pve2", 191, verb, name)
    pve.proxy.add(method, path, action, **kwargs)
    run = pve("-o", "json", "ct", "snapshot", verb, "cache1", name)
    assert run.code == 0, run.text
    out = run.json()
    assert out["outcome"] == "done" and out["guest"] == "lxc" and f":vz{TASKS[verb]}:191:" in out["upid"]
    assert pve.proxy.writes().count(f"{method} {path}") == 1


def test_a_vm_snapshot_write_that_never_reached_pve_is_verified_failed(pve: Faulty) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/qemu/102/snapshot", "status", status=502)  # answered by the proxy alone
    run = pve("-o", "json", "vm", "snapshot", "create", "101", "102", "s1")
    assert run.code == 8, run.text
    by_id = {o["vmid"]: o for o in run.json()}
    assert by_id[102]["outcome"] == "failed" and "no qmsnapshot task" in by_id[102]["message"]
    assert by_id[101]["outcome"] == "done"
    one = pve("-o", "json", "vm", "snapshot", "create", "102", "s3")  # one VM named: its own code
    assert one.code == 0 and one.json()[0]["outcome"] == "done", one.text


@some("lost", "502", "object")
def test_keep_retention_delete_after_an_ambiguous_answer_is_reconciled(
    pve: Faulty, monkeypatch: pytest.MonkeyPatch, action: str, kwargs: dict[str, Any]
) -> None:
    oldest, older = seed_kept(pve, monkeypatch, "vm", "102")
    pve.proxy.add("DELETE", rf"/nodes/pve2/qemu/102/snapshot/{oldest}", action, **kwargs)
    run = pve("-o", "json", "vm", "snapshot", "create", "102", "nightly", "--keep", "1")
    assert run.code == 0, run.text
    (out,) = run.json()
    assert out["outcome"] == "done" and ":qmsnapshot:102:" in out["upid"]
    assert out["done"] == [f"deleted old snapshot {oldest}", f"deleted old snapshot {older}"]
    assert pve.proxy.writes().count(f"DELETE /nodes/pve2/qemu/102/snapshot/{oldest}") == 1
    assert [n for n in names(pve, "qemu", "pve2", 102) if n.startswith("nightly-")] == [out["message"].split("'")[1]]


def test_keep_retention_refused_is_partial_with_the_command_that_finishes_it(
    pve: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    oldest, older = seed_kept(pve, monkeypatch, "ct", "cache1")
    pve.proxy.add("DELETE", rf"/nodes/pve2/lxc/191/snapshot/{oldest}", "status", status=500)
    run = pve("-o", "json", "ct", "snapshot", "create", "cache1", "nightly", "--keep", "1")
    assert run.code == 6, run.text
    out = run.json()
    assert out["outcome"] == "partial" and out["done"][0].endswith("' created")
    assert out["done"][1:] == [f"deleted old snapshot {older}"]
    assert f"pvectl ct snapshot delete 191 {oldest} --yes" in out["remedies"]
    text = pve("vm", "snapshot", "create", "100", "nightly", "--keep", "1", "--no-wait")
    assert text.code == 2 and "--keep: not with --no-wait" in text.stderr


def interrupt_retention(pve: Faulty, monkeypatch: pytest.MonkeyPatch, noun: str, kind: str, vmid: int,
                        guest: str, *more: str) -> tuple[int, str, str, float, list[str]]:  # fmt: skip
    """`pvectl NOUN snapshot create [MORE] GUEST nightly --keep 1` in a subprocess; GUEST's old snapshots' deletes
    run for a minute (the simulator is slowed once its create is done); Ctrl-C while the first is waited for."""
    made = seed_kept(pve, monkeypatch, noun, guest)
    listing = rf"/nodes/pve2/{kind}/{vmid}/snapshot"
    pve.proxy.add("GET", listing, "delay-after", delay=1.0)  # time to slow the simulator before the deletes
    listed = pve.proxy.signal_on(f"GET {listing}")
    polled = pve.proxy.signal_on(rf"GET /nodes/pve2/tasks/UPID[^/]*delsnapshot(:|%3A){vmid}[^/]*/status")
    proc = pve.spawn(
        "-o", "json", noun, "snapshot", "create", *more, guest, "nightly", "--keep", "1", "--parallel", "1"
    )
    try:
        assert listed.wait(WAIT), pve.proxy.requests
        with pve.sim.store.transaction(write=True) as txn:
            txn.state["task_seconds"] = 60
            txn.changed()
        assert polled.wait(WAIT), pve.proxy.requests
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=WAIT)
        took = time.monotonic() - pressed
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    assert "Traceback" not in err and "internal error" not in out + err, out + err
    return proc.returncode, out, err, took, made


def test_ctrl_c_during_vm_retention_says_the_snapshot_was_created(pve: Faulty, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err, took, (oldest, older) = interrupt_retention(pve, monkeypatch, "vm", "qemu", 102, "102", "100")
    assert code == 130, out + err
    assert took < 2.0, f"{took:.1f}s after Ctrl-C"  # the delete's task runs a minute: not waited for
    first, outcome = json.loads(out)
    assert first["vmid"] == 100 and first["outcome"] == "done"  # nothing of its own to delete
    assert outcome["outcome"] == "interrupted" and outcome["done"][0].endswith("' created")
    assert ":qmdelsnapshot:102:" in outcome["upid"]
    assert outcome["missing"][0].startswith(f"old snapshot {oldest}: still being deleted")
    assert outcome["missing"][1] == f"old snapshot {older}: not deleted (not started)"
    assert "nothing-created" not in out + err and "created; retention interrupted" in err
    assert outcome["upid"] in err
    assert "interrupted: 1 done, 1 partly done, 1 still running on the server, 0 not started" in err
    new = outcome["done"][0].split("'")[1]
    assert new in names(pve, "qemu", "pve2", 102)
    assert pve.proxy.writes().count(f"DELETE /nodes/pve2/qemu/102/snapshot/{oldest}") == 1
    assert f"DELETE /nodes/pve2/qemu/102/snapshot/{older}" not in pve.proxy.writes()


def test_ctrl_c_during_ct_retention_says_the_snapshot_was_created(pve: Faulty, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err, took, (oldest, older) = interrupt_retention(pve, monkeypatch, "ct", "lxc", 191, "cache1")
    assert code == 130, out + err
    assert took < 2.0, f"{took:.1f}s after Ctrl-C"
    outcome = json.loads(out)
    assert outcome["outcome"] == "interrupted" and outcome["guest"] == "lxc"
    assert outcome["done"][0].endswith("' created") and ":vzdelsnapshot:191:" in outcome["upid"]
    assert outcome["missing"][1] == f"old snapshot {older}: not deleted (not started)"
    assert any(r.startswith("pvectl task wait 'UPID:pve2:") for r in outcome["remedies"])
    assert f"pvectl ct snapshot delete 191 {older} --yes" in outcome["remedies"]
    assert pve.proxy.writes().count(f"DELETE /nodes/pve2/lxc/191/snapshot/{oldest}") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("vm", "snapshot", "create", "100", "1abc"), "NAME: '1abc': a letter, then at least one more"),
        (("vm", "snapshot", "create", "100", "x" * 41), "at most 40 characters"),
        (("ct", "snapshot", "create", "cache1", "x" * 25, "--keep", "3"), "at most 24 characters (a --keep prefix"),
        (("ct", "snapshot", "create", "cache1", "vzdump"), "NAME: 'vzdump' is a reserved snapshot name"),
        (("vm", "snapshot", "rollback", "100", "Pending", "--yes"), "NAME: 'Pending' is a reserved snapshot name"),
        (("ct", "snapshot", "create", "cache1", "nn", "--keep", "0"), "--keep: must be at least 1"),
        (("ct", "snapshot", "delete", "--all", "s1"), "refusing to delete snapshot 's1' of 2 CTs without confirmation"),
    ],
)
def test_bad_names_and_flags_send_nothing(pve: Faulty, args: tuple[str, ...], message: str) -> None:
    run = pve(*args)
    assert run.code == 2 and message in run.stderr, run.text
    assert pve.proxy.writes() == []
