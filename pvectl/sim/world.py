"""The default world and seed files.

A seed file (YAML or JSON) describes a world; every top-level key is optional and replaces that part of the
default world below, so a seed can be as small as ``vms: []``. Keys:

``version``            pve-manager version reported by ``GET /version`` (default ``9.1.9``, the release the
                       9.1.3 schema dump describes: schemas/releases.toml).
``cluster``            cluster name.
``nodes``              list of node names, or of ``{name, online, cpus, memory, cgroup_mode}``
                       (``cgroup_mode`` 1 or 2, default 2: what ``/cluster/resources`` reports).
``bridges``            list of bridge names created on every node (``vmbr0``, ``vmbr9``).
``storages``           list of ``{id, type, content: [..], shared, formats: [..], total, nodes: [..],
                       prune-backups}``;
                       ``type`` is a PVE storage type (dir, lvmthin, rbd, cephfs, nfs, ...).
``volumes``            files on storages: ``{storage, name, content (default iso), size, ctime, node}``; the
                       volid becomes ``<storage>:<content>/<name>``. Backups (``content: backup``, a vzdump
                       name such as ``vzdump-qemu-100-2025_01_31-02_00_00.vma.zst``) also take ``notes``,
                       ``protected`` and ``config`` (the guest's settings the archive holds).
``pools``              list of ``{poolid, comment}``.
``vms``                list of ``{vmid, node, name, status (running|stopped), tags, pool, ha (started|stopped),
                       config: {key: value}}``; disks in ``config`` are created on their storages.
``containers``         list of ``{vmid, node, hostname, status, tags, pool, template, config: {key: value}}``
                       (LXC; ``rootfs``/``mpN`` volumes are created on their storages; unprivileged unless
                       ``config`` says ``unprivileged: 0``); see pvectl.sim.lxcconf. A seed that gives
                       ``vms`` or ``nodes`` but no ``containers`` has none.
``realms``             list of ``{realm, type, comment, default}``.
``root_password``      password of ``root@pam`` (random when absent).
``token``              ``{id, secret}`` of root@pam's API token (secret random when absent).
``options``            datacenter options as PVE stores them (``registered-tags``, ``user-tag-access``, ...).
``task_seconds``       how long tasks run (default 0.1).
``ha_seconds``         how long after an HA request (``hastart``/``hastop``) the HA stack's own start/stop task
                       ends (default: ``task_seconds``; PVE's HA managers act on their next round, ~10 s).
``ticket_lifetime``    seconds a login ticket is valid (PVE: 7200).
``packages``           versions of PVE packages on the nodes, ``{qemu-server: 9.1.7, ...}`` (default: see
                       pvectl.sim.packages); ``GET /nodes/{node}/apt/versions`` lists them.
``faults``             list of fault specs, as for ``--faults`` (see pvectl.sim.faults).

``--seed stock`` (no file of that name) is a freshly installed single-node PVE: node ``pve``, storages ``local``
(iso, vztmpl, backup) and ``local-lvm`` (images), bridge ``vmbr0``, no Ceph, no ISO, no VM. A new state without
a seed (and ``sim reset`` without one, or ``--seed examples``) is the world the help and README examples name
(pvectl.sim.example_world: this default world and what the examples add), so every example runs as written.

A malformed seed raises SeedError naming the file and the offending key.
"""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

GiB = 1024**3
State = dict[str, Any]

NIXOS = [
    ("nixos-minimal-24.05.7376.b134951a4c9f-x86_64-linux.iso", 1_020_264_448, 1_717_000_000),
    ("nixos-minimal-24.11.719113.50ab793786d9-x86_64-linux.iso", 1_130_364_928, 1_733_000_000),
    ("nixos-minimal-25.05.802216.55d1f923c480-x86_64-linux.iso", 1_210_056_704, 1_748_000_000),
]

DEBIAN_CT = "debian-12-standard_12.12-1_amd64.tar.zst"  # the default world's container template on local

