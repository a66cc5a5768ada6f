"""QEMU VM configuration as qemu-server keeps it: drives, disk allocation, MACs, boot order, digests."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pvectl.sdk._core import propstring
from pvectl.sim import volumes
from pvectl.sim.wire import ApiFail, param_fail

State = dict[str, Any]
BUSES = (("ide", 4), ("sata", 6), ("scsi", 31), ("virtio", 16))
SPECIAL_DRIVES = ("efidisk0", "tpmstate0")
# qemu-server's NEW_DISK_RE: "[STORAGE:]SIZE" allocates a new volume of SIZE GiB.
NEW_DISK = re.compile(r"(?:([^/:\s]+):)?(\d+(?:\.\d+)?)")
NET_KEY = re.compile(r"net(\d+)")
# Keys of POST /nodes/{node}/qemu that steer the create call and never land in the config.
CREATE_ONLY = {"vmid", "node", "start", "ha-managed", "pool", "storage", "archive", "force", "unique", "bwlimit"}
CREATE_ONLY |= {"live-restore", "import-working-storage"}


DRIVE_KEYS = (*(f"{bus}{i}" for bus, n in BUSES for i in range(n)), *SPECIAL_DRIVES)
_DRIVE_ORDER = {key: i for i, key in enumerate(DRIVE_KEYS)}
DRIVES = _DRIVES = frozenset(DRIVE_KEYS)


def drive_keys() -> list[str]:
    """Every drive key in qemu-server's foreach_volume order."""
    return list(DRIVE_KEYS)


def drives_in(config: Mapping[str, Any]) -> list[str]:
    """The drive keys of ``config`` in foreach_volume order."""
    return sorted((k for k in config if k in _DRIVES), key=_DRIVE_ORDER.__getitem__)


def is_drive(key: str) -> bool:
    return key in _DRIVES


def _formats() -> Mapping[str, Any]:
    from pvectl.sdk._core.spec import load_spec

    return load_spec().ops["POST /nodes/{node}/qemu"].params


@functools.cache
def drive_format(key: str) -> Mapping[str, Any]:
    params = _formats()
    schema = params.get(key) or params[re.sub(r"\d+$", "[n]", key)]
    fmt: Mapping[str, Any] = schema["property_string"]
    return fmt


@dataclass(frozen=True)
class _Layout:
    """What propstring.render looks up in a format on every call, looked up once (seeding renders 20k)."""

    keys: frozenset[str]
    optional: frozenset[str]
    default_key: str | None
    key_alias: tuple[str, str] | None


@functools.cache
def _layout(name: str) -> _Layout:
    fmt = _format(name)
    pair = next(((str(s["key_alias"]), str(s["alias"])) for s in fmt.values() if s.get("key_alias")), None)
    return _Layout(
        frozenset(fmt), frozenset(k for k, s in fmt.items() if s.get("optional")), propstring.default_key(fmt), pair
    )


def _format(name: str) -> Mapping[str, Any]:
    return _formats()["net[n]"]["property_string"] if name == "net" else drive_format(name)


def fast_render(values: Mapping[str, str], name: str) -> str:
    """propstring.render for string values, with the format's layout cached (same output: see the tests)."""
    layout = _layout(name)
    for key, value in values.items():
        if "," in value or key not in layout.keys:
            return propstring.render(values, _format(name))  # let it raise its error
    parts: list[str] = []
    done: set[str] = set()
    pair = layout.key_alias
    if pair and pair[0] in values and pair[1] in values:
        parts.append(f"{values[pair[0]]}={values[pair[1]]}")
        done |= set(pair)
    elif layout.default_key and layout.default_key in values:
        parts.append(values[layout.default_key])
        done.add(layout.default_key)
    rest = [k for k in values if k not in done]
    required = sorted(k for k in rest if k not in layout.optional)
    optional = sorted(k for k in rest if k in layout.optional)
    parts += [f"{k}={values[k]}" for k in (*required, *optional)]
    return ",".join(parts)


@functools.lru_cache(maxsize=4096)
def _parsed(name: str, text: str) -> tuple[tuple[str, str], ...]:
    return tuple(propstring.parse(text, _format(name)).items())


def parse_drive(key: str, text: str) -> dict[str, str]:
    # Seeds repeat the same drive texts ("ceph-pool:16") thousands of times: parse each text once.
    return dict(_parsed(key, text))


def render_drive(key: str, values: Mapping[str, str]) -> str:
    return fast_render(values, key)


