"""``pvectl vm snapshot create|list|rollback|delete``: each acts on one VM or many (selectors; create, rollback
and delete with ``--parallel`` and a per-VM outcome table; list grouped by VM). The writes are planned by
pvectl.guest.ops.snapshot and run by pvectl.guest.run; this module parses, confirms and renders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import options
from pvectl.cli.errors import reported
from pvectl.cli.options import Bulk, Selection, Targets, Waiting
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.snapshots import Snap

app = typer.Typer(
    name="snapshot", help="Snapshots of VMs (one VM, or many by selector).", no_args_is_help=True, add_completion=False
)

KIND = "qemu"
SNAP_COLUMNS = ("name", "parent", "snaptime", "vmstate", "description")
Keep = Annotated[
    int | None,
    typer.Option(
        "--keep",
        metavar="N",
        help="NAME is a prefix: make NAME-YYYYMMDD-HHMMSS and delete the oldest such snapshots pvectl made "
        "beyond N (never others).",
        show_default=False,
    ),
]
Description = Annotated[
    str | None, typer.Option("--description", help="Text shown with the snapshot.", show_default=False)
]


@app.command("create")
@options.targets()
@options.bulk()
@options.waiting()
def create(
    ctx: typer.Context,
    targets: Targets,
    bulk: Bulk,
    waiting: Waiting,
    vmstate: Annotated[bool, typer.Option("--vmstate", help="Also save the RAM of running VMs.")] = False,
    description: Description = None,
    keep: Keep = None,
) -> None:
    """Snapshot VMs (by id or name, or by selector), optionally keeping only the N newest of a prefix."""
    with reported():
        from pvectl.cli import snapshots as verbs
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.guest.ops import snapshot as ops

        sel, seconds = verbs.prepare(ctx, targets, bulk, waiting, KIND, "create", keep=keep is not None)
        verbs.check_keep(keep, waiting)
        client = ctx.obj.client()
        refs = verbs.guests(client, sel, KIND, "create")
        ok, skipped = ops.snapshottable(client, refs, lambda line: None)
        if sel.single and skipped:
            raise CliError(f"VM {skipped[0][0].vmid} cannot have snapshots: {skipped[0][1]}", USAGE)
        if refs:
            planned = ops.plan_create(ok, targets.name, description=description, vmstate=vmstate, keep=keep,
                                      timeout=seconds)  # fmt: skip
            steps = ops.with_skipped(refs, planned, skipped)
            verbs.run(ctx, client, steps, single=sel.single, listed=True, bulk=bulk, waiting=waiting,
                      seconds=seconds, verb="create")  # fmt: skip


@app.command("delete")
@options.targets()
@options.bulk()
@options.waiting()
def delete(ctx: typer.Context, targets: Targets, bulk: Bulk, waiting: Waiting) -> None:
    """Delete a snapshot of VMs (by id or name, or by selector); asks first unless --yes."""
    with reported():
        from pvectl.cli import snapshots as verbs
        from pvectl.cli.render import count
        from pvectl.guest.ops.snapshot import plan_delete

        sel, seconds = verbs.prepare(ctx, targets, bulk, waiting, KIND, "delete")
        client = ctx.obj.client()
        refs = verbs.guests(client, sel, KIND, "delete")
        if refs:
            what = f"snapshot '{targets.name}' of {count(len(refs), 'VM')}"
            verbs.run(ctx, client, plan_delete(refs, targets.name), single=sel.single, listed=True, bulk=bulk,
                      waiting=waiting, seconds=seconds, verb="delete",
                      ask=(f"Delete {what}?", f"refusing to delete {what}"))  # fmt: skip


@app.command("rollback")
@options.targets()
@options.bulk()
@options.waiting()
def rollback(
    ctx: typer.Context,
    targets: Targets,
    bulk: Bulk,
    waiting: Waiting,
    start: Annotated[bool, typer.Option("--start", help="Start the VMs after the rollback.")] = False,
) -> None:
    """Roll VMs back to a snapshot (by id or name, or by selector; their present state is lost): asks first, with
    the count, unless --yes."""
    with reported():
        from pvectl.cli import snapshots as verbs
        from pvectl.cli.render import count
        from pvectl.guest.ops.snapshot import plan_rollback

        sel, seconds = verbs.prepare(ctx, targets, bulk, waiting, KIND, "rollback")
        client = ctx.obj.client()
        refs = verbs.guests(client, sel, KIND, "rollback")
        if not refs:
            return
        name, ref = targets.name, refs[0]
        if sel.single:
            ask = (f"Roll VM {ref.vmid} ({ref.name or 'no name'}) back to '{name}'? Its present state is lost.",
                   f"refusing to roll back VM {ref.vmid}")  # fmt: skip
        else:
            n = count(len(refs), "VM")
            ask = (f"Roll {n} back to snapshot '{name}'? Their present state is lost.", f"refusing to roll back {n}")
        verbs.run(ctx, client, plan_rollback(refs, name, start=start), single=sel.single, listed=not sel.single,
                  bulk=bulk, waiting=waiting, seconds=seconds, verb="rollback", ask=ask)  # fmt: skip


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
@options.selection()
def list_snapshots(ctx: typer.Context, selection: Selection) -> None:
    """Snapshots as a tree (parents, times; the present state marked): of one VM, or grouped by VM for several
    (-o json: one object per VM with its snapshots)."""
    with reported():
        from pvectl.cli.commands.vm import daily
        from pvectl.cli.output import show
        from pvectl.cli.writes import require, resolve
        from pvectl.vm.snapshots import snapshots, tree_lines

        sel = selection.selector()
        require(sel, "snapshot list")
        client = ctx.obj.client()
        if sel.single:
            ref = daily._find(client, sel.keys[0])
            snaps = snapshots(client, ref.node, ref.vmid)
            human = "\n".join([_heading(ref), *tree_lines(snaps)])
            show(ctx, _snapshot_rows(snaps), columns=SNAP_COLUMNS, human=human)
            return
        refs = resolve(client, sel)
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
