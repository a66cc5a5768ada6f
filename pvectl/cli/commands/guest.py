"""``pvectl guest list``: VMs and containers together, with a kind column (``vm list`` and ``ct list`` keep
to their own kind)."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.runner import ApiCommand, output_format

app = typer.Typer(name="guest", help="VMs and containers together.", no_args_is_help=True, add_completion=False,
                  rich_markup_mode=None)  # fmt: skip

COLUMNS = ("kind", "vmid", "name", "node", "status", "tags", "cpus", "memory")
KINDS = {"qemu": "vm", "lxc": "ct"}
STATES = ("running", "stopped", "paused", "unknown")  # a suspended VM is paused (vm list)


@app.callback()
def guest() -> None:
    """VMs and containers together."""


@app.command("list", cls=ApiCommand)
def list_guests(
    ctx: typer.Context,
    node: Annotated[
        str | None,
        typer.Option("--node", help="Only guests on this node.", show_default=False, autocompletion=completers.node),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only guests with this tag.", show_default=False, autocompletion=completers.tag),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only guests in this state (running, stopped, paused, unknown).",
            show_default=False,
            autocompletion=completers.choices(STATES),
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help="Only vm or ct.", show_default=False, autocompletion=completers.choices(("vm", "ct"))
        ),
    ] = None,
) -> None:
    """List the cluster's VMs and containers in one table (kind vm or ct), sorted by id."""
    with reported():
        from pvectl.cli.output import emit, whole
        from pvectl.vm.lookup import cluster_vms, matches

        if status is not None and status not in STATES:
            raise CliError(f"--status: '{status}' is not one of {', '.join(STATES)}", USAGE)
        if kind is not None and kind not in ("vm", "ct"):
            raise CliError(f"--kind: '{kind}' is not vm or ct", USAGE)
        client = ctx.obj.client()
        if node is not None:  # a node the cluster lacks is a typo, as in vm list and ct list (not an empty list)
            from pvectl.sdk._core.answers import as_rows

            known = sorted(str(n["node"]) for n in as_rows("GET /nodes", client.nodes.list()))
            if node not in known:
                raise CliError(f"--node: no node '{node}' in this cluster (known: {', '.join(known)})", USAGE)
        rows = []
        for pve_kind, short in KINDS.items():
            if kind not in (None, short):
                continue
            for ref in cluster_vms(client, kind=pve_kind):
                if matches(ref, node=node, tag=tag, status=status):
                    rows.append(
                        {
                            "kind": short,
                            "vmid": ref.vmid,
                            "name": ref.name,
                            "node": ref.node,
                            "status": ref.status,
                            "tags": ";".join(ref.tags),
                            "cpus": ref.raw.get("maxcpu"),
                            "memory": whole(ref.raw.get("maxmem"), 1024 * 1024),
                        }
                    )
        emit(sorted(rows, key=lambda r: int(r["vmid"])), output_format(ctx), COLUMNS)
