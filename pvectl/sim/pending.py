"""Pending changes of a simulated VM, as qemu-server keeps them.

A VM entry holds ``pending`` ({key: value}, plus ``delete``: ``net1,!scsi2`` where ``!`` marks a forced removal),
the ``[PENDING]`` section of PVE's config file. The update API (PVE/API2/Qemu.pm ``update_vm_api``) writes every
change there first (new disks are allocated at once), then a stopped VM takes all of it
(PVE/QemuServer.pm ``vmconfig_apply_pending``) and a running VM what it can hot-plug among the keys of this call
(``vmconfig_hotplug_pending``; the simulator's own reading of it is pvectl.sim.hotplug); the rest waits for the
next start or API reboot; what equals the running config is dropped from ``[PENDING]`` (``cleanup_pending``).
``revert=`` drops pending values and removals. The digest is the SHA-1 of the config file text
(PVE::QemuServer parse_vm_config over write_vm_config's layout), so pending changes and snapshots change it too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pvectl.sim import hotplug as plug
from pvectl.sim import vmconf, volumes

State = dict[str, Any]
UNUSED = re.compile(r"unused\d+")


def _section(config: Mapping[str, Any]) -> str:
    """One section as write_vm_config prints it: the description as ``#`` lines, then ``key: value`` sorted."""
    text = ""
    description = config.get("description")
    if description is not None:
        text += "".join(f"#{line}\n" for line in str(description).split("\n")) if description else "#\n"
    for key in sorted(config):
        if key in ("digest", "description", "pending", "snapshots") or isinstance(config[key], Mapping):
            continue
        text += f"{key}: {config[key]}\n"
    return text


def config_text(vm: Mapping[str, Any]) -> str:
    """The VM's config file: the config, ``[PENDING]`` when anything waits, then one section per snapshot."""
    text = _section(vm["config"])
    pending = vm.get("pending") or {}
    if pending:
        text += "\n[PENDING]\n" + _section(pending)
    for name, snap in sorted((vm.get("snapshots") or {}).items()):
        text += f"\n[{name}]\n" + _section(snap.get("config", {}))
    return text


def digest(vm: Mapping[str, Any]) -> str:
    return hashlib.sha1(config_text(vm).encode(), usedforsecurity=False).hexdigest()


def deletes(vm: Mapping[str, Any]) -> dict[str, bool]:
    """Pending removals: key -> forced (PVE::AbstractConfig parse_pending_delete)."""
    out: dict[str, bool] = {}
    for item in str((vm.get("pending") or {}).get("delete", "")).split(","):
        item = item.strip()
        if item:
            out[item.lstrip("!")] = item.startswith("!")
    return out


def _set_deletes(vm: dict[str, Any], items: Mapping[str, bool]) -> None:
    pending = vm.setdefault("pending", {})
    if items:
        pending["delete"] = ",".join(("!" if force else "") + key for key, force in items.items())
    else:
        pending.pop("delete", None)
    if not pending:
        vm.pop("pending", None)


def values(vm: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (vm.get("pending") or {}).items() if k != "delete"}


def with_pending(vm: Mapping[str, Any]) -> dict[str, Any]:
    """The config with pending values and removals applied: what GET …/config shows unless ``current=1``."""
    out = dict(vm["config"])
    out.update(values(vm))
    for key in deletes(vm):
        out.pop(key, None)
    return out


def rows(vm: Mapping[str, Any]) -> list[dict[str, Any]]:
    """GET …/pending (PVE::GuestHelpers config_with_pending_array): every key, its pending value or removal."""
    config, pend, gone = vm["config"], values(vm), deletes(vm)
    out: list[dict[str, Any]] = []
    for key in sorted({*config, *pend, *gone}):
        row: dict[str, Any] = {"key": key}
        if key in config:
            row["value"] = config[key]
        if key in pend:
            row["pending"] = pend[key]
        if key in gone:
            row["delete"] = 2 if gone[key] else 1
        out.append(row)
    return out


def update(
    state: State,
    vm: dict[str, Any],
    vmid: int,
    changes: Mapping[str, str],
    delete: Iterable[str],
    *,
    revert: Iterable[str] = (),
    force: bool = False,
) -> None:
    """One config write: revert, record the changes and removals as pending, then apply what the VM takes now."""
    config = vm["config"]
    gone = deletes(vm)
    pending = vm.setdefault("pending", {})
    for key in revert:
        pending.pop(key, None)
        gone.pop(key, None)
    touched: list[str] = []
    for key in delete:
        if UNUSED.fullmatch(key) and key in config:
            _drop_volume(state, vm, str(config.pop(key)))  # unusedN go at once, whatever runs
        elif key in config or key in pending:
            pending.pop(key, None)
            gone[key] = force
            touched.append(key)
    for key, value in changes.items():
        pending[key] = value
        gone.pop(key, None)
        touched.append(key)
    _set_deletes(vm, gone)
    if vm["status"] == "running":
        hotplug(state, vm, touched)
        cleanup(vm)
    else:
        apply_all(state, vm)


