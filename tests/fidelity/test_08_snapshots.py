"""Item 8: what cannot have snapshots.

PVE: pve-guest-common src/PVE/AbstractConfig.pm ``__snapshot_prepare`` (in the ``qmsnapshot`` task): "you can't
take a snapshot if it's a template", "snapshot feature is not available" when a volume's storage lacks it
(pve-storage ``volume_has_feature``: raw on a directory storage has none). qemu-server src/PVE/API2/Qemu.pm
``snapshot``: 'current' and 'pending' (any case) are reserved names. A nightly ``snapshot create --all --keep 7``
skips such guests, says so per guest, and does not count them as failures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ApiError
from tests.fidelity.conftest import Pve, seeded


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    vms = [
        {"vmid": 100, "node": "pve1", "name": "web", "status": "running", "config": {"memory": "512", "scsi0": "local-lvm:4"}},
        {"vmid": 101, "node": "pve1", "name": "raw-dir", "status": "stopped", "config": {"memory": "512", "scsi0": "local:4,format=raw"}},
        {"vmid": 9000, "node": "pve1", "name": "tmpl", "status": "stopped", "config": {"memory": "512", "scsi0": "local-lvm:4", "template": "1"}},
    ]  # fmt: skip
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1"], vms=vms)


def test_the_simulator_fails_as_snapshot_prepare(pve: Pve) -> None:
    for vmid, why in (
        (9000, "you can't take a snapshot if it's a template"),
        (101, "snapshot feature is not available"),
    ):
        upid = pve.client.request("POST", f"/nodes/pve1/qemu/{vmid}/snapshot", {"snapname": "s1"})
        answer = pve.client.request("GET", f"/nodes/pve1/tasks/{upid}/status")
        assert answer["exitstatus"] == why
    with pytest.raises(ApiError) as caught:
        pve.client.request("POST", "/nodes/pve1/qemu/100/snapshot", {"snapname": "Pending"})
    assert caught.value.message == "unable to use snapshot name 'Pending' (reserved name)"


def test_snapshot_all_skips_what_cannot_have_snapshots(pve: Pve) -> None:
    run = pve("vm", "snapshot", "create", "--all", "nightly", "--keep", "7", "-o", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert "VM 9000 (tmpl): skipped" in run.stderr and "VM 101 (raw-dir): skipped" in run.stderr
    assert [(o["vmid"], o["outcome"], o["exit_code"]) for o in run.json()] == [
        (100, "done", 0),
        (101, "skipped", 0),
        (9000, "skipped", 0),
    ]
    assert len(pve.vm(100)["snapshots"]) == 1 and not pve.vm(101).get("snapshots")


def test_pending_is_a_reserved_name(pve: Pve) -> None:
    run = pve("vm", "snapshot", "create", "100", "pending")
    assert run.code == 2 and "reserved" in run.stderr
    assert pve.writes() == []


@pytest.fixture
def cts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    from pvectl.sim.world import DEBIAN_CT

    ostemplate = f"local:vztmpl/{DEBIAN_CT}"
    containers = [
        {"vmid": 200, "node": "pve1", "hostname": "ns1", "template": ostemplate, "config": {"rootfs": "local-lvm:4"}},
        {"vmid": 201, "node": "pve1", "hostname": "on-dir", "template": ostemplate, "config": {"rootfs": "local:4"}},
        {"vmid": 202, "node": "pve1", "hostname": "ct-tmpl", "template": ostemplate,
         "config": {"rootfs": "local-lvm:4", "template": "1"}},
    ]  # fmt: skip
    storages = [
        {"id": "local", "type": "dir", "content": ["iso", "vztmpl", "rootdir", "images"]},
        {"id": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"]},
    ]
    volumes = [{"storage": "local", "name": DEBIAN_CT, "content": "vztmpl", "size": 1, "node": "pve1"}]
    seed = {"nodes": ["pve1"], "storages": storages, "volumes": volumes, "vms": [], "containers": containers}
    yield from seeded(tmp_path, monkeypatch, **seed)


def test_containers_the_same(cts: Pve) -> None:
    # pve-container's snapshot runs the same __snapshot_prepare: templates and storage without snapshots fail
    for vmid, why in (
        (202, "you can't take a snapshot if it's a template"),
        (201, "snapshot feature is not available"),
    ):
        upid = cts.client.request("POST", f"/nodes/pve1/lxc/{vmid}/snapshot", {"snapname": "s1"})
        assert cts.client.request("GET", f"/nodes/pve1/tasks/{upid}/status")["exitstatus"] == why
    run = cts("ct", "snapshot", "create", "--all", "nightly", "--keep", "7", "-o", "json")
    assert run.code == 0, run.stdout + run.stderr
    assert "CT 202 (ct-tmpl): skipped" in run.stderr and "CT 201 (on-dir): skipped" in run.stderr
    assert [(o["vmid"], o["outcome"]) for o in run.json()] == [(200, "done"), (201, "skipped"), (202, "skipped")]
    one = cts("ct", "snapshot", "create", "202", "s2")
    assert one.code == 2 and "CT 202 cannot have snapshots: a template" in one.stderr, one.stderr
