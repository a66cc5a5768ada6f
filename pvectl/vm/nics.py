"""More than one network device: ``--net`` (repeatable; the first is net0, then net1, net2, ...), the VM file's
``net:`` list, and the "add NIC" of ``-i`` and the TUI all land here.

A spec is PVE's own ``net[n]`` property string (qemu-server ``src/PVE/QemuServer/Network.pm`` ``$net_fmt``):
``virtio,bridge=vmbr0,firewall=1,tag=10``; the model comes first (``model=virtio`` works too, and
``virtio=AA:BB:..`` sets the MAC as PVE writes it back). The GUI's wizard makes one NIC, its Hardware view more
(pve-manager ``www/manager6/qemu/NetworkEdit.js``): pvectl creates them in the same request.
"""

from __future__ import annotations

from pvectl.vm.config import Network
from pvectl.vm.fields import NET_MODELS

MAX_NICS = 32  # net0..net31: qemu-server src/PVE/QemuServer.pm $MAX_NETS


class NetSpecError(ValueError):
    """A ``--net`` value that cannot be read."""


_BOOL = {"firewall": "firewall", "link_down": "link_down"}
_INT = {"tag": "vlan", "mtu": "mtu", "queues": "queues"}


def parse_net_spec(text: str) -> Network:
    """``virtio,bridge=vmbr0,firewall=1,tag=10`` -> Network (unset parts: PVE's defaults, no firewall)."""
    values: dict[str, object] = {"firewall": False}
    for i, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if i == 0 and (not sep or key in NET_MODELS):
            values["model"] = key
            if sep:
                values["mac"] = value
            continue
        if not sep:
            raise NetSpecError(f"'{text}': option '{part}' needs key=value")
        if key == "model":
            values["model"] = value
        elif key == "bridge":
            values["bridge"] = value
        elif key == "macaddr":
            values["mac"] = value
        elif key == "rate":
            values["rate"] = value
        elif key in _BOOL:
            if value not in ("0", "1"):
                raise NetSpecError(f"'{text}': {key} takes 1 or 0")
            values[_BOOL[key]] = value == "1"
        elif key in _INT:
            values[_INT[key]] = value
        else:
            known = "model, bridge, firewall, tag, mtu, rate, queues, macaddr, link_down"
            raise NetSpecError(f"'{text}': unknown NIC option '{key}' ({known})")
    if values.get("model") not in NET_MODELS:
        raise NetSpecError(f"'{text}': the model must come first, one of {', '.join(NET_MODELS)}")
    if "bridge" not in values:
        raise NetSpecError(f"'{text}': bridge= is needed (e.g. virtio,bridge=vmbr0)")
    try:
        return Network.model_validate(values)
    except ValueError as exc:
        raise NetSpecError(f"'{text}': {exc}") from exc


def net_spec(nic: Network) -> str:
    """A NIC as ``--net`` writes it (reading it back gives the same NIC)."""
    parts = [nic.model, f"bridge={nic.bridge}", f"firewall={int(nic.firewall)}"]
    for key, attr in (("tag", "vlan"), ("mtu", "mtu"), ("queues", "queues")):
        if (value := getattr(nic, attr)) is not None:
            parts.append(f"{key}={value}")
    if nic.rate is not None:
        parts.append(f"rate={nic.rate:g}")
    if nic.mac:
        parts.append(f"macaddr={nic.mac}")
    if nic.link_down:
        parts.append("link_down=1")
    return ",".join(parts)


def apply_nets(specs: list[str]) -> tuple[Network, list[Network]]:
    """``--net`` values -> (net0, [net1, ...]); NetSpecError names the value."""
    if len(specs) > MAX_NICS:
        raise NetSpecError(f"at most {MAX_NICS} NICs (net0..net{MAX_NICS - 1}), got {len(specs)}")
    nics = [parse_net_spec(text) for text in specs]
    return nics[0], nics[1:]
