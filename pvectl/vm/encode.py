"""VmConfig -> the parameters of ``POST /nodes/{node}/qemu``, in PVE's encoding (vm-create.md §3)."""

from __future__ import annotations

from pvectl.sdk._core import propstring
from pvectl.sdk._core.spec import load_spec
from pvectl.vm.config import Disk, VmConfig

CREATE = "POST /nodes/{node}/qemu"


def _fmt(param: str) -> propstring.Format:
    schema = load_spec().op(CREATE).params[param]
    fmt: propstring.Format = schema["property_string"]
    return fmt


def disk_value(disk: Disk) -> str:
    """``ceph-pool:32,aio=io_uring,format=raw,iothread=1,ssd=1``: a new volume of SIZE GiB (never ``32G``)."""
    values: dict[str, object] = {"file": f"{disk.storage}:{disk.size_gib}"}
    if disk.format:
        values["format"] = disk.format
    if disk.iothread:
        values["iothread"] = True
    if disk.ssd:
        values["ssd"] = True
    if not disk.backup:
        values["backup"] = False  # backup=1 is PVE's default; only "off" is sent
    if disk.aio:
        values["aio"] = disk.aio
    if disk.cache:
        values["cache"] = disk.cache
    if disk.discard is not None:
        values["discard"] = "on" if disk.discard else "ignore"
    return propstring.render(values, _fmt(f"{disk.bus}[n]"))


def cdrom_value(config: VmConfig) -> str:
    source = {"iso": config.os.iso or "none", "cdrom": "cdrom", "none": "none"}[config.os.media]
    return f"{source},media=cdrom"


def net_value(config: VmConfig) -> str:
    n = config.network
    values: dict[str, object] = {"model": n.model, "bridge": n.bridge}
    if n.mac:
        values["macaddr"] = n.mac.upper()  # prints as virtio=AA:BB:.. (keyAlias)
    if n.firewall:
        values["firewall"] = True
    if n.vlan is not None:
        values["tag"] = n.vlan
    if n.mtu is not None:
        values["mtu"] = n.mtu
    if n.rate is not None:
        values["rate"] = n.rate
    if n.queues is not None:
        values["queues"] = n.queues
    if n.link_down:
        values["link_down"] = True
    return propstring.render(values, _fmt("net[n]"))


def startup_value(config: VmConfig) -> str | None:
    g = config.general
    parts = [(k, v) for k, v in (("order", g.startup_order), ("up", g.startup_delay), ("down", g.shutdown_timeout))]
    text = ",".join(f"{k}={v}" for k, v in parts if v is not None)
    return text or None


def create_params(config: VmConfig, *, ha_in_create: bool, has_ksm: bool) -> dict[str, str]:
    """Form parameters for the create call. ``config`` must be resolved (vmid, disk indices, ISO)."""
    g, s, c, m = config.general, config.system, config.cpu, config.memory
    assert g.vmid is not None, "resolve the VM id first"
    p: dict[str, str] = {"vmid": str(g.vmid)}
    if g.name:
        p["name"] = g.name
    if g.pool:
        p["pool"] = g.pool
    if g.tags:
        p["tags"] = ";".join(g.tags)
    if g.onboot:
        p["onboot"] = "1"
    startup = startup_value(config)
    if startup:
        p["startup"] = startup
    if g.ha and ha_in_create:
        p["ha-managed"] = "1"
    p["ide2"] = cdrom_value(config)
    p["ostype"] = config.os.ostype
    p["machine"] = s.machine
    p["bios"] = s.bios
    p["scsihw"] = s.scsihw
    if s.agent:
        p["agent"] = "1"
    if s.bios == "ovmf" and s.efidisk:
        efi = f"{s.efi_storage}:1,efitype=4m"  # size 1 is a placeholder; the API default efitype is 2m
        p["efidisk0"] = efi + (",pre-enrolled-keys=1" if s.secure_boot else "")
    for disk in config.disks:
        assert disk.device is not None, "resolve disk devices first"
        p[disk.device] = disk_value(disk)
    p["sockets"] = str(c.sockets)
    p["cores"] = str(c.cores)
    p["cpu"] = c.type
    p["memory"] = str(m.memory)
    if not m.ballooning:
        p["balloon"] = "0"
    elif config.effective_min_memory < m.memory:
        p["balloon"] = str(config.effective_min_memory)
    if not m.ksm and has_ksm:
        p["allow-ksm"] = "0"
    if config.network.enabled:
        p["net0"] = net_value(config)
    return p
