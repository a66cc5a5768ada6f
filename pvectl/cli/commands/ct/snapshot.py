"""``pvectl ct snapshot create|list|rollback|delete``: container snapshots on the guest core's runner.

``create --keep N`` names the snapshot ``NAME-YYYYMMDD-HHMMSS``, marks its description, and then deletes the
oldest snapshots carrying both beyond N (never others), as ``vm snapshot create --keep`` does. PVE takes a
container snapshot only when every volume's storage can (pve-container: "snapshot feature is not available").
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers, options
from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.options import Bulk, Selection, Waiting
from pvectl.cli.runner import ApiCommand, output_format

if TYPE_CHECKING:
    from collections.abc import Callable

    from pvectl.guest.run import Step, Then
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

Description = Annotated[str | None, typer.Option("--description", help="Text shown with it.", show_default=False)]

app = typer.Typer(name="snapshot", help="Container snapshots: create (--keep N), list, rollback, delete.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)  # fmt: skip

Targets = Annotated[
    list[str],
    typer.Argument(metavar="[CT...] NAME", help="Container ids or hostnames (or the selector flags), then the "
                   "snapshot name.", show_default=False),
]  # fmt: skip
Sel = Annotated[
    list[str] | None,
    typer.Option(
        "-l",
        "--selector",
        metavar="KEY=VAL,KEY!=VAL",
        show_default=False,
        help="Only CTs matching every term (tag, pool, node, name, status).",
    ),
]
Pool = Annotated[str | None, typer.Option("--pool", help="Only CTs in this pool.", show_default=False,
                                          autocompletion=completers.pool)]  # fmt: skip
Node = Annotated[str | None, typer.Option("--node", help="Only CTs on this node.", show_default=False,
                                          autocompletion=completers.node)]  # fmt: skip
Status = Annotated[str | None, typer.Option("--status", help="Only CTs in this state.", show_default=False)]
All = Annotated[bool, typer.Option("--all", help="Every CT of the cluster.")]


def _selection(args: list[str], selectors: list[str] | None, pool: str | None, node: str | None,
               status: str | None, all_cts: bool) -> tuple[Selection, str]:  # fmt: skip
    name = args[-1]
    if name == "current":  # PVE's name for the present state in the snapshot list
        raise CliError("NAME: 'current' is PVE's name for the present state; choose another", USAGE)
    return Selection(args[:-1], selectors, pool, node, None, status, all_cts), name


def _retention(prefix: str, keep: int, seconds: float) -> Then:
    def then(client: ProxmoxClient, ref: VmRef) -> list[str]:
        from pvectl.sdk import Task
        from pvectl.vm.snapshots import expired, snapshots

        node, vmid = ref.node, ref.vmid
        done = []
        for snap in expired(snapshots(client, node, vmid, kind="lxc"), prefix, keep):
            upid = client.nodes(node).lxc(vmid).snapshot(snap.name).delete().upid.raw
            Task(client, str(upid)).wait(timeout=seconds)
            done.append(f"deleted old snapshot {snap.name}")
        return done

    return then


def _run(ctx: typer.Context, sel_: Selection, bulk: Bulk, waiting: Waiting, verb: str,
         build: Callable[[VmRef], Step], ask: str | None = None) -> None:  # fmt: skip
    from pvectl.cli.commands.ct.power import selected
    from pvectl.cli.writes import run_steps

    seconds = waiting.seconds(ctx)
    sel = sel_.selector()
    bulk.check()
    client = ctx.obj.client()
    refs = selected(client, sel, f"snapshot {verb}")
    if refs:
        steps = [build(ref) for ref in refs]
        question = None if ask is None else (lambda n: ask.format(n=n, s="" if n == 1 else "s"))
        run_steps(ctx, client, steps, single=sel.single and ask is None, bulk=bulk, waiting=waiting,
                  seconds=seconds, verb=f"snapshot {verb}", question=question)  # fmt: skip


@app.command("create", cls=ApiCommand)
@options.bulk("CT")
@options.waiting("CT")
def create(
    ctx: typer.Context, bulk: Bulk, waiting: Waiting, args: Targets,
    description: Description = None,
    keep: Annotated[int | None, typer.Option("--keep", metavar="N", show_default=False,
                                             help="NAME is a prefix: make NAME-YYYYMMDD-HHMMSS and delete the oldest "
                                             "such snapshots pvectl made beyond N (never others).")] = None,
    selectors: Sel = None, pool: Pool = None, node: Node = None, status: Status = None, all_cts: All = False,
) -> None:  # fmt: skip
    """Snapshot containers (by id or hostname, or by selector), optionally keeping only the N newest of a prefix."""
    with reported():
        from pvectl.ct import ops
        from pvectl.vm import snapshots

        sel, name = _selection(args, selectors, pool, node, status, all_cts)
        text = description or ""
        then = None
        if keep is not None:
            if keep < 1:
                raise CliError("--keep: must be at least 1", USAGE)
            then = _retention(name, keep, waiting.seconds(ctx))
            name, text = snapshots.stamped(name), snapshots.description(description)

        def build(ref: VmRef) -> Step:
            write = ops.snapshot(ref, name, text)
            write.then = then
            return write

        _run(ctx, sel, bulk, waiting, "create", build)


@app.command("delete", cls=ApiCommand)
@options.bulk("CT")
@options.waiting("CT")
def delete(ctx: typer.Context, bulk: Bulk, waiting: Waiting, args: Targets, selectors: Sel = None, pool: Pool = None,
           node: Node = None, status: Status = None, all_cts: All = False) -> None:  # fmt: skip
    """Delete a snapshot of containers (asks first for a selection unless --yes)."""
    with reported():
        from pvectl.ct import ops

        sel, name = _selection(args, selectors, pool, node, status, all_cts)
        ask = None if sel.selector().single else f"Delete snapshot '{name}' of {{n}} CT{{s}}?"
        _run(ctx, sel, bulk, waiting, "delete", lambda ref: ops.delete_snapshot(ref, name), ask)


@app.command("rollback", cls=ApiCommand)
@options.bulk("CT")
@options.waiting("CT")
def rollback(
    ctx: typer.Context, bulk: Bulk, waiting: Waiting, args: Targets,
    start: Annotated[bool, typer.Option("--start", help="Start the container after the rollback.")] = False,
    selectors: Sel = None, pool: Pool = None, node: Node = None, status: Status = None, all_cts: All = False,
) -> None:  # fmt: skip
    """Roll containers back to a snapshot (their present state is lost; a selection asks first)."""
    with reported():
        from pvectl.ct import ops

        sel, name = _selection(args, selectors, pool, node, status, all_cts)
        ask = None if sel.selector().single else f"Roll {{n}} CT{{s}} back to '{name}'? Their present state is lost."
        _run(ctx, sel, bulk, waiting, "rollback", lambda ref: ops.rollback(ref, name, start=start), ask)


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
        print(f"CT {ref.vmid} ({ref.name}) on {ref.node}:")
        for line in tree_lines(snaps):
            print(f"  {line}", file=sys.stdout)
