"""The declarative field spec every front-end reads: flags, prompts and the TUI ask the same fields in the
same order, with the same help, choices and defaults. ``[vm.defaults]`` in the config file uses the flag names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pvectl.vm.cpu import COMMON_MODELS

if TYPE_CHECKING:
    from pvectl.vm.config import VmConfig

Kind = Literal["str", "int", "float", "bool", "choice", "tags", "secret", "lines"]

# Choices PVE fixes in its schema (POST /nodes/{node}/qemu); the live ones name a ReferenceData source.
# GUI order (OSTypeEdit); wvista and w2k3 are in the API enum only, so they come last
OSTYPES = ("l26", "l24", "win11", "win10", "win8", "win7", "w2k8", "wxp", "w2k", "solaris", "other", "wvista", "w2k3")
SCSIHW = ("virtio-scsi-single", "virtio-scsi-pci", "lsi", "lsi53c810", "megasas", "pvscsi")
NET_MODELS = ("virtio", "e1000", "e1000e", "rtl8139", "vmxnet3")
CPU_TYPES = COMMON_MODELS
BUSES = ("scsi", "sata", "virtio", "ide")
FORMATS = ("raw", "qcow2", "vmdk")
AIO = ("io_uring", "native", "threads")
CACHE = ("none", "directsync", "writethrough", "writeback", "unsafe")
VGA = ("std", "vmware", "qxl", "qxl2", "qxl3", "qxl4", "virtio", "virtio-gl", "none")
TPM_VERSIONS = ("v2.0", "v1.2")


@dataclass(frozen=True)
class FieldSpec:
    path: str  # attribute path in VmConfig ("memory.min_memory")
    flag: str  # --flag name, also the [vm.defaults] key
    step: str
    label: str
    help: str
    kind: Kind
    choices: tuple[str, ...] = ()
    source: str | None = None  # ReferenceData method with live choices
    advanced: bool = False
    cli: bool = True  # has its own --flag (os.media is set through --iso instead)
    # with both ``choices`` and ``source``, the choices are only suggestions: the server's list decides


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("general.node", "node", "general", "Node", "Node that hosts the VM.", "choice", source="nodes"),
    FieldSpec("general.vmid", "vmid", "general", "VM ID", "100-999999999; default: the next free id.", "int"),
    FieldSpec("general.name", "name", "general", "Name", "VM name (a DNS name).", "str"),
    FieldSpec("general.pool", "pool", "general", "Resource pool", "Pool the VM joins.", "choice", source="pools"),
    FieldSpec("general.tags", "tag", "general", "Tags", "Tags of the VM, e.g. web nixos.", "tags", source="tags"),
    FieldSpec("general.ha", "ha", "general", "Add to HA", "Manage the VM with HA.", "bool"),
    FieldSpec("general.onboot", "onboot", "general", "Start at boot", "Start with its node.", "bool", advanced=True),
    FieldSpec(
        "general.startup_order",
        "startup-order",
        "general",
        "Start/shutdown order",
        "Order number.",
        "int",
        advanced=True,
    ),
    FieldSpec(
        "general.startup_delay",
        "startup-delay",
        "general",
        "Startup delay",
        "Seconds to wait after start.",
        "int",
        advanced=True,
    ),
    FieldSpec(
        "general.shutdown_timeout",
        "shutdown-timeout",
        "general",
        "Shutdown timeout",
        "Seconds to wait at shutdown.",
        "int",
        advanced=True,
    ),
    FieldSpec(
        "os.media",
        "media",
        "os",
        "Media",
        "CD drive: iso, cdrom (physical drive) or none.",
        "choice",
        ("iso", "cdrom", "none"),
        cli=False,
    ),
    FieldSpec(
        "os.iso_storage",
        "iso-storage",
        "os",
        "ISO storage",
        "Storage that holds the ISO.",
        "choice",
        source="iso_storages",
    ),
    FieldSpec(
        "os.iso",
        "iso",
        "os",
        "ISO image",
        "latest-nixos (default), a volume id (storage:iso/file.iso), cdrom (physical drive) or none.",
        "choice",
        source="isos",
    ),
    FieldSpec("os.ostype", "ostype", "os", "Guest OS", "Guest OS type (l26 = Linux 6.x/2.6).", "choice", OSTYPES),
    FieldSpec(
        "os.virtio_iso",
        "virtio-iso",
        "os",
        "VirtIO driver ISO",
        "Windows: a second CD drive (ide0) with the VirtIO drivers, e.g. cephfs:iso/virtio-win.iso.",
        "str",
        advanced=True,
    ),
    FieldSpec("system.machine", "machine", "system", "Machine", "QEMU machine type.", "choice", ("q35", "pc")),
    FieldSpec("system.bios", "bios", "system", "BIOS", "Firmware.", "choice", ("ovmf", "seabios")),
    FieldSpec("system.efidisk", "efidisk", "system", "EFI disk", "Add an EFI disk (OVMF).", "bool"),
    FieldSpec(
        "system.efi_storage",
        "efi-storage",
        "system",
        "EFI storage",
        "Storage of the EFI disk.",
        "choice",
        source="image_storages",
    ),
    FieldSpec(
        "system.secure_boot", "secure-boot", "system", "Secure Boot keys", "Pre-enroll Secure Boot keys.", "bool"
    ),
    FieldSpec("system.scsihw", "scsihw", "system", "SCSI controller", "SCSI controller model.", "choice", SCSIHW),
    FieldSpec("system.agent", "agent", "system", "QEMU agent", "Enable the QEMU guest agent.", "bool"),
    FieldSpec("system.tpm", "tpm", "system", "TPM", "Add a TPM state volume (Windows 11 needs one).", "bool"),
    FieldSpec(
        "system.tpm_storage",
        "tpm-storage",
        "system",
        "TPM storage",
        "Storage of the TPM state.",
        "choice",
        source="image_storages",
    ),
    FieldSpec(
        "system.tpm_version",
        "tpm-version",
        "system",
        "TPM version",
        "TPM version.",
        "choice",
        TPM_VERSIONS,
        advanced=True,
    ),
    FieldSpec(
        "system.vga",
        "vga",
        "system",
        "Graphic card",
        "Display when the serial console is off (default: PVE's).",
        "choice",
        VGA,
        advanced=True,
    ),
    FieldSpec("cpu.sockets", "sockets", "cpu", "Sockets", "CPU sockets.", "int"),
    FieldSpec("cpu.cores", "cores", "cpu", "Cores", "Cores per socket.", "int"),
    FieldSpec(
        "cpu.type",
        "cpu",
        "cpu",
        "CPU type",
        f"CPU model the node offers, e.g. {', '.join(CPU_TYPES[:4])}.",
        "choice",
        CPU_TYPES,  # the common ones (help, completion); the node's list is what is checked
        source="cpu",
    ),
    FieldSpec("cpu.vcpus", "vcpus", "cpu", "vCPUs", "Active vCPUs at start, 1..sockets*cores.", "int", advanced=True),
    FieldSpec(
        "cpu.cpulimit", "cpulimit", "cpu", "CPU limit", "0-128 host CPUs (0 = no limit).", "float", advanced=True
    ),
    FieldSpec(
        "cpu.cpuunits",
        "cpuunits",
        "cpu",
        "CPU units",
        "CPU weight: 1-10000 (default 100) on cgroup v2, 2-262144 (default 1024) on v1.",
        "int",
        advanced=True,
    ),
    FieldSpec(
        "cpu.affinity",
        "affinity",
        "cpu",
        "CPU affinity",
        "Host CPUs, e.g. 0-3,8 (root@pam only).",
        "str",
        advanced=True,
    ),
    FieldSpec("cpu.numa", "numa", "cpu", "NUMA", "Enable NUMA.", "bool", advanced=True),
    FieldSpec("cpu.flags", "cpu-flags", "cpu", "CPU flags", "Extra CPU flags, e.g. +aes;-pcid.", "str", advanced=True),
    FieldSpec("memory.memory", "memory", "memory", "Memory (MiB)", "Memory in MiB.", "int"),
    FieldSpec(
        "memory.min_memory",
        "min-memory",
        "memory",
        "Minimum memory (MiB)",
        "Balloon target; follows memory.",
        "int",
        advanced=True,
    ),
    FieldSpec(
        "memory.ballooning",
        "balloon",
        "memory",
        "Ballooning device",
        "Enable the balloon device.",
        "bool",
        advanced=True,
    ),
    FieldSpec("memory.ksm", "ksm", "memory", "Allow KSM", "Kernel same-page merging.", "bool", advanced=True),
    FieldSpec(
        "memory.shares",
        "shares",
        "memory",
        "Shares",
        "Memory weight 0-50000 (default 1000); with minimum memory below memory.",
        "int",
        advanced=True,
    ),
    FieldSpec("network.enabled", "network", "network", "Network device", "Add a network device.", "bool"),
    FieldSpec("network.bridge", "bridge", "network", "Bridge", "Bridge to attach to.", "choice", source="bridges"),
    FieldSpec("network.model", "net-model", "network", "Model", "NIC model.", "choice", NET_MODELS),
    FieldSpec("network.firewall", "firewall", "network", "Firewall", "Enable the PVE firewall on the NIC.", "bool"),
    FieldSpec("network.vlan", "vlan", "network", "VLAN tag", "VLAN tag 1-4094.", "int", advanced=True),
    FieldSpec(
        "network.mtu",
        "mtu",
        "network",
        "MTU",
        "MTU 576-65520 (virtio only; 1 = the bridge's MTU).",
        "int",
        advanced=True,
    ),
    FieldSpec("network.rate", "rate", "network", "Rate limit (MB/s)", "Rate limit in MB/s.", "float", advanced=True),
    FieldSpec("network.queues", "queues", "network", "Multiqueue", "Number of packet queues.", "int", advanced=True),
    FieldSpec("network.mac", "mac", "network", "MAC address", "Fixed MAC; default: generated.", "str", advanced=True),
    FieldSpec(
        "network.link_down", "link-down", "network", "Disconnect", "Start with the link down.", "bool", advanced=True
    ),
    FieldSpec(
        "serial_console", "serial-console", "system", "Serial console", "Set serial0=socket, vga=serial0.", "bool"
    ),
    FieldSpec("start", "start", "general", "Start after creation", "Start the VM when it is created.", "bool"),
)

DISK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("bus", "bus", "disks", "Bus", "Disk bus.", "choice", BUSES),
    FieldSpec("storage", "storage", "disks", "Storage", "Storage of the disk.", "choice", source="image_storages"),
    FieldSpec("size_gib", "size", "disks", "Size (GiB)", "Disk size in GiB.", "int"),
    FieldSpec("format", "format", "disks", "Format", "Image format.", "choice", FORMATS),
    FieldSpec("iothread", "iothread", "disks", "IO thread", "Own IO thread (scsi/virtio).", "bool"),
    FieldSpec("ssd", "ssd", "disks", "SSD emulation", "Report an SSD to the guest.", "bool"),
    FieldSpec("backup", "backup", "disks", "Backup", "Include in backups.", "bool"),
    FieldSpec("aio", "aio", "disks", "Async IO", "Asynchronous IO mode.", "choice", AIO),
    FieldSpec("cache", "cache", "disks", "Cache", "Cache mode.", "choice", CACHE, advanced=True),
    FieldSpec("discard", "discard", "disks", "Discard", "Pass TRIM/discard to the storage.", "bool", advanced=True),
    FieldSpec(
        "index", "index", "disks", "Device number", "Number on the bus; default: the next free.", "int", advanced=True
    ),
    FieldSpec("ro", "ro", "disks", "Read-only", "Read-only disk (scsi/virtio).", "bool", advanced=True),
    FieldSpec("replicate", "replicate", "disks", "Replication", "Off = skip replication.", "bool", advanced=True),
    *(
        FieldSpec(key, key.replace("_", "-"), "disks", title, help_, kind, advanced=True)  # type: ignore[arg-type]
        for key, title, help_, kind in (
            ("mbps_rd", "Read limit (MB/s)", "Read bandwidth limit.", "float"),
            ("mbps_rd_max", "Read burst (MB)", "Read burst size.", "float"),
            ("mbps_wr", "Write limit (MB/s)", "Write bandwidth limit.", "float"),
            ("mbps_wr_max", "Write burst (MB)", "Write burst size.", "float"),
            ("iops_rd", "Read limit (ops/s)", "Read operations per second.", "int"),
            ("iops_rd_max", "Read burst (ops)", "Read operations burst.", "int"),
            ("iops_wr", "Write limit (ops/s)", "Write operations per second.", "int"),
            ("iops_wr_max", "Write burst (ops)", "Write operations burst.", "int"),
        )
    ),
)

# The Cloud-Init step (an optional step: off unless asked for). Its flags come from
# pvectl.cli.commands.vm.ci_flags (shared with vm clone); VM files use these names as keys, except the password,
# which is never read from or written to a file. ``ipconfig`` is per NIC: the step asks for net0's.
CI_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("cloudinit.enabled", "cloud-init", "cloudinit", "Cloud-Init", "Add a cloud-init drive.", "bool"),
    FieldSpec("cloudinit.user", "ci-user", "cloudinit", "User", "User to create (default: the image's).", "str"),
    FieldSpec("cloudinit.password", "ci-password", "cloudinit", "Password", "The user's password.", "secret"),
    FieldSpec(
        "cloudinit.ssh_keys", "ssh-key", "cloudinit", "SSH public keys", "OpenSSH public keys, one a line.", "lines"
    ),
    FieldSpec(
        "cloudinit.ipconfig",
        "ipconfig",
        "cloudinit",
        "IP config (net0)",
        "ip=dhcp, or ip=CIDR,gw=IP[,ip6=CIDR|dhcp|auto,gw6=IP]; empty: none.",
        "str",
    ),
    FieldSpec("cloudinit.nameserver", "nameserver", "cloudinit", "DNS servers", "Default: the host's.", "str"),
    FieldSpec("cloudinit.searchdomain", "searchdomain", "cloudinit", "DNS domain", "Default: the host's.", "str"),
    FieldSpec("cloudinit.upgrade", "ci-upgrade", "cloudinit", "Upgrade packages", "On first boot.", "bool"),
    FieldSpec(
        "cloudinit.storage",
        "cloudinit-storage",
        "cloudinit",
        "Cloud-init storage",
        "Storage of the cloud-init drive; default: the first disk's.",
        "choice",
        source="image_storages",
    ),
)

BY_FLAG = {f.flag: f for f in FIELDS}
DISK_BY_FLAG = {f.flag: f for f in DISK_FIELDS}
STEPS = ("general", "os", "system", "disks", "cpu", "memory", "network")
OPTIONAL_STEPS = ("cloudinit",)  # asked for by a yes (-i) or a switch (--tui); off by default

# Which fields apply, given the other answers (the GUI greys them out the same way); the rest always apply.
APPLIES: dict[str, Callable[[VmConfig], bool]] = {
    "os.iso_storage": lambda c: c.os.media == "iso",
    "os.iso": lambda c: c.os.media == "iso",
    "system.efidisk": lambda c: c.system.bios == "ovmf",
    "system.efi_storage": lambda c: c.system.bios == "ovmf" and c.system.efidisk,
    "system.secure_boot": lambda c: c.system.bios == "ovmf" and c.system.efidisk,
    "memory.min_memory": lambda c: c.memory.ballooning,
    "memory.shares": lambda c: c.memory.ballooning and c.effective_min_memory < c.memory.memory,
    "system.tpm_storage": lambda c: c.system.tpm,
    "system.tpm_version": lambda c: c.system.tpm,
    "system.vga": lambda c: not c.serial_console,
    "os.virtio_iso": lambda c: c.os.ostype.startswith("w"),
    **{f.path: (lambda c: c.network.enabled) for f in FIELDS if f.step == "network" and f.path != "network.enabled"},
}


def applies(path: str, config: VmConfig) -> bool:
    rule = APPLIES.get(path)
    return rule is None or rule(config)
