"""Item 5: reading the migration preflight (``GET /nodes/{node}/qemu/{vmid}/migrate``).

PVE:
- qemu-server src/PVE/QemuMigrate.pm ``scan_local_volumes``: a local ISO in a CD drive dies "local cdrom image",
  online and offline (a VM's own cloud-init drive is regenerated); the GUI blocks it (pve-manager
  www/manager6/window/Migrate.js "Cannot migrate VM with local CD/DVD").
- qemu-server src/PVE/API2/Qemu.pm ``migrate_vm_precondition``: ``local_resources`` lists mapped devices too;
  ``mapped-resource-info`` names them (with ``live-migration``), and QemuMigrate ``prepare`` subtracts them
  before "can't migrate VM which uses local devices"; ``not_allowed_nodes.{node}['unavailable-resources']``
  names mappings the target lacks.
- ``migrate_vm``: with a ``targetstorage`` map the storage availability check is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.vm.migrate import parse, problems
from tests.fidelity.conftest import Pve, seeded

ISO = "local:iso/virtio-win-0.1.266.iso"


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    storages = [
        {"id": "cephfs", "type": "cephfs", "content": ["iso"], "shared": True},
        {"id": "local", "type": "dir", "content": ["iso", "images"]},
        {"id": "local-lvm", "type": "lvmthin", "content": ["images"]},
        {"id": "fast", "type": "lvmthin", "content": ["images"], "nodes": ["pve1"]},
    ]
    vms = [
        {"vmid": 100, "node": "pve1", "name": "iso", "status": "stopped",
         "config": {"memory": "512", "ide2": f"{ISO},media=cdrom"}},
        {"vmid": 101, "node": "pve1", "name": "fast", "status": "stopped", "config": {"memory": "512", "scsi0": "fast:4"}},
    ]  # fmt: skip
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1", "pve2"], storages=storages, vms=vms)


def test_a_local_iso_blocks_the_move(pve: Pve) -> None:
    run = pve("vm", "migrate", "100", "--to", "pve2")
    assert run.code == 2 and "local ISO" in run.stderr, run.stderr
    assert pve.writes() == []
    upid = pve.client.request("POST", "/nodes/pve1/qemu/100/migrate", {"target": "pve2"})
    status = pve.client.request("GET", f"/nodes/pve1/tasks/{upid}/status")
    assert "local cdrom image" in status["exitstatus"]


def test_a_storage_map_lifts_the_storage_check(pve: Pve) -> None:
    blocked = pve("vm", "migrate", "101", "--to", "pve2")
    assert blocked.code == 2 and "storage fast" in blocked.stderr
    run = pve("vm", "migrate", "101", "--to", "pve2", "--target-storage", "local-lvm")
    assert run.code == 0, run.stderr
    assert pve.vm(101)["node"] == "pve2"


def test_mapped_devices_are_subtracted_and_unavailable_resources_read() -> None:
    # the shape migrate_vm_precondition answers for a stopped VM with a mapped PCI device and a local USB device
    answer = {
        "running": 0,
        "local_disks": [],
        "local_resources": ["hostpci0", "usb0"],
        "mapped-resources": ["hostpci0"],
        "mapped-resource-info": {"hostpci0": {"name": "gpu", "live-migration": 0}},
        "allowed_nodes": ["pve2"],
        "not_allowed_nodes": {"pve3": {"unavailable-resources": ["hostpci0"]}},
    }
    pre = parse(answer, 100)
    assert problems(pre, "pve2", online=False, with_local_disks=False) == ["local devices pin it to its node: usb0"]
    assert any("hostpci0 not available there" in p for p in problems(pre, "pve3", online=False, with_local_disks=False))
    running = parse({**answer, "running": 1, "local_resources": ["hostpci0"]}, 100)
    assert problems(running, "pve2", online=True, with_local_disks=False) == [
        "mapped devices cannot move live: hostpci0"
    ]


def test_an_ejected_iso_leaves_the_vm(pve: Pve) -> None:
    # qemu-server QemuServer.pm vmconfig_register_unused_drive: a CD-ROM's medium never becomes unusedN (nor does
    # a volume the VM does not own), and try_deallocate_drive never frees it: after the eject pvectl advises,
    # the preflight lists no local disk and the ISO stays on its storage
    run = pve("vm", "set", "100", "--iso", "none")
    assert run.code == 0, run.stderr
    assert not [k for k in pve.vm(100)["config"] if k.startswith("unused")]
    answer = pve.client.request("GET", "/nodes/pve1/qemu/100/migrate", {"target": "pve2"})
    assert answer["local_disks"] == []
    pve.client.request("PUT", "/nodes/pve1/qemu/101/config", {"ide2": f"{ISO},media=cdrom"})
    pve.client.request("PUT", "/nodes/pve1/qemu/101/config", {"delete": "ide2", "force": 1})
    isos = pve.client.request("GET", "/nodes/pve1/storage/local/content", {"content": "iso"})
    assert [v["volid"] for v in isos] == [ISO]
    moved = pve("vm", "migrate", "100", "--to", "pve2")
    assert moved.code == 0 and ISO not in moved.stderr, moved.stderr


def test_a_mapped_device_moves_and_a_host_device_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # end to end: the simulator lists both among local_resources, names the mapped one in mapped-resource-info;
    # pvectl subtracts it (QemuMigrate prepare) and blocks only the host USB device
    vms = [
        {"vmid": 100, "node": "pve1", "name": "gpu", "status": "stopped",
         "config": {"memory": "512", "hostpci0": "mapping=gpu"}},
        {"vmid": 101, "node": "pve1", "name": "dongle", "status": "stopped",
         "config": {"memory": "512", "hostpci0": "mapping=gpu", "usb0": "host=1234:5678"}},
    ]  # fmt: skip
    for pve in seeded(tmp_path, monkeypatch, nodes=["pve1", "pve2"], vms=vms):
        answer = pve.client.request("GET", "/nodes/pve1/qemu/101/migrate", {"target": "pve2"})
        assert answer["local_resources"] == ["hostpci0", "usb0"] and list(answer["mapped-resource-info"]) == [
            "hostpci0"
        ]
        pinned = pve("vm", "migrate", "101", "--to", "pve2")
        assert pinned.code == 2 and "usb0" in pinned.stderr and "hostpci0" not in pinned.stderr, pinned.stderr
        moved = pve("vm", "migrate", "100", "--to", "pve2")
        assert moved.code == 0, moved.stderr
        assert pve.vm(100)["node"] == "pve2"
