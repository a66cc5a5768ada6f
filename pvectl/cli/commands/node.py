"""``pvectl node list|show|drain``: the cluster's nodes (status, CPU, memory, VMs, uptime, PVE version) and
emptying one for maintenance (a plan, shown first; then the moves, with per-VM outcomes)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.errors import reported
from pvectl.cli.moves import MIGRATE_PARALLEL, LocalDisksOpt, MigrateParallelOpt
from pvectl.cli.options import DryRunOpt, NoWait, Timeout, YesOpt
from pvectl.cli.runner import ApiCommand

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

app = typer.Typer(
    name="node",
    help="Cluster nodes: list, show, drain.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

NodeArg = Annotated[str, typer.Argument(help="Node name.", show_default=False, autocompletion=completers.node)]
LIST_COLUMNS = ("node", "status", "cpu", "maxcpu", "mem", "maxmem", "vms", "uptime", "version")
DRAIN_COLUMNS = ("kind", "vmid", "name", "memory", "target", "mode", "reason")


def _rows(client: ProxmoxClient, only: str | None = None) -> list[dict[str, Any]]:
    """One row per node: /nodes for the figures, /cluster/resources for the VMs, /nodes/{node}/version."""
    from pvectl.cli.output import whole
    from pvectl.sdk._core.answers import as_object, as_rows
    from pvectl.vm.lookup import cluster_vms

    nodes = as_rows("GET /nodes", client.nodes.list())
    vms = cluster_vms(client)
    rows = []
    for n in sorted(nodes, key=lambda n: str(n.get("node"))):
        name = str(n.get("node"))
        if only is not None and name != only:
            continue
        online = n.get("status") == "online"
        version = None
        if online:
            path = f"/nodes/{name}/version"
            version = as_object(f"GET {path}", client.nodes(name).version()).get("version")
        mine = [v for v in vms if v.node == name]
        running = sum(v.status == "running" for v in mine)
        rows.append(
            {
                "node": name,
                "status": str(n.get("status") or "unknown"),
                "cpu": _fraction(n.get("cpu")) if online else None,
                "maxcpu": n.get("maxcpu"),
                "mem": whole(n.get("mem")) if online else None,
                "maxmem": n.get("maxmem"),
                "vms": f"{running}/{len(mine)}",
                "uptime": whole(n.get("uptime")) if online else None,
                "version": str(version) if version else None,
                "vms_running": running,
                "vms_total": len(mine),
            }
        )
    return rows


def _fraction(value: Any) -> Any:
    """A share from the server (``cpu``: 0.05); one that is not a number is shown as it came."""
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return value


@app.command("list", cls=ApiCommand)
def list_nodes(ctx: typer.Context) -> None:
    """The cluster's nodes: status, CPU %, memory used/total, VMs running/total, uptime, PVE version."""
    with reported():
        from pvectl.cli.output import show

        show(ctx, _rows(ctx.obj.client()), columns=LIST_COLUMNS)


@app.command("show", cls=ApiCommand)
def show_node(ctx: typer.Context, node: NodeArg) -> None:
    """One node: its figures, load, kernel and the VMs on it."""
    with reported():
        from pvectl.cli.errors import NOT_FOUND, CliError
        from pvectl.cli.output import show
        from pvectl.sdk._core.answers import as_object
        from pvectl.vm.lookup import cluster_vms

        client = ctx.obj.client()
        rows = _rows(client, node)
        if not rows:
            raise CliError(f"no node '{node}' in this cluster", NOT_FOUND)
        data: dict[str, Any] = dict(rows[0])
        if data["status"] == "online":
            path = f"/nodes/{node}/status"
            status = as_object(f"GET {path}", client.nodes(node).status.get())
            data["pveversion"] = status.get("pveversion")
            data["kernel"] = status.get("kversion")
            data["loadavg"] = " ".join(str(x) for x in status.get("loadavg") or [])
        data["vm_list"] = [
            {"vmid": v.vmid, "name": v.name, "status": v.status} for v in cluster_vms(client) if v.node == node
        ]
        from pvectl.cli.output import human_cell

        width = max(len(k) for k in data)
        lines = [f"{k:<{width}}  {human_cell(k, v)}" for k, v in data.items() if k != "vm_list" and v is not None]
        lines.append("VMs on it:")
        lines += [f"  {v['vmid']} {v['name'] or '-'} ({v['status']})" for v in data["vm_list"]]
        show(ctx, data, human="\n".join(lines))


