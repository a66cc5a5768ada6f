"""The VM definition file of ``vm create --from-file``: flat keys named like the flags, the same as ``[vm.defaults]``.

    name: web1
    memory: 4096
    tag: [web, prod]
    disk: ["scsi0:ceph-pool:32", "local-lvm:100,ssd=0"]
    vlan: 20

PVE parameters the flat keys do not model go under ``extra:`` with PVE's names and values (``net1:
virtio,bridge=vmbr0``, ``args: ...``); they are sent with the create call as given, replacing what the modelled
keys would send for the same parameter. Their names are checked against POST /nodes/{node}/qemu here, their values
with the create plan's schema check (errors name ``extra.KEY``).

The nested step form (``general: {name: web1}``, the shape of VmConfig) is still read. ``to_flat`` writes the
flat form back (what ``vm create --dry-run -o yaml`` prints), ``schema`` describes it as a JSON Schema.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from pvectl.vm.cloudinit import FILE_KEYS as CI_KEYS
from pvectl.vm.cloudinit import NOT_FROM_FILES, CloudInitFileError
from pvectl.vm.cloudinit import from_file as ci_from_file
from pvectl.vm.cloudinit import to_file as ci_to_file
from pvectl.vm.config import IOTHREAD_BUSES, SSD_BUSES, Disk, DiskSpecError, Network, VmConfig, parse_disk_spec
from pvectl.vm.conflicts import RULES, contradiction
from pvectl.vm.defaults import DefaultsError, apply_defaults, get_value, set_value
from pvectl.vm.fields import CI_FIELDS, DISK_BY_FLAG, FIELDS, FieldSpec
from pvectl.vm.reference import split_tags

# Keys that only the nested form has; "cpu", "memory" and "network" are flags too: nested only when a mapping.
NESTED_KEYS = frozenset({"general", "os", "system", "disks", "serial_console"})
SHARED_KEYS = frozenset({"cpu", "memory", "network"})
ISO_WORDS = ("latest-nixos", "none", "cdrom")
DISK_KEYS = (*DISK_BY_FLAG, "device")
_DEVICE = re.compile(r"(scsi|sata|virtio|ide)(\d+)")


class VmFileError(ValueError):
    """A key of a VM file that cannot be used; ``key`` is the dotted place in the file."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {plain(message)}")
        self.key = key


def plain(message: str) -> str:
    """A validation message in a VM file's terms (pvectl.guest.validation_text)."""
    from pvectl.guest.validation_text import plain_validation

    return plain_validation(message)


def flat_keys() -> list[str]:
    return [
        *(spec.flag for spec in FIELDS if spec.cli),
        "disk",
        *(f"disk-{k}" for k in DISK_BY_FLAG),
        "net",
        *CI_KEYS,
        "extra",
    ]


def is_nested(data: Mapping[str, Any]) -> bool:
    return any(k in NESTED_KEYS or (k in SHARED_KEYS and isinstance(v, Mapping)) for k, v in data.items())


