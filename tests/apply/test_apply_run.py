"""pvectl.vm.apply.run: results in file order, at most N at a time, Ctrl-C starts no further VM."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pvectl.vm import apply
from pvectl.vm.bulk import Result
from pvectl.vm.diff import Doc, VmDiff
from pvectl.vm.lookup import VmRef
from pvectl.vm.outcome import Outcome


def steps(n: int) -> list[apply.Step]:
    refs = [VmRef(100 + i, "pve1", f"vm{i}", "stopped", (), {}) for i in range(n)]
    return [apply.Step(VmDiff(Doc(i + 1, {"vmid": r.vmid}), "unchanged", r)) for i, r in enumerate(refs)]


def test_results_come_in_file_order_and_no_more_than_parallel_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def slow(client: Any, step: apply.Step, *, timeout: float, on_event: Any = None) -> Outcome:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05 * (5 - step.ref.vmid % 5))  # later VMs finish first
        with lock:
            running -= 1
        return Outcome("done", step.ref.vmid, step.ref.node, f"VM {step.ref.vmid}: changed")

    monkeypatch.setattr(apply, "run_step", slow)
    results = apply.run(None, steps(6), parallel=2, timeout=1)  # type: ignore[arg-type]
    assert [r.ref.vmid for r in results] == [100, 101, 102, 103, 104, 105]
    assert most == 2


def test_ctrl_c_starts_no_further_vm(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []

    def record(client: Any, step: apply.Step, *, timeout: float, on_event: Any = None) -> Outcome:
        started.append(step.ref.vmid)
        time.sleep(0.05)  # a VM takes a while: Ctrl-C lands before the next one starts
        return Outcome("done", step.ref.vmid, step.ref.node, "done")

    def interrupt(result: Result) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(apply, "run_step", record)
    results = apply.run(None, steps(4), parallel=1, timeout=1, on_result=interrupt)  # type: ignore[arg-type]
    kinds = [r.outcome.kind for r in results]
    assert kinds[: len(started)] == ["done"] * len(started)  # what ran is reported as it ended
    assert kinds[len(started) :] == ["interrupted"] * (4 - len(started))  # exit 130, nothing sent for them
    assert all("not started" in r.outcome.message and r.outcome.upid is None for r in results[len(started) :])
    assert len(started) < 4


def test_an_unchanged_vm_gets_no_request() -> None:
    [step] = steps(1)
    outcome = apply.run_step(None, step, timeout=1)  # type: ignore[arg-type]  # no client: nothing is sent
    assert (outcome.kind, outcome.message) == ("done", "VM 100 (vm0) on pve1: unchanged")
