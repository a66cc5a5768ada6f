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
# vmconfig_hotplug_pending's ``$fast_plug_option``: config-only settings that take effect at once. qemu-server
# adds every cloud-init option to it (the ``for my $opt (keys %$confdesc_cloudinit)`` loop after the table): they
# only change what the next cloud-init drive holds.
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
        # $confdesc_cloudinit
        "citype",
        "ciuser",
        "cipassword",
        "ciupgrade",
        "cicustom",
        "searchdomain",
        "nameserver",
        "sshkeys",
    }
)
CLOUDINIT_FAMILY = re.compile(r"ipconfig\d+")
# Set through the VM's cgroup on a running VM, whatever ``hotplug`` says (same function).
CGROUP = frozenset({"cpulimit", "cpuunits"})
DISK = re.compile(r"(ide|sata|scsi|virtio|efidisk|tpmstate)\d+")
# vmconfig_update_disk: changing one of these on a disk that keeps its volume is "skip" (waits for a reboot);
# any other option (backup, replicate, the mbps/iops throttles, ...) is applied live, on every bus.
DISK_REBOOT_OPTIONS = ("aio", "discard", "iothread", "queues", "product", "cache", "ssd", "vendor", "ro")
# vmconfig_update_net: a NIC that keeps these is re-plugged on its tap device live (bridge, tag, trunks,
# firewall, rate, link_down); changing one of them needs the ``network`` hotplug feature.
NET_REPLUG_OPTIONS = ("model", "macaddr", "queues", "mtu")
NIC_MODELS = frozenset(
    {
        "e1000",
        "e1000e",
        "rtl8139",
        "virtio",
        "vmxnet3",
        "i82551",
        "i82557b",
        "i82559er",
        "ne2k_isa",
        "ne2k_pci",
        "pcnet",
    }
)


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


def _options(value: Any, first: str) -> dict[str, str]:
    """A property string as ``{option: value}``; a bare leading item is the ``first`` option (file, model=MAC)."""
    out: dict[str, str] = {}
    for part in str(value or "").split(","):
        name, eq, val = part.partition("=")
        if not eq:
            out[first] = name.strip()
        elif first == "model" and name.strip() in NIC_MODELS and "model" not in out:
            out["model"], out["macaddr"] = name.strip(), val.strip()  # net0: virtio=MAC,bridge=...
        else:
            out[name.strip()] = val.strip()
    return out


def _disk_live(key: str, old: Any, new: Any, features: set[str]) -> bool:
    """qemu-server vmconfig_update_disk for ``key`` going from ``old`` to ``new`` on a running VM."""
    if key.startswith(("efidisk", "tpmstate")):
        return False  # vmconfig_hotplug_pending skips them outright
    if old:
        before, after = _options(old, "file"), _options(new, "file")
        if before.get("media", "disk") != after.get("media", "disk"):
            return False  # "unable to change media type": the change stays pending
        if before.get("media") == "cdrom":
            return True  # a CD drive (cloud-init drives included) changes its medium live
        if before.get("file") == after.get("file"):
            return all(before.get(o) == after.get(o) for o in DISK_REBOOT_OPTIONS)
    # a new disk, or another volume in the slot: unplug/plug, which ide and sata cannot do
    return "disk" in features and not key.startswith(("ide", "sata"))


def _net_live(old: Any, new: Any, features: set[str]) -> bool:
    """qemu-server vmconfig_update_net: what a tap re-plug can do is live, the rest needs NIC hotplug."""
    if old:
        before, after = _options(old, "model"), _options(new, "model")
        same = all(before.get(o) == after.get(o) for o in NET_REPLUG_OPTIONS)
        if same and before.get("bridge") and after.get("bridge"):
            return True
    return "network" in features


def _usb_hotplug(features: set[str], ostype: Any) -> bool:
    """vmconfig_hotplug_pending ``$is_usb_hotplug_supported``: ``usb`` and a Linux or Windows 8+ guest (and
    QEMU 7.1+, which every supported PVE ships)."""
    return "usb" in features and str(ostype or "") in ("l26", "win8", "win10", "win11")


def _agent_live(old: Any, new: Any) -> bool:
    """vmconfig_update_agent: only with an agent already configured, and only ``fstrim_cloned_disks`` live."""
    if not old or str(old).strip() == "0":
        return False
    before, after = _options(old, "enabled"), _options(new, "enabled")
    keys = (set(before) | set(after)) - {"fstrim_cloned_disks"}
    return all(before.get(k) == after.get(k) for k in keys)


def hotpluggable(key: str, before: Mapping[str, Any], after: Mapping[str, Any], *, deleting: bool = False) -> bool:
    """Whether changing (or with ``deleting`` removing) ``key`` takes effect on a running VM at once.

    ``before``: the running config; ``after``: it with the change. Mirrors qemu-server PVE/QemuServer.pm
    ``vmconfig_hotplug_pending`` (with ``vmconfig_update_disk``, ``vmconfig_update_net``,
    ``vmconfig_update_agent``): fast-plug options (cloud-init settings among them) and cgroup options always;
    ``balloon`` unless the balloon device comes or goes; disks per vmconfig_update_disk (a CD drive's medium
    and throttle/backup changes live on any bus; aio/cache/discard/iothread/ssd/... wait; new or replaced
    volumes need ``disk`` hotplug and a scsi/virtio bus); NICs per vmconfig_update_net; ``vcpus`` with
    ``cpu``; ``memory`` with ``memory`` and NUMA on (Memory.pm refuses memory hotplug without NUMA);
    ``usbN`` with ``usb`` on a Linux/Windows 8+ guest, ``tablet`` with ``usb``; ``hotplug`` itself unless the
    old or new value contains ``cpu`` or ``memory``. Everything else (cores, sockets, cpu type, machine, bios,
    ...) waits for a reboot.
    """
    features = hotplug_features(before.get("hotplug"))
    if key in FAST_PLUG or key in CGROUP or CLOUDINIT_FAMILY.fullmatch(key):
        return True
    old, new = before.get(key), None if deleting else after.get(key)
    if key == "balloon":
        if deleting:
            return _balloon_enabled(old)
        return _balloon_enabled(old) == _balloon_enabled(new)
    if re.fullmatch(r"net\d+", key):
        return "network" in features if deleting else _net_live(old, new, features)
    if DISK.fullmatch(key):
        if deleting:
            return "disk" in features and not key.startswith(("ide", "sata", "efidisk", "tpmstate"))
        return _disk_live(key, old, new, features)
    if key == "vcpus":
        return "cpu" in features
    if key == "memory":
        return "memory" in features and _on(before.get("numa"))
    if key == "tablet":
        return "usb" in features
    if re.fullmatch(r"usb\d+", key):
        return _usb_hotplug(features, before.get("ostype"))
    if key == "agent":
        return not deleting and _agent_live(old, new)
    if key == "hotplug":
        old_text = str(old or "")
        if deleting:
            return not re.search("cpu|memory", old_text)
        return not re.search("cpu|memory", old_text + "," + str(new or ""))
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
    return parse_pending(as_rows(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).pending()))


def waiting(entries: Sequence[PendingEntry]) -> list[PendingEntry]:
    """The entries that wait for a reboot (secrets as PVE shows them: it masks ``cipassword`` itself)."""
    return [e for e in entries if e.waiting]
