"""Key sequences for the ``vm create -i`` questions, by name, in the order the prompts ask them
(default world: one disk, no advanced options). Unnamed questions are answered with Enter (the default)."""

from __future__ import annotations

ENTER = "\r"
DOWN = "\x1b[B"
CLEAR = "\x15"  # Ctrl-U: empty a pre-filled text answer
CTRL_C = "\x03"
ESC = "\x1b"

QUESTIONS = (
    # General
    "node",
    "vmid",
    "name",
    "pool",
    "tags",
    "new_tags",
    "ha",
    "start",
    "general_advanced",
    # OS
    "media",
    "iso_storage",
    "iso",
    "ostype",
    # System
    "machine",
    "bios",
    "efidisk",
    "efi_storage",
    "secure_boot",
    "scsihw",
    "agent",
    "tpm",
    "serial_console",
    # Disks
    "disk_bus",
    "disk_storage",
    "disk_size",
    "disk_format",
    "disk_iothread",
    "disk_ssd",
    "disk_backup",
    "disk_aio",
    "disk_advanced",
    "add_disk",
    # CPU
    "sockets",
    "cores",
    "cpu",
    "cpu_advanced",
    # Memory
    "memory",
    "memory_advanced",
    # Network
    "network",
    "bridge",
    "net_model",
    "firewall",
    "network_advanced",
    "add_nic",
    # Cloud-Init (optional: Enter = no)
    "cloudinit",
    # Review menu (Enter: go on), then the summary
    "review",
    "confirm",
)


def typed(value: str) -> str:
    """Replace a pre-filled text answer."""
    return CLEAR + value + ENTER


def pick(text: str) -> str:
    """Choose from a list by typing part of the title (the list filters as you type)."""
    return text + ENTER


def answers(*, upto: str | None = None, **given: str) -> str:
    """Keys for every question (Enter unless given; "" for one that is not asked), stopping before ``upto``."""
    unknown = set(given) - set(QUESTIONS)
    assert not unknown, f"unknown questions: {unknown}"
    out = []
    for name in QUESTIONS:
        if name == upto:
            break
        out.append(given.get(name, ENTER))
    return "".join(out)


def disk(**given: str) -> str:
    """Keys for one added disk's questions, then "add another disk?" (Enter = no)."""
    names = ("bus", "storage", "size", "format", "iothread", "ssd", "backup", "aio", "advanced", "add_disk")
    unknown = set(given) - set(names)
    assert not unknown, f"unknown disk questions: {unknown}"
    return "".join(given.get(n, ENTER) for n in names)


def nic(**given: str) -> str:
    """Keys for one added NIC's questions, then "add another network device?" (Enter = no)."""
    names = ("bridge", "net_model", "firewall", "vlan", "add_nic")
    unknown = set(given) - set(names)
    assert not unknown, f"unknown NIC questions: {unknown}"
    return "".join(given.get(n, ENTER) for n in names)
