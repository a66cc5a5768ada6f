"""Flags that contradict each other: a value that another choice makes meaningless is an error, never dropped.

Keys are the flag names (also the keys of a VM file and of ``[vm.defaults]``); a value of ``None`` = not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NETWORK = ("bridge", "net-model", "firewall", "vlan", "mtu", "rate", "queues", "mac", "link-down")

# (flag, the value that switches something off, what that value says, the flags it makes meaningless)
RULES: tuple[tuple[str, object, str, tuple[str, ...]], ...] = (
    ("network", False, "--no-network", NETWORK),
    ("efidisk", False, "--no-efidisk", ("efi-storage", "secure-boot")),
    ("bios", "seabios", "--bios seabios", ("efidisk", "efi-storage", "secure-boot")),  # EFI disks are OVMF only
    ("balloon", False, "--no-balloon", ("min-memory",)),
    ("iso", "none", "--iso none", ("iso-storage",)),
    ("iso", "cdrom", "--iso cdrom", ("iso-storage",)),
)


def _switches_on(value: Any) -> bool:
    """A dependent that is merely switched off (``--no-firewall`` with ``--no-network``) contradicts nothing."""
    return value is not False


def contradiction(values: Mapping[str, Any], prefix: str = "--") -> str | None:
    """The first contradiction among the given ``values`` as one line naming the flag, or None."""
    for gate, off, says, dependents in RULES:
        if values.get(gate) is None or values.get(gate) != off:
            continue
        for dependent in dependents:
            value = values.get(dependent)
            if value is not None and _switches_on(value):
                said = says if prefix == "--" else f"{gate}: {str(off).lower()}"
                return f"{prefix}{dependent}: has no effect with {said}; drop one of them"
    return None
