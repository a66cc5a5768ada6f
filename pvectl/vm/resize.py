"""Growing a VM disk: ``+10G`` (relative) or ``64G`` (absolute), checked against the disk's present size first.

PVE only grows disks: qemu-server's resize API (PVE/API2/Qemu.pm, ``resize_vm``) dies with "shrinking disks is
not supported" for a smaller size, and refuses CD-ROM drives. pvectl says so before sending anything. PVE measures
the present size on the volume itself (``PVE::Storage::volume_size_info``), not the config's ``size=``, which
can be stale (a volume grown outside PVE, before ``qm disk rescan``); so does pvectl: it reads the volume's
size with ``GET /nodes/{node}/storage/{storage}/content/{volume}`` and falls back to ``size=`` only when
that cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

UNITS = " KMGT"
# The schema's pattern for ``size`` of PUT /nodes/{node}/qemu/{vmid}/resize (units are powers of 1024).
SIZE = re.compile(r"(\+?)(\d+(?:\.\d+)?)([KMGT]?)")
DISK = re.compile(r"(?:ide|sata|scsi|virtio|efidisk|tpmstate)\d+")


class ResizeError(ValueError):
    """A resize that PVE would refuse, or input it cannot parse; the message names the argument."""


@dataclass(frozen=True)
class Resize:
    disk: str
    current: int  # bytes
    new: int  # bytes
    size: str  # what to send: the argument as given (PVE reads +N as relative, N as absolute)

    @property
    def unchanged(self) -> bool:
        return self.new == self.current


def to_bytes(number: str, unit: str) -> int:
    return int(float(number) * 1024 ** UNITS.index(unit or " "))


def human(size: int) -> str:
    for unit in "TGMK":
        factor = 1024 ** UNITS.index(unit)
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B" if size < 1024 else f"{size / 1024**3:.2f}G"


def drive_size(value: str) -> int | None:
    """``size=`` of a drive text (``ceph-pool:vm-100-disk-0,size=16G``), in bytes; None when absent."""
    for part in value.split(",")[1:]:
        key, _, text = part.partition("=")
        if key == "size":
            m = SIZE.fullmatch(text)
            if m and not m.group(1):
                return to_bytes(m.group(2), m.group(3))
    return None


def volume_size(client: ProxmoxClient, node: str, value: str) -> int | None:
    """The real size in bytes of a drive's volume (what volume_size_info measures); None when unknown."""
    from pvectl.sdk import PveError
    from pvectl.sdk._core.answers import plain

    volid = value.split(",", 1)[0]
    if ":" not in volid or volid.startswith("/"):
        return None
    storage = volid.split(":", 1)[0]
    try:
        answer = plain(client.nodes(node).storage(storage).content(volid).get())
    except PveError:
        return None
    size = answer.get("size") if isinstance(answer, Mapping) else None
    return int(size) if isinstance(size, int | float) and size > 0 else None


def plan_live(client: ProxmoxClient, node: str, config: Mapping[str, object], disk: str, size: str) -> Resize:
    """:func:`plan` against the volume's real size (read from its storage) rather than the config's."""
    value = config.get(disk)
    actual = volume_size(client, node, str(value)) if value is not None and DISK.fullmatch(disk) else None
    return plan(config, disk, size, actual=actual)


def plan(config: Mapping[str, object], disk: str, size: str, *, actual: int | None = None) -> Resize:
    """The checked resize of ``disk`` in ``config`` to ``size``; ResizeError when PVE would refuse it.
    ``actual``: the volume's real size in bytes, when known (else the config's ``size=``)."""
    if not DISK.fullmatch(disk):
        raise ResizeError(f"DISK: '{disk}' is not a disk key (scsi0, virtio1, sata0, ide2, ...)")
    m = SIZE.fullmatch(size)
    if not m:
        raise ResizeError(f"SIZE: '{size}' is not a size like +10G or 64G (units K, M, G, T)")
    value = config.get(disk)
    if value is None:
        raise ResizeError(f"DISK: the VM has no disk {disk}")
    text = str(value)
    if "media=cdrom" in text.split(","):
        raise ResizeError(f"DISK: {disk} is a CD-ROM drive; PVE resizes disks only")
    current = actual if actual is not None else drive_size(text)
    if current is None:
        raise ResizeError(f"DISK: {disk} has no size in its config; cannot check the resize")
    amount = to_bytes(m.group(2), m.group(3))
    new = current + amount if m.group(1) else amount
    if new < current:
        raise ResizeError(
            f"SIZE: {size} is smaller than {disk}'s {human(current)}; PVE cannot shrink disks (nothing sent)"
        )
    return Resize(disk, current, new, size)
