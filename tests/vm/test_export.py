"""`pvectl vm export`: the live config as the VM file `vm create --from-file` reads, and the round trip
export -> create (new id and name) -> export that gives the same file except the identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pvectl.vm.encode import create_params
from pvectl.vm.export import from_live, portable_value
from pvectl.vm.vmfile import VmFileError, load, schema, to_flat
from tests.vm.conftest import SimCli

# Every field family: disks of each bus, several NICs, EFI with keys, TPM, cloud-init, startup order, tags.
FULL: dict[str, Any] = {
    "name": "full1",
    "node": "pve1",
    "tag": ["web", "prod"],
    "onboot": True,
    "startup-order": 3,
    "startup-delay": 10,
    "shutdown-timeout": 60,
    "iso": "none",
    "bios": "ovmf",
    "efi-storage": "local-lvm",
    "secure-boot": True,
    "tpm": True,
    "tpm-storage": "local-lvm",
    "sockets": 2,
    "cpu": "x86-64-v3",
    "cpu-flags": "+aes",
    "numa": True,
    "memory": 4096,
    "min-memory": 2048,
    "shares": 500,
    "vlan": 20,
    "mtu": 1500,
    "firewall": False,
    "disk": [
        "scsi0:local-lvm:10,discard=1,cache=writeback",
        "sata0:ceph-pool:4",
        "virtio1:local:3,format=qcow2,mbps-rd=100,iops-wr=500",
        "ide1:ceph-pool:2,backup=0",
    ],
    "extra": {
        "net1": "e1000,bridge=vmbr0,firewall=1",
        "net2": "virtio,bridge=vmbr9,tag=30",
        "ide0": "local-lvm:cloudinit",
        "ciuser": "admin",
        "ipconfig0": "ip=dhcp",
        "sshkeys": "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIExample%20me%40host%0A",
        "description": "a test VM",
    },
}


def export(cli: SimCli, vm: str) -> dict[str, Any]:
    result = cli("vm", "export", vm)
    assert result.code == 0, result.stderr
    data: dict[str, Any] = yaml.safe_load(result.stdout)
    return data


def copy_of(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The exported file with a new identity: no vmid (the next free one), another name."""
    return {**{k: v for k, v in data.items() if k != "vmid"}, "name": name}


def create(cli: SimCli, tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data))
    result = cli("vm", "create", "--from-file", str(path))
    assert result.code == 0, result.stderr


def without_identity(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("vmid", "name")}


