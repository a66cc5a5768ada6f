"""``pvectl vm template ID``: convert a VM to a template (irreversible: asks unless --yes)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pvectl.cli.commands.vm.wait import VmArg
from pvectl.cli.errors import USAGE, CliError, reported


def template(
    ctx: typer.Context,
    vm: VmArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Print the task id instead of waiting.")] = False,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout", metavar="DURATION", help="How long to wait for the task (default 10m).", show_default=False
        ),
    ] = None,
) -> None:
    """Convert a VM to a template (cannot be undone; clone it with pvectl vm clone)."""
    with reported():
        from pvectl.cli.commands.vm.daily import _find, _wait_seconds

        seconds = _wait_seconds(ctx, timeout)
        client = ctx.obj.client()
        ref = _find(client, vm)
        label = f"VM {ref.vmid} ({ref.name or 'no name'})"
        if str(ref.raw.get("template", 0)) == "1":
            raise CliError(f"{label} is already a template", USAGE)
        if ref.status == "running":  # PVE refuses too ("you can't convert a VM to template if VM is running")
            raise CliError(f"{label} is running; shut it down first: pvectl vm shutdown {ref.vmid}", USAGE)
        if not yes:
            if not sys.stdin.isatty():
                raise CliError(f"refusing to convert VM {ref.vmid} without confirmation; pass --yes", USAGE)
            answer = input(f"Convert {label} to a template? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CliError("not converted", USAGE)
        from pvectl.cli.writes import run_one
        from pvectl.guest.ops.simple import template_write

        run_one(ctx, client, template_write(ref), no_wait=no_wait, seconds=seconds)
