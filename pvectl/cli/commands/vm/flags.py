"""``pvectl vm create`` flags, built from the shared field spec, and how they land in a VmConfig."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.command_types import ApiCommand, write_dl
from pvectl.cli.commands.vm import ci_flags
from pvectl.vm.fields import FIELDS, STEPS, FieldSpec

if TYPE_CHECKING:
    from pvectl.vm.config import VmConfig

_PY = {"str": str, "int": int, "float": float, "bool": bool, "choice": str, "tags": list[str]}


def _metavar(spec: FieldSpec) -> str | None:
    """What the help shows as the value: the choices when short, else a name (NODE, BRIDGE) or N."""
    if spec.kind == "bool":
        return None
    if spec.choices and len("|".join(spec.choices)) <= 20:
        return "[" + "|".join(spec.choices) + "]"
    if spec.kind in ("int", "float"):
        return "N"
    return {"tag": "TAG", "iso": "ISO", "iso-storage": "STORAGE", "efi-storage": "STORAGE"}.get(
        spec.flag, spec.flag.upper().replace("-", "_")
    )


def _option(spec: FieldSpec) -> tuple[str, Any]:
    name = spec.flag.replace("-", "_")
    helptext = spec.help
    if spec.choices and not spec.source and not (_metavar(spec) or "").startswith("["):
        helptext += f" One of: {', '.join(spec.choices)}."
    if spec.kind == "tags":
        helptext += " Repeat the flag for more."
    decls = [f"--{spec.flag}/--no-{spec.flag}"] if spec.kind == "bool" else [f"--{spec.flag}"]
    option = typer.Option(
        *decls, help=helptext, show_default=False, metavar=_metavar(spec), autocompletion=_completer(spec)
    )
    return name, Annotated[_PY[spec.kind] | None, option]


def _completer(spec: FieldSpec) -> Any:
    """Live values for fields the server knows (nodes, storages, bridges, ISOs, ...), else the fixed choices."""
    from pvectl.cli import completers

    if spec.source:
        return completers.BY_SOURCE[spec.source]
    return completers.choices(spec.choices) if spec.choices else None


def _disk_completer() -> Any:
    from pvectl.cli import completers

    return completers.disk


EXTRA: list[tuple[str, Any]] = [
    (
        "disk",
        Annotated[
            list[str] | None,
            typer.Option(
                "--disk",
                help="Disk as [DEVICE:]STORAGE:SIZE_GIB[,KEY=VALUE...], DEVICE like scsi1 or virtio0, keys format, "
                "iothread, ssd, backup, aio, cache, discard, ro, replicate, mbps_rd/_wr(_max), iops_rd/_wr(_max); "
                "e.g. scsi1:local-lvm:100,ssd=0; repeat for more disks.",
                show_default=False,
                metavar="SPEC",
                autocompletion=_disk_completer(),
            ),
        ],
    ),
    (
        "net",
        Annotated[
            list[str] | None,
            typer.Option(
                "--net",
                help="Network device as PVE writes it, MODEL,bridge=BRIDGE[,KEY=VALUE...], keys firewall, tag, mtu, "
                "rate, queues, macaddr, link_down; e.g. virtio,bridge=vmbr0,firewall=1; the first is net0, repeat "
                "for net1, net2... (--bridge, --vlan... set net0 alone).",
                show_default=False,
                metavar="SPEC",
            ),
        ],
    ),
    (
        "from_file",
        Annotated[
            str | None,
            typer.Option(
                "--from-file",
                help="Read the VM from vm.yaml or vm.json; flags override it.",
                show_default=False,
                metavar="FILE",
            ),
        ],
    ),
    (
        "dry_run",
        Annotated[
            bool,
            typer.Option("--dry-run", help="Check like a real run, then print the requests; send nothing."),
        ],
    ),
    (
        "timeout",
        Annotated[
            str | None,
            typer.Option(
                "--timeout",
                metavar="DURATION",
                help="Wait at most this long for each task (90s, 10m). The task goes on after it. [default: 10m]",
                show_default=False,
            ),
        ],
    ),
    (
        "schema",
        Annotated[
            bool,
            typer.Option(
                "--schema",
                help="Print the JSON Schema of --from-file files and exit.",
                is_eager=True,
                callback=lambda value: _print_schema(value),
            ),
        ],
    ),
    (
        "console",
        Annotated[
            bool,
            typer.Option("--console", help="Start the VM and attach to its serial console (see vm console)."),
        ],
    ),
    (
        "wait",
        Annotated[
            str | None,
            typer.Option(
                "--wait",
                metavar="ready|agent|ip",
                help="ready: the tasks (default); agent/ip: also start the VM and wait for its guest agent or its "
                "first address (printed; exit 7 when --timeout runs out first).",
                show_default=False,
            ),
        ],
    ),
    (
        "strict_defaults",
        Annotated[
            bool,
            typer.Option(
                "--strict-defaults",
                help="A built-in default the node lacks (ceph-pool, cephfs, vmbr9, the NixOS ISO) is an error, not "
                "replaced by the node's own (config: strict-defaults = true in [vm]).",
            ),
        ],
    ),
    (
        "allow_duplicate_name",
        Annotated[
            bool,
            typer.Option(
                "--allow-duplicate-name", help="Create the VM even when another VM in the cluster has its name."
            ),
        ],
    ),
    *ci_flags.CREATE_OPTIONS,
    ("interactive", Annotated[bool, typer.Option("--interactive", "-i", help="Ask for every field (prompts).")]),
    ("tui", Annotated[bool, typer.Option("--tui", help="Full-screen wizard.")]),
]


def _print_schema(value: bool) -> None:
    if value:
        import json

        from pvectl.vm.vmfile import schema

        print(json.dumps(schema(), indent=2))
        raise typer.Exit()


def with_vm_flags(func: Callable[..., None]) -> Callable[..., None]:
    """Give ``func(ctx, **values)`` one keyword parameter per CLI field, for Typer to turn into options."""
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)]
    for spec in FIELDS:
        if spec.cli:
            name, annotation = _option(spec)
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    for name, annotation in EXTRA:
        switches = ("dry_run", "interactive", "tui", "schema", "console", "strict_defaults", "allow_duplicate_name")
        default = False if name in (*switches, *ci_flags.SWITCHES) else None
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    func.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return func


class FlagError(ValueError):
    """A flag value the domain cannot take; the message names the flag."""


def apply_flags(config: VmConfig, values: Mapping[str, Any]) -> VmConfig:
    """A copy of ``config`` with every flag that was given applied (``None`` = not given)."""
    from pvectl.vm.config import DiskSpecError, parse_disk_spec
    from pvectl.vm.conflicts import contradiction
    from pvectl.vm.defaults import set_value

    problem = contradiction({spec.flag: values.get(spec.flag.replace("-", "_")) for spec in FIELDS if spec.cli})
    if problem:
        raise FlagError(problem)
    out = config.model_copy(deep=True)
    for spec in FIELDS:
        if not spec.cli:
            continue
        value = values.get(spec.flag.replace("-", "_"))
        if value is None:
            continue
        if spec.flag == "iso":
            _apply_iso(out, str(value))
            continue
        if spec.choices and not spec.source and str(value) not in spec.choices:
            raise FlagError(f"--{spec.flag}: '{value}' is not one of {', '.join(spec.choices)}")
        try:
            set_value(out, spec.path, list(value) if spec.kind == "tags" else value)
        except ValueError as exc:
            raise FlagError(f"--{spec.flag}: {exc}") from exc
    nets = values.get("net")
    if nets:
        _apply_nets(out, list(nets), values)
    disks = values.get("disk")
    if disks:
        try:
            out.disks = [parse_disk_spec(text) for text in disks]
        except DiskSpecError as exc:
            raise FlagError(f"--disk {exc}") from exc
    return out


def _apply_nets(config: VmConfig, specs: list[str], values: Mapping[str, Any]) -> None:
    """``--net`` (repeated): net0, net1, ...; the net0 shorthands (--bridge, --vlan, ...) would contradict it."""
    from pvectl.vm.nics import NetSpecError, apply_nets

    shorthand = [
        f"--{spec.flag}"
        for spec in FIELDS
        if spec.cli and spec.step == "network" and values.get(spec.flag.replace("-", "_")) is not None
    ]
    if shorthand:
        raise FlagError(f"--net: sets net0 itself; drop {', '.join(shorthand)} (or give them inside the first --net)")
    try:
        config.network, config.more_nics = apply_nets(specs)
    except NetSpecError as exc:
        raise FlagError(f"--net {exc}") from exc


def _apply_iso(config: VmConfig, value: str) -> None:
    if value == "latest-nixos":
        config.os.media, config.os.iso = "iso", None
    elif value in ("none", "cdrom"):
        config.os.media, config.os.iso = value, None  # type: ignore[assignment]
    elif ":" in value:
        config.os.media, config.os.iso = "iso", value
        config.os.iso_storage = value.split(":", 1)[0]
    else:
        raise FlagError(f"--iso: '{value}' is not latest-nixos, none, cdrom or a volume id like cephfs:iso/file.iso")


# --- `pvectl vm create --help`: options grouped by the steps of the Create VM wizard, every default shown ------

STEP_TITLES = {
    "general": "General",
    "os": "OS",
    "system": "System",
    "disks": "Disks",
    "cpu": "CPU",
    "memory": "Memory",
    "network": "Network",
}
IO_TITLE = "Input/Output"
CLOUDINIT_TITLE = "Cloud-Init"
CLOUDINIT_PARAMS = {name for name, _ in ci_flags.CREATE_OPTIONS}
# What an unset (None) field means; everything else shows the built-in value of VmConfig().
DERIVED = {
    "node": "the context's node",
    "vmid": "the next free id",
    "name": "none",
    "pool": "none",
    "tag": "none",
    "startup-order": "PVE's (any)",
    "startup-delay": "PVE's (0)",
    "shutdown-timeout": "PVE's (180)",
    "iso": "latest-nixos",
    "min-memory": "same as --memory",
    "vlan": "none",
    "mtu": "the bridge's",
    "rate": "unlimited",
    "queues": "none",
    "mac": "generated by PVE",
}


def field_defaults() -> dict[str, str]:
    """Flag -> the default as help shows it (built-in VmConfig values; [vm.defaults] may change them)."""
    from pvectl.vm.config import VmConfig
    from pvectl.vm.defaults import get_value

    base = VmConfig()
    out: dict[str, str] = {}
    for spec in FIELDS:
        if not spec.cli:
            continue
        value = get_value(base, spec.path)
        if value is None or value == []:
            out[spec.flag] = DERIVED.get(spec.flag, "none")
        elif isinstance(value, bool):
            out[spec.flag] = "on" if value else "off"
        else:
            out[spec.flag] = str(value)
    disk = base.disks[0]
    extras = ", ".join(k for k in ("iothread", "ssd", "backup") if getattr(disk, k))
    out["disk"] = (
        f"{disk.bus} {disk.storage}:{disk.size_gib} ({disk.format}, {extras}, aio={disk.aio}); "
        "keys that do not fit the bus are left out"
    )
    return out


class VmCreateCommand(ApiCommand):
    """``vm create``: its options under the wizard's step titles, each with its default."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        by_flag = {spec.flag.replace("-", "_"): spec for spec in FIELDS if spec.cli}
        defaults = field_defaults()
        sections: dict[str, list[tuple[str, str]]] = {STEP_TITLES[s]: [] for s in STEPS}
        sections[CLOUDINIT_TITLE] = []
        sections[IO_TITLE] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            first, helptext = record
            spec = by_flag.get(param.name or "")
            if spec is not None:
                title = STEP_TITLES[spec.step]
                if "default" not in helptext:
                    helptext = f"{helptext} [default: {defaults[spec.flag]}]"
            elif param.name == "disk":
                title = STEP_TITLES["disks"]
                helptext = f"{helptext} [default: {defaults['disk']}]"
            elif param.name == "net":
                title = STEP_TITLES["network"]
                helptext = f"{helptext} [default: net0 from the flags above]"
            elif param.name in CLOUDINIT_PARAMS:
                title = CLOUDINIT_TITLE
            else:
                title = IO_TITLE
            sections[title].append((first, helptext))
        width = min(max(len(first) for rows in sections.values() for first, _ in rows), 24)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    write_dl(formatter, rows, width=width)
