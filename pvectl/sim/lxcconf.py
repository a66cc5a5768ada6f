"""LXC container configuration as pve-container keeps it: mount points, their volumes, NICs, defaults, pending.

A container lives in ``state["vms"]`` beside the VMs with ``"type": "lxc"``: PVE's guest ids are one namespace
for both kinds (pve-cluster's vmlist; ``/cluster/nextid`` skips either), and tasks, pools and HA address them by
id. Rules cite pve-container (``src/PVE/API2/LXC.pm``, ``src/PVE/LXC/Config.pm``, ``src/PVE/LXC/Create.pm``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pvectl.sim import pending, volumes
from pvectl.sim.vmconf import _free_name, human_size, random_mac, size_bytes, volid_for
from pvectl.sim.wire import ApiFail, param_fail

State = dict[str, Any]
KIND = "lxc"
MP_KEY = re.compile(r"rootfs|mp\d+")
NET_KEY = re.compile(r"net\d+")
UNUSED_KEY = re.compile(r"unused\d+")
# API2/LXC.pm create_vm: "STORAGE:SIZE" (GiB) allocates a new volume; a bare number uses the `storage` parameter.
NEW_VOLUME = re.compile(r"(?:([^/:\s]+):)?(\d+(?:\.\d+)?)")
# Parameters of POST /nodes/{node}/lxc that steer the call and never land in the config (create_vm's
# extract_param calls).
CREATE_ONLY = {
    "vmid",
    "node",
    "ostemplate",
    "password",
    "ssh-public-keys",
    "start",
    "storage",
    "pool",
    "unprivileged",
    "restore",
    "force",
    "ignore-unpack-errors",
    "bwlimit",
    "unique",
    "ha-managed",
}
# LXC/Config.pm vmconfig_hotplug_pending: what a running container takes at once ($LXC_FASTPLUG_OPTIONS plus
# the cgroup and NIC changes it hot-plugs); everything else waits for the next start.
HOTPLUG = {"description", "onboot", "startup", "protection", "hostname", "hookscript", "cores", "tags", "lock"}
HOTPLUG |= {"cpulimit", "cpuunits", "memory", "swap"}
# LXC/Config.pm update_pct_config: keys that cannot be removed.
REQUIRED = ("memory", "rootfs", "ostype")


def is_ct(vm: Mapping[str, Any] | None) -> bool:
    return vm is not None and vm.get("type") == KIND


def is_mount(key: str) -> bool:
    return MP_KEY.fullmatch(key) is not None


def parse(text: str) -> dict[str, str]:
    """``local-lvm:vm-200-disk-0,size=8G,mp=/srv`` -> {"volume": ..., "size": ..., "mp": ...}."""
    head, *rest = str(text).split(",")
    out = {"volume": head}
    for part in rest:
        key, _, value = part.partition("=")
        if key in ("volume", "file"):
            out["volume"] = value
        else:
            out[key] = value
    return out


def render(values: Mapping[str, str]) -> str:
    parts = [values["volume"], *(f"{k}={v}" for k, v in values.items() if k != "volume")]
    return ",".join(parts)


def _storage_for_rootdir(state: State, storage: str, node: str) -> Mapping[str, Any]:
    st = state["storages"].get(storage)
    if st is None:
        raise ApiFail(500, f"storage '{storage}' does not exist")
    if st.get("nodes") and node not in st["nodes"]:
        raise param_fail({"storage": f"storage '{storage}' is not available on node '{node}'"})
    # API2/LXC.pm create_vm check_and_activate_storage
    if "rootdir" not in st["content"]:
        raise param_fail({"storage": f"storage '{storage}' does not support container directories"})
    found: Mapping[str, Any] = st
    return found


def allocate(state: State, node: str, vmid: int, key: str, text: str, now: float, default_storage: str) -> str:
    """A mount point value: ``STORAGE:SIZE`` allocates a volume (LXC.pm create_disks), an existing volume must
    exist; bind mounts (a path) are kept as given."""
    values = parse(text)
    volume = values["volume"]
    new = NEW_VOLUME.fullmatch(volume)
    if not new:
        if ":" in volume and volumes.find(state, volume, node) is None:
            raise ApiFail(500, f"volume '{volume}' does not exist")
        return text
    storage = new.group(1) or default_storage
    st = _storage_for_rootdir(state, storage, node)
    gib = float(new.group(2))
    size = human_size(gib)
    name = _free_name(state, storage, st, node, vmid)
    fmt = "raw"
    # LXC.pm create_disks: a size of 0 on a directory storage is a subvolume, otherwise a raw image
    if gib == 0 and st["type"] in ("dir", "nfs", "cifs", "zfspool"):
        name, fmt = name.replace("vm-", "subvol-", 1), "subvol"
    volid = volid_for(storage, st, vmid, name, fmt) if fmt == "raw" else f"{storage}:{vmid}/{name}"
    volumes.add(
        state,
        {
            "volid": volid,
            "storage": storage,
            "node": None if st["shared"] else node,
            "content": "rootdir",
            "format": fmt,
            "size": size_bytes(size),
            "ctime": int(now),
            "vmid": vmid,
        },
    )
    values["volume"] = volid
    values["size"] = size
    return render(values)


def add_hwaddr(text: str) -> str:
    """A NIC without ``hwaddr`` gets a generated one; ``type=veth`` is the only type (LXC/Config.pm
    parse_lxc_network fills both)."""
    parts = [p for p in str(text).split(",") if p]
    keys = {p.partition("=")[0] for p in parts}
    if "hwaddr" not in keys:
        parts.append(f"hwaddr={random_mac()}")
    if "type" not in keys:
        parts.append("type=veth")
    return ",".join(parts)


def ostype_of(template: str) -> str:
    """The distribution a template is for, as LXC/Setup.pm detects it after unpacking (from its name here)."""
    name = template.rsplit("/", 1)[-1].lower()
    for os in ("debian", "ubuntu", "alpine", "archlinux", "centos", "fedora", "opensuse", "gentoo", "devuan"):
        if name.startswith(os):
            return os
    return "unmanaged"


def build_config(state: State, node: str, vmid: int, params: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The config create_vm writes: mount points allocated, NICs with MACs, and its defaults (hostname
    ``CT<vmid>``, 512 MiB memory and swap; a 4 GiB rootfs on ``storage`` when no rootfs is given)."""
    storage = str(params.get("storage") or "local")
    values = {k: (",".join(v) if isinstance(v, list) else str(v)) for k, v in params.items() if k not in CREATE_ONLY}
    if any(re.fullmatch(r"mp\d+", k) for k in values) and "rootfs" not in values:
        raise ApiFail(500, "mount points configured, but 'rootfs' not set - aborting")  # create_vm
    values.setdefault("rootfs", f"{storage}:4")  # create_vm: "defaults to 4GB"
    config: dict[str, Any] = {}
    for key in sorted(values, key=lambda k: (k != "rootfs", k)):
        value = values[key]
        if UNUSED_KEY.fullmatch(key):
            continue  # create_vm: "ignoring 'unusedN', cannot create/restore with unused volume"
        if is_mount(key):
            value = allocate(state, node, vmid, key, value, now, storage)
        elif NET_KEY.fullmatch(key):
            value = add_hwaddr(value)
        config[key] = value
    config.setdefault("hostname", f"CT{vmid}")
    config.setdefault("memory", "512")
    config.setdefault("swap", "512")
    config.setdefault("arch", "amd64")
    if params.get("ostemplate"):
        config.setdefault("ostype", ostype_of(str(params["ostemplate"])))
    if str(params.get("unprivileged", "0")) == "1":
        config["unprivileged"] = "1"
    return config


