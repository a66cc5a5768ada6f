"""Item 14: the resize pre-check measures the volume.

PVE: qemu-server src/PVE/API2/Qemu.pm ``resize_vm`` reads the present size with
``PVE::Storage::volume_size_info`` (the volume), not the config's ``size=``, then dies "shrinking disks is not
supported" for anything smaller. A config whose ``size=`` is stale (the volume grew outside PVE) must not make
pvectl send a shrink, nor compute a relative size from the wrong base.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ApiError
from pvectl.sim import volumes
from tests.fidelity.conftest import Pve, seeded

GiB = 1024**3


def _grow_outside_pve(pve: Pve, gib: int) -> str:
    """The volume of VM 100's scsi0 becomes ``gib`` GiB; the config still says 8G."""
    with pve.sim.store.transaction(write=True) as txn:
        volid = str(txn.state["vms"]["100"]["config"]["scsi0"]).split(",", 1)[0]
        vol = volumes.find(txn.state, volid, "pve1")
        assert vol is not None
        vol["size"] = gib * GiB
        txn.changed()
    return volid


def test_a_stale_config_size_does_not_hide_a_shrink(pve: Pve) -> None:
    _grow_outside_pve(pve, 12)
    run = pve("vm", "resize", "100", "scsi0", "10G")
    assert run.code == 2 and "smaller" in run.stderr and "12G" in run.stderr, run.stderr
    assert pve.writes() == []


def test_a_relative_size_grows_the_real_volume(pve: Pve) -> None:
    _grow_outside_pve(pve, 12)
    run = pve("vm", "resize", "100", "scsi0", "+2G")
    assert run.code == 0, run.stderr
    assert "to 14G" in run.stdout + run.stderr
    assert "size=14G" in pve.vm(100)["config"]["scsi0"]


def test_vm_set_measures_the_volume_too(pve: Pve) -> None:
    # vm set --disk plans its growth through the same PUT …/resize: a size under the real volume is refused
    _grow_outside_pve(pve, 12)
    run = pve("vm", "set", "100", "--disk", "scsi0:local-lvm:10")
    assert run.code == 2 and "12G on its storage" in run.stderr and "config says 8G" in run.stderr, run.stderr
    assert pve.writes() == []
    same = pve("vm", "set", "100", "--disk", "scsi0:local-lvm:12")
    assert same.code == 0 and "nothing to change" in same.stdout + same.stderr, same.stdout + same.stderr
    assert pve.writes() == []
    grown = pve("vm", "set", "100", "--disk", "scsi0:local-lvm:14")
    assert grown.code == 0, grown.stderr
    assert "size=14G" in pve.vm(100)["config"]["scsi0"]


def test_apply_measures_the_volume(pve: Pve, tmp_path: Path) -> None:
    _grow_outside_pve(pve, 12)
    doc = tmp_path / "vm.yaml"
    doc.write_text("kind: vm\nvmid: 100\nnode: pve1\nname: web1\ndisk:\n  - scsi0:local-lvm:10\n")
    run = pve("apply", "-f", str(doc), "--yes")
    assert run.code != 0 and "12G on its storage" in run.stdout + run.stderr, run.stdout + run.stderr
    assert pve.writes() == []


@pytest.fixture
def ct(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    from pvectl.sim.world import DEBIAN_CT

    box = {"vmid": 200, "node": "pve1", "hostname": "ns1", "template": f"local:vztmpl/{DEBIAN_CT}",
           "config": {"rootfs": "local-lvm:4"}}  # fmt: skip
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1"], vms=[], containers=[box])


def _grow_ct_outside_pve(pve: Pve, gib: int) -> None:
    with pve.sim.store.transaction(write=True) as txn:
        volid = str(txn.state["vms"]["200"]["config"]["rootfs"]).split(",", 1)[0]
        vol = volumes.find(txn.state, volid, "pve1")
        assert vol is not None
        vol["size"] = gib * GiB
        txn.changed()


def test_a_container_resize_measures_the_volume(ct: Pve) -> None:
    # pve-container src/PVE/API2/LXC.pm resize_vm: volume_size_info, "unable to shrink disk size" and "disk is
    # already at specified size", both before the fork
    _grow_ct_outside_pve(ct, 6)
    for size, said in (("5G", "unable to shrink disk size"), ("6G", "disk is already at specified size")):
        with pytest.raises(ApiError) as caught:
            ct.client.request("PUT", "/nodes/pve1/lxc/200/resize", {"disk": "rootfs", "size": size})
        assert caught.value.message == said
    before = len(ct.writes())
    run = ct("ct", "resize", "200", "rootfs", "5G")
    assert run.code == 2 and "6G on its storage" in run.stderr, run.stderr
    same = ct("ct", "resize", "200", "rootfs", "6G")
    assert same.code == 0 and "nothing sent" in same.stdout + same.stderr, same.stdout + same.stderr
    assert ct.writes()[before:] == []
    grown = ct("ct", "resize", "200", "rootfs", "+1G")
    assert grown.code == 0, grown.stderr
    assert "size=7G" in ct.vm(200)["config"]["rootfs"]
