"""Items 6 and 13: cloning to another node; what a clone keeps; a taken id.

PVE: qemu-server src/PVE/API2/Qemu.pm ``clone_vm``:
- with ``target`` another node, a ``storage`` that is not shared is refused ("can't clone to non-shared storage"),
  and ``$check_storage_access_clone`` refuses when any source volume, CD-ROM images included, is on unshared
  storage ("can't clone VM to node ... (VM uses local storage)"), full clone or not;
- every key of the source is copied but snapshot state, ``unusedN``, ``template`` (and fresh vmgenid/MACs): the
  description is kept unless a non-empty ``description`` is given;
- a new id whose config exists on this node: "unable to create VM N: config file already exists" (before the
  task); on another node the worker's temporary config write fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ApiError
from tests.fidelity.conftest import Pve, seeded

ISO = "local:iso/virtio-win-0.1.266.iso"


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    vms = [
        {"vmid": 100, "node": "pve1", "name": "shared-iso", "status": "stopped",
         "config": {"memory": "512", "scsi0": "ceph-pool:4", "ide2": f"{ISO},media=cdrom", "description": "db host"}},
        {"vmid": 101, "node": "pve1", "name": "shared", "status": "stopped",
         "config": {"memory": "512", "scsi0": "ceph-pool:4", "description": "db host"}},
        {"vmid": 102, "node": "pve2", "name": "elsewhere", "status": "stopped", "config": {"memory": "512"}},
        {"vmid": 103, "node": "pve1", "name": "here", "status": "stopped", "config": {"memory": "512"}},
    ]  # fmt: skip
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1", "pve2"], vms=vms)


def test_a_local_iso_keeps_a_clone_on_its_node(pve: Pve) -> None:
    run = pve("vm", "clone", "100", "copy", "--target", "pve2")
    assert run.code == 2 and "local storage" in run.stderr and ISO in run.stderr, run.stderr
    assert pve.writes() == []
    with pytest.raises(ApiError) as caught:
        pve.client.request("POST", "/nodes/pve1/qemu/100/clone", {"newid": 200, "target": "pve2", "full": 1})
    assert caught.value.message == "can't clone VM to node 'pve2' (VM uses local storage)"


def test_a_non_shared_target_storage_is_refused(pve: Pve) -> None:
    run = pve("vm", "clone", "101", "copy", "--full", "--storage", "local-lvm", "--target", "pve2")
    assert run.code == 2 and "--storage" in run.stderr and "not shared" in run.stderr, run.stderr
    assert pve.writes() == []
    params = {"newid": 200, "target": "pve2", "full": 1, "storage": "local-lvm"}
    with pytest.raises(ApiError) as caught:
        pve.client.request("POST", "/nodes/pve1/qemu/101/clone", params)
    assert caught.value.message == "can't clone to non-shared storage 'local-lvm'"


def test_the_help_example_works() -> None:
    from pvectl.cli.examples import EXAMPLES

    text = "\n".join(str(e) for e in EXAMPLES.values()) if isinstance(EXAMPLES, dict) else str(EXAMPLES)
    assert "--storage local-lvm --target" not in text


def test_the_target_help_names_shared_storage(pve: Pve) -> None:
    # clone_vm refuses local volumes full clone or not: the help must not promise "--full" as a way out
    run = pve("vm", "clone", "--help")
    text = " ".join(run.stdout.split())
    assert "or a full clone" not in text
    assert "every source volume, CD images too, and --storage shared" in text


def test_a_clone_keeps_the_description(pve: Pve) -> None:
    run = pve("vm", "clone", "101", "copy", "--vmid", "200")
    assert run.code == 0, run.stderr
    assert pve.vm(200)["config"]["description"] == "db host"


def test_a_taken_id_says_what_pve_says(pve: Pve) -> None:
    with pytest.raises(ApiError) as here:
        pve.client.request("POST", "/nodes/pve1/qemu/101/clone", {"newid": 103})
    assert here.value.message == "unable to create VM 103: config file already exists"
    upid = pve.client.request("POST", "/nodes/pve1/qemu/101/clone", {"newid": 102})
    status = pve.client.request("GET", f"/nodes/pve1/tasks/{upid}/status")
    assert "File exists" in status["exitstatus"]
    assert pve.vm(102)["node"] == "pve2"  # untouched
