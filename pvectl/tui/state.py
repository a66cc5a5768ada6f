"""The wizard's answers and how the screens read and write them. No Textual here, and no business rules:
values are parsed from what was typed, applied to the shared ``VmConfig`` and checked by ``pvectl.vm.rules``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError

from pvectl.vm.config import Disk, VmConfig, assign_devices
from pvectl.vm.cpu import CpuCatalog
from pvectl.vm.defaults import get_value, set_value
from pvectl.vm.fields import FIELDS, FieldSpec, applies
from pvectl.vm.labels import options as labelled
from pvectl.vm.osdefaults import OsChoice, Pushed, apply_os_presets, os_defaults, push_os_defaults, set_bus
from pvectl.vm.rules import Problem, check

STEP_TITLES = {
    "general": "General",
    "os": "OS",
    "system": "System",
    "disks": "Disks",
    "cpu": "CPU",
    "memory": "Memory",
    "network": "Network",
    "cloudinit": "Cloud-Init",
}


def fixed_options(spec: FieldSpec) -> list[tuple[str, str]]:
    """(label, code) of a fixed choice, from the shared label table (as the prompts show them)."""
    return [(title, code) for code, title in labelled(spec.path, spec.choices)]


# PVE's per-parameter error keys of POST /nodes/{node}/qemu -> the step that holds the field.
_PARAM_STEPS = {
    "vmid": "general",
    "name": "general",
    "pool": "general",
    "tags": "general",
    "ha-managed": "general",
    "onboot": "general",
    "startup": "general",
    "ide2": "os",
    "ide0": "os",
    "ostype": "os",
    "machine": "system",
    "bios": "system",
    "efidisk0": "system",
    "scsihw": "system",
    "agent": "system",
    "serial0": "system",
    "vga": "system",
    "sockets": "cpu",
    "cores": "cpu",
    "cpu": "cpu",
    "vcpus": "cpu",
    "cpulimit": "cpu",
    "cpuunits": "cpu",
    "affinity": "cpu",
    "numa": "cpu",
    "shares": "memory",
    "tpmstate0": "system",
    "boot": "os",
    "memory": "memory",
    "balloon": "memory",
    "allow-ksm": "memory",
    "net0": "network",
    **dict.fromkeys(("ciuser", "cipassword", "sshkeys", "nameserver", "searchdomain", "ciupgrade"), "cloudinit"),
}


def step_of_param(param: str) -> str:
    """The wizard step that holds a PVE parameter (``scsi1`` -> disks); general when unknown."""
    if param.rstrip("0123456789") in ("scsi", "sata", "virtio", "ide") and param not in ("ide2", "ide0"):
        return "disks"
    return "cloudinit" if param.startswith("ipconfig") else _PARAM_STEPS.get(param, "general")


def field_title(path: str) -> str:
    """A field as the screens name it: ``disks[0].index`` -> ``Disk 1 Device number``, else the label."""
    from pvectl.vm.fields import CI_FIELDS, DISK_FIELDS

    m = _DISK_KEY.fullmatch(path)
    if m:
        spec = next((f for f in DISK_FIELDS if f.path == m[2]), None)
        return f"Disk {int(m[1]) + 1} {spec.label if spec else m[2]}"
    spec = next((f for f in (*FIELDS, *CI_FIELDS) if f.path == path), None)
    return spec.label if spec else path


def fields_of(step: str) -> list[FieldSpec]:
    return [f for f in FIELDS if f.step == step]


_DISK_KEY = re.compile(r"disks\[(\d+)\]\.(\w+)")
_NIC_KEY = re.compile(r"more_nics\[(\d+)\]\.(\w+)")  # net1 is more_nics[0]


class ParseError(ValueError):
    """Text that does not fit the field's kind."""


def parse(spec: FieldSpec, raw: Any, optional: bool) -> Any:
    """What a widget holds -> the field's Python value (``""`` is ``None`` for optional fields)."""
    if spec.kind == "bool":
        return bool(raw)
    if spec.kind == "tags":
        return [t for t in str(raw or "").replace(";", " ").replace(",", " ").split() if t]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if optional:
            return None
        raise ParseError("a value is needed")
    if spec.kind == "int":
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ParseError(f"'{raw}' is not a whole number") from None
    if spec.kind == "float":
        try:
            return float(str(raw).strip())
        except ValueError:
            raise ParseError(f"'{raw}' is not a number") from None
    return str(raw).strip() if spec.kind == "str" else raw


def text_of(spec: FieldSpec, value: Any) -> str:
    """A field's value as an input shows it."""
    if value is None:
        return ""
    if spec.kind == "tags":
        return " ".join(value)
    if spec.kind == "float" and float(value).is_integer():
        return str(int(value))
    return str(value)