def load(data: Any, base: VmConfig | None = None) -> VmConfig:
    """A VmConfig from a parsed file (flat or nested). Raises VmFileError naming the key."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise VmFileError("(top)", f"expected a mapping of keys to values, got {type(data).__name__}")
    if is_nested(data):
        ci = data.get("cloudinit")
        if isinstance(ci, Mapping) and "password" in ci:
            raise VmFileError("cloudinit.password", NOT_FROM_FILES)
        try:
            config = VmConfig.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise VmFileError(".".join(str(p) for p in err["loc"]), err["msg"]) from exc
        check_extra(config.extra)
        return config
    return _load_flat(data, base or VmConfig())


# Identity of the VM: top-level keys of the file, never PVE parameters under extra.
EXTRA_REFUSED = {"vmid": "vmid", "node": "node"}


def check_extra(value: Any) -> dict[str, str | int | float | bool]:
    """The ``extra:`` map, each key a parameter of POST /nodes/{node}/qemu (``net1`` for ``net[n]``)."""
    from pvectl.sdk._core.spec import load_spec
    from pvectl.vm.encode import CREATE

    if not isinstance(value, Mapping):
        raise VmFileError("extra", "expected a mapping of PVE parameters to values (e.g. net1: virtio,bridge=vmbr0)")
    params = load_spec().op(CREATE).params
    out: dict[str, str | int | float | bool] = {}
    for key, item in value.items():
        where = f"extra.{key}"
        name = str(key)
        if name in EXTRA_REFUSED:
            raise VmFileError(where, f"the VM's identity: use the top-level key '{EXTRA_REFUSED[name]}'")
        if name not in params and re.sub(r"\d+$", "[n]", name) not in params:
            known = sorted({re.sub(r"\[n\]$", "0", p) for p in params})
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise VmFileError(where, f"not a parameter of POST /nodes/{{node}}/qemu{hint}")
        if item is None or not isinstance(item, (str, int, float, bool)):
            raise VmFileError(where, "expected a value (text, number or boolean), as PVE writes it")
        out[name] = item
    return out


def _load_flat(data: Mapping[str, Any], base: VmConfig) -> VmConfig:
    known = flat_keys()
    for key in data:
        if key not in known and key != "ci-password":  # the password gets its own message
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "see `pvectl vm create --schema` for the keys"
            raise VmFileError(str(key), f"unknown key; {hint}")
    problem = contradiction(data, prefix="")
    if problem:
        key, _, message = problem.partition(": ")
        raise VmFileError(key, message)
    out = base.model_copy(deep=True)
    if data.get("extra") is not None:
        out.extra = check_extra(data["extra"])
    for spec in FIELDS:
        if spec.cli and data.get(spec.flag) is not None:
            _set(out, spec, data[spec.flag])
    if data.get("disk") is not None:
        out.disks = _disks(data["disk"])
    if data.get("net") is not None:
        out.network, out.more_nics = _nets(data)
    try:
        out.cloudinit = ci_from_file(data, out.cloudinit)
    except CloudInitFileError as exc:
        raise VmFileError(exc.key, str(exc)) from exc
    disk_defaults = {k: v for k, v in data.items() if k.startswith("disk-") and v is not None}
    if disk_defaults:
        try:
            out = apply_defaults(out, disk_defaults)
        except DefaultsError as exc:
            raise VmFileError("disk", str(exc).removeprefix("[vm.defaults] disk: ")) from exc
    return out


def _set(config: VmConfig, spec: FieldSpec, value: Any) -> None:
    if spec.flag == "iso":
        _set_iso(config, value)
        return
    if spec.kind == "tags":
        value = list(split_tags(value))
    elif spec.choices and not spec.source and str(value) not in spec.choices:
        raise VmFileError(spec.flag, f"'{value}' is not one of {', '.join(spec.choices)}")
    try:
        set_value(config, spec.path, value)
    except ValueError as exc:
        raise VmFileError(spec.flag, str(exc).removeprefix(f"{spec.path}: ")) from exc


def _set_iso(config: VmConfig, value: Any) -> None:
    text = str(value)
    if text == "latest-nixos":
        config.os.media, config.os.iso = "iso", None
    elif text in ("none", "cdrom"):
        config.os.media, config.os.iso = text, None  # type: ignore[assignment]
    elif ":" in text:
        config.os.media, config.os.iso = "iso", text
        config.os.iso_storage = text.split(":", 1)[0]
    else:
        raise VmFileError("iso", f"'{text}' is not latest-nixos, none, cdrom or a volume id like cephfs:iso/file.iso")


def _nets(data: Mapping[str, Any]) -> tuple[Network, list[Network]]:
    """``net:`` (a list of ``--net`` specs: net0, net1, ...); the net0 keys (bridge, vlan, ...) would contradict it."""
    from pvectl.vm.nics import NetSpecError, apply_nets

    value = data["net"]
    items = value if isinstance(value, list) else [value]
    clash = [spec.flag for spec in FIELDS if spec.cli and spec.step == "network" and data.get(spec.flag) is not None]
    if clash:
        raise VmFileError("net", f"sets net0 itself; drop {', '.join(clash)} (or give them in the first entry)")
    if not all(isinstance(item, str) for item in items):
        raise VmFileError("net", "expected a list of NIC specs like virtio,bridge=vmbr0,firewall=1")
    try:
        return apply_nets([str(item) for item in items])
    except NetSpecError as exc:
        raise VmFileError("net", str(exc)) from exc


def _disks(value: Any) -> list[Disk]:
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        where = f"disk[{i}]"
        if isinstance(item, str):
            try:
                out.append(parse_disk_spec(item))
            except DiskSpecError as exc:
                raise VmFileError(where, str(exc)) from exc
        elif isinstance(item, Mapping):
            out.append(_disk_mapping(where, item))
        else:
            raise VmFileError(where, "expected a disk spec like ceph-pool:32 or a mapping (storage:, size:, ...)")
    return out


def _disk_mapping(where: str, item: Mapping[str, Any]) -> Disk:
    values: dict[str, Any] = {}
    for key, value in item.items():
        if key == "device":
            m = _DEVICE.fullmatch(str(value))
            if not m:
                raise VmFileError(f"{where}.device", f"'{value}' is not a device like scsi0 or virtio1")
            values["bus"], values["index"] = m[1], int(m[2])
        elif key in DISK_BY_FLAG:
            values[DISK_BY_FLAG[key].path] = value
        else:
            close = difflib.get_close_matches(str(key), DISK_KEYS, n=1)
            raise VmFileError(f"{where}.{key}", f"unknown disk key{f'; did you mean {close[0]!r}?' if close else ''}")
    try:
        return Disk.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "disk"
        flag = next((f.flag for f in DISK_BY_FLAG.values() if f.path == field), field)
        raise VmFileError(f"{where}.{flag}", err["msg"]) from exc


def disk_spec(disk: Disk) -> str:
    """A disk as the ``--disk`` flag writes it; IO thread and SSD appear only when set (unset ones follow the bus)."""
    head = f"{disk.device}:" if disk.device else ""
    parts = [f"{head}{disk.storage}:{disk.size_gib}"]
    if disk.bus != "scsi" and not disk.device:
        parts.append(f"bus={disk.bus}")
    for spec in DISK_BY_FLAG.values():
        if spec.flag in ("bus", "storage", "size", "index"):  # the device (bus + index) leads the spec
            continue
        value = getattr(disk, spec.path)
        if value is None or (spec.path in ("iothread", "ssd") and spec.path not in disk.model_fields_set):
            continue
        if isinstance(value, bool) or (isinstance(value, float) and value.is_integer()):
            value = int(value)  # 1/0 for switches, 100 rather than 100.0 for limits
        parts.append(f"{spec.path}={value}")
    return ",".join(parts)


def to_flat(config: VmConfig) -> dict[str, Any]:
    """The flat file for ``config``: reading it back with ``load`` gives the same VM (and the same requests)."""
    out: dict[str, Any] = {}
    for spec in FIELDS:
        if not spec.cli:
            continue
        if spec.flag == "iso":
            os_ = config.os
            value: Any = os_.media if os_.media != "iso" else (os_.iso or "latest-nixos")
        else:
            value = get_value(config, spec.path)
        if value is None or value == []:
            continue
        out[spec.flag] = list(value) if spec.kind == "tags" else value
    if config.os.media != "iso" or config.os.iso:
        out.pop("iso-storage", None)  # implied by the volume id, meaningless without an ISO
    for gate, off, _says, dependents in RULES:
        if out.get(gate) == off:
            for dependent in dependents:
                if out.get(dependent) is not False:
                    out.pop(dependent, None)
    out["disk"] = [disk_spec(d) for d in config.disks]
    if config.more_nics and config.network.enabled:  # every NIC as one list: net0 first
        from pvectl.vm.nics import net_spec

        for spec in FIELDS:
            if spec.step == "network":
                out.pop(spec.flag, None)
        out["net"] = [net_spec(config.network), *(net_spec(n) for n in config.more_nics)]
    out.update(ci_to_file(config.cloudinit))
    if config.extra:
        out["extra"] = dict(config.extra)
    return out


def dump_yaml(config: VmConfig, comment: str = "") -> str:
    """The flat file as YAML, ``comment`` (e.g. the plan) as ``#`` lines at its end."""
    import yaml

    text: str = yaml.safe_dump(to_flat(config), sort_keys=False, allow_unicode=True, default_flow_style=False)
    if config.cloudinit.on and config.cloudinit.secret:
        comment = f"ci-password: not written ({NOT_FROM_FILES})\n{comment}"
    notes = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    return text + notes