def digest(config: Mapping[str, Any]) -> str:
    # PVE hashes the raw config file; any stable text of the same content serves for optimistic locking.
    text = "".join(f"{k}: {config[k]}\n" for k in sorted(config) if k not in ("digest",))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def random_mac() -> str:
    # Proxmox's own OUI BC:24:11 is the default mac_prefix since PVE 8.1.
    tail = secrets.token_bytes(3)
    return "BC:24:11:" + ":".join(f"{b:02X}" for b in tail)


def human_size(gib: float) -> str:
    if float(gib).is_integer():
        return f"{int(gib)}G"
    return f"{round(gib * 1024)}M"


@functools.lru_cache(maxsize=1024)
def size_bytes(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text or "0")
    if not m:
        return 0
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2) or " "))


def storage_on_node(state: State, storage: str, node: str, key: str) -> Mapping[str, Any]:
    st = state["storages"].get(storage)
    if st is None:
        raise ApiFail(500, f"storage '{storage}' does not exist")
    if st.get("nodes") and node not in st["nodes"]:
        raise param_fail({key: f"storage '{storage}' is not available on node '{node}'"})
    result: Mapping[str, Any] = st
    return result


def find_volume(state: State, volid: str, node: str) -> Mapping[str, Any] | None:
    return volumes.find(state, volid, node)


def volid_for(storage: str, st: Mapping[str, Any], vmid: int, name: str, fmt: str) -> str:
    # File-based storages keep images in a per-VM directory with the format as extension; block storages
    # (lvm, rbd, zfs) name the volume only (PVE::Storage::Plugin vs LvmThinPlugin/RBDPlugin alloc_image).
    return f"{storage}:{vmid}/{name}.{fmt}" if st["type"] in ("dir", "nfs", "cifs") else f"{storage}:{name}"


def _free_name(state: State, storage: str, st: Mapping[str, Any], node: str, vmid: int) -> str:
    """The first ``vm-VMID-disk-N`` not taken on the storage (as the node sees it): a lookup per candidate."""
    n = 0
    while True:
        name = f"vm-{vmid}-disk-{n}"
        if not any(volumes.find(state, volid_for(storage, st, vmid, name, f), node) for f in st["formats"]):
            return name
        n += 1


def allocate(state: State, node: str, vmid: int, key: str, text: str, now: float) -> str:
    """Resolve one drive value: allocate ``STORAGE:SIZE`` disks, check referenced volumes and ISOs exist."""
    try:
        values = parse_drive(key, text)
    except propstring.PropertyStringError as exc:  # only reachable through the cdrom alias
        raise param_fail({key: f"invalid format - {exc}"}) from None
    file = values.get("file", "")
    media = values.get("media", "disk")
    if media == "cdrom" or (key == "ide2" and file in ("none", "cdrom")):
        if file not in ("none", "cdrom", ""):
            storage = file.split(":", 1)[0]
            st = storage_on_node(state, storage, node, key)
            if "iso" not in st["content"]:
                raise param_fail({key: f"storage '{storage}' does not support ISO images"})
            if find_volume(state, file, node) is None:
                raise ApiFail(500, f"volume '{file}' does not exist")
        return text
    if file.endswith(":cloudinit"):  # qemu-server allocates vm-VMID-cloudinit, attached as a CD-ROM
        from pvectl.sim.handlers.cloudinit import allocate_drive

        return allocate_drive(state, node, vmid, key, file.split(":", 1)[0], now)
    new = NEW_DISK.fullmatch(file)
    if not new:
        if ":" in file and find_volume(state, file, node) is None:
            raise ApiFail(500, f"volume '{file}' does not exist")
        return text
    storage = new.group(1) or "local"
    st = storage_on_node(state, storage, node, key)
    if "images" not in st["content"]:
        raise param_fail({key: f"storage '{storage}' does not support vm images"})
    fmt = values.get("format") or st["formats"][0]
    if fmt not in st["formats"]:
        raise param_fail({key: f"storage '{storage}' does not support format '{fmt}'"})
    if key == "efidisk0":
        size = "528K" if values.get("efitype") == "4m" else "128K"
    elif key == "tpmstate0":
        size = "4M"
    else:
        size = human_size(float(new.group(2)))
    vol_node = None if st["shared"] else node
    name = _free_name(state, storage, st, node, vmid)
    volid = volid_for(storage, st, vmid, name, fmt)
    volumes.add(
        state,
        {
            "volid": volid,
            "storage": storage,
            "node": vol_node,
            "content": "images",
            "format": fmt,
            "size": size_bytes(size),
            "ctime": int(now),
            "vmid": vmid,
        },
    )
    values["file"] = volid
    values["size"] = size
    return render_drive(key, values)


