"""``pvectl ct pending CT``: the changes that wait for the container's next start (``GET …/lxc/ID/pending``)."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import reported
from pvectl.cli.runner import output_format

COLUMNS = ("key", "value", "pending", "delete")


def pending(
    ctx: typer.Context,
    ct: CtArg,
    show_all: Annotated[bool, typer.Option("--all", help="Every config key, not only those that wait.")] = False,
) -> None:
    """What waits for a restart: the running value and the pending one (delete 1: a removal)."""
    with reported():
        from pvectl.cli.commands.ct.daily import find
        from pvectl.cli.output import emit, resolve
        from pvectl.sdk._core.answers import as_rows
        from pvectl.vm.pending import parse_pending

        resolve(output_format(ctx))
        client = ctx.obj.client()
        ref = find(client, ct)
        path = f"/nodes/{ref.node}/lxc/{ref.vmid}/pending"
        entries = parse_pending(as_rows(f"GET {path}", client.nodes(ref.node).lxc(ref.vmid).pending()))
        emit([e.to_json() for e in entries if show_all or e.waiting], output_format(ctx), COLUMNS)
