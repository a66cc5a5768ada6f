"""ct set's change plan and ct resize's checks (pure: against a config as PVE returns it)."""

from __future__ import annotations

from pvectl.ct.resize import plan_resize
from pvectl.ct.update import plan_set

CONFIG = {
    "hostname": "ns1",
    "memory": 512,
    "swap": 512,
    "cores": 1,
    "rootfs": "local-lvm:vm-110-disk-0,size=8G",
    "mp0": "local-lvm:vm-110-disk-1,mp=/srv,size=4G",
    "net0": "name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth",
    "features": "nesting=1",
    "ostype": "debian",
    "unprivileged": 1,
    "tags": "infra",
}


def test_only_differences_are_sent() -> None:
    change = plan_set(CONFIG, {"memory": 512, "cores": 2, "hostname": "ns1", "tag": ["infra"]})
    assert change.params == {"cores": "2"} and change.delete == []


def test_a_nic_given_again_keeps_its_mac() -> None:
    change = plan_set(CONFIG, {"net": ["bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1"]})
    assert change.params == {
        "net0": "name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:00:00:01,ip=10.0.0.5/24,gw=10.0.0.1"
    }
    same = plan_set(CONFIG, {"net": ["0:bridge=vmbr0,ip=dhcp"]})
    assert same.empty


def test_features_merge_and_mount_points_take_the_next_slot() -> None:
    change = plan_set(CONFIG, {"fuse": True, "mp": ["local-lvm:16,mp=/data"]})
    assert change.params == {"features": "fuse=1,nesting=1", "mp1": "local-lvm:16,mp=/data"}
    again = plan_set(CONFIG, {"mp": ["local-lvm:16,mp=/srv"]})
    assert again.problems == ["--mp: /srv is mounted already (grow it with ct resize)"]


def test_refusals() -> None:
    change = plan_set(CONFIG, {"unprivileged": False, "remove": ["memory", "nope", "tags"]})
    assert change.problems == [
        "--privileged/--unprivileged: fixed when a container is created (PVE: read-only)",
        "--remove memory: PVE needs it (it can be changed, not removed)",
        "--remove nope: the container has no 'nope'",
    ]
    assert change.delete == ["tags"]


def test_resize_grows_only() -> None:
    assert plan_resize(CONFIG, "rootfs", "+2G") == (None, 8 * 2**30, 10 * 2**30)
    assert plan_resize(CONFIG, "mp0", "6") == (None, 4 * 2**30, 6 * 2**30)
    problem, _, _ = plan_resize(CONFIG, "rootfs", "4G")
    assert problem is not None and "shrink" in problem
    problem, _, _ = plan_resize(CONFIG, "mp3", "+1G")
    assert problem == "DISK: the container has no mp3 (it has: rootfs, mp0)"
    problem, _, _ = plan_resize(CONFIG, "scsi0", "+1G")
    assert problem is not None and "not rootfs or mpN" in problem