def add_mac(text: str) -> str:
    values = dict(_parsed("net", text))
    if not values.get("macaddr"):
        values["macaddr"] = random_mac()
    return fast_render(values, "net")


def default_boot(config: Mapping[str, Any]) -> str:
    """qemu-server get_default_bootdevices: first disk, first CD drive, then the NICs."""
    order: list[str] = []
    disks = [k for k in drives_in(config) if k not in SPECIAL_DRIVES]
    cdroms = [k for k in disks if "media=cdrom" in str(config[k])]
    hard = [k for k in disks if k not in cdroms]
    order += hard[:1] + cdroms[:1]
    order += sorted((k for k in config if NET_KEY.fullmatch(k)), key=lambda k: int(k[3:]))
    return "order=" + ";".join(order) if order else ""


def volumes_of(config: Mapping[str, Any]) -> list[str]:
    """The volumes a guest's config names: a VM's drives, a container's rootfs and mount points, unusedN."""
    out = []
    for key, value in config.items():
        if is_drive(key) or re.fullmatch(r"unused\d+|rootfs|mp\d+", key):
            file = str(value).split(",", 1)[0]
            if ":" in file and "media=cdrom" not in str(value):
                out.append(file)
    return out


def resolve_cdrom_alias(params: Mapping[str, Any]) -> dict[str, Any]:
    """qemu-server's ``cdrom=VOLUME`` is short for ``ide2=VOLUME,media=cdrom``."""
    out = dict(params)
    cdrom = out.pop("cdrom", None)
    if cdrom is not None:
        out["ide2"] = cdrom if "media=" in str(cdrom) else f"{cdrom},media=cdrom"
    return out


def build_config(state: State, node: str, vmid: int, params: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The config a create call produces (disks allocated, MACs set, boot order, ids, meta)."""
    config: dict[str, Any] = {}
    for key, value in resolve_cdrom_alias(params).items():
        if key in CREATE_ONLY:
            continue
        config[key] = add_mac(str(value)) if NET_KEY.fullmatch(key) else value
    # qemu-server creates disks in foreach_volume order (ide, sata, scsi, virtio, efidisk0, tpmstate0).
    for key in drives_in(config):
        config[key] = allocate(state, node, vmid, key, str(config[key]), now)
    if "boot" not in config:
        boot = default_boot(config)
        if boot:
            config["boot"] = boot
    config.setdefault("smbios1", f"uuid={uuid.uuid4()}")
    config.setdefault("vmgenid", str(uuid.uuid4()))
    config.setdefault("meta", f"creation-qemu=9.2.0,ctime={int(now)}")
    return config


def seed_vm(state: State, vm: Any, where: str) -> None:
    from pvectl.sim.world import SeedError

    if not isinstance(vm, Mapping) or not isinstance(vm.get("vmid"), int) or isinstance(vm.get("vmid"), bool):
        raise SeedError(f"{where}: needs an integer 'vmid'")
    vmid = int(vm["vmid"])
    node = str(vm.get("node", next(iter(state["nodes"]))))
    if node not in state["nodes"]:
        raise SeedError(f"{where}.node: no node '{node}'")
    if str(vmid) in state["vms"]:
        raise SeedError(f"{where}.vmid: {vmid} is listed twice")
    raw = vm.get("config", {})
    if not isinstance(raw, Mapping):
        raise SeedError(f"{where}.config: expected a mapping")
    params = {str(k): str(v) for k, v in raw.items()}
    for key in ("name", "tags"):
        if key in vm:
            params[key] = str(vm[key])
    try:
        config = build_config(state, node, vmid, params, 1_700_000_000)
    except (ApiFail, propstring.PropertyStringError, KeyError) as exc:
        raise SeedError(f"{where}.config: {exc}") from exc
    status = str(vm.get("status", "stopped"))
    if status not in ("running", "stopped"):
        raise SeedError(f"{where}.status: must be running or stopped")
    entry: dict[str, Any] = {"node": node, "status": status, "started": 1_700_000_000, "config": config}
    pool = vm.get("pool")
    if pool is not None:
        if pool not in state["pools"]:
            raise SeedError(f"{where}.pool: no pool '{pool}'")
        state["pools"][pool]["vms"].append(vmid)
        entry["pool"] = pool  # vmid -> pool without a scan of the pools
    state["vms"][str(vmid)] = entry
    if vm.get("ha"):
        state["ha"][f"vm:{vmid}"] = {"type": "vm", "state": str(vm["ha"]), "max_restart": 1, "max_relocate": 1}
