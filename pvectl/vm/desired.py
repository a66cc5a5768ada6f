"""``vm set`` flags and VM-file keys -> the PVE parameters they ask for, for only the fields given.

The values come from the create encoding (pvectl.vm.encode) of a VmConfig read by the VM-file reader
(pvectl.vm.vmfile), so a value means the same in ``vm create`` and ``vm set``. A field that is one part of a
property string (``--bridge`` in ``net0``, ``--startup-order`` in ``startup``, ``--ssd`` of an attached disk)
changes that part of the live value and keeps the rest, the MAC address included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pvectl.sdk._core import propstring
from pvectl.vm import encode
from pvectl.vm.config import DISK_LIMITS, MAX_INDEX, Disk, VmConfig
from pvectl.vm.defaults import get_value
from pvectl.vm.fields import FIELDS
from pvectl.vm.settable import NOT_SETTABLE
from pvectl.vm.update import UpdateError, _format, _parse

# Flag -> the PVE parameter that holds the field alone.
SCALARS = {
    "name": "name",
    "onboot": "onboot",
    "ostype": "ostype",
    "machine": "machine",
    "bios": "bios",
    "scsihw": "scsihw",
    "agent": "agent",
    "vga": "vga",
    "sockets": "sockets",
    "cores": "cores",
    "vcpus": "vcpus",
    "cpulimit": "cpulimit",
    "cpuunits": "cpuunits",
    "affinity": "affinity",
    "numa": "numa",
    "memory": "memory",
    "shares": "shares",
    "ksm": "allow-ksm",
    "tag": "tags",
}
# Flag -> its key inside net0 (pve-qm-net).
NET = {
    "bridge": "bridge",
    "net-model": "model",
    "firewall": "firewall",
    "vlan": "tag",
    "mtu": "mtu",
    "rate": "rate",
    "queues": "queues",
    "mac": "macaddr",
    "link-down": "link_down",
}
STARTUP = {"startup-order": "order", "startup-delay": "up", "shutdown-timeout": "down"}
CPU = {"cpu": "cputype", "cpu-flags": "flags"}
DISK_OPTIONS = ("format", "iothread", "ssd", "backup", "aio", "cache", "discard", "ro", "replicate", *DISK_LIMITS)


@dataclass
class Desired:
    """What the given fields ask for: ``params`` to set, keys to ``remove``, and fields ``ignored`` (with why)."""

    params: dict[str, str] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def params_from_flags(values: Mapping[str, Any], live: Mapping[str, Any]) -> Desired:
    """Typer's values of ``vm set`` (``None`` = not given; ``disk`` a list) -> Desired. UpdateError names the flag."""
    fields = {
        s.flag: values[s.flag.replace("-", "_")] for s in FIELDS if values.get(s.flag.replace("-", "_")) is not None
    }
    if values.get("disk"):
        fields["disk"] = list(values["disk"])
    try:
        return params_from_fields(fields, live)
    except UpdateError as exc:
        raise UpdateError(f"--{exc}") from None


