"""``pvectl ct snapshot create|list|rollback|delete``: container snapshots, planned by pvectl.guest.ops.snapshot
(as ``vm snapshot``) and run by the write runner; this module parses, confirms and renders.

``create --keep N`` names the snapshot ``NAME-YYYYMMDD-HHMMSS``, marks its description, and then deletes the
oldest snapshots carrying both beyond N (never others), as ``vm snapshot create --keep`` does. PVE takes a
container snapshot only when every volume's storage can (pve-container: "snapshot feature is not available").
"""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli import options
from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import reported
from pvectl.cli.options import Bulk, Targets, Waiting
from pvectl.cli.runner import ApiCommand, output_format

Description = Annotated[str | None, typer.Option("--description", help="Text shown with it.", show_default=False)]
Keep = Annotated[int | None, typer.Option("--keep", metavar="N", show_default=False,
                                          help="NAME is a prefix: make NAME-YYYYMMDD-HHMMSS and delete the oldest "
                                          "such snapshots pvectl made beyond N (never others).")]  # fmt: skip

app = typer.Typer(name="snapshot", help="Container snapshots: create (--keep N), list, rollback, delete.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)  # fmt: skip

KIND = "lxc"


def _cts(n: int) -> str:
    from pvectl.cli.render import count

    return count(n, "CT")


@app.command("create", cls=ApiCommand)
@options.targets("CT")
@options.bulk("CT")
@options.waiting("CT")
def create(
    ctx: typer.Context, targets: Targets, bulk: Bulk, waiting: Waiting, description: Description = None,
    keep: Keep = None,
) -> None:  # fmt: skip
    """Snapshot containers (by id or hostname, or by selector), optionally keeping only the N newest of a prefix."""
    with reported():
        from pvectl.cli import snapshots as verbs
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.guest.ops.snapshot import plan_create, snapshottable, with_skipped

        sel, seconds = verbs.prepare(ctx, targets, bulk, waiting, KIND, "create", keep=keep is not None)
        verbs.check_keep(keep, waiting)
        client = ctx.obj.client()
        refs = verbs.guests(client, sel, KIND, "create")
        ok, skipped = snapshottable(client, refs, lambda line: None)  # templates, storage without snapshots
        if sel.single and skipped:
            raise CliError(f"CT {skipped[0][0].vmid} cannot have snapshots: {skipped[0][1]}", USAGE)
        if refs:
            planned = plan_create(ok, targets.name, description=description, keep=keep, timeout=seconds)
            steps = with_skipped(refs, planned, skipped)
            verbs.run(ctx, client, steps, single=sel.single, listed=False, bulk=bulk, waiting=waiting,
                      seconds=seconds, verb="create")  # fmt: skip


@app.command("delete", cls=ApiCommand)
@options.targets("CT")
@options.bulk("CT")
@options.waiting("CT")
def delete(ctx: typer.Context, targets: Targets, bulk: Bulk, waiting: Waiting) -> None:
    """Delete a snapshot of containers (asks first for a selection unless --yes)."""
    with reported():
        from pvectl.cli import snapshots as verbs
        from pvectl.guest.ops.snapshot import plan_delete

        sel, seconds = verbs.prepare(ctx, targets, bulk, waiting, KIND, "delete")
        client = ctx.obj.client()
        refs = verbs.guests(client, sel, KIND, "delete")
        if refs:
            what = f"snapshot '{targets.name}' of {_cts(len(refs))}"
            ask = None if sel.single else (f"Delete {what}?", f"refusing to delete {what}")  # a selection asks
            verbs.run(ctx, client, plan_delete(refs, targets.name), single=sel.single, listed=False, bulk=bulk,
                      waiting=waiting, seconds=seconds, verb="delete", ask=ask)  # fmt: skip


@app.command("rollback", cls=ApiCommand)
@options.targets("CT")
@options.bulk("CT")
@options.waiting("CT")
def rollback(
    ctx: typer.Context, targets: Targets, bulk: Bulk, waiting: Waiting,
    start: Annotated[bool, typer.Option("--start", help="Start the container after the rollback.")] = False,
) -> None:  # fmt: skip
    """Roll containers back to a snapshot (their present state is lost; a selection asks first)."""
    with reported():
        from pvectl.cli import snapshots as verbs
        from pvectl.guest.ops.snapshot import plan_rollback

        sel, seconds = verbs.prepare(ctx, targets, bulk, waiting, KIND, "rollback")
        client = ctx.obj.client()
        refs = verbs.guests(client, sel, KIND, "rollback")
        if refs:
            n = _cts(len(refs))
            question = f"Roll {n} back to '{targets.name}'? Their present state is lost."
            ask = None if sel.single else (question, f"refusing to roll back {n}")
            verbs.run(ctx, client, plan_rollback(refs, targets.name, start=start), single=sel.single,
                      listed=False, bulk=bulk, waiting=waiting, seconds=seconds, verb="rollback", ask=ask)  # fmt: skip


@app.command("list", cls=ApiCommand)
def list_snapshots(ctx: typer.Context, ct: CtArg) -> None:
    """A container's snapshot tree, the present state marked (-o json: PVE's rows)."""
    with reported():
        from pvectl.cli.commands.ct.daily import find
        from pvectl.cli.output import emit
        from pvectl.vm.snapshots import snapshots, tree_lines

        client = ctx.obj.client()
        ref = find(client, ct)
        snaps = snapshots(client, ref.node, ref.vmid, kind="lxc")
        if output_format(ctx) in ("json", "yaml"):
            rows = [{"name": s.name, "parent": s.parent, "snaptime": s.snaptime, "description": s.description}
                    for s in snaps]  # fmt: skip
            emit(rows, output_format(ctx), ("name", "parent", "snaptime", "description"))
            return
        from pvectl.cli.safe_text import safe_text

        lines = [f"CT {ref.vmid} ({ref.name}) on {ref.node}:", *(f"  {line}" for line in tree_lines(snaps))]
        print(safe_text("\n".join(lines)))  # names and descriptions are server text