def volumes_of(config: Mapping[str, Any]) -> list[str]:
    out = []
    for key, value in config.items():
        if is_mount(key) or UNUSED_KEY.fullmatch(key):
            volume = parse(str(value))["volume"]
            if ":" in volume:
                out.append(volume)
    return out


def disk_total(config: Mapping[str, Any]) -> int:
    return size_bytes(parse(str(config.get("rootfs", ""))).get("size", "0"))


def destroy(state: State, vmid: int) -> None:
    """The container and its owned volumes go (LXC.pm destroy_lxc_container)."""
    from pvectl.sim.tasks import drop_guest

    if drop_guest(state, vmid, volumes_of):
        state["ha"].pop(f"ct:{vmid}", None)


# -- pending changes (LXC/Config.pm update_pct_config, vmconfig_hotplug_pending, vmconfig_apply_pending) -----


def update(
    state: State, vm: dict[str, Any], changes: Mapping[str, str], delete: Iterable[str], revert: Iterable[str]
) -> None:
    """One config write: everything goes to ``[pending]``; a stopped container applies it, a running one takes
    what hot-plugs (HOTPLUG, new NICs and new mount points) and keeps the rest pending."""
    config = vm["config"]
    gone = pending.deletes(vm)
    waiting = vm.setdefault("pending", {})
    for key in revert:
        waiting.pop(key, None)
        gone.pop(key, None)
    touched: list[str] = []
    for key in delete:
        if key in REQUIRED:
            raise ApiFail(500, f"unable to delete required option '{key}'")
        if key == "unprivileged":
            raise ApiFail(500, f"unable to delete read-only option: '{key}'")
        if UNUSED_KEY.fullmatch(key) and key in config:
            _drop(state, vm, str(config.pop(key)))
        elif key in config or key in waiting:
            waiting.pop(key, None)
            gone[key] = False
            touched.append(key)
    for key, value in changes.items():
        waiting[key] = value
        gone.pop(key, None)
        touched.append(key)
    _set_deletes(vm, gone)
    if vm["status"] == "running":
        for key in touched:
            if _hotplugs(key, config):
                if key in gone:
                    _remove(vm, key)
                    gone.pop(key)
                elif key in waiting:
                    config[key] = waiting.pop(key)
        _set_deletes(vm, gone)
        for key, value in list(waiting.items()):
            if key != "delete" and str(config.get(key)) == value:
                waiting.pop(key)
    else:
        apply_all(vm)
    if not vm.get("pending"):
        vm.pop("pending", None)


