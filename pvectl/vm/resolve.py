"""Fill in derived values from the server (VM id, ISO, disk devices) and check that defaults exist there.

Flags mode is strict: a default that names something the server lacks is an error that lists what exists.
Prompts and the TUI are lenient: they take the first available choice and say so in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


NO_ISO = "no ISO"  # what replaces a missing NixOS ISO: the VM gets no ISO (media none)

# How to set each built-in default that names something on the server (the error of --strict-defaults says it).
HOW_TO_SET = {
    "disk storage": 'give --disk STORAGE:SIZE, or set disk-storage = "STORAGE" in [vm.defaults]',
    "EFI disk storage": 'give --efi-storage, or set efi-storage = "STORAGE" in [vm.defaults]',
    "TPM state storage": 'give --tpm-storage, or set tpm-storage = "STORAGE" in [vm.defaults]',
    "ISO storage": 'give --iso-storage or --iso, or set iso-storage = "STORAGE" in [vm.defaults]',
    "NixOS minimal ISO": 'give --iso VOLID or --iso none, or set iso = "none" in [vm.defaults]',
    "bridge": 'give --bridge, or set bridge = "BRIDGE" in [vm.defaults]',
}


def resolve(config: VmConfig, ref: ReferenceData, *, strict: bool, strict_defaults: bool = False) -> Resolution:
    """A copy of ``config`` with everything derived filled in, plus notes and (strict) missing things.

    ``strict`` (flags, files): a value the user gave that the server lacks is missing. A built-in default the
    node lacks (ceph-pool, cephfs, vmbr9, the NixOS ISO: a stock PVE has none of them) is replaced by the node's
    equivalent as the web GUI preselects it, with a note, unless ``strict_defaults``: then it is missing too,
    with how to set it. Without ``strict`` (prompts, TUI) every missing value is replaced by the first choice.
    """
    cfg = config.model_copy(deep=True)
    version = ref.server_version()
    if version.error:
        raise ResolveError(f"cannot read the server version: {version.error}")
    res = Resolution(cfg, auto_vmid=cfg.general.vmid is None, server_version=version.get(""))

    def missing(
        kind: str, name: str, available: list[str], apply: str | None, *, given: bool = True, of: str = ""
    ) -> str | None:
        listing = ", ".join(available) or "none"
        what = of + (f"{kind} on '{name}'" if kind == "NixOS minimal ISO" else f"{kind} '{name}'")
        instead = "creating the VM without an ISO" if apply == NO_ISO else f"using '{apply}'"
        if not given and strict and apply is not None and not strict_defaults:
            res.notes.append(f"{what} (a built-in default) does not exist on {node}; {instead}")
            return apply
        if not given and strict:
            res.missing.append(f"{what} (a built-in default) does not exist (available: {listing}); {HOW_TO_SET[kind]}")
            return None
        if strict or apply is None:
            res.missing.append(f"{what} does not exist (available: {listing})")
            return None
        res.notes.append(f"{what} does not exist; {instead} instead")
        return apply

    nodes = ref.nodes()
    if nodes.error:
        raise ResolveError(f"cannot list nodes: {nodes.error}")
    node_names = [n.node for n in nodes.get([])]
    if cfg.general.node is None:
        chosen_node, why = _default_node(ref, node_names)
        if chosen_node is None and not strict and node_names:
            chosen_node, why = node_names[0], "the first node"
        if chosen_node is None:
            res.missing.append(
                f"no node given (available: {', '.join(node_names) or 'none'}); give --node, "
                "or set the context's node: pvectl config set CONTEXT node=NODE"
            )
            return res
        cfg.general.node = chosen_node
        res.notes.append(f"no node given; using '{chosen_node}' ({why})")
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
        _resolve_iso(cfg, ref, node, missing, strict=strict, notes=res.notes)

    images = ref.image_storages(node)
    if images.error:
        raise ResolveError(f"cannot list disk storages on {node}: {images.error}")
    image_names = [s.storage for s in images.get([])]
    first_image = image_names[0] if image_names else None
    for disk in cfg.disks:
        if disk.storage not in image_names:
            given = "storage" in disk.model_fields_set
            chosen = missing("disk storage", disk.storage, image_names, first_image, given=given)
            if chosen:
                disk.storage = chosen
    # EFI vars and TPM state go with the first disk unless given (the GUI's wizard asks for their storage with
    # its disk storage selector; pvectl's rule, issue 28: one storage for the VM's volumes unless told otherwise)
    follow = cfg.disks[0].storage if cfg.disks else None  # one the node lacks is reported for the disk
    system = cfg.system
    for kind, attr, used in (
        ("EFI disk storage", "efi_storage", system.bios == "ovmf" and system.efidisk),
        ("TPM state storage", "tpm_storage", system.tpm),
    ):
        given = attr in system.model_fields_set
        if not used:
            continue
        if not given and follow is not None:
            system.__dict__[attr] = follow  # still unset: a later export or diff sees no user value
        elif getattr(system, attr) not in image_names:
            chosen = missing(kind, getattr(system, attr), image_names, first_image, given=given)
            if chosen:
                system.__dict__[attr] = chosen
    cfg.disks = assign_devices(cfg.disks)
    ci = cfg.cloudinit
    if ci.on and ci.storage is not None and ci.storage not in image_names:
        chosen = missing("cloud-init storage", ci.storage, image_names, first_image)
        if chosen:
            ci.storage = chosen

    nics = ([cfg.network] if cfg.network.enabled else []) + cfg.more_nics
    if nics:
        bridges = ref.bridges(node)
        if bridges.error:
            raise ResolveError(f"cannot list bridges on {node}: {bridges.error}")
        names = bridges.get([])
        for number, nic in enumerate(nics, 1):
            if nic.bridge not in names:
                # the GUI's network step preselects the first bridge (pve-manager www/manager6/qemu/NetworkEdit.js,
                # its bridge selector has autoSelect); a bridge the user gave (on any NIC) is never replaced
                given = "bridge" in nic.model_fields_set
                of = f"NIC {number}: " if len(nics) > 1 else ""  # which --net, as disks are named Disk N
                chosen = missing("bridge", nic.bridge, names, names[0] if names else None, given=given, of=of)
                if chosen:
                    nic.__dict__["bridge"] = chosen  # still unset: a later export or diff sees no user value
    return res


def _default_node(ref: ReferenceData, node_names: list[str]) -> tuple[str | None, str]:
    """The node to use when none was given (the context's node was applied before): the node the API is served
    from, as the GUI's wizard starts from its own host, else the only node."""
    local = ref.local_node()
    if local.error is None and local.get("") in node_names:
        return local.get(""), "the node the API is served from"
    if len(node_names) == 1:
        return node_names[0], "the only node"
    return None, ""


def _resolve_iso(cfg: VmConfig, ref: ReferenceData, node: str, missing: Any, *, strict: bool, notes: list[str]) -> None:
    """The ISO storage and the latest NixOS minimal ISO on it. With flags (``strict``), a node that has neither
    (a stock PVE's ``local`` holds only what someone uploaded) gets no ISO, as the GUI's OS step preselects none;
    ``missing`` decides (a note, or the error of --strict-defaults)."""
    storages = ref.iso_storages(node)
    if storages.error:
        raise ResolveError(f"cannot list ISO storages on {node}: {storages.error}")
    names = storages.get([])
    if cfg.os.iso is not None:
        return  # an explicit volid: the server checks it exists
    if cfg.os.iso_storage not in names:
        given = "iso_storage" in cfg.os.model_fields_set
        chosen = missing("ISO storage", cfg.os.iso_storage, names, names[0] if names else NO_ISO, given=given)
        if chosen == NO_ISO:
            cfg.os.__dict__["media"] = "none"
        if chosen in (None, NO_ISO):
            return
        cfg.os.__dict__["iso_storage"] = chosen
    isos = ref.isos(node, cfg.os.iso_storage)
    if isos.error:
        raise ResolveError(f"cannot list ISOs on {cfg.os.iso_storage}: {isos.error}")
    latest = latest_nixos(isos.get([]))
    if latest is not None:
        cfg.os.iso = latest.volid
        return
    files = [i.filename for i in isos.get([])]
    instead = NO_ISO if strict else (isos.get([])[0].volid if files else None)
    chosen = missing("NixOS minimal ISO", cfg.os.iso_storage, files, instead, given=False)
    if chosen == NO_ISO:
        cfg.os.__dict__["media"] = "none"
    elif chosen:
        cfg.os.iso = chosen
