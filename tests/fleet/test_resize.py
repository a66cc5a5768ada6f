"""vm resize against the simulator, and the pure check that refuses a shrink before sending."""

from __future__ import annotations

import pytest

from pvectl.vm.resize import ResizeError, plan
from tests.fleet.conftest import Fleet

G = 1024**3


def test_plan_relative_absolute_and_refusals() -> None:
    config = {"scsi0": "ceph-pool:vm-100-disk-0,size=16G", "ide2": "none,media=cdrom"}
    assert plan(config, "scsi0", "+10G").new == 26 * G
    assert plan(config, "scsi0", "64G").new == 64 * G
    assert plan(config, "scsi0", "16384M").unchanged
    with pytest.raises(ResizeError, match="cannot shrink"):
        plan(config, "scsi0", "8G")
    with pytest.raises(ResizeError, match="CD-ROM"):
        plan(config, "ide2", "+1G")
    with pytest.raises(ResizeError, match="no disk scsi1"):
        plan(config, "scsi1", "+1G")
    with pytest.raises(ResizeError, match="SIZE"):
        plan(config, "scsi0", "-1G")


def test_resize_grows_and_refuses_shrink(fleet: Fleet) -> None:
    assert fleet("api", "set", "/nodes/pve1/qemu/100/config", "--scsi0", "ceph-pool:16").code == 0
    grown = fleet("vm", "resize", "100", "scsi0", "+4G")
    assert grown.code == 0, grown.stderr
    assert "grown from 16G to 20G" in grown.stdout
    assert "size=20G" in fleet("vm", "show", "100", "-o", "json").json()["scsi0"]
    absolute = fleet("vm", "resize", "web-000", "scsi0", "32G")
    assert absolute.code == 0 and "size=32G" in fleet("vm", "show", "100", "-o", "json").json()["scsi0"]
    before = len(fleet.writes())
    shrink = fleet("vm", "resize", "100", "scsi0", "10G")
    assert shrink.code == 2 and "cannot shrink" in shrink.stderr
    assert len(fleet.writes()) == before  # nothing sent


def test_simulator_refuses_shrink_like_pve(fleet: Fleet) -> None:
    assert fleet("api", "set", "/nodes/pve1/qemu/100/config", "--scsi0", "ceph-pool:16").code == 0
    run = fleet("api", "set", "/nodes/pve1/qemu/100/resize", "--disk", "scsi0", "--size", "1G")
    assert run.code == 1 and "shrinking disks is not supported" in run.stderr
