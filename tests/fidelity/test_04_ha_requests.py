"""Item 4: HA start/stop tasks only file a request.

PVE: qemu-server src/PVE/API2/Qemu.pm ``vm_start``/``vm_stop``/``vm_shutdown``: for an HA-managed VM the task is
``hastart``/``hastop``, which runs ``ha-manager set --state`` and ends; the HA stack starts or stops the VM in a
later task of its own. ``destroy_vm`` refuses a running VM ("VM N is running - destroy failed"), so
``apply --prune`` must wait for the VM to be really stopped. pve-manager PVE/API2/Cluster/BulkAction/Guest.pm
``handle_task_foreach_guest`` waits for each guest's (request) task only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import Task
from pvectl.vm.apply import prune
from pvectl.vm.lookup import lookup
from tests.fidelity.conftest import Pve
from tests.vm.conftest import mount

HA_SECONDS = 0.3


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    vm = {"vmid": 100, "node": "pve1", "name": "ha", "status": "running", "ha": "started", "config": {"memory": "512"}}
    seed = {"task_seconds": 0, "ha_seconds": HA_SECONDS, "nodes": ["pve1", "pve2"], "vms": [vm]}
    yield from mount(tmp_path, monkeypatch, seed, Pve)  # the real clock: the HA stack acts 0.3 s later


def test_the_stop_task_ends_before_the_vm_stops(pve: Pve) -> None:
    upid = pve.client.request("POST", "/nodes/pve1/qemu/100/status/stop", {})
    assert ":hastop:" in upid
    Task(pve.client, upid).wait(timeout=5)
    status = pve.client.request("GET", "/nodes/pve1/qemu/100/status/current")["status"]
    assert status == "running"  # only the request is filed
    time.sleep(HA_SECONDS + 0.1)
    assert pve.client.request("GET", "/nodes/pve1/qemu/100/status/current")["status"] == "stopped"


def test_prune_of_a_running_ha_vm_waits_for_the_stop(pve: Pve) -> None:
    ref = lookup(pve.client, "100")
    results = prune(pve.client, [ref], parallel=1, timeout=10)
    assert [r.outcome.kind for r in results] == ["done"], results[0].outcome.message
    assert "100" not in pve.sim.store.snapshot()["vms"]


def test_server_side_start_waits_for_the_ha_stack(pve: Pve) -> None:
    Task(pve.client, pve.client.request("POST", "/nodes/pve1/qemu/100/status/stop", {})).wait(timeout=5)
    time.sleep(HA_SECONDS + 0.1)
    run = pve("vm", "start", "100", "--server-side", "-o", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert pve.vm(100)["status"] == "running"


def test_vm_stop_of_an_ha_vm_reports_when_it_is_stopped(pve: Pve) -> None:
    run = pve("vm", "stop", "100")
    assert run.code == 0, run.stderr
    assert pve.vm(100)["status"] == "stopped"  # not just the request filed


def test_bulk_stop_of_an_ha_vm_reports_when_it_is_stopped(pve: Pve) -> None:
    run = pve("vm", "stop", "--all", "--yes", "-o", "json")
    assert run.code == 0, run.stderr
    assert pve.vm(100)["status"] == "stopped"
