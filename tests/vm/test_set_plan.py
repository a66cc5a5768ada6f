"""The update engine without a server: plan_update compares as PVE reads values; desired params of the given
fields only; the hotplug rule."""

from __future__ import annotations

import pytest

from pvectl.vm.desired import params_from_fields, params_from_flags
from pvectl.vm.pending import hotplug_features, hotpluggable, parse_pending
from pvectl.vm.update import UpdateError, plan_update

LIVE = {
    "digest": "0123abcd",
    "name": "web1",
    "memory": "2048",
    "cores": "2",
    "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
    "net1": "e1000=BC:24:11:00:00:02,bridge=vmbr1",
    "scsi0": "local-lvm:vm-100-disk-0,aio=io_uring,iothread=1,size=32G,ssd=1",
    "ide2": "none,media=cdrom",
    "startup": "order=1,up=5",
    "cpu": "host",
    "tags": "a;b",
    "vmgenid": "ignored",
}


def test_equal_meanings_are_unchanged() -> None:
    desired = {
        "net0": "bridge=vmbr0,model=virtio,firewall=yes",  # key order, spelling, MAC left out
        "numa": "0",  # the schema default, absent live
        "onboot": "off",
        "tags": "b;a",
        "memory": "current=2048",
        "scsi0": "local-lvm:vm-100-disk-0,ssd=on,iothread=1,aio=io_uring,size=32G,backup=1",
        "cpu": "host",
    }
    plan = plan_update(LIVE, desired)
    assert plan.is_empty() and plan.refused == []
    assert sorted(plan.unchanged) == sorted(desired)


def test_changes_go_to_set_delete_and_resize() -> None:
    plan = plan_update(
        LIVE,
        {"memory": "4096", "scsi0": "local-lvm:64,aio=native", "scsi1": "local-lvm:10", "net0": "virtio,bridge=vmbr2"},
        remove=["net1"],
    )
    assert plan.set["memory"] == "4096"
    assert plan.set["scsi0"] == "local-lvm:vm-100-disk-0,aio=native,size=64G"  # options on the attached volume
    assert plan.set["scsi1"] == "local-lvm:10"
    assert plan.set["net0"] == "virtio=BC:24:11:00:00:01,bridge=vmbr2"  # the MAC is kept
    assert plan.delete == ["net1"] and plan.resize == [("scsi0", "64G")]
    assert plan.allocates()
    requests = plan.requests("pve1", 100, "0123abcd")
    assert [(m, p) for m, p, _ in requests] == [
        ("POST", "/nodes/pve1/qemu/100/config"),
        ("PUT", "/nodes/pve1/qemu/100/resize"),
    ]
    assert requests[0][2]["delete"] == "net1" and requests[0][2]["digest"] == "0123abcd"


def test_a_size_only_change_is_a_resize_alone() -> None:
    plan = plan_update(LIVE, {"scsi0": "local-lvm:vm-100-disk-0,size=40G,aio=io_uring,iothread=1,ssd=1"})
    assert plan.set == {} and plan.resize == [("scsi0", "40G")]
    assert [m for m, _, _ in plan.requests("pve1", 100, "d")] == ["PUT"]


def test_config_write_is_async_when_hotplug_or_allocation_is_involved() -> None:
    plan = plan_update(LIVE, {"memory": "4096"})
    assert [m for m, _, _ in plan.requests("pve1", 100, "d")] == ["PUT"]
    assert [m for m, _, _ in plan.requests("pve1", 100, "d", running=True)] == ["POST"]


@pytest.mark.parametrize(
    ("desired", "remove", "says"),
    [
        ({"scsi0": "local-lvm:16"}, [], "cannot shrink"),
        ({"scsi0": "other-store:32"}, [], "disk move"),
        ({"virtio0": "local-lvm:vm-100-disk-0,size=32G"}, [], "attached as scsi0"),
        ({"scsi0": "local-lvm:vm-100-disk-9,size=32G"}, [], "remove it first"),
        ({"ide2": "local-lvm:8"}, [], "CD drive"),
        ({"memory": "4096"}, ["memory"], "both set and removed"),
        ({}, ["net5"], "the VM has no net5"),
    ],
)
def test_refusals(desired: dict[str, str], remove: list[str], says: str) -> None:
    plan = plan_update(LIVE, desired, remove)
    assert len(plan.refused) == 1 and says in plan.refused[0][1]


def test_waits_for_reboot_predicts_pve() -> None:
    plan = plan_update(LIVE, {"memory": "4096", "name": "x", "net0": "virtio,bridge=vmbr2", "sata1": "local-lvm:4"})
    assert plan.waits_for_reboot(running=False) == []
    assert sorted(plan.waits_for_reboot(running=True)) == ["memory", "sata1"]
    assert (
        plan_update({**LIVE, "sata0": "local-lvm:vm-100-disk-3,size=8G"}, {"sata0": "local-lvm:9"}).waits_for_reboot(
            running=True
        )
        == []
    )  # a resize alone is live, whatever the bus
    hot = {**LIVE, "hotplug": "disk,memory", "numa": "1"}
    # qemu-server vmconfig_update_net: same model and MAC, another bridge -> the tap is re-plugged live
    plan = plan_update(hot, {"memory": "4096", "net0": "virtio,bridge=vmbr2"})
    assert plan.waits_for_reboot(running=True) == []
    plan = plan_update(hot, {"net0": "e1000,bridge=vmbr0"})  # another model needs NIC hotplug
    assert plan.waits_for_reboot(running=True) == ["net0"]