def params_from_fields(fields: Mapping[str, Any], live: Mapping[str, Any]) -> Desired:
    """VM-file keys (flat, flag-named) -> Desired against ``live`` (GET …/config). UpdateError names the key."""
    from pvectl.vm.vmfile import VmFileError, load

    out = Desired()
    given = {}
    for key, value in fields.items():
        if key in NOT_SETTABLE:
            out.ignored.append((key, NOT_SETTABLE[key]))
        else:
            given[key] = value
    try:
        config = load(given)
    except VmFileError as exc:
        key = re.sub(r"\[\d+\].*$", "", exc.key)
        raise UpdateError(f"{key}: {str(exc).split(': ', 1)[-1]}") from None
    current = {str(k): str(v) for k, v in live.items()}
    for key in given:
        if key in SCALARS:
            param = SCALARS[key]
            out.params[param] = _keep_options(param, _scalar(config, key), current.get(param))
    _memory(out, given, config, current)
    _overlay(out, "startup", {STARTUP[k]: _scalar(config, k) for k in given if k in STARTUP}, current)
    _cpu(out, given, config, current)
    _network(out, given, config, current)
    if "iso" in given:
        if config.os.media == "iso" and not config.os.iso:
            raise UpdateError("iso: latest-nixos is looked up by vm create only; give the volume id, cdrom or none")
        out.params["ide2"] = encode.cdrom_value(config)
    if "disk" in given:
        _disks(out, config.disks, current)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return encode._number(value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _keep_options(param: str, value: str, live: str | None) -> str:
    """``--agent`` sets ``enabled`` of ``agent: 1,fstrim_cloned_disks=1`` and keeps the rest (likewise ``vga``'s
    type, ``machine``'s type): the flag is the default key of a property string the VM may hold more in."""
    fmt = _format(param)
    if fmt is None or live is None or propstring.default_key(fmt) is None:
        return value
    try:
        return propstring.render({**_parse(param, live), **_parse(param, value)}, fmt)
    except propstring.PropertyStringError:
        return value


def _scalar(config: VmConfig, flag: str) -> str:
    spec = next(s for s in FIELDS if s.flag == flag)
    return _text(get_value(config, spec.path))


def _memory(out: Desired, given: Mapping[str, Any], config: VmConfig, live: Mapping[str, str]) -> None:
    """``--min-memory`` is ``balloon``; ``--no-balloon`` is ``balloon=0``, ``--balloon`` removes a ``balloon=0``."""
    if "min-memory" in given:
        out.params["balloon"] = str(config.effective_min_memory)
    elif "balloon" in given:
        if not config.memory.ballooning:
            out.params["balloon"] = "0"
        elif live.get("balloon") == "0":
            out.remove.append("balloon")


def _split(value: str | None) -> dict[str, str]:
    """``order=1,up=5`` or ``host,flags=+aes`` (a bare first part is ``cputype``) -> a dict."""
    out: dict[str, str] = {}
    for i, part in enumerate(p for p in (value or "").split(",") if p):
        key, sep, text = part.partition("=")
        if sep:
            out[key] = text
        elif i == 0:
            out["cputype"] = part
    return out


def _overlay(out: Desired, key: str, parts: Mapping[str, str], live: Mapping[str, str]) -> None:
    if not parts:
        return
    values = {**_split(live.get(key)), **parts}
    head = [values.pop("cputype")] if "cputype" in values else []
    out.params[key] = ",".join([*head, *(f"{k}={v}" for k, v in values.items())])


def _cpu(out: Desired, given: Mapping[str, Any], config: VmConfig, live: Mapping[str, str]) -> None:
    parts = {}
    if "cpu" in given:
        parts["cputype"] = config.cpu.type
    if "cpu-flags" in given and config.cpu.flags:
        parts["flags"] = config.cpu.flags
    _overlay(out, "cpu", parts, live)


def _network(out: Desired, given: Mapping[str, Any], config: VmConfig, live: Mapping[str, str]) -> None:
    if given.get("network") is False:
        if "net0" in live:
            out.remove.append("net0")
        return
    wanted = [k for k in given if k in NET]
    if not wanted and "network" not in given:
        return
    full = _parse("net0", encode.net_value(config))
    if "net0" not in live:
        out.params["net0"] = encode.net_value(config)
        return
    values = _parse("net0", live["net0"])
    for flag in wanted:
        name = NET[flag]
        if name in full:
            values[name] = full[name]
        else:
            values.pop(name, None)
    out.params["net0"] = propstring.render(values, _format("net0") or {})


def _disks(out: Desired, disks: list[Disk], live: Mapping[str, str]) -> None:
    used: dict[str, set[int]] = {}
    for key in live:
        m = re.fullmatch(r"(ide|sata|scsi|virtio)(\d+)", key)
        if m:
            used.setdefault(m[1], set()).add(int(m[2]))
    for disk in disks:
        if disk.index is None:
            taken = used.setdefault(disk.bus, set()) | ({2} if disk.bus == "ide" else set())
            free = [i for i in range(MAX_INDEX[disk.bus] + 1) if i not in taken]
            if not free:
                raise UpdateError(f"disk: no free {disk.bus} device left on the VM")
            disk = disk.model_copy(update={"index": free[0]})
        used.setdefault(disk.bus, set()).add(int(disk.index or 0))
        key = str(disk.device)
        if key not in live:
            out.params[key] = encode.disk_value(disk)
            continue
        encoded = _parse(key, encode.disk_value(disk))
        values = {k: v for k, v in _parse(key, live[key]).items() if k not in ("file", "size")}
        for name in DISK_OPTIONS:
            if name not in disk.model_fields_set:
                continue  # an option the spec does not name keeps its live value
            if name in encoded:
                values[name] = encoded[name]
            else:
                values.pop(name, None)
        values["file"] = f"{disk.storage}:{disk.size_gib}"
        out.params[key] = propstring.render(values, _format(key) or {})
