"""``pvectl vm set VM [flags of vm create] [--remove KEY] [--reboot] [--dry-run]``: the minimal change of a VM.

Reads the config (and its digest), plans the change with the update engine (pvectl.vm.update), refuses what PVE
cannot do in place before sending anything, then sends one config write guarded by the digest, the resizes, and
reports from ``GET …/pending`` what is live and what waits for a reboot.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.commands.vm.daily import VmArg
from pvectl.cli.commands.vm.flags import EXTRA, _option
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.runner import output_format
from pvectl.vm.fields import FIELDS
from pvectl.vm.settable import settable_flags

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.update import UpdatePlan

# Help that differs from vm create's: no "latest" lookup on an existing VM.
SET_HELP = {"iso": "The CD drive (ide2): a volume id (storage:iso/file.iso), cdrom (physical drive) or none."}
SET_EXTRA: list[tuple[str, Any]] = [
    (
        "remove",
        Annotated[
            list[str] | None,
            typer.Option(
                "--remove",
                metavar="KEY",
                help="Remove a config key (net1, scsi2, tags, ...); repeat for more. A removed disk stays as unusedN.",
                show_default=False,
            ),
        ],
    ),
    (
        "reboot",
        Annotated[
            bool, typer.Option("--reboot", help="Reboot a running VM when changes wait for it, and wait for that.")
        ],
    ),
    *(entry for entry in EXTRA if entry[0] in ("disk", "dry_run", "timeout")),
]


def with_set_flags(func: Callable[..., None]) -> Callable[..., None]:
    """``func(ctx, vm, **values)`` with the ``vm create`` flags an existing VM can change, plus SET_EXTRA."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter("vm", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=VmArg),
    ]
    flags = set(settable_flags())
    for spec in FIELDS:
        if spec.flag in flags:
            name, annotation = _option(replace(spec, help=SET_HELP.get(spec.flag, spec.help)))
            params.append(inspect.Parameter(name, keyword, default=None, annotation=annotation))
    for name, annotation in SET_EXTRA:
        default = False if name in ("dry_run", "reboot") else None
        params.append(inspect.Parameter(name, keyword, default=default, annotation=annotation))
    func.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return func


@with_set_flags
def set_(ctx: typer.Context, vm: str, **values: Any) -> None:
    """Change a VM: only the flags given; what PVE cannot do in place is refused before anything is sent."""
    with reported():
        _set(ctx, vm, values)


def _set(ctx: typer.Context, vm: str, values: dict[str, Any]) -> None:
    from pvectl.cli.commands.vm import daily
    from pvectl.sdk._core.answers import as_object
    from pvectl.vm.desired import params_from_flags
    from pvectl.vm.update import UpdateError, measure_resizes, plan_update, refuse_unsupported

    timeout = daily._wait_seconds(ctx, values.get("timeout"))
    remove = _removals(values.get("remove") or [])
    try:
        params_from_flags(values, {})  # every flag checked before anything is sent
    except UpdateError as exc:
        raise CliError(str(exc), USAGE) from None
    if not remove and all(v is None for k, v in values.items() if k not in ("dry_run", "reboot", "timeout")):
        raise CliError("nothing to change: give a flag of vm create (see --help) or --remove KEY", USAGE)
    client = ctx.obj.client()
    ref = daily._find(client, vm)
    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    live = as_object(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).config.get())
    try:
        desired = params_from_flags(values, live)
    except UpdateError as exc:
        raise CliError(str(exc), USAGE) from None
    plan = plan_update(live, desired.params, [*remove, *(k for k in desired.remove if k not in remove)])
    measure_resizes(client, ref.node, plan)
    if plan.set:
        version = as_object("GET /version", client.version()).get("version")
        if isinstance(version, str):
            refuse_unsupported(plan, version)
    _check_new_disks(client, ref, plan)
    if plan.refused:
        lines = [f"{key}: {reason}" for key, reason in plan.refused]
        raise CliError(f"VM {ref.vmid}: refused, nothing sent: {lines[0]}", USAGE, lines[1:])
    digest = str(live.get("digest") or "") or None
    if values.get("dry_run"):
        _print_plan(ctx, ref, plan, digest)
        return
    from pvectl.cli.commands.vm.report import show_outcome
    from pvectl.cli.tasks import wait_for
    from pvectl.vm.update import apply_update

    verbose = bool(ctx.obj.options.verbose)
    outcome = apply_update(
        client,
        ref,
        plan,
        digest=digest,
        reboot=bool(values.get("reboot")),
        timeout=timeout,
        wait=lambda upid, seconds: wait_for(client, upid, seconds, verbose=verbose),
    )
    show_outcome(ctx, outcome)