def _hotplugs(key: str, config: Mapping[str, Any]) -> bool:
    if key in HOTPLUG or NET_KEY.fullmatch(key):
        return True
    return re.fullmatch(r"mp\d+", key) is not None and key not in config  # "don't try to hotplug over existing mp"


def apply_all(vm: dict[str, Any]) -> None:
    """vmconfig_apply_pending: removals, then values (a stopped container, or at start)."""
    for key in pending.deletes(vm):
        _remove(vm, key)
    for key, value in pending.values(vm).items():
        old = vm["config"].get(key)
        if old is not None and is_mount(key) and parse(str(old))["volume"] != parse(value)["volume"]:
            _unused(vm, str(old))
        vm["config"][key] = value
    vm.pop("pending", None)


def _remove(vm: dict[str, Any], key: str) -> None:
    value = vm["config"].pop(key, None)
    if value is not None and is_mount(key) and ":" in parse(str(value))["volume"]:
        _unused(vm, str(value))  # a removed mount point's volume is kept as unusedN


def _unused(vm: dict[str, Any], value: str) -> None:
    n = 0
    while f"unused{n}" in vm["config"]:
        n += 1
    vm["config"][f"unused{n}"] = parse(value)["volume"]


def _drop(state: State, vm: dict[str, Any], value: str) -> None:
    volume = volumes.find(state, parse(value)["volume"], vm["node"])
    if volume is not None:
        volumes.remove(state, str(volume["volid"]), volume.get("node"))


def _set_deletes(vm: dict[str, Any], items: Mapping[str, bool]) -> None:
    waiting = vm.setdefault("pending", {})
    if items:
        waiting["delete"] = ",".join(items)
    else:
        waiting.pop("delete", None)


def seed_ct(state: State, ct: Any, where: str) -> None:
    """A container of a seed file: ``{vmid, node, hostname, status, tags, pool, template, config}``."""
    from pvectl.sim.world import SeedError

    if not isinstance(ct, Mapping) or not isinstance(ct.get("vmid"), int) or isinstance(ct.get("vmid"), bool):
        raise SeedError(f"{where}: needs an integer 'vmid'")
    vmid = int(ct["vmid"])
    node = str(ct.get("node", next(iter(state["nodes"]))))
    if node not in state["nodes"]:
        raise SeedError(f"{where}.node: no node '{node}'")
    if str(vmid) in state["vms"]:
        raise SeedError(f"{where}.vmid: {vmid} is listed twice")
    raw = ct.get("config", {})
    if not isinstance(raw, Mapping):
        raise SeedError(f"{where}.config: expected a mapping")
    params: dict[str, Any] = {str(k): str(v) for k, v in raw.items()}
    for key in ("hostname", "tags"):
        if key in ct:
            params[key] = str(ct[key])
    if ct.get("template"):
        params["ostemplate"] = str(ct["template"])
    params.setdefault("unprivileged", "1")
    try:
        config = build_config(state, node, vmid, params, 1_700_000_000)
    except ApiFail as exc:
        raise SeedError(f"{where}.config: {exc}") from exc
    status = str(ct.get("status", "stopped"))
    if status not in ("running", "stopped"):
        raise SeedError(f"{where}.status: must be running or stopped")
    entry: dict[str, Any] = {"type": KIND, "node": node, "status": status, "started": 1_700_000_000, "config": config}
    pool = ct.get("pool")
    if pool is not None:
        if pool not in state["pools"]:
            raise SeedError(f"{where}.pool: no pool '{pool}'")
        state["pools"][pool]["vms"].append(vmid)
        entry["pool"] = pool
    state["vms"][str(vmid)] = entry
