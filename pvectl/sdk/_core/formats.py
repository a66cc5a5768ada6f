"""Checks for PVE's named string formats (``pve-node``, ``mac-addr``, ...), with PVE's error wording.

PVE registers 122 named formats in Perl; the dump carries only their names. The common ones are
re-implemented here from pve-common/qemu-server (each regex names its source); unknown names are accepted,
so a client check is never stricter than the server.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

Checker = Callable[[str], str | None]  # returns PVE's error message, or None when valid


def _regex(pattern: str, message: str, flags: int = 0) -> Checker:
    def check(value: str) -> str | None:
        # compiled on first use (re caches it): a first call checks one or two formats, not all of them
        return None if re.fullmatch(pattern, value, flags) else message

    return check


def _ip(kind: str, version: int | None, cidr: bool) -> Checker:
    def check(value: str) -> str | None:
        try:
            if cidr:
                if "/" not in value:
                    raise ValueError(value)
                net = ipaddress.ip_interface(value)
                ok = version is None or net.version == version
            else:
                addr = ipaddress.ip_address(value)
                ok = version is None or addr.version == version
        except ValueError:
            ok = False
        return None if ok else f"value does not look like a valid {kind}"

    return check


def _disk_size(value: str) -> str | None:
    # PVE::JSONSchema::parse_size: a number with an optional K/M/G/T unit.
    return None if re.fullmatch(r"\d+(?:\.\d+)?[KMGT]?", value) else f"unable to parse size '{value}'"


def _email(value: str) -> str | None:
    return None if re.fullmatch(r"[^\s@]+@[^\s@]+", value) else "value does not look like a valid email address"


_NODE = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_STORAGE = r"[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]"

CHECKERS: dict[str, Checker] = {
    # pve-common JSONSchema.pm pve_verify_node_name
    "pve-node": _regex(_NODE, "value does not look like a valid node name"),
    # pve_verify_vmid
    "pve-vmid": _regex(r"[1-9][0-9]{2,8}", "value does not look like a valid VM ID"),
    # pve_verify_storage_id
    "pve-storage-id": _regex(_STORAGE, "storage ID contains illegal characters"),
    # pve_verify_configid
    "pve-configid": _regex(r"[a-z][a-z0-9_-]+", "invalid configuration ID", re.I),
    # pve_verify_bridge_id (qemu-server/pve-common)
    "pve-bridge-id": _regex(r"[-_.\w\d]+", "invalid bridge ID"),
    # pve_verify_mac_addr: unicast only
    "mac-addr": _regex(
        r"[a-f0-9][02468ace](?::[a-f0-9]{2}){5}", "value does not look like a valid unicast MAC address", re.I
    ),
    # pve_verify_tag
    "pve-tag": _regex(r"[a-z0-9_][a-z0-9_\-+.]*", "invalid tag", re.I),
    # pve_verify_poolid
    "pve-poolid": _regex(r"[A-Za-z0-9_][A-Za-z0-9_\-]+(?:/[A-Za-z0-9_][A-Za-z0-9_\-]+)*", "invalid pool ID"),
    # pve_verify_realm
    "pve-realm": _regex(r"[A-Za-z][A-Za-z\.\-_0-9]+", "value does not look like a valid realm"),
    # pve_verify_userid
    "pve-userid": _regex(r"[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+", "value does not look like a valid user name"),
    # pve_verify_volume_id: optional `storage:` then a volume name
    "pve-volume-id": _regex(r"(?:" + _STORAGE + r"):.+", "unable to parse volume ID"),
    # pve_verify_dns_name
    "dns-name": _regex(
        r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?",
        "value does not look like a valid DNS name",
    ),
    "ipv4": _ip("IPv4 address", 4, cidr=False),
    "ipv6": _ip("IPv6 address", 6, cidr=False),
    "ip": _ip("IP address", None, cidr=False),
    "CIDR": _ip("IP address with netmask (CIDR notation)", None, cidr=True),
    "CIDRv4": _ip("IPv4 address with netmask (CIDR notation)", 4, cidr=True),
    "CIDRv6": _ip("IPv6 address with netmask (CIDR notation)", 6, cidr=True),
    "disk-size": _disk_size,
    "email": _email,
    "email-opt": _email,
    # pve_verify_urlencoded
    "urlencoded": _regex(r"[-%a-zA-Z0-9_.!~*'()]*", "invalid urlencoded string"),
}


def split_list(value: str) -> list[str]:
    """PVE::Tools::split_list: on NUL when present, else on commas, semicolons and white space."""
    if "\0" in value:
        return [v for v in value.split("\0") if v]
    return [v for v in re.split(r"[,;\s]+", value.strip()) if v]


def check_format(name: str, value: str) -> str | None:
    """PVE's message for ``value`` against the named format, or None (also for formats we do not know)."""
    if name.endswith("-opt") and value == "":
        return None
    if name.endswith("-list"):
        base = CHECKERS.get(name[: -len("-list")])
        if base is None:
            return None
        for item in split_list(value):
            message = base(item)
            if message:
                return message
        return None
    checker = CHECKERS.get(name)
    return checker(value) if checker else None
