"""The OS-dependent defaults (gui-wizard-reference.md §4.3) pushed into the later steps, and what a user set kept."""

from __future__ import annotations

import pytest

from pvectl.vm.config import Disk, VmConfig
from pvectl.vm.osdefaults import OsChoice, os_defaults, push_os_defaults


def change(config: VmConfig, ostype: str, virtio_iso: str | None = None) -> list[str]:
    before = OsChoice.of(config)
    config.os.ostype = ostype
    config.os.virtio_iso = virtio_iso
    return push_os_defaults(config, before).notes()


@pytest.mark.parametrize(
    ("ostype", "bus", "nic", "scsihw"),
    [
        ("l26", "scsi", "virtio", "virtio-scsi-single"),
        ("w2k", "ide", "rtl8139", "lsi"),
        ("wxp", "ide", "rtl8139", "lsi"),
        ("win10", "ide", "e1000", "virtio-scsi-single"),
        ("win11", "ide", "e1000", "virtio-scsi-single"),
        ("l24", "ide", "e1000", "virtio-scsi-single"),
        ("solaris", "ide", "e1000", "virtio-scsi-single"),
        ("other", "ide", "e1000", "virtio-scsi-single"),
    ],
)
def test_the_gui_table_per_guest_type(ostype: str, bus: str, nic: str, scsihw: str) -> None:
    config = VmConfig()
    change(config, ostype)
    assert [d.bus for d in config.disks] == [bus]
    assert (config.network.model, config.system.scsihw) == (nic, scsihw)


def test_windows_11_adds_tpm_efi_and_4096_mib() -> None:
    config = VmConfig()
    config.system.bios = "seabios"  # set by the user: kept, with a note
    notes = change(config, "win11")
    assert (config.system.tpm, config.memory.memory, config.system.machine) == (True, 4096, "q35")
    assert config.system.bios == "seabios"
    assert "kept your BIOS seabios; Windows 11/2022/2025 default is ovmf" in notes
    assert notes[0].startswith("Windows 11/2022/2025 defaults: disk 1 bus ide, NIC model e1000")
    assert "TPM on" in notes[0] and "memory 4096 MiB" in notes[0]


def test_a_value_the_user_set_is_kept_with_a_note() -> None:
    config = VmConfig(disks=[Disk(bus="sata"), Disk()])
    config.network.model = "vmxnet3"
    config.memory.memory = 8192
    notes = change(config, "win11")
    assert [d.bus for d in config.disks] == ["sata", "ide"]  # the second disk still had the Linux default
    assert (config.network.model, config.memory.memory) == ("vmxnet3", 8192)
    assert "kept your disk 1 bus sata; Windows 11/2022/2025 default is ide" in notes
    assert "kept your NIC model vmxnet3; Windows 11/2022/2025 default is e1000" in notes
    assert "kept your memory 8192 MiB; Windows 11/2022/2025 default is 4096 MiB" in notes


def test_a_chosen_device_number_keeps_its_bus() -> None:
    config = VmConfig(disks=[Disk(bus="scsi", index=5)])
    notes = change(config, "win10")
    assert (config.disks[0].bus, config.disks[0].index) == ("scsi", 5)
    assert any(n.startswith("kept your disk 1 bus scsi") for n in notes)


def test_the_virtio_driver_cd_forces_scsi_and_virtio() -> None:
    config = VmConfig()
    change(config, "win11")
    assert (config.disks[0].bus, config.network.model) == ("ide", "e1000")
    before = OsChoice.of(config)
    config.os.virtio_iso = "local:iso/virtio-win.iso"
    push_os_defaults(config, before)
    assert (config.disks[0].bus, config.network.model) == ("scsi", "virtio")
    assert os_defaults(OsChoice("l26", virtio_iso=True))["disks.bus"] == "scsi"  # Linux: no driver CD rule


def test_back_to_linux_undoes_what_windows_11_pushed_only() -> None:
    config = VmConfig()
    change(config, "win11")
    config.memory.memory = 6144  # changed after the push: the user's
    notes = change(config, "l26")
    assert (config.disks[0].bus, config.network.model, config.system.tpm) == ("scsi", "virtio", False)
    assert config.memory.memory == 6144
    assert "kept your memory 6144 MiB; Linux 6.x - 2.6 Kernel default is 2048 MiB" in notes


def test_bus_change_numbers_anew_and_drops_what_ide_cannot_do() -> None:
    config = VmConfig(disks=[Disk(iothread=True, ro=False), Disk(ssd=True)])
    config.disks[0].index = None
    change(config, "win10")
    first, second = config.disks
    assert (first.bus, first.index, first.iothread) == ("ide", None, False)  # user-set IO thread: not on ide
    assert second.ssd is True  # ide has SSD emulation


def test_same_defaults_push_nothing() -> None:
    config = VmConfig()
    config.system.machine = "pc"
    assert change(config, "win10") == [
        "Windows 10/2016/2019 defaults: disk 1 bus ide, NIC model e1000, serial console off"
    ]  # machine is not an OS default of win10: the user's pc is not mentioned
    assert change(config, "win7") == []  # win10 -> win7: the same defaults