def round_trip(cli: SimCli, tmp_path: Path, first: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    create(cli, tmp_path, first)
    exported = export(cli, first["name"])
    create(cli, tmp_path, copy_of(exported, "copy1"))
    again = export(cli, "copy1")
    return exported, again


def test_the_default_vm_round_trips(cli: SimCli, tmp_path: Path) -> None:
    exported, again = round_trip(cli, tmp_path, {"name": "plain1", "node": "pve1"})
    assert again["name"] == "copy1" and again["vmid"] != exported["vmid"]
    assert without_identity(again) == without_identity(exported)
    assert list(exported)[:3] == ["vmid", "name", "node"]  # the identity leads the file
    assert exported["disk"] == ["scsi0:ceph-pool:32,format=raw,iothread=1,ssd=1,backup=1,aio=io_uring,ro=0,replicate=1"]
    assert "start" not in exported and "extra" not in exported  # the default VM needs nothing the model lacks


def test_every_field_family_round_trips(cli: SimCli, tmp_path: Path) -> None:
    exported, again = round_trip(cli, tmp_path, FULL)
    assert without_identity(again) == without_identity(exported)
    jsonschema.validate(exported, schema())  # what `vm create --schema` describes, extra included
    assert to_flat(load(exported))["extra"] == exported["extra"]  # the dry-run file carries extra too
    # what was asked for is what the file says
    for key in ("tag", "onboot", "startup-order", "startup-delay", "shutdown-timeout", "secure-boot", "tpm"):
        assert exported[key] == FULL[key], key
    assert (exported["efi-storage"], exported["tpm-storage"], exported["cpu-flags"]) == (
        "local-lvm",
        "local-lvm",
        "+aes",
    )
    devices = sorted(d.split(":", 1)[0] for d in exported["disk"])
    assert devices == ["ide1", "sata0", "scsi0", "virtio1"]
    virtio = next(d for d in exported["disk"] if d.startswith("virtio1:"))
    assert virtio.startswith("virtio1:local:3,format=qcow2") and "mbps_rd=100," in virtio and "iops_wr=500" in virtio
    extra = exported["extra"]
    assert extra["ide0"] == "local-lvm:cloudinit"  # the storage, never the volume name
    assert (extra["net1"], extra["net2"]) == ("e1000,bridge=vmbr0,firewall=1", "virtio,bridge=vmbr9,tag=30")
    assert (extra["ciuser"], extra["ipconfig0"], extra["description"]) == ("admin", "ip=dhcp", "a test VM")


def test_generated_values_are_not_exported(cli: SimCli) -> None:
    result = cli("vm", "export", "web1")
    assert result.code == 0
    live = cli("api", "get", "/nodes/pve2/qemu/101/config", "-o", "json").json()
    for generated in ("digest", "meta", "vmgenid", "smbios1", "macaddr"):
        assert generated not in result.stdout
    for value in (live["digest"], live["vmgenid"], live["smbios1"].removeprefix("uuid="), live["net0"].split(",")[0]):
        assert value.split("=")[-1] not in result.stdout
    assert "vm-101-disk" not in result.stdout  # volumes by storage and size only
    assert cli.writes() == []


def test_json_output_is_the_same_file(cli: SimCli) -> None:
    as_json = cli("vm", "export", "101", "-o", "json").json()
    assert as_json == yaml.safe_load(cli("vm", "export", "web1").stdout)


def test_an_unknown_vm_is_not_found(cli: SimCli) -> None:
    result = cli("vm", "export", "nosuch")
    assert result.code == 4 and "no VM named 'nosuch'" in result.stderr


# -- values the model cannot say go under extra, and come back from it


def live_config(**overrides: str) -> dict[str, str]:
    base = {
        "name": "x",
        "ostype": "l26",
        "machine": "q35",
        "bios": "ovmf",
        "scsihw": "virtio-scsi-single",
        "agent": "1",
        "efidisk0": "ceph-pool:vm-100-disk-1,efitype=4m,size=528K",
        "scsi0": "ceph-pool:vm-100-disk-0,aio=io_uring,iothread=1,size=32G,ssd=1",
        "ide2": "none,media=cdrom",
        "sockets": "1",
        "cores": "2",
        "numa": "0",
        "cpu": "host",
        "memory": "2048",
        "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr9,firewall=1",
        "serial0": "socket",
        "vga": "serial0",
        "boot": "order=scsi0;ide2;net0",
        "digest": "0" * 40,
        "vmgenid": "6991fa55-c256-429e-884c-a8fa7b76786d",
        "smbios1": "uuid=be5e93a3-e406-4e4e-96b4-9d101e382802",
    }
    return {**base, **overrides}


def test_a_plain_live_vm_needs_no_extra() -> None:
    config = from_live(live_config(), vmid=100, node="pve1")
    assert config.extra == {}
    assert (config.disks[0].device, config.disks[0].size_gib, config.disks[0].storage) == ("scsi0", 32, "ceph-pool")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("cpu", "Skylake-Server,flags=+aes", "Skylake-Server,flags=+aes"),  # not one of the file's CPU types
        ("machine", "pc-q35-8.1", "pc-q35-8.1"),
        ("efidisk0", "ceph-pool:vm-100-disk-1,efitype=2m,size=128K", "ceph-pool:1,efitype=2m"),
        ("net0", "e1000-82540em=BC:24:11:00:00:01,bridge=vmbr0", "e1000-82540em,bridge=vmbr0"),  # MAC dropped
        ("smbios1", "uuid=be5e93a3-e406-4e4e-96b4-9d101e382802,manufacturer=QUNNRQ==,base64=1", None),
        ("scsi0", "ceph-pool:vm-100-disk-0,iothread=1,size=32G,serial=abc", "ceph-pool:32,iothread=1,serial=abc"),
    ],
)
def test_what_the_model_cannot_say_goes_under_extra(key: str, value: str, expected: str | None) -> None:
    config = from_live(live_config(**{key: value}), vmid=100, node="pve1")
    if key == "smbios1":
        assert config.extra["smbios1"] == "manufacturer=QUNNRQ==,base64=1"  # the uuid stays with the VM
        return
    assert config.extra[key] == expected
    params = create_params(config, ha_in_create=False, has_ksm=True)
    assert params[key] == expected  # extra replaces what the modelled keys would send
    if key == "scsi0":
        assert [d.device for d in config.disks] == []  # the disk is sent from extra only


def test_a_cloudinit_drive_exports_as_its_storage() -> None:
    assert portable_value("ide2", "local-lvm:vm-100-cloudinit,media=cdrom") == "local-lvm:cloudinit"
    config = from_live(live_config(ide2="local-lvm:vm-100-cloudinit,media=cdrom"), vmid=100, node="pve1")
    assert config.os.media == "none" and config.extra["ide2"] == "local-lvm:cloudinit"


# -- extra: in the VM file


def test_extra_keys_are_pve_parameters_of_the_create_call() -> None:
    with pytest.raises(VmFileError, match=r"extra\.hookscrpt: not a parameter .*did you mean 'hookscript'"):
        load({"extra": {"hookscrpt": "local:snippets/hook.pl"}})
    with pytest.raises(VmFileError, match=r"extra\.vmid: the VM's identity"):
        load({"extra": {"vmid": 100}})
    with pytest.raises(VmFileError, match=r"extra\.net1: expected a value"):
        load({"extra": {"net1": ["virtio"]}})
    assert load({"extra": {"net3": "virtio,bridge=vmbr0", "protection": True}}).extra["protection"] is True


def test_a_bad_extra_value_names_the_key_and_sends_nothing(cli: SimCli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "bad1", "node": "pve1", "extra": {"net1": "virtio,bridge=vmbr0,bogus=1"}}))
    result = cli("vm", "create", "--from-file", str(path))
    assert result.code == 2
    assert "extra.net1" in result.stderr
    assert cli.writes() == []


def test_extra_is_sent_with_the_create_call(cli: SimCli, tmp_path: Path) -> None:
    create(cli, tmp_path, {"name": "x1", "node": "pve1", "extra": {"net1": "virtio,bridge=vmbr0", "protection": 1}})
    live = cli("api", "get", "/nodes/pve1/qemu/103/config", "-o", "json").json()
    assert live["net1"].startswith("virtio=") and live["net1"].endswith(",bridge=vmbr0")
    assert str(live["protection"]) == "1"


def test_an_odd_live_value_is_an_unexpected_answer() -> None:
    from pvectl.sdk._core.answers import UnexpectedAnswer

    with pytest.raises(UnexpectedAnswer, match=r"GET /nodes/pve1/qemu/100/config returned .*a VM configuration"):
        from_live(live_config(cores="many"), vmid=100, node="pve1")