def cleanup(vm: dict[str, Any]) -> None:
    """PVE::AbstractConfig cleanup_pending: a pending value equal to the current one, or the removal of a key the
    config does not have, is nothing to wait for (this is also how ``revert=`` and setting back clear a change)."""
    pending = vm.get("pending") or {}
    for key, value in values(vm).items():
        if key in vm["config"] and str(vm["config"][key]) == value:
            pending.pop(key)
    _set_deletes(vm, {k: force for k, force in deletes(vm).items() if k in vm["config"]})


def hotplug(state: State, vm: dict[str, Any], selection: Iterable[str]) -> None:
    """vmconfig_hotplug_pending over ``selection``: apply what hot-plugs, keep the rest pending."""
    before = dict(vm["config"])
    gone = deletes(vm)
    for key in selection:
        if key in gone and plug.plugs_removal(before, key):
            _remove(state, vm, key, force=gone.pop(key))
        elif key in values(vm) and plug.plugs_change(before, key, values(vm)[key]):
            _take(state, vm, key)
    _set_deletes(vm, gone)


def apply_all(state: State, vm: dict[str, Any]) -> None:
    """vmconfig_apply_pending: every removal, then every value (a stopped VM, or at start/API reboot)."""
    for key, force in deletes(vm).items():
        _remove(state, vm, key, force=force)
    for key in values(vm):
        _take(state, vm, key)
    vm.pop("pending", None)


def take_pending(state: State, vm: dict[str, Any], wanted: Callable[[str], bool]) -> None:
    """Apply the pending values and removals of the keys ``wanted`` accepts, now (e.g. cloud-init options)."""
    gone = deletes(vm)
    for key in [k for k in gone if wanted(k)]:
        _remove(state, vm, key, force=gone.pop(key))
    _set_deletes(vm, gone)
    for key in [k for k in values(vm) if wanted(k)]:
        _take(state, vm, key)


def _take(state: State, vm: dict[str, Any], key: str) -> None:
    value = str(vm["pending"].pop(key))
    old = vm["config"].get(key)
    if old is not None and vmconf.is_drive(key) and _file(str(old)) != _file(value):
        _detach(state, vm, str(old))  # a replaced volume
    vm["config"][key] = value
    if not vm["pending"]:
        vm.pop("pending", None)


def _remove(state: State, vm: dict[str, Any], key: str, *, force: bool) -> None:
    value = vm["config"].pop(key, None)
    vm.get("pending", {}).pop(key, None)
    if value is not None and vmconf.is_drive(key) and vmconf.volumes_of({key: value}):
        if force:  # try_deallocate_drive: only what the VM owns, never a CD-ROM's medium
            if not _cdrom(str(value)) and _owned(state, vm, str(value)):
                _drop_volume(state, vm, str(value))
        else:
            _detach(state, vm, str(value))  # vmconfig_delete_or_detach_drive: detached, not destroyed


def _file(value: str) -> str:
    return value.split(",", 1)[0]


# qemu-server src/PVE/QemuServer.pm vmconfig_register_unused_drive (a detached or replaced drive): a cloud-init
# drive's volume is freed, a CD-ROM's medium (an ISO) is left alone, and only a volume the VM owns
# (vm_is_volid_owner: the vmid in its name) is kept as unusedN; anything else just leaves the config.
OWNER = re.compile(r"(?:^|[:/])(?:vm|base)-(\d+)-")


def _cdrom(value: str) -> bool:
    return "media=cdrom" in value.split(",")[1:] or _file(value) in ("none", "cdrom")


def _owned(state: State, vm: Mapping[str, Any], value: str) -> bool:
    owners = OWNER.findall(_file(value))
    return bool(owners) and state["vms"].get(owners[-1]) is vm


def _detach(state: State, vm: dict[str, Any], value: str) -> None:
    if re.search(r"[:/]vm-\d+-cloudinit", _file(value)):
        if _owned(state, vm, value):
            _drop_volume(state, vm, value)
    elif not _cdrom(value) and _owned(state, vm, value):
        _unused(vm, value)


def _unused(vm: dict[str, Any], value: str) -> None:
    n = 0
    while f"unused{n}" in vm["config"]:
        n += 1
    vm["config"][f"unused{n}"] = _file(value)


def _drop_volume(state: State, vm: dict[str, Any], value: str) -> None:
    """Deleting ``unusedN`` (or a forced removal) destroys the volume (vmconfig_delete_or_detach_drive)."""
    volume = volumes.find(state, _file(value), vm["node"])
    if volume is not None:
        volumes.remove(state, str(volume["volid"]), volume.get("node"))
