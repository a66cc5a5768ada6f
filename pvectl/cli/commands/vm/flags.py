"""``pvectl vm create`` flags, built from the shared field spec, and how they land in a VmConfig."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.vm.fields import FIELDS, FieldSpec

if TYPE_CHECKING:
    from pvectl.vm.config import VmConfig

_PY = {"str": str, "int": int, "float": float, "bool": bool, "choice": str, "tags": list[str]}


def _option(spec: FieldSpec) -> tuple[str, Any]:
    name = spec.flag.replace("-", "_")
    helptext = spec.help + (f" [{'|'.join(spec.choices)}]" if spec.choices else "")
    decls = [f"--{spec.flag}/--no-{spec.flag}"] if spec.kind == "bool" else [f"--{spec.flag}"]
    option = typer.Option(*decls, help=helptext, show_default=False, autocompletion=_completer(spec))
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
                help="Disk as [BUS N:]STORAGE:SIZE_GIB[,format=,iothread=,ssd=,backup=,aio=,cache=,discard=]; repeat "
                "for more (default: one ceph-pool:32 scsi disk).",
                show_default=False,
                autocompletion=_disk_completer(),
            ),
        ],
    ),
    (
        "from_file",
        Annotated[
            str | None,
            typer.Option(
                "--from-file", help="Read a VmConfig from vm.yaml or vm.json; flags override it.", show_default=False
            ),
        ],
    ),
    ("dry_run", Annotated[bool, typer.Option("--dry-run", help="Print the requests instead of sending them.")]),
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
        default = False if name in ("dry_run", "interactive", "tui", "schema") else None
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
        if spec.choices and str(value) not in spec.choices:
            raise FlagError(f"--{spec.flag}: '{value}' is not one of {', '.join(spec.choices)}")
        try:
            set_value(out, spec.path, list(value) if spec.kind == "tags" else value)
        except ValueError as exc:
            raise FlagError(f"--{spec.flag}: {exc}") from exc
    disks = values.get("disk")
    if disks:
        try:
            out.disks = [parse_disk_spec(text) for text in disks]
        except DiskSpecError as exc:
            raise FlagError(f"--disk {exc}") from exc
    return out


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