DEFAULT_SEED: dict[str, Any] = {
    "version": "9.1.9",
    "cluster": "sim",
    "nodes": [{"name": "pve1"}, {"name": "pve2"}],
    "bridges": ["vmbr0", "vmbr9"],
    "storages": [
        {"id": "cephfs", "type": "cephfs", "content": ["iso", "vztmpl", "backup"], "shared": True, "total": 2048 * GiB},
        {"id": "ceph-pool", "type": "rbd", "content": ["images", "rootdir"], "shared": True, "total": 4096 * GiB},
        # PVE's installer sets up local (dir: iso, vztmpl, backup) and local-lvm (lvmthin: images, rootdir)
        {
            "id": "local",
            "type": "dir",
            "content": ["iso", "images", "vztmpl", "backup"],
            "formats": ["raw", "qcow2", "vmdk"],
        },
        {"id": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"]},
    ],
    "volumes": [
        *({"storage": "cephfs", "name": n, "size": s, "ctime": c} for n, s, c in NIXOS),
        {"storage": "cephfs", "name": "debian-12.8.0-amd64-netinst.iso", "size": 661_651_456, "ctime": 1_731_000_000},
        {"storage": "cephfs", "name": "debian-12-standard_12.7-1_amd64.tar.zst", "content": "vztmpl", "size": 1},
        {"storage": "local", "name": "virtio-win-0.1.266.iso", "size": 739_573_760, "ctime": 1_736_000_000},
        *(
            {"storage": "local", "name": DEBIAN_CT, "content": "vztmpl", "size": 126_000_000, "node": n}
            for n in ("pve1", "pve2")
        ),
    ],
    "pools": [{"poolid": "prod", "comment": "Production"}, {"poolid": "lab", "comment": "Experiments"}],
    "vms": [
        {
            "vmid": 100,
            "node": "pve1",
            "name": "dns1",
            "status": "running",
            "tags": "infra;prod",
            "pool": "prod",
            "ha": "started",
            "config": {"memory": "2048", "cores": "2", "scsi0": "ceph-pool:16", "net0": "virtio,bridge=vmbr0"},
        },
        {
            "vmid": 101,
            "node": "pve2",
            "name": "web1",
            "status": "running",
            "tags": "prod;web",
            "pool": "prod",
            "config": {"memory": "4096", "cores": "4", "scsi0": "ceph-pool:32", "net0": "virtio,bridge=vmbr9"},
        },
        {
            "vmid": 102,
            "node": "pve2",
            "name": "scratch",
            "status": "stopped",
            "tags": "lab",
            "pool": "lab",
            "config": {"memory": "1024", "scsi0": "local-lvm:8", "net0": "e1000,bridge=vmbr9"},
        },
    ],
    "containers": [
        {
            "vmid": 190,
            "node": "pve1",
            "hostname": "ns1",
            "status": "running",
            "tags": "infra",
            "template": f"local:vztmpl/{DEBIAN_CT}",
            "config": {
                "rootfs": "ceph-pool:8",
                "memory": 512,
                "cores": 1,
                "features": "nesting=1",
                "net0": "name=eth0,bridge=vmbr0,firewall=1,ip=dhcp",
            },
        },
        {
            "vmid": 191,
            "node": "pve2",
            "hostname": "cache1",
            "status": "stopped",
            "tags": "lab",
            "pool": "lab",
            "template": f"local:vztmpl/{DEBIAN_CT}",
            "config": {
                "rootfs": "ceph-pool:4",
                "memory": 1024,
                "swap": 0,
                "cores": 2,
                "net0": "name=eth0,bridge=vmbr9,firewall=1,ip=10.0.9.21/24,gw=10.0.9.1",
            },
        },
    ],
    "realms": [
        {"realm": "pam", "type": "pam", "comment": "Linux PAM standard authentication", "default": True},
        {"realm": "pve", "type": "pve", "comment": "Proxmox VE authentication server"},
    ],
    "options": {
        "keyboard": "en-us",
        "registered-tags": "infra;prod;web;lab",
        "user-tag-access": "user-allow=list,user-allow-list=nixos;test",
    },
    "task_seconds": 0.1,
    "ticket_lifetime": 7200,
    "faults": [],
}

# A freshly installed single-node PVE, as a seed (``sim reset --seed stock``): the node `pve`, the storages the
# installer writes into storage.cfg on an LVM install (pve-installer Proxmox/Install.pm: `local`, a directory for
# iso, vztmpl and backup; `local-lvm`, an LVM thin pool for images and rootdir), the one bridge it sets up
# (`vmbr0`), no Ceph, no pools, no ISO uploaded, no guest.
STOCK_SEED: dict[str, Any] = {
    "nodes": [{"name": "pve"}],
    "bridges": ["vmbr0"],
    "storages": [
        {"id": "local", "type": "dir", "content": ["iso", "vztmpl", "backup"], "formats": ["raw", "qcow2", "vmdk"]},
        {"id": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"]},
    ],
    "volumes": [],
    "pools": [],
    "vms": [],
}

# Worlds `--seed` takes by name when no file of that name exists.
NAMED_SEEDS: dict[str, dict[str, Any]] = {"stock": STOCK_SEED}

STORAGE_FORMATS = {"dir": ["raw", "qcow2", "vmdk"], "nfs": ["raw", "qcow2", "vmdk"], "cifs": ["raw", "qcow2", "vmdk"]}


class SeedError(ValueError):
    """A seed file that cannot describe a world; the message names the file and key."""


def load_seed(path: str | Path) -> dict[str, Any]:
    """Read and check a seed file (YAML or JSON)."""
    return load_world(path)[0]


def load_world(path: str | Path) -> tuple[dict[str, Any], State]:
    """Read and check a seed file (YAML or JSON): its data and the world it describes (built once); a name of
    NAMED_SEEDS (``stock``), or ``examples``, that is no file is that world."""
    p = Path(path)
    if str(path) == "examples" and not p.exists():  # the world the help and README examples name
        from pvectl.sim.example_world import EXAMPLES_SEED

        data = copy.deepcopy(EXAMPLES_SEED)
        return data, build_state(data)
    if str(path) in NAMED_SEEDS and not p.exists():
        data = copy.deepcopy(NAMED_SEEDS[str(path)])
        return data, build_state(data)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"seed file {p}: cannot read ({exc.strerror or exc})") from exc
    try:
        if p.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            # libyaml's loader when present: a 10,000-VM seed parses in a second instead of ten
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    except ValueError as exc:
        raise SeedError(f"seed file {p}: not valid JSON ({exc})") from exc
    except Exception as exc:  # yaml.YAMLError and friends
        raise SeedError(f"seed file {p}: not valid YAML ({' '.join(str(exc).split())})") from exc
    if data is None:
        data = {}
    try:
        check_seed(data)
        state = build_state(data)
    except SeedError as exc:
        raise SeedError(f"seed file {p}: {exc}") from exc
    return dict(data), state


_TOP: dict[str, type | tuple[type, ...]] = {
    "version": str,
    "cluster": str,
    "nodes": list,
    "bridges": list,
    "storages": list,
    "volumes": list,
    "pools": list,
    "vms": list,
    "containers": list,
    "realms": list,
    "root_password": str,
    "token": dict,
    "options": dict,
    "task_seconds": (int, float),
    "ha_seconds": (int, float),
    "ticket_lifetime": int,
    "packages": dict,
    "faults": list,
}


def check_seed(data: Any) -> None:
    if not isinstance(data, Mapping):
        raise SeedError("the top level must be a mapping of keys")
    for key, value in data.items():
        want = _TOP.get(key)
        if want is None:
            raise SeedError(f"unknown key '{key}' (known: {', '.join(_TOP)})")
        if not isinstance(value, want) or isinstance(value, bool):
            raise SeedError(f"key '{key}' has the wrong type ({type(value).__name__})")
    for i, item in enumerate(data.get("faults", [])):
        from pvectl.sim.faults import FaultSpecError, parse_fault

        try:
            parse_fault(str(item))
        except FaultSpecError as exc:
            raise SeedError(f"faults[{i}]: {exc}") from exc


def _need(item: Any, key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if not isinstance(item, Mapping) or key not in item:
        raise SeedError(f"{where}: missing '{key}'")
    value = item[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SeedError(f"{where}.{key}: wrong type ({type(value).__name__})")
    return value


def first_seed() -> dict[str, Any]:
    """The seed of a new state when none is given: the examples' world (its keys replace the default world's)."""
    from pvectl.sim.example_world import EXAMPLES_SEED

    return EXAMPLES_SEED


def build_state(seed: Mapping[str, Any], credentials: Mapping[str, Any] | None = None) -> State:
    """A fresh state from a seed (merged over the default world); ``credentials`` keeps an old password/token."""
    from pvectl.sim import vmconf, volumes

    w = {**copy.deepcopy(DEFAULT_SEED), **dict(seed)}  # the seed is only read: no copy of a big one
    if ("vms" in seed or "nodes" in seed) and "containers" not in seed:
        w["containers"] = []  # a seed that describes its own guests or nodes has only the containers it lists
    creds = dict(credentials or {})
    password = w.get("root_password") or creds.get("password") or secrets.token_urlsafe(12)
    token = dict(w.get("token") or {})
    token_id = str(token.get("id") or creds.get("token_id") or "sim")
    token_secret = str(token.get("secret") or creds.get("token_secret") or uuid.uuid4())
    version = str(w["version"])
    state: State = {
        "format": 2,  # 1: one JSON document (see migrate.py)
        "version": version,
        "release": ".".join(version.split(".")[:2]),
        "cluster": str(w["cluster"]),
        "nodes": {},
        "networks": {},
        "storages": {},
        "volumes": {},  # volumes.key(volid, node) -> volume
        "pools": {},
        "vms": {},
        "realms": [],
        "users": {
            "root@pam": {
                "password": password,
                "enable": 1,
                "comment": "Simulated superuser",
                "tokens": {token_id: {"secret": token_secret, "privsep": 0, "comment": "pvectl simulator"}},
            }
        },
        "options": {str(k): str(v) for k, v in w["options"].items()},
        "ha": {},
        "tasks": {},  # UPID -> task, oldest first
        "secret": secrets.token_hex(32),
        "tickets_not_before": 0,
        "task_seconds": float(w["task_seconds"]),
        "ha_seconds": float(w.get("ha_seconds", w["task_seconds"])),
        "packages": {str(k): str(v) for k, v in dict(w.get("packages") or {}).items()},
        "ticket_lifetime": int(w["ticket_lifetime"]),
        "faults": [str(f) for f in w["faults"]],  # seed and `sim serve --faults` faults that changed the world
        "env_faults": [],  # world-changing faults from $PVECTL_SIM_FAULTS (undone when it no longer names them)
        "next_pid": 4096,
    }
    for i, node in enumerate(w["nodes"]):
        item = {"name": node} if isinstance(node, str) else node
        name = _need(item, "name", f"nodes[{i}]")
        state["nodes"][name] = {
            "online": bool(item.get("online", True)),
            "cpus": int(item.get("cpus", 16)),
            "memory": int(item.get("memory", 64 * GiB)),
            "cgroup_mode": int(item.get("cgroup_mode", 2)),
            "nodeid": i + 1,
            "ip": f"192.0.2.{11 + i}",
        }
        nets: list[dict[str, Any]] = [{"iface": "eno1", "type": "eth", "active": 1, "autostart": 1, "method": "manual"}]
        for j, bridge in enumerate(w["bridges"]):
            nets.append(
                {
                    "iface": str(bridge),
                    "type": "bridge",
                    "active": 1,
                    "autostart": 1,
                    "method": "static" if j == 0 else "manual",
                    "bridge_ports": "eno1" if j == 0 else "none",
                    "bridge_stp": "off",
                    "bridge_fd": "0",
                    "families": ["inet"],
                    **({"cidr": f"192.0.2.{11 + i}/24", "address": f"192.0.2.{11 + i}"} if j == 0 else {}),
                }
            )
        state["networks"][name] = nets
    for i, st in enumerate(w["storages"]):
        sid = _need(st, "id", f"storages[{i}]")
        stype = _need(st, "type", f"storages[{i}]")
        content = st.get("content", ["images"])
        if not isinstance(content, list):
            raise SeedError(f"storages[{i}].content: expected a list")
        state["storages"][sid] = {
            "type": stype,
            "content": [str(c) for c in content],
            "shared": bool(st.get("shared", stype in ("rbd", "cephfs", "nfs", "cifs", "pbs"))),
            "formats": list(st.get("formats", STORAGE_FORMATS.get(stype, ["raw"]))),
            "total": int(st.get("total", 512 * GiB)),
            "nodes": list(st["nodes"]) if st.get("nodes") else None,
        }
        if st.get("prune-backups"):  # storage.cfg's retention, e.g. keep-last=3,keep-daily=7
            state["storages"][sid]["prune-backups"] = str(st["prune-backups"])
    for i, vol in enumerate(w["volumes"]):
        sid = _need(vol, "storage", f"volumes[{i}]")
        if sid not in state["storages"]:
            raise SeedError(f"volumes[{i}].storage: no storage '{sid}'")
        name = _need(vol, "name", f"volumes[{i}]")
        if "volumes" not in seed and vol.get("node") is not None and vol["node"] not in state["nodes"]:
            continue  # a default volume of a node the seed replaced
        content = str(vol.get("content", "iso"))
        entry = {
            "volid": f"{sid}:{content}/{name}",
            "storage": sid,
            "node": None if state["storages"][sid]["shared"] else vol.get("node", next(iter(state["nodes"]))),
            "content": content,
            "format": "iso" if content == "iso" else name.rsplit(".", 1)[-1],
            "size": int(vol.get("size", 0)),
            "ctime": int(vol.get("ctime", 1_700_000_000)),
        }
        if content == "backup":
            from pvectl.sim.backups import seeded_backup

            entry = seeded_backup(entry, name, vol, f"volumes[{i}]")
        volumes.add(state, entry)
    for i, pool in enumerate(w["pools"]):
        pid = _need(pool, "poolid", f"pools[{i}]")
        state["pools"][pid] = {"comment": str(pool.get("comment", "")), "vms": [], "storage": []}
    for i, realm in enumerate(w["realms"]):
        name = _need(realm, "realm", f"realms[{i}]")
        entry = {"realm": name, "type": str(realm.get("type", name)), "comment": str(realm.get("comment", ""))}
        if realm.get("default"):
            entry["default"] = 1
        state["realms"].append(entry)
    for i, vm in enumerate(w["vms"]):
        vmconf.seed_vm(state, vm, f"vms[{i}]")
    from pvectl.sim.lxcconf import seed_ct

    for i, ct in enumerate(w["containers"]):
        seed_ct(state, ct, f"containers[{i}]")
    from pvectl.sim.faults import apply_to_state, parse_fault

    for spec in state["faults"]:
        apply_to_state(state, parse_fault(spec), now=0.0)
    return state


def keep_credentials(state: State, creds: Mapping[str, str], seed: Mapping[str, Any]) -> None:
    """Give a fresh world the password and token of the one it replaces, unless the seed sets them."""
    root = state["users"]["root@pam"]
    if not seed.get("root_password"):
        root["password"] = creds["password"]
    token = dict(seed.get("token") or {})
    entry = next(iter(root["tokens"].values()))
    token_id = str(token.get("id") or creds["token_id"])
    entry = {**entry, "secret": str(token.get("secret") or creds["token_secret"])}
    root["tokens"] = {token_id: entry}


def credentials_of(state: Mapping[str, Any]) -> dict[str, str]:
    root = state["users"]["root@pam"]
    token_id, token = next(iter(root["tokens"].items()))
    return {"password": root["password"], "token_id": token_id, "token_secret": token["secret"]}
