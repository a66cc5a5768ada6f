"""Items 2, 3 and 12: moving HA-managed VMs, and HA state ``ignored``.

PVE:
- qemu-server src/PVE/API2/Qemu.pm ``migrate_vm`` (needs ``VM.Migrate``): for an HA-managed VM it forks
  ``hamigrate``, which asks ``ha-manager migrate``; the GUI posts there (pve-manager
  www/manager6/window/Migrate.js). The HA API's ``/cluster/ha/resources/{sid}/migrate`` needs ``Sys.Console`` on
  ``/`` (pve-ha-manager src/PVE/API2/HA/Resources.pm).
- pve-ha-manager src/PVE/HA/Resources/PVEVM.pm ``migrate``: the HA stack migrates with ``force`` and
  ``with-local-disks`` itself, so an HA VM with a local disk moves without any flag.
- pve-ha-manager src/PVE/HA/Config.pm ``$service_check_ha_state``: a resource in state ``ignored`` is not
  HA-managed (the HA API refuses it: "resource 'vm:N' is not HA managed").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sdk import ApiError
from tests.fidelity.conftest import Pve, seeded


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    disk = {"memory": "512", "scsi0": "local-lvm:4"}
    vms = [
        {"vmid": 100, "node": "pve1", "name": "ha-local", "status": "running", "ha": "started", "config": disk},
        {"vmid": 101, "node": "pve1", "name": "ignored", "status": "running", "ha": "ignored", "config": disk},
    ]
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1", "pve2"], vms=vms)


def test_an_ha_vm_with_a_local_disk_moves_through_the_node_api(pve: Pve) -> None:
    run = pve("vm", "migrate", "100", "--to", "pve2", "--yes")
    assert run.code == 0, run.stderr
    assert pve.writes() == ["POST /nodes/pve1/qemu/100/migrate"]  # not the Sys.Console HA API
    assert pve.vm(100)["node"] == "pve2"


@pytest.mark.parametrize("flag", [[], ["--with-local-disks"]])
def test_drain_moves_an_ha_vm_with_a_local_disk(pve: Pve, flag: list[str]) -> None:
    # neither asked for nor refused: the HA stack adds with-local-disks itself
    run = pve("node", "drain", "pve1", "--yes", *flag)
    assert pve.vm(100)["node"] == "pve2", run.stderr
    if flag:
        assert run.code == 0, run.stderr
    else:  # only VM 101 ('ignored': not HA-managed) needs the flag, as qemu-server's migrate_vm wants it
        assert run.code == 8 and "101 ignored" in run.stderr and "need --with-local-disks" in run.stderr
        assert "vm-100-disk" not in run.stderr, run.stderr
    assert "POST /nodes/pve1/qemu/100/migrate" in pve.writes()
    assert not any("/cluster/ha/resources" in w for w in pve.writes())


def test_ignored_is_not_ha_managed(pve: Pve) -> None:
    with pytest.raises(ApiError) as caught:
        pve.client.request("POST", "/cluster/ha/resources/vm:101/migrate", {"node": "pve2"})
    assert "is not HA managed" in caught.value.message
    before = len(pve.writes())
    run = pve("vm", "migrate", "101", "--to", "pve2", "--with-local-disks", "--yes")
    assert run.code == 0, run.stderr
    assert pve.writes()[before:] == ["POST /nodes/pve1/qemu/101/migrate"]
    assert pve.vm(101)["node"] == "pve2"
