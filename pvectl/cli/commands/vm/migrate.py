"""``pvectl vm migrate ID|selector --to NODE``: a preflight per VM (PVE's own ``GET .../migrate``) shown before
anything moves, then the moves (HA-managed VMs through the HA stack) with per-VM outcomes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.commands.vm.daily import NoWait, Timeout
from pvectl.cli.commands.vm.select import (
    AllOpt,
    DryRunOpt,
    NameOpt,
    NodeOpt,
    PoolOpt,
    SelectorOpt,
    StatusOpt,
    VmArgs,
    YesOpt,
)
from pvectl.cli.errors import reported

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.bulk import Result
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.migrate import Move, Preflight

# PVE's own bulk migration moves one guest at a time unless told otherwise (schema: max-workers default 1)
MIGRATE_PARALLEL = 1
PLAN_COLUMNS = ("vmid", "name", "node", "target", "mode", "memory", "local_disks", "blocked")

ToOpt = Annotated[
    str,
    typer.Option("--to", metavar="NODE", help="Target node.", show_default=False, autocompletion=completers.node),
]
OnlineOpt = Annotated[
    bool | None,
    typer.Option(
        "--online/--offline",
        help="Live (running VMs stay up) or offline. Default: live when the VM runs, as the GUI does; HA-managed "
        "VMs: --offline relocates (stop, move, start).",
        show_default=False,
    ),
]
LocalDisksOpt = Annotated[
    bool, typer.Option("--with-local-disks", help="Copy disks on node-local storage along (live storage migration).")
]
TargetStorageOpt = Annotated[
    str | None,
    typer.Option(
        "--target-storage",
        metavar="STORAGE|SRC:DST,...",
        help="Where local disks land on the target (default: a storage of the same name).",
        show_default=False,
    ),
]
MigrateParallelOpt = Annotated[
    int, typer.Option("--parallel", metavar="N", help="VMs moved at the same time (default 1, as PVE's bulk migrate).")
]


def plan_row(move: Move | None, ref: VmRef, target: str, pre: Preflight, blocked: list[str]) -> dict[str, object]:
    from pvectl.vm.drain import gib, memory_of

    return {
        "vmid": ref.vmid,
        "name": ref.name,
        "node": ref.node,
        "target": target,
        "mode": move.mode if move else "-",
        "memory": gib(memory_of(ref)),
        "local_disks": ", ".join(d.volid for d in pre.local_disks) or "-",
        "local_resources": ", ".join(pre.local_resources) or "-",
        "blocked": "; ".join(blocked) or "-",
        "allowed_nodes": list(pre.allowed) if pre.allowed is not None else None,
        "request": move.describe() if move else None,
    }


def plan_text(rows: list[dict[str, object]], title: str) -> str:
    import textwrap

    lines = [title]
    for r in rows:
        line = f"  {r['vmid']} {r['name'] or '-'} ({r['memory']}) {r['node']} -> {r['target'] or '-'}  {r['mode']}"
        if r["local_disks"] != "-":
            line += f"  local disks: {r['local_disks']}"
        if r["blocked"] != "-":
            line += f"  CANNOT MOVE: {r['blocked']}"
        lines.extend(textwrap.wrap(line, 80, subsequent_indent="      ", break_on_hyphens=False))  # within 80
    return "\n".join(lines)


def check_target(client: ProxmoxClient, node: str, flag: str = "--to") -> None:
    """An unknown or offline target node is a usage error; nothing is sent."""
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.sdk._core.answers import as_rows

    nodes = {str(n.get("node")): str(n.get("status")) for n in as_rows("GET /nodes", client.request("GET", "/nodes"))}
    if node not in nodes:
        raise CliError(f"{flag}: no node '{node}' in this cluster (known: {', '.join(sorted(nodes))})", USAGE)
    if nodes[node] != "online":
        raise CliError(f"{flag}: node '{node}' is {nodes[node]}; a migration needs it online", USAGE)


def run_moves(
    ctx: typer.Context,
    client: ProxmoxClient,
    moves: list[Move],
    refused: list[tuple[VmRef, str]],
    *,
    parallel: int,
    seconds: float,
    no_wait: bool,
    single: bool = False,
    server_side: dict[str, object] | None = None,
) -> None:
    """Send ``moves`` (``parallel`` at a time) and report one outcome per VM, the ``refused`` ones included
    (nothing was sent for them): exit 0 only when every VM moved. ``server_side``: the parameters of PVE's own
    bulk migrate (one task for all; see pvectl.vm.bulkaction)."""
    from pvectl.cli.commands.vm import select
    from pvectl.vm import bulk
    from pvectl.vm.migrate import send
    from pvectl.vm.outcome import Outcome

    if single and len(moves) == 1 and server_side is None and not moves[0].ha:
        _one(ctx, client, moves[0], seconds=seconds, no_wait=no_wait)
        return
    if single and len(moves) == 1 and moves[0].ha and not no_wait:
        print(f"asked the HA stack; waiting until VM {moves[0].ref.vmid} shows on {moves[0].target}", file=sys.stderr)
    by_id = {m.ref.vmid: m for m in moves}
    results: list[Result] = []
    if moves and server_side is not None:
        from pvectl.vm import bulkaction

        target = moves[0].target
        refs = [m.ref for m in moves]
        results = bulkaction.run(
            client, "migrate", refs, parallel=parallel, timeout=seconds, past="migrated", target=target, **server_side
        )
        for result in results:
            select.progress_line(result)
    elif moves:
        results = bulk.run(
            client,
            [m.ref for m in moves],
            lambda ref: send(client, by_id[ref.vmid]),
            past="migrated",
            parallel=parallel,
            timeout=seconds,
            wait_tasks=not no_wait,
            on_result=select.progress_line,
        )
    for ref, why in refused:
        label = f"VM {ref.vmid} ({ref.name or 'no name'})"
        outcome = Outcome("nothing-created", ref.vmid, ref.node, f"{label}: not moved: {why}")
        results.append(bulk.Result(ref, outcome))
    results.sort(key=lambda r: r.ref.vmid)
    if single and len(results) == 1:  # one VM: its own outcome's exit code, not the bulk one
        from pvectl.cli.commands.vm.report import outcome_printed

        error = outcome_printed(ctx, results[0].outcome)
        if error is not None:
            raise error
        return
    select.report(ctx, results)


def _one(ctx: typer.Context, client: ProxmoxClient, move: Move, *, seconds: float, no_wait: bool) -> None:
    """One plain VM: the task's progress while it runs (the latest log line; -v streams the log)."""
    from pvectl.cli.commands.vm import daily
    from pvectl.vm.migrate import send

    ref = move.ref
    upid = str(send(client, move))
    daily._finish(
        ctx,
        client,
        upid,
        no_wait,
        f"VM {ref.vmid} ({ref.name or 'no name'}) migrated to {move.target} ({move.mode})",
        timeout=seconds,
        doing=f"VM {ref.vmid} is being migrated to {move.target}",
        step="VM migrate",
        ref=ref,
    )


