"""A live VM as the VM file ``vm create --from-file`` reads (``pvectl vm export``).

``GET …/config`` is mapped onto the flat flag-named keys (pvectl.vm.vmfile) where the model can say the value;
every other parameter goes under ``extra:`` with PVE's own name and value, so creating from the file gives the same
configuration. The mapping checks itself: the create request the file would send is compared parameter by
parameter with the live config, and any value the modelled keys would not reproduce is written under ``extra:``
(where it replaces what those keys send).

Not exported, because PVE generates them per VM (a copy must get its own) or they name this VM's volumes:
``digest`` (changes with every write), ``meta`` (creation time and QEMU version), ``vmgenid`` and the ``uuid`` of
``smbios1`` (the guest's identity; the other smbios1 fields are kept), NIC MAC addresses (two VMs with one MAC
break the network; pin one with ``mac:`` yourself), ``unusedN`` (detached volumes of this VM), volume names (a disk
is its storage and size), ``lock`` and snapshot bookkeeping (``parent``, ``snaptime``, ``runningmachine``,
``runningcpu``); ``cipassword`` is a secret PVE only shows masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pvectl.sdk._core import propstring
from pvectl.vm.config import DISK_LIMITS, Disk, VmConfig
from pvectl.vm.fields import BY_FLAG, DISK_BY_FLAG
from pvectl.vm.reference import split_tags

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

IDENTITY = ("vmid", "name", "node")
GENERATED = frozenset({"digest", "meta", "vmgenid", "lock", "parent", "snaptime", "runningmachine", "runningcpu"})
SECRET = frozenset({"cipassword"})
DRIVE = re.compile(r"(ide|sata|scsi|virtio)(\d+)")
NET = re.compile(r"net\d+")
UNUSED = re.compile(r"unused\d+")
# What an absent parameter means, where the create call would send a value: the schema's defaults of POST
# /nodes/{node}/qemu (bios seabios, ostype other, scsihw lsi, sockets/cores 1, numa/onboot 0, allow-ksm 1) plus
# qemu-server's own: no machine = i440fx ("pc"), no cpu = kvm64, no agent = off, and no ide2 at all, which the file
# can only say as an empty CD drive (the closest it has).
ABSENT = {"machine": "pc", "cpu": "kvm64", "agent": "0", "ide2": "none,media=cdrom"}
# Drive options whose absence means this value (qemu-server: io_uring is the default AIO since PVE 7.0; backup and
# replicate default on; the rest off).
DRIVE_ABSENT = {"aio": "io_uring", "backup": "1", "replicate": "1", "iothread": "0", "ssd": "0", "ro": "0"}
DRIVE_ABSENT |= {"discard": "ignore", "media": "disk"}
FILE_FORMATS = {"qcow2": "qcow2", "vmdk": "vmdk", "raw": "raw"}


def _params() -> Mapping[str, Any]:
    from pvectl.sdk._core.spec import load_spec
    from pvectl.vm.encode import CREATE

    return load_spec().op(CREATE).params


def _schema(key: str) -> Mapping[str, Any]:
    params = _params()
    found: Mapping[str, Any] = params.get(key) or params.get(re.sub(r"\d+$", "[n]", key)) or {}
    return found


def _format(key: str) -> Mapping[str, Any] | None:
    fmt: Mapping[str, Any] | None = _schema(key).get("property_string")
    return fmt


def _parse(key: str, text: str) -> dict[str, str] | None:
    fmt = _format(key)
    if fmt is None:
        return None
    try:
        return propstring.parse(text, fmt)
    except propstring.PropertyStringError:
        return None


def _bool(text: Any) -> bool:
    return propstring.parse_boolean(str(text)) == "1"


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _choice(flag: str, value: str | None) -> str | None:
    """``value`` when the file's key accepts it (a choice field takes only its choices), else None."""
    spec = BY_FLAG.get(flag) or DISK_BY_FLAG[flag]
    if value is None or (spec.choices and value not in spec.choices):
        return None
    return value


# -- comparing what the create call sends with what the live config holds


def _size_bytes(text: str) -> int | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text)
    return int(float(m[1]) * 1024 ** " KMGT".index(m[2] or " ")) if m else None


