"""VmConfig -> the parameters of ``POST /nodes/{node}/qemu``, in PVE's encoding (vm-create.md §3)."""

from __future__ import annotations

from pvectl.sdk._core import propstring
from pvectl.sdk._core.spec import load_spec
from pvectl.vm.config import DISK_LIMITS, Disk, Network, VmConfig

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
    if disk.discard:
        values["discard"] = "on"  # off is PVE's default (ignore): the GUI sends nothing then
    if disk.ro:
        values["ro"] = True
    if not disk.replicate:
        values["replicate"] = False  # the GUI's "Skip replication"; replicate=1 is PVE's default
    for key in DISK_LIMITS:
        limit = getattr(disk, key)
        values[key] = None if limit is None else _number(limit)  # None is left out; 100, not 100.0
    return propstring.render(values, _fmt(f"{disk.bus}[n]"))


def cdrom_value(config: VmConfig) -> str:
    source = {"iso": config.os.iso or "none", "cdrom": "cdrom", "none": "none"}[config.os.media]
    return f"{source},media=cdrom"


def net_value(config: VmConfig) -> str:
    return nic_value(config.network)


def nic_value(n: Network) -> str:
    """One NIC as PVE's ``net[n]`` property string."""
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


def cpu_value(config: VmConfig) -> str:
    """``host`` or ``host,flags=+aes;-pcid`` (pve-vm-cpu-conf)."""
    c = config.cpu
    return f"{c.type},flags={c.flags}" if c.flags else c.type


def boot_order(config: VmConfig) -> str:
    """The GUI's boot order with a VirtIO driver ISO: first disk, the install CD, the driver CD, the NIC."""
    devices = [d.device for d in config.disks[:1] if d.device] + ["ide2", "ide0"]
    if config.network.enabled:
        devices.append("net0")
    return "order=" + ";".join(devices)


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
    if config.os.virtio_iso:
        p["ide0"] = f"{config.os.virtio_iso},media=cdrom"
    p["ostype"] = config.os.ostype
    p["machine"] = s.machine
    p["bios"] = s.bios
    p["scsihw"] = s.scsihw
    if s.agent:
        p["agent"] = "1"
    if s.vga and not config.serial_console:
        p["vga"] = s.vga  # with the serial console the card becomes serial0 after creation
    if s.bios == "ovmf" and s.efidisk:
        efi = f"{s.efi_storage}:1,efitype=4m"  # size 1 is a placeholder; the API default efitype is 2m
        p["efidisk0"] = efi + (",pre-enrolled-keys=1" if s.secure_boot else "")
    if s.tpm:
        p["tpmstate0"] = f"{s.tpm_storage}:1,version={s.tpm_version}"  # size 1: a placeholder, as for EFI
    for disk in config.disks:
        assert disk.device is not None, "resolve disk devices first"
        p[disk.device] = disk_value(disk)
    p["sockets"] = str(c.sockets)
    p["cores"] = str(c.cores)
    if c.vcpus is not None:
        p["vcpus"] = str(c.vcpus)
    if c.cpulimit:  # 0 = unlimited, PVE's default: not sent
        p["cpulimit"] = _number(c.cpulimit)
    if c.affinity:
        p["affinity"] = c.affinity
    if c.cpuunits is not None:
        p["cpuunits"] = str(c.cpuunits)
    p["numa"] = "1" if c.numa else "0"  # the GUI always sends it (gui-wizard-reference.md §7)
    p["cpu"] = cpu_value(config)
    p["memory"] = str(m.memory)
    if not m.ballooning:
        p["balloon"] = "0"
    elif config.effective_min_memory < m.memory:
        p["balloon"] = str(config.effective_min_memory)
        if m.shares is not None:
            p["shares"] = str(m.shares)  # the GUI offers shares only with a minimum below memory
    if not m.ksm and has_ksm:
        p["allow-ksm"] = "0"
    if config.network.enabled:
        p["net0"] = net_value(config)
    for number, nic in enumerate(config.more_nics, start=1):
        p[f"net{number}"] = nic_value(nic)
    if config.os.virtio_iso:
        p["boot"] = boot_order(config)
    if config.cloudinit.on:
        p.update(cloudinit_params(config, p))
    p.update(extra_params(config))
    return p


def cloudinit_params(config: VmConfig, params: dict[str, str]) -> dict[str, str]:
    """The cloud-init keys of the create request and its drive on the first free slot (the password is not
    among them: pvectl.vm.cloudinit says why)."""
    from pvectl.vm.cloudinit import create_drive

    ci = config.cloudinit
    out = {key: str(value) for key, value in ci.params(password=False).items()}
    slot, drive = create_drive(params, ci, config.disks[0].storage if config.disks else None)
    out[slot] = drive
    return out


def extra_params(config: VmConfig) -> dict[str, str]:
    """The file's ``extra:`` map in PVE's form encoding (booleans as 1/0)."""
    return {k: ("1" if v else "0") if isinstance(v, bool) else _number(v) if isinstance(v, float) else str(v)
            for k, v in config.extra.items()}  # fmt: skip


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
