"""One step of the workflow: its fields in spec order, advanced ones behind one question."""

from __future__ import annotations

from collections.abc import Callable

from pvectl.prompts.ask import confirm, say
from pvectl.prompts.live import ask_live, ask_virtio_iso, cpu_catalog
from pvectl.prompts.questions import Session, Target, ask_field, ask_tags, ask_value
from pvectl.prompts.sources import load
from pvectl.vm.config import VmConfig
from pvectl.vm.fields import FIELDS, FieldSpec, applies
from pvectl.vm.osdefaults import OsChoice, push_os_defaults

TITLES = {
    "general": "General",
    "os": "OS",
    "system": "System",
    "disks": "Disks",
    "cpu": "CPU",
    "memory": "Memory",
    "network": "Network",
    "cloudinit": "Cloud-Init",
}


def _iso(c: VmConfig) -> bool:
    return c.os.media == "iso"


def _efi(c: VmConfig) -> bool:
    return c.system.bios == "ovmf" and c.system.efidisk


def _net(c: VmConfig) -> bool:
    return c.network.enabled


# When a field means something (skipped otherwise). Fields not named here are always asked.
RELEVANT: dict[str, Callable[[VmConfig], bool]] = {
    "os.iso_storage": _iso,
    "os.iso": _iso,
    "system.efidisk": lambda c: c.system.bios == "ovmf",
    "system.efi_storage": _efi,
    "system.secure_boot": _efi,
    "memory.min_memory": lambda c: c.memory.ballooning,
    **{f.path: _net for f in FIELDS if f.step == "network" and f.path != "network.enabled"},
    "network.mtu": lambda c: c.network.enabled and c.network.model == "virtio",
}


# What a skipped field becomes where keeping a pre-filled value would break a rule (e.g. Secure Boot on SeaBIOS).
WHEN_SKIPPED: dict[str, object] = {
    "system.secure_boot": False,
    "network.mtu": None,
    "os.virtio_iso": None,
    "memory.shares": None,
}


def relevant(spec: FieldSpec, config: VmConfig) -> bool:
    when = RELEVANT.get(spec.path)
    return applies(spec.path, config) if when is None else when(config)


def step_fields(step: str) -> tuple[list[FieldSpec], list[FieldSpec]]:
    """The basic and the advanced fields of ``step``, each in spec order."""
    fields = [f for f in FIELDS if f.step == step]
    return [f for f in fields if not f.advanced], [f for f in fields if f.advanced]


def ask_one(session: Session, spec: FieldSpec) -> None:
    if not relevant(spec, session.config):
        return
    target = Target(spec)
    ref = session.ref
    if spec.path == "general.vmid":
        guests = load("existing VMs", ref.guests).get([])
        session.taken = {g.vmid for g in guests}
        nextid = ref.next_vmid()  # never cached: it is not reserved
        ask_value(session, target, suggested=nextid.value)
    elif spec.path == "general.tags":
        ask_tags(session, target, load("tags", ref.tags, optional=True).get([]))
    elif spec.path == "memory.min_memory":
        ask_value(session, target, suggested=session.config.memory.memory)
    elif spec.path == "cpu.cpuunits":
        units = cpu_catalog(session).units
        ask_value(session, target, hint=f"CPU weight on {session.node}: {units.describe()}.")
    elif spec.path == "cpu.flags":
        flags = ", ".join(cpu_catalog(session).flags)
        ask_value(session, target, hint=f"+FLAG to add, -FLAG to remove, joined by ';' (e.g. +aes;-pcid); {flags}.")
    elif spec.path == "general.name":
        ask_field(session, target, ask_live)
        name = session.config.general.name
        twin = next((g for g in load("existing VMs", ref.guests).get([]) if name and g.name == name), None)
        if twin is not None:
            say(f"note: VM {twin.vmid} is named '{name}' already: both would share the name")
    elif spec.path in ("os.ostype", "os.virtio_iso"):
        before = OsChoice.of(session.config)
        if spec.path == "os.virtio_iso":
            ask_virtio_iso(session, target)
        else:
            ask_field(session, target, ask_live)
        for note in push_os_defaults(session.config, before).notes():  # what the later steps now preselect
            say(f"note: {note}")
    else:
        ask_field(session, target, ask_live)


def changed(specs: list[FieldSpec], config: VmConfig) -> bool:
    """Whether any of ``specs`` differs from the built-in default (pre-filled by a flag or the config file)."""
    fresh = VmConfig()
    return any(Target(s).get(config) != Target(s).get(fresh) for s in specs)


def run_step(session: Session, step: str) -> None:
    say(f"-- {TITLES[step]} --")
    basic, advanced = step_fields(step)
    for spec in basic:
        ask_one(session, spec)
    wanted = [s for s in advanced if relevant(s, session.config)]
    if wanted and confirm(f"Customise advanced {TITLES[step]} options?", changed(wanted, session.config)):
        for spec in advanced:
            ask_one(session, spec)
    for spec in basic + advanced:
        if spec.path in WHEN_SKIPPED and not relevant(spec, session.config):
            Target(spec).set(session.config, WHEN_SKIPPED[spec.path])
