"""``ct resize CT DISK SIZE``: grow the root disk or a mount point (pve-container src/PVE/API2/LXC.pm resize_vm:
``+SIZE`` grows by, ``SIZE`` sets; "unable to shrink disk size"). Checked before anything is sent (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNITS = {"": 1024**3, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"(\+?)(\d+(?:\.\d+)?)([KMGT]?)")


def size_bytes(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text)
    return int(float(m.group(1)) * UNITS[m.group(2) or "G"]) if m else 0


def plan_resize(
    config: Mapping[str, Any], disk: str, size: str, *, actual: int | None = None
) -> tuple[str | None, int, int]:
    """(a problem or None, current bytes, new bytes). ``actual``: the volume's real size when known, which
    resize_vm measures (PVE::Storage::volume_size_info) instead of the config's ``size=``."""
    if disk != "rootfs" and not re.fullmatch(r"mp\d+", disk):
        return f"DISK: '{disk}' is not rootfs or mpN", 0, 0
    value = config.get(disk)
    if value is None:
        mounts = ", ".join(k for k in config if k == "rootfs" or re.fullmatch(r"mp\d+", k))
        return f"DISK: the container has no {disk} (it has: {mounts})", 0, 0
    m = _SIZE.fullmatch(size.strip())
    if m is None:
        return f"SIZE: '{size}' is not +N or N with an optional K/M/G/T unit (G when none)", 0, 0
    fields = dict(p.partition("=")[::2] for p in str(value).split(",")[1:])
    current = actual if actual is not None else size_bytes(fields.get("size", "0"))
    amount = int(float(m.group(2)) * UNITS[m.group(3) or "G"])
    new = current + amount if m.group(1) else amount
    if new < current:
        have = f"{fields.get('size')}" if actual is None else f"{_human(actual)} on its storage"
        return f"SIZE: {size} would shrink {disk} ({have}); PVE only grows disks", current, new
    if new == current:
        return None, current, new
    return None, current, new


def _human(size: int) -> str:
    from pvectl.vm.resize import human

    return human(size)


def pve_size(size: str) -> str:
    """The size as resize_vm takes it: a unit is required for a plain number (G when none was given)."""
    text = size.strip()
    return text if text[-1:] in "KMGT" else f"{text}G"