def _rooms(client: ProxmoxClient, source: str, targets: list[str]) -> list[Any]:
    from pvectl.cli.errors import NOT_FOUND, USAGE, CliError
    from pvectl.sdk._core.answers import as_int, as_rows
    from pvectl.vm.drain import NodeRoom

    nodes = {str(n.get("node")): n for n in as_rows("GET /nodes", client.nodes.list())}
    if source not in nodes:
        # a node named as the argument that does not exist is "not found" (4), as in node show and vm show
        raise CliError(f"no node '{source}' in this cluster (known: {', '.join(sorted(nodes))})", NOT_FOUND)
    for name in targets:
        if name not in nodes:
            raise CliError(f"--to: no node '{name}' in this cluster (known: {', '.join(sorted(nodes))})", USAGE)
        if name == source:
            raise CliError(f"--to: '{name}' is the node being drained", USAGE)
        if nodes[name].get("status") != "online":
            raise CliError(f"--to: node '{name}' is {nodes[name].get('status')}; a migration needs it online", USAGE)
    chosen = targets or sorted(n for n in nodes if n != source)
    return [
        NodeRoom(
            name,
            nodes[name].get("status") == "online",
            as_int(f"maxmem of node {name} in GET /nodes", nodes[name].get("maxmem"), default=0),
            as_int(f"mem of node {name} in GET /nodes", nodes[name].get("mem"), default=0),
        )
        for name in chosen
    ]


def _plan_text(node: str, rows: list[dict[str, Any]], going: int, staying: int, noun: str) -> str:
    from pvectl.cli import render

    title = f"drain {node}: {render.count(going, noun)} to move, {render.count(staying, noun)} cannot move"
    return "\n".join([title] + [plan_line(r) for r in rows])


def plan_line(row: Mapping[str, Any], width: int = 80) -> str:
    """One guest of a drain plan; why it stays wraps onto indented lines within ``width`` columns."""
    import textwrap

    head = (
        f"  {row['kind'].upper()} {row['vmid']} {row['name'] or '-'} ({row['memory']}) -> {row['target'] or 'STAYS'}"
        f"  {row['mode']}"
    )
    if not row["reason"]:
        return head
    why = textwrap.wrap(f"({row['reason']})", width - 6, break_on_hyphens=False)
    return "\n".join([head, *(f"      {line}" for line in why)])


@app.command("drain", cls=ApiCommand)
def drain(
    ctx: typer.Context,
    node: NodeArg,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="NODE",
            help="Allowed targets (repeat; default: every other online node).",
            show_default=False,
            autocompletion=completers.node,
        ),
    ] = None,
    with_local_disks: LocalDisksOpt = False,
    dry_run: DryRunOpt = False,
    parallel: MigrateParallelOpt = MIGRATE_PARALLEL,
    yes: YesOpt = False,
    no_wait: NoWait = False,
    timeout: Timeout = None,
    ct_timeout: Annotated[
        int | None,
        typer.Option(
            "--ct-timeout",
            metavar="SECONDS",
            help="How long a running container may take to shut down for its restart-mode move (PVE: 180).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Move every running VM and every container off NODE: a plan (largest guest first, each to the target with
    the most free memory that fits it) is shown before anything moves; guests that cannot move are listed with
    why. Asks unless --yes.

    VMs move live; a running container moves in restart mode (shut down within --ct-timeout, moved, started on
    the target: PVE has no live migration for containers), a stopped one offline, as PVE's own migrate-all does.
    Stopped VMs stay."""
    with reported():
        from pvectl.cli import fleet as select
        from pvectl.cli import options, render
        from pvectl.cli.errors import USAGE, CliError
        from pvectl.cli.moves import move_write, run_guest_moves, run_moves
        from pvectl.cli.output import show
        from pvectl.guest.ops.drain import plan_drain
        from pvectl.vm.lookup import cluster_vms

        seconds = options.wait_seconds(ctx, timeout)
        if parallel < 1:
            raise CliError("--parallel: must be at least 1", USAGE)
        if ct_timeout is not None and ct_timeout < 1:
            raise CliError("--ct-timeout: must be at least 1 second", USAGE)
        client = ctx.obj.client()
        rooms = _rooms(client, node, list(to or []))
        refs = [v for v in cluster_vms(client) if v.node == node and v.status == "running"]
        cts = [c for c in cluster_vms(client, "lxc") if c.node == node]
        if not refs and not cts:
            print(f"no running VM and no container on {node}; nothing to do", file=sys.stderr)
            return
        drained = plan_drain(client, refs, rooms, with_local_disks=with_local_disks, cts=cts, ct_timeout=ct_timeout)
        moves, refused, rows = drained.moves, drained.refused, drained.rows
        going = len(moves) + len(drained.writes)
        noun = "guest" if cts else "VM"
        text = _plan_text(node, rows, going, len(refused), noun)
        if dry_run:
            show(ctx, rows, columns=DRAIN_COLUMNS, human=text)
            return
        from pvectl.cli.safe_text import safe_text

        print(safe_text(text), file=sys.stderr)  # guest names are server text
        if not yes:
            n = render.count(going, noun)
            select.confirm(f"Migrate {n} off {node}?", f"refusing to drain {node}")
        if not drained.writes:  # VMs only: as `vm migrate` runs them
            run_moves(ctx, client, moves, refused, parallel=parallel, seconds=seconds, no_wait=no_wait)
            return
        # a restart-mode move takes the shutdown's time on top (pve-container Migrate.pm prepare: vm_stop)
        from pvectl.ct.ops import RESTART_TIMEOUT

        steps = [move_write(m) for m in moves] + drained.writes
        seconds += ct_timeout or RESTART_TIMEOUT
        run_guest_moves(ctx, client, steps, refused, parallel=parallel, seconds=seconds, no_wait=no_wait)
