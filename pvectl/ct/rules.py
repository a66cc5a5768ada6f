"""Checks of a CtConfig before anything is sent; each problem names the flag that sets the field.

Where each rule comes from (pve-container unless said otherwise):
- memory at least 16 MiB, swap at least 0, cores 1-8192: ``src/PVE/LXC/Config.pm`` (the ``memory``, ``swap``
  and ``cores`` options' minimum/maximum).
- password at least 5 characters: ``src/PVE/API2/LXC.pm`` create_vm (``password`` minLength 5).
- at most 256 mount points and 32 NICs, VLAN tags 1-4094, NIC names unique: ``src/PVE/LXC/Config.pm``
  (MAX_MOUNT_POINTS, MAX_LXC_NETWORKS, the ``tag`` option of the network format; ``net*`` names map to one
  veth each inside the container).
- ``ip``: ``dhcp``, ``manual`` or IPv4/CIDR; ``ip6``: also ``auto``; a gateway only beside a static address:
  ``src/PVE/LXC/Config.pm`` (the ``ip``/``ip6``/``gw`` formats) and pve-manager ``www/manager6/lxc/Network.js``
  (the gateway field is off for DHCP/SLAAC).
- ``keyctl`` is for unprivileged containers only (Config.pm, the ``keyctl`` feature); ``mount=nfs|cifs`` for
  privileged ones only (pve-manager ``www/manager6/lxc/FeaturesEdit.js``: offered for privileged containers;
  an unprivileged container cannot mount them).
- mount point paths absolute, not ``/`` (that is the rootfs), unique: Config.pm (the ``mp`` format,
  ``verify_lxc_mp_string``).
"""

from __future__ import annotations

import ipaddress
import re

from pvectl.ct.config import MAX_MOUNT_POINTS, MAX_NETWORKS, CtConfig

_DNS_LABEL = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?")


def _cidr(text: str, version: int) -> bool:
    if "/" not in text:
        return False
    try:
        return ipaddress.ip_interface(text).version == version
    except ValueError:
        return False


def _address(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def check(config: CtConfig) -> list[str]:
    """Every problem, as ``--flag: message`` lines (empty: the config is good)."""
    out: list[str] = []
    if config.memory < 16:
        out.append(f"--memory: {config.memory} MiB is below PVE's minimum of 16")
    if config.swap < 0:
        out.append("--swap: must be 0 or more (MiB)")
    if config.cores is not None and not 1 <= config.cores <= 8192:
        out.append(f"--cores: {config.cores} is outside 1-8192")
    if config.hostname is not None:
        labels = config.hostname.split(".")
        if len(config.hostname) > 255 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
            out.append(f"--hostname: '{config.hostname}' is not a DNS name (letters, digits, '-', dot-separated)")
    if config.password is not None and len(config.password) < 5:
        out.append("--password: PVE takes at least 5 characters")
    if not config.template:
        out.append("--template: required (a vztmpl volume, e.g. local:vztmpl/debian-12-standard_..., or a short name)")
    if config.rootfs.size_gib <= 0:
        out.append("--disk: the root disk needs a size above 0 GiB")
    out += _mountpoint_problems(config)
    out += _net_problems(config)
    f = config.features
    if f.keyctl and not config.unprivileged:
        out.append("--keyctl: only for unprivileged containers (drop --privileged or --keyctl)")
    if f.mount and config.unprivileged:
        out.append(f"--mount {';'.join(f.mount)}: only privileged containers can mount NFS/CIFS (add --privileged)")
    return out


def _mountpoint_problems(config: CtConfig) -> list[str]:
    out = []
    if len(config.mountpoints) > MAX_MOUNT_POINTS:
        out.append(f"--mp: {len(config.mountpoints)} mount points, PVE takes at most {MAX_MOUNT_POINTS}")
    seen: set[str] = set()
    for i, mp in enumerate(config.mountpoints):
        path = mp.path.rstrip("/") or "/"
        if not mp.path.startswith("/"):
            out.append(f"--mp #{i + 1}: mp={mp.path} must be an absolute path")
        elif path == "/":
            out.append(f"--mp #{i + 1}: mp=/ is the root disk's place (use --disk)")
        elif path in seen:
            out.append(f"--mp #{i + 1}: mp={mp.path} is mounted twice")
        seen.add(path)
        if mp.size_gib <= 0:
            out.append(f"--mp #{i + 1}: the volume needs a size above 0 GiB")
    return out


def _net_problems(config: CtConfig) -> list[str]:
    out = []
    if len(config.nets) > MAX_NETWORKS:
        out.append(f"--net: {len(config.nets)} interfaces, PVE takes at most {MAX_NETWORKS}")
    names: set[str] = set()
    for i, n in enumerate(config.nets):
        flag = f"--net #{i + 1}"
        name = n.name or f"eth{i}"
        if name in names:
            out.append(f"{flag}: the interface name {name} is used twice")
        names.add(name)
        if n.ip is not None and n.ip not in ("dhcp", "manual") and not _cidr(n.ip, 4):
            out.append(f"{flag}: ip={n.ip} is not dhcp, manual or an IPv4 address with /prefix")
        if n.ip6 is not None and n.ip6 not in ("dhcp", "auto", "manual") and not _cidr(n.ip6, 6):
            out.append(f"{flag}: ip6={n.ip6} is not dhcp, auto, manual or an IPv6 address with /prefix")
        if n.gw is not None:
            if n.ip is None or not _cidr(n.ip, 4):
                out.append(f"{flag}: gw= needs a static ip=ADDRESS/PREFIX (with ip={n.ip} there is no gateway to set)")
            elif not _address(n.gw, 4):
                out.append(f"{flag}: gw={n.gw} is not an IPv4 address")
        if n.gw6 is not None and (n.ip6 is None or not _cidr(n.ip6, 6)):
            out.append(f"{flag}: gw6= needs a static ip6=ADDRESS/PREFIX")
        if n.tag is not None and not 1 <= n.tag <= 4094:
            out.append(f"{flag}: tag={n.tag} is outside 1-4094")
    return out