def _drive_key(key: str, text: str) -> tuple[Any, ...] | None:
    """A drive's value reduced to what a copy shares: storage, size and options (not the volume's name)."""
    values = _parse(key, text)
    if values is None:
        return None
    file = values.pop("file", "")
    storage, _, volume = file.partition(":")
    if "cloudinit" in volume:  # STORAGE:cloudinit allocates what PVE names vm-VMID-cloudinit
        values.pop("media", None)
        return ("cloudinit", storage, tuple(sorted(values.items())))
    if values.get("media") == "cdrom" or ":" not in file:
        return ("as-is", text)
    size_text = values.pop("size", None)
    if re.fullmatch(r"\d+(?:\.\d+)?", volume):  # STORAGE:SIZE_GIB, a new volume (qemu-server NEW_DISK_RE)
        size: int | None = int(float(volume) * 1024**3)
    else:
        size = _size_bytes(size_text) if size_text else None
    if key in ("efidisk0", "tpmstate0"):
        size = None  # their size is fixed by their type (the create call's 1 is a placeholder)
    values.pop("format", None)  # qemu-server drops format after allocating (create_disks: "no longer needed")
    opts = {k: v for k, v in values.items() if DRIVE_ABSENT.get(k) != v}
    return (storage, size, tuple(sorted(opts.items())))


def normal(key: str, text: str | None) -> Any:
    """A parameter's value in a form where equal meaning compares equal (absent = what PVE assumes)."""
    if text is None:
        schema = _schema(key)
        default = ABSENT.get(key, schema.get("default"))
        if default is None:
            return None
        text = ("1" if default else "0") if isinstance(default, bool) else str(default)
    if DRIVE.fullmatch(key) or key in ("efidisk0", "tpmstate0"):
        return _drive_key(key, text)
    from pvectl.vm.update import canonical  # the update engine's comparison: defaults, booleans, order

    if NET.fullmatch(key):
        values = _parse(key, text)
        fmt = _format(key)
        if values is None or fmt is None:
            return text
        values.pop("macaddr", None)  # generated per VM, never exported
        return canonical(key, propstring.render(values, fmt))
    return canonical(key, text)


# -- live config -> VmConfig


