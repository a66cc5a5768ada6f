"""The wizard's state: answers parsed and checked by the domain rules, lenient defaults, PVE error keys."""

from __future__ import annotations

from pvectl.tui.state import Wizard, step_of_param
from pvectl.vm.config import VmConfig
from pvectl.vm.fields import BY_FLAG, DISK_BY_FLAG
from pvectl.vm.reference import split_tags as _tags


def test_answers_are_parsed_and_checked_by_the_rules() -> None:
    wizard = Wizard(VmConfig())
    wizard.answer(BY_FLAG["memory"], "abc")
    assert wizard.errors("memory") == {"memory.memory": "'abc' is not a whole number"}
    wizard.answer(BY_FLAG["memory"], "1024")
    wizard.answer(BY_FLAG["min-memory"], "2048")
    assert "must not exceed memory" in wizard.errors("memory")["memory.min_memory"]
    wizard.answer(BY_FLAG["min-memory"], "")
    assert wizard.config.memory.min_memory is None  # empty: follows memory again
    assert wizard.errors("memory") == {}
    wizard.answer(BY_FLAG["tag"], "web, nixos;db")
    assert wizard.config.general.tags == ["web", "nixos", "db"]


def test_disks_are_numbered_and_checked() -> None:
    wizard = Wizard(VmConfig())
    wizard.add_disk()
    wizard.answer_disk(1, DISK_BY_FLAG["bus"], "virtio")
    assert [d.device for d in wizard.preview().disks] == ["scsi0", "virtio0"]
    # SSD emulation was a default, and virtio has none: it follows the bus instead of becoming an error
    assert wizard.config.disks[1].ssd is False and wizard.errors("disks") == {}
    wizard.answer_disk(1, DISK_BY_FLAG["ssd"], True)
    assert "SSD emulation is not available" in wizard.errors("disks")["disks[1].ssd"]
    wizard.answer_disk(1, DISK_BY_FLAG["ssd"], False)
    wizard.answer_disk(1, DISK_BY_FLAG["size"], "x")
    assert wizard.errors("disks")["disks[1].size_gib"] == "'x' is not a whole number"
    wizard.remove_disk(1)
    assert len(wizard.config.disks) == 1 and wizard.errors("disks") == {}


def test_lenient_defaults_take_the_first_choice_and_say_so() -> None:
    wizard = Wizard(VmConfig())
    assert (
        wizard.adopt("network.bridge", BY_FLAG["bridge"], ["vmbr0"]) == "Bridge 'vmbr9' does not exist; using 'vmbr0'"
    )
    assert wizard.config.network.bridge == "vmbr0"
    assert wizard.adopt("general.node", BY_FLAG["node"], ["pve1"]) is None  # none given: the first, silently
    assert wizard.config.general.node == "pve1"
    assert wizard.adopt("general.pool", BY_FLAG["pool"], ["prod"]) is None  # no pool stays no pool
    assert wizard.config.general.pool is None


def test_pve_parameters_map_to_steps() -> None:
    assert [step_of_param(p) for p in ("net0", "scsi3", "ide2", "balloon", "vmid", "efidisk0")] == [
        "network",
        "disks",
        "os",
        "memory",
        "general",
        "system",
    ]


def test_allowed_tags_from_an_array() -> None:
    # /cluster/options answers allowed-tags as a JSON array (fixed in pvectl.vm.reference)
    assert _tags(["lab", "nixos"]) == ("lab", "nixos")
    assert _tags("a;b c,d") == ("a", "b", "c", "d")


def test_a_new_guest_os_moves_later_answers_and_disks_added_later() -> None:
    wizard = Wizard(VmConfig())
    wizard.answer(BY_FLAG["net-model"], "vmxnet3")  # the user's: kept
    wizard.answer(BY_FLAG["ostype"], "win10")
    assert wizard.config.disks[0].bus == "ide" and wizard.config.network.model == "vmxnet3"
    wizard.add_disk()
    assert wizard.config.disks[1].bus == "ide"  # an added disk takes the OS's bus too
    assert wizard.notes["network.model"] == "kept your NIC model vmxnet3; Windows 10/2016/2019 default is e1000"
    assert wizard.notes["disks[0].bus"] == "Windows 10/2016/2019 default: disk 1 bus ide"
    wizard.answer(BY_FLAG["ostype"], "win7")  # the same defaults: the notes of win10 go, nothing else moves
    assert not {"network.model", "disks[0].bus"} & set(wizard.notes)
    wizard.answer(BY_FLAG["ostype"], "l26")
    assert [d.bus for d in wizard.config.disks] == ["scsi", "scsi"]
