"""Every validation rule of vm-create.md §3, as data: a list of problems, each naming its field."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from pvectl.vm.config import DISK_LIMITS, MAX_INDEX, VmConfig
from pvectl.vm.cpu import CpuCatalog

_DNS = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?")
_TAG = re.compile(r"[a-z0-9_][a-z0-9_\-+.]*", re.I)
_MAC = re.compile(r"[a-f0-9][02468ace](?::[a-f0-9]{2}){5}", re.I)
_POOL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]+")
_CPU_FLAGS = re.compile(r"[+-][\w.-]+(?:;[+-][\w.-]+)*")  # pve-vm-cpu-conf flags: +aes;-pcid
_CPUSET = re.compile(r"\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*")  # affinity, a cpuset list: 0-3,8


@dataclass(frozen=True)
class Problem:
    """One rule that the configuration breaks. ``field`` is the dotted path (``memory.min_memory``)."""

    field: str
    message: str

    @property
    def step(self) -> str:
        head = self.field.split(".")[0].split("[")[0]
        return {"disks": "disks", "serial_console": "system", "start": "general", "more_nics": "network"}.get(
            head, head
        )

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def check(config: VmConfig, *, taken_vmids: Collection[int] = (), cpu: CpuCatalog | None = None) -> list[Problem]:
    """All problems of ``config``; empty when it can be sent. ``cpu``: the node's CPU choices, when known."""
    out: list[Problem] = []

    def add(field: str, message: str) -> None:
        out.append(Problem(field, message))

    g = config.general
    if g.vmid is not None:
        if not 100 <= g.vmid <= 999_999_999:
            add("general.vmid", f"VM id {g.vmid} is outside 100..999999999")
        elif g.vmid in taken_vmids:
            add("general.vmid", f"VM id {g.vmid} is already in use")
    if g.name is not None and not _DNS.fullmatch(g.name):
        add("general.name", f"'{g.name}' is not a valid DNS name (letters, digits, '-', '.')")
    if g.pool is not None and not _POOL.fullmatch(g.pool):
        add("general.pool", f"'{g.pool}' is not a valid pool id")
    for tag in g.tags:
        if not _TAG.fullmatch(tag):
            add("general.tags", f"tag '{tag}' may only hold letters, digits and _ - + .")
    for name in ("startup_order", "startup_delay", "shutdown_timeout"):
        value = getattr(g, name)
        if value is not None and value < 0:
            add(f"general.{name}", f"must be 0 or more, got {value}")
    if config.os.media == "iso" and not config.os.iso:
        # the storage may hold other images: what is missing is the NixOS minimal ISO taken by default
        add("os.iso", f"no ISO image chosen, and no NixOS minimal ISO on '{config.os.iso_storage}' to take: choose one")
    s = config.system
    if s.secure_boot and not (s.bios == "ovmf" and s.efidisk):
        add("system.secure_boot", "Secure Boot needs BIOS ovmf with an EFI disk")
    if not config.disks:
        add("disks", "at least one disk is needed")
    seen: dict[str, int] = {}
    for i, disk in enumerate(config.disks):
        where = f"disks[{i}]"
        if disk.index is not None:
            device = f"{disk.bus}{disk.index}"
            if not 0 <= disk.index <= MAX_INDEX[disk.bus]:
                add(f"{where}.index", f"{device}: {disk.bus} devices are numbered 0..{MAX_INDEX[disk.bus]}")
            if device == "ide2":
                add(f"{where}.index", "ide2 is the CD drive")
            if device in seen:  # both disks are marked, named as the wizards number them
                add(f"disks[{seen[device]}].index", f"{device} is used by Disk {i + 1} too")
                add(f"{where}.index", f"{device} is used by Disk {seen[device] + 1} too")
            seen[device] = i
        if disk.size_gib < 1:
            add(f"{where}.size_gib", f"size must be at least 1 GiB, got {disk.size_gib}")
        if disk.ssd and disk.bus == "virtio":
            add(f"{where}.ssd", "SSD emulation is not available on virtio disks")
        if disk.iothread and disk.bus not in ("scsi", "virtio"):
            add(f"{where}.iothread", f"IO thread needs a scsi or virtio disk, not {disk.bus}")
        if disk.ro and disk.bus not in ("scsi", "virtio"):
            add(f"{where}.ro", f"read-only needs a scsi or virtio disk, not {disk.bus}")  # the GUI's limit
        if f"{disk.bus}{disk.index}" == "ide0" and config.os.virtio_iso:
            add(f"{where}.index", "ide0 holds the VirtIO driver CD")
        for key in DISK_LIMITS:
            value = getattr(disk, key)
            if value is not None and value < 0:
                add(f"{where}.{key}", f"must be 0 or more, got {value}")
    c = config.cpu
    if c.sockets < 1:
        add("cpu.sockets", f"must be at least 1, got {c.sockets}")
    if c.cores < 1:
        add("cpu.cores", f"must be at least 1, got {c.cores}")
    if c.vcpus is not None and not 1 <= c.vcpus <= c.sockets * c.cores:
        add("cpu.vcpus", f"vCPUs must be 1..{c.sockets * c.cores} (sockets x cores), got {c.vcpus}")
    if c.cpulimit is not None and not 0 <= c.cpulimit <= 128:
        add("cpu.cpulimit", f"CPU limit must be 0..128, got {c.cpulimit:g}")
    if cpu is not None and (message := cpu.model_problem(c.type)):
        add("cpu.type", message)
    if c.cpuunits is not None and cpu is not None and (message := cpu.units_problem(c.cpuunits)):
        add("cpu.cpuunits", message)  # the node's range: 1..10000 on cgroup v2, 2..262144 on v1 (GUI §7)
    elif c.cpuunits is not None and cpu is None and not 1 <= c.cpuunits <= 262144:
        # the node's mode unknown: the schema's range (PVE clamps to 1..10000 on cgroup v2)
        add("cpu.cpuunits", f"CPU units must be 1..262144 (1..10000 on cgroup v2), got {c.cpuunits}")
    if c.flags is not None and not _CPU_FLAGS.fullmatch(c.flags):
        add("cpu.flags", f"'{c.flags}' is not a flag list like +aes;-pcid")
    elif c.flags is not None and cpu is not None and (message := cpu.flag_problem(c.flags)):
        add("cpu.flags", message)
    if c.affinity is not None and not _CPUSET.fullmatch(c.affinity):
        add("cpu.affinity", f"'{c.affinity}' is not a CPU list like 0-3,8")
    m = config.memory
    if m.memory < 16:
        add("memory.memory", f"must be at least 16 MiB, got {m.memory}")
    if m.min_memory is not None and m.min_memory > m.memory:
        add("memory.min_memory", f"minimum memory ({m.min_memory}) must not exceed memory ({m.memory})")
    if m.shares is not None and not 0 <= m.shares <= 50000:
        add("memory.shares", f"shares must be 0..50000, got {m.shares}")
    if config.os.virtio_iso is not None and not config.os.ostype.startswith("w"):
        add("os.virtio_iso", f"the VirtIO driver ISO is for Windows guests, not {config.os.ostype}")
    nics = [("network", config.network)] if config.network.enabled else []
    nics += [(f"more_nics[{i}]", nic) for i, nic in enumerate(config.more_nics)]
    for where, n in nics:
        if n.vlan is not None and not 1 <= n.vlan <= 4094:
            add(f"{where}.vlan", f"VLAN tag must be 1..4094, got {n.vlan}")
        if n.mtu is not None:
            if n.model != "virtio":
                add(f"{where}.mtu", f"MTU can only be set on virtio NICs, not {n.model}")
            elif not (n.mtu == 1 or 576 <= n.mtu <= 65520):
                # the schema takes 1..65520; PVE's GUI (NetworkEdit.js) takes 576..65520, and 1 = the bridge's MTU
                add(f"{where}.mtu", f"MTU must be 576..65520, or 1 for the bridge's MTU; got {n.mtu}")
        if n.rate is not None and n.rate < 0:
            add(f"{where}.rate", f"rate limit must be 0 or more MB/s, got {n.rate}")
        if n.queues is not None and not 0 <= n.queues <= 64:
            add(f"{where}.queues", f"multiqueue must be 0..64, got {n.queues}")
        if n.mac is not None and not _MAC.fullmatch(n.mac):
            add(f"{where}.mac", f"'{n.mac}' is not a unicast MAC address (XX:XX:XX:XX:XX:XX)")
    return out
