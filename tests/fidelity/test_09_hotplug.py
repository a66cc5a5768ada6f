"""Item 9: what a running VM takes at once and what waits for a reboot.

PVE: qemu-server src/PVE/QemuServer.pm ``vmconfig_hotplug_pending`` (cloud-init keys join
``$fast_plug_option``; ``hotplug`` waits when the old or new value contains cpu or memory),
``vmconfig_update_disk`` (aio/cache/discard/iothread/queues/product/ssd/vendor/ro on a disk that keeps its
volume: skip; anything else, e.g. ``backup`` or the throttles, live on every bus), ``vmconfig_update_net``.
The client predicts (pvectl.vm.pending.hotpluggable), the simulator decides on its own (pvectl.sim.hotplug).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.vm.pending import hotpluggable
from tests.fidelity.conftest import Pve, seeded

VM = "/nodes/pve1/qemu/100"
CONFIG = {
    "memory": "2048",
    "cores": "2",
    "scsi0": "local-lvm:8,iothread=1",
    "sata1": "local-lvm:4",
    "ide2": "none,media=cdrom",
    "net0": "virtio,bridge=vmbr0",
}


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pve]:
    vm = {"vmid": 100, "node": "pve1", "name": "web1", "status": "running", "config": CONFIG}
    yield from seeded(tmp_path, monkeypatch, nodes=["pve1"], vms=[vm])


def _waits(pve: Pve, key: str, edit: object) -> tuple[bool, bool]:
    """(client predicts a wait, the simulator keeps it pending) for setting ``key`` to ``edit(old)``."""
    live = pve.client.request("GET", f"{VM}/config")
    value = edit(str(live.get(key, ""))) if callable(edit) else str(edit)
    predicted = not hotpluggable(key, live, {**live, key: value})
    pve.client.request("PUT", f"{VM}/config", {key: value})
    rows = {r["key"]: r for r in pve.client.request("GET", f"{VM}/pending")}
    return predicted, "pending" in rows.get(key, {})


@pytest.mark.parametrize(
    ("key", "edit", "waits"),
    [
        ("ciuser", "admin", False),  # $confdesc_cloudinit keys are fast-plug options
        ("ipconfig0", "ip=dhcp", False),
        ("scsi0", lambda v: v + ",cache=writeback", True),  # vmconfig_update_disk: skip
        ("scsi0", lambda v: v + ",ssd=1", True),
        ("sata1", lambda v: v + ",backup=0", False),  # neither skipped nor a new volume: live, even on sata
        ("sata1", lambda v: v + ",mbps_rd=100", False),  # set_io_throttle, live
        ("hotplug", "network,disk,usb,cpu", True),  # the new value contains cpu
        ("net0", lambda v: v.replace("vmbr0", "vmbr9"), False),  # vmconfig_update_net: tap re-plug
    ],
)
def test_live_or_reboot_as_qemu_server_decides(pve: Pve, key: str, edit: object, waits: bool) -> None:
    predicted, kept = _waits(pve, key, edit)
    assert (predicted, kept) == (waits, waits)
