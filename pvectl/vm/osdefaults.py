"""The presets an OS choice brings to the later steps, one rule for the flags, the prompts and the TUI.

PVE's web GUI presets the disk bus, NIC model and SCSI controller of the later tabs from the chosen ``ostype``
(pve-manager ``www/manager6/qemu/OSDefaults.js``: ``generic`` IDE + E1000, ``l26`` SCSI + VirtIO, ``w2k``/``wxp``
an RTL8139 and no scsihw, ``win11`` q35 + OVMF). For Windows 11 the wizard also ticks the TPM
(``qemu/SystemEdit.js`` ``setDefaults``) and sets 4096 MiB (``qemu/MemoryEdit.js`` ``setMemory``); its EFI disk
has "Pre-Enroll keys" ticked (``qemu/HDEfi.js``), so Windows 11 gets ``pre-enrolled-keys=1`` (Secure Boot).
Ticking the VirtIO driver CD forces SCSI disks and a VirtIO NIC. The CPU type the GUI presets (``x86-64-v2-AES``)
is the same for every OS, so it does not move here (vm-create.md keeps ``host``). The serial console (pvectl's
own post-step, ``vga: serial0``) is for guests that can use one: Windows has no serial login and its installer
needs a display, so Windows types preset it off.

The rule (``apply_os_presets``, run by every front-end on the configuration it starts from): a preset applies to
what the user did not set (no flag, no file or ``[vm.defaults]`` key); a value the user set is kept, and a note
says what the OS would have used. Later changes of OS in the prompts and the TUI (``push_os_defaults``) move
what still holds the previous OS's preset, with the same notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pvectl.vm.config import IOTHREAD_BUSES, SSD_BUSES, Disk, VmConfig
from pvectl.vm.defaults import get_value, set_value
from pvectl.vm.labels import OSTYPE

# The project's own values of the Windows 11 extras (vm-create.md §2): what other guest types go back to.
_PLAIN: dict[str, Any] = {
    "system.machine": "q35",
    "system.bios": "ovmf",
    "system.efidisk": True,
    "system.tpm": False,
    "memory.memory": 2048,
    "system.secure_boot": False,
}
_WIN11: dict[str, Any] = {
    "system.machine": "q35",
    "system.bios": "ovmf",
    "system.efidisk": True,
    "system.tpm": True,
    "memory.memory": 4096,
    "system.secure_boot": True,
}
NAMES = {
    "disks.bus": "disk bus",
    "network.model": "NIC model",
    "system.scsihw": "SCSI controller",
    "system.machine": "machine",
    "system.bios": "BIOS",
    "system.efidisk": "EFI disk",
    "system.tpm": "TPM",
    "memory.memory": "memory",
    "system.secure_boot": "Secure Boot keys",
    "serial_console": "serial console",
}


@dataclass(frozen=True)
class OsChoice:
    """What the OS step decides for the later steps: the guest type, and whether the VirtIO driver CD is added."""

    ostype: str
    virtio_iso: bool = False

    @classmethod
    def of(cls, config: VmConfig) -> OsChoice:
        return cls(config.os.ostype, bool(config.os.virtio_iso))

    @property
    def title(self) -> str:
        return OSTYPE.get(self.ostype, self.ostype)


def os_defaults(choice: OsChoice) -> dict[str, Any]:
    """Field path -> the value the GUI presets for ``choice`` (``disks.bus`` stands for every disk's bus)."""
    if choice.ostype == "l26":
        bus, nic, scsihw = "scsi", "virtio", "virtio-scsi-single"
    elif choice.ostype in ("w2k", "wxp"):
        bus, nic, scsihw = "ide", "rtl8139", "lsi"  # the GUI sends no scsihw: lsi is the API's default
    else:
        bus, nic, scsihw = "ide", "e1000", "virtio-scsi-single"
    if choice.virtio_iso and choice.ostype.startswith("w"):
        bus, nic = "scsi", "virtio"  # the driver CD makes the paravirtualized devices usable
    extras = _WIN11 if choice.ostype == "win11" else _PLAIN
    serial = not is_windows(choice.ostype)
    return {"disks.bus": bus, "network.model": nic, "system.scsihw": scsihw, **extras, "serial_console": serial}


def is_windows(ostype: str) -> bool:
    """The Microsoft Windows types of ``ostype`` (w2k, wxp, w2k3, w2k8, wvista, win7 ... win11)."""
    return ostype.startswith("w")


BUILT_IN = OsChoice("l26")  # the OS of VmConfig(): its presets are the built-in values


@dataclass
class Pushed:
    """What a change of guest OS did to the later steps: ``changed`` (key -> new value) and ``kept`` notes."""

    title: str
    changed: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)  # key (``disks[1].bus``, ``network.model``) -> note

    @property
    def summary(self) -> str | None:
        """One line naming what followed the new OS, or None when nothing did."""
        if not self.changed:
            return None
        parts = [f"{_name(key)} {_shown(key, value)}" for key, value in self.changed.items()]
        return f"{self.title} defaults: " + ", ".join(parts)

    def default_note(self, key: str, value: Any) -> str:
        """The note a step shows beside a value that followed the new OS."""
        return f"{self.title} default: {_name(key)} {_shown(key, value)}"

    def notes(self) -> list[str]:
        return [n for n in (self.summary, *self.kept.values()) if n]


