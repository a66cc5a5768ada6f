"""The simulator's pending-change semantics (qemu-server update_vm_api / vmconfig_hotplug_pending): what a running
VM takes at once, what waits for a reboot, digest checks, ``delete=``, ``revert=`` and ``current=1``."""

from __future__ import annotations

from typing import Any

import pytest

from pvectl.sdk import ApiError, ProxmoxClient, Task
from pvectl.sim import pending as sim_pending

VM = "/nodes/pve1/qemu/100"  # running in the default world
STOPPED = "/nodes/pve2/qemu/102"


def _pending(client: ProxmoxClient, path: str = VM) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in client.request("GET", f"{path}/pending")}


def _waiting(client: ProxmoxClient, path: str = VM) -> set[str]:
    return {k for k, row in _pending(client, path).items() if "pending" in row or row.get("delete")}


def _put(client: ProxmoxClient, path: str = VM, **params: Any) -> None:
    client.request("PUT", f"{path}/config", params)


def _run(client: ProxmoxClient, path: str, action: str) -> None:
    Task(client, client.request("POST", f"{path}/status/{action}", {})).wait(timeout=10)


def test_running_vm_takes_hotpluggable_changes_and_keeps_the_rest_pending(mocked: ProxmoxClient) -> None:
    _put(mocked, name="dns9", memory="4096", cores="4", net0="virtio=BC:24:11:BE:84:11,bridge=vmbr1")
    rows = _pending(mocked)
    assert rows["name"] == {"key": "name", "value": "dns9"}  # fast-plug option
    assert "bridge=vmbr1" in rows["net0"]["value"] and "pending" not in rows["net0"]  # network hot-plugs
    assert rows["memory"] == {"key": "memory", "value": "2048", "pending": "4096"}  # no memory hotplug
    assert rows["cores"]["pending"] == "4"
    assert mocked.request("GET", f"{VM}/config")["memory"] == "4096"  # pending applied by default
    assert mocked.request("GET", f"{VM}/config", {"current": 1})["memory"] == "2048"


def test_stopped_vm_takes_everything_at_once(mocked: ProxmoxClient) -> None:
    _put(mocked, STOPPED, memory="4096", cores="4")
    assert _waiting(mocked, STOPPED) == set()
    assert mocked.request("GET", f"{STOPPED}/config", {"current": 1})["cores"] == "4"


def test_reboot_and_start_apply_pending_but_reset_does_not(mocked: ProxmoxClient) -> None:
    _put(mocked, cores="4")
    _run(mocked, VM, "reset")
    assert _waiting(mocked) == {"cores"}
    _run(mocked, VM, "reboot")
    assert _waiting(mocked) == set()
    assert mocked.request("GET", f"{VM}/config", {"current": 1})["cores"] == "4"
    _put(mocked, cores="8")
    _run(mocked, VM, "stop")
    assert _waiting(mocked) == {"cores"}  # a stop alone applies nothing
    _run(mocked, VM, "start")
    assert _pending(mocked)["cores"] == {"key": "cores", "value": "8"}


def test_hotplug_setting_decides(mocked: ProxmoxClient) -> None:
    _put(mocked, STOPPED, hotplug="disk,memory,cpu", numa="1")
    _run(mocked, STOPPED, "start")
    _put(mocked, STOPPED, memory="4096", net0="virtio,bridge=vmbr1")
    assert _waiting(mocked, STOPPED) == {"net0"}  # memory hot-plugs with NUMA; the network does not
    _put(mocked, hotplug="0")  # a fast change? no: hotplug waits unless memory hotplug is switched
    assert _waiting(mocked) == set()
    _run(mocked, VM, "reboot")
    _put(mocked, scsi1="ceph-pool:8")
    assert _waiting(mocked) == {"scsi1"}  # hotplug 0: even a scsi disk waits; its volume exists already
    assert _pending(mocked)["scsi1"]["pending"].startswith("ceph-pool:vm-100-disk-1,")


def test_disks_by_bus_and_cd_media(mocked: ProxmoxClient) -> None:
    _put(mocked, scsi1="ceph-pool:8", sata1="ceph-pool:8", ide2="none,media=cdrom")
    assert _waiting(mocked) == {"sata1", "ide2"}  # sata never hot-plugs; a new CD drive is a new device
    _run(mocked, VM, "reboot")
    _put(mocked, ide2="cdrom,media=cdrom")
    assert _waiting(mocked) == set()  # changing the medium of a CD drive needs no hotplug