def migrate(
    ctx: typer.Context,
    vms: VmArgs = None,
    to: ToOpt = "",
    online: OnlineOpt = None,
    with_local_disks: LocalDisksOpt = False,
    target_storage: TargetStorageOpt = None,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    node: NodeOpt = None,
    name: NameOpt = None,
    status: StatusOpt = None,
    all_vms: AllOpt = False,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    parallel: MigrateParallelOpt = MIGRATE_PARALLEL,
    no_wait: NoWait = False,
    timeout: Timeout = None,
    server_side: Annotated[
        bool,
        typer.Option(
            "--server-side",
            help="Let PVE move all of them in one task of its own (PVE 9.0+: /cluster/bulk-action/guest/migrate): "
            "one request, but no per-VM progress and Ctrl-C cannot hold back the rest; outcomes are read after it. "
            "The preflight still runs first.",
        ),
    ] = False,
) -> None:
    """Move VMs to another node: one by id or name, or many by selector (a selection asks first unless --yes). PVE's
    preflight is shown before anything is sent; VMs it would refuse are not sent."""
    with reported():
        from pvectl.cli.commands.vm import daily, select
        from pvectl.cli.errors import FAILURE, USAGE, CliError
        from pvectl.vm.migrate import PREFLIGHT_REFUSED, MoveError, Preflight, plan_move, problems, try_preflight

        seconds = daily._wait_seconds(ctx, timeout)
        if not to:
            raise CliError("--to: name the target node", USAGE)
        if parallel < 1:
            raise CliError("--parallel: must be at least 1", USAGE)
        sel = select.selector(vms, selectors, pool, node, name, status, all_vms)
        select.require(sel, "migrate")
        if server_side and (no_wait or target_storage):
            raise CliError(f"{'--no-wait' if no_wait else '--target-storage'}: not with --server-side", USAGE)
        client = ctx.obj.client()
        if server_side:
            from pvectl.vm.bulkaction import unsupported

            problem = unsupported(client, "migrate")
            if problem is not None:
                raise CliError(problem, USAGE)
        check_target(client, to)
        matched = select.matched(client, sel)
        refs = [r for r in matched if r.node != to]
        if not refs:
            there = ", ".join(str(r.vmid) for r in matched)
            what = f"already on {to}: {there}" if matched else f"no VM matches ({sel.describe()})"
            print(f"{what}; nothing to do", file=sys.stderr)
            return
        moves: list[Move] = []
        refused: list[tuple[VmRef, str]] = []
        rows = []
        for ref in refs:
            pre = try_preflight(client, ref, to)
            if isinstance(pre, str):
                rows.append(plan_row(None, ref, to, Preflight(running=ref.status == "running"), [pre]))
                refused.append((ref, pre))
                continue
            try:
                move = plan_move(
                    ref,
                    to,
                    running=pre.running,
                    online=online,
                    with_local_disks=with_local_disks,
                    target_storage=target_storage,
                )
            except MoveError as exc:
                raise CliError(str(exc), USAGE) from None
            live = move.mode in ("online", "ha-migrate") and pre.running
            blocked = problems(pre, to, online=live, with_local_disks=with_local_disks)
            rows.append(plan_row(move, ref, to, pre, blocked))
            if blocked:
                refused.append((ref, "; ".join(blocked)))
            else:
                moves.append(move)
        if dry_run:
            from pvectl.cli.output import show

            show(
                ctx, rows, columns=PLAN_COLUMNS, human=plan_text(rows, f"would move {select.count(len(refs))} to {to}:")
            )
            return
        print(plan_text(rows, f"moving {select.count(len(refs))} to {to}:"), file=sys.stderr)
        if sel.single and refused:  # PVE refusing the preflight is an API failure; a known blocker, validation
            code = FAILURE if refused[0][1].startswith(PREFLIGHT_REFUSED) else USAGE
            raise CliError(f"VM {refs[0].vmid} cannot move to {to}: {refused[0][1]}", code)
        if not sel.single and not yes and moves:
            n = select.count(len(moves))
            select.confirm(f"Migrate {n} to {to}?", f"refusing to migrate {n}")
        bulk_params: dict[str, object] | None = None
        if server_side:
            bulk_params = {"online": 0 if online is False else 1, "with_local_disks": 1 if with_local_disks else None}
        run_moves(
            ctx,
            client,
            moves,
            refused,
            parallel=parallel,
            seconds=seconds,
            no_wait=no_wait,
            single=sel.single and not server_side,
            server_side=bulk_params,
        )
