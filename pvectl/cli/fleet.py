"""The selector flags shared by the commands that act on guests, and the bulk-run front end (not a command):
confirmation with the count, ``--dry-run``, one progress line per VM, the per-VM outcome table."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers, options
from pvectl.cli.errors import NOT_FOUND, USAGE, CliError

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.bulk import Result
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector

VmArgs = Annotated[
    list[str] | None,
    typer.Argument(
        help="VM ids or names (found across the cluster); or use the selector flags.",
        show_default=False,
        autocompletion=completers.vm,
    ),
]
SelectorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "-l",
        "--selector",
        metavar="KEY=VAL,KEY!=VAL",
        help="Only VMs matching every term; keys tag, pool, node, name (glob), status (tag=web,tag!=lab).",
        show_default=False,
    ),
]
PoolOpt = Annotated[
    str | None,
    typer.Option("--pool", help="Only VMs in this pool.", show_default=False, autocompletion=completers.pool),
]
NodeOpt = Annotated[
    str | None,
    typer.Option("--node", help="Only VMs on this node.", show_default=False, autocompletion=completers.node),
]
NameOpt = Annotated[
    str | None,
    typer.Option("--name", metavar="GLOB", help="Only VMs named like this ('web-*').", show_default=False),
]
StatusOpt = Annotated[
    str | None, typer.Option("--status", help="Only VMs in this state (running, stopped).", show_default=False)
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every VM of the cluster (needed when nothing else selects).")]
YesOpt = options.YesOpt
DryRunOpt = options.DryRunOpt
ParallelOpt = Annotated[
    int, typer.Option("--parallel", metavar="N", help="VMs acted on at the same time (one shared connection pool).")
]

OUTCOME_COLUMNS = ("vmid", "name", "node", "outcome", "message")


def selector(
    vms: list[str] | None,
    selectors: list[str] | None,
    pool: str | None,
    node: str | None,
    name: str | None,
    status: str | None,
    all_vms: bool,
) -> Selector:
    """The Selector the flags describe (checked before anything is sent)."""
    from pvectl.vm.selector import Selector, SelectorError

    try:
        return Selector.build(
            vms or [], selectors=selectors or [], pool=pool, node=node, name=name, status=status, all=all_vms
        )
    except SelectorError as exc:
        raise CliError(str(exc), USAGE) from None


def require(sel: Selector, verb: str) -> None:
    if sel.empty:
        raise CliError(
            f"vm {verb}: name VMs, or select them (-l/--selector, --pool, --node, --name, --status), or pass --all",
            USAGE,
        )


def matched(client: ProxmoxClient, sel: Selector) -> list[VmRef]:
    from pvectl.sdk._core.answers import as_rows
    from pvectl.vm.lookup import VmAmbiguous, VmNotFound, cluster_vms
    from pvectl.vm.selector import SelectorError

    try:
        if sel.names_nodes:  # a node the cluster lacks is a typo, not "nothing to do" (as in vm list)
            sel.check_nodes(str(n["node"]) for n in as_rows("GET /nodes", client.nodes.list()))
    except SelectorError as exc:
        raise CliError(str(exc), USAGE) from None
    try:
        return sel.select(cluster_vms(client))
    except VmNotFound as exc:
        raise CliError(str(exc), USAGE if isinstance(exc, VmAmbiguous) else NOT_FOUND) from None


def count(n: int) -> str:
    return f"{n} VM" if n == 1 else f"{n} VMs"


def terminal() -> bool:
    from pvectl.cli.writes import terminal

    return terminal()


def confirm(question: str, refused: str) -> None:
    from pvectl.cli.writes import confirm

    confirm(question, refused)


def dry_run(ctx: typer.Context, refs: list[VmRef], request: Callable[[VmRef], str], verb: str) -> None:
    from pvectl.cli.output import show

    rows = [{"vmid": r.vmid, "name": r.name, "node": r.node, "status": r.status, "request": request(r)} for r in refs]
    human = "\n".join(
        [f"would {verb} {count(len(refs))}:"]
        + [f"  {r['vmid']} {r['name']} on {r['node']}: {r['request']}" for r in rows]
    )
    show(ctx, rows, columns=("vmid", "name", "node", "status", "request"), human=human)


def progress_line(result: Result) -> None:
    from pvectl.cli.safe_text import clipped, safe_text

    mark = "ok" if result.outcome.ok else "!!"
    print(clipped(f"[{mark}] {safe_text(result.outcome.message)}"), file=sys.stderr, flush=True)


def report(ctx: typer.Context, results: list[Result], *, single: bool = False) -> None:
    """The per-VM outcome table (``-o json``: a list of outcome objects); exit 0 only if every VM succeeded.

    ``single``: one VM named, no selector: its own outcome's exit code (8 is for bulk runs only)."""
    from pvectl.cli.output import show
    from pvectl.vm.bulk import exit_code

    rows: list[dict[str, Any]] = [{**r.outcome.to_json(), "name": r.outcome.name or r.ref.name} for r in results]
    show(ctx, rows, columns=OUTCOME_COLUMNS)
    if single and len(results) == 1 and not results[0].outcome.ok:
        raise CliError(results[0].outcome.message, results[0].outcome.exit_code)
    code = exit_code(results)
    if code == 0:
        return
    failed = [r for r in results if not r.outcome.ok]
    running = [r for r in failed if r.outcome.kind == "interrupted"]
    if running:
        details = [f"still running: VM {r.ref.vmid} ({r.ref.name}): {r.outcome.upid}" for r in running]
        raise CliError(f"interrupted: {count(len(running))} still running their task on the server", code, details)
    names = ", ".join(f"{r.ref.vmid} ({r.ref.name or 'no name'})" for r in failed)
    raise CliError(f"{len(failed)} of {count(len(results))} did not succeed: {names}", code)