def _name(key: str) -> str:
    if key.startswith("disks["):
        return f"disk {int(key[6:].split(']')[0]) + 1} bus"
    return NAMES[key]


def _shown(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value} MiB" if key == "memory.memory" else str(value)


def push_os_defaults(config: VmConfig, before: OsChoice) -> Pushed:
    """Apply the defaults of ``config``'s OS choice where a value still is ``before``'s default (in place)."""
    after = OsChoice.of(config)
    old, new = os_defaults(before), os_defaults(after)
    pushed = Pushed(after.title)
    if after == before:
        return pushed  # the same OS answered again: nothing moves, and nothing is "kept"
    for path, value in new.items():
        if old[path] == value and not (after.ostype == "win11" and path in _WIN11):
            continue  # the new OS does not move this default (Windows 11 needs its extras: say when one is off)
        if path == "disks.bus":
            for i, disk in enumerate(config.disks):
                # a disk with a device number the user chose keeps its bus: "scsi5" was asked for as such
                mine = disk.bus != old[path] or disk.index is not None
                _follow(pushed, f"disks[{i}].bus", disk.bus, value, mine, partial(set_bus, disk))
            continue
        current = get_value(config, path)
        _follow(pushed, path, current, value, current != old[path], partial(set_value, config, path))
    return pushed


def apply_os_presets(config: VmConfig) -> Pushed:
    """Apply the presets of ``config``'s OS to every value the user did not set (in place); the notes say what
    moved and which of the user's values differ from the preset. Running it again changes nothing."""
    choice = OsChoice.of(config)
    base, new = os_defaults(BUILT_IN), os_defaults(choice)
    pushed = Pushed(choice.title)
    for path, value in new.items():
        if value == base[path] and not (choice.ostype == "win11" and path in _WIN11):
            continue  # not something this OS moves (Windows 11 needs its extras: say when one is off)
        if path == "disks.bus":
            for i, disk in enumerate(config.disks):
                mine = "bus" in disk.model_fields_set or disk.index is not None
                _follow(pushed, f"disks[{i}].bus", disk.bus, value, mine, partial(set_bus, disk))
            continue
        current = get_value(config, path)
        _follow(pushed, path, current, value, user_set(config, path), partial(set_value, config, path))
    return pushed


def user_set(config: VmConfig, path: str) -> bool:
    """Whether a value was given (a flag, a file or ``[vm.defaults]`` key, an answer) rather than built in."""
    *parents, name = path.split(".")
    owner: Any = config
    for part in parents:
        owner = getattr(owner, part)  # a nested assignment marks the field only, not its step
    return name in owner.model_fields_set


def _follow(pushed: Pushed, key: str, current: Any, value: Any, mine: bool, apply: Callable[[Any], None]) -> None:
    if current == value:
        return  # already what the new OS wants
    if not mine:
        apply(value)
        pushed.changed[key] = value
    else:
        pushed.kept[key] = (
            f"kept your {_name(key)} {_shown(key, current)}; {pushed.title} default is {_shown(key, value)}"
        )


def set_bus(disk: Disk, bus: str) -> None:
    """Move a disk to ``bus`` as the GUI does: the next free device there, and what the bus cannot do off.

    IO thread and SSD emulation that were never set follow the bus by themselves (Disk's validator); a value the
    user set is switched off only where the new bus cannot do it (vm-create.md §3)."""
    disk.bus = bus  # type: ignore[assignment]  # validated by pydantic on assignment
    disk.index = None
    if disk.iothread and "iothread" in disk.model_fields_set and bus not in IOTHREAD_BUSES:
        disk.iothread = False
    if disk.ssd and "ssd" in disk.model_fields_set and bus not in SSD_BUSES:
        disk.ssd = False
    if disk.ro and bus not in IOTHREAD_BUSES:  # read-only: scsi and virtio only, as IO thread (the GUI's limit)
        disk.ro = False
