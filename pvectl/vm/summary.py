"""A configuration as people read it, step by step: ``Label: value`` parts of the fields that apply (no bridge
when there is no network device), disks by their device. The TUI's Confirm screen and the ``-i`` review show it.
"""

from __future__ import annotations

from typing import Any

from pvectl.vm.config import DISK_LIMITS, Network, VmConfig, assign_devices
from pvectl.vm.defaults import get_value
from pvectl.vm.fields import CI_FIELDS, FIELDS, applies
from pvectl.vm.labels import LABELS


def show(value: Any, path: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return LABELS.get(path, {}).get(str(value), str(value))


def disk_line(config: VmConfig, index: int) -> str:
    disk = assign_devices(config.disks)[index]
    on = [name for name in ("iothread", "ssd", "discard", "ro") if getattr(disk, name, None)]
    off = ["no backup"] if not disk.backup else []
    extra = [f"{k}={v}" for k in ("aio", "cache") if (v := getattr(disk, k, None))]
    extra += [f"{k}={show(v)}" for k in DISK_LIMITS if (v := getattr(disk, k)) is not None]  # bandwidth, IOPS
    return " ".join([f"{disk.device}: {disk.storage} {disk.size_gib} GiB {show(disk.format)}", *on, *off, *extra])


def nic_line(nic: Network) -> str:
    """A NIC after net0: its model, bridge and what is set."""
    parts = [show(nic.model, "network.model"), nic.bridge, "firewall" if nic.firewall else "no firewall"]
    parts += [f"{k}={show(v)}" for k, v in (("tag", nic.vlan), ("mtu", nic.mtu), ("rate", nic.rate)) if v is not None]
    parts += [f"{k}={v}" for k, v in (("queues", nic.queues), ("mac", nic.mac)) if v is not None]
    return " ".join(parts + (["link down"] if nic.link_down else []))


def cloudinit_parts(config: VmConfig) -> list[str]:
    """The Cloud-Init step: what is set, the password only as "set" (never its value)."""
    ci = config.cloudinit
    if not ci.on:
        return ["off"]
    values = {
        "user": ci.user,
        "password": "set" if ci.secret else None,
        "ssh_keys": len([line for t in ci.ssh_keys for line in t.splitlines() if line.strip()]) or None,
        "ipconfig": " ".join(f"{k}:{v}" for k, v in sorted(ci.ipconfig.items())) or None,
        "nameserver": ci.nameserver,
        "searchdomain": ci.searchdomain,
        "upgrade": ci.upgrade,
        "storage": ci.storage,
    }
    labels = {spec.path.removeprefix("cloudinit."): spec.label for spec in CI_FIELDS}
    parts = [f"{labels[key]}: {show(value)}" for key, value in values.items() if value is not None]
    return parts or ["on (the image's defaults)"]


def step_parts(config: VmConfig, step: str) -> list[str]:
    """The ``Label: value`` parts of one step (advanced fields only when set)."""
    if step == "disks":
        return [disk_line(config, i) for i in range(len(config.disks))]
    if step == "cloudinit":
        return cloudinit_parts(config)
    if step == "network" and config.more_nics:
        parts = step_parts(config.model_copy(update={"more_nics": []}), step)
        return parts + [f"net{i}: {nic_line(nic)}" for i, nic in enumerate(config.more_nics, start=1)]
    parts = []
    for spec in FIELDS:
        if spec.step != step or not applies(spec.path, config):
            continue
        value = get_value(config, spec.path)
        if spec.path == "memory.min_memory":
            value = config.effective_min_memory
        if spec.path == "os.iso" and value is None and config.os.media == "iso":
            value = "latest NixOS minimal"
        if spec.advanced and value is None:
            continue
        parts.append(f"{spec.label}: {show(value, spec.path)}")
    return parts


def wrap(parts: list[str], width: int, indent: int = 0) -> list[str]:
    """Parts joined by `` · `` into lines of at most ``width`` cells, never breaking inside a part."""
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line} · {part}" if line else part
        if line and len(candidate) + indent > width:
            lines.append(line)
            line = part
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
