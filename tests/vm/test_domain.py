"""The VM-creation domain: defaults, overrides, derived values, rules, encoding, plans per release."""

from __future__ import annotations

import pytest

from pvectl.vm.config import Disk, DiskSpecError, VmConfig, assign_devices, parse_disk_spec
from pvectl.vm.defaults import DefaultsError, apply_defaults
from pvectl.vm.encode import create_params
from pvectl.vm.fields import FIELDS
from pvectl.vm.iso import IsoFile, latest_nixos, newest_first, nixos_version
from pvectl.vm.plan import make_plan
from pvectl.vm.rules import check


def resolved(**changes: object) -> VmConfig:
    cfg = VmConfig()
    cfg.general.node = "pve1"
    cfg.general.vmid = 101
    cfg.os.iso = "cephfs:iso/nixos-minimal-25.05.1234.abcdef-x86_64-linux.iso"
    for path, value in changes.items():
        obj: object = cfg
        *parents, last = path.split("__")
        for p in parents:
            obj = getattr(obj, p)
        setattr(obj, last, value)
    cfg.disks = assign_devices(cfg.disks)
    return cfg


def params(cfg: VmConfig, version: str = "9.1.3") -> dict[str, str]:
    return make_plan(cfg, version).requests[0].params


def test_built_in_defaults_encode_as_specified() -> None:
    assert params(resolved()) == {
        "vmid": "101",
        "ha-managed": "1",
        "ide2": "cephfs:iso/nixos-minimal-25.05.1234.abcdef-x86_64-linux.iso,media=cdrom",
        "ostype": "l26",
        "machine": "q35",
        "bios": "ovmf",
        "scsihw": "virtio-scsi-single",
        "agent": "1",
        "efidisk0": "ceph-pool:1,efitype=4m",
        "scsi0": "ceph-pool:32,aio=io_uring,format=raw,iothread=1,ssd=1",
        "sockets": "1",
        "cores": "2",
        "numa": "0",  # always sent, as the GUI does
        "cpu": "host",
        "memory": "2048",
        "net0": "virtio,bridge=vmbr9,firewall=1",
    }


def test_defaults_overridable_from_config_file() -> None:
    cfg = apply_defaults(VmConfig(), {"memory": 4096, "bridge": "vmbr0", "disk-size": 64, "tag": ["a"], "ha": False})
    assert (cfg.memory.memory, cfg.network.bridge, cfg.disks[0].size_gib, cfg.general.tags) == (
        4096,
        "vmbr0",
        64,
        ["a"],
    )
    assert cfg.general.ha is False
    with pytest.raises(DefaultsError, match="colour"):
        apply_defaults(VmConfig(), {"colour": "red"})
    with pytest.raises(DefaultsError, match="memory"):
        apply_defaults(VmConfig(), {"memory": "lots"})


def test_every_field_spec_points_at_the_model() -> None:
    from pvectl.vm.defaults import get_value

    for spec in FIELDS:
        get_value(VmConfig(), spec.path)


def test_min_memory_follows_memory_until_set() -> None:
    cfg = resolved(memory__memory=4096)
    assert cfg.effective_min_memory == 4096
    assert "balloon" not in params(cfg)
    cfg.memory.min_memory = 1024
    assert params(cfg)["balloon"] == "1024"
    cfg.memory.ballooning = False
    assert params(cfg)["balloon"] == "0"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["nixos-minimal-24.11.999.aaa-x86_64-linux.iso", "nixos-minimal-25.05.1234.bbb-x86_64-linux.iso",
          "nixos-minimal-24.05.5000.ccc-x86_64-linux.iso"], "nixos-minimal-25.05.1234.bbb-x86_64-linux.iso"),
        (["nixos-minimal-25.05.99.a-x86_64-linux.iso", "nixos-minimal-25.05.100.b-x86_64-linux.iso"],
         "nixos-minimal-25.05.100.b-x86_64-linux.iso"),
        (["nixos-minimal-9.0.1-x86_64-linux.iso", "nixos-minimal-10.0.0-x86_64-linux.iso"],
         "nixos-minimal-10.0.0-x86_64-linux.iso"),
        (["debian-12.iso", "nixos-graphical-26.05-x86_64-linux.iso"], None),
    ],
)  # fmt: skip
def test_latest_nixos_compares_numerically(names: list[str], expected: str | None) -> None:
    isos = [IsoFile(f"cephfs:iso/{n}", ctime=i) for i, n in enumerate(names)]
    found = latest_nixos(isos)
    assert (found.filename if found else None) == expected


