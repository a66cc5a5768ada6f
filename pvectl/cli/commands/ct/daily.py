"""``pvectl ct list`` and ``ct show``: containers only (``vm list`` shows VMs only; ``guest list`` both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.errors import NOT_FOUND, USAGE, CliError, reported
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

CtArg = Annotated[
    str,
    typer.Argument(
        help="Container id or hostname (found across the cluster).", show_default=False, autocompletion=completers.ct
    ),
]
LIST_COLUMNS = ("vmid", "name", "node", "status", "tags", "cpus", "memory")
WIDE_COLUMNS = ("vmid", "name", "node", "status", "pool", "tags", "template", "ha", "lock", "cpus", "maxmem", "uptime")
STATES = ("running", "stopped", "unknown")
SelectorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "-l",
        "--selector",
        metavar="KEY=VAL,KEY!=VAL",
        help="Only containers matching every term; keys tag, pool, node, name (glob), status (tag=web,tag!=lab).",
        show_default=False,
    ),
]
PoolOpt = Annotated[
    str | None,
    typer.Option("--pool", help="Only containers in this pool.", show_default=False, autocompletion=completers.pool),
]
NameOpt = Annotated[
    str | None,
    typer.Option("--name", metavar="GLOB", help="Only containers named like this ('web-*').", show_default=False),
]


def list_cts(
    ctx: typer.Context,
    node: Annotated[
        str | None,
        typer.Option(
            "--node", help="Only containers on this node.", show_default=False, autocompletion=completers.node
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only containers with this tag.", show_default=False, autocompletion=completers.tag),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only containers in this state (running, stopped, unknown).",
            show_default=False,
            autocompletion=completers.choices(STATES),
        ),
    ] = None,
    selectors: SelectorOpt = None,
    pool: PoolOpt = None,
    name: NameOpt = None,
) -> None:
    """List the cluster's LXC containers (no node needed); the selector flags narrow the list, as for vm list."""
    with reported():
        from pvectl.cli import fleet
        from pvectl.cli.output import show, whole
        from pvectl.vm.lookup import cluster_vms, matches

        if status is not None and status not in STATES:
            raise CliError(f"--status: '{status}' is not one of {', '.join(STATES)}", USAGE)
        client = ctx.obj.client()
        if node is not None:
            from pvectl.sdk._core.answers import plain

            known = sorted(str(n["node"]) for n in plain(client.nodes.list()) or [])
            if node not in known:
                raise CliError(f"--node: no node '{node}' in this cluster (known: {', '.join(known)})", USAGE)
        sel = fleet.selector(None, selectors, pool, None, name, None, False)
        everything = sel.select(cluster_vms(client, kind="lxc"))
        cts = [ct for ct in everything if matches(ct, node=node, tag=tag, status=status)]
        rows = [
            {
                "vmid": ct.vmid,
                "name": ct.name,
                "node": ct.node,
                "status": ct.status,
                "tags": ";".join(ct.tags),
                "cpus": ct.raw.get("maxcpu"),
                "memory": whole(ct.raw.get("maxmem"), 1024 * 1024),
                # -o wide, from the /cluster/resources row as vm list has them
                "pool": ct.raw.get("pool") or "",
                "template": bool(ct.raw.get("template")),
                "ha": ct.raw.get("hastate") or "",
                "lock": ct.raw.get("lock") or "",
                "uptime": whole(ct.raw.get("uptime")),
                "maxmem": whole(ct.raw.get("maxmem")),
            }
            for ct in cts
        ]
        show(ctx, rows, columns=LIST_COLUMNS, wide=WIDE_COLUMNS)


def show(ctx: typer.Context, ct: CtArg) -> None:
    """A container's status and configuration (pending changes applied, as PVE's GUI shows them)."""
    with reported():
        from pvectl.cli.output import emit

        client = ctx.obj.client()
        ref = find(client, ct)
        from pvectl.sdk._core.answers import plain

        status = plain(client.nodes(ref.node).lxc(ref.vmid).status.current()) or {}
        config = plain(client.nodes(ref.node).lxc(ref.vmid).config.get()) or {}
        data = {"vmid": ref.vmid, "node": ref.node, "status": status.get("status"), "uptime": status.get("uptime")}
        data.update({k: v for k, v in config.items() if k != "digest"})
        emit(data, output_format(ctx), None)


def find(client: ProxmoxClient, key: str) -> VmRef:
    """A container by id or hostname; a hostname several containers share is a usage error."""
    from pvectl.vm.lookup import VmAmbiguous, VmNotFound, lookup

    try:
        return lookup(client, key, kind="lxc")
    except VmNotFound as exc:
        raise CliError(str(exc), USAGE if isinstance(exc, VmAmbiguous) else NOT_FOUND) from None
