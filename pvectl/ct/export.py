"""A live container's config (``GET /nodes/{node}/lxc/{vmid}/config``) as a container file (pvectl.ct.ctfile).

What the file's keys cannot say goes under ``extra:`` with PVE's names. Values PVE generates per container are
left out (``digest``, the NICs' ``hwaddr`` and ``type=veth``, volume names: a disk is its storage and size).
PVE does not keep the template a container was made from, so the file has no ``template``: give one to create a
copy (``ct create --from-file web1.yaml --template debian-12``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

GENERATED = {"digest", "lock", "parent", "snaptime", "unprivileged"}
DEFAULTS = {"arch": "amd64"}
SCALAR_KEYS = {"hostname", "ostype", "cores", "cpulimit", "cpuunits", "memory", "swap", "nameserver",
               "searchdomain", "onboot", "description"}  # fmt: skip
FEATURE_KEYS = ("nesting", "keyctl", "fuse", "mknod")


def _gib(size: str) -> str:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", size)
    if not m:
        return size
    gib = float(m.group(1)) * 1024 ** " KMGT".index(m.group(2) or " ") / 1024**3
    return str(int(gib)) if gib.is_integer() else f"{gib:g}"


def _pairs(text: str) -> tuple[str, dict[str, str]]:
    head, *rest = str(text).split(",")
    return head, dict(part.partition("=")[::2] for part in rest)


def _volume(text: str) -> str:
    head, values = _pairs(text)
    storage = head.split(":", 1)[0]
    out = f"{storage}:{_gib(values.get('size', '0'))}"
    if values.get("mp"):
        out += f",mp={values['mp']}"
    for key in ("backup", "ro"):
        if key in values:
            out += f",{key}={values[key]}"
    return out


def _net(text: str, index: int) -> str:
    values = dict(part.partition("=")[::2] for part in str(text).split(","))
    values.pop("hwaddr", None)
    if values.get("type") == "veth":
        values.pop("type")
    if values.get("name") == f"eth{index}":
        values.pop("name")
    if values.get("firewall") == "1":
        values.pop("firewall")  # the file's default
    order = ["name", "bridge", "ip", "gw", "ip6", "gw6", "tag", "firewall", "mtu", "rate"]
    keys = sorted(values, key=lambda k: order.index(k) if k in order else len(order))
    return ",".join(f"{k}={values[k]}" for k in keys)


def to_file(config: Mapping[str, Any], *, vmid: int, node: str, pool: str | None = None) -> dict[str, Any]:
    # kind: ct tells `pvectl diff/apply -f` (which read VMs and containers from one file) what it describes
    out: dict[str, Any] = {"kind": "ct", "vmid": vmid, "hostname": config.get("hostname"), "node": node}
    out["unprivileged"] = str(config.get("unprivileged", "0")) == "1"
    extra: dict[str, Any] = {}
    mps: list[tuple[int, str]] = []
    nets: list[tuple[int, str]] = []
    for key, value in config.items():
        if key in GENERATED or key in out or DEFAULTS.get(key) == str(value):
            continue
        if key in SCALAR_KEYS:
            text = str(value)
            out[key] = int(text) if text.isdigit() and key not in ("description", "hostname") else value
            if key == "onboot":
                out[key] = text == "1"
        elif key == "tags":
            out["tag"] = [t for t in re.split(r"[;, ]", str(value)) if t]
        elif key == "rootfs":
            out["disk"] = _volume(str(value))
        elif re.fullmatch(r"mp\d+", key):
            mps.append((int(key[2:]), _volume(str(value))))
        elif re.fullmatch(r"net\d+", key):
            nets.append((int(key[3:]), _net(str(value), int(key[3:]))))
        elif key == "features":
            _, feats = _pairs("x," + str(value))
            for name in FEATURE_KEYS:
                if name in feats:
                    out[name] = feats[name] == "1"
            if feats.get("mount"):
                out["mount"] = feats["mount"].split(";")
        elif re.fullmatch(r"unused\d+", key):
            continue  # detached volumes belong to this container only
        else:
            extra[key] = value
    if "nesting" not in out and out["unprivileged"]:
        out["nesting"] = False  # the file's default would turn it on
    if pool:
        out["pool"] = pool
    if mps:
        out["mp"] = [v for _, v in sorted(mps)]
    out["net"] = [v for _, v in sorted(nets)]
    if extra:
        out["extra"] = extra
    return out