_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "choice": "string"}


def _property(spec: FieldSpec) -> dict[str, Any]:
    prop: dict[str, Any] = {"description": spec.help}
    if spec.kind in ("tags", "lines") or spec.flag == "ipconfig":
        prop["anyOf"] = [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    elif spec.flag == "iso":
        prop["anyOf"] = [{"enum": list(ISO_WORDS)}, {"type": "string", "pattern": "^[A-Za-z][\\w.\\-]*:.+"}]
    else:
        prop["type"] = _JSON_TYPES[spec.kind]
        if spec.choices:
            prop["enum"] = list(spec.choices)
    return prop


def schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the flat file; the nested step form is accepted as an alternative."""
    disk_props = {spec.flag: _property(spec) for spec in DISK_BY_FLAG.values()}
    disk_props["device"] = {"description": "Device (scsi0, virtio1, ...); default: the next free on the bus.",
                            "type": "string", "pattern": _DEVICE.pattern}  # fmt: skip
    disk_item = {
        "anyOf": [
            {"type": "string", "description": "As --disk: [BUS N:]STORAGE:SIZE_GIB[,key=value...]"},
            {"type": "object", "properties": disk_props, "additionalProperties": False},
        ]
    }
    props: dict[str, Any] = {spec.flag: _property(spec) for spec in FIELDS if spec.cli}
    props["disk"] = {"description": "The disks, first one first.", "type": "array", "items": disk_item}
    props["net"] = {
        "description": "The NICs, net0 first, as --net: MODEL,bridge=BRIDGE[,firewall=1][,tag=N]... "
        "(instead of bridge, vlan, ... which set net0 alone)",
        "type": "array",
        "items": {"type": "string"},
    }
    for spec in DISK_BY_FLAG.values():
        props[f"disk-{spec.flag}"] = {**_property(spec), "description": f"Every disk: {spec.help}"}
    for spec in CI_FIELDS:
        if spec.flag in CI_KEYS:
            props[spec.flag] = _property(spec)
    props["extra"] = {
        "description": "PVE parameters of POST /nodes/{node}/qemu the keys above do not model, sent as given.",
        "type": "object",
        "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
    }
    flat = {"type": "object", "properties": props, "additionalProperties": False}
    nested = {"$ref": "#/$defs/nested"}
    nested_schema = VmConfig.model_json_schema(ref_template="#/$defs/nested/$defs/{model}")
    bus_note = f"IO thread defaults on for {'/'.join(IOTHREAD_BUSES)}, SSD emulation for {'/'.join(SSD_BUSES)}."
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pvectl VM definition",
        "description": "Keys are the flags of `pvectl vm create` (the same as [vm.defaults]). " + bus_note,
        "anyOf": [flat, nested],
        "$defs": {"nested": nested_schema},
    }
