"""``pvectl vm pending VM``: the changes that wait for a reboot (``GET …/pending``), one row per key."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli.commands.vm.daily import VmArg
from pvectl.cli.errors import reported
from pvectl.cli.runner import output_format

COLUMNS = ("key", "value", "pending", "delete")


def pending(
    ctx: typer.Context,
    vm: VmArg,
    show_all: Annotated[bool, typer.Option("--all", help="Every config key, not only those that wait.")] = False,
) -> None:
    """What waits for a reboot: the running value and the pending one (delete 1: removal, 2: forced removal)."""
    with reported():
        from pvectl.cli.commands.vm import daily
        from pvectl.cli.output import emit
        from pvectl.vm.pending import pending_report

        daily._wait_seconds(ctx, None)  # a bad -o is a usage error before anything is sent
        client = ctx.obj.client()
        entries = pending_report(client, daily._find(client, vm))
        rows = [e.to_json() for e in entries if show_all or e.waiting]
        emit(rows, output_format(ctx), COLUMNS)