def test_equal_versions_ordered_by_ctime() -> None:
    a = IsoFile("cephfs:iso/nixos-minimal-25.05.1.aaa-x86_64-linux.iso", ctime=10)
    b = IsoFile("cephfs:iso/nixos-minimal-25.05.1.bbb-x86_64-linux.iso", ctime=20)
    assert latest_nixos([b, a]) == b
    assert newest_first([IsoFile("cephfs:iso/debian.iso"), a, b]) == [b, a, IsoFile("cephfs:iso/debian.iso")]
    assert nixos_version("nixos-minimal-25.05.1234.abcdef-x86_64-linux.iso") == (25, 5, 1234)


def test_disk_numbering_and_spec_parsing() -> None:
    disks = assign_devices([Disk(), parse_disk_spec("local-lvm:100,ssd=0"), parse_disk_spec("scsi0:ceph-pool:10")])
    assert [d.device for d in disks] == ["scsi1", "scsi2", "scsi0"]
    assert assign_devices([Disk(bus="ide", index=None), Disk(bus="ide")])[1].device == "ide1"
    assert [d.device for d in assign_devices([Disk(bus="ide") for _ in range(3)])] == ["ide0", "ide1", "ide3"]
    disk = parse_disk_spec("sata1:local:20,format=qcow2,backup=0,cache=writeback,discard=on")
    assert (disk.bus, disk.index, disk.storage, disk.size_gib, disk.format, disk.backup) == (
        "sata",
        1,
        "local",
        20,
        "qcow2",
        False,
    )
    for bad in ("ceph-pool", "ceph-pool:32G,ssd", "pool:x", "ceph-pool:32,colour=red", "ceph-pool:32,ssd=maybe"):
        with pytest.raises(DiskSpecError):
            parse_disk_spec(bad)


RULES: list[tuple[dict[str, object], str]] = [
    ({"general__vmid": 99}, "general.vmid"),
    ({"general__name": "bad_name!"}, "general.name"),
    ({"general__tags": ["ok", "not ok"]}, "general.tags"),
    ({"general__startup_order": -1}, "general.startup_order"),
    ({"os__iso": None}, "os.iso"),
    ({"system__secure_boot": True, "system__bios": "seabios"}, "system.secure_boot"),
    ({"cpu__cores": 0}, "cpu.cores"),
    ({"cpu__sockets": 0}, "cpu.sockets"),
    ({"memory__memory": 8}, "memory.memory"),
    ({"memory__min_memory": 4096}, "memory.min_memory"),
    ({"network__vlan": 4095}, "network.vlan"),
    ({"network__mtu": 1500, "network__model": "e1000"}, "network.mtu"),
    ({"network__mtu": 70000}, "network.mtu"),
    ({"network__queues": 65}, "network.queues"),
    ({"network__rate": -1.0}, "network.rate"),
    ({"network__mac": "01:00:00:00:00:01"}, "network.mac"),
]


@pytest.mark.parametrize(("changes", "field"), RULES, ids=[r[1] + str(i) for i, r in enumerate(RULES)])
def test_each_rule_names_its_field(changes: dict[str, object], field: str) -> None:
    problems = check(resolved(**changes))
    assert [p.field for p in problems] == [field]
    assert problems[0].message


