"""CtConfig: everything a new LXC container needs, with the defaults of the GUI's Create CT wizard.

Pure data: no IO, no UI. Flags and container files fill the same model; ``None`` means "derive it" (next free
id, the node's first storage for container root disks, the newest matching template).

Defaults (pve-manager ``www/manager6/lxc/CreateWizard.js`` and the panels it uses): unprivileged with nesting
on (``unprivileged: true``, features ``nesting=1``, disabled for a privileged CT), root disk 8 GiB
(``lxc/MPEdit.js`` ``defaultSize: 8`` on a ``rootdir`` storage), 1 core (``lxc/ResourceEdit.js``
``insideWizard ? 1``), 512 MiB memory and 512 MiB swap (ResourceEdit.js), ``net0`` named ``eth0`` with the
firewall on (``lxc/Network.js``). pvectl asks DHCP for the address where the GUI leaves it static and empty.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# pve-container src/PVE/LXC/Config.pm: MAX_MOUNT_POINTS and MAX_LXC_NETWORKS
MAX_MOUNT_POINTS = 256
MAX_NETWORKS = 32
MASKED = "**********"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RootDisk(_Model):
    storage: str | None = None  # None = the node's first storage with 'rootdir' content
    size_gib: float = 8


class MountPoint(_Model):
    storage: str
    size_gib: float
    path: str
    backup: bool | None = None  # PVE's default: mount points other than rootfs are not backed up
    ro: bool = False


class Net(_Model):
    name: str | None = None  # None = eth0, eth1, ... in order
    bridge: str = "vmbr0"
    ip: str | None = "dhcp"  # dhcp, manual, or an IPv4 CIDR
    gw: str | None = None
    ip6: str | None = None  # dhcp, auto, manual, or an IPv6 CIDR
    gw6: str | None = None
    tag: int | None = None
    firewall: bool = True
    mtu: int | None = None
    rate: float | None = None
    hwaddr: str | None = None


class Features(_Model):
    nesting: bool | None = None  # None = on for unprivileged containers (the wizard's checkbox)
    keyctl: bool = False
    fuse: bool = False
    mknod: bool = False
    mount: list[Literal["nfs", "cifs"]] = Field(default_factory=list)


class CtConfig(_Model):
    """The whole configuration of one new container."""

    node: str | None = None
    vmid: int | None = None
    hostname: str | None = None
    template: str | None = None  # a vztmpl volume (local:vztmpl/...) or a short name (debian-13)
    pull: bool = False  # download the template when no storage of the node has it
    template_storage: str | None = None  # where --pull puts it (None: the first storage with vztmpl content)
    pool: str | None = None
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    onboot: bool = False
    unprivileged: bool = True
    password: str | None = Field(default=None, repr=False)  # never shown: plans and dumps mask it
    ssh_keys: str | None = None
    rootfs: RootDisk = Field(default_factory=RootDisk)
    mountpoints: list[MountPoint] = Field(default_factory=list)
    cores: int | None = 1
    cpulimit: float | None = None
    cpuunits: int | None = None
    memory: int = 512
    swap: int = 512
    nets: list[Net] = Field(default_factory=lambda: [Net()])
    nameserver: str | None = None
    searchdomain: str | None = None
    features: Features = Field(default_factory=Features)
    ostype: str | None = None
    start: bool = False
    # PVE parameters of POST /nodes/{node}/lxc the model has no field for, sent as given
    extra: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @property
    def nesting(self) -> bool:
        return self.unprivileged if self.features.nesting is None else self.features.nesting


class SpecError(ValueError):
    """A ``--net``/``--mp``/``--disk`` value that cannot be read."""


_BOOL = {"1": True, "0": False, "yes": True, "no": False, "on": True, "off": False, "true": True, "false": False}
_NET_KEYS = ("name", "bridge", "ip", "gw", "ip6", "gw6", "tag", "firewall", "mtu", "rate", "hwaddr")


def _pairs(text: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise SpecError(f"'{text}': '{part}' needs key=value")
        if key in out:
            raise SpecError(f"'{text}': {key} given twice")
        out[key] = value
    return out


def parse_net(text: str) -> Net:
    """``bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1,tag=20`` -> Net (keys as PVE's netN, firewall 1/0)."""
    pairs = _pairs(text, "--net")
    unknown = [k for k in pairs if k not in _NET_KEYS]
    if unknown:
        raise SpecError(f"'{text}': unknown key '{unknown[0]}' (known: {', '.join(_NET_KEYS)})")
    values: dict[str, object] = dict(pairs)
    if "firewall" in pairs:
        if pairs["firewall"].lower() not in _BOOL:
            raise SpecError(f"'{text}': firewall takes 1 or 0")
        values["firewall"] = _BOOL[pairs["firewall"].lower()]
    try:
        return Net.model_validate(values)
    except ValueError as exc:
        raise SpecError(f"'{text}': {_first_error(exc)}") from exc


_SIZE = re.compile(r"(?P<storage>[A-Za-z][\w.\-]*):(?P<size>\d+(?:\.\d+)?)G?")


def parse_disk(text: str) -> RootDisk:
    """``local-lvm:16`` (GiB) -> the root disk."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise SpecError(f"'{text}': expected STORAGE:SIZE_GIB, e.g. local-lvm:8")
    return RootDisk(storage=m["storage"], size_gib=float(m["size"]))


def parse_mp(text: str) -> MountPoint:
    """``local-lvm:32,mp=/srv/data[,backup=1][,ro=1]`` -> a mount point (a new volume of 32 GiB)."""
    head, _, rest = text.partition(",")
    m = _SIZE.fullmatch(head.strip())
    if not m:
        raise SpecError(f"'{text}': expected STORAGE:SIZE_GIB,mp=/PATH, e.g. local-lvm:32,mp=/srv/data")
    pairs = _pairs(rest, "--mp")
    unknown = [k for k in pairs if k not in ("mp", "backup", "ro")]
    if unknown:
        raise SpecError(f"'{text}': unknown key '{unknown[0]}' (known: mp, backup, ro)")
    if "mp" not in pairs:
        raise SpecError(f"'{text}': needs mp=/PATH (where the volume is mounted in the container)")
    values: dict[str, object] = {"storage": m["storage"], "size_gib": float(m["size"]), "path": pairs["mp"]}
    for key in ("backup", "ro"):
        if key in pairs:
            if pairs[key].lower() not in _BOOL:
                raise SpecError(f"'{text}': {key} takes 1 or 0")
            values[key] = _BOOL[pairs[key].lower()]
    return MountPoint.model_validate(values)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc)
