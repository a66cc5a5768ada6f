"""What each fixed choice is called on screen: one table per choice, read by the prompts and the TUI alike.

Codes are PVE's (the value sent); labels follow the PVE 9.1 web GUI (gui-wizard-reference.md §4.2, §5–§9).
"""

from __future__ import annotations

# GUI OSTypeEdit (9.1.3): "Vista/2008" is w2k8; wvista and w2k3 exist only in the API enum.
OSTYPE = {
    "l26": "Linux 6.x - 2.6 Kernel",
    "l24": "Linux 2.4 Kernel",
    "win11": "Windows 11/2022/2025",
    "win10": "Windows 10/2016/2019",
    "win8": "Windows 8.x/2012/2012r2",
    "win7": "Windows 7/2008r2",
    "w2k8": "Windows Vista/2008",
    "wxp": "Windows XP/2003",
    "w2k": "Windows 2000",
    "wvista": "Windows Vista (API only)",
    "w2k3": "Windows 2003 (API only)",
    "solaris": "Solaris Kernel",
    "other": "Other",
}

LABELS: dict[str, dict[str, str]] = {
    "os.media": {"iso": "ISO image", "cdrom": "Physical CD/DVD drive", "none": "No media"},
    "os.ostype": OSTYPE,
    "system.machine": {"q35": "q35", "pc": "Default (i440fx)"},
    "system.bios": {"ovmf": "OVMF (UEFI)", "seabios": "SeaBIOS"},
    "system.scsihw": {
        "virtio-scsi-single": "VirtIO SCSI single",
        "virtio-scsi-pci": "VirtIO SCSI",
        "lsi": "LSI 53C895A",
        "lsi53c810": "LSI 53C810",
        "megasas": "MegaRAID SAS 8708EM2",
        "pvscsi": "VMware PVSCSI",
    },
    "system.vga": {
        "std": "Standard VGA",
        "vmware": "VMware compatible",
        "qxl": "SPICE",
        "qxl2": "SPICE dual monitor",
        "qxl3": "SPICE three monitors",
        "qxl4": "SPICE four monitors",
        "virtio": "VirtIO-GPU",
        "virtio-gl": "VirtIO-GPU (virgl)",
        "none": "None",
    },
    "system.tpm_version": {"v2.0": "v2.0", "v1.2": "v1.2"},
    "cpu.type": {
        "host": "host",
        "x86-64-v2-AES": "x86-64-v2-AES",
        "x86-64-v3": "x86-64-v3",
        "x86-64-v4": "x86-64-v4",
        "kvm64": "kvm64",
        "qemu64": "qemu64",
        "max": "max",
    },
    "network.model": {
        "virtio": "VirtIO (paravirtualized)",
        "e1000": "Intel E1000",
        "e1000e": "Intel E1000E",
        "rtl8139": "Realtek RTL8139",
        "vmxnet3": "VMware vmxnet3",
    },
    # disk fields (keyed by their DiskSpec path)
    "bus": {"scsi": "SCSI", "sata": "SATA", "virtio": "VirtIO Block", "ide": "IDE"},
    "format": {"raw": "Raw disk image (raw)", "qcow2": "QEMU image format (qcow2)", "vmdk": "VMware image (vmdk)"},
    "aio": {"io_uring": "io_uring", "native": "native", "threads": "threads"},
    "cache": {
        "none": "No cache",
        "directsync": "Direct sync",
        "writethrough": "Write through",
        "writeback": "Write back",
        "unsafe": "Write back (unsafe)",
    },
}


def label(path: str, code: str) -> str:
    """The label of ``code`` for the field at ``path``; the code itself when the table has none."""
    return LABELS.get(path, {}).get(code, code)


def options(path: str, codes: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """(code, label) for each code, in the given order."""
    return [(code, label(path, code)) for code in codes]