def test_disk_rules() -> None:
    cfg = resolved()
    cfg.disks = [
        Disk(bus="virtio", index=0, ssd=True),
        Disk(bus="sata", index=6, iothread=True),
        Disk(bus="ide", index=2, iothread=False, ssd=False),
        Disk(bus="virtio", index=0, ssd=False, size_gib=0),
    ]
    fields = [p.field for p in check(cfg)]
    assert fields == [
        "disks[0].ssd",
        "disks[1].index",
        "disks[1].iothread",
        "disks[2].index",
        "disks[0].index",  # a clash marks both disks (issue 29)
        "disks[3].index",
        "disks[3].size_gib",
    ]
    assert check(resolved(), taken_vmids={101})[0].message == "VM id 101 is already in use"
    assert check(resolved()) == []
    assert check(VmConfig.model_validate({"disks": []}).model_copy(update={"os": resolved().os}))[0].field == "disks"


def test_variants_encode() -> None:
    cfg = resolved(os__media="none", system__bios="seabios", network__enabled=False, general__ha=False)
    p = params(cfg)
    assert p["ide2"] == "none,media=cdrom"
    assert "efidisk0" not in p and "net0" not in p and "ha-managed" not in p
    assert params(resolved(os__media="cdrom"))["ide2"] == "cdrom,media=cdrom"
    assert params(resolved(system__secure_boot=True))["efidisk0"] == "ceph-pool:1,efitype=4m,pre-enrolled-keys=1"
    cfg = resolved(network__vlan=20, network__mtu=9000, network__rate=12.5, network__queues=4, network__link_down=True,
                   network__mac="bc:24:11:00:00:01")  # fmt: skip
    assert (
        params(cfg)["net0"]
        == "virtio=BC:24:11:00:00:01,bridge=vmbr9,firewall=1,link_down=1,mtu=9000,queues=4,rate=12.5,tag=20"
    )
    cfg = resolved(general__pool="prod", general__tags=["web", "nixos"], general__onboot=True, general__startup_order=2,
                   general__shutdown_timeout=60, memory__ksm=False)  # fmt: skip
    p = params(cfg)
    assert (p["pool"], p["tags"], p["onboot"], p["startup"], p["allow-ksm"]) == (
        "prod",
        "web;nixos",
        "1",
        "order=2,down=60",
        "0",
    )
    cfg = resolved()
    cfg.disks = assign_devices([Disk(), Disk(storage="local", size_gib=100, format="qcow2", backup=False, ssd=False)])
    assert params(cfg)["scsi1"] == "local:100,aio=io_uring,backup=0,format=qcow2,iothread=1"


def test_plan_on_913_uses_ha_managed() -> None:
    plan = make_plan(resolved(start=True), "9.1.3")
    assert [r.step for r in plan.requests] == ["create", "serial", "start"]
    assert plan.requests[0].params["ha-managed"] == "1"
    assert plan.requests[1].params["serial0"] == "socket" and plan.requests[1].params["vga"] == "serial0"
    assert plan.notes == []


def test_plan_on_840_adds_ha_after_the_task_and_drops_ksm() -> None:
    plan = make_plan(resolved(memory__ksm=False), "8.4.0")
    assert [r.step for r in plan.requests] == ["create", "serial", "ha"]
    create = plan.requests[0].params
    assert "ha-managed" not in create and "allow-ksm" not in create
    assert plan.requests[2].params == {"sid": "vm:101", "state": "stopped"}
    assert any("allow-ksm" in n for n in plan.notes)


def test_encoding_is_accepted_by_the_schema_validator() -> None:
    from pvectl.sdk._core.spec import load_spec
    from pvectl.sdk._core.validate import validate_params

    op = load_spec().op("POST /nodes/{node}/qemu")
    cfg = resolved(
        network__vlan=20, network__mtu=9000, memory__min_memory=1024, general__tags=["a"], general__startup_order=1
    )
    assert validate_params({**create_params(cfg, ha_in_create=True, has_ksm=True), "node": "pve1"}, op.params) == {}
