"""``pvectl backup restore VOLID``: a VM back from its backup, to its id or a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.commands.backup.common import VolidArg
from pvectl.cli.errors import reported

RESTORE_TIMEOUT = 6 * 3600.0  # a restore writes every disk back: hours for big ones; the task goes on after the wait

if TYPE_CHECKING:
    from pvectl.backup.plan import Guest, RestoreRequest
    from pvectl.guest.outcome import Outcome
    from pvectl.guest.run import Write
    from pvectl.sdk import ProxmoxClient


def restore(
    ctx: typer.Context,
    volid: VolidArg,
    vmid: Annotated[
        int | None,
        typer.Option("--vmid", help="Restore as this id (default: the id in the backup).", show_default=False),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            help="Restore on this node (default: the node of the guest it replaces, else one that has the storage).",
            show_default=False,
            autocompletion=completers.node,
        ),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Put every disk on this storage (default: the storages in the backup).",
            show_default=False,
            autocompletion=completers.storage,
        ),
    ] = None,
    unique: Annotated[
        bool, typer.Option("--unique", help="New MAC addresses (for a copy beside the original).")
    ] = False,
    start: Annotated[bool, typer.Option("--start", help="Start the guest once restored.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing guest of that id (its disks are replaced).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the request; send nothing.")] = False,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="How long to wait (default 6h, as backup create: a restore writes every disk); it goes on after it"
            " (exit 7).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Restore a backup (a VM or a container, as the archive says); an existing guest of the same id is replaced
    only with --force."""
    with reported():
        from pvectl.backup.plan import Refused, plan_restore
        from pvectl.backup.volid import VolidError, parse
        from pvectl.cli.commands.backup.common import find
        from pvectl.cli.duration import parse_duration
        from pvectl.cli.errors import USAGE, CliError

        try:
            parsed = parse(volid)
        except VolidError as exc:
            raise CliError(f"VOLID: {exc}", USAGE) from None
        if vmid is not None and not 100 <= vmid <= 999_999_999:
            raise CliError(f"--vmid: must be between 100 and 999999999, got {vmid}", USAGE)
        seconds = parse_duration(timeout, "--timeout") if timeout else RESTORE_TIMEOUT
        client = ctx.obj.client()
        backup = find(client, volid, None)
        target = vmid if vmid is not None else (backup.vmid or parsed.vmid)
        existing = _guest(client, target) if target is not None else None
        where = node or (existing.node if existing is not None and force else backup.node)
        if not backup.shared and where != backup.node:
            # a node-local storage (dir 'local') holds the archive on its node only: PVE on another node answers
            # "volume ... does not exist"
            raise CliError(
                f"{volid} is on {backup.node}'s own storage '{backup.storage}': restore on {backup.node}"
                f" (--node {backup.node}), or copy it to a shared storage first",
                USAGE,
            )
        try:
            request = plan_restore(
                parsed,
                node=where,
                vmid=vmid,
                existing=existing,
                force=force,
                storage=storage,
                unique=unique,
                start=start,
            )
        except Refused as exc:
            raise CliError(str(exc), USAGE) from None
        if dry_run:
            _dry_run(ctx, request)
            return
        from pvectl.backup.catalog import archived_name
        from pvectl.cli import render

        name = archived_name(client, backup.node, volid)
        render.one(ctx, submit(client, request, seconds, volid, name))


def _guest(client: ProxmoxClient, vmid: int) -> Guest | None:
    """The guest (VM or container: ids are unique across both) that has ``vmid`` now."""
    from pvectl.backup.plan import Guest
    from pvectl.guest.select import guests

    found = [g for g in guests(client) if g.vmid == vmid]
    return Guest(vmid, found[0].node, found[0].kind, found[0].name) if found else None


def _dry_run(ctx: typer.Context, request: RestoreRequest) -> None:
    from pvectl.cli.output import show

    params = " ".join(f"{k}={v}" for k, v in request.params.items())
    human = f"would restore {request.label} on {request.node}:\n  POST {request.path} {params}"
    if request.overwrites is not None:
        human += f"\n  (replaces {request.overwrites.label})"
    show(ctx, {"request": f"POST {request.path}", "params": dict(request.params)}, human=human, piped="text")


def submit(client: ProxmoxClient, request: RestoreRequest, seconds: float, volid: str, name: str = "") -> Outcome:
    """The restore through the core's write runner: sent once; after a lost answer the node's task list is asked
    for a ``qmrestore`` task of the id (qemu-server ``src/PVE/API2/Qemu.pm create_vm`` forks ``qmrestore``
    with the vmid as the task id)."""
    from pvectl.guest.run import execute

    return execute(client, restore_write(request, volid, name), timeout=seconds)


def restore_write(request: RestoreRequest, volid: str, name: str = "") -> Write:
    """``name``: the guest's name in the archive, which the restored guest takes (else the replaced one's)."""
    from pvectl.guest.run import Write
    from pvectl.guest.select import GuestRef
    from pvectl.guest.wire import typed

    name = name or (request.overwrites.name if request.overwrites is not None else "")
    ref = GuestRef(request.vmid, request.node, name, "", (), {}, request.kind)
    replaced = ", replacing the existing one" if request.overwrites is not None else ""
    started = " and started" if request.params.get("start") else ""
    params = dict(request.params)
    return Write(
        ref=ref,
        action="restore",
        method="POST",
        path=request.path,
        past=f"restored on {request.node} from {volid}{started}{replaced}",
        task_types=("qmrestore",) if request.kind == "qemu" else ("vzrestore",),
        params=params,
        send=lambda client: typed(_guests(client, request), params),
    )


def _guests(client: ProxmoxClient, request: RestoreRequest) -> Any:
    """``POST /nodes/{node}/qemu`` or ``…/lxc`` (create with ``archive``: PVE's restore)."""
    node: Any = client.nodes(request.node)
    return node.lxc.create if request.kind == "lxc" else node.qemu.create