def _disk(key: str, text: str) -> Disk | None:
    """The disk of ``key`` in the file's terms, or None when the model cannot say it (it goes under extra)."""
    m = DRIVE.fullmatch(key)
    values = _parse(key, text)
    if m is None or values is None or values.get("media") == "cdrom":
        return None
    file = values.get("file", "")
    storage, sep, volume = file.partition(":")
    size = _size_bytes(values.get("size", ""))
    if not sep or "cloudinit" in volume or file.startswith("/") or size is None:
        return None
    extension = volume.rsplit(".", 1)[-1] if "." in volume else ""
    data: dict[str, Any] = {
        "bus": m[1],
        "index": int(m[2]),
        "storage": storage,
        "size_gib": -(-size // 1024**3),  # whole GiB, rounded up: never smaller than the live disk
        "format": values.get("format") or FILE_FORMATS.get(extension, "raw"),
        "iothread": _bool(values.get("iothread", "0")),
        "ssd": _bool(values.get("ssd", "0")),
        "backup": _bool(values.get("backup", "1")),
        "aio": _choice("aio", values.get("aio", "io_uring")),
        "cache": _choice("cache", values.get("cache")),
        "discard": True if values.get("discard") == "on" else None,
        "ro": _bool(values.get("ro", "0")),
        "replicate": _bool(values.get("replicate", "1")),
    }
    for limit in DISK_LIMITS:
        if limit in values:
            data[limit] = _number(values[limit])
    if _choice("format", data["format"]) is None:
        return None
    try:
        return Disk.model_validate(data)
    except ValueError:
        return None


def _boot_disks_first(disks: list[Disk], boot: str | None) -> list[Disk]:
    order = [d for d in (boot or "").removeprefix("order=").split(";") if d]
    rank = {dev: i for i, dev in enumerate(order)}
    return sorted(disks, key=lambda d: rank.get(str(d.device), len(rank)))


def from_live(live: Mapping[str, Any], *, vmid: int, node: str, ha: bool = False, pool: str | None = None) -> VmConfig:
    """The VmConfig (``extra`` included) whose create call reproduces the live config ``live``; UnexpectedAnswer
    when a value is not what PVE writes (``cores: many``)."""
    from pvectl.sdk._core.answers import UnexpectedAnswer

    try:
        return _from_live(live, vmid=vmid, node=node, ha=ha, pool=pool)
    except ValueError as exc:  # int("many"), or a value the model's validation refuses
        what = f"GET /nodes/{node}/qemu/{vmid}/config"
        raise UnexpectedAnswer(what, dict(live), f"a VM configuration ({str(exc).splitlines()[0]})") from None


def _from_live(live: Mapping[str, Any], *, vmid: int, node: str, ha: bool, pool: str | None) -> VmConfig:
    text = {str(k): str(v) for k, v in live.items() if v is not None}
    c = VmConfig()
    g, s, cpu, mem = c.general, c.system, c.cpu, c.memory
    g.node, g.vmid, g.name, g.pool, g.ha = node, vmid, text.get("name"), pool, ha
    g.tags = list(split_tags(text.get("tags")))
    g.onboot = _bool(text.get("onboot", "0"))
    startup = dict(p.partition("=")[::2] if "=" in p else ("order", p) for p in text.get("startup", "").split(",") if p)
    for name, attr in (("order", "startup_order"), ("up", "startup_delay"), ("down", "shutdown_timeout")):
        if startup.get(name, "").isdigit():
            setattr(g, attr, int(startup[name]))
    _os_from(text, c)
    s.bios = "ovmf" if text.get("bios") == "ovmf" else "seabios"
    s.machine = _choice("machine", text.get("machine", ABSENT["machine"])) or s.machine
    s.scsihw = _choice("scsihw", text.get("scsihw", "lsi")) or s.scsihw
    agent = _parse("agent", text.get("agent", "0")) or {}
    s.agent = _bool(agent.get("enabled", "0"))
    efi = _parse("efidisk0", text["efidisk0"]) if "efidisk0" in text else None
    s.efidisk = efi is not None and s.bios == "ovmf"
    if efi is not None and ":" in efi.get("file", ""):
        s.efi_storage = efi["file"].split(":", 1)[0]
        s.secure_boot = _bool(efi.get("pre-enrolled-keys", "0"))
    tpm = _parse("tpmstate0", text["tpmstate0"]) if "tpmstate0" in text else None
    s.tpm = tpm is not None and ":" in tpm.get("file", "")
    if tpm is not None and s.tpm:
        s.tpm_storage = tpm["file"].split(":", 1)[0]
        s.tpm_version = "v2.0" if tpm.get("version") == "v2.0" else "v1.2"  # the schema's default is v1.2
    c.serial_console = text.get("serial0") == "socket" and text.get("vga") == "serial0"
    if not c.serial_console:
        s.vga = _choice("vga", text.get("vga"))
    cpu.sockets, cpu.cores = int(text.get("sockets", "1")), int(text.get("cores", "1"))
    cputype, _, rest = text.get("cpu", ABSENT["cpu"]).partition(",")
    cpu.type = _choice("cpu", cputype.removeprefix("cputype=")) or cpu.type
    cpu.flags = next((p[6:] for p in rest.split(",") if p.startswith("flags=")), None)
    cpu.vcpus = int(text["vcpus"]) if "vcpus" in text else None
    cpu.cpulimit = float(text["cpulimit"]) if "cpulimit" in text else None
    cpu.cpuunits = int(text["cpuunits"]) if "cpuunits" in text else None
    cpu.affinity = text.get("affinity")
    cpu.numa = _bool(text.get("numa", "0"))
    memory = _parse("memory", text.get("memory", "512")) or {}
    mem.memory = int(memory.get("current", "512"))
    balloon = text.get("balloon")
    mem.ballooning = balloon != "0"
    mem.min_memory = int(balloon) if balloon not in (None, "0") else None
    mem.shares = int(text["shares"]) if "shares" in text else None
    mem.ksm = _bool(text.get("allow-ksm", "1"))
    _net_from(text.get("net0"), c)
    disks = [d for key, value in text.items() if (d := _disk(key, value)) is not None]
    c.disks = _boot_disks_first(disks, text.get("boot"))
    c.extra = _extra(text, c)
    return c


def _os_from(text: Mapping[str, str], c: VmConfig) -> None:
    o = c.os
    o.ostype = _choice("ostype", text.get("ostype", "other")) or o.ostype
    cd = _parse("ide2", text.get("ide2", "none,media=cdrom")) or {}
    file = cd.get("file", "none")
    if cd.get("media") != "cdrom" or file == "none" or "cloudinit" in file:
        o.media, o.iso = "none", None
    elif file == "cdrom":
        o.media, o.iso = "cdrom", None
    else:
        o.media, o.iso, o.iso_storage = "iso", file, file.split(":", 1)[0]
    driver = _parse("ide0", text["ide0"]) if "ide0" in text else None
    if driver and driver.get("media") == "cdrom" and ":" in driver.get("file", "") and o.ostype.startswith("w"):
        o.virtio_iso = driver["file"]


def _net_from(value: str | None, c: VmConfig) -> None:
    n = c.network
    values = _parse("net0", value) if value else None
    if values is None:
        n.enabled = False
        return
    n.model = _choice("net-model", values.get("model")) or n.model
    n.bridge = values.get("bridge", n.bridge)
    n.firewall = _bool(values.get("firewall", "0"))
    n.link_down = _bool(values.get("link_down", "0"))
    for attr, key in (("vlan", "tag"), ("mtu", "mtu"), ("queues", "queues")):
        setattr(n, attr, int(values[key]) if key in values else None)
    n.rate = float(values["rate"]) if "rate" in values else None


def _expected(c: VmConfig) -> dict[str, str]:
    """What creating ``c`` (without extra) puts into the config: the create call and the serial console step."""
    from pvectl.vm.encode import create_params

    bare = c.model_copy(update={"extra": {}})
    params = create_params(bare, ha_in_create=False, has_ksm=True)
    for key in ("vmid", "pool", "ha-managed"):
        params.pop(key, None)
    if c.serial_console:
        params |= {"serial0": "socket", "vga": "serial0"}
    return params


def default_boot(config: Mapping[str, str]) -> str:
    """qemu-server's get_default_bootdevices, what a create without ``boot`` stores: the first disk, the first CD
    drive, then the NICs (PVE::QemuServer, drives in foreach_volume order: ide, sata, scsi, virtio)."""
    buses = ("ide", "sata", "scsi", "virtio")
    drives = sorted(
        ((m[1], int(m[2]), k) for k in config if (m := DRIVE.fullmatch(k))), key=lambda t: (buses.index(t[0]), t[1])
    )
    cds = [k for *_, k in drives if "media=cdrom" in config[k] or ":cloudinit" in config[k]]
    hard = [k for *_, k in drives if k not in cds]
    nets = sorted((k for k in config if NET.fullmatch(k)), key=lambda k: int(k[3:]))
    devices = hard[:1] + cds[:1] + nets
    return "order=" + ";".join(devices) if devices else ""


def _extra(text: Mapping[str, str], c: VmConfig) -> dict[str, str | int | float | bool]:
    """Live parameters the modelled keys would not reproduce, as a copy needs them."""
    expected = _expected(c)
    extra: dict[str, str | int | float | bool] = {}
    for key, value in text.items():
        if key in GENERATED or key in SECRET or UNUSED.fullmatch(key) or key in ("name", "boot"):
            continue
        if normal(key, expected.get(key)) == normal(key, value):
            continue  # reproduced by the modelled keys, or absent from the create call and PVE's default live
        portable = portable_value(key, value)
        if portable is not None:
            extra[key] = portable
    c.disks = [d for d in c.disks if d.device not in extra]  # a disk the model cannot say is sent from extra
    boot = text.get("boot")
    created = {**expected, **{k: str(v) for k, v in extra.items()}}
    if boot and not c.os.virtio_iso and normal("boot", boot) != normal("boot", default_boot(created)):
        extra["boot"] = boot
    return dict(sorted(extra.items()))


def portable_value(key: str, value: str) -> str | None:
    """``value`` as a new VM can take it: new volumes by storage and size, NICs without their MAC, smbios1
    without its uuid; None when nothing of it carries over."""
    if key == "smbios1":
        rest = [p for p in value.split(",") if not p.startswith("uuid=")]
        return ",".join(rest) or None
    values = _parse(key, value)
    if values is None:
        return value
    fmt = _format(key)
    assert fmt is not None
    if NET.fullmatch(key):
        values.pop("macaddr", None)
        return propstring.render(values, fmt)
    file = values.get("file")
    if file is None or ":" not in file or (values.get("media") == "cdrom" and "cloudinit" not in file):
        return value
    storage, _, volume = file.partition(":")
    if "cloudinit" in volume:
        values["file"] = f"{storage}:cloudinit"  # qemu-server allocates vm-VMID-cloudinit for this
        values.pop("media", None)  # and marks it a CD drive itself (create_disks sets media=cdrom)
        return propstring.render(values, fmt)
    size = _size_bytes(values.pop("size", "") or "")
    gib = 1 if key in ("efidisk0", "tpmstate0") or size is None else -(-size // 1024**3)
    values["file"] = f"{storage}:{gib}"
    return propstring.render(values, fmt)


# -- the file


def to_file(config: VmConfig) -> dict[str, Any]:
    """The exported file: identity first (vmid, name, node), then the VM's keys, ``extra`` last."""
    from pvectl.vm.vmfile import to_flat

    flat = to_flat(config)
    flat.pop("start", None)  # an action of the create call, not part of the VM's configuration
    head = {key: flat.pop(key) for key in IDENTITY if key in flat}
    extra = flat.pop("extra", None)
    return {**head, **flat, **({"extra": extra} if extra else {})}


def read_live(client: ProxmoxClient, ref: VmRef) -> tuple[dict[str, Any], bool]:
    """``GET …/config`` and whether the VM is an HA resource (two GETs)."""
    from pvectl.sdk._core.answers import as_object, as_rows

    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    live = as_object(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).config.get())
    rows = as_rows("GET /cluster/ha/resources", client.cluster.ha.resources.list())
    return live, any(str(r.get("sid")) in (f"vm:{ref.vmid}", str(ref.vmid)) for r in rows)


def export_config(client: ProxmoxClient, ref: VmRef) -> VmConfig:
    live, ha = read_live(client, ref)
    pool = ref.raw.get("pool")
    return from_live(live, vmid=ref.vmid, node=ref.node, ha=ha, pool=str(pool) if pool else None)
