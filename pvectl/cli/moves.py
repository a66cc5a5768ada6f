"""Sending planned migrations and reporting them (``vm migrate`` and ``node drain``): not a command of its own.

One VM goes through the write runner (a lost answer is reconciled from the node's ``qmigrate`` task, never sent
again); several run as a bulk run with one outcome each; VMs the preflight refused are reported as failed
without anything sent.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pvectl.guest.run import Write
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.bulk import Result
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.migrate import Move

# PVE's own bulk migration moves one guest at a time unless told otherwise (schema: max-workers default 1)
MIGRATE_PARALLEL = 1
LocalDisksOpt = Annotated[
    bool, typer.Option("--with-local-disks", help="Copy disks on node-local storage along (live storage migration).")
]
MigrateParallelOpt = Annotated[
    int, typer.Option("--parallel", metavar="N", help="VMs moved at the same time (default 1, as PVE's bulk migrate).")
]


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
    from pvectl.cli import fleet as select
    from pvectl.vm import bulk
    from pvectl.vm.migrate import on_target, send
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
            action="migrate",
            # qemu-server src/PVE/API2/Qemu.pm migrate_vm forks 'qmigrate', or 'hamigrate' for an HA-managed VM
            task_types=lambda ref: () if by_id[ref.vmid].ha else ("qmigrate",),  # HA: the task only files it
            reached=on_target(moves[0].target),
        )
    for ref, why in refused:
        label = f"VM {ref.vmid} ({ref.name or 'no name'})"
        outcome = Outcome("failed", ref.vmid, ref.node, f"{label}: not moved: {why}")
        results.append(bulk.Result(ref, outcome))
    results.sort(key=lambda r: r.ref.vmid)
    if single and len(results) == 1:  # one VM: its own outcome's exit code, not the bulk one
        from pvectl.cli import render

        render.one(ctx, results[0].outcome)
        return
    select.report(ctx, results)


def _one(ctx: typer.Context, client: ProxmoxClient, move: Move, *, seconds: float, no_wait: bool) -> None:
    """One plain VM through the write runner (qemu-server src/PVE/API2/Qemu.pm migrate_vm forks ``qmigrate``)."""
    from pvectl.cli.writes import run_one

    run_one(ctx, client, move_write(move), no_wait=no_wait, seconds=seconds)


def move_write(move: Move) -> Write:
    """A VM's move as a step of the write runner (an HA move's task only files it: no type to look for)."""
    from pvectl.guest.run import Write
    from pvectl.vm.migrate import on_target, send

    ref = move.ref
    return Write(ref, "migrate", move.method, move.path, f"migrated to {move.target} ({move.mode})",
                 () if move.ha else ("qmigrate",), params=move.params, reached=on_target(move.target),
                 send=lambda client: send(client, move))  # fmt: skip


def run_guest_moves(
    ctx: typer.Context,
    client: ProxmoxClient,
    steps: list[Write],
    refused: list[tuple[VmRef, str]],
    *,
    parallel: int,
    seconds: float,
    no_wait: bool,
) -> None:
    """VM and container moves in one run (``node drain``): one outcome per guest, the refused ones included
    (nothing was sent for them), in vmid order; exit 0 only when every guest moved."""
    from pvectl.cli import render
    from pvectl.guest.outcome import Outcome
    from pvectl.guest.run import Step, decided, run_many

    plan: list[Step] = [*steps]
    for ref, why in refused:
        plan.append(decided(ref, "migrate", "failed", f"not moved: {why}"))
    plan.sort(key=lambda s: (s.vmid or 0) if isinstance(s, Outcome) else s.ref.vmid)
    outcomes = run_many(client, plan, parallel=parallel, wait=not no_wait, timeout=seconds, on_result=render.progress)
    render.many(ctx, outcomes)
