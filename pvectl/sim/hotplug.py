"""Which pending changes a running simulated VM takes at once: qemu-server's hot-plug decision, on its own.

Written from qemu-server src/PVE/QemuServer.pm ``vmconfig_hotplug_pending`` and the helpers it calls
(``vmconfig_update_disk``, ``vmconfig_update_net``, ``vmconfig_update_agent``, ``parse_hotplug_features``):
each branch there either applies the change ("plugged") or dies with ``skip`` (the change stays in
``[PENDING]`` until the next start). The simulator keeps its own copy of the rule so that it can disagree
with the client's prediction (pvectl's ``vm set`` says beforehand what will wait) when either is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# $fast_plug_option, plus every key of $confdesc_cloudinit that qemu-server adds to it right after the table.
_CONFIG_ONLY = {
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
    "citype",
    "ciuser",
    "cipassword",
    "ciupgrade",
    "cicustom",
    "searchdomain",
    "nameserver",
    "sshkeys",
}
_IPCONFIG = re.compile(r"ipconfig\d+")
_DRIVE = re.compile(r"(ide|sata|scsi|virtio|efidisk|tpmstate)\d+")
_MODELS = ("e1000", "e1000e", "rtl8139", "virtio", "vmxnet3", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci")


def _features(conf: Mapping[str, Any]) -> set[str]:
    """parse_hotplug_features(conf hotplug // '1'): '1' means network,disk,usb; '0' nothing."""
    raw = str(conf.get("hotplug", "1")).strip()
    if raw == "1":
        raw = "network,disk,usb"
    return set() if raw == "0" else {item for item in raw.split(",") if item}


def _parse(text: Any, default_key: str) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in str(text or "").split(","):
        if "=" not in item:
            if item:
                parsed[default_key] = item
            continue
        k, v = item.split("=", 1)
        if default_key == "model" and k in _MODELS:
            parsed["model"], parsed["macaddr"] = k, v
        else:
            parsed[k] = v
    return parsed


def _differs(a: Mapping[str, str], b: Mapping[str, str], names: tuple[str, ...]) -> bool:
    return any(a.get(n) != b.get(n) for n in names)


def _update_disk(conf: Mapping[str, Any], key: str, value: str, feats: set[str]) -> bool:
    """vmconfig_update_disk: an existing drive keeps its volume -> options; a CD drive -> new medium; else plug."""
    if conf.get(key):
        old, new = _parse(conf[key], "file"), _parse(value, "file")
        if old.get("media", "disk") != new.get("media", "disk"):
            return False  # dies "unable to change media type": recorded as a hotplug error, stays pending
        if old.get("media") == "cdrom":
            return True  # change_medium
        if old.get("file") == new.get("file"):
            # "skip non hotpluggable value"; throttles are set with block_set_io_throttle, the rest is config
            return not _differs(
                old, new, ("aio", "discard", "iothread", "queues", "product", "cache", "ssd", "vendor", "ro")
            )
        return "disk" in feats and not key.startswith(("ide", "sata"))  # unplug needs a pluggable bus
    return "disk" in feats and not key.startswith(("ide", "sata"))


def _update_net(conf: Mapping[str, Any], key: str, value: str, feats: set[str]) -> bool:
    """vmconfig_update_net: a NIC keeping model, MAC, queues, mtu and a bridge is re-plugged on its tap live."""
    if conf.get(key):
        old, new = _parse(conf[key], "model"), _parse(value, "model")
        if not _differs(old, new, ("model", "macaddr", "queues", "mtu")) and old.get("bridge") and new.get("bridge"):
            return True
    return "network" in feats


def _update_agent(conf: Mapping[str, Any], value: str) -> bool:
    """vmconfig_update_agent: skip without a configured agent; only fstrim_cloned_disks changes live."""
    if str(conf.get("agent") or "0") == "0":
        return False
    old, new = _parse(conf["agent"], "enabled"), _parse(value, "enabled")
    return all(old.get(k) == new.get(k) for k in (old.keys() | new.keys()) - {"fstrim_cloned_disks"})


def plugs_change(conf: Mapping[str, Any], key: str, value: str) -> bool:
    """vmconfig_hotplug_pending's add/change loop for one key of ``[PENDING]`` against the running ``conf``."""
    feats = _features(conf)
    if key in _CONFIG_ONLY or _IPCONFIG.fullmatch(key) or key in ("cpuunits", "cpulimit"):
        return True
    if key == "hotplug":
        return not re.search("memory|cpu", value) and not re.search("memory|cpu", str(conf.get("hotplug", "")))
    if key == "tablet":
        return "usb" in feats
    if re.fullmatch(r"usb\d+", key):
        # $is_usb_hotplug_supported: usb feature, QEMU >= 7.1 and a Linux or Windows 8+ ostype
        return "usb" in feats and str(conf.get("ostype", "")) in ("l26", "win8", "win10", "win11")
    if key == "vcpus":
        return "cpu" in feats
    if key == "balloon":
        return (str(conf.get("balloon", "1")) != "0") == (value != "0")
    if re.fullmatch(r"net\d+", key):
        return _update_net(conf, key, value, feats)
    if _DRIVE.fullmatch(key):
        return not key.startswith(("efidisk", "tpmstate")) and _update_disk(conf, key, value, feats)
    if key == "memory":
        # qemu_memory_hotplug dies without NUMA: a hotplug error, the value stays pending
        return "memory" in feats and str(conf.get("numa", "0")) == "1"
    if key == "agent":
        return _update_agent(conf, value)
    return False


def plugs_removal(conf: Mapping[str, Any], key: str) -> bool:
    """vmconfig_hotplug_pending's delete loop for one pending removal."""
    feats = _features(conf)
    if key in _CONFIG_ONLY or _IPCONFIG.fullmatch(key) or key in ("cpuunits", "cpulimit"):
        return True
    if key == "hotplug":
        return not re.search("cpu|memory", str(conf.get("hotplug", "")))
    if key == "tablet":
        return "usb" in feats
    if re.fullmatch(r"usb\d+", key):
        return "usb" in feats and str(conf.get("ostype", "")) in ("l26", "win8", "win10", "win11")
    if key == "vcpus":
        return "cpu" in feats
    if key == "balloon":
        return str(conf.get("balloon", "1")) != "0"
    if re.fullmatch(r"net\d+", key):
        return "network" in feats
    if _DRIVE.fullmatch(key):
        return "disk" in feats and not re.match(r"(efidisk|ide|sata|tpmstate)\d", key)
    if key == "memory":
        return "memory" in feats
    return False
