"""Bus-aware disk defaults: IO thread and SSD emulation apply only where the bus has them; set values stay set."""

from __future__ import annotations

import pytest

from pvectl.vm.config import Disk, VmConfig, assign_devices, parse_disk_spec
from pvectl.vm.defaults import apply_defaults
from pvectl.vm.encode import disk_value
from pvectl.vm.rules import check
from tests.vm.conftest import SimCli


def _problems(*disks: Disk) -> list[str]:
    config = VmConfig(disks=assign_devices(list(disks)))
    config.os.iso = "cephfs:iso/x.iso"
    return [p.field for p in check(config)]


@pytest.mark.parametrize(
    ("spec", "sent", "not_sent"),
    [
        ("virtio0:ceph-pool:10", ["iothread=1"], ["ssd"]),
        ("sata0:ceph-pool:10", ["ssd=1"], ["iothread"]),
        ("ide0:ceph-pool:10", ["ssd=1"], ["iothread"]),
        ("scsi1:ceph-pool:10", ["iothread=1", "ssd=1"], []),
    ],
)
def test_defaults_follow_the_bus(spec: str, sent: list[str], not_sent: list[str]) -> None:
    disk = parse_disk_spec(spec)
    assert _problems(disk) == []
    value = disk_value(disk)
    assert all(part in value for part in sent), value
    assert not any(part in value for part in not_sent), value


@pytest.mark.parametrize(
    ("spec", "field"),
    [("virtio0:ceph-pool:10,ssd=1", "disks[0].ssd"), ("sata0:ceph-pool:10,iothread=1", "disks[0].iothread")],
)
def test_an_explicit_conflicting_value_is_still_an_error(spec: str, field: str) -> None:
    assert _problems(parse_disk_spec(spec)) == [field]


def test_changing_the_bus_later_moves_the_defaults_along() -> None:
    disk = Disk()
    disk.bus = "virtio"
    assert (disk.ssd, disk.iothread) == (False, True)
    disk.bus = "sata"
    assert (disk.ssd, disk.iothread) == (True, False)
    disk.ssd = False
    disk.bus = "scsi"
    assert (disk.ssd, disk.iothread) == (False, True)  # what was set stays set


def test_config_file_disk_defaults_skip_buses_without_them() -> None:
    config = VmConfig(disks=[Disk(bus="virtio"), Disk(bus="sata")])
    out = apply_defaults(config, {"disk-ssd": True, "disk-iothread": True, "disk-format": "qcow2"})
    assert [(d.ssd, d.iothread, d.format) for d in out.disks] == [(False, True, "qcow2"), (True, False, "qcow2")]
    assert _problems(*out.disks) == []


@pytest.mark.parametrize("disk", ["virtio0:ceph-pool:10", "sata0:ceph-pool:10", "ide0:ceph-pool:10"])
def test_create_with_any_bus_needs_no_extra_flags(cli: SimCli, disk: str) -> None:
    run = cli("vm", "create", "--node", "pve1", "--disk", disk, "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    params = run.json()["requests"][0]["params"]
    assert params[disk.split(":")[0]].startswith("ceph-pool:10")


def test_create_with_an_explicit_conflict_fails_and_sends_nothing(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--disk", "virtio0:ceph-pool:10,ssd=1")
    assert run.code == 2
    assert "disks[0].ssd: SSD emulation is not available on virtio disks" in run.stderr
    assert cli.writes() == []
