"""Pending VM changes: what a running VM takes at once and what waits for a reboot, and ``GET …/pending``.

PVE writes every change of a running VM to the ``[PENDING]`` section of its config first, then hot-plugs what it
can (qemu-server PVE/QemuServer.pm ``vmconfig_hotplug_pending``); the rest waits until the VM is stopped and
started again (``vmconfig_apply_pending``: a reboot through the API, a stop+start). A stopped VM takes every
change at once. ``hotpluggable`` is that rule; the simulator (pvectl.sim.pending) applies it, ``vm set`` uses it
to say beforehand what will wait, and reads ``GET …/pending`` afterwards for what really does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

# The schema default of ``hotplug`` (PUT /nodes/{node}/qemu/{vmid}/config): network, disk and usb hot-plug.
DEFAULT_HOTPLUG = "network,disk,usb"
# vmconfig_hotplug_pending's ``$fast_plug_option``: config-only settings that take effect at once.
FAST_PLUG = frozenset(
    {
        "description",
        "hookscript",
        "lock",
        "migrate_downtime",
        "migrate_speed",
        "name",
        "onboot",
        "protection",
        "shares",
        "startup",
        "tags",
        "vmstatestorage",
    }
)
# Set through the VM's cgroup on a running VM, whatever ``hotplug`` says (same function).
CGROUP = frozenset({"cpulimit", "cpuunits"})
DISK = re.compile(r"(ide|sata|scsi|virtio)\d+")


def hotplug_features(value: str | None) -> set[str]:
    """``hotplug`` -> its features; ``1`` is the default set, ``0`` none (qemu-server parse_hotplug_features)."""
    text = DEFAULT_HOTPLUG if value is None or value.strip() == "1" else value
    if text.strip() == "0":
        return set()
    return {part.strip() for part in text.split(",") if part.strip()}


def _on(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "on", "yes", "true")


def _balloon_enabled(value: Any) -> bool:
    return value is None or str(value) != "0"


def hotpluggable(key: str, before: Mapping[str, Any], after: Mapping[str, Any], *, deleting: bool = False) -> bool:
    """Whether changing (or with ``deleting`` removing) ``key`` takes effect on a running VM at once.

    ``before``: the running config; ``after``: it with the change. Mirrors vmconfig_hotplug_pending: fast-plug
    and cgroup options always; ``balloon`` unless the balloon device comes or goes; NICs with ``network``; disks
    of the scsi/virtio buses with ``disk`` (ide/sata never), a CD drive's medium always; ``vcpus`` with ``cpu``;
    ``memory`` with ``memory`` and NUMA on (qemu-server Memory.pm refuses memory hotplug without NUMA);
    ``usbN``/``tablet`` with ``usb``; ``hotplug`` itself unless memory hotplug is switched. Everything else
    (cores, sockets, cpu type, machine, bios, ...) waits for a reboot.
    """
    features = hotplug_features(before.get("hotplug"))
    if key in FAST_PLUG or key in CGROUP:
        return True
    if key == "balloon":
        return _balloon_enabled(before.get("balloon")) == _balloon_enabled(None if deleting else after.get(key))
    if re.fullmatch(r"net\d+", key):
        return "network" in features
    if DISK.fullmatch(key):
        old, new = str(before.get(key) or ""), str(after.get(key) or "")
        if not deleting and "media=cdrom" in old.split(",") and "media=cdrom" in new.split(","):
            return True  # vmconfig_update_disk changes a CD drive's medium without hotplug
        return "disk" in features and not key.startswith(("ide", "sata"))
    if key == "vcpus":
        return "cpu" in features
    if key == "memory":
        return "memory" in features and _on(before.get("numa"))
    if key == "tablet" or re.fullmatch(r"usb\d+", key):
        return "usb" in features
    if key == "hotplug":
        return ("memory" in features) == ("memory" in hotplug_features(None if deleting else after.get(key)))
    return False


@dataclass(frozen=True)
class PendingEntry:
    """One row of ``GET …/pending``: the running ``value``, the ``pending`` one, ``delete`` 1 (or 2: forced)."""

    key: str
    value: str | None
    pending: str | None
    delete: int = 0

    @property
    def waiting(self) -> bool:
        """A change of this key waits for a reboot."""
        return self.pending is not None or self.delete > 0

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "pending": self.pending, "delete": self.delete}


def parse_pending(rows: Sequence[Mapping[str, Any]]) -> list[PendingEntry]:
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    out = []
    for row in rows:
        try:
            delete = int(row.get("delete") or 0)
        except (TypeError, ValueError):
            delete = 0
        out.append(PendingEntry(str(row.get("key", "")), text(row.get("value")), text(row.get("pending")), delete))
    return out


def pending_report(client: ProxmoxClient, ref: VmRef) -> list[PendingEntry]:
    """``GET …/pending`` of the VM: every key with its running value and, when it waits, the pending one."""
    from pvectl.sdk._core.answers import as_rows

    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/pending"
    return parse_pending(as_rows(f"GET {path}", client.request("GET", path)))


def waiting(entries: Sequence[PendingEntry]) -> list[PendingEntry]:
    """The entries that wait for a reboot (secrets as PVE shows them: it masks ``cipassword`` itself)."""
    return [e for e in entries if e.waiting]