def _optional(owner: Any, name: str) -> bool:
    """Whether the model field takes ``None`` (an empty input then means "not set")."""
    return type(None) in get_args(type(owner).model_fields[name].annotation)


@dataclass
class Wizard:
    """The configuration being built, the answers that do not parse yet, and values derived from the server."""

    config: VmConfig
    invalid: dict[str, str] = field(default_factory=dict)  # path -> message, for text that does not parse
    typed: dict[str, Any] = field(default_factory=dict)  # path -> that text, shown again when a form is rebuilt
    derived: dict[str, Any] = field(default_factory=dict)  # path -> value the server would fill in (os.iso)
    taken_vmids: set[int] = field(default_factory=set)
    taken_meanwhile: int | None = None  # the VM id the create request found taken (General proposes another)
    notes: dict[str, str] = field(default_factory=dict)  # path -> "X does not exist; using Y"
    disk_template: Disk = field(default_factory=Disk)
    cpu: CpuCatalog | None = None  # the node's CPU models, flags and units range, once loaded
    os_notes: set[str] = field(default_factory=set)  # the notes the last change of guest OS left

    def __post_init__(self) -> None:
        self.config = self.config.model_copy(deep=True)
        self._os_notes(apply_os_presets(self.config))  # the OS given as a flag presets what was not given
        if self.config.disks:
            self.disk_template = self.config.disks[0].model_copy(update={"index": None})

    # -- reading --------------------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        """A value by spec path, or by disk key (``disks[1].size_gib``)."""
        m = _DISK_KEY.fullmatch(key)
        if m:
            return getattr(self.config.disks[int(m[1])], m[2])
        m = _NIC_KEY.fullmatch(key)
        if m:
            return getattr(self.config.more_nics[int(m[1])], m[2])
        return get_value(self.config, key)

    def applies(self, path: str) -> bool:
        m = _DISK_KEY.fullmatch(path)
        if m:
            return disk_applies(self.config.disks[int(m[1])].bus, m[2])
        if _NIC_KEY.fullmatch(path):
            return True
        return applies(path, self.config)

    def preview(self) -> VmConfig:
        """The configuration with what the server will fill in (the latest ISO, disk devices)."""
        out = self.config.model_copy(deep=True)
        for path, value in self.derived.items():
            if get_value(out, path) is None and value is not None:
                set_value(out, path, value)
        out.disks = assign_devices(out.disks)
        return out

    def unparsed(self) -> list[Problem]:
        """Answers that do not fit their field (the configuration still holds the previous value)."""
        return [Problem(path, message) for path, message in self.invalid.items()]

    def problems(self, step: str | None = None) -> list[Problem]:
        """Unparsed answers plus the domain rules' problems (of one step)."""
        found = self.unparsed() + check(self.preview(), taken_vmids=self.taken_vmids, cpu=self.cpu)
        return [p for p in found if step is None or p.step == step]

    def errors(self, step: str) -> dict[str, str]:
        """field path -> the first message, for the fields of one step."""
        out: dict[str, str] = {}
        for problem in self.problems(step):
            out.setdefault(problem.field, problem.message)
        return out

    # -- writing --------------------------------------------------------------------------------------------

    def answer(self, spec: FieldSpec, raw: Any) -> None:
        """Apply what the user entered in a field of the spec; an entry that does not fit is remembered."""
        *parents, name = spec.path.split(".")
        owner: Any = self.config
        for part in parents:
            owner = getattr(owner, part)
        before = OsChoice.of(self.config)
        self._store(spec.path, lambda value: set_value(self.config, spec.path, value), spec, raw, owner, name)
        if OsChoice.of(self.config) != before:
            self.follow_os(before)

    def follow_os(self, before: OsChoice) -> None:
        """The later steps take the new guest OS's defaults where they still hold the old one's; a value the
        user set is kept, and each step shows a note saying what happened (gui-wizard-reference.md §4.3)."""
        pushed = push_os_defaults(self.config, before)
        if self.disk_template.bus == os_defaults(before)["disks.bus"]:
            set_bus(self.disk_template, os_defaults(OsChoice.of(self.config))["disks.bus"])  # disks added later
        self._os_notes(pushed)

    def _os_notes(self, pushed: Pushed) -> None:
        for key in self.os_notes:
            self.notes.pop(key, None)  # what an earlier change of OS said no longer holds
        fresh = {key: pushed.default_note(key, value) for key, value in pushed.changed.items()}
        fresh.update(pushed.kept)
        if pushed.summary:
            fresh["os.ostype"] = pushed.summary
        self.notes.update(fresh)
        self.os_notes = set(fresh)

    def answer_disk(self, index: int, spec: FieldSpec, raw: Any) -> None:
        disk = self.config.disks[index]

        def store(value: Any) -> None:
            try:
                setattr(disk, spec.path, value)
            except ValidationError as exc:
                raise ValueError(exc.errors()[0]["msg"]) from None

        self._store(f"disks[{index}].{spec.path}", store, spec, raw, disk, spec.path)

    def _store(self, key: str, store: Callable[[Any], None], spec: FieldSpec, raw: Any, owner: Any, name: str) -> None:
        before = self.get(key)
        try:
            store(parse(spec, raw, _optional(owner, name)))
        except ValueError as exc:  # ParseError, or pydantic's refusal (set_value prefixes the path)
            self.invalid[key] = str(exc).removeprefix(f"{spec.path}: ")
            self.typed[key] = raw  # never replaced behind the user's back: it stays on screen with its error
            self.notes.pop(key, None)
        else:
            self.invalid.pop(key, None)
            self.typed.pop(key, None)
            if self.get(key) != before:
                self.notes.pop(key, None)  # the user's own value now: what the note said no longer holds

    def adopt(self, key: str, spec: FieldSpec, available: Collection[str]) -> str | None:
        """Lenient defaults: a value the server lacks becomes its first choice, with a note saying so.

        Not for "none chosen" (no pool) nor for an explicit ISO (the server checks it); no node = the first.
        """
        value = self.get(key)
        if not available or value in available or key in ("os.iso", "os.virtio_iso", "cpu.type"):
            return None  # an ISO or CPU type the node lacks is the user's to fix: the rules say so
        if value is None and key != "general.node":
            return None
        first = next(iter(available))
        m = _DISK_KEY.fullmatch(key) or _NIC_KEY.fullmatch(key)
        if m:
            setattr(getattr(self.config, key.split("[")[0])[int(m[1])], m[2], first)
        else:
            set_value(self.config, key, first)
        if value is None:
            return None
        note = f"{spec.label} '{value}' does not exist; using '{first}'"
        self.notes[key] = note
        return note

    def answer_nic(self, index: int, spec: FieldSpec, raw: Any) -> None:
        """An answer about net1, net2, ... (``spec`` is net0's field of the same name)."""
        nic = self.config.more_nics[index]
        name = spec.path.split(".")[1]

        def store(value: Any) -> None:
            try:
                setattr(nic, name, value)
            except ValidationError as exc:
                raise ValueError(exc.errors()[0]["msg"]) from None

        self._store(f"more_nics[{index}].{name}", store, spec, raw, nic, name)

    def add_nic(self) -> None:
        """Another NIC like net0 (bridge, model, firewall), as the GUI's Hardware view adds one."""
        net0 = self.config.network
        nic = net0.model_copy(update={"vlan": None, "mac": None, "mtu": None, "rate": None, "queues": None})
        self.config.more_nics = [*self.config.more_nics, nic]

    def remove_nic(self, index: int) -> None:
        self.config.more_nics = [n for i, n in enumerate(self.config.more_nics) if i != index]
        # what was said or typed about later NICs moves up by one; the removed NIC's goes
        self.invalid = _without_item(self.invalid, _NIC_KEY, index)
        self.typed = _without_item(self.typed, _NIC_KEY, index)
        self.notes = _without_item(self.notes, _NIC_KEY, index)

    def add_disk(self) -> None:
        self.config.disks = [*self.config.disks, self.disk_template.model_copy()]

    def remove_disk(self, index: int) -> None:
        self.config.disks = [d for i, d in enumerate(self.config.disks) if i != index]
        # what was said or typed about later disks moves up by one; the removed disk's goes
        self.invalid = _without_item(self.invalid, _DISK_KEY, index)
        self.typed = _without_item(self.typed, _DISK_KEY, index)
        self.notes = _without_item(self.notes, _DISK_KEY, index)


def _without_item(by_key: dict[str, Any], pattern: re.Pattern[str], index: int) -> dict[str, Any]:
    """``by_key`` without item ``index`` of a list (``disks[i].x``, ``more_nics[i].x``), later items moved up."""
    out: dict[str, Any] = {}
    for key, value in by_key.items():
        m = pattern.fullmatch(key)
        if m is None:
            out[key] = value
        elif int(m[1]) != index:
            number = int(m[1]) - (int(m[1]) > index)
            out[f"{key.split('[')[0]}[{number}].{m[2]}"] = value
    return out


def disk_applies(bus: str, name: str) -> bool:
    """What a disk bus can do (the GUI disables the rest): no SSD emulation on virtio, IO thread on scsi/virtio."""
    if name == "ssd":
        return bus != "virtio"
    if name in ("iothread", "ro"):
        return bus in ("scsi", "virtio")
    return True


def problems_by_step(problems: list[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for problem in problems:
        out.setdefault(problem.step, []).append(problem)
    return out