def test_hotplug_rule() -> None:
    assert hotplug_features(None) == {"network", "disk", "usb"} == hotplug_features("1")
    assert hotplug_features("0") == set()
    base = {"balloon": "1024"}
    assert hotpluggable("balloon", base, {"balloon": "512"})
    assert not hotpluggable("balloon", base, {"balloon": "0"})  # the balloon device comes or goes
    assert hotpluggable("cpulimit", {"hotplug": "0"}, {"cpulimit": "2"})
    assert not hotpluggable("vcpus", {}, {"vcpus": "2"}) and hotpluggable("vcpus", {"hotplug": "cpu"}, {})
    assert not hotpluggable("memory", {"hotplug": "memory"}, {})  # without NUMA
    assert hotpluggable("ide2", {"ide2": "none,media=cdrom"}, {"ide2": "cdrom,media=cdrom"})
    assert not hotpluggable("sata0", {}, {"sata0": "x:1"}) and hotpluggable("virtio3", {}, {"virtio3": "x:1"})
    assert not hotpluggable("cores", {}, {"cores": "4"})


def test_pending_rows() -> None:
    rows = parse_pending(
        [{"key": "a", "value": 1}, {"key": "b", "value": "x", "pending": "y"}, {"key": "c", "delete": 2}]
    )
    assert [(r.key, r.waiting, r.delete) for r in rows] == [("a", False, 0), ("b", True, 0), ("c", True, 2)]


def test_fields_touch_only_what_is_given() -> None:
    d = params_from_fields({"bridge": "vmbr5", "startup-order": 3, "cpu-flags": "+aes", "tag": ["x"]}, LIVE)
    assert d.params == {
        "tags": "x",
        "startup": "order=3,up=5",
        "cpu": "host,flags=+aes",
        "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr5,firewall=1",
    }
    assert d.remove == [] and d.ignored == []


def test_disk_spec_on_an_attached_disk_changes_only_named_options() -> None:
    d = params_from_fields({"disk": ["scsi0:local-lvm:48,ssd=0", "local-lvm:10,bus=virtio"]}, LIVE)
    assert d.params["scsi0"] == "local-lvm:48,aio=io_uring,iothread=1"  # ssd=0 is the default: left out
    assert d.params["virtio0"].startswith("local-lvm:10,")
    plan = plan_update(LIVE, d.params)
    assert plan.resize == [("scsi0", "48G")]
    assert plan.set["scsi0"] == "local-lvm:vm-100-disk-0,aio=io_uring,iothread=1,size=48G"


def test_a_flag_that_is_part_of_a_property_string_keeps_the_rest() -> None:
    live = {**LIVE, "agent": "1,fstrim_cloned_disks=1", "vga": "std,memory=32", "machine": "q35,viommu=intel"}
    d = params_from_fields({"agent": False, "vga": "qxl", "machine": "pc"}, live)
    assert d.params == {"agent": "0,fstrim_cloned_disks=1", "vga": "qxl,memory=32", "machine": "pc,viommu=intel"}
    assert params_from_fields({"agent": True}, LIVE).params == {"agent": "1"}


def test_network_and_balloon_switches() -> None:
    assert params_from_fields({"network": False}, LIVE).remove == ["net0"]
    assert params_from_fields({"balloon": False}, LIVE).params == {"balloon": "0"}
    assert params_from_fields({"balloon": True}, {**LIVE, "balloon": "0"}).remove == ["balloon"]
    assert params_from_fields({"min-memory": 1024}, LIVE).params == {"balloon": "1024"}
    assert params_from_fields({"ksm": False}, LIVE).params == {"allow-ksm": "0"}


def test_fields_vm_set_does_not_change_are_reported() -> None:
    d = params_from_fields({"node": "pve2", "pool": "prod", "memory": 1024}, LIVE)
    assert d.params == {"memory": "1024"}
    assert [k for k, _ in d.ignored] == ["node", "pool"]


def test_bad_values_name_the_flag() -> None:
    with pytest.raises(UpdateError, match=r"^--memory: "):
        params_from_flags({"memory": "lots"}, LIVE)
    with pytest.raises(UpdateError, match=r"^--disk: "):
        params_from_flags({"disk": ["scsi0:nope"]}, LIVE)
    with pytest.raises(UpdateError, match=r"^iso: latest-nixos"):
        params_from_fields({"iso": "latest-nixos"}, LIVE)