_NEW_DISK = re.compile(r"(scsi|sata|virtio|ide)\d+")  # the buses --disk adds to
_ALLOCATION = re.compile(r"([^:,]+):\d+(\.\d+)?")  # STORAGE:SIZE: a new volume (an existing one is STORAGE:NAME)


def _check_new_disks(client: ProxmoxClient, ref: VmRef, plan: UpdatePlan) -> None:
    """A new disk (``STORAGE:SIZE``) on a storage the node has no disk storage of is a typo: refused before
    sending. PVE refuses it only in the config write (qemu-server src/PVE/API2/Qemu.pm update_vm_api, its
    ``$check_storage_access`` reads PVE::Storage::storage_config: "storage '...' does not exist")."""
    allocations = [_ALLOCATION.fullmatch(v.split(",", 1)[0]) for k, v in plan.set.items() if _NEW_DISK.fullmatch(k)]
    new = {m.group(1) for m in allocations if m}
    if not new:
        return
    from pvectl.vm.reference import ReferenceData

    listed = ReferenceData(client).image_storages(ref.node)
    if listed.error:
        return  # PVE decides
    names = [s.storage for s in listed.get([])]
    for storage in sorted(new - set(names)):
        raise CliError(f"--disk: no disk storage '{storage}' on {ref.node} (available: {', '.join(names)})", USAGE)


def _removals(keys: list[str]) -> list[str]:
    from pvectl.vm.update import _schema

    out: list[str] = []
    for key in keys:
        for part in (p.strip() for p in key.split(",")):
            if not part:
                continue
            if part in ("digest", "delete", "revert", "node", "vmid", "skiplock", "force") or _schema(part) is None:
                raise CliError(f"--remove: '{part}' is not a VM config key (net1, scsi2, tags, ...)", USAGE)
            if part not in out:
                out.append(part)
    return out


def _print_plan(ctx: typer.Context, ref: VmRef, plan: UpdatePlan, digest: str | None) -> None:
    """--dry-run: the exact writes (secrets redacted), what stays, what would wait for a reboot."""
    from pvectl.cli.output import show
    from pvectl.sdk._core.redact import redact

    running = ref.status == "running"
    requests = plan.requests(ref.node, ref.vmid, digest, running=running)
    waits = plan.waits_for_reboot(running=running)
    data = {
        "vmid": ref.vmid,
        "node": ref.node,
        "status": ref.status,
        "requests": [{"method": m, "path": p, "params": params} for m, p, params in requests],
        "changes": plan.to_json(),
        "waits_for_reboot": waits,
    }
    lines = [f"Plan for VM {ref.vmid}{f' ({ref.name})' if ref.name else ''} on {ref.node}, {ref.status}:"]
    if not requests:
        lines.append("  nothing to change; nothing would be sent")
    for i, (method, path, params) in enumerate(requests, start=1):
        lines.append(f"  {i}. {method} {path}")
        lines += [f"       {key}={value}" for key, value in params.items()]
    if plan.unchanged:
        lines.append(f"  unchanged: {', '.join(plan.unchanged)}")
    if waits:
        lines.append(f"  would wait for a reboot: {', '.join(waits)} (--reboot applies them)")
    text = redact("\n".join(lines))
    show(ctx, json.loads(redact(json.dumps(data))), human=text, piped="text")
    if output_format(ctx) not in ("json", "yaml"):
        print("dry run: nothing sent", file=sys.stderr)
