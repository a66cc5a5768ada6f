"""``pvectl vm migrate ID|selector --to NODE``: a preflight per VM (PVE's own ``GET .../migrate``) shown before
anything moves, then the moves (HA-managed VMs through the HA stack) with per-VM outcomes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.errors import reported
from pvectl.cli.fleet import (
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
from pvectl.cli.moves import MIGRATE_PARALLEL, LocalDisksOpt, MigrateParallelOpt, run_moves
from pvectl.cli.options import NoWait, Timeout

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.selector import Selector

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
TargetStorageOpt = Annotated[
    str | None,
    typer.Option(
        "--target-storage",
        metavar="STORAGE|SRC:DST,...",
        help="Where local disks land on the target (default: a storage of the same name).",
        show_default=False,
    ),
]


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


def check_target(client: ProxmoxClient, node: str, flag: str = "--to", *, storage: str | None = None) -> None:
    """An unknown or offline target node is a usage error; nothing is sent. So is a ``--target-storage`` that
    names a storage the cluster lacks: qemu-server migrate_vm (src/PVE/API2/Qemu.pm) takes one storage id, ``1``
    (each to itself) or SOURCE:TARGET pairs (parse_idmap of pve-targetstorage) and checks each target id only
    after sending (``$check_storage_access_migrate``: PVE::Storage storage_check_enabled)."""
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.sdk._core.answers import as_rows

    nodes = {str(n.get("node")): str(n.get("status")) for n in as_rows("GET /nodes", client.nodes.list())}
    if node not in nodes:
        raise CliError(f"{flag}: no node '{node}' in this cluster (known: {', '.join(sorted(nodes))})", USAGE)
    if nodes[node] != "online":
        raise CliError(f"{flag}: node '{node}' is {nodes[node]}; a migration needs it online", USAGE)
    wanted = {pair.rpartition(":")[2] for pair in (storage or "").split(",") if pair and pair != "1"}
    if wanted:
        known = sorted(str(s.get("storage")) for s in as_rows("GET /storage", client.storage.list()))
        for name in sorted(wanted - set(known)):
            raise CliError(f"--target-storage: no storage '{name}' in this cluster (known: {', '.join(known)})", USAGE)


def _to_move(client: ProxmoxClient, sel: Selector, to: str) -> list[VmRef]:
    """The matched VMs not on ``to`` yet; none: says why on stderr (already there, or nothing matched)."""
    from pvectl.cli import fleet as select

    matched = select.matched(client, sel)
    refs = [r for r in matched if r.node != to]
    if not refs:
        there = ", ".join(str(r.vmid) for r in matched)
        what = f"already on {to}: {there}" if matched else f"no VM matches ({sel.describe()})"
        print(f"{what}; nothing to do", file=sys.stderr)
    return refs


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
        from pvectl.cli import fleet as select
        from pvectl.cli import options
        from pvectl.cli.errors import FAILURE, USAGE, CliError
        from pvectl.guest.ops.migrate import plan_migrations
        from pvectl.vm.migrate import PREFLIGHT_REFUSED, MoveError

        seconds = options.wait_seconds(ctx, timeout)
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
            _server_side_supported(client)
        check_target(client, to, storage=target_storage)
        refs = _to_move(client, sel, to)
        if not refs:
            return
        try:
            planned = plan_migrations(client, refs, to, online=online, with_local_disks=with_local_disks,
                                      target_storage=target_storage)  # fmt: skip
        except MoveError as exc:
            raise CliError(str(exc), USAGE) from None
        moves, refused, rows = planned.moves, planned.refused, planned.rows
        if dry_run:
            from pvectl.cli.output import show

            title = f"would move {select.count(len(refs))} to {to}:"
            show(ctx, rows, columns=PLAN_COLUMNS, human=plan_text(rows, title))
            return
        from pvectl.cli.safe_text import safe_text

        print(safe_text(plan_text(rows, f"moving {select.count(len(refs))} to {to}:")), file=sys.stderr)  # names
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


def _server_side_supported(client: ProxmoxClient) -> None:
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.vm.bulkaction import unsupported

    problem = unsupported(client, "migrate")
    if problem is not None:
        raise CliError(problem, USAGE)
