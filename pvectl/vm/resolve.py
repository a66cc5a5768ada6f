"""Fill in derived values from the server (VM id, ISO, disk devices) and check that defaults exist there.

Flags mode is strict: a default that names something the server lacks is an error that lists what exists.
Prompts and the TUI are lenient: they take the first available choice and say so in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pvectl.vm.config import VmConfig, assign_devices
from pvectl.vm.iso import latest_nixos
from pvectl.vm.reference import ReferenceData


@dataclass
class Resolution:
    config: VmConfig
    auto_vmid: bool
    server_version: str
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # strict mode: what the server lacks


class ResolveError(Exception):
    """The server could not be asked (it is down, or refused)."""


def _need(value: object, what: str) -> None:
    if value is None:
        raise ResolveError(f"cannot load {what} from the server")


def resolve(config: VmConfig, ref: ReferenceData, *, strict: bool) -> Resolution:
    """A copy of ``config`` with everything derived filled in, plus notes and (strict) missing things."""
    cfg = config.model_copy(deep=True)
    version = ref.server_version()
    if version.error:
        raise ResolveError(f"cannot read the server version: {version.error}")
    res = Resolution(cfg, auto_vmid=cfg.general.vmid is None, server_version=version.get(""))

    def missing(kind: str, name: str, available: list[str], apply: str | None) -> str | None:
        listing = ", ".join(available) or "none"
        if strict or apply is None:
            res.missing.append(f"{kind} '{name}' does not exist (available: {listing})")
            return None
        res.notes.append(f"{kind} '{name}' does not exist; using '{apply}' instead")
        return apply

    nodes = ref.nodes()
    if nodes.error:
        raise ResolveError(f"cannot list nodes: {nodes.error}")
    node_names = [n.node for n in nodes.get([])]
    if cfg.general.node is None:
        if strict or not node_names:
            res.missing.append(f"no node given (available: {', '.join(node_names) or 'none'})")
            return res
        cfg.general.node = node_names[0]
        res.notes.append(f"no node given; using '{node_names[0]}'")
    elif cfg.general.node not in node_names:
        res.missing.append(f"node '{cfg.general.node}' does not exist (available: {', '.join(node_names) or 'none'})")
        return res
    node = cfg.general.node

    if cfg.general.vmid is None:
        nextid = ref.next_vmid()
        if nextid.error:
            raise ResolveError(f"cannot get the next free VM id: {nextid.error}")
        cfg.general.vmid = nextid.get(0)

    if cfg.os.media == "iso":
        storages = ref.iso_storages(node)
        if storages.error:
            raise ResolveError(f"cannot list ISO storages on {node}: {storages.error}")
        names = storages.get([])
        if cfg.os.iso is not None:
            pass  # an explicit volid: the server checks it exists
        elif cfg.os.iso_storage not in names:
            chosen = missing("ISO storage", cfg.os.iso_storage, names, names[0] if names else None)
            if chosen:
                cfg.os.iso_storage = chosen
        if cfg.os.iso is None and cfg.os.iso_storage in names:
            isos = ref.isos(node, cfg.os.iso_storage)
            if isos.error:
                raise ResolveError(f"cannot list ISOs on {cfg.os.iso_storage}: {isos.error}")
            latest = latest_nixos(isos.get([]))
            if latest is not None:
                cfg.os.iso = latest.volid
            else:
                files = [i.filename for i in isos.get([])]
                first = isos.get([])[0].volid if files else None
                chosen = missing("NixOS minimal ISO on", cfg.os.iso_storage, files, first)
                if chosen:
                    cfg.os.iso = chosen

    images = ref.image_storages(node)
    if images.error:
        raise ResolveError(f"cannot list disk storages on {node}: {images.error}")
    image_names = [s.storage for s in images.get([])]
    if cfg.system.bios == "ovmf" and cfg.system.efidisk and cfg.system.efi_storage not in image_names:
        chosen = missing(
            "EFI disk storage", cfg.system.efi_storage, image_names, image_names[0] if image_names else None
        )
        if chosen:
            cfg.system.efi_storage = chosen
    for disk in cfg.disks:
        if disk.storage not in image_names:
            chosen = missing("disk storage", disk.storage, image_names, image_names[0] if image_names else None)
            if chosen:
                disk.storage = chosen
    cfg.disks = assign_devices(cfg.disks)
    ci = cfg.cloudinit
    if ci.on and ci.storage is not None and ci.storage not in image_names:
        chosen = missing("cloud-init storage", ci.storage, image_names, image_names[0] if image_names else None)
        if chosen:
            ci.storage = chosen

    nics = ([cfg.network] if cfg.network.enabled else []) + cfg.more_nics
    if nics:
        bridges = ref.bridges(node)
        if bridges.error:
            raise ResolveError(f"cannot list bridges on {node}: {bridges.error}")
        names = bridges.get([])
        for nic in nics:
            if nic.bridge not in names:
                chosen = missing("bridge", nic.bridge, names, names[0] if names else None)
                if chosen:
                    nic.bridge = chosen
    return res