def test_digest_is_the_file_and_a_stale_one_applies_nothing(mocked: ProxmoxClient) -> None:
    first = mocked.request("GET", f"{VM}/config")["digest"]
    _put(mocked, cores="4", digest=first)  # pending only: the file changed all the same
    second = mocked.request("GET", f"{VM}/config")["digest"]
    assert second != first
    with pytest.raises(ApiError) as caught:
        _put(mocked, name="late", digest=first)
    assert caught.value.status == 500
    assert caught.value.message == "checksum mismatch (file change by other user?)"  # update_vm_api
    assert mocked.request("GET", f"{VM}/config")["name"] == "dns1"
    assert mocked.request("GET", f"{VM}/config")["digest"] == second


def test_digest_text_is_pve_layout() -> None:
    vm = {"config": {"name": "a", "description": "x\ny", "cores": "2"}, "pending": {"cores": "4", "delete": "net0"}}
    text = sim_pending.config_text(vm)
    assert text == "#x\n#y\ncores: 2\nname: a\n\n[PENDING]\ncores: 4\ndelete: net0\n"


def test_delete_on_a_running_vm(mocked: ProxmoxClient) -> None:
    _put(mocked, delete="tags,net0")
    rows = _pending(mocked)
    assert "tags" not in rows  # fast-plug: gone at once
    assert "net0" not in rows  # network hot-unplug
    _put(mocked, delete="cores")
    assert _pending(mocked)["cores"]["delete"] == 1
    assert "cores" not in mocked.request("GET", f"{VM}/config")
    _put(mocked, delete="scsi0", force="1")  # disk hot-unplug; forced: the volume is destroyed, no unused0
    assert not {"scsi0", "unused0"} & set(_pending(mocked))
    assert all(
        v["volid"] != "ceph-pool:vm-100-disk-0" for v in mocked.request("GET", "/nodes/pve1/storage/ceph-pool/content")
    )
    _put(mocked, delete="memory", force="1")
    assert _pending(mocked)["memory"]["delete"] == 2


def test_detached_disk_becomes_unused_and_deleting_unused_frees_the_volume(mocked: ProxmoxClient) -> None:
    _put(mocked, STOPPED, scsi1="ceph-pool:8")
    volume = mocked.request("GET", f"{STOPPED}/config")["scsi1"].split(",")[0]
    _put(mocked, STOPPED, delete="scsi1")
    config = mocked.request("GET", f"{STOPPED}/config")
    assert config["unused0"] == volume
    assert any(v["volid"] == volume for v in mocked.request("GET", "/nodes/pve2/storage/ceph-pool/content"))
    _put(mocked, STOPPED, delete="unused0")
    assert all(v["volid"] != volume for v in mocked.request("GET", "/nodes/pve2/storage/ceph-pool/content"))


def test_revert_drops_pending_values_and_removals(mocked: ProxmoxClient) -> None:
    _put(mocked, memory="4096", cores="4")
    _put(mocked, delete="boot")
    assert _waiting(mocked) == {"memory", "cores", "boot"}
    _put(mocked, revert="memory,boot")
    assert _waiting(mocked) == {"cores"}
    assert mocked.request("GET", f"{VM}/config")["memory"] == "2048"


def test_conflicting_delete_set_revert_are_refused(mocked: ProxmoxClient) -> None:
    for params in (
        {"cores": "4", "delete": "cores"},
        {"delete": "cores", "revert": "cores"},
        {"cores": "4", "revert": "cores"},
    ):
        with pytest.raises(ApiError) as caught:
            _put(mocked, **params)
        assert caught.value.status == 400
    assert _waiting(mocked) == set()


def test_cloudinit_options_apply_at_once_on_a_running_vm(mocked: ProxmoxClient) -> None:
    # qemu-server src/PVE/QemuServer.pm: every $confdesc_cloudinit key joins $fast_plug_option, so
    # vmconfig_hotplug_pending writes them to the config at once (the drive is regenerated separately)
    _put(mocked, ciuser="admin", ipconfig0="ip=dhcp", cores="4", delete="searchdomain")
    assert _waiting(mocked) == {"cores"}
    mocked.request("PUT", f"{VM}/cloudinit", {})
    assert _waiting(mocked) == {"cores"}
    assert mocked.request("GET", f"{VM}/config", {"current": 1})["ciuser"] == "admin"


def test_setting_back_the_running_value_clears_the_pending_change(mocked: ProxmoxClient) -> None:
    _put(mocked, memory="4096", cores="4")
    _put(mocked, memory="2048")  # PVE::AbstractConfig cleanup_pending: equal to the current value
    assert _waiting(mocked) == {"cores"}


def test_a_bulk_start_applies_pending_like_a_start(mocked: ProxmoxClient) -> None:
    _put(mocked, cores="4")
    _run(mocked, VM, "stop")
    upid = mocked.request("POST", "/cluster/bulk-action/guest/start", {"vms": "100"})
    Task(mocked, upid).wait(timeout=10)
    assert _pending(mocked)["cores"] == {"key": "cores", "value": "4"}
