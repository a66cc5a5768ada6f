"""``pvectl vm snapshot create|list|rollback|delete``: each acts on one VM or many (selectors; create, rollback
and delete with ``--parallel`` and a per-VM outcome table; list grouped by VM)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli.commands.vm.daily import Timeout
from pvectl.cli.errors import reported
from pvectl.cli.fleet import (
    AllOpt,
    DryRunOpt,
    NameOpt,
    NodeOpt,
    ParallelOpt,
    PoolOpt,
    SelectorOpt,
    StatusOpt,
    VmArgs,
    YesOpt,
)
from pvectl.cli.runner import output_format
from pvectl.vm.bulk import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.bulk import Result, Then
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector
    from pvectl.vm.snapshots import Snap

app = typer.Typer(
    name="snapshot", help="Snapshots of VMs (one VM, or many by selector).", no_args_is_help=True, add_completion=False
)

TargetArgs = Annotated[
    list[str],
    typer.Argument(
        metavar="[VM...] NAME",
        help="VM ids or names (or the selector flags), then the snapshot name.",
        show_default=False,
    ),
]
SNAP_COLUMNS = ("name", "parent", "snaptime", "vmstate", "description")


def _split(args: list[str]) -> tuple[list[str], str]:
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm.snapshots import reserved

    name = args[-1]
    if reserved(name):  # 'current' is PVE's name for the present state; 'pending' is reserved too
        raise CliError(f"NAME: {reserved(name)}", USAGE)
    return args[:-1], name


SNAPSHOT_TASKS = {"create": "qmsnapshot", "delete": "qmdelsnapshot", "rollback": "qmrollback"}


def _run(
    ctx: typer.Context,
    verb: str,
    sel: Selector,
    *,
    request: str,
    submit_params: dict[str, object],
    method: str,
    path: str,
    then: Then | None,
    yes: bool,
    dry_run: bool,
    parallel: int,
    seconds: float,
    past: str,
) -> None:
    from pvectl.cli import fleet as select
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm import bulk

    select.require(sel, f"snapshot {verb}")
    if parallel < 1:
        raise CliError("--parallel: must be at least 1", USAGE)
    client = ctx.obj.client()
    refs = select.matched(client, sel)
    if verb == "create":
        from pvectl.vm.snapshots import snapshottable

        refs, skipped = snapshottable(client, refs, lambda line: print(line, file=sys.stderr))
        if sel.single and skipped:
            raise CliError(f"VM {skipped[0][0].vmid} cannot have snapshots: {skipped[0][1]}", USAGE)
    if not refs:
        print(f"no VM matches ({sel.describe()}); nothing to do", file=sys.stderr)
        return

    def where(ref: VmRef) -> str:
        return path.format(node=ref.node, vmid=ref.vmid)

    if dry_run:
        select.dry_run(ctx, refs, lambda r: f"{method} {where(r)}", f"{request} on")
        return
    if verb == "delete" and not yes:
        n = select.count(len(refs))
        select.confirm(f"Delete {request} of {n}?", f"refusing to delete {request} of {n}")
    if verb == "rollback" and not yes:
        n = select.count(len(refs))
        select.confirm(f"Roll {n} back to {request}? Their present state is lost.", f"refusing to roll back {n}")

    def submit(ref: VmRef) -> str:
        from pvectl.guest.wire import send_planned
        from pvectl.vm.actions import _task

        answer = send_planned(client, method, where(ref), submit_params)  # raw request: until on the runner
        return _task(client, f"{method} {where(ref)}", answer).upid.raw

    results: list[Result] = bulk.run(
        client,
        refs,
        submit,
        past=past,
        parallel=parallel,
        timeout=seconds,
        then=then,
        on_result=select.progress_line,
        action=f"snapshot {verb}",
        # PVE's worker types (qemu-server src/PVE/API2/Qemu.pm snapshot, delsnapshot, rollback): an ambiguous
        # answer is reconciled from the node's task list
        task_types=lambda ref: (SNAPSHOT_TASKS[verb],),
    )
    select.report(ctx, results, single=sel.single)


def _retention(client: ProxmoxClient, prefix: str, keep: int, seconds: float) -> Then:
    def then(ref: VmRef) -> list[str]:
        from pvectl.sdk import Task
        from pvectl.vm.snapshots import expired, snapshots

        done = []
        for snap in expired(snapshots(client, ref.node, ref.vmid), prefix, keep):
            task = client.nodes(ref.node).qemu(ref.vmid).snapshot(snap.name).delete()
            Task(client, task.upid.raw).wait(timeout=seconds)
            done.append(f"deleted old snapshot {snap.name}")
        return done

    return then


@app.command("create")
def create(
    ctx: typer.Context,
    args: TargetArgs,
    vmstate: Annotated[bool, typer.Option("--vmstate", help="Also save the RAM of running VMs.")] = False,
    description: Annotated[
        str | None, typer.Option("--description", help="Text shown with the snapshot.", show_default=False)
    ] = None,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            metavar="N",
            help="NAME is a prefix: make NAME-YYYYMMDD-HHMMSS and delete the oldest such snapshots pvectl made "
            "beyond N (never others).",
            show_default=False,
        ),
    ] = None,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    node: NodeOpt = None,
    name: NameOpt = None,
    status: StatusOpt = None,
    all_vms: AllOpt = False,
    dry_run: DryRunOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    timeout: Timeout = None,
) -> None:
    """Snapshot VMs (by id or name, or by selector), optionally keeping only the N newest of a prefix."""
    with reported():
        from pvectl.cli import fleet as select
        from pvectl.cli.commands.vm import daily
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.vm import snapshots

        seconds = daily._wait_seconds(ctx, timeout)
        vms, snapname = _split(args)
        sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
        params: dict[str, object] = {}
        if keep is not None:
            if keep < 1:
                raise CliError("--keep: must be at least 1", USAGE)
            snapname = snapshots.stamped(snapname)
            params["description"] = snapshots.description(description)
        elif description:
            params["description"] = description
        params["snapname"] = snapname
        if vmstate:
            params["vmstate"] = True
        then = None if keep is None else _retention(ctx.obj.client(), args[-1], keep, seconds)
        _run(
            ctx,
            "create",
            sel,
            request=f"snapshot '{snapname}'",
            submit_params=params,
            method="POST",
            path="/nodes/{node}/qemu/{vmid}/snapshot",
            then=then,
            yes=True,
            dry_run=dry_run,
            parallel=parallel,
            seconds=seconds,
            past=f"snapshot '{snapname}' created",
        )


@app.command("delete")
def delete(
    ctx: typer.Context,
    args: TargetArgs,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    node: NodeOpt = None,
    name: NameOpt = None,
    status: StatusOpt = None,
    all_vms: AllOpt = False,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    timeout: Timeout = None,
) -> None:
    """Delete a snapshot of VMs (by id or name, or by selector); asks first unless --yes."""
    with reported():
        from pvectl.cli import fleet as select
        from pvectl.cli.commands.vm import daily

        seconds = daily._wait_seconds(ctx, timeout)
        vms, snapname = _split(args)
        sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
        _run(
            ctx,
            "delete",
            sel,
            request=f"snapshot '{snapname}'",
            submit_params={},
            method="DELETE",
            path="/nodes/{node}/qemu/{vmid}/snapshot/" + snapname,
            then=None,
            yes=yes,
            dry_run=dry_run,
            parallel=parallel,
            seconds=seconds,
            past=f"snapshot '{snapname}' deleted",
        )


def _snapshot_rows(snaps: list[Snap]) -> list[dict[str, object]]:
    return [
        {
            "name": s.name,
            "parent": s.parent or None,
            "snaptime": s.snaptime or None,
            "vmstate": s.vmstate,
            "description": s.description,
            "current": s.current,
        }
        for s in snaps
    ]


@app.command("list")
def list_snapshots(
    ctx: typer.Context,
    vms: VmArgs = None,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    node: NodeOpt = None,
    name: NameOpt = None,
    status: StatusOpt = None,
    all_vms: AllOpt = False,
) -> None:
    """Snapshots as a tree (parents, times; the present state marked): of one VM, or grouped by VM for several
    (-o json: one object per VM with its snapshots)."""
    with reported():
        from pvectl.cli import fleet as select
        from pvectl.cli.commands.vm import daily
        from pvectl.cli.output import show
        from pvectl.vm.snapshots import snapshots, tree_lines

        sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
        select.require(sel, "snapshot list")
        client = ctx.obj.client()
        if sel.single:
            ref = daily._find(client, sel.keys[0])
            snaps = snapshots(client, ref.node, ref.vmid)
            human = "\n".join([_heading(ref), *tree_lines(snaps)])
            show(ctx, _snapshot_rows(snaps), columns=SNAP_COLUMNS, human=human)
            return
        refs = select.matched(client, sel)
        groups: list[dict[str, object]] = []
        rows: list[dict[str, object]] = []
        lines: list[str] = []
        for ref in refs:
            snaps = snapshots(client, ref.node, ref.vmid)
            snap_rows = _snapshot_rows(snaps)
            groups.append({"vmid": ref.vmid, "name": ref.name, "node": ref.node, "snapshots": snap_rows})
            rows += [{"vmid": ref.vmid, "vm": ref.name, **row} for row in snap_rows]
            lines += [_heading(ref), *tree_lines(snaps), ""]
        if not refs:
            lines = [f"no VM matches ({sel.describe()})"]
        if output_format(ctx) in ("json", "yaml"):
            show(ctx, groups)
        else:
            show(ctx, rows, columns=("vmid", "vm", *SNAP_COLUMNS), human="\n".join(lines).rstrip())


def _heading(ref: VmRef) -> str:
    return f"VM {ref.vmid} ({ref.name or 'no name'}) on {ref.node}:"


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    args: TargetArgs,
    start: Annotated[bool, typer.Option("--start", help="Start the VMs after the rollback.")] = False,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    node: NodeOpt = None,
    name: NameOpt = None,
    status: StatusOpt = None,
    all_vms: AllOpt = False,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    timeout: Timeout = None,
) -> None:
    """Roll VMs back to a snapshot (by id or name, or by selector; their present state is lost): asks first, with
    the count, unless --yes."""
    with reported():
        from pvectl.cli import fleet as select
        from pvectl.cli.commands.vm import daily

        seconds = daily._wait_seconds(ctx, timeout)
        vms, snapname = _split(args)
        sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
        if not sel.single or dry_run:
            _run(
                ctx,
                "rollback",
                sel,
                request=f"snapshot '{snapname}'",
                submit_params={"start": True} if start else {},
                method="POST",
                path="/nodes/{node}/qemu/{vmid}/snapshot/" + snapname + "/rollback",
                then=None,
                yes=yes,
                dry_run=dry_run,
                parallel=parallel,
                seconds=seconds,
                past=f"rolled back to '{snapname}'",
            )
            return
        client = ctx.obj.client()
        ref = daily._find(client, sel.keys[0])
        if not yes:
            select.confirm(
                f"Roll VM {ref.vmid} ({ref.name or 'no name'}) back to '{snapname}'? Its present state is lost.",
                f"refusing to roll back VM {ref.vmid}",
            )
        from pvectl.cli.writes import run_one
        from pvectl.guest.ops.simple import rollback_write

        run_one(ctx, client, rollback_write(ref, snapname, start=start), no_wait=False, seconds=seconds)
